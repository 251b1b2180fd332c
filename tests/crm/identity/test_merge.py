import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import CampaignMember
from crm.identity import merge, survivorship
from crm.models import (
    Case,
    Consent,
    Customer,
    Identity,
    Interaction,
    MergeEvent,
    Note,
    Order,
    Preference,
    SourceRecord,
)
from tests import factories

pytestmark = pytest.mark.django_db

JANUARY = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.UTC)
MARCH = dt.datetime(2025, 3, 15, 9, 0, tzinfo=dt.UTC)
MAY = dt.datetime(2025, 5, 15, 9, 0, tzinfo=dt.UTC)

HELD = {
    "source_records": SourceRecord,
    "orders": Order,
    "interactions": Interaction,
    "notes": Note,
    "preferences": Preference,
    "consents": Consent,
    "cases": Case,
}


def person(store, *, first_name: str, source_code: str = "pos", orders: int = 1, **fields):
    """A customer with one channel record and a little of everything hanging off it."""
    customer = factories.CustomerFactory(first_name=first_name, last_name="Rossi")
    record = factories.SourceRecordFactory(
        customer=customer, source=factories.source(source_code), **fields
    )
    add_record_rows(store, record, orders=orders)
    factories.NoteFactory(customer=customer, author=None)
    factories.CaseFactory(customer=customer)
    survivorship.recompute_golden_record(customer=customer)
    return customer


_batches = itertools.count(1)


def add_record_rows(store, record: SourceRecord, *, orders: int = 1) -> None:
    customer, batch = record.customer, next(_batches)
    Order.objects.bulk_create(
        Order(
            source=record.source,
            external_id=f"{record.external_id}-{batch}-{number}",
            customer=customer,
            source_record=record,
            store=store,
            ordered_at=JANUARY,
        )
        for number in range(orders)
    )
    factories.InteractionFactory(customer=customer, source_record=record, store=store)
    factories.ConsentFactory(customer=customer, source_record=record, recorded_at=JANUARY)
    factories.PreferenceFactory(
        customer=customer, source_record=record, kind="brand", value=f"{record.external_id}-{batch}"
    )


def holdings(customer: Customer) -> dict[str, set[int]]:
    held = {
        key: set(model.objects.filter(customer=customer).values_list("pk", flat=True))
        for key, model in HELD.items()
    }
    held["identities"] = set(customer.identities.values_list("kind", "value"))
    return held


def test_a_merge_moves_every_row_and_lists_them_in_its_snapshot(store):
    survivor = person(store, first_name="Maria", email="maria@example.it")
    other = person(store, first_name="Maria", email="m.rossi@example.it", orders=2)
    before = holdings(other)

    event = merge.merge_customers(survivor=survivor, other=other, reason="Same person")

    after = holdings(survivor)
    for key in HELD:
        assert before[key] <= after[key], key
        assert set(event.snapshot[key]) == before[key], key
        assert not HELD[key].objects.filter(customer=other).exists(), key
    assert before["identities"] <= after["identities"]
    assert event.moved_source_records == sorted(before["source_records"])
    assert (event.kind, event.survivor, event.other, event.reason) == (
        MergeEvent.Kind.MERGE,
        survivor,
        other,
        "Same person",
    )


def test_a_merge_marks_the_other_merged_and_recomputes_the_survivor(store):
    survivor = person(store, first_name="Maria", email="maria@example.it", seen_at=JANUARY)
    other = person(store, first_name="Maria", email="m.rossi@example.it", seen_at=MAY)

    merge.merge_customers(survivor=survivor, other=other)

    other.refresh_from_db()
    survivor.refresh_from_db()
    assert (other.status, other.merged_into) == (Customer.Status.MERGED, survivor)
    assert survivor.email == "m.rossi@example.it"
    assert survivor.provenance["email"]["source_record"] == other_record_pk(survivor, MAY)
    assert not other.identities.exists()


def other_record_pk(customer: Customer, seen_at: dt.datetime) -> int:
    return customer.source_records.get(seen_at=seen_at).pk


def test_a_merge_keeps_the_survivors_preference_and_snapshots_the_duplicate(store):
    survivor = person(store, first_name="Maria")
    other = person(store, first_name="Maria")
    kept = factories.PreferenceFactory(customer=survivor, kind="size", value="M")
    dropped = factories.PreferenceFactory(customer=other, kind="size", value="M", is_declared=False)

    event = merge.merge_customers(survivor=survivor, other=other)

    assert Preference.objects.filter(pk=kept.pk, customer=survivor).exists()
    assert not Preference.objects.filter(pk=dropped.pk).exists()
    assert [row["id"] for row in event.snapshot["dropped_preferences"]] == [dropped.pk]
    assert dropped.pk not in event.snapshot["preferences"]


def test_an_unmerge_restores_exactly_what_the_merge_moved(store):
    survivor = person(store, first_name="Maria", email="maria@example.it")
    other = person(store, first_name="Mario", email="mario@example.it", orders=3)
    factories.PreferenceFactory(customer=survivor, kind="size", value="M")
    dropped = factories.PreferenceFactory(customer=other, kind="size", value="M", is_declared=False)
    manual = Identity.objects.create(customer=other, kind="social_handle", value="@mario")
    before = {"survivor": holdings(survivor), "other": holdings(other)}
    golden_before = Customer.objects.values("first_name", "email").get(pk=other.pk)
    event = merge.merge_customers(survivor=survivor, other=other)

    undo = merge.unmerge(event=event, reason="Two brothers")

    assert {"survivor": holdings(survivor), "other": holdings(other)} == before
    restored = Preference.objects.get(pk=dropped.pk)
    assert (restored.customer, restored.is_declared, restored.captured_at) == (
        other,
        False,
        dropped.captured_at,
    )
    assert Identity.objects.get(pk=manual.pk).customer == other
    other.refresh_from_db()
    assert (other.status, other.merged_into) == (Customer.Status.ACTIVE, None)
    assert Customer.objects.values("first_name", "email").get(pk=other.pk) == golden_before
    assert (undo.kind, undo.undoes, undo.other, undo.reason) == (
        MergeEvent.Kind.UNMERGE,
        event,
        other,
        "Two brothers",
    )


def test_after_an_unmerge_rows_follow_their_record_and_new_rows_without_one_stay(store):
    survivor = person(store, first_name="Maria")
    other = person(store, first_name="Mario")
    event = merge.merge_customers(survivor=survivor, other=other)
    other_record = SourceRecord.objects.get(pk=event.snapshot["source_records"][0])
    add_record_rows(store, other_record)  # arrived after the merge, on the survivor
    note = factories.NoteFactory(customer=survivor, author=None)

    merge.unmerge(event=event)

    assert {o.customer_id for o in Order.objects.filter(source_record=other_record)} == {other.pk}
    assert {c.customer_id for c in Consent.objects.filter(source_record=other_record)} == {other.pk}
    assert Note.objects.get(pk=note.pk).customer == survivor


def test_an_unmerge_takes_rows_back_from_wherever_they_are_now(store):
    first = person(store, first_name="Anna")
    second = person(store, first_name="Bruno")
    third = person(store, first_name="Carla")
    before = holdings(second)
    merged_second = merge.merge_customers(survivor=first, other=second)
    merge.merge_customers(survivor=third, other=first)

    merge.unmerge(event=merged_second)

    assert holdings(second) == before
    for customer in (first, second, third):
        customer.refresh_from_db()
    assert (first.status, first.merged_into) == (Customer.Status.MERGED, third)
    assert second.status == Customer.Status.ACTIVE


@pytest.mark.parametrize("first_undone", ["earlier", "later"])
def test_undoing_chained_merges_in_either_order_gives_everyone_their_rows_back(store, first_undone):
    people = [person(store, first_name=name) for name in ("Anna", "Bruno", "Carla")]
    before = [holdings(customer) for customer in people]
    earlier = merge.merge_customers(survivor=people[0], other=people[1])
    later = merge.merge_customers(survivor=people[2], other=people[0])

    for event in (earlier, later) if first_undone == "earlier" else (later, earlier):
        merge.unmerge(event=MergeEvent.objects.get(pk=event.pk))

    assert [holdings(customer) for customer in people] == before
    assert set(Customer.objects.values_list("status", flat=True)) == {Customer.Status.ACTIVE}


def test_customers_merged_earlier_point_at_the_newest_survivor_and_back_on_unmerge(store):
    first = person(store, first_name="Anna")
    second = person(store, first_name="Bruno")
    third = person(store, first_name="Carla")
    merge.merge_customers(survivor=second, other=first)

    event = merge.merge_customers(survivor=third, other=second)

    first.refresh_from_db()
    assert first.merged_into == third
    assert event.snapshot["repointed_customers"] == [first.pk]

    merge.unmerge(event=event)

    first.refresh_from_db()
    assert first.merged_into == second


def test_a_dropped_duplicate_is_restored_even_when_a_later_merge_dropped_it_again(store):
    first = person(store, first_name="Anna")
    second = person(store, first_name="Bruno")
    third = person(store, first_name="Carla")
    moved = factories.PreferenceFactory(customer=second, kind="size", value="M")
    factories.PreferenceFactory(customer=third, kind="size", value="M")
    merged_second = merge.merge_customers(survivor=first, other=second)
    merged_first = merge.merge_customers(survivor=third, other=first)

    merge.unmerge(event=merged_second)

    assert Preference.objects.get(pk=moved.pk).customer == second
    merged_first.refresh_from_db()
    assert merged_first.snapshot["dropped_preferences"] == []


@pytest.mark.parametrize("status", [Customer.Status.MERGED, Customer.Status.ERASED])
def test_it_refuses_to_merge_a_customer_that_is_not_active(store, status):
    survivor = person(store, first_name="Maria")
    other = person(store, first_name="Mario")
    elsewhere = factories.CustomerFactory()
    Customer.objects.filter(pk=other.pk).update(
        status=status, merged_into=elsewhere if status == Customer.Status.MERGED else None
    )

    with pytest.raises(ValidationError):
        merge.merge_customers(survivor=survivor, other=other)
    with pytest.raises(ValidationError):
        merge.merge_customers(survivor=other, other=survivor)


def test_it_refuses_to_merge_a_customer_into_itself(store):
    customer = person(store, first_name="Maria")

    with pytest.raises(ValidationError):
        merge.merge_customers(survivor=customer, other=customer)


def test_it_refuses_to_undo_a_merge_twice(store):
    survivor = person(store, first_name="Maria")
    other = person(store, first_name="Mario")
    event = merge.merge_customers(survivor=survivor, other=other)
    merge.unmerge(event=event)

    with pytest.raises(ValidationError, match="already been undone"):
        merge.unmerge(event=event)


def test_it_refuses_to_undo_what_is_not_a_merge(store):
    customer = person(store, first_name="Maria")
    add_record_rows(store, factories.SourceRecordFactory(customer=customer))
    detach = merge.detach_source_record(record=customer.source_records.first())

    with pytest.raises(ValidationError, match="Only a merge"):
        merge.unmerge(event=detach)


def test_detach_moves_the_record_and_what_came_from_it_to_a_new_customer(store):
    customer = person(store, first_name="Maria", email="maria@example.it")
    record = factories.SourceRecordFactory(
        customer=customer, source=factories.source("web"), first_name="Marta", email="m@ex.it"
    )
    add_record_rows(store, record, orders=2)
    notes_before = set(customer.notes.values_list("pk", flat=True))

    event = merge.detach_source_record(record=record, reason="Her daughter")

    new_customer = event.other
    record.refresh_from_db()
    assert record.customer == new_customer
    assert record.match_rule == SourceRecord.MatchRule.DETACHED
    for model in (Order, Interaction, Consent, Preference):
        assert {row.customer_id for row in model.objects.filter(source_record=record)} == {
            new_customer.pk
        }
    assert set(customer.notes.values_list("pk", flat=True)) == notes_before
    new_customer.refresh_from_db()
    assert (new_customer.first_name, new_customer.email) == ("Marta", "m@ex.it")
    assert set(new_customer.identities.values_list("kind", "value")) == {
        ("email", "m@ex.it"),
        ("web_account", record.external_id),
    }
    assert ("email", "m@ex.it") not in set(customer.identities.values_list("kind", "value"))
    assert (event.kind, event.survivor, event.moved_source_records) == (
        MergeEvent.Kind.DETACH,
        customer,
        [record.pk],
    )


def test_it_refuses_to_detach_a_customers_only_record(store):
    customer = person(store, first_name="Maria")

    with pytest.raises(ValidationError, match="only source record"):
        merge.detach_source_record(record=customer.source_records.get())


def test_a_verified_identity_follows_its_record_when_detached(store):
    customer = person(store, first_name="Maria", email="maria@example.it")
    record = factories.SourceRecordFactory(customer=customer, email="shared@example.it")
    other_record = factories.SourceRecordFactory(customer=customer, email="shared@example.it")
    survivorship.recompute_golden_record(customer=customer)
    Identity.objects.filter(customer=customer, value="shared@example.it").update(
        source_record=record, is_verified=True
    )

    event = merge.detach_source_record(record=record)

    assert event.other.identities.get(value="shared@example.it").is_verified
    left = customer.identities.get(value="shared@example.it")
    assert (left.is_verified, left.source_record) == (False, other_record)


# --- Consent -------------------------------------------------------------------------------------


def consent(customer, *, is_granted: bool, at: dt.datetime) -> Consent:
    return factories.ConsentFactory(customer=customer, is_granted=is_granted, recorded_at=at)


@pytest.mark.parametrize(
    ("survivor_says", "other_says", "in_force"),
    [
        ((True, JANUARY), (False, MAY), False),  # a newer withdrawal on the absorbed side
        ((False, MAY), (True, JANUARY), False),  # an older grant never overrides a withdrawal
        ((True, MAY), (False, MAY), False),  # same moment: the withdrawal wins
        ((False, MAY), (True, MAY), False),
        ((False, JANUARY), (True, MAY), True),  # a newer grant is the customer's latest word
    ],
)
def test_after_a_merge_the_newest_consent_is_in_force_and_a_tie_withdraws(
    store, survivor_says, other_says, in_force
):
    survivor = person(store, first_name="Maria")
    other = person(store, first_name="Mario")
    Consent.objects.filter(customer__in=[survivor, other]).update(channel="sms")
    consent(survivor, is_granted=survivor_says[0], at=survivor_says[1])
    consent(other, is_granted=other_says[0], at=other_says[1])

    merge.merge_customers(survivor=survivor, other=other)

    state = merge.consent_state(customer=survivor)
    assert state[("marketing", "email")].is_granted is in_force
    assert Consent.objects.filter(customer=survivor, purpose="marketing").count() == 4


def test_an_unmerge_gives_each_customer_its_own_consent_history_back(store):
    survivor = person(store, first_name="Maria")
    other = person(store, first_name="Mario")
    granted = consent(survivor, is_granted=True, at=MAY)
    withdrawn = consent(other, is_granted=False, at=MARCH)
    event = merge.merge_customers(survivor=survivor, other=other)

    merge.unmerge(event=event)

    assert merge.consent_state(customer=survivor)[("marketing", "email")] == granted
    assert merge.consent_state(customer=other)[("marketing", "email")] == withdrawn


# --- Campaigns and cost --------------------------------------------------------------------------


def test_campaign_memberships_stay_on_the_absorbed_customer(store):
    survivor = person(store, first_name="Maria")
    other = person(store, first_name="Mario")
    member = CampaignMember.objects.create(campaign=factories.CampaignFactory(), customer=other)

    merge.merge_customers(survivor=survivor, other=other)

    member.refresh_from_db()
    assert member.customer == other
    assert member.customer.merged_into == survivor


def two_people(store, *, orders: int) -> tuple[Customer, Customer]:
    survivor = person(store, first_name="Maria", orders=orders)
    other = person(store, first_name="Mario", orders=orders)
    factories.PreferenceFactory(customer=survivor, kind="size", value="M")
    factories.PreferenceFactory(customer=other, kind="size", value="M")
    Identity.objects.create(customer=other, kind="social_handle", value="@mario")
    return survivor, other


def test_the_cost_of_a_merge_does_not_grow_with_the_orders(store, django_assert_max_num_queries):
    few, many = two_people(store, orders=3), two_people(store, orders=30)

    with django_assert_max_num_queries(40) as few_queries:
        merge.merge_customers(survivor=few[0], other=few[1])
    with django_assert_max_num_queries(40) as many_queries:
        merge.merge_customers(survivor=many[0], other=many[1])

    assert len(few_queries) == len(many_queries)
