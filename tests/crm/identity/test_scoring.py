import random

import numpy as np
import pytest

from crm.identity import match, scoring
from crm.identity.scoring import Comparer, FellegiSunterModel, PersonRecord

FIRST = ["mario", "luca", "giulia", "anna", "marco", "sara", "paolo", "elena", "fabio", "laura"]
LAST = ["rossi", "russo", "ferrari", "esposito", "bianchi", "romano", "colombo", "ricci"]
CITIES = ["milano", "roma", "torino", "napoli", "bari"]


def synthetic_people(count: int, seed: int = 7) -> tuple[list[PersonRecord], dict[str, str]]:
    """Each person once or twice, the copy with the slips channels make."""
    rng = random.Random(seed)
    records, truth = [], {}
    for person in range(count):
        first = rng.choice(FIRST) + rng.choice(["", "a", "o", "ina"])
        last = rng.choice(LAST) + rng.choice(["", "i", "ello", "one"])
        values = {
            "first_name": first,
            "last_name": last,
            "birth_date": f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}",
            "email": f"{first}.{last}{rng.randint(1, 999)}@example.it",
            "phone": f"+3934{rng.randrange(10**8):08d}",
            "street": f"via {rng.choice(LAST)} {rng.randint(1, 200)}",
            "postcode": f"{rng.randint(10000, 99999)}",
            "city": rng.choice(CITIES),
        }
        copies = 2 if rng.random() < 0.5 else 1
        for copy in range(copies):
            row = dict(values)
            if copy:
                if rng.random() < 0.3:
                    row["last_name"] = last[:2] + last[3:] if len(last) > 4 else last
                for name in ("email", "phone", "birth_date", "street"):
                    if rng.random() < 0.3:
                        row[name] = ""
            record_id = f"p{person}-{copy}"
            records.append(PersonRecord(record_id, **row))
            truth[record_id] = str(person)
    return records, truth


def distinct_people(count: int, seed: int = 3) -> list[PersonRecord]:
    """Each person once, as one channel's file holds them: namesakes and neighbours, born
    within a few years of each other, but never two records of one person."""
    rng = random.Random(seed)
    records = []
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        records.append(
            PersonRecord(
                f"r{n}",
                first_name=first,
                last_name=last,
                birth_date=f"{rng.randint(1960, 1965)}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}",
                email=f"{first}.{last}{n}@example.it",
                phone=f"+3934{rng.randrange(10**8):08d}",
                street=f"via {rng.choice(LAST)} {rng.randint(1, 20)}",
                postcode=f"{rng.randint(20100, 20110)}",
                city=rng.choice(CITIES),
            )
        )
    return records


def test_em_learns_m_above_u_for_the_agreement_of_every_field():
    records, _ = synthetic_people(400)

    model = match.train_model(records, match.MatchConfig(u_sample_size=20_000))

    for spec in model.fields:
        assert model.m[spec.name][scoring.EXACT] > model.u[spec.name][scoring.EXACT], spec.name
        different = len(scoring.LEVELS[spec.kind]) - 1
        assert model.m[spec.name][different] < model.u[spec.name][different], spec.name


def test_a_rare_surname_agreeing_weighs_more_than_rossi():
    records = [PersonRecord(f"r{n}", first_name="x", last_name="rossi") for n in range(50)]
    records += [
        PersonRecord("rare-1", first_name="x", last_name="dellacqua"),
        PersonRecord("rare-2", first_name="x", last_name="dellacqua"),
    ]
    model = match.train_model(records, match.MatchConfig(u_sample_size=5_000))
    comparer = Comparer(records, model.fields)
    left, right = np.array([0, 50]), np.array([1, 51])
    levels, swapped = comparer.compare(left, right)

    weights = model.weights(comparer, left, right, levels, swapped)

    surname = comparer.column("last_name")
    assert weights[1, surname] > weights[0, surname] + 3


def test_swapped_names_are_compared_crossed():
    records = [
        PersonRecord("a", first_name="mario", last_name="bianchi"),
        PersonRecord("b", first_name="bianchi", last_name="mario"),
    ]
    comparer = Comparer(records)

    levels, swapped = comparer.compare(np.array([0]), np.array([1]))

    assert swapped.tolist() == [True]
    assert levels[0, comparer.column("first_name")] == scoring.EXACT
    assert levels[0, comparer.column("last_name")] == scoring.EXACT


def test_an_initial_matches_its_name_at_the_initial_level():
    name_levels = scoring.LEVELS["name"]

    assert name_levels[scoring._compare_name("m", "mario")] == "initial"
    assert name_levels[scoring._compare_name("g", "mario")] == "different"
    assert name_levels[scoring._compare_name("beppe", "giuseppe")] == "alias"


def test_the_model_survives_a_save_and_a_load(tmp_path):
    records, _ = synthetic_people(200)
    model = match.train_model(records, match.MatchConfig(u_sample_size=5_000))

    model.save(tmp_path / "model.json")
    loaded = FellegiSunterModel.load(tmp_path / "model.json")

    assert loaded.to_dict() == model.to_dict()
    pair = match.score_against(records[0], records[1:3], model)
    again = match.score_against(records[0], records[1:3], loaded)
    assert [d.weight for d in pair] == [d.weight for d in again]


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("maria.rossi@gmail.com", "maria.rossi@gmial.com", "close"),  # a mistyped provider
        ("maria.rossi@libero.it", "maria.rosi@libero.it", "close"),  # a typo
        ("maria.rossi@gmail.com", "mariarossi@gmail.com", "close"),  # Gmail ignores dots
        ("carlo.esposito@icloud.com", "carloesposito@icloud.com", "different"),
        ("emanuele_conti61@gmail.com", "emanuele_conti28@gmail.com", "different"),
        ("giovanni.mancini@gmail.com", "giovanni.mancini83@gmail.com", "different"),
        ("paolacosta@libero.it", "paolacosta@tiscali.it", "different"),
    ],
)
def test_only_a_typo_or_the_same_mailbox_makes_two_emails_close(left, right, level):
    levels = scoring.LEVELS["email"]

    assert levels[scoring.COMPARE["email"](left, right)] == level


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("mario", "marco", "different"),  # two given names, however alike: father and son
        ("maria", "mario", "different"),
        ("lucia", "luca", "different"),
        ("marta", "martina", "different"),
        ("rossi", "mario", "exact"),  # crossed: "Rossi Mario" is "Mario Rossi"
        ("gian marco", "gianmarco", "close"),  # one name written two ways
        ("giusepe", "giuseppe", "close"),  # a typo, not a name
        ("elisa", "elisabetta", "fuzzy"),  # a nickname is the same person
    ],
)
def test_two_different_given_names_are_different_first_names(left, right, level):
    records = [
        PersonRecord("a", first_name=left, last_name="bianchi"),
        PersonRecord("b", first_name=right, last_name="bianchi"),
    ]
    if left == "rossi":
        records = [
            PersonRecord("a", first_name="rossi", last_name="mario"),
            PersonRecord("b", first_name="mario", last_name="rossi"),
        ]
    comparer = Comparer(records)

    levels, _ = comparer.compare(np.array([0]), np.array([1]))

    assert scoring.LEVELS["name"][levels[0, comparer.column("first_name")]] == level


def test_surnames_that_are_also_alike_stay_fuzzy():
    comparer = Comparer(
        [
            PersonRecord("a", first_name="anna", last_name="rossi"),
            PersonRecord("b", first_name="anna", last_name="rosso"),
        ]
    )

    levels, _ = comparer.compare(np.array([0]), np.array([1]))

    assert scoring.LEVELS["name"][levels[0, comparer.column("last_name")]] != "different"
