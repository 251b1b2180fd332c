"""The matching decision: strong identifiers, hub values, thresholds, clustering.

Order of evidence, strongest first:

1. A *hub* value (the shop's phone, ``noemail@…``, the in-store tablet's account) is shared by
   too many different people to identify anyone: it is never used to link, block or score.
2. A *strong identifier* (loyalty card, web account, app id, verified e-mail, mobile phone)
   shared by two records links them, unless the rest contradicts it: a different first name
   without an agreeing birth date is a family sharing an e-mail or a phone, not one person.
3. Everything else is blocked and scored (Fellegi–Sunter, see ``scoring``): a match
   probability above ``link_threshold`` links, above ``review_threshold`` goes to a person,
   below is a different person. A different first name without an agreeing birth date never
   links automatically, whatever the score: relatives share surname, address and phone, so
   those fields agree *together* and the independence the score assumes does not hold.

Batch mode joins the links into people with union–find, strongest links first, and refuses a
join that would put two records that contradict each other (different first name *and* different
birth date) into one person, so one doubtful link cannot chain strangers together.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crm.identity import blocking, scoring
from crm.identity.scoring import Comparer, FellegiSunterModel, PersonRecord, clean

logger = logging.getLogger(__name__)

LINK = "link"
REVIEW = "review"
NEW = "new"

# Strong identifier kinds, as record attributes or extra id kinds; two are derived:
# "verified_email" (an e-mail the channel verified) and "mobile_phone" (a mobile number).
STRONG_KINDS = ("loyalty_card", "web_account", "app_id", "verified_email", "mobile_phone")
# Identifier kinds checked for hub values (shared by too many people to identify anyone).
HUB_KINDS = ("email", "phone", "loyalty_card", "web_account", "app_id", "social_handle")


@dataclass
class MatchConfig:
    """Everything a deployment may tune.

    Thresholds are match probabilities: the prior odds that two records picked at random are
    one person (about 1 in the number of people), times the evidence (2 to the power of the
    sum of the fields' log2(m/u)). The more people, the more evidence a link needs: among
    200,000 customers there are several "Fabio Russo", among 2,000 there is one.
    """

    link_threshold: float = 0.999
    review_threshold: float = 0.5
    hub_people_limit: int = 3
    hub_kinds: tuple[str, ...] = HUB_KINDS
    # Fields that identify one person, not a household (a national id, a tax code): their
    # agreement outweighs a different first name. Empty by default: channels rarely send one.
    personal_fields: tuple[str, ...] = ()
    # A strong identifier links unless the rest of the evidence is below this (bits): the same
    # e-mail with another surname, or another birth date and city, is a question for a person.
    strong_veto: float = 0.0
    strong_kinds: tuple[str, ...] = STRONG_KINDS
    fields: tuple[scoring.FieldSpec, ...] = scoring.DEFAULT_FIELDS
    blocking_rules: tuple[blocking.BlockingRule, ...] = blocking.DEFAULT_RULES
    # extra identifier kinds that also make a block of their own (exact value)
    blocking_identifiers: tuple[str, ...] = ("loyalty_card", "web_account", "app_id")
    max_block_size: int = 40
    window: int = 5
    u_sample_size: int = 100_000
    em_iterations: int = 50
    link_only: bool = False  # pair only records of different sources (two-file linkage)
    seed: int = 1
    # The m to keep when EM's "match" class is not people (``plausible_m``): a file of one
    # channel holds almost no two records of one person, and EM then settles on neighbours
    # (same postcode, different everything else). None keeps whatever EM found.
    fallback_m: dict[str, list[float]] | None = None


# One person's two records agree on the first name, the surname and the birth date, when
# given, most of the time: clerks mistype, but not one time in two.
PERSON_FIELDS = ("first_name", "last_name", "birth_date")
PLAUSIBLE_M_EXACT = 0.5


def plausible_m(m: dict[str, list[float]]) -> bool:
    """Whether these m describe two records of one person: exact agreement on each of
    ``PERSON_FIELDS`` the model compares at least ``PLAUSIBLE_M_EXACT`` of the time."""
    return all(m[name][scoring.EXACT] >= PLAUSIBLE_M_EXACT for name in PERSON_FIELDS if name in m)


@dataclass
class Decision:
    """What was decided about one pair, and why. ``evidence`` is JSON-serialisable."""

    left_id: str
    right_id: str
    action: str
    rule: str  # "strong", "probabilistic" or "hub-guarded"
    probability: float
    weight: float
    evidence: dict[str, Any]


@dataclass
class BatchResult:
    cluster_ids: list[str]
    decisions: list[Decision]  # links and review pairs; "new" pairs are not kept
    model: FellegiSunterModel
    hub_values: dict[tuple[str, str], int]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def links(self) -> list[Decision]:
        return [d for d in self.decisions if d.action == LINK]

    @property
    def reviews(self) -> list[Decision]:
        return [d for d in self.decisions if d.action == REVIEW]


# --- identifiers and hubs ---------------------------------------------------------------------


def identifier_values(
    record: PersonRecord, kinds: tuple[str, ...] = HUB_KINDS
) -> list[tuple[str, str]]:
    """(kind, value) of the identifiers of these kinds a record carries."""
    values = []
    for kind in kinds:
        value = clean(record.value(kind))
        if value:
            values.append((kind, value))
    return values


def _person_key(record: PersonRecord) -> tuple[str, str]:
    first = clean(record.first_name)
    return ("" if scoring.is_initial(first) else first, record.value("birth_date"))


def find_hub_values(
    records: Sequence[PersonRecord], people_limit: int = 3, kinds: tuple[str, ...] = HUB_KINDS
) -> dict[tuple[str, str], int]:
    """Identifier values shared by more than ``people_limit`` distinct people.

    A person here is a distinct (first name, birth date); a record without a birth date only
    adds a person when no dated record with that value has the same first name, so one person
    written three ways is not three people.
    """
    if isinstance(records, scoring.RecordColumns):
        return _column_hub_values(records, people_limit, kinds)
    holders: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for record in records:
        key = _person_key(record)
        if not key[0] and not key[1]:
            continue
        for identifier in identifier_values(record, kinds):
            holders[identifier].add(key)
    hubs = {}
    for identifier, keys in holders.items():
        if len(keys) <= people_limit:
            continue
        dated_names = {first for first, birth in keys if birth}
        people = sum(1 for first, birth in keys if birth or first not in dated_names)
        if people > people_limit:
            hubs[identifier] = people
    return hubs


def _column_hub_values(
    columns: scoring.RecordColumns, people_limit: int, kinds: tuple[str, ...]
) -> dict[tuple[str, str], int]:
    """``find_hub_values`` on columns: the people holding each value are counted with arrays,
    and only the few values held by more than ``people_limit`` are looked at one by one."""
    first_names = [""]
    first_codes = {"": 0}
    first_of_value = np.zeros(len(columns.values("first_name")), dtype=np.int64)
    for code, raw in enumerate(columns.values("first_name")):
        first = clean(raw)
        first = "" if scoring.is_initial(first) else first
        if first not in first_codes:
            first_codes[first] = len(first_names)
            first_names.append(first)
        first_of_value[code] = first_codes[first]
    births = columns.values("birth_date")  # code 0 is the empty string, as for every column
    # a person is a (first name, birth date), coded as one number
    person = first_of_value[columns.codes("first_name")] * len(births) + columns.codes("birth_date")
    keyed = person != 0
    people_count = len(first_names) * len(births)
    hubs: dict[tuple[str, str], int] = {}
    for kind in kinds:
        raw_codes = columns.codes(kind)
        if raw_codes is None:
            continue
        identifiers = [""]
        identifier_codes = {"": 0}
        of_value = np.zeros(len(columns.values(kind)), dtype=np.int64)
        for code, raw in enumerate(columns.values(kind)):
            value = clean(raw)
            if value not in identifier_codes:
                identifier_codes[value] = len(identifiers)
                identifiers.append(value)
            of_value[code] = identifier_codes[value]
        identifier = of_value[raw_codes]
        held = keyed & (identifier != 0)
        # each (identifier, person) once, sorted by identifier
        holdings = np.unique(identifier[held] * people_count + person[held])
        holders = holdings // people_count
        values, counts = np.unique(holders, return_counts=True)
        for value in values[counts > people_limit].tolist():
            start, stop = np.searchsorted(holders, [value, value + 1])
            keys = [
                (first_names[key // len(births)], births[key % len(births)])
                for key in (holdings[start:stop] % people_count).tolist()
            ]
            dated_names = {first for first, birth in keys if birth}
            people = sum(1 for first, birth in keys if birth or first not in dated_names)
            if people > people_limit:
                hubs[(kind, identifiers[value])] = people
    return hubs


def strong_identifiers(record: PersonRecord, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    values = []
    for kind in kinds:
        if kind == "verified_email":
            if record.email and record.email_verified:
                values.append(("email", clean(record.email)))
        elif kind == "mobile_phone":
            if record.phone and record.phone_kind == "mobile":
                values.append(("phone", clean(record.phone)))
        else:
            value = clean(record.value(kind))
            if value:
                values.append((kind, value))
    return values


# --- scoring pairs ----------------------------------------------------------------------------


def train_model(
    records: Sequence[PersonRecord],
    config: MatchConfig | None = None,
    *,
    hub_values: dict[tuple[str, str], int] | None = None,
) -> FellegiSunterModel:
    """Estimate u from random pairs, m by EM on the blocked pairs, and term frequencies.

    ``records`` may be ``scoring.RecordColumns``: what training on many records should pass,
    since it holds them in a tenth of the memory."""
    config = config or MatchConfig()
    if hub_values is None:
        hub_values = find_hub_values(records, config.hub_people_limit, config.hub_kinds)
    comparer = Comparer(records, config.fields, _ignored(hub_values), remember=False)
    return _train(comparer, config, hub_values)


def _full_names_key(record: PersonRecord) -> str | None:
    first, last = clean(record.first_name), clean(record.last_name)
    if scoring.is_initial(first) or scoring.is_initial(last) or not first or not last:
        return None
    return f"{first}|{last}"


def _birth_date_key(record: PersonRecord) -> str | None:
    return record.value("birth_date") or None


# Training sessions, after Splink: m of a field is learnt on pairs that share something *else*
# (the full name, the birth date, a personal id), so the pairs' agreement on that field is not
# forced by how they were chosen. Learning every m at once on all blocked pairs lets EM settle
# on "same household" instead of "same person", since relatives agree on half the fields.
TRAINING_RULES: tuple[tuple[blocking.BlockingRule, tuple[str, ...]], ...] = (
    (blocking.BlockingRule("same_full_name", _full_names_key), ("first_name", "last_name")),
    (blocking.BlockingRule("same_birth_date", _birth_date_key), ("birth_date",)),
)


# Pairs compared at a time in training: the comparison's arrays stay a few megabytes however
# many candidate pairs there are.
TRAINING_CHUNK = 50_000


def _train(comparer, config, hub_values, candidates: list[np.ndarray] | None = None):
    """The model, from the comparer's records. ``candidates`` are the batch's candidate pairs
    (``left * len(records) + right``, in arrays that share no pair) when the caller has them
    already."""
    records = comparer.records
    model = FellegiSunterModel(fields=config.fields, hub_values=sorted(hub_values))
    model.u = scoring.estimate_u(comparer, config.u_sample_size, config.seed)
    for spec in config.fields:
        if spec.term_frequency:
            table, default = scoring.term_frequencies(comparer, spec)
            model.term_frequencies[spec.name] = table
            model.default_frequency[spec.name] = default
    sessions = list(TRAINING_RULES) + [
        (blocking.identifier_rules((name,))[0], (name,)) for name in config.personal_fields
    ]
    sums = {spec.name: np.zeros(len(scoring.LEVELS[spec.kind])) for spec in config.fields}
    totals = dict.fromkeys(sums, 0.0)
    iterations = 0
    for rule, excluded in sessions:
        if not {spec.name for spec in config.fields} >= set(excluded):
            continue
        session = blocking.pair_codes(
            records,
            (rule,),
            max_block_size=config.max_block_size,
            window=config.window,
            link_only=config.link_only,
        )
        counted = _count_levels(comparer, session, excluded)
        if not counted.pairs:
            continue
        m, share, ran = scoring.train_em(
            config.fields, counted, model.u, max_iterations=config.em_iterations
        )
        iterations += ran
        matches = share * counted.pairs
        for spec in config.fields:
            if spec.name not in excluded:
                sums[spec.name] += matches * np.asarray(m[spec.name])
                totals[spec.name] += matches
        del session, counted
    for spec in config.fields:
        if totals[spec.name] > 0:
            model.m[spec.name] = (sums[spec.name] / totals[spec.name]).tolist()
        else:
            model.m[spec.name] = list(scoring._START_M[spec.kind])
    model.em_iterations = iterations
    if config.fallback_m is not None and not plausible_m(model.m):
        exact = {n: round(model.m[n][scoring.EXACT], 3) for n in PERSON_FIELDS if n in model.m}
        logger.warning(
            "Matching model: EM on %s records found no plausible m (exact agreement %s); "
            "keeping the fallback m",
            len(records),
            exact,
        )
        model.m = {spec.name: list(config.fallback_m[spec.name]) for spec in config.fields}
        model.m_origin = "fallback"
    # The prior: expected matches (EM on the blocked candidates, m and u now fixed) over all
    # the pairs of the batch. Real-time scoring keeps it; retrain as the customer base grows.
    if candidates is None:
        candidates = _candidate_codes(records, config, hub_values)
    count = max(len(records), 2)
    all_pairs = count * (count - 1) / 2
    matches = max(count / 100, 1.0)
    counted = _count_levels(comparer, candidates)
    if counted.pairs:
        matches = max(
            scoring.match_share(config.fields, counted, model.m, model.u) * counted.pairs, 1.0
        )
    share = min(matches / all_pairs, 0.5)
    model.prior_weight = math.log2(share / (1 - share))
    return model


def _count_levels(
    comparer: Comparer, pairs: list[np.ndarray], excluded=(), chunk_size: int = TRAINING_CHUNK
) -> scoring.PatternCounts:
    """The comparison vectors of these pairs (arrays of pair codes), counted, compared a chunk
    at a time; the fields in ``excluded`` count as missing."""
    count = len(comparer.records)
    counted = scoring.PatternCounts(len(comparer.fields))
    for codes in pairs:
        for start in range(0, len(codes), chunk_size):
            chunk = codes[start : start + chunk_size]
            levels, _ = comparer.compare(chunk // count, chunk % count)
            for name in excluded:
                levels[:, comparer.column(name)] = scoring.MISSING
            counted.add(levels)
    return counted


def _ignored(hub_values) -> set[tuple[str, str]]:
    # Hub values are compared as if missing. Identifier kinds map to the scored field names.
    return {(kind, value) for kind, value in hub_values}


def _candidates(records, config: MatchConfig, hub_values) -> blocking.CandidatePairs:
    return _blocked(blocking.candidate_pairs, records, config, hub_values)


def _candidate_codes(records, config: MatchConfig, hub_values) -> list[np.ndarray]:
    """The pairs of ``_candidates``, as the sorted codes training reads."""
    return _blocked(blocking.pair_codes, records, config, hub_values)


def _blocked(pairing, records, config: MatchConfig, hub_values):
    """``pairing`` (``blocking.candidate_pairs`` or ``pair_codes``) under the config's rules."""
    rules = config.blocking_rules + blocking.identifier_rules(config.blocking_identifiers)
    return pairing(
        records,
        rules,
        max_block_size=config.max_block_size,
        window=config.window,
        hub_values=hub_values,
        link_only=config.link_only,
    )


@dataclass
class _Scored:
    levels: np.ndarray
    weights: np.ndarray
    totals: np.ndarray
    probabilities: np.ndarray
    swapped: np.ndarray
    contradicted: np.ndarray  # different first name without an agreeing birth date
    conflicting: np.ndarray  # different first name and different birth date
    # the names and birth date allow one person behind a shared strong identifier
    compatible: np.ndarray


def _score(model, comparer: Comparer, left, right, personal_fields=()) -> _Scored:
    levels, swapped = comparer.compare(left, right)
    weights = model.weights(comparer, left, right, levels, swapped)
    totals = weights.sum(axis=1)
    probabilities = np.asarray(model.probability(totals))
    contradicted = np.zeros(len(left), dtype=bool)
    conflicting = np.zeros(len(left), dtype=bool)
    names = {spec.name for spec in model.fields}
    if "first_name" in names:
        first = levels[:, comparer.column("first_name")]
        first_differs = first == len(scoring.LEVELS["name"]) - 1
        if "birth_date" in names:
            birth = levels[:, comparer.column("birth_date")]
            birth_differs = birth == len(scoring.LEVELS["date"]) - 1
            # Two plainly different birth dates are two people, whatever else agrees: a
            # shared mailbox between namesakes is the typical false link at scale.
            contradicted = (first_differs & (birth != scoring.EXACT)) | birth_differs
            conflicting = first_differs & birth_differs
        else:
            contradicted = first_differs
            conflicting = first_differs
        if "last_name" in names:
            # Another surname links only beside the same birth date (a name changed by
            # marriage): a partner sharing the phone and the address is someone else.
            last_differs = levels[:, comparer.column("last_name")] == scoring.NAME_DIFFERENT
            if "birth_date" in names:
                last_differs &= levels[:, comparer.column("birth_date")] != scoring.EXACT
            contradicted |= last_differs
        vouched = _personal_agreement(comparer, levels, personal_fields)
        contradicted &= ~vouched
        conflicting &= ~vouched
    compatible = names_compatible(comparer, levels)
    return _Scored(
        levels, weights, totals, probabilities, swapped, contradicted, conflicting, compatible
    )


def names_compatible(comparer: Comparer, levels: np.ndarray) -> np.ndarray:
    """Pairs whose names and birth date allow them to be one person: the first names agree
    (a nickname or an initial will do) and so do the surnames, or the birth date is the same
    (a surname changed by marriage); and the birth dates are not plainly different. A missing
    value contradicts nothing.

    This is what a shared e-mail or mobile needs on top to link: a household shares them, and
    so, now and then, do two people of the same first name."""
    names = {spec.name for spec in comparer.fields}
    compatible = np.ones(len(levels), dtype=bool)
    different_name = len(scoring.LEVELS["name"]) - 1
    birth_equal = np.zeros(len(levels), dtype=bool)
    if "birth_date" in names:
        birth = levels[:, comparer.column("birth_date")]
        birth_equal = birth == scoring.EXACT
        compatible &= birth != len(scoring.LEVELS["date"]) - 1
    if "first_name" in names:
        compatible &= levels[:, comparer.column("first_name")] != different_name
    if "last_name" in names:
        compatible &= (levels[:, comparer.column("last_name")] != different_name) | birth_equal
    if "phone" in names:
        # Two different phone numbers beside a shared address: namesakes as often as one
        # person who changed phones, so the pair is scored like any other instead.
        compatible &= levels[:, comparer.column("phone")] != len(scoring.LEVELS["phone"]) - 1
    return compatible


def _rest_of_evidence(model, scored: _Scored, row: int, strong) -> float:
    """The score without the field that carries the strong identifier itself."""
    total = float(scored.totals[row])
    if strong is None:
        return total
    for column, spec in enumerate(model.fields):
        if spec.name == strong[0]:
            return total - float(scored.weights[row, column])
    return total


def _personal_agreement(comparer: Comparer, levels: np.ndarray, personal_fields) -> np.ndarray:
    """Pairs whose personal identifier (national id…) agrees exactly or nearly."""
    agree = np.zeros(len(levels), dtype=bool)
    for name in personal_fields:
        column = levels[:, comparer.column(name)]
        agree |= (column == scoring.EXACT) | (column == scoring.EXACT + 1)
    return agree


def _evidence(model, comparer, scored: _Scored, row: int, left: int, right: int) -> dict:
    fields = {}
    for column, spec in enumerate(model.fields):
        level = int(scored.levels[row, column])
        fields[spec.name] = {
            "level": scoring.LEVELS[spec.kind][level],
            "weight": round(float(scored.weights[row, column]), 3),
            "left": comparer.records[left].value(spec.name),
            "right": comparer.records[right].value(spec.name),
        }
    return {
        "score": round(float(scored.totals[row]), 3),
        "prior": round(model.prior_weight, 3),
        "probability": round(float(scored.probabilities[row]), 6),
        "names_swapped": bool(scored.swapped[row]),
        "contradicted": bool(scored.contradicted[row]),
        "fields": fields,
    }


def decide(
    config: MatchConfig,
    model: FellegiSunterModel,
    scored: _Scored,
    row: int,
    strong: tuple[str, str] | None,
) -> tuple[str, str]:
    """Link, review or new for the pair of ``row``. A strong identifier links only when the
    names are compatible (``names_compatible``) and the rest of the evidence is not against it;
    when it does not, the pair is scored like any other, and at worst goes to a person."""
    probability = float(scored.probabilities[row])
    contradicted = bool(scored.contradicted[row])
    rest = _rest_of_evidence(model, scored, row, strong)
    compatible = bool(scored.compatible[row])
    strong_holds = strong is not None and compatible and rest >= config.strong_veto
    if strong_holds and not contradicted:
        return LINK, "strong"
    if probability >= config.link_threshold and not contradicted:
        return LINK, "probabilistic"
    if probability >= config.review_threshold or strong is not None:
        return REVIEW, "probabilistic"
    return NEW, "probabilistic"


# --- batch ------------------------------------------------------------------------------------


def resolve_batch(
    records: list[PersonRecord],
    config: MatchConfig | None = None,
    model: FellegiSunterModel | None = None,
) -> BatchResult:
    """Resolve a batch of records into people.

    Returns one cluster id per record (the record_id of its first record in input order), the
    link and review decisions with their evidence, the model (trained on this batch unless one
    is given) and the hub values found. Deterministic for a given input and config.
    """
    config = config or MatchConfig()
    hub_values = find_hub_values(records, config.hub_people_limit, config.hub_kinds)
    if model is not None:
        for kind, value in model.hub_values:
            hub_values.setdefault((kind, value), config.hub_people_limit + 1)
    comparer = Comparer(records, config.fields, _ignored(hub_values))
    pairs = _candidates(records, config, hub_values)
    strong_pairs = _strong_pairs(records, config, hub_values)
    left = np.concatenate([pairs.left, strong_pairs[0]]).astype(np.int64)
    right = np.concatenate([pairs.right, strong_pairs[1]]).astype(np.int64)
    codes = np.unique(left * len(records) + right) if len(left) else left
    left, right = codes // max(len(records), 1), codes % max(len(records), 1)
    if model is None:
        model = _train(comparer, config, hub_values, [pairs.left * len(records) + pairs.right])
    scored = _score(model, comparer, left, right, config.personal_fields)

    strong_lookup = strong_pairs[2]
    decisions: list[Decision] = []
    edges: list[tuple[int, float, int, int]] = []
    for row, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        probability = float(scored.probabilities[row])
        strong = strong_lookup.get((a, b))
        if strong is None and probability < config.review_threshold:
            continue
        action, rule = decide(config, model, scored, row, strong)
        if action == NEW:
            continue
        evidence = _evidence(model, comparer, scored, row, a, b)
        if strong is not None:
            evidence["identifier"] = {"kind": strong[0], "value": strong[1]}
        evidence["rule"] = rule
        decisions.append(
            Decision(
                records[a].record_id,
                records[b].record_id,
                action,
                rule,
                probability,
                float(scored.totals[row]),
                evidence,
            )
        )
        if action == LINK:
            # strong links first, then by score
            edges.append((0 if rule == "strong" else 1, -float(scored.totals[row]), a, b))

    edges.sort()
    conflicts = _ConflictChecker(model, comparer, config.personal_fields)
    clusters = _cluster(len(records), [(a, b) for _, _, a, b in edges], conflicts)
    first_member: dict[int, str] = {}
    cluster_ids = []
    for index, root in enumerate(clusters):
        first_member.setdefault(root, records[index].record_id)
        cluster_ids.append(first_member[root])
    stats = {
        "records": len(records),
        "candidate_pairs": len(pairs),
        "strong_pairs": len(strong_lookup),
        "links": sum(1 for d in decisions if d.action == LINK),
        "reviews": sum(1 for d in decisions if d.action == REVIEW),
        "hub_values": len(hub_values),
        "blocking": pairs.stats,
        "em_iterations": model.em_iterations,
        "refused_joins": conflicts.refused,
    }
    return BatchResult(cluster_ids, decisions, model, hub_values, stats)


def _strong_pairs(records, config: MatchConfig, hub_values):
    """Pairs sharing a strong identifier that is not a hub value."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        for identifier in strong_identifiers(record, config.strong_kinds):
            if identifier not in hub_values:
                groups[identifier].append(index)
    lookup: dict[tuple[int, int], tuple[str, str]] = {}
    for identifier, members in groups.items():
        # a group this large without being a hub is a data error; leave it to scoring
        if len(members) < 2 or len(members) > config.max_block_size:
            continue
        for x, a in enumerate(members):
            for b in members[x + 1 :]:
                if config.link_only and records[a].source == records[b].source:
                    continue
                lookup.setdefault((min(a, b), max(a, b)), identifier)
    left = np.array([a for a, _ in lookup], dtype=np.int64)
    right = np.array([b for _, b in lookup], dtype=np.int64)
    return left, right, lookup


class _ConflictChecker:
    """Whether two groups of records hold a pair that cannot be one person."""

    def __init__(self, model, comparer: Comparer, personal_fields=(), limit: int = 400) -> None:
        self.comparer = comparer
        self.personal_fields = personal_fields
        self.model = model
        self.limit = limit
        self.refused = 0

    def __call__(self, group_a: list[int], group_b: list[int]) -> bool:
        if len(group_a) * len(group_b) > self.limit:
            group_a, group_b = group_a[:20], group_b[:20]
        left = np.repeat(np.asarray(group_a, dtype=np.int64), len(group_b))
        right = np.tile(np.asarray(group_b, dtype=np.int64), len(group_a))
        if self.comparer.conflicts(left, right, self.personal_fields).any():
            self.refused += 1
            return True
        return False


def _cluster(count: int, edges: list[tuple[int, int]], conflicts) -> list[int]:
    """Union–find over the edges in order; a join the checker refuses is skipped."""
    parent = list(range(count))
    members: dict[int, list[int]] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        root_a, root_b = find(a), find(b)
        if root_a == root_b:
            continue
        group_a = members.get(root_a, [root_a])
        group_b = members.get(root_b, [root_b])
        if conflicts(group_a, group_b):
            continue
        if len(group_a) < len(group_b):
            root_a, root_b, group_a, group_b = root_b, root_a, group_b, group_a
        parent[root_b] = root_a
        members[root_a] = group_a + group_b
        members.pop(root_b, None)
    return [find(x) for x in range(count)]


# --- real time --------------------------------------------------------------------------------


def score_against(
    candidate: PersonRecord,
    existing: list[PersonRecord],
    model: FellegiSunterModel,
    config: MatchConfig | None = None,
) -> list[Decision]:
    """Decide, for each existing record, whether ``candidate`` is the same person.

    ``existing`` is what the caller's blocking found (records sharing a blocking key or an
    identifier). Returns one decision per existing record, the most likely first.
    """
    config = config or MatchConfig()
    if not existing:
        return []
    records = [candidate, *existing]
    hub_values = {tuple(pair) for pair in model.hub_values}
    comparer = Comparer(records, model.fields, hub_values)
    left = np.zeros(len(existing), dtype=np.int64)
    right = np.arange(1, len(records), dtype=np.int64)
    scored = _score(model, comparer, left, right, config.personal_fields)
    candidate_strong = {
        identifier
        for identifier in strong_identifiers(candidate, config.strong_kinds)
        if identifier not in hub_values
    }
    decisions = []
    for row, other in enumerate(existing):
        shared = [
            identifier
            for identifier in strong_identifiers(other, config.strong_kinds)
            if identifier in candidate_strong
        ]
        strong = shared[0] if shared else None
        probability = float(scored.probabilities[row])
        action, rule = decide(config, model, scored, row, strong)
        evidence = _evidence(model, comparer, scored, row, 0, row + 1)
        if strong is not None:
            evidence["identifier"] = {"kind": strong[0], "value": strong[1]}
        evidence["rule"] = rule
        decisions.append(
            Decision(
                candidate.record_id,
                other.record_id,
                action,
                rule,
                probability,
                float(scored.totals[row]),
                evidence,
            )
        )
    order = {LINK: 0, REVIEW: 1, NEW: 2}
    decisions.sort(key=lambda d: (order[d.action], -d.weight))
    return decisions


def blocking_keys(record: PersonRecord, config: MatchConfig | None = None) -> dict[str, str]:
    """The record's key per blocking rule: what a real-time lookup searches existing records by."""
    config = config or MatchConfig()
    keys = {}
    for rule in config.blocking_rules + blocking.identifier_rules(config.blocking_identifiers):
        key = rule.key(record)
        if key is not None:
            keys[rule.name] = key
    return keys
