from crm.identity import blocking
from crm.identity.scoring import PersonRecord


def _pairs(records, **options) -> set[tuple[str, str]]:
    found = blocking.candidate_pairs(records, **options)
    return {
        (records[a].record_id, records[b].record_id)
        for a, b in zip(found.left.tolist(), found.right.tolist(), strict=True)
    }


def test_it_pairs_swapped_first_and_last_names():
    records = [
        PersonRecord("a", first_name="mario", last_name="bianchi"),
        PersonRecord("b", first_name="bianchi", last_name="mario"),
    ]

    assert ("a", "b") in _pairs(records)


def test_it_pairs_a_typoed_surname_through_the_birth_date():
    records = [
        PersonRecord("a", first_name="giulia", last_name="ferrari", birth_date="1980-04-02"),
        PersonRecord("b", first_name="giulia", last_name="gerrari", birth_date="1980-04-02"),
        PersonRecord("c", first_name="anna", last_name="neri", birth_date="1975-01-09"),
    ]

    assert _pairs(records) == {("a", "b")}


def test_it_keeps_large_blocks_to_a_window_of_neighbours():
    records = [
        PersonRecord(f"r{n}", first_name="maria", last_name=f"rossi{n:03d}", postcode="20121")
        for n in range(300)
    ]

    found = blocking.candidate_pairs(
        records, (blocking.DEFAULT_RULES[1],), max_block_size=50, window=5
    )

    assert len(found) < 300 * 5
    assert found.stats["postcode+first_name_phonetic"]["capped_blocks"] == 1


def test_a_hub_value_makes_no_block():
    records = [
        PersonRecord(f"r{n}", first_name=f"name{n}", phone="+390612345678") for n in range(10)
    ]
    phone_rule = next(r for r in blocking.DEFAULT_RULES if r.name == "phone_last_digits")

    found = blocking.candidate_pairs(
        records, (phone_rule,), hub_values=[("phone", "+390612345678")]
    )

    assert len(found) == 0


def test_phonetic_codes_survive_a_typo_after_the_first_letter():
    assert blocking.phonetic("rossi") == blocking.phonetic("rosssi")
    assert blocking.phonetic("esposito") == blocking.phonetic("espositto")
    assert blocking.phonetic("rossi") != blocking.phonetic("bianchi")
