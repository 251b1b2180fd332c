"""Identity resolution against the database: which customer each new channel record is.

Imports call ``resolve_records`` once per batch of rows; a form or an API event calls
``resolve_one`` for a single record. Both run the same steps:

1. A record already linked (seen in an earlier import, merged or detached by hand) keeps its
   customer: re-importing a row never moves it.
2. **Candidates.** Every record has blocking keys (``KEY_RULES``: the surname's sound with the
   birth year, the postcode with the first name's sound, the birth date with the initial, the
   mailbox, the phone's last digits, the names in either order, the loyalty card…), kept hashed
   in ``MatchKey``. One indexed lookup per batch finds the existing records sharing a key, and
   with them all the records of their customers. A key held by more than ``DB_BLOCK_LIMIT``
   records finds nobody (a common name in a big city: the other keys narrow it down). The
   batch's own records are candidates for each other too.
3. **Hub values.** An e-mail, phone or card held by more than ``HUB_CUSTOMER_LIMIT`` customers,
   by more than that many distinct people (first name, birth date) among the records compared,
   or already in ``HubIdentifier`` (the shop's phone, ``noemail@…``) never links and is not
   compared; new ones are recorded in ``HubIdentifier`` for the manager.
4. **Scoring.** Each pair (new record × candidate, and new × new sharing a key) is scored with
   the Fellegi–Sunter model (``model_store``: trained by EM on the records, or the prior model).
   - A shared *strong identifier* (loyalty card, e-mail, mobile phone) links when the names
     agree: first names compatible (a nickname or an initial will do) and surnames compatible
     or the same birth date, and no plainly different birth date (``match.names_compatible``).
     A family sharing an e-mail, or two Marias sharing a mobile, do not.
   - Otherwise the match probability decides: at or above ``BOTTEGA_MATCH_LINK_THRESHOLD``
     (default 0.999) link, unless the first names differ without an agreeing birth date; at
     or above ``BOTTEGA_MATCH_REVIEW_THRESHOLD`` (default 0.5), or a strong identifier that
     the names contradict, a new customer and a ``MatchCandidate`` for a manager to review;
     below, a new customer.
5. **Joining.** Links are applied strongest first (strong identifiers, then by score) with
   union–find. A join is refused when it would put two existing customers together (that is a
   merge, for a person to decide), two records that cannot be one person (different first name
   and birth date, or plainly different birth dates), or a pair a manager rejected.

Every decision keeps its evidence (fields, levels, weights, score) on the source record
(``match_rule``, ``match_score``, ``match_evidence``) or on the review candidate. Golden records
of the touched customers are recomputed once per batch.
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from crm.identity import (
    batch_blocking,
    blocking,
    match,
    model_store,
    normalize,
    scoring,
    survivorship,
)
from crm.identity.scoring import Comparer, PersonRecord, clean
from crm.imports import bulk
from crm.models import (
    Customer,
    HubIdentifier,
    ImportBatch,
    MatchCandidate,
    MatchKey,
    SourceRecord,
)

HUB_CUSTOMER_LIMIT = 3
# A blocking key shared by more existing records than this finds no candidates by itself.
DB_BLOCK_LIMIT = 60
# Plain strings (not the enum members), so they hash like the values read from the database.
CARD, EMAIL, PHONE = "loyalty_card", "email", "phone"
STRONG_KINDS = ("loyalty_card", "email", "mobile_phone")
# The keys kept for each record: the engine's blocking rules, and the exact identifiers (an
# exact e-mail or phone held by too many records is a hub value).
KEY_RULES: tuple[blocking.BlockingRule, ...] = blocking.DEFAULT_RULES + blocking.identifier_rules(
    (CARD, EMAIL, PHONE)
)
STRONG_VETO = -5.0
_QUERY_CHUNK = 900  # ids per IN (...): within every database's parameter limit
_READ_PAGE = 2000  # stored records fetched at a time

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


def match_config() -> match.MatchConfig:
    """The engine's settings, with the thresholds the deployment chose."""
    return match.MatchConfig(
        link_threshold=float(getattr(settings, "BOTTEGA_MATCH_LINK_THRESHOLD", 0.999)),
        review_threshold=float(getattr(settings, "BOTTEGA_MATCH_REVIEW_THRESHOLD", 0.5)),
        hub_people_limit=HUB_CUSTOMER_LIMIT,
        strong_kinds=STRONG_KINDS,
        blocking_identifiers=(CARD,),
        # Names decide whether a shared identifier holds (``match.names_compatible``); beyond
        # them, only strong evidence against (another city, phone and birth year) refuses it.
        strong_veto=STRONG_VETO,
    )


# --- entry points -----------------------------------------------------------------------------


def resolve_records(
    *, records: list[SourceRecord], batch: ImportBatch | None = None
) -> ResolutionCounts:
    """Link every record without a customer to one (existing or new), recompute the golden
    records of all customers the records belong to, and count what happened.

    Records not saved yet are inserted once their customer is known (one INSERT each, no
    UPDATE after); every record's blocking keys are (re)written. Runs in the caller's
    transaction (or its own); may train and store a new matching model when the records have
    doubled since the last one; creates customers, hub identifiers and review candidates;
    never moves a record already linked.
    """
    with transaction.atomic():
        return _resolve(records)


def resolve_one(*, record: SourceRecord) -> Decision:
    """Who this one record is (a form, an API event), against the existing customers: link,
    review or new, with the evidence. Reads only; writes nothing."""
    if record.customer_id is not None:
        return Decision(action=LINK, customer_id=record.customer_id, rule=record.match_rule)
    plan = _Plan.build([record], population=model_store.cached(_population, extra=1))
    return plan.decision_of_one()


# --- the batch --------------------------------------------------------------------------------


def _resolve(records: list[SourceRecord]) -> ResolutionCounts:
    counts = ResolutionCounts()
    for record in records:
        record.__dict__.pop("_match_keys", None)  # its fields may have changed since
    unresolved = [record for record in records if record.customer_id is None]
    already_saved = {record.pk for record in records if record.pk is not None}
    plan = None
    if unresolved:
        population = _population(extra=len(unresolved))
        if model_store.needs_training(population):
            _train(unresolved, population=population)
        plan = _Plan.build(unresolved, population=population)
        counts = plan.apply()
    # New records get their ids now, so that customers, records, keys, identities and review
    # candidates pointing at each other are all inserted set-based, each row once.
    to_insert = [record for record in unresolved if record.pk is None]
    to_update = [record for record in unresolved if record.pk is not None]
    for record, pk in zip(to_insert, bulk.reserve_ids(SourceRecord, len(to_insert)), strict=True):
        record.pk = pk
    fresh = plan.customers_of_new_records(already_saved) if plan else {}
    _insert_customers(plan.new_customers if plan else {}, fresh)
    bulk.insert_rows(SourceRecord, RECORD_COLUMNS, (_record_row(r) for r in to_insert))
    if to_update:
        SourceRecord.objects.bulk_update(
            to_update, ["customer", "match_rule", "match_score", "match_evidence", "linked_at"]
        )
    if plan:
        plan.save_candidates_and_hubs()
    write_match_keys(records=records, replace=already_saved)
    # A customer made of records never saved before has its golden record written as it was
    # inserted (and its identities here); the others are recomputed from what is stored.
    survivorship.insert_new_identities(records_by_customer=fresh)
    touched = {record.customer_id for record in records} - set(fresh)
    survivorship.recompute_golden_records(
        customers=[
            customer
            for condition in bulk.matching("id", sorted(touched))
            for customer in Customer.objects.filter(condition).order_by()
        ]
    )
    return counts


CUSTOMER_COLUMNS = tuple(field.attname for field in Customer._meta.concrete_fields)
RECORD_COLUMNS = tuple(field.attname for field in SourceRecord._meta.concrete_fields)


def _insert_customers(
    new_customers: dict[int, Customer], fresh: dict[int, list[SourceRecord]]
) -> None:
    """Insert the batch's new customers, with their golden values when all their records are
    new (``fresh``); the others start blank and are recomputed like any touched customer."""
    if not new_customers:
        return
    survivorship.fill_new_golden_records(
        customers={pk: new_customers[pk] for pk in fresh}, records_by_customer=fresh
    )
    now = timezone.now()
    for customer in new_customers.values():
        customer.updated_at = now  # what an insert through the ORM would set (auto_now)
    bulk.insert_rows(
        Customer,
        CUSTOMER_COLUMNS,
        (tuple(getattr(c, name) for name in CUSTOMER_COLUMNS) for c in new_customers.values()),
    )


def _record_row(record: SourceRecord) -> tuple:
    return tuple(getattr(record, name) for name in RECORD_COLUMNS)


def _population(*, extra: int) -> int:
    return SourceRecord.objects.count() + extra


def _train(batch_records: list[SourceRecord], *, population: int) -> None:
    """Train on the records stored so far and this batch's, most recent first."""
    train_on_database(also=batch_records, population=population)


def train_on_database(
    *, also: list[SourceRecord] = (), population: int | None = None
) -> model_store.StoredModel | None:
    """Train a model on the stored records (the most recent ``TRAIN_MAX_RECORDS``) and
    ``also`` these, store it and return it; None when there is nothing to train on.
    ``population`` is the stored records and ``also`` counted together, when the caller
    counted them already."""
    limit = max(model_store.TRAIN_MAX_RECORDS - len(also), 0)
    stored = SourceRecord.objects.order_by("-pk").values_list(*_PERSON_FIELDS)[:limit]
    # Read as columns, a row at a time: 400,000 records as objects would take more memory
    # than all the rest of training.
    people = scoring.RecordColumns.from_records(
        itertools.chain(
            (_person(*values) for values in stored.iterator(chunk_size=5000)),
            (person_record(record) for record in also),
        )
    )
    if len(people) < 2:
        return None
    if population is None:
        population = SourceRecord.objects.count() + len(also)
    return model_store.train_from_records(people, match_config(), population=population)


# --- blocking keys ----------------------------------------------------------------------------


def record_keys(person: PersonRecord) -> dict[int, str]:
    """The hashed blocking keys of a record, each with the name of its rule."""
    keys = {}
    for rule in KEY_RULES:
        key = rule.key(person)
        if key is not None:
            keys[blocking.key_hash(f"{rule.name}:{key}")] = rule.name
    return keys


def write_match_keys(*, records: list[SourceRecord], replace: set[int] | None = None) -> None:
    """Write the blocking keys of these saved records, replacing the keys stored for those in
    ``replace`` (by default all of them; records just inserted have none to replace)."""
    saved = [record for record in records if record.pk is not None]
    if not saved:
        return
    stale = [record.pk for record in saved] if replace is None else sorted(replace)
    for chunk in _chunks(stale):
        MatchKey.objects.filter(source_record__in=chunk).delete()
    # Each record's keys are distinct (a dict) and its old ones are gone: plain inserts.
    bulk.insert_rows(
        MatchKey,
        ("source_record_id", "key"),
        ((record.pk, key) for record in saved for key in _keys_of(record)),
    )


def fill_phone_kinds(*, records: list[SourceRecord]) -> int:
    """Keep the phone kind of those saved records that have none kept (stored before kinds
    were, or written by a form), so matching need not parse their numbers again. Returns
    how many were filled."""
    missing = [record for record in records if record.pk and record.phone_kind is None]
    for record in missing:
        record.phone_kind = phone_kind_of(record.phone)
    return bulk.update_rows(
        SourceRecord, ["phone_kind"], ((record.pk, record.phone_kind) for record in missing)
    )


def _keys_of(record: SourceRecord, person: PersonRecord | None = None) -> dict[int, str]:
    """The record's keys, computed once per resolution (kept on the instance)."""
    keys = getattr(record, "_match_keys", None)
    if keys is None:
        keys = record_keys(person or person_record(record))
        record._match_keys = keys
    return keys


def _chunks(values: list, size: int = _QUERY_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- the comparison forms ---------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def phone_kind_of(phone: str) -> str:
    """The kind of a normalized phone as matching reads it: what ``SourceRecord.phone_kind``
    keeps ("" without a phone)."""
    return normalize.phone_kind(phone) if phone else ""


# Stored records are compared again in every batch that finds them: each street is folded once.
_normalize_street = lru_cache(maxsize=65_536)(normalize.normalize_street)


def person_record(record: SourceRecord, *, phone_kind: str | None = None) -> PersonRecord:
    """A source record in the comparison forms the matching engine reads."""
    return _person(
        *(record.source_id, record.external_id, record.first_name, record.last_name),
        *(record.email, record.phone, record.birth_date, record.street, record.postcode),
        *(record.city, record.loyalty_card),
        phone_kind if phone_kind is not None else record.phone_kind,
    )


def _person(
    source_id, external_id, first_name, last_name, email, phone, birth_date, street, postcode,
    city, loyalty_card, phone_kind: str | None = None,
) -> PersonRecord:  # fmt: skip
    return PersonRecord(
        record_id=f"{source_id}:{external_id}",
        first_name=normalize.normalize_name(first_name),
        last_name=normalize.normalize_name(last_name),
        email=email,
        phone=phone,
        phone_kind=sys.intern(phone_kind) if phone_kind is not None else phone_kind_of(phone),
        birth_date=_iso_date(birth_date) if birth_date else "",
        street=_normalize_street(street),
        postcode=sys.intern(postcode),
        city=normalize.normalize_city(city),
        loyalty_card=loyalty_card,
        source=sys.intern(str(source_id)),
        extra_ids=_NO_EXTRA_IDS,
    )


# A batch at a million records holds some 175,000 stored records in comparison form. Values
# many records share (a postcode, a birth date, the phone kind, the source) are kept once
# (``sys.intern``, and one string per date) instead of once a record, and none of them has
# identifiers beyond the fields: 250 bytes less a record.
@lru_cache(maxsize=65_536)
def _iso_date(value) -> str:
    return value.isoformat()


_NO_EXTRA_IDS = MappingProxyType({})


# The fields ``_person`` reads, in its order.
_PERSON_FIELDS = (
    *("source_id", "external_id", "first_name", "last_name", "email", "phone", "birth_date"),
    *("street", "postcode", "city", "loyalty_card", "phone_kind"),
)


def _existing_records(keys: set[int], exclude: set[int]) -> tuple[list[int], list[PersonRecord]]:
    """The stored records sharing one of these keys, and all the records of their customers:
    their customers and comparison forms, ordered by customer (in chunks) and record."""
    customers = {
        customer_pk
        for record_pk, customer_pk in _key_holders(keys)
        if customer_pk is not None and record_pk not in exclude
    }
    ordered = sorted(customers)
    # In the order they were always read in (customers in groups of _QUERY_CHUNK, records by
    # pk within a group), so that matching sees them at the same indexes and breaks its ties
    # the same way.
    group = {customer: n // _QUERY_CHUNK for n, customer in enumerate(ordered)}
    places, customer_of, people = [], [], []
    for condition in bulk.matching("customer_id", ordered):
        rows = (
            SourceRecord.objects.filter(condition)
            .order_by()
            .values_list("pk", "customer_id", *_PERSON_FIELDS)
        )
        # A page at a time, each row straight into its comparison form: at a million records
        # a batch reads some 175,000, and holding them as rows too took 100 MB more.
        for record_pk, customer_pk, *values in rows.iterator(chunk_size=_READ_PAGE):
            if record_pk not in exclude:
                places.append((group[customer_pk] << 40) | record_pk)
                customer_of.append(customer_pk)
                people.append(_person(*values))
    order = sorted(range(len(places)), key=places.__getitem__)
    return [customer_of[n] for n in order], [people[n] for n in order]


# Reads at most DB_BLOCK_LIMIT + 1 holders of each key (one array, not a parameter per key),
# and joins records only for the keys under the limit: a common key ("Rossi" born in 1970, held
# by thousands at a million customers) costs a short index range instead of thousands of
# record lookups that would be thrown away.
_BOUNDED_HOLDERS_SQL = (
    "SELECT h.source_record_id, r.customer_id FROM ("  # noqa: S608
    "  SELECT m.source_record_id, COUNT(*) OVER (PARTITION BY q.key) AS held"
    "  FROM unnest(%s::bigint[]) AS q(key) CROSS JOIN LATERAL ("
    f"    SELECT source_record_id FROM {MatchKey._meta.db_table} WHERE key = q.key LIMIT %s"
    "  ) AS m"
    f") AS h JOIN {SourceRecord._meta.db_table} r ON r.id = h.source_record_id WHERE h.held <= %s"
)


def _key_holders(keys: set[int]) -> list[tuple[int, int | None]]:
    """(record, customer) of the stored records holding one of these keys, leaving out the
    keys held by more than ``DB_BLOCK_LIMIT`` records (counted by the database, which sends
    back only the rest)."""
    table, records = MatchKey._meta.db_table, SourceRecord._meta.db_table
    sql = (
        "SELECT source_record_id, customer_id FROM ("  # noqa: S608
        "  SELECT k.source_record_id, r.customer_id, COUNT(*) OVER (PARTITION BY k.key) AS held"
        f"  FROM {table} k JOIN {records} r ON r.id = k.source_record_id WHERE k.key {{}}"
        ") AS holders WHERE held <= %s"
    )
    holders = []
    with connection.cursor() as cursor:
        if bulk.is_postgresql():
            cursor.execute(_BOUNDED_HOLDERS_SQL, [sorted(keys), DB_BLOCK_LIMIT + 1, DB_BLOCK_LIMIT])
            return cursor.fetchall()
        # A key's holders are all in its chunk, so each chunk counts them whole.
        for chunk in _chunks(sorted(keys)):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(sql.format(f"IN ({marks})"), [*chunk, DB_BLOCK_LIMIT])
            holders += cursor.fetchall()
    return holders


# --- the plan ---------------------------------------------------------------------------------


@dataclass
class _Edge:
    batch: int  # index of the new record
    other: int  # index of the other record (new or existing)
    action: str
    rule: str
    weight: float
    probability: float
    pair: int  # the pair's row in the plan's kept comparisons (``_Plan.evidence``)


class _Plan:
    """The decisions for a batch of new records (indexes 0..n-1), compared with each other and
    with the existing records found by their keys (indexes n..)."""

    def __init__(self) -> None:
        self.records: list[SourceRecord] = []  # the new records (indexes 0..n-1)
        self.people: list[PersonRecord] = []
        self.count = 0  # new records
        self.customer_of: list[int | None] = []
        self.hub_values: dict[tuple[str, str], int] = {}
        self.new_hubs: dict[tuple[str, str], int] = {}
        self.edges: list[_Edge] = []
        self.groups: list[int] = []
        self.rejected: set[tuple[int, int]] = set()
        self.config = match_config()
        self.customer_of_group: dict[int, int] = {}
        self.candidates: list[MatchCandidate] = []
        self.new_customers: dict[int, Customer] = {}  # reserved pk → not inserted yet
        self._identifiers: list[tuple[str, str] | None] = []  # the strong one of each edge

    @classmethod
    def build(cls, records: list[SourceRecord], *, population: int) -> _Plan:
        plan = cls()
        plan.count = len(records)
        people = [person_record(record) for record in records]
        keys: set[int] = set()
        for record, person in zip(records, people, strict=True):
            keys.update(_keys_of(record, person))
        existing_customers, existing_people = _existing_records(
            keys, {record.pk for record in records if record.pk}
        )
        plan.records = list(records)  # the existing ones are known by their forms only
        plan.people = people + existing_people
        plan.customer_of = [None] * len(records) + existing_customers
        plan._find_hubs()
        plan._load_rejected()
        stored = model_store.current_model()
        model = stored.model
        model.prior_weight = model_store.prior_weight(stored, population)
        for kind, value in model.hub_values:
            plan.hub_values.setdefault((kind, value), HUB_CUSTOMER_LIMIT + 1)
        plan._score(model)
        plan._join(model)
        return plan

    # hubs

    def _find_hubs(self) -> None:
        kinds = (EMAIL, PHONE, CARD)
        self.hub_values = match.find_hub_values(self.people, HUB_CUSTOMER_LIMIT, kinds)
        self.new_hubs = dict(self.hub_values)
        holders: dict[tuple[str, str], set[int]] = defaultdict(set)
        values: set[str] = set()
        for person, customer in zip(self.people, self.customer_of, strict=True):
            for identifier in match.identifier_values(person, kinds):
                values.add(identifier[1])
                if customer is not None:
                    holders[identifier].add(customer)
        for identifier, customers in holders.items():
            if len(customers) > HUB_CUSTOMER_LIMIT:
                self.hub_values[identifier] = len(customers)
                self.new_hubs[identifier] = len(customers)
        for kind, value in _known_hubs(values):
            identifier = (kind, clean(value))
            self.hub_values.setdefault(identifier, HUB_CUSTOMER_LIMIT + 1)
            self.new_hubs.pop(identifier, None)

    def _load_rejected(self) -> None:
        saved = {record.pk: index for index, record in enumerate(self.records[: self.count])}
        saved.pop(None, None)
        if not saved:
            return
        for record_pk, customer_pk in MatchCandidate.objects.filter(
            source_record__in=list(saved)
        ).values_list("source_record", "customer"):
            # Any pair already proposed is not proposed again, and a rejected one never links.
            self.rejected.add((saved[record_pk], customer_pk))

    # scoring

    def _score(self, model) -> None:
        config, count, people = self.config, self.count, self.people
        self.comparer = comparer = Comparer(people, model.fields, set(self.hub_values))
        strong_left, strong_right, strong_lookup = match._strong_pairs(
            people, config, self.hub_values
        )
        if count == 1:
            # One record against every record found for it: each shares a key with it, or
            # belongs to a customer who has one that does.
            right = np.arange(1, len(people), dtype=np.int64)
            left = np.zeros(len(right), dtype=np.int64)
        else:
            rules = config.blocking_rules + blocking.identifier_rules(config.blocking_identifiers)
            # The pairs blocking.candidate_pairs gives that involve a new record (the others,
            # of two stored records, are not this batch's business), with the strong pairs.
            blocked = batch_blocking.new_record_pairs(
                people,
                rules,
                new=count,
                max_block_size=config.max_block_size,
                window=config.window,
                hub_values=self.hub_values,
            )
            size = len(people)
            strong = np.asarray(strong_left, np.int64) * size + np.asarray(strong_right, np.int64)
            codes = np.unique(np.concatenate([blocked, strong]))
            left, right = codes // size, codes % size
        keep = left < count  # pairs of two existing records are not this batch's business
        left, right = left[keep], right[keep]
        if not len(left):
            return
        scored = match._score(model, comparer, left, right)
        kept: list[int] = []
        for row, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
            probability = float(scored.probabilities[row])
            strong = strong_lookup.get((a, b))
            if strong is None and probability < config.review_threshold:
                continue
            action, rule = match.decide(config, model, scored, row, strong)
            if action == NEW:
                continue
            self.edges.append(
                _Edge(a, b, action, rule, float(scored.totals[row]), probability, len(kept))
            )
            kept.append(row)
            self._identifiers.append(strong)
        # Only the comparisons of the edges are kept, and their evidence is written for the
        # few edges a decision rests on: written for every edge, it took more memory than the
        # stored records a batch reads.
        self._model = model
        self._scored = match._Scored(
            **{name: values[kept] for name, values in vars(scored).items()}
        )
        self._pairs = (left[kept], right[kept])

    def evidence(self, edge: _Edge) -> dict:
        """The fields, levels, weights and score behind an edge, and the rule it followed."""
        row = edge.pair
        left, right = (int(side[row]) for side in self._pairs)
        evidence = match._evidence(self._model, self.comparer, self._scored, row, left, right)
        evidence["rule"] = edge.rule
        if (strong := self._identifiers[row]) is not None:
            evidence["identifiers"] = [{"kind": strong[0], "value": strong[1]}]
        return evidence

    # joining

    def _join(self, model) -> None:
        size = len(self.people)
        parent = list(range(size))
        members: dict[int, list[int]] = {}
        owner: dict[int, int] = {}  # root → existing customer

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        # The existing customers are groups already, as they are.
        first_of_customer: dict[int, int] = {}
        for index in range(self.count, size):
            customer = self.customer_of[index]
            root = first_of_customer.setdefault(customer, index)
            if root != index:
                parent[index] = root
                members.setdefault(root, [root]).append(index)
            owner[root] = customer

        links = [edge for edge in self.edges if edge.action == LINK]
        links.sort(key=lambda e: (e.rule != "strong", -e.weight, e.batch, e.other))
        conflicts = match._ConflictChecker(model, self.comparer)
        for edge in links:
            root_a, root_b = find(edge.batch), find(edge.other)
            if root_a == root_b:
                continue
            customer_a, customer_b = owner.get(root_a), owner.get(root_b)
            if customer_a is not None and customer_b is not None:
                continue  # two customers: a merge, for a person to decide
            group_a = members.get(root_a, [root_a])
            group_b = members.get(root_b, [root_b])
            if self._refused(group_a, customer_b) or self._refused(group_b, customer_a):
                continue
            if conflicts(group_a, group_b) or self._birth_dates_clash(group_a, group_b):
                continue
            if len(group_a) < len(group_b):
                root_a, root_b, group_a, group_b = root_b, root_a, group_b, group_a
            parent[root_b] = root_a
            members[root_a] = group_a + group_b
            members.pop(root_b, None)
            customer = customer_a if customer_a is not None else customer_b
            owner.pop(root_b, None)
            if customer is not None:
                owner[root_a] = customer
        self.groups = [find(index) for index in range(size)]
        self.owner = owner

    def _refused(self, group: list[int], customer: int | None) -> bool:
        if customer is None or not self.rejected:
            return False
        return any((index, customer) in self.rejected for index in group if index < self.count)

    def _birth_dates_clash(self, group_a: list[int], group_b: list[int]) -> bool:
        """Two plainly different birth dates (another year, more than a typo apart)."""
        dates_a = {self.people[i].birth_date for i in group_a[:50]} - {""}
        dates_b = {self.people[i].birth_date for i in group_b[:50]} - {""}
        if not dates_a or not dates_b or dates_a & dates_b:
            return False
        return all(
            match.scoring.COMPARE["date"](a, b) == 4 for a in dates_a for b in dates_b if a != b
        )

    # decisions

    def _best_link(self, index: int) -> _Edge | None:
        """The strongest link of a new record to a record it ended up with."""
        best = None
        for edge in self.edges_of[index]:
            if edge.action != LINK or self.groups[edge.other] != self.groups[index]:
                continue
            if best is None or (edge.rule != "strong", -edge.weight) < (
                best.rule != "strong",
                -best.weight,
            ):
                best = edge
        return best

    def _best_review(self, index: int) -> _Edge | None:
        best = None
        for edge in self.edges_of[index]:
            if self.groups[edge.other] == self.groups[index]:
                continue
            if best is None or edge.probability > best.probability:
                best = edge
        return best

    @property
    def edges_of(self) -> dict[int, list[_Edge]]:
        if not hasattr(self, "_edges_of"):
            self._edges_of: dict[int, list[_Edge]] = defaultdict(list)
            for edge in self.edges:
                self._edges_of[edge.batch].append(edge)
                if edge.other < self.count:
                    self._edges_of[edge.other].append(
                        _Edge(
                            edge.other,
                            edge.batch,
                            edge.action,
                            edge.rule,
                            edge.weight,
                            edge.probability,
                            edge.pair,
                        )
                    )
        return self._edges_of

    def decision_of_one(self) -> Decision:
        root = self.groups[0]
        customer = self.owner.get(root)
        if customer is not None:
            edge = self._best_link(0)
            return Decision(
                LINK, customer, _rule(edge.rule), round(edge.probability, 6), self.evidence(edge)
            )
        review = self._best_review(0)
        if review is not None and review.other >= self.count:
            customer = self.customer_of[review.other]
            if (0, customer) not in self.rejected:
                return Decision(
                    REVIEW,
                    customer,
                    SourceRecord.MatchRule.NEW,
                    round(review.probability, 6),
                    self.evidence(review),
                )
        return Decision(NEW)

    def apply(self) -> ResolutionCounts:
        """Create the new customers and set every new record's customer and evidence (the
        records are saved by the caller); review candidates wait for ``save_candidates``."""
        counts = ResolutionCounts()
        new_groups: dict[int, list[int]] = defaultdict(list)
        for index in range(self.count):
            root = self.groups[index]
            if root not in self.owner:
                new_groups[root].append(index)
        roots = sorted(new_groups, key=lambda root: new_groups[root][0])
        # Ids now, the rows later (``_insert_customers``), once their golden values are known.
        customer_of_root = dict(self.owner)
        for root, pk in zip(roots, bulk.reserve_ids(Customer, len(roots)), strict=True):
            customer_of_root[root] = pk
            self.new_customers[pk] = Customer(
                pk=pk, created_at=min(_record_date(self.records[i]) for i in new_groups[root])
            )
        founders = {members[0] for members in new_groups.values()}
        now = timezone.now()
        for index in range(self.count):
            record = self.records[index]
            record.customer_id = customer_of_root[self.groups[index]]
            record.linked_at = now
            edge = None if index in founders else self._best_link(index)
            if edge is None:
                record.match_rule = SourceRecord.MatchRule.NEW
                record.match_score = None
                record.match_evidence = {}
                counts.new += 1
            else:
                record.match_rule = _rule(edge.rule)
                record.match_score = round(edge.probability, 6)
                record.match_evidence = self.evidence(edge)
                counts.linked += 1
        for index in range(self.count):
            review = self._best_review(index)
            if review is None:
                continue
            customer = customer_of_root[self.groups[review.other]]
            if (index, customer) in self.rejected:
                continue
            self.candidates.append(
                MatchCandidate(
                    source_record=self.records[index],
                    customer_id=customer,
                    score=round(review.probability, 6),
                    evidence=self.evidence(review),
                )
            )
            counts.review += 1
        return counts

    def customers_of_new_records(self, saved_before: set[int]) -> dict[int, list[SourceRecord]]:
        """The batch's new customers whose records were all never saved before
        (``saved_before``: the pks records had when the batch began), with those records."""
        members: dict[int, list[SourceRecord]] = defaultdict(list)
        for record in self.records[: self.count]:
            if record.customer_id in self.new_customers:
                members[record.customer_id].append(record)
        return {
            pk: records
            for pk, records in members.items()
            if not any(record.pk in saved_before for record in records)
        }

    def save_candidates_and_hubs(self) -> None:
        if self.candidates:
            MatchCandidate.objects.bulk_create(self.candidates, ignore_conflicts=True)
        if self.new_hubs:
            _save_hubs(self.new_hubs)


def _rule(rule: str) -> str:
    if rule == "strong":
        return SourceRecord.MatchRule.STRONG
    return SourceRecord.MatchRule.PROBABILISTIC


def _record_date(record: SourceRecord):
    return record.seen_at or record.created_at


def _known_hubs(values: set[str]) -> set[tuple[str, str]]:
    """(kind, value) of the hub identifiers recorded for any of these values. A batch carries
    hundreds of thousands of values at a million customers (every identifier of every record
    it compares) and the table a few hundred hubs: the table is then read whole, where sending
    the values cost a third of a second a batch."""
    if HubIdentifier.objects.count() < len(values):
        rows = HubIdentifier.objects.values_list("kind", "value")
        return {(kind, value) for kind, value in rows if value in values}
    known = set()
    for condition in bulk.matching("value", sorted(values)):
        known.update(HubIdentifier.objects.filter(condition).values_list("kind", "value"))
    return known


def _save_hubs(found: dict[tuple[str, str], int]) -> None:
    existing = {
        (kind, value): pk
        for pk, kind, value in HubIdentifier.objects.filter(
            value__in=[value for _, value in found]
        ).values_list("pk", "kind", "value")
    }
    HubIdentifier.objects.bulk_create(
        [
            HubIdentifier(kind=kind, value=value, people_count=count)
            for (kind, value), count in found.items()
            if (kind, value) not in existing
        ],
        ignore_conflicts=True,
    )
    for key, count in found.items():
        if key in existing:
            HubIdentifier.objects.filter(pk=existing[key], people_count__lt=count).update(
                people_count=count
            )
