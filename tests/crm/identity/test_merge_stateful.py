"""Random sequences of merges, unmerges and detaches over a small world never lose a row.

Each example builds a world of four customers inside a savepoint and rolls it back at the end,
so examples do not see each other's rows and the database stays empty between them.
"""

import datetime as dt
from collections import defaultdict

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
    survivorship.recompute_golden_records(customers=customers)
    Identity.objects.filter(kind="email", value=VERIFIED_EMAIL).update(is_verified=True)
    survivorship.recompute_golden_records(customers=customers)


def holdings() -> dict[int, dict[str, frozenset]]:
    """What each customer holds now: ids per model, and its identity values."""
    held: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for key, model in HELD.items():
        for pk, customer in model.objects.values_list("pk", "customer"):
            held[customer][key].add(pk)
    for customer, kind, value, is_verified in Identity.objects.values_list(
        "customer", "kind", "value", "is_verified"
    ):
        held[customer]["identities"].add((kind, value, is_verified))
    return {
        customer: {key: frozenset(values) for key, values in by_key.items()}
        for customer, by_key in held.items()
    }


def golden_fields(customer: Customer) -> tuple:
    return tuple(getattr(customer, field) for field in survivorship.GOLDEN_FIELDS) + (
        customer.provenance,
    )


def consent_rows() -> set[tuple]:
    return set(
        Consent.objects.values_list(
            "pk", "purpose", "channel", "is_granted", "recorded_at", "source_record", "proof"
        )
    )


def dropped_in_live_merges(key: str) -> list[int]:
    live = MergeEvent.objects.filter(kind=MergeEvent.Kind.MERGE, undone_by__isnull=True)
    return [row["id"] for event in live for row in event.snapshot[f"dropped_{key}"]]


class MergeWorld(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.built = False

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    @initialize(people=st.lists(CUSTOMER, min_size=4, max_size=4))
    def build(self, people: list[dict]) -> None:
        build_world(people)
        self.start = holdings()
        self.start_customers = set(Customer.objects.values_list("pk", flat=True))
        self.start_golden = {c.pk: golden_fields(c) for c in Customer.objects.all()}
        self.start_consents = consent_rows()
        self.start_preferences = set(Preference.objects.values_list("pk", flat=True))
        self.start_manual_identities = set(
            Identity.objects.filter(source_record=None).values_list("pk", flat=True)
        )
        self.start_identity_values = set(Identity.objects.values_list("kind", "value"))
        self.detached: set[int] = set()
        self.built = True

    # --- Rules ---------------------------------------------------------------------------------

    def active(self) -> list[int]:
        return sorted(Customer.objects.active().values_list("pk", flat=True))

    def live_merges(self) -> list[int]:
        return sorted(
            MergeEvent.objects.filter(
                kind=MergeEvent.Kind.MERGE, undone_by__isnull=True
            ).values_list("pk", flat=True)
        )

    def detachable(self) -> list[int]:
        records = SourceRecord.objects.filter(customer__status=Customer.Status.ACTIVE)
        per_customer = defaultdict(list)
        for pk, customer in records.values_list("pk", "customer"):
            per_customer[customer].append(pk)
        return sorted(pk for pks in per_customer.values() if len(pks) > 1 for pk in pks)

    @precondition(lambda self: self.built and len(self.active()) >= 2)
    @rule(data=st.data())
    def merge_two_customers(self, data: st.DataObject) -> None:
        active = self.active()
        survivor = data.draw(st.sampled_from(active), label="survivor")
        other = data.draw(st.sampled_from([pk for pk in active if pk != survivor]), label="other")

        merge.merge_customers(
            survivor=Customer.objects.get(pk=survivor), other=Customer.objects.get(pk=other)
        )

    @precondition(lambda self: self.built and self.live_merges())
    @rule(data=st.data())
    def undo_a_merge(self, data: st.DataObject) -> None:
        event = data.draw(st.sampled_from(self.live_merges()), label="merge event")

        merge.unmerge(event=MergeEvent.objects.get(pk=event))

    @precondition(lambda self: self.built and self.detachable())
    @rule(data=st.data())
    def detach_a_record(self, data: st.DataObject) -> None:
        record = data.draw(st.sampled_from(self.detachable()), label="record")

        event = merge.detach_source_record(record=SourceRecord.objects.get(pk=record))

        self.detached.add(event.other_id)

    @precondition(
        lambda self: self.built and Customer.objects.filter(status=Customer.Status.MERGED).exists()
    )
    @rule()
    def merging_a_merged_customer_is_refused(self) -> None:
        merged = Customer.objects.filter(status=Customer.Status.MERGED).first()
        before = holdings()

        with pytest.raises(ValidationError):
            merge.merge_customers(survivor=merged.merged_into, other=merged)
        with pytest.raises(ValidationError):
            merge.merge_customers(survivor=merged, other=merged.merged_into)

        assert holdings() == before

    @precondition(
        lambda self: self.built and MergeEvent.objects.filter(kind=MergeEvent.Kind.UNMERGE)
    )
    @rule()
    def undoing_a_merge_twice_is_refused(self) -> None:
        undone = MergeEvent.objects.filter(kind=MergeEvent.Kind.UNMERGE).first().undoes

        with pytest.raises(ValidationError):
            merge.unmerge(event=undone)

    # --- Invariants ----------------------------------------------------------------------------

    @invariant()
    def nothing_is_lost_and_every_row_is_where_its_record_is(self) -> None:
        if not self.built:
            return
        customers = {c.pk: c for c in Customer.objects.all()}
        active = {pk for pk, c in customers.items() if c.status == Customer.Status.ACTIVE}
        assert set(customers) == self.start_customers | self.detached
        now = holdings()

        for key in ("source_records", "orders", "interactions", "notes", "consents", "cases"):
            assert self.ids(now, key) == self.ids(self.start, key), key
        dropped = dropped_in_live_merges("preferences")
        assert len(dropped) == len(set(dropped))
        assert self.ids(now, "preferences") | set(dropped) == self.start_preferences
        assert not self.ids(now, "preferences") & set(dropped)
        manual = set(Identity.objects.filter(source_record=None).values_list("pk", flat=True))
        assert manual | set(dropped_in_live_merges("identities")) == self.start_manual_identities
        assert set(Identity.objects.values_list("kind", "value")) == self.start_identity_values
        assert consent_rows() == self.start_consents  # the ledger is never edited

        record_owner = dict(SourceRecord.objects.values_list("pk", "customer"))
        for model in (Order, Interaction, Consent, Preference):
            for customer, record in model.objects.exclude(source_record=None).values_list(
                "customer", "source_record"
            ):
                assert customer == record_owner[record], model.__name__
        assert set(now) <= active, "a row points at a merged customer"
        for customer in customers.values():
            if customer.status == Customer.Status.MERGED:
                assert customer.merged_into_id in active

    @invariant()
    def every_golden_record_is_its_records_and_consent_is_strict(self) -> None:
        if not self.built:
            return
        hubs = set(HubIdentifier.objects.values_list("kind", "value"))
        for customer in Customer.objects.active():
            records = list(customer.source_records.select_related("source"))
            if records:
                expected = survivorship.golden_values(records)
                for field in survivorship.GOLDEN_FIELDS:
                    default = Customer._meta.get_field(field).get_default()
                    value = expected[field].value if field in expected else default
                    assert getattr(customer, field) == value, field
                assert customer.provenance == {
                    field: chosen.provenance() for field, chosen in expected.items()
                }
            manual = set(
                customer.identities.filter(source_record=None).values_list("kind", "value")
            )
            derived = set(
                customer.identities.exclude(source_record=None).values_list("kind", "value")
            )
            assert derived == self.identity_values(records) - hubs - manual

            state = merge.consent_state(customer=customer)
            entries = defaultdict(list)
            for consent in customer.consents.all():
                entries[(consent.purpose, consent.channel)].append(consent)
            assert set(state) == set(entries)
            for key, said in entries.items():
                newest = max(consent.recorded_at for consent in said)
                last_word = [
                    consent.is_granted for consent in said if consent.recorded_at == newest
                ]
                # Newest wins; at the same moment, any withdrawal wins.
                assert state[key].is_granted == all(last_word), key

    @invariant()
    def undoing_every_merge_restores_the_world_exactly(self) -> None:
        if not self.built or self.detached or self.live_merges():
            return
        assert holdings() == self.start
        for customer in Customer.objects.all():
            assert golden_fields(customer) == self.start_golden[customer.pk]

    @staticmethod
    def ids(held: dict[int, dict[str, frozenset]], key: str) -> set[int]:
        return {pk for by_key in held.values() for pk in by_key.get(key, ())}

    @staticmethod
    def identity_values(records: list[SourceRecord]) -> set[tuple[str, str]]:
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
