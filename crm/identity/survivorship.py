"""Survivorship: which channel's value the golden record shows, and why.

The golden record is a function of its source records and the rules in ``RULES``. Every chosen
value keeps its provenance (the record, its source and channel, the record's date and the rule),
so an associate can see where a value came from, and a merge or unmerge can move records around
and recompute without losing anything.

A record's date is ``seen_at`` (when the channel created or last changed it) or, when the channel
did not say, ``created_at``. Every rule ends on the same tie-breaks (most recent, most trusted,
then the record's source code and external id), so the same records always give the same golden
record, whatever order they are read in.
"""

import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm import services
from crm.imports import bulk
from crm.models import Customer, HubIdentifier, Identity, Source, SourceRecord

# Street, postcode, city and country describe one place, so they come together from one record:
# a street from the till and a city from the web shop could make an address nobody lives at.
ADDRESS_FIELDS = ("street", "postcode", "city", "country")
GOLDEN_FIELDS = ("first_name", "last_name", "email", "phone", "birth_date", *ADDRESS_FIELDS)

# The identifier a source's own external id is, when it is one a person can be found by.
EXTERNAL_ID_KINDS = {
    "web": Identity.Kind.WEB_ACCOUNT,
    "app": Identity.Kind.APP_ID,
    "social": Identity.Kind.SOCIAL_HANDLE,
    "pos": Identity.Kind.POS_CUSTOMER,
}


@dataclass(frozen=True)
class Candidate:
    """One record's value for one golden field (or the address), with what the rules rank by."""

    record: SourceRecord
    value: tuple  # the values of the rule's fields, in order
    frequency: int  # how many of the customer's records hold this same value
    trust: int
    at: dt.datetime
    has_verified_email: bool
    has_mobile_phone: bool


@dataclass(frozen=True)
class Rule:
    name: str
    rank: Callable[[Candidate], tuple]  # the candidate with the highest rank wins


MOST_TRUSTED_THEN_MOST_FREQUENT = Rule(
    "most_trusted_then_most_frequent", lambda c: (c.trust, c.frequency, c.at)
)
VERIFIED_THEN_MOST_RECENT = Rule(
    "verified_then_most_recent", lambda c: (c.has_verified_email, c.at, c.trust)
)
MOBILE_THEN_MOST_RECENT = Rule(
    "mobile_then_most_recent", lambda c: (c.has_mobile_phone, c.at, c.trust)
)
MOST_FREQUENT_THEN_MOST_TRUSTED = Rule(
    "most_frequent_then_most_trusted", lambda c: (c.frequency, c.trust, c.at)
)
# A record that names a place beats one that only names a country, however recent.
ADDRESS_FROM_MOST_RECENT_RECORD = Rule(
    "address_from_most_recent_record", lambda c: (any(c.value[:3]), c.at, c.trust)
)

# The golden fields and the rule that picks each. Empty values never compete: a field no record
# fills falls back to the model's default (blank, or the chain's home country).
RULES: dict[tuple[str, ...], Rule] = {
    ("first_name",): MOST_TRUSTED_THEN_MOST_FREQUENT,
    ("last_name",): MOST_TRUSTED_THEN_MOST_FREQUENT,
    ("email",): VERIFIED_THEN_MOST_RECENT,
    ("phone",): MOBILE_THEN_MOST_RECENT,
    ("birth_date",): MOST_FREQUENT_THEN_MOST_TRUSTED,
    ADDRESS_FIELDS: ADDRESS_FROM_MOST_RECENT_RECORD,
}


@dataclass(frozen=True)
class Provenanced:
    """A golden value and where it came from."""

    value: Any
    record: SourceRecord
    rule: str

    def provenance(self) -> dict:
        return {
            "source_record": self.record.pk,
            "source": self.record.source.code,
            "channel": self.record.source.channel,
            # In UTC, as the database gives it back, whether or not the record was read from it.
            "at": record_date(self.record).astimezone(dt.UTC).isoformat(),
            "rule": self.rule,
        }


def record_date(record: SourceRecord) -> dt.datetime:
    return record.seen_at or record.created_at


@functools.lru_cache(maxsize=4096)  # parsing is slow, and recomputes see the same numbers
def is_mobile(phone: str) -> bool:
    """True for a number that is certainly a mobile (E.164 expected; anything else is not)."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE


def golden_values(
    records: list[SourceRecord], *, verified_emails: set[str] | None = None
) -> dict[str, Provenanced]:
    """The golden value of every field some record fills, with its provenance.

    ``verified_emails`` are the e-mail addresses proven to reach this person; when not given,
    they are read from the verified identities of these records and of their customers.
    """
    if len(records) == 1:
        return _values_of_one(records[0])
    if verified_emails is None:
        verified_emails = _verified_emails(records)
    facts = [
        (
            record,
            record_date(record),
            bool(record.email) and record.email in verified_emails,
            bool(record.phone) and is_mobile(record.phone),
        )
        for record in records
    ]
    chosen: dict[str, Provenanced] = {}
    for fields, rule in RULES.items():
        values = [tuple(getattr(record, field) for field in fields) for record in records]
        frequencies = Counter(values)
        candidates = [
            Candidate(
                record=record,
                value=value,
                frequency=frequencies[value],
                trust=record.source.trust,
                at=at,
                has_verified_email=has_verified_email,
                has_mobile_phone=has_mobile_phone,
            )
            for (record, at, has_verified_email, has_mobile_phone), value in zip(
                facts, values, strict=True
            )
            if any(value)
        ]
        if not candidates:
            continue
        best = max(candidates, key=lambda c, rule=rule: (*rule.rank(c), *_tie_break(c.record)))
        for field, value in zip(fields, best.value, strict=True):
            if value:
                chosen[field] = Provenanced(value=value, record=best.record, rule=rule.name)
    return chosen


def _values_of_one(record: SourceRecord) -> dict[str, Provenanced]:
    """``golden_values`` of a single record: every rule picks its values, whatever they rank."""
    chosen = {}
    for fields, rule in RULES.items():
        value = tuple(getattr(record, field) for field in fields)
        if any(value):
            for field, one in zip(fields, value, strict=True):
                if one:
                    chosen[field] = Provenanced(value=one, record=record, rule=rule.name)
    return chosen


def recompute_golden_record(*, customer: Customer) -> Customer:
    """Derive the customer's golden fields, provenance and identities from its source records.

    Idempotent and deterministic; a customer with no records keeps its golden values. Locks the
    customer row."""
    recompute_golden_records(customers=[customer])
    return customer


@transaction.atomic
def recompute_golden_records(
    *, customers: Iterable[Customer], verified: Iterable[tuple[str, str, int]] = ()
) -> None:
    """Recompute several customers at once: what merges, unmerges and detaches call.

    Their identities are rebuilt together, so a verified identifier follows its source record
    to whichever of these customers now holds it. ``verified`` adds (kind, value, source record)
    verifications remembered elsewhere: one identity row holds a value once per customer, so
    when two records of a customer gave the same verified value, the row remembers only one of
    them, and a merge's snapshot remembers the rest for its unmerge. Locks the customer rows in
    primary-key order."""
    by_pk = {customer.pk: customer for customer in customers}
    for condition in bulk.matching("id", sorted(by_pk)):
        list(Customer.objects.select_for_update().filter(condition).order_by("pk").values("pk"))
    # The few sources are read once and shared, instead of one joined copy per record.
    sources = {source.pk: source for source in Source.objects.all()}
    records_by_customer: dict[int, list[SourceRecord]] = defaultdict(list)
    for condition in bulk.matching("customer_id", sorted(by_pk)):
        # Without the raw row and the match evidence: the rules read neither.
        for record in SourceRecord.objects.filter(condition).defer("raw", "match_evidence"):
            record.source = sources[record.source_id]
            records_by_customer[record.customer_id].append(record)
    verified = _VerifiedIdentities.of_customers(list(by_pk), also=verified)
    changed: dict[int, list[str]] = {}
    for pk in sorted(by_pk):
        records = records_by_customer[pk]
        if records:
            emails = verified.values_for(customer_pk=pk, records=records, kind=Identity.Kind.EMAIL)
            chosen = golden_values(records, verified_emails=emails)
            if fields := _apply_golden_values(by_pk[pk], records, chosen):
                changed[pk] = fields
    _save_golden_values([by_pk[pk] for pk in changed], {f for fs in changed.values() for f in fs})
    _rebuild_identities(by_pk, records_by_customer, verified)


def fill_new_golden_records(*, customers: dict[int, Customer], records_by_customer) -> None:
    """Set the golden values of customers not saved yet from their records, also not saved
    yet (an import's new customers): the values, provenance, member-since date, last channel
    and completeness ``recompute_golden_records`` would write, without reading anything. No
    identity can have been verified on records that were never saved, nor on a customer that
    does not exist, so no verified e-mail takes part."""
    for pk, customer in customers.items():
        records = records_by_customer[pk]
        _apply_golden_values(customer, records, golden_values(records, verified_emails=set()))


def insert_new_identities(*, records_by_customer: dict[int, list[SourceRecord]]) -> None:
    """Insert the identities of customers created from records never saved before (see
    ``fill_new_golden_records``): the rows ``recompute_golden_records`` would build for them,
    in one set-based insert. Hub identifiers are left out, as there."""
    nothing_verified = _VerifiedIdentities(frozenset(), frozenset())
    _insert_identities(_wanted_identities(records_by_customer, nothing_verified))


def identity_values(record: SourceRecord) -> list[tuple[str, str]]:
    """The (kind, value) identifiers a source record gives its customer."""
    values = [
        (Identity.Kind.EMAIL, record.email),
        (Identity.Kind.PHONE, record.phone),
        (Identity.Kind.LOYALTY_CARD, record.loyalty_card),
    ]
    if kind := EXTERNAL_ID_KINDS.get(record.source.code):
        values.append((kind, record.external_id))
    return [(str(kind), value.strip()) for kind, value in values if value.strip()]


def _tie_break(record: SourceRecord) -> tuple:
    return (record_date(record), record.source.trust, record.source.code, record.external_id)


def _apply_golden_values(
    customer: Customer, records: list[SourceRecord], chosen: dict[str, Provenanced]
) -> list[str]:
    """Set what changed on ``customer``, and return the names of the fields it changed."""
    latest = max(records, key=_tie_break)
    wanted: dict[str, Any] = {
        field: chosen[field].value
        if field in chosen
        else Customer._meta.get_field(field).get_default()
        for field in GOLDEN_FIELDS
    }
    wanted["provenance"] = {field: chosen[field].provenance() for field in sorted(chosen)}
    wanted["member_since"] = min(timezone.localdate(record_date(r)) for r in records)
    wanted["last_channel"] = latest.source.channel
    changed = [field for field, value in wanted.items() if getattr(customer, field) != value]
    for field in changed:
        setattr(customer, field, wanted[field])
    completeness = services.profile_completeness(customer)
    if customer.profile_completeness != completeness:
        customer.profile_completeness = completeness
        changed.append("profile_completeness")
    return changed


def _save_golden_values(customers: list[Customer], fields: set[str]) -> None:
    """Write the changed customers in one set-based update (the union of the fields any of
    them changed): a recompute that changes nothing writes nothing."""
    if not customers:
        return
    now = timezone.now()
    names = sorted(fields)
    for customer in customers:
        customer.updated_at = now  # what save() would have done (auto_now)
    columns = [Customer._meta.get_field(name).attname for name in names]
    bulk.update_rows(
        Customer,
        [*columns, "updated_at"],
        ([c.pk, *(getattr(c, name) for name in columns), now] for c in customers),
    )


@dataclass(frozen=True)
class _VerifiedIdentities:
    """Which identifiers were verified, read before identities are rebuilt.

    A verification made on a record's identifier belongs to that record, and one added by hand
    (no source record) belongs to the customer it was added to."""

    by_record: frozenset[tuple[str, str, int]]  # kind, value, source record
    by_hand: frozenset[tuple[str, str, int]]  # kind, value, customer

    @classmethod
    def of_customers(
        cls, customer_pks: list[int], *, also: Iterable[tuple[str, str, int]] = ()
    ) -> "_VerifiedIdentities":
        by_record, by_hand = {tuple(fact) for fact in also}, set()
        for kind, value, record_pk, customer_pk in verified_identities(customer_pks):
            if record_pk is None:
                by_hand.add((kind, value, customer_pk))
            else:
                by_record.add((kind, value, record_pk))
        return cls(frozenset(by_record), frozenset(by_hand))

    def values_for(self, *, customer_pk: int, records: list[SourceRecord], kind: str) -> set[str]:
        record_pks = {record.pk for record in records}
        return {v for k, v, pk in self.by_record if k == kind and pk in record_pks} | {
            v for k, v, pk in self.by_hand if k == kind and pk == customer_pk
        }

    def is_verified(self, kind: str, value: str, record: SourceRecord) -> bool:
        return (kind, value, record.pk) in self.by_record


def verified_identities(customer_pks: list[int]) -> list[tuple[str, str, int | None, int]]:
    """(kind, value, source record, customer) of the verified identities of these customers and
    of their records."""
    # Two indexed lookups, not one OR across a join (which PostgreSQL answers with a scan of
    # every identity: slow once a batch recompute runs against millions of them).
    fields = ("kind", "value", "source_record", "customer")
    verified = Identity.objects.filter(is_verified=True).order_by()
    lookups = [
        verified.filter(condition).values_list(*fields)
        for column in ("customer_id", "source_record__customer_id")
        for condition in bulk.matching(column, customer_pks)
    ]
    if not lookups:
        return []
    return list(lookups[0].union(*lookups[1:]))


def _verified_emails(records: list[SourceRecord]) -> set[str]:
    emails = {record.email for record in records if record.email}
    if not emails:
        return set()
    record_pks = [record.pk for record in records if record.pk]
    customer_pks = {record.customer_id for record in records if record.customer_id}
    return set(
        Identity.objects.filter(kind=Identity.Kind.EMAIL, is_verified=True, value__in=emails)
        .filter(
            Q(source_record__in=record_pks)
            | Q(source_record__isnull=True, customer__in=customer_pks)
        )
        .values_list("value", flat=True)
    )


def _rebuild_identities(
    customers: dict[int, Customer],
    records_by_customer: dict[int, list[SourceRecord]],
    verified: _VerifiedIdentities,
) -> None:
    """Make each customer's record-derived identities match its records.

    Identities added by hand (no source record) are kept as they are; a value listed as a hub
    identifier is never an identity. Rows that stay keep their id and creation date."""
    wanted = _wanted_identities(records_by_customer, verified)
    stale, changed = [], []
    stored = [
        row
        for condition in bulk.matching("customer_id", sorted(customers))
        for row in Identity.objects.filter(condition).values_list(
            "pk", "customer_id", "kind", "value", "source_record_id", "is_verified"
        )
    ]
    for pk, customer_pk, kind, value, record_pk, was_verified in stored:
        key = (customer_pk, kind, value)
        if record_pk is None:
            wanted.pop(key, None)  # added by hand: it already says so
        elif key not in wanted:
            stale.append(pk)
        else:
            record, is_verified = wanted.pop(key)
            if (record_pk, was_verified) != (record.pk, is_verified):
                changed.append((pk, record.pk, is_verified))
    if stale:
        Identity.objects.filter(pk__in=stale).delete()
    if changed:  # few, when any (records moved by a merge): one UPDATE
        Identity.objects.bulk_update(
            [Identity(pk=pk, source_record_id=record, is_verified=v) for pk, record, v in changed],
            ["source_record", "is_verified"],
        )
    _insert_identities(wanted)


def _wanted_identities(
    records_by_customer: dict[int, list[SourceRecord]], verified: _VerifiedIdentities
) -> dict[tuple[int, str, str], tuple[SourceRecord, bool]]:
    """(customer, kind, value) → (the record that gives it, verified?) for every identifier
    the customers' records give, hub identifiers left out."""
    wanted: dict[tuple[int, str, str], tuple[SourceRecord, bool]] = {}
    for customer_pk, records in records_by_customer.items():
        for record in sorted(records, key=_tie_break, reverse=True):
            for kind, value in identity_values(record):
                is_verified = verified.is_verified(kind, value, record)
                key = (customer_pk, kind, value)
                # One row per value: a record that verified it first, then the most recent.
                if key not in wanted or (is_verified and not wanted[key][1]):
                    wanted[key] = (record, is_verified)
    hubs = {
        hub
        for condition in bulk.matching("value", {value for _, _, value in wanted})
        for hub in HubIdentifier.objects.filter(condition).values_list("kind", "value")
    }
    return {key: pick for key, pick in wanted.items() if key[1:] not in hubs}


def _insert_identities(wanted: dict[tuple[int, str, str], tuple[SourceRecord, bool]]) -> None:
    if not wanted:
        return
    now = timezone.now()
    bulk.insert_rows(
        Identity,
        ["customer_id", "kind", "value", "source_record_id", "is_verified", "created_at"],
        (
            (customer_pk, kind, value, record.pk, is_verified, now)
            for (customer_pk, kind, value), (record, is_verified) in sorted(
                wanted.items(), key=lambda item: item[0]
            )
        ),
    )
