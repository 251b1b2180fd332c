"""Identity resolution against the database: which customer each new channel record is.

Imports call ``resolve_records`` once per batch of rows. The rules, strongest first:

1. A record already linked (seen in an earlier import, merged or detached by hand) keeps its
   customer: re-importing a row never moves it.
2. A strong identifier another customer already has links to that customer:
   - a loyalty card, unless first name *and* birth date both differ (a card handed to a relative);
   - an e-mail, when the first names agree or one of them is missing (a family shares an e-mail);
   - a mobile phone, when the first names agree (landlines are shared by households and never
     link on their own).
   When identifiers point at different customers, the one with more of them wins, then the
   stronger kind (card, e-mail, phone), then the oldest customer.
3. A value in ``HubIdentifier``, held by more than ``HUB_CUSTOMER_LIMIT`` customers, or by more
   people than that within the batch (the shop's phone, ``noemail@…``) never links; it is
   recorded as a hub identifier so the manager sees it and golden records leave it out.
4. Records with no usable strong identifier go to ``decide_without_strong_identifier``: the seam
   where the probabilistic engine (``crm/identity/match.py``) plugs in, with its two thresholds
   (link above, review queue between, new customer below). Until a trained model is
   configured it decides "new customer".

Records of one batch are resolved in file order against the database *and* each other, so two
rows of the same person in one file end up on one customer. Golden records are recomputed once
per touched customer, in bulk.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from crm.identity import match, normalize, survivorship
from crm.identity.scoring import PersonRecord, clean
from crm.models import (
    Customer,
    HubIdentifier,
    Identity,
    ImportBatch,
    MatchCandidate,
    SourceRecord,
)

HUB_CUSTOMER_LIMIT = 3
# Plain strings (not the enum members), so they hash like the values read from the database.
CARD, EMAIL, PHONE = "loyalty_card", "email", "phone"
# Strongest first: the order in which identifiers break a tie between two customers.
STRONG_KINDS = (CARD, EMAIL, PHONE)

NEW = "new"
LINK = "link"
REVIEW = "review"


@dataclass
class ResolutionCounts:
    new: int = 0
    linked: int = 0
    review: int = 0


@dataclass(frozen=True)
class Decision:
    """What to do with one record: link it to ``customer_id``, make it a new customer, or make
    it a new customer and ask a manager whether it is ``customer_id`` (review)."""

    action: str
    customer_id: int | None = None
    rule: str = SourceRecord.MatchRule.NEW
    score: float | None = None
    evidence: dict = field(default_factory=dict)


# An owner of an identifier value: ("customer", pk) for a customer in the database, or
# ("group", n) for a new customer this batch is about to create.
Owner = tuple[str, int]


@dataclass
class _OwnerFacts:
    first_names: set[str] = field(default_factory=set)
    birth_dates: set = field(default_factory=set)


def resolve_records(
    *, records: list[SourceRecord], batch: ImportBatch | None = None
) -> ResolutionCounts:
    """Link every record without a customer to one (existing or new), recompute the golden
    records of all customers the records belong to, and count what happened.

    Records not saved yet are inserted once their customer is known (one INSERT each, no
    UPDATE after). Runs in the caller's transaction (or its own); creates customers, hub
    identifiers and review candidates; never moves a record already linked.
    """
    with transaction.atomic():
        return _resolve(records, batch)


def _resolve(records: list[SourceRecord], batch: ImportBatch | None) -> ResolutionCounts:
    counts = ResolutionCounts()
    unresolved = [record for record in records if record.customer_id is None]
    index = _IdentifierIndex.load(unresolved)
    # Each record either joins an owner by a strong identifier (a customer, or a new customer
    # founded earlier in this batch) or founds a new one, in file order, so that later rows of
    # the same person find it.
    joined: dict[int, tuple[Owner, Decision]] = {}
    founders: dict[int, int] = {}  # group → position of its first record
    for position, record in enumerate(unresolved):
        decision = index.strong_decision(record)
        if decision is None:
            founders[index.new_group(record)] = position
        else:
            joined[position] = decision
            index.add(decision[0], record)
    # A new person the strong identifiers did not know may still be an existing customer:
    # the probabilistic seam decides for the first record of each new group.
    groups = list(founders)
    engine = decide_without_strong_identifier(
        records=[unresolved[founders[group]] for group in groups]
    )
    engine_decision = dict(zip(groups, engine, strict=True))
    linked_group = {
        group: decision.customer_id
        for group, decision in engine_decision.items()
        if decision.action == LINK
    }
    to_create = [group for group in groups if group not in linked_group]
    first_seen = {}
    for group in to_create:
        record = unresolved[founders[group]]
        first_seen[group] = record.seen_at or record.created_at
    for position, (owner, _) in joined.items():
        if owner[0] == "group" and owner[1] in first_seen:
            record = unresolved[position]
            first_seen[owner[1]] = min(first_seen[owner[1]], record.seen_at or record.created_at)
    created = Customer.objects.bulk_create(
        [Customer(created_at=first_seen[group]) for group in to_create]
    )
    customer_of_group = {
        group: customer.pk for group, customer in zip(to_create, created, strict=True)
    }
    customer_of_group.update(linked_group)

    now = timezone.now()
    candidates = []
    founder_positions = {position: group for group, position in founders.items()}
    for position, record in enumerate(unresolved):
        if position in founder_positions:
            group = founder_positions[position]
            decision = engine_decision[group]
            record.customer_id = customer_of_group[group]
            if decision.action == LINK:
                record.match_rule = SourceRecord.MatchRule.PROBABILISTIC
                counts.linked += 1
            else:
                record.match_rule = SourceRecord.MatchRule.NEW
                counts.new += 1
            record.match_score = decision.score
            record.match_evidence = decision.evidence
            if decision.action == REVIEW:
                counts.review += 1
                candidates.append(
                    MatchCandidate(
                        source_record=record,
                        customer_id=decision.customer_id,
                        score=decision.score or 0.0,
                        evidence=decision.evidence,
                    )
                )
        else:
            owner, decision = joined[position]
            record.customer_id = owner[1] if owner[0] == "customer" else customer_of_group[owner[1]]
            record.match_rule = decision.rule
            record.match_score = decision.score
            record.match_evidence = decision.evidence
            counts.linked += 1
        record.linked_at = now
    # New records are inserted once their customer is known: one INSERT, no UPDATE after.
    to_insert = [record for record in unresolved if record.pk is None]
    to_update = [record for record in unresolved if record.pk is not None]
    SourceRecord.objects.bulk_create(to_insert, batch_size=1000)
    if to_insert and to_insert[0].pk is None:  # a database that does not return ids
        _read_back_pks(to_insert)
    if to_update:
        SourceRecord.objects.bulk_update(
            to_update, ["customer", "match_rule", "match_score", "match_evidence", "linked_at"]
        )
    if candidates:
        MatchCandidate.objects.bulk_create(candidates, ignore_conflicts=True)
    index.save_hubs()
    touched = Customer.objects.filter(pk__in={record.customer_id for record in records})
    survivorship.recompute_golden_records(customers=list(touched))
    return counts


def _read_back_pks(records: list[SourceRecord]) -> None:
    by_key = {(record.source_id, record.external_id): record for record in records}
    for pk, source_pk, external_id in SourceRecord.objects.filter(
        external_id__in=[record.external_id for record in records]
    ).values_list("pk", "source_id", "external_id"):
        if (source_pk, external_id) in by_key:
            by_key[(source_pk, external_id)].pk = pk


def decide_without_strong_identifier(*, records: list[SourceRecord]) -> list[Decision]:
    """One decision per record that no strong identifier resolved: the probabilistic seam.

    This is where ``match.score_against`` plugs in (candidates found by blocking keys, scored
    with a trained model, link above ``MatchConfig.link_threshold``, review between the two
    thresholds, new below). No trained model is stored yet, so every record is a new customer.
    """
    return [Decision(action=NEW) for _ in records]


def person_record(record: SourceRecord, *, phone_kind: str | None = None) -> PersonRecord:
    """A source record in the comparison forms the matching engine reads."""
    return PersonRecord(
        record_id=f"{record.source_id}:{record.external_id}",
        first_name=normalize.normalize_name(record.first_name),
        last_name=normalize.normalize_name(record.last_name),
        email=record.email,
        phone=record.phone,
        phone_kind=phone_kind if phone_kind is not None else normalize.phone_kind(record.phone),
        birth_date=record.birth_date.isoformat() if record.birth_date else "",
        street=normalize.normalize_street(record.street),
        postcode=record.postcode,
        city=normalize.normalize_city(record.city),
        loyalty_card=record.loyalty_card,
        source=str(record.source_id),
    )


def _values(record: SourceRecord, phone_kind: str) -> list[tuple[str, str]]:
    values = []
    if record.loyalty_card:
        values.append((CARD, record.loyalty_card))
    if record.email:
        values.append((EMAIL, record.email))
    if record.phone and phone_kind == "mobile":
        values.append((PHONE, record.phone))
    return values


def _names_agree(first: str, others: set[str], *, missing_agrees: bool) -> bool:
    if not first or not others or others == {""}:
        return missing_agrees
    for other in others:
        if not other:
            if missing_agrees:
                return True
            continue
        if other == first:
            return True
        is_initial = normalize.is_initial(first) or normalize.is_initial(other)
        if is_initial and first[0] == other[0]:
            return True
    return False


class _IdentifierIndex:
    """Who holds each strong identifier value: customers in the database, and the new
    customers of this batch as they are decided."""

    def __init__(self) -> None:
        self.owners: dict[tuple[str, str], list[Owner]] = defaultdict(list)
        self.facts: dict[Owner, _OwnerFacts] = defaultdict(_OwnerFacts)
        self.hubs: set[tuple[str, str]] = set()
        self.new_hubs: dict[tuple[str, str], int] = {}
        self.phone_kinds: dict[str, str] = {}
        self.groups = 0

    @classmethod
    def load(cls, records: list[SourceRecord]) -> "_IdentifierIndex":
        index = cls()
        wanted: dict[str, set[str]] = defaultdict(set)
        for record in records:
            kind = index.phone_kind(record.phone)
            for identifier_kind, value in _values(record, kind):
                wanted[identifier_kind].add(value)
        all_values = set().union(*wanted.values()) if wanted else set()
        index.hubs = set(
            HubIdentifier.objects.filter(value__in=all_values).values_list("kind", "value")
        )
        holders: dict[tuple[str, str], set[int]] = defaultdict(set)
        for kind, values in wanted.items():
            rows = Identity.objects.filter(
                kind=kind, value__in=values, customer__status=Customer.Status.ACTIVE
            ).values_list("value", "customer_id")
            for value, customer_id in rows:
                holders[(kind, value)].add(customer_id)
        for key, customers in holders.items():
            if len(customers) > HUB_CUSTOMER_LIMIT:
                index.hubs.add(key)
                index.new_hubs[key] = len(customers)
                continue
            index.owners[key] = [("customer", pk) for pk in sorted(customers)]
        customer_pks = {owner[1] for owners in index.owners.values() for owner in owners}
        for customer_pk, first_name, birth_date in SourceRecord.objects.filter(
            customer__in=customer_pks
        ).values_list("customer_id", "first_name", "birth_date"):
            facts = index.facts[("customer", customer_pk)]
            facts.first_names.add(normalize.normalize_name(first_name))
            if birth_date:
                facts.birth_dates.add(birth_date)
        index._batch_hubs(records)
        return index

    def _batch_hubs(self, records: list[SourceRecord]) -> None:
        """Values shared by too many different people within this batch alone."""
        people = [person_record(record, phone_kind="") for record in records]
        found = match.find_hub_values(
            people,
            HUB_CUSTOMER_LIMIT,
            (EMAIL, PHONE, CARD),
        )
        if not found:
            return
        by_clean = {
            (kind, clean(value)): (kind, value)
            for record in records
            for kind, value in _values(record, "mobile")
        }
        for key, count in found.items():
            original = by_clean.get(key)
            if original is not None:
                self.hubs.add(original)
                self.new_hubs[original] = max(count, self.new_hubs.get(original, 0))

    def phone_kind(self, phone: str) -> str:
        if not phone:
            return ""
        if phone not in self.phone_kinds:
            self.phone_kinds[phone] = normalize.phone_kind(phone)
        return self.phone_kinds[phone]

    def strong_decision(self, record: SourceRecord) -> tuple[Owner, Decision] | None:
        first = normalize.normalize_name(record.first_name)
        votes: dict[Owner, list[tuple[str, str]]] = defaultdict(list)
        for kind, value in _values(record, self.phone_kind(record.phone)):
            if (kind, value) in self.hubs:
                continue
            for owner in self.owners.get((kind, value), ()):
                facts = self.facts[owner]
                if kind == CARD:
                    contradicted = (
                        not _names_agree(first, facts.first_names, missing_agrees=True)
                        and record.birth_date is not None
                        and facts.birth_dates
                        and record.birth_date not in facts.birth_dates
                    )
                    agrees = not contradicted
                elif kind == EMAIL:
                    agrees = _names_agree(first, facts.first_names, missing_agrees=True)
                else:
                    agrees = _names_agree(first, facts.first_names, missing_agrees=False)
                if agrees:
                    votes[owner].append((kind, value))
        if not votes:
            return None

        def strength(owner: Owner) -> tuple:
            kinds = [kind for kind, _ in votes[owner]]
            best_kind = min(STRONG_KINDS.index(kind) for kind in kinds)
            # Existing customers before new ones, then the oldest.
            return (-len(kinds), best_kind, owner[0] != "customer", owner[1])

        owner = min(votes, key=strength)
        evidence = {
            "identifiers": [{"kind": kind, "value": value} for kind, value in votes[owner]],
            "rule": "strong",
        }
        decision = Decision(
            action=LINK,
            customer_id=owner[1] if owner[0] == "customer" else None,
            rule=SourceRecord.MatchRule.STRONG,
            score=1.0,
            evidence=evidence,
        )
        return owner, decision

    def new_group(self, record: SourceRecord) -> int:
        self.groups += 1
        self.add(("group", self.groups), record)
        return self.groups

    def add(self, owner: Owner, record: SourceRecord) -> None:
        """The record now belongs to ``owner``: its identifiers and name point there too."""
        facts = self.facts[owner]
        facts.first_names.add(normalize.normalize_name(record.first_name))
        if record.birth_date:
            facts.birth_dates.add(record.birth_date)
        for key in _values(record, self.phone_kind(record.phone)):
            if key not in self.hubs and owner not in self.owners[key]:
                self.owners[key].append(owner)

    def save_hubs(self) -> None:
        if not self.new_hubs:
            return
        existing = {
            (kind, value): pk
            for pk, kind, value in HubIdentifier.objects.filter(
                value__in=[value for _, value in self.new_hubs]
            ).values_list("pk", "kind", "value")
        }
        HubIdentifier.objects.bulk_create(
            [
                HubIdentifier(kind=kind, value=value, people_count=count)
                for (kind, value), count in self.new_hubs.items()
                if (kind, value) not in existing
            ],
            ignore_conflicts=True,
        )
        for key, count in self.new_hubs.items():
            if key in existing:
                HubIdentifier.objects.filter(pk=existing[key], people_count__lt=count).update(
                    people_count=count
                )
