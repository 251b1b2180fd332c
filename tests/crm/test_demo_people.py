"""The demo's people are plausible channel data: what must be one person's is one person's."""

import datetime as dt
import random
from collections import defaultdict

from crm.demo.catalogue import build_catalogue
from crm.demo.people import HUB_EMAIL, generate_people


def test_a_mailbox_belongs_to_one_person_or_one_household():
    people = list(generate_people(random.Random(3), 6000, build_catalogue(3), dt.date(2025, 6, 30)))
    holders = defaultdict(set)
    for person in people:
        for record in person.records:
            address = record.email.strip().lower()
            if address and address != HUB_EMAIL:
                holders[address].add((person.household, person.id))
    shared = {a: h for a, h in holders.items() if len(h) > 1}
    # Namesakes are common among 6,000 people (several Giulia Rossi), so this would fail if
    # addresses were drawn from the name alone; a family address stays within its household.
    assert len(holders) > 4000
    assert all(len({household for household, _ in h}) == 1 for h in shared.values()), shared
    assert all(address.startswith("famiglia.") for address in shared)


def test_gmail_addresses_differ_by_more_than_their_dots():
    people = list(generate_people(random.Random(4), 6000, build_catalogue(4), dt.date(2025, 6, 30)))
    owners = defaultdict(set)
    for person in people:
        local, _, domain = person.email.partition("@")
        if domain == "gmail.com":
            owners[local.replace(".", "")].add(person.household)

    assert len(owners) > 500
    assert all(len(households) == 1 for households in owners.values())
