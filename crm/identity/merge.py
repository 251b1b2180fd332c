"""Merge, unmerge and detach: move source records, and what hangs off a customer, between
customers without losing a row, then recompute the golden records from the records.

What moves, and what does not:

- A merge moves *every* row of the absorbed customer that points at it: source records, orders,
  interactions, notes, preferences, consents, cases and the identities added by hand (identities
  derived from records are rebuilt from the records). Its event's snapshot lists the ids, per
  model, so an unmerge moves back exactly those rows.
- Orders, interactions, consents and preferences that carry a source record follow that record:
  on unmerge they go back with it even if they arrived after the merge. Rows created on the
  survivor after the merge with no source record (a note, a case, a consent captured at the till)
  stay with the survivor: nobody can tell which of the two people they were about, and the
  survivor is who the associate was looking at.
- A preference (or hand-added identity) the survivor already has is not duplicated: the
  survivor's row is kept, the absorbed one is deleted and written whole into the snapshot, and
  the unmerge inserts it again under its original id.
- Campaign memberships belong to the campaigns app, which imports crm and not the other way
  round. They stay on the absorbed customer, which keeps its id and points at the survivor
  through ``merged_into``; campaign code follows that pointer. An unmerge needs no campaign work.
- Review-queue candidates (``MatchCandidate``) stay as they are, for the same reason: the review
  screen resolves a merged customer through ``merged_into``.

Consent is a ledger: its rows move by re-pointing their customer with a queryset update, which
leaves every entry as it was recorded. The state in force is ``consent_state``.

Locks: every service locks the customers it touches with ``select_for_update``, in primary-key
order in one statement, so two merges that share a customer wait for each other instead of
deadlocking. Code that attaches rows to a customer should lock the customer row the same way.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from crm.identity import survivorship
from crm.models import (
    Case,
    Consent,
    Customer,
    Identity,
    Interaction,
    MergeEvent,
    Note,
    Order,
    Preference,
    SourceRecord,
)

# Rows that belong to their source record, and so follow it between customers.
FOLLOW_THEIR_RECORD: dict[str, type[models.Model]] = {
    "orders": Order,
    "interactions": Interaction,
    "consents": Consent,
    "preferences": Preference,
}
# Rows that belong to the customer only.
CUSTOMER_ONLY: dict[str, type[models.Model]] = {"notes": Note, "cases": Case}
# Rows unique per customer and value: a merge keeps the survivor's, and snapshots the dropped one.
DEDUPLICATED: dict[str, type[models.Model]] = {"preferences": Preference, "identities": Identity}


@transaction.atomic
def merge_customers(
    *,
    survivor: Customer,
    other: Customer,
    by: AbstractBaseUser | None = None,
    reason: str = "",
    score: float | None = None,
    evidence: dict | None = None,
) -> MergeEvent:
    """Move everything of ``other`` to ``survivor``, mark ``other`` merged into it, and recompute.

    Returns the merge event, whose snapshot says exactly which rows moved (ids per model), so
    ``unmerge`` can undo it. Refuses a customer merged into itself, and a customer that is not
    active. Locks both customers and those already merged into ``other``. Its number of
    queries does not grow with the number of orders or interactions."""
    if survivor.pk == other.pk:
        raise ValidationError("A customer cannot be merged into itself.")
    locked = _lock_customers(Q(pk__in=[survivor.pk, other.pk]) | Q(merged_into=other.pk))
    for customer in (locked[survivor.pk], locked[other.pk]):
        _refuse_unless_active(customer)

    records = _pks(SourceRecord.objects.filter(customer=other))
    snapshot: dict[str, Any] = {"source_records": records}
    for key, model in FOLLOW_THEIR_RECORD.items():
        rows = model.objects.filter(Q(customer=other) | Q(source_record__in=records))
        snapshot[key] = _pks(rows)
    for key, model in CUSTOMER_ONLY.items():
        snapshot[key] = _pks(model.objects.filter(customer=other))
    snapshot["identities"] = _pks(Identity.objects.filter(customer=other, source_record=None))
    for key, model in DEDUPLICATED.items():
        duplicates = _duplicates_of(model, pks=snapshot[key], customer=survivor)
        snapshot[key] = sorted(set(snapshot[key]) - {row.pk for row in duplicates})
        snapshot[f"dropped_{key}"] = [_row_as_json(row) for row in duplicates]
        if duplicates:
            model.objects.filter(pk__in=[row.pk for row in duplicates]).delete()
    # Which record verified which identifier, on both sides: after the merge one identity row
    # holds a value shared by both, and can remember only one record's verification.
    snapshot["verified_identities"] = sorted(
        [kind, value, record]
        for kind, value, record, _ in survivorship.verified_identities([survivor.pk, other.pk])
        if record is not None
    )
    # Customers merged into ``other`` earlier now point at the survivor, so that a merged
    # customer always points at an active one.
    snapshot["repointed_customers"] = sorted(
        pk for pk in locked if pk not in (survivor.pk, other.pk)
    )

    SourceRecord.objects.filter(pk__in=records).update(customer=survivor)
    for key, model in {**FOLLOW_THEIR_RECORD, **CUSTOMER_ONLY, "identities": Identity}.items():
        model.objects.filter(pk__in=snapshot[key]).update(customer=survivor)
    Customer.objects.filter(pk__in=snapshot["repointed_customers"]).update(merged_into=survivor)
    other.status, other.merged_into = Customer.Status.MERGED, survivor
    other.save(update_fields=["status", "merged_into", "updated_at"])
    survivorship.recompute_golden_records(customers=[survivor, other])
    return MergeEvent.objects.create(
        kind=MergeEvent.Kind.MERGE,
        survivor=survivor,
        other=other,
        moved_source_records=records,
        snapshot=snapshot,
        reason=reason,
        score=score,
        evidence=evidence or {},
        performed_by=by,
    )


@transaction.atomic
def unmerge(
    *, event: MergeEvent, by: AbstractBaseUser | None = None, reason: str = ""
) -> MergeEvent:
    """Undo a merge: give the absorbed customer back the rows the merge took from it.

    Rows are taken from whoever holds them now, so a merge can be undone after its survivor was
    itself merged into someone else, or after one of its records was detached. Rows that have
    since been deleted stay deleted; rows created on the survivor after the merge with no source
    record stay there (see the module docstring). Reactivates the absorbed customer, recomputes
    every customer involved, and refuses to undo the same merge twice. Locks the customers."""
    event = MergeEvent.objects.select_for_update().get(pk=event.pk)
    if event.kind != MergeEvent.Kind.MERGE:
        raise ValidationError("Only a merge can be undone.")
    if MergeEvent.objects.filter(undoes=event).exists():
        raise ValidationError("This merge has already been undone.")
    snapshot = event.snapshot
    locked, holders = _lock_holders(
        snapshot, also=[event.other_id, *snapshot["repointed_customers"]]
    )
    absorbed = locked[event.other_id]
    if absorbed.status != Customer.Status.MERGED:
        raise ValidationError("The absorbed customer is no longer merged; nothing to undo.")

    records = _pks(SourceRecord.objects.filter(pk__in=snapshot["source_records"]))
    moved: dict[str, Any] = {"source_records": records}
    SourceRecord.objects.filter(pk__in=records).update(customer=absorbed)
    for key, model in {**FOLLOW_THEIR_RECORD, **CUSTOMER_ONLY, "identities": Identity}.items():
        rows = model.objects.filter(pk__in=snapshot[key])
        if key in FOLLOW_THEIR_RECORD:
            # A row follows its record; the snapshot decides only for rows without one.
            rows = model.objects.filter(
                Q(pk__in=snapshot[key], source_record__isnull=True) | Q(source_record__in=records)
            )
        if key in DEDUPLICATED:
            rows = rows.exclude(pk__in=_already_brought(rows, joining=absorbed.pk))
        moved[key] = _pks(rows)
        model.objects.filter(pk__in=moved[key]).update(customer=absorbed)
    gone = {
        key: set(snapshot[key]) - set(_pks(model.objects.filter(pk__in=snapshot[key])))
        for key, model in DEDUPLICATED.items()
    }
    taken_back = _take_back_from_later_merges(event, moved=dict(moved), gone=gone)
    for key, model in DEDUPLICATED.items():
        dropped = event.snapshot[f"dropped_{key}"] + taken_back[key]
        moved[f"restored_{key}"] = _restore_rows(model, dropped, customer=absorbed)

    absorbed.status, absorbed.merged_into = Customer.Status.ACTIVE, None
    absorbed.save(update_fields=["status", "merged_into", "updated_at"])
    moved["repointed_customers"] = _repoint_merged(snapshot["repointed_customers"])
    moved["from_customers"] = sorted(holders - {absorbed.pk})
    survivorship.recompute_golden_records(
        customers=[absorbed, *(locked[pk] for pk in moved["from_customers"])],
        verified=snapshot.get("verified_identities", []),
    )
    return MergeEvent.objects.create(
        kind=MergeEvent.Kind.UNMERGE,
        survivor_id=event.survivor_id,
        other=absorbed,
        moved_source_records=records,
        snapshot=moved,
        reason=reason,
        undoes=event,
        performed_by=by,
    )


@transaction.atomic
def detach_source_record(
    *, record: SourceRecord, by: AbstractBaseUser | None = None, reason: str = ""
) -> MergeEvent:
    """Split one source record off its customer into a new customer of its own.

    The record takes its orders, interactions, and the consents and preferences that came from
    it; notes and cases stay. Refuses the customer's only record (there would be nothing left to
    split from). Locks the customer. Undo it by merging the new customer back."""
    if record.customer_id is None:
        raise ValidationError("This source record belongs to no customer.")
    customer = _lock_customers(Q(pk=record.customer_id))[record.customer_id]
    record = SourceRecord.objects.select_for_update().get(pk=record.pk)
    if record.customer_id != customer.pk:
        raise ValidationError("This source record has just moved; try again.")
    _refuse_unless_active(customer)
    if not SourceRecord.objects.filter(customer=customer).exclude(pk=record.pk).exists():
        raise ValidationError("This is the customer's only source record: nothing to detach.")

    new_customer = Customer.objects.create(language=customer.language)
    snapshot: dict[str, Any] = {
        "source_records": [record.pk],
        "match_rule_before": record.match_rule,
    }
    for key, model in FOLLOW_THEIR_RECORD.items():
        snapshot[key] = _pks(model.objects.filter(source_record=record))
        model.objects.filter(pk__in=snapshot[key]).update(customer=new_customer)
    SourceRecord.objects.filter(pk=record.pk).update(
        customer=new_customer, match_rule=SourceRecord.MatchRule.DETACHED, linked_at=timezone.now()
    )
    survivorship.recompute_golden_records(customers=[customer, new_customer])
    return MergeEvent.objects.create(
        kind=MergeEvent.Kind.DETACH,
        survivor=customer,
        other=new_customer,
        moved_source_records=[record.pk],
        snapshot=snapshot,
        reason=reason,
        performed_by=by,
    )


def consent_state(*, customer: Customer) -> dict[tuple[str, str], Consent]:
    """The consent entry in force per (purpose, channel): the newest one recorded.

    On an exact tie in ``recorded_at`` the withdrawal wins, so after a merge a withdrawal on
    either side is never overridden by a grant that is not newer."""
    state: dict[tuple[str, str], Consent] = {}
    for consent in Consent.objects.filter(customer=customer):
        key = (consent.purpose, consent.channel)
        if key not in state or _consent_rank(consent) > _consent_rank(state[key]):
            state[key] = consent
    return state


def _consent_rank(consent: Consent) -> tuple:
    return (consent.recorded_at, not consent.is_granted, consent.pk)


def _pks(rows: models.QuerySet) -> list[int]:
    return sorted(rows.order_by().values_list("pk", flat=True))


def _lock_customers(condition: Q) -> dict[int, Customer]:
    rows = Customer.objects.select_for_update().filter(condition).order_by("pk")
    return {customer.pk: customer for customer in rows}


def _refuse_unless_active(customer: Customer) -> None:
    if customer.status == Customer.Status.MERGED:
        raise ValidationError(f"{customer} has already been merged into another customer.")
    if customer.status == Customer.Status.ERASED:
        raise ValidationError(f"{customer} was erased on a privacy request and cannot be merged.")


def _holders(snapshot: dict) -> set[int]:
    """The customers that hold, now, any row a merge snapshot lists."""
    records = snapshot["source_records"]
    holders = set(SourceRecord.objects.filter(pk__in=records).values_list("customer", flat=True))
    for key, model in {**FOLLOW_THEIR_RECORD, **CUSTOMER_ONLY, "identities": Identity}.items():
        condition = Q(pk__in=snapshot[key])
        if key in FOLLOW_THEIR_RECORD:
            condition |= Q(source_record__in=records)
        holders |= set(model.objects.filter(condition).values_list("customer", flat=True))
    return holders - {None}


def _lock_holders(snapshot: dict, *, also: Iterable[int]) -> tuple[dict[int, Customer], set[int]]:
    """Lock the customers holding the snapshot's rows. If a concurrent merge moved rows to a
    customer not yet locked while we waited, lock again including it."""
    wanted = set(also) | _holders(snapshot)
    while True:
        locked = _lock_customers(Q(pk__in=wanted))
        holders = _holders(snapshot)
        if holders <= wanted:
            return locked, holders
        wanted |= holders


def _already_brought(rows: models.QuerySet, *, joining: int) -> list[int]:
    """Of rows unique per (customer, kind, value) about to join a customer, the ids that must
    stay where they are because the customer, or an earlier row (by id), brings that value."""
    seen: set[tuple[str, str]] = set()
    held = set(rows.model.objects.filter(customer=joining).values_list("kind", "value"))
    staying = []
    for pk, kind, value in rows.order_by("pk").values_list("pk", "kind", "value"):
        if (kind, value) in seen or (kind, value) in held:
            staying.append(pk)
        seen.add((kind, value))
    return staying


def _duplicates_of(model: type[models.Model], *, pks: list[int], customer: Customer) -> list:
    """The rows among ``pks`` whose (kind, value) the customer already holds."""
    held = set(model.objects.filter(customer=customer).values_list("kind", "value"))
    return [row for row in model.objects.filter(pk__in=pks) if (row.kind, row.value) in held]


def _take_back_from_later_merges(
    event: MergeEvent, *, moved: dict[str, list[int]], gone: dict[str, set[int]]
) -> dict[str, list[dict]]:
    """Rows an unmerge gives back belong to the absorbed customer again, not to the customer a
    later merge took them from: take them out of the snapshots of later merges not undone, so
    undoing one of those afterwards does not carry them off again. Rows the event had moved that
    a later merge dropped as duplicates come out of its snapshot too, to be restored here.

    Reads every later merge not undone; an unmerge is a rare, manual act."""
    taken: dict[str, list[dict]] = {key: [] for key in gone}
    later = MergeEvent.objects.select_for_update(of=("self",)).filter(
        kind=MergeEvent.Kind.MERGE, pk__gt=event.pk, undone_by__isnull=True
    )
    given_back = {key: set(pks) for key, pks in moved.items()}
    for later_event in later.order_by("pk"):
        snapshot, changed = later_event.snapshot, False
        for key, pks in given_back.items():
            remaining = [pk for pk in snapshot.get(key, []) if pk not in pks]
            if len(remaining) != len(snapshot.get(key, [])):
                snapshot[key], changed = remaining, True
        for key, pks in gone.items():
            dropped = snapshot.get(f"dropped_{key}", [])
            back = [row for row in dropped if row["id"] in pks]
            if back:
                taken[key] += back
                snapshot[f"dropped_{key}"] = [row for row in dropped if row["id"] not in pks]
                changed = True
        if changed:
            later_event.moved_source_records = snapshot["source_records"]
            later_event.save(update_fields=["snapshot", "moved_source_records"])
    return taken


def _restore_rows(model: type[models.Model], rows: list[dict], *, customer: Customer) -> list[int]:
    """Insert again, on ``customer``, rows a merge dropped as duplicates, under their original
    ids; a value the customer holds again already is not duplicated."""
    held = set(model.objects.filter(customer=customer).values_list("kind", "value"))
    restored = []
    for row in sorted(rows, key=lambda row: row["id"]):
        instance = _row_from_json(model, row)
        instance.customer = customer
        _forget_vanished_references(instance)
        if (instance.kind, instance.value) in held:
            continue
        held.add((instance.kind, instance.value))
        restored.append(instance)
    model.objects.bulk_create(restored)
    return [instance.pk for instance in restored]


def _repoint_merged(customer_pks: list[int]) -> list[int]:
    """Point each still-merged customer at the active customer its own merge now leads to."""
    repointed = []
    for customer in Customer.objects.filter(pk__in=customer_pks, status=Customer.Status.MERGED):
        target = _merged_into_now(customer.pk)
        if target != customer.merged_into_id:
            Customer.objects.filter(pk=customer.pk).update(merged_into=target)
            repointed.append(customer.pk)
    return repointed


def _merged_into_now(customer_pk: int) -> int:
    """Follow merges not undone from a merged customer to the active customer at the end."""
    current, seen = customer_pk, {customer_pk}
    while True:
        event = (
            MergeEvent.objects.filter(
                kind=MergeEvent.Kind.MERGE, other=current, undone_by__isnull=True
            )
            .order_by("-pk")
            .first()
        )
        if event is None:
            return current
        current = event.survivor_id
        if current in seen:
            raise ValidationError("Merges form a loop; the merge history needs a review.")
        seen.add(current)
        if Customer.objects.filter(pk=current, status=Customer.Status.ACTIVE).exists():
            return current


def _row_as_json(instance: models.Model) -> dict:
    """Every column of a row, in JSON, losslessly (dates keep their microseconds)."""
    row = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()
        row[field.attname] = value
    return row


def _forget_vanished_references(instance: models.Model) -> None:
    """A restored row may name a user or record deleted since it was dropped: forget those."""
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if field.is_relation and field.null and value is not None:
            target = field.related_model._default_manager.filter(pk=value)
            if not target.exists():
                setattr(instance, field.attname, None)


def _row_from_json(model: type[models.Model], row: dict) -> Any:
    return model(
        **{
            field.attname: field.to_python(row[field.attname])
            for field in model._meta.concrete_fields
            if field.attname in row
        }
    )
