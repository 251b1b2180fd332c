"""Training on columns (``scoring.RecordColumns``) learns what training on the records does."""

import numpy as np

from crm.identity import blocking, match, scoring
from crm.identity.scoring import Comparer, PersonRecord, RecordColumns
from tests.crm.identity.test_scoring import synthetic_people

SMALL = match.MatchConfig(u_sample_size=20_000)


def _with_a_hub_phone_and_messy_values(records: list[PersonRecord]) -> list[PersonRecord]:
    shop_phone = "+390612345678"
    customers = [
        PersonRecord(
            f"c{n}",
            first_name=name,
            last_name="Neri ",
            phone=shop_phone,
            phone_kind="mobile",
            birth_date=f"19{50 + n}-01-0{n + 1}",
            extra_ids={"web_account": f"w{n % 2}"},
        )  # fmt: skip
        for n, name in enumerate(["Aldo", "bruna", "CARLA", "dario", "A."])
    ]
    return [*records, *customers]


def _population() -> list[PersonRecord]:
    records, _ = synthetic_people(300)
    return _with_a_hub_phone_and_messy_values(records)


def test_columns_give_the_records_back_without_their_id():
    records = _population()

    columns = RecordColumns.from_records(iter(records))

    assert len(columns) == len(records)
    for record, again in zip(records, columns, strict=True):
        assert again.record_id == ""
        assert again.first_name == record.first_name
        assert again.birth_date == record.birth_date
        assert again.extra_ids == record.extra_ids
    assert columns[-1].extra_ids == {"web_account": "w0"}
    assert columns[0].extra_ids == {}


def test_a_comparer_on_columns_codes_values_as_one_on_records():
    records = _population()
    ignored = {("phone", "+390612345678")}

    on_records = Comparer(records, SMALL.fields, ignored)
    on_columns = Comparer(RecordColumns.from_records(records), SMALL.fields, ignored)

    for spec in SMALL.fields:
        assert on_columns.vocabulary(spec.name) == on_records.vocabulary(spec.name)
        assert (on_columns.codes(spec.name) == on_records.codes(spec.name)).all()


def test_hub_values_found_on_columns_are_those_found_on_records():
    records = _population()

    for limit in (1, 2, 3):
        expected = match.find_hub_values(records, limit)
        assert match.find_hub_values(RecordColumns.from_records(records), limit) == expected
    assert ("phone", "+390612345678") in match.find_hub_values(RecordColumns.from_records(records))


def test_pair_codes_are_the_candidate_pairs():
    records = _population()
    rules = blocking.DEFAULT_RULES + blocking.identifier_rules(("web_account",))
    hubs = {("phone", "+390612345678")}

    pairs = blocking.candidate_pairs(records, rules, max_block_size=6, window=2, hub_values=hubs)
    codes = blocking.pair_codes(
        RecordColumns.from_records(records), rules, max_block_size=6, window=2, hub_values=hubs
    )

    assert len(pairs) > 0
    assert len(codes) > 1
    assert all((np.diff(array) > 0).all() for array in codes)
    expected = (pairs.left * len(records) + pairs.right).tolist()
    assert sorted(np.concatenate(codes).tolist()) == expected


def test_patterns_counted_in_chunks_are_those_of_all_the_levels_at_once():
    rng = np.random.default_rng(3)
    levels = rng.integers(0, 4, size=(5_000, 6)).astype(np.int8)
    patterns, counts = np.unique(levels, axis=0, return_counts=True)

    counted = scoring.PatternCounts(6)
    for start in range(0, len(levels), 700):
        counted.add(levels[start : start + 700])

    assert (counted.patterns == patterns).all()
    assert counted.counts.tolist() == counts.tolist()
    assert counted.pairs == 5_000


def test_a_model_trained_on_columns_is_the_one_trained_on_records():
    records = _population()

    expected = match.train_model(records, SMALL).to_dict()
    trained = match.train_model(RecordColumns.from_records(records), SMALL)

    assert trained.to_dict() == expected
    assert trained.em_iterations > 0


def test_pairs_compared_in_chunks_count_as_compared_at_once():
    records = _population()
    comparer = Comparer(RecordColumns.from_records(records), SMALL.fields)
    arrays = match._candidate_codes(comparer.records, SMALL, {})
    codes = np.concatenate(arrays)
    levels, _ = Comparer(records, SMALL.fields).compare(codes // len(records), codes % len(records))
    levels[:, comparer.column("birth_date")] = scoring.MISSING
    patterns, counts = np.unique(levels, axis=0, return_counts=True)

    counted = match._count_levels(comparer, arrays, ("birth_date",), chunk_size=97)

    assert len(codes) > 97 * 3
    assert (counted.patterns == patterns).all()
    assert counted.counts.tolist() == counts.tolist()


def test_a_comparer_compares_the_same_pairs_alike_the_second_time():
    records = _population()
    comparer = Comparer(records, SMALL.fields)
    rng = np.random.default_rng(5)
    left = rng.integers(0, len(records), 3_000)
    right = rng.integers(0, len(records), 3_000)

    first, _ = comparer.compare(left[:2_000], right[:2_000])
    again, _ = comparer.compare(left, right)

    assert (again[:2_000] == first).all()
    assert (again == Comparer(records, SMALL.fields).compare(left, right)[0]).all()


def test_a_comparer_that_does_not_remember_compares_alike():
    records = _population()
    rng = np.random.default_rng(6)
    left = rng.integers(0, len(records), 2_000)
    right = rng.integers(0, len(records), 2_000)
    forgetful = Comparer(records, SMALL.fields, remember=False)

    forgetful.compare(left[:1_000], right[:1_000])
    levels, swapped = forgetful.compare(left, right)
    expected, expected_swapped = Comparer(records, SMALL.fields).compare(left, right)

    assert (levels == expected).all()
    assert (swapped == expected_swapped).all()
    assert all(len(keys) == 0 for keys, _ in forgetful._cache.values())
