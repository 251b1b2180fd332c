"""The review queue: doubtful matches a CRM manager accepts, rejects or skips.

A candidate (``MatchCandidate``) pairs a source record with a customer it may belong to.
Matching gave the record a customer of its own and asked a person:

- accept merges the record's customer and the candidate customer (``merge.merge_customers``,
  with the pair's score and evidence), so the merge can be undone from the merge history;
- reject closes the pair for good: a pair is unique in the database and matching inserts
  candidates with ``ignore_conflicts``, so a rejected pair is never proposed again;
- skip leaves the pair open (status ``skipped``) and sends it to the back of the queue.

Which customer survives an accepted pair: the older one (created first, then the smaller id).
The channels have known it longest, so its id is the one most likely synced back to them
(``export_identity_map``); the newer one is usually the customer matching made a moment ago for
the doubtful record. The golden values do not depend on the choice: they are computed from the
records of both.

Both sides are read as they are now, not as they were when the pair was proposed: the record
may have moved (an earlier accept, a merge, a detach), and a merged customer is followed to the
customer it was merged into.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone

from crm.identity import merge, survivorship
from crm.models import Customer, MatchCandidate, MergeEvent, SourceRecord

OPEN = (MatchCandidate.Status.PENDING, MatchCandidate.Status.SKIPPED)

# The fields shown side by side: the golden fields, less the country (nearly always the same).
COMPARED_FIELDS = tuple(name for name in survivorship.GOLDEN_FIELDS if name != "country")

# The matching engine's comparison levels (``scoring.LEVELS``), in the four words of the screen.
AGREE, CLOSE, DIFFER, MISSING = "agree", "close", "differ", "missing"
VERDICT_OF_LEVEL = {"exact": AGREE, "missing": MISSING, "different": DIFFER}


def open_candidates(
    *, source: str = "", min_score: float | None = None, max_score: float | None = None
) -> QuerySet[MatchCandidate]:
    """Pairs waiting for a decision, in the order the queue shows them: pairs nobody has looked
    at, highest score first, then the skipped ones, the longest skipped first. ``source`` is a
    source code: only pairs whose record came from that channel."""
    rows = MatchCandidate.objects.filter(status__in=OPEN)
    if source:
        rows = rows.filter(source_record__source__code=source)
    if min_score is not None:
        rows = rows.filter(score__gte=min_score)
    if max_score is not None:
        rows = rows.filter(score__lte=max_score)
    skipped_last = Case(When(status=MatchCandidate.Status.SKIPPED, then=Value(1)), default=Value(0))
    return rows.order_by(skipped_last, F("decided_at").asc(nulls_first=True), "-score", "pk")


def survivor_of(first: Customer, second: Customer) -> tuple[Customer, Customer]:
    """(survivor, absorbed) of two customers about to be merged: the older one survives."""
    older, newer = sorted([first, second], key=lambda customer: (customer.created_at, customer.pk))
    return older, newer


def current_customer(customer: Customer) -> Customer:
    """The customer itself, or the active customer it was merged into."""
    seen = {customer.pk}
    while customer.merged_into_id is not None and customer.merged_into_id not in seen:
        seen.add(customer.merged_into_id)
        customer = customer.merged_into
    return customer


@dataclass(frozen=True)
class Pair:
    """A candidate as it stands now: the customer its record belongs to, and the customer it
    may be the same person as."""

    candidate: MatchCandidate
    record_customer: Customer | None
    customer: Customer

    @classmethod
    def of(cls, candidate: MatchCandidate) -> "Pair":
        record_customer = candidate.source_record.customer
        return cls(
            candidate=candidate,
            record_customer=current_customer(record_customer) if record_customer else None,
            customer=current_customer(candidate.customer),
        )

    @property
    def is_together(self) -> bool:
        """The record already belongs to the candidate customer: accepting merges nothing."""
        return self.record_customer is not None and self.record_customer.pk == self.customer.pk


@dataclass(frozen=True)
class FieldComparison:
    name: str
    label: str
    record_value: Any
    customer_value: Any
    verdict: str  # agree, close, differ or missing
    level: str  # the matching engine's level, or the verdict when the evidence has no such field
    weight: float | None  # the field's weight in the score, when the evidence has one


def compare(*, record: SourceRecord, customer: Customer, evidence: dict) -> list[FieldComparison]:
    """The record's values beside the customer's golden values, field by field.

    A field the matching engine scored shows the engine's verdict and weight (it compared the
    record with one of the customer's records, which may differ from the golden value); any
    other field gets a plain comparison and no weight."""
    scored = evidence.get("fields") or {}
    rows = []
    for name in COMPARED_FIELDS:
        record_value, customer_value = getattr(record, name), getattr(customer, name)
        if isinstance(scored.get(name), dict) and "level" in scored[name]:
            level = str(scored[name]["level"])
            verdict = VERDICT_OF_LEVEL.get(level, CLOSE)
            weight = scored[name].get("weight")
        else:
            verdict = _plain_verdict(record_value, customer_value)
            level, weight = verdict, None
        rows.append(
            FieldComparison(
                name=name,
                label=str(Customer._meta.get_field(name).verbose_name),
                record_value=record_value,
                customer_value=customer_value,
                verdict=verdict,
                level=level,
                weight=weight,
            )
        )
    return rows


def _plain_verdict(left: Any, right: Any) -> str:
    if not left or not right:
        return MISSING
    if isinstance(left, str) and isinstance(right, str):
        return AGREE if left.strip().casefold() == right.strip().casefold() else DIFFER
    return AGREE if left == right else DIFFER


def accept(
    *, candidate: MatchCandidate, by: AbstractBaseUser, reason: str = ""
) -> MergeEvent | None:
    """Merge the pair's two customers, the older surviving, and mark the pair accepted by ``by``.

    Returns the merge, or None when the record already belongs to the candidate customer (the
    pair is closed all the same). Refuses a pair already accepted or rejected, and whatever the
    merge service refuses (an erased customer): then nothing changes and the pair stays open.
    One transaction; locks the pair, then the customers."""
    with transaction.atomic():
        candidate = _lock_open(candidate)
        pair = Pair.of(candidate)
        if pair.record_customer is None:
            raise ValidationError("This record belongs to no customer; it cannot be merged.")
        event = None
        if not pair.is_together:
            survivor, other = survivor_of(pair.record_customer, pair.customer)
            event = merge.merge_customers(
                survivor=survivor,
                other=other,
                by=by,
                reason=reason or "Accepted in the review queue",
                score=candidate.score,
                evidence=candidate.evidence,
            )
        _close(candidate, MatchCandidate.Status.ACCEPTED, by)
        return event


def reject(*, candidate: MatchCandidate, by: AbstractBaseUser) -> None:
    """Close the pair as two different people. Matching never proposes it again (the pair is
    unique in the database). Refuses a pair already accepted or rejected."""
    with transaction.atomic():
        _close(_lock_open(candidate), MatchCandidate.Status.REJECTED, by)


def skip(*, candidate: MatchCandidate, by: AbstractBaseUser) -> None:
    """Leave the pair open and send it to the back of the queue (behind every pair not yet
    looked at, and behind pairs skipped earlier). Refuses a pair already accepted or rejected."""
    with transaction.atomic():
        _close(_lock_open(candidate), MatchCandidate.Status.SKIPPED, by)


def pending_at_least(*, minimum_score: float, source: str = "") -> QuerySet[MatchCandidate]:
    """What ``accept_all_at_least`` would accept. Skipped pairs are left out on purpose: someone
    looked at them and was not sure, so they wait for a person."""
    return open_candidates(source=source, min_score=minimum_score).filter(
        status=MatchCandidate.Status.PENDING
    )


@dataclass
class BulkResult:
    accepted: int = 0  # pairs closed as accepted
    merges: int = 0  # merges made (fewer when an earlier merge already joined a pair)
    failures: list[tuple[MatchCandidate, str]] = field(default_factory=list)


def accept_all_at_least(
    *, minimum_score: float, by: AbstractBaseUser, source: str = ""
) -> BulkResult:
    """Accept every pending pair scoring ``minimum_score`` or more, highest score first.

    Each pair is its own transaction, so a pair the merge service refuses is reported in
    ``failures`` and stays open, and the others go through. Safe to run twice: a second run
    finds no pending pair left."""
    result = BulkResult()
    reason = f"Accepted in the review queue: every pair scoring {minimum_score:g} or more"
    candidates = pending_at_least(minimum_score=minimum_score, source=source).select_related(
        "source_record"
    )
    for candidate in list(candidates):
        try:
            event = accept(candidate=candidate, by=by, reason=reason)
        except ValidationError as error:
            result.failures.append((candidate, " ".join(error.messages)))
            continue
        result.accepted += 1
        result.merges += event is not None
    return result


@dataclass(frozen=True)
class PreviewRow:
    name: str
    label: str
    first_value: Any
    second_value: Any
    merged_value: Any
    provenance: survivorship.Provenanced | None


def merge_preview(*, first: Customer, second: Customer) -> list[PreviewRow]:
    """What the survivor's golden record would be if the two were merged, with where each
    value would come from. Reads only: the rules run over both customers' source records, and
    a field no record fills shows the model's default, as a recompute would write it."""
    records = list(
        SourceRecord.objects.filter(customer__in=[first.pk, second.pk]).select_related("source")
    )
    chosen = survivorship.golden_values(records)
    return [
        PreviewRow(
            name=name,
            label=str(Customer._meta.get_field(name).verbose_name),
            first_value=getattr(first, name),
            second_value=getattr(second, name),
            merged_value=chosen[name].value
            if name in chosen
            else Customer._meta.get_field(name).get_default(),
            provenance=chosen.get(name),
        )
        for name in survivorship.GOLDEN_FIELDS
    ]


def _lock_open(candidate: MatchCandidate) -> MatchCandidate:
    locked = (
        MatchCandidate.objects.select_for_update(of=("self",))
        .select_related("source_record__customer__merged_into", "customer__merged_into")
        .filter(pk=candidate.pk)
        .first()
    )
    if locked is None:
        raise ValidationError("This pair no longer exists.")
    if locked.status not in OPEN:
        raise ValidationError(f"This pair has already been {locked.get_status_display().lower()}.")
    return locked


def _close(candidate: MatchCandidate, status: str, by: AbstractBaseUser) -> None:
    now: dt.datetime = timezone.now()
    MatchCandidate.objects.filter(pk=candidate.pk).update(
        status=status, decided_by=by, decided_at=now
    )
    candidate.status, candidate.decided_by, candidate.decided_at = status, by, now
