"""The resolver's batch blocking finds the same pairs as the engine's blocking."""

import random

import numpy as np
import pytest

from crm.identity import batch_blocking, blocking
from crm.identity.scoring import PersonRecord

RULES = blocking.DEFAULT_RULES + blocking.identifier_rules(("loyalty_card",))


def people(seed: int, count: int) -> list[PersonRecord]:
    """Records drawn from small vocabularies, so that blocks of every size form, some of them
    past the cap, and some records share a hub e-mail."""
    pick = random.Random(seed).choice
    return [
        PersonRecord(
            record_id=str(n),
            first_name=pick(["maria", "mario", "anna", "giuseppe", "luca", ""]),
            last_name=pick(["rossi", "russo", "bianchi", "ferrari", "esposito", ""]),
            email=pick(["", "", "a@example.it", "b@example.it", "noemail@negozio.it"]),
            phone=pick(["", "+393471112233", "+393479998877", "+390212345678"]),
            birth_date=pick(["", "1980-01-01", "1985-05-17", "1990-12-31"]),
            postcode=pick(["", "20121", "10123", "00184"]),
            loyalty_card=pick(["", "", "C-100", "C-200"]),
            source=pick(["1", "2"]),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("new", [1, 7, 40])
def test_it_finds_the_pairs_of_the_engine_that_involve_a_new_record(seed, new):
    records = people(seed, 120)
    hubs = [("email", "noemail@negozio.it")]

    engine = blocking.candidate_pairs(records, RULES, max_block_size=6, window=3, hub_values=hubs)
    ours = batch_blocking.new_record_pairs(
        records, RULES, new=new, max_block_size=6, window=3, hub_values=hubs
    )

    expected = np.unique(engine.left * len(records) + engine.right)
    expected = expected[expected // len(records) < new]
    assert len(expected) > new  # the data does form pairs
    assert ours.tolist() == expected.tolist()


def test_stored_records_alone_make_no_pair():
    records = people(1, 50)
    records[0] = PersonRecord(record_id="new", first_name="zeno", last_name="zzz", source="1")

    pairs = batch_blocking.new_record_pairs(records, RULES, new=1, max_block_size=40, window=5)

    assert pairs.tolist() == []
