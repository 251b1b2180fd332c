import dataclasses
import json

import pytest

from crm.identity import match, scoring
from crm.identity.scoring import Comparer, PersonRecord
from tests.crm.identity.test_scoring import distinct_people, synthetic_people

SMALL = match.MatchConfig(u_sample_size=20_000)


def _same(result: match.BatchResult, records, a: str, b: str) -> bool:
    cluster = dict(zip([r.record_id for r in records], result.cluster_ids, strict=True))
    return cluster[a] == cluster[b]


@pytest.fixture(scope="module")
def population():
    return synthetic_people(300)


def test_a_shared_loyalty_card_links_two_records(population):
    records, _ = population
    records = [
        *records,
        PersonRecord(
            "card-1", first_name="ottavio", last_name="pini", loyalty_card="2400000012345"
        ),
        PersonRecord("card-2", first_name="o", last_name="pinni", loyalty_card="2400000012345"),
    ]

    result = match.resolve_batch(records, SMALL)

    assert _same(result, records, "card-1", "card-2")
    link = next(d for d in result.links if {d.left_id, d.right_id} == {"card-1", "card-2"})
    assert link.rule == "strong"
    assert link.evidence["identifier"] == {"kind": "loyalty_card", "value": "2400000012345"}


def test_a_family_sharing_a_mobile_and_an_email_stays_two_people(population):
    records, _ = population
    shared = {
        "last_name": "dellacqua",
        "email": "famiglia.dellacqua@example.it",
        "email_verified": True,
        "phone": "+393471234567",
        "phone_kind": "mobile",
        "street": "via roma 3",
        "postcode": "20121",
        "city": "milano",
    }
    records = [
        *records,
        PersonRecord("mother", first_name="teresa", birth_date="1961-03-04", **shared),
        PersonRecord("son", first_name="davide", birth_date="1994-11-20", **shared),
    ]

    result = match.resolve_batch(records, SMALL)

    assert not _same(result, records, "mother", "son")


def test_the_same_person_on_a_shared_mobile_is_linked(population):
    records, _ = population
    records = [
        *records,
        PersonRecord(
            "till",
            first_name="teresa",
            last_name="dellacqua",
            phone="+393471234567",
            phone_kind="mobile",
        ),  # fmt: skip
        PersonRecord(
            "app",
            first_name="teresa",
            last_name="dell acqua",
            phone="+393471234567",
            phone_kind="mobile",
            birth_date="1961-03-04",
        ),  # fmt: skip
    ]

    result = match.resolve_batch(records, SMALL)

    assert _same(result, records, "till", "app")


def test_a_hub_phone_is_detected_and_links_nobody(population):
    records, _ = population
    shop_phone = "+390612345678"
    customers = [
        PersonRecord(
            f"c{n}",
            first_name=name,
            last_name=surname,
            phone=shop_phone,
            phone_kind="mobile",
            birth_date=f"19{50 + n}-01-0{n + 1}",
        )  # fmt: skip
        for n, (name, surname) in enumerate(
            [("aldo", "neri"), ("bruna", "verdi"), ("carla", "gialli"), ("dario", "blu")]
        )
    ]
    records = [*records, *customers]

    hubs = match.find_hub_values(records)
    result = match.resolve_batch(records, SMALL)

    assert hubs == {("phone", shop_phone): 4}
    assert len({result.cluster_ids[len(records) - 4 + n] for n in range(4)}) == 4
    assert ("phone", shop_phone) in result.hub_values


def test_thresholds_route_a_pair_to_link_review_or_new(population):
    records, _ = population
    model = match.train_model(records, SMALL)
    candidate = PersonRecord("new", first_name="luca", last_name="romano", city="roma")
    existing = [PersonRecord("old", first_name="luca", last_name="romano", city="roma")]
    probability = match.score_against(candidate, existing, model)[0].probability

    def action(link: float, review: float) -> str:
        config = match.MatchConfig(link_threshold=link, review_threshold=review)
        return match.score_against(candidate, existing, model, config)[0].action

    assert 0 < probability < 1
    assert action(link=probability / 2, review=probability / 4) == match.LINK
    assert action(link=(1 + probability) / 2, review=probability / 2) == match.REVIEW
    assert action(link=(1 + probability) / 2, review=(1 + probability) / 2) == match.NEW


def test_each_decision_keeps_json_evidence_per_field(population):
    records, _ = population

    result = match.resolve_batch(records, SMALL)

    decision = result.decisions[0]
    evidence = json.loads(json.dumps(decision.evidence))
    assert set(evidence["fields"]) == {spec.name for spec in result.model.fields}
    assert {"level", "weight", "left", "right"} <= set(evidence["fields"]["first_name"])
    assert evidence["score"] == pytest.approx(decision.weight, abs=0.001)


def test_clustering_refuses_to_chain_two_strangers_through_an_initial():
    records = [
        PersonRecord("a", first_name="maria", last_name="conti", birth_date="1950-01-01"),
        PersonRecord("b", first_name="m", last_name="conti"),
        PersonRecord("c", first_name="marco", last_name="conti", birth_date="1990-09-09"),
    ]

    clusters = match._cluster(
        3,
        [(0, 1), (1, 2)],
        match._ConflictChecker(None, Comparer(records, match.MatchConfig().fields)),
    )

    assert clusters[0] == clusters[1]
    assert clusters[2] != clusters[0]


def test_a_synthetic_population_is_resolved_with_f1_above_095():
    records, truth = synthetic_people(1500, seed=11)

    result = match.resolve_batch(records, SMALL)

    predicted = dict(zip([r.record_id for r in records], result.cluster_ids, strict=True))
    precision, recall, f1 = _pairwise(predicted, truth)
    assert f1 >= 0.95, (precision, recall)


def _pairwise(predicted: dict[str, str], truth: dict[str, str]) -> tuple[float, float, float]:
    """shared/eval/pairwise.py's definition: pairs sharing a cluster."""
    from collections import Counter

    def pairs(counts) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    both = pairs(Counter((predicted[r], truth[r]) for r in truth))
    precision = both / max(pairs(Counter(predicted.values())), 1)
    recall = both / max(pairs(Counter(truth.values())), 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def test_namesakes_sharing_a_mailbox_with_different_birth_dates_are_not_linked(population):
    records, _ = population
    shared = {
        "first_name": "riccardo",
        "last_name": "villanova",
        "email": "villanova.riccardo@example.it",
        "street": "via dante 8",
        "postcode": "20121",
        "city": "milano",
    }
    records = [
        *records,
        PersonRecord("elder", birth_date="1973-06-15", **shared),
        PersonRecord("younger", birth_date="1996-02-22", phone="+393518865302", **shared),
    ]

    result = match.resolve_batch(records, SMALL)

    assert not _same(result, records, "elder", "younger")


def test_father_and_son_of_alike_names_on_one_mobile_are_not_linked(population):
    records, _ = population
    shared = {
        "last_name": "bianchi",
        "phone": "+393281301642",
        "phone_kind": "mobile",
        "street": "via della repubblica 122",
        "postcode": "90146",
        "city": "palermo",
    }
    records = [
        *records,
        PersonRecord("father", first_name="mario", birth_date="1958-05-13", **shared),
        PersonRecord("son", first_name="marco", email="bianchi.marco@example.it", **shared),
    ]

    result = match.resolve_batch(records, SMALL)

    assert not _same(result, records, "father", "son")


@pytest.mark.parametrize(
    ("birth_dates", "linked"), [(("", ""), False), (("1979-02-03",) * 2, True)]
)
def test_another_surname_links_only_beside_the_same_birth_date(population, birth_dates, linked):
    records, _ = population
    shared = {
        "first_name": "simone",
        "phone": "+393338054947",
        "phone_kind": "mobile",
        "street": "via leopardi 62",
        "postcode": "20900",
        "city": "monza",
    }
    records = [
        *records,
        PersonRecord("one", last_name="vilato", birth_date=birth_dates[0], **shared),
        PersonRecord("other", last_name="colombo", birth_date=birth_dates[1], **shared),
    ]

    result = match.resolve_batch(records, SMALL)

    assert _same(result, records, "one", "other") is linked


FALLBACK = {
    spec.name: [
        0.0,
        0.9,
        *([0.1 / (len(scoring.LEVELS[spec.kind]) - 2)] * (len(scoring.LEVELS[spec.kind]) - 2)),
    ]
    for spec in SMALL.fields
}


def test_em_on_a_file_without_two_records_of_one_person_keeps_the_fallback_m():
    records = distinct_people(1000)

    found = match.train_model(records, SMALL)
    kept = match.train_model(records, dataclasses.replace(SMALL, fallback_m=FALLBACK))

    # EM alone settles on neighbours: agreeing on a name or a birth date counts against a match
    assert not match.plausible_m(found.m)
    assert found.m["birth_date"][scoring.EXACT] < found.u["birth_date"][scoring.EXACT]
    assert kept.m == FALLBACK
    assert kept.m_origin == "fallback"
    assert kept.u == found.u  # what random pairs say about different people still holds
    assert scoring.FellegiSunterModel.from_dict(kept.to_dict()).m_origin == "fallback"


def test_em_on_people_seen_twice_keeps_what_it_learnt():
    records, _ = synthetic_people(400)

    model = match.train_model(records, dataclasses.replace(SMALL, fallback_m=FALLBACK))

    assert model.m_origin == "em"
    assert match.plausible_m(model.m)
    assert model.m != FALLBACK
