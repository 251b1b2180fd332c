"""Random sequences of merges, unmerges and detaches over a small world never lose a row.

Each example builds a world of four customers inside a savepoint and rolls it back at the end,
so examples do not see each other's rows and the database stays empty between them.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from crm.identity import merge, survivorship
from crm.models import (
    Case,
    Consent,
    Customer,
    HubIdentifier,
    Identity,
    Interaction,
    MergeEvent,
    Note,
    Order,
    Preference,
    SourceRecord,
)
from stores.models import Store
from tests import factories

SOURCES = ["pos", "web", "app", "loyalty", "social"]
NAMES = ["Maria", "Marta", "Mario"]
EMAILS = ["maria@example.it", "rossi@example.it", "", "family@example.it"]
HUB_PHONE = "+390212345678"  # the store's own landline, typed in at the till for everyone
PHONES = [HUB_PHONE, "+393471234567", "+393339876543", "+390612345678"]
ADDRESSES = [("", "", ""), ("Via Roma 1", "20121", "Milano"), ("Via Po 3", "", "Torino")]
VERIFIED_EMAIL = "rossi@example.it"
BASE_DAY = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)
EXTERNAL_ID_KINDS = {"web": "web_account", "app": "app_id", "social": "social_handle"}
EXTERNAL_ID_KINDS["pos"] = "pos_customer"

RECORD = st.fixed_dictionaries(
    {
        "source": st.integers(0, len(SOURCES) - 1),
        "name": st.integers(0, len(NAMES) - 1),
        "email": st.integers(0, len(EMAILS) - 1),
        "phone": st.integers(0, len(PHONES) - 1),
        "address": st.integers(0, len(ADDRESSES) - 1),
        "day": st.integers(0, 3),
        "brand": st.integers(0, 2),
        "consents": st.booleans(),
    }
)
CUSTOMER = st.fixed_dictionaries(
    {
        "records": st.lists(RECORD, min_size=1, max_size=2),
        "size": st.integers(0, 1),
        "consents": st.booleans(),
        "consent_day": st.integers(0, 3),
        "handle": st.sampled_from(["", "@rossi", "@maria"]),
    }
)
WITH_RECORD = ("orders", "interactions", "preferences", "consents")
HELD = {
    "source_records": SourceRecord,
    "orders": Order,
    "interactions": Interaction,
    "notes": Note,
    "preferences": Preference,
    "consents": Consent,
    "cases": Case,
}


def build_world(people: list[dict]) -> None:
    """Four customers and everything hanging off them, in a few bulk inserts."""
    store = Store.objects.get_or_create(code="mi01", defaults={"name": "Milano Brera"})[0]
    sources = {code: factories.source(code) for code in SOURCES}
    HubIdentifier.objects.create(kind=Identity.Kind.PHONE, value=HUB_PHONE, people_count=30)
    customers = Customer.objects.bulk_create(Customer() for _ in people)
    records = []
    for number, (customer, shape) in enumerate(zip(customers, people, strict=True)):
        for index, drawn in enumerate(shape["records"]):
            street, postcode, city = ADDRESSES[drawn["address"]]
            records.append(
                SourceRecord(
                    source=sources[SOURCES[drawn["source"]]],
                    external_id=f"P{number}-{index}",
                    customer=customer,
                    first_name=NAMES[drawn["name"]],
                    last_name="Rossi",
                    email=EMAILS[drawn["email"]],
                    phone=PHONES[drawn["phone"]],
                    street=street,
                    postcode=postcode,
                    city=city,
                    loyalty_card=f"CARD{number}" if index == 0 else "",
                    seen_at=BASE_DAY + dt.timedelta(days=drawn["day"]),
                )
            )
    records = SourceRecord.objects.bulk_create(records)
    drawn_records = [drawn for shape in people for drawn in shape["records"]]
    orders, interactions, consents, preferences = [], [], [], []
    for record, drawn in zip(records, drawn_records, strict=True):
        customer = record.customer
        for line in range(2):
            orders.append(
                Order(
                    source=record.source,
                    external_id=f"{record.external_id}-{line}",
                    customer=customer,
                    source_record=record,
                    store=store,
                    ordered_at=record.seen_at,
                )
            )
        interactions.append(
            Interaction(customer=customer, source_record=record, kind="web_visit", channel="web")
        )
        consents.append(
            Consent(
                customer=customer,
                source_record=record,
                purpose="marketing",
                channel="email",
                is_granted=drawn["consents"],
                recorded_at=record.seen_at,
            )
        )
        preferences.append(
            Preference(
                customer=customer,
                source_record=record,
                kind="brand",
                value=f"{record.external_id}-brand{drawn['brand']}",
            )
        )
    for customer, shape in zip(customers, people, strict=True):
        consents.append(
            Consent(
                customer=customer,
                purpose="marketing",
                channel="email",
                is_granted=shape["consents"],
                recorded_at=BASE_DAY + dt.timedelta(days=shape["consent_day"]),
            )
        )
        preferences.append(Preference(customer=customer, kind="size", value="SML"[shape["size"]]))
    Order.objects.bulk_create(orders)
    Interaction.objects.bulk_create(interactions)
    Consent.objects.bulk_create(consents)
    Preference.objects.bulk_create(preferences)
    Note.objects.bulk_create(Note(customer=customer, body="Regular") for customer in customers)
    Case.objects.bulk_create(Case(customer=customer, subject="Zip") for customer in customers)
    Identity.objects.bulk_create(
        Identity(customer=customer, kind="social_handle", value=shape["handle"])
        for customer, shape in zip(customers, people, strict=True)
        if shape["handle"]
    )
    # The customer clicked the link we sent to this address (one row per customer and value).
    verifying = {record.customer_id: record for record in records if record.email == VERIFIED_EMAIL}
    Identity.objects.bulk_create(
        Identity(
            customer_id=customer,
            kind="email",
            value=VERIFIED_EMAIL,
            source_record=record,
            is_verified=True,
        )
        for customer, record in verifying.items()
    )
    survivorship.recompute_golden_records(customers=customers)


@dataclass
class World:
    """Everything the invariants look at, read in a dozen queries."""

    customers: dict[int, Customer]
    records: dict[int, SourceRecord]
    identities: list[tuple]  # pk, customer, kind, value, source record, is verified
    rows: dict[str, list[tuple]]  # per model: pk, customer, source record
    consents: set[tuple]
    live_merges: list[MergeEvent]
    undone_merges: list[int]

    @classmethod
    def read(cls) -> "World":
        rows = {}
        for key, model in HELD.items():
            fields = (
                ["pk", "customer", "source_record"] if key in WITH_RECORD else ["pk", "customer"]
            )
            rows[key] = list(model.objects.values_list(*fields))
        events = list(MergeEvent.objects.order_by("pk"))
        undone = {event.undoes_id for event in events if event.undoes_id}
        return cls(
            customers={customer.pk: customer for customer in Customer.objects.all()},
            records={r.pk: r for r in SourceRecord.objects.select_related("source")},
            identities=list(
                Identity.objects.values_list(
                    "pk", "customer", "kind", "value", "source_record", "is_verified"
                )
            ),
            rows=rows,
            consents=set(
                Consent.objects.values_list(
                    "pk", "purpose", "channel", "is_granted", "recorded_at", "source_record"
                )
            ),
            live_merges=[
                event
                for event in events
                if event.kind == MergeEvent.Kind.MERGE and event.pk not in undone
            ],
            undone_merges=sorted(undone),
        )

    def active(self) -> list[int]:
        return sorted(pk for pk, c in self.customers.items() if c.status == Customer.Status.ACTIVE)

    def records_of(self, customer: int) -> list[SourceRecord]:
        return [record for record in self.records.values() if record.customer_id == customer]

    def detachable(self) -> list[int]:
        return sorted(
            record.pk
            for record in self.records.values()
            if len(self.records_of(record.customer_id)) > 1
        )

    def holdings(self) -> dict[int, dict[str, frozenset]]:
        """What each customer holds: ids per model, and its identity values."""
        held: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
        for key, rows in self.rows.items():
            for pk, customer, *_ in rows:
                held[customer][key].add(pk)
        for _, customer, kind, value, _, is_verified in self.identities:
            held[customer]["identities"].add((kind, value, is_verified))
        return {
            customer: {key: frozenset(values) for key, values in by_key.items()}
            for customer, by_key in held.items()
        }

    def ids(self, key: str) -> set[int]:
        return {row[0] for row in self.rows[key]}

    def dropped(self, key: str) -> list[int]:
        return [row["id"] for event in self.live_merges for row in event.snapshot[f"dropped_{key}"]]

    def verified_emails(self, customer: int) -> set[str]:
        records = {record.pk for record in self.records_of(customer)}
        return {
            value
            for _, owner, kind, value, record, is_verified in self.identities
            if kind == "email"
            and is_verified
            and (record in records or (record is None and owner == customer))
        }


def golden_fields(customer: Customer) -> tuple:
    return (
        *(getattr(customer, field) for field in survivorship.GOLDEN_FIELDS),
        customer.provenance,
    )


def identity_values(records: list[SourceRecord]) -> set[tuple[str, str]]:
    """What the records say a customer's identifiers are, written out again here."""
    values = set()
    for record in records:
        values |= {
            (kind, value)
            for kind, value in (
                ("email", record.email),
                ("phone", record.phone),
                ("loyalty_card", record.loyalty_card),
                (EXTERNAL_ID_KINDS.get(record.source.code, ""), record.external_id),
            )
            if kind and value
        }
    return values


class MergeWorld(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.world: World | None = None

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    @initialize(people=st.lists(CUSTOMER, min_size=4, max_size=4))
    def build(self, people: list[dict]) -> None:
        build_world(people)
        self.world = self.start = World.read()
        self.start_holdings = self.start.holdings()
        self.start_golden = {pk: golden_fields(c) for pk, c in self.start.customers.items()}
        self.start_manual_identities = {row[0] for row in self.start.identities if row[4] is None}
        self.start_identity_values = {(row[2], row[3]) for row in self.start.identities}
        self.hubs = set(HubIdentifier.objects.values_list("kind", "value"))
        self.detached: set[int] = set()

    # --- Rules (preconditions read the world as the last invariant check saw it) ---------------

    @precondition(lambda self: self.world and len(self.world.active()) >= 2)
    @rule(data=st.data())
    def merge_two_customers(self, data: st.DataObject) -> None:
        active = self.world.active()
        survivor = data.draw(st.sampled_from(active), label="survivor")
        other = data.draw(st.sampled_from([pk for pk in active if pk != survivor]), label="other")

        merge.merge_customers(
            survivor=self.world.customers[survivor], other=self.world.customers[other]
        )

    @precondition(lambda self: self.world and self.world.live_merges)
    @rule(data=st.data())
    def undo_a_merge(self, data: st.DataObject) -> None:
        event = data.draw(st.sampled_from(self.world.live_merges), label="merge event")

        merge.unmerge(event=event)

    @precondition(lambda self: self.world and self.world.detachable())
    @rule(data=st.data())
    def detach_a_record(self, data: st.DataObject) -> None:
        record = data.draw(st.sampled_from(self.world.detachable()), label="record")

        event = merge.detach_source_record(record=self.world.records[record])

        self.detached.add(event.other_id)

    @precondition(lambda self: self.world and self.world.live_merges)
    @rule()
    def merging_a_merged_customer_is_refused(self) -> None:
        merged = self.world.customers[self.world.live_merges[0].other_id]

        with pytest.raises(ValidationError):
            merge.merge_customers(survivor=merged.merged_into, other=merged)
        with pytest.raises(ValidationError):
            merge.merge_customers(survivor=merged, other=merged.merged_into)

    @precondition(lambda self: self.world and self.world.undone_merges)
    @rule()
    def undoing_a_merge_twice_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            merge.unmerge(event=MergeEvent.objects.get(pk=self.world.undone_merges[0]))

    # --- Invariants ----------------------------------------------------------------------------

    @invariant()
    def the_world_is_whole_and_consistent(self) -> None:
        if self.world is None:
            return
        self.world = World.read()
        self.nothing_is_lost()
        self.every_row_is_with_its_record_and_an_active_customer()
        self.every_golden_record_is_what_its_records_say()
        self.consent_is_strict()
        if not self.world.live_merges and not self.detached:
            self.undoing_every_merge_restored_the_world_exactly()

    def nothing_is_lost(self) -> None:
        """The same rows as at the start, or rows a live merge dropped as duplicates and keeps."""
        world = self.world
        assert set(world.customers) == set(self.start.customers) | self.detached
        for key in ("source_records", "orders", "interactions", "notes", "consents", "cases"):
            assert world.ids(key) == self.start.ids(key), key
        for key, now, start in (
            ("preferences", world.ids("preferences"), self.start.ids("preferences")),
            (
                "identities",
                {row[0] for row in world.identities if row[4] is None},
                self.start_manual_identities,
            ),
        ):
            dropped = world.dropped(key)
            assert len(dropped) == len(set(dropped)), key
            assert not now & set(dropped), key
            assert now | set(dropped) == start, key
        assert {(row[2], row[3]) for row in world.identities} == self.start_identity_values
        assert world.consents == self.start.consents  # the ledger is never edited

    def every_row_is_with_its_record_and_an_active_customer(self) -> None:
        world, active = self.world, set(self.world.active())
        for key in WITH_RECORD:
            for _, customer, record in world.rows[key]:
                if record is not None:
                    assert customer == world.records[record].customer_id, key
        for _, customer, _, _, record, _ in world.identities:
            if record is not None:
                assert customer == world.records[record].customer_id, "identity"
        assert set(world.holdings()) <= active, "a row points at a merged customer"
        for customer in world.customers.values():
            if customer.status == Customer.Status.MERGED:
                assert customer.merged_into_id in active

    def every_golden_record_is_what_its_records_say(self) -> None:
        world = self.world
        for pk in world.active():
            customer, records = world.customers[pk], world.records_of(pk)
            if records:
                expected = survivorship.golden_values(
                    records, verified_emails=world.verified_emails(pk)
                )
                for field in survivorship.GOLDEN_FIELDS:
                    default = Customer._meta.get_field(field).get_default()
                    value = expected[field].value if field in expected else default
                    assert getattr(customer, field) == value, field
                assert customer.provenance == {
                    field: chosen.provenance() for field, chosen in expected.items()
                }
            manual = {(r[2], r[3]) for r in world.identities if r[1] == pk and r[4] is None}
            derived = {(r[2], r[3]) for r in world.identities if r[1] == pk and r[4] is not None}
            assert derived == identity_values(records) - self.hubs - manual

    def undoing_every_merge_restored_the_world_exactly(self) -> None:
        assert self.world.holdings() == self.start_holdings
        for pk, customer in self.world.customers.items():
            assert golden_fields(customer) == self.start_golden[pk]

    def consent_is_strict(self) -> None:
        consents = {row[0]: row for row in self.world.consents}
        for pk in self.world.active():
            state = merge.consent_state(customer=self.world.customers[pk])
            entries = defaultdict(list)
            for consent_pk, customer, _ in self.world.rows["consents"]:
                if customer == pk:
                    _, purpose, channel, is_granted, recorded_at, _ = consents[consent_pk]
                    entries[(purpose, channel)].append((recorded_at, is_granted))
            assert set(state) == set(entries)
            for key, said in entries.items():
                newest = max(recorded_at for recorded_at, _ in said)
                last_word = [
                    is_granted for recorded_at, is_granted in said if recorded_at == newest
                ]
                # The newest entry is in force; at the same moment, any withdrawal wins.
                assert state[key].is_granted == all(last_word), key
                assert state[key].recorded_at == newest, key


@pytest.mark.django_db
def test_random_merges_unmerges_and_detaches_never_lose_a_row():
    run_state_machine_as_test(
        MergeWorld,
        settings=settings(
            max_examples=200,
            stateful_step_count=12,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
