import datetime as dt
import itertools

import pytest
from django.urls import reverse

from crm.identity import merge, survivorship
from crm.models import Customer, MergeEvent, Order, SourceRecord
from tests import factories

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2023, 2, 1, 9, 0, tzinfo=dt.UTC)
LATELY = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
_numbers = itertools.count(1)


def person(
    *, first_name="Maria", last_name="Rossi", created_at=LATELY, source_code="pos", **fields
):
    """A customer made from one channel record, its golden record computed."""
    number = next(_numbers)
    customer = factories.CustomerFactory(
        first_name=first_name, last_name=last_name, created_at=created_at
    )
    factories.SourceRecordFactory(
        customer=customer,
        source=factories.source(source_code),
        external_id=f"M{number:05d}",
        **fields,
    )
    survivorship.recompute_golden_record(customer=customer)
    return customer


def add_record(customer, *, source_code="web", **fields):
    record = factories.SourceRecordFactory(
        customer=customer,
        source=factories.source(source_code),
        external_id=f"M{next(_numbers):05d}",
        **fields,
    )
    survivorship.recompute_golden_record(customer=customer)
    return record


@pytest.fixture
def persona(request, staff, agent, manager):
    return {"associate": staff, "agent": agent, "manager": manager}[request.param]


@pytest.fixture
def two_people(db):
    """Maria, known for years at the till, and her newer web shop account."""
    older = person(created_at=LONG_AGO, email="maria.rossi@example.it", phone="+393471234567")
    newer = person(first_name="Maria", last_name="Rossi", source_code="web", email="mr@example.it")
    return older, newer


def page_urls(older, newer) -> list[str]:
    event = merge.merge_customers(survivor=older, other=newer, reason="Same person")
    merge.unmerge(event=event)
    return [
        reverse("crm:merge-history"),
        reverse("crm:merge-undo", args=[event.pk]),
        reverse("crm:customer-merge", args=[older.pk]) + "?q=Rossi",
        reverse("crm:customer-merge-preview", args=[older.pk, newer.pk]),
        reverse("crm:customer-records", args=[older.pk]),
        reverse("crm:record-detach", args=[older.source_records.get().pk]),
    ]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("associate", 403), ("agent", 403), ("manager", 200)],
    indirect=["persona"],
)
def test_only_crm_managers_reach_the_merge_pages(client, two_people, persona, status):
    urls = page_urls(*two_people)
    client.force_login(persona)

    assert [client.get(url).status_code for url in urls] == [status] * len(urls)


@pytest.mark.parametrize("persona", ["associate", "agent"], indirect=True)
def test_a_store_associate_or_agent_cannot_merge(client, two_people, persona):
    older, newer = two_people
    client.force_login(persona)

    response = client.post(
        reverse("crm:customer-merge-preview", args=[older.pk, newer.pk]), {"reason": "Same"}
    )

    assert response.status_code == 403
    assert MergeEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("associate", False), ("agent", False), ("manager", True)],
    indirect=["persona"],
)
def test_the_customer_page_offers_merging_to_managers_only(client, two_people, persona, shown):
    older, _ = two_people
    client.force_login(persona)

    page = client.get(reverse("crm:customer-detail", args=[older.pk])).content.decode()

    assert (reverse("crm:customer-merge", args=[older.pk]) in page) is shown
    assert (reverse("crm:customer-records", args=[older.pk]) in page) is shown


def test_merge_search_finds_other_customers_but_not_the_one_we_start_from(
    client, manager, two_people
):
    older, newer = two_people
    stranger = person(first_name="Giovanni", last_name="Bianchi")
    client.force_login(manager)

    response = client.get(reverse("crm:customer-merge", args=[older.pk]), {"q": "Rossi"})

    assert response.context["results"] == [newer]
    page = response.content.decode()
    assert reverse("crm:customer-merge-preview", args=[older.pk, newer.pk]) in page
    assert reverse("crm:customer-merge-preview", args=[older.pk, stranger.pk]) not in page


def test_the_merge_preview_shows_the_survivor_and_writes_nothing(client, manager, two_people):
    older, newer = two_people
    client.force_login(manager)
    before = (
        MergeEvent.objects.count(),
        list(Customer.objects.values_list("pk", "status", "email", "phone", "updated_at")),
        list(SourceRecord.objects.values_list("pk", "customer")),
    )

    response = client.get(reverse("crm:customer-merge-preview", args=[newer.pk, older.pk]))

    after = (
        MergeEvent.objects.count(),
        list(Customer.objects.values_list("pk", "status", "email", "phone", "updated_at")),
        list(SourceRecord.objects.values_list("pk", "customer")),
    )
    assert after == before
    assert response.context["survivor"] == older  # the older customer keeps its id
    merged = {row.name: row.merged_value for row in response.context["rows"]}
    assert merged["phone"] == "+393471234567"  # only the till record has one
    assert merged["country"] == "IT"  # no record says: the default, as a recompute writes
    assert merged["email"] in {"maria.rossi@example.it", "mr@example.it"}
    assert "Store till" in response.content.decode()  # where the phone would come from


def test_merging_needs_a_reason(client, manager, two_people):
    older, newer = two_people
    client.force_login(manager)

    response = client.post(
        reverse("crm:customer-merge-preview", args=[older.pk, newer.pk]), {"reason": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert MergeEvent.objects.count() == 0


def test_merge_then_undo_from_the_history_restores_both_customers(client, manager, two_people):
    older, newer = two_people
    newer_record = newer.source_records.get()
    Order.objects.create(
        source=newer_record.source,
        external_id="W-1",
        customer=newer,
        source_record=newer_record,
        store=factories.StoreFactory(),
        ordered_at=LATELY,
    )
    client.force_login(manager)

    merged = client.post(
        reverse("crm:customer-merge-preview", args=[newer.pk, older.pk]),
        {"reason": "Same phone, called to confirm"},
    )
    event = MergeEvent.objects.get()
    history = client.get(reverse("crm:merge-history"))
    undone = client.post(reverse("crm:merge-undo", args=[event.pk]), {"reason": "Two sisters"})

    assert merged.status_code == 302 and merged["Location"] == reverse(
        "crm:customer-detail", args=[older.pk]
    )
    assert (event.survivor, event.other, event.performed_by) == (older, newer, manager)
    assert event.reason == "Same phone, called to confirm"
    page = history.content.decode()
    assert "Same phone, called to confirm" in page
    assert reverse("crm:merge-undo", args=[event.pk]) in page
    assert undone.status_code == 302
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.status == older.status == Customer.Status.ACTIVE
    assert newer_record.pk in newer.source_records.values_list("pk", flat=True)
    assert list(older.source_records.values_list("source__code", flat=True)) == ["pos"]
    assert Order.objects.get(external_id="W-1").customer == newer
    unmerge_event = MergeEvent.objects.get(kind=MergeEvent.Kind.UNMERGE)
    assert (unmerge_event.undoes, unmerge_event.performed_by) == (event, manager)
    assert unmerge_event.reason == "Two sisters"


def test_undoing_a_merge_twice_says_so_instead_of_failing(client, manager, two_people):
    older, newer = two_people
    event = merge.merge_customers(survivor=older, other=newer, reason="Same person")
    client.force_login(manager)
    client.post(reverse("crm:merge-undo", args=[event.pk]))

    response = client.post(reverse("crm:merge-undo", args=[event.pk]), follow=True)

    assert response.status_code == 200
    assert "already been undone" in response.content.decode()
    assert MergeEvent.objects.filter(kind=MergeEvent.Kind.UNMERGE).count() == 1


def test_the_history_shows_newest_first_and_no_undo_for_an_undone_merge(
    client, manager, two_people
):
    older, newer = two_people
    third = person(first_name="Marco")
    first_merge = merge.merge_customers(survivor=older, other=newer, reason="first", by=manager)
    merge.unmerge(event=first_merge, by=manager)
    second_merge = merge.merge_customers(survivor=older, other=third, reason="second", score=0.8)
    client.force_login(manager)

    response = client.get(reverse("crm:merge-history"))

    events = list(response.context["page"])
    assert events[0] == second_merge and events[-1] == first_merge
    page = response.content.decode()
    assert reverse("crm:merge-undo", args=[second_merge.pk]) in page
    assert reverse("crm:merge-undo", args=[first_merge.pk]) not in page
    assert "0.80" in page


def test_detaching_a_record_makes_a_new_customer(client, manager, two_people):
    older, _ = two_people
    extra = add_record(older, source_code="app", first_name="Mario", email="mario@example.it")
    client.force_login(manager)

    response = client.post(
        reverse("crm:record-detach", args=[extra.pk]), {"reason": "Her husband's app account"}
    )

    assert response.status_code == 302
    extra.refresh_from_db()
    assert extra.customer != older
    assert extra.customer.status == Customer.Status.ACTIVE
    assert extra.customer.first_name == "Mario"
    event = MergeEvent.objects.get(kind=MergeEvent.Kind.DETACH)
    assert (event.survivor, event.other, event.performed_by) == (older, extra.customer, manager)
    assert event.reason == "Her husband's app account"


def test_detaching_the_only_record_is_refused_with_a_message(client, manager, two_people):
    older, _ = two_people
    client.force_login(manager)

    response = client.post(
        reverse("crm:record-detach", args=[older.source_records.get().pk]), {"reason": "test"}
    )

    assert response.status_code == 200
    assert "only source record" in response.content.decode()
    assert MergeEvent.objects.count() == 0


def test_merging_a_customer_already_merged_away_says_so(client, manager, two_people):
    older, newer = two_people
    third = person(first_name="Marco")
    merge.merge_customers(survivor=older, other=newer)
    client.force_login(manager)

    response = client.post(
        reverse("crm:customer-merge-preview", args=[third.pk, newer.pk]), {"reason": "Same"}
    )

    assert response.status_code == 200
    assert "already been merged" in response.content.decode()
    assert MergeEvent.objects.count() == 1


def test_the_records_panel_lists_records_and_merges_that_can_be_undone(client, manager, two_people):
    older, newer = two_people
    event = merge.merge_customers(survivor=older, other=newer, reason="Same person")
    client.force_login(manager)

    response = client.get(reverse("crm:customer-records", args=[older.pk]), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card merge-actions"')
    for record in older.source_records.all():
        assert reverse("crm:record-detach", args=[record.pk]) in page
    assert reverse("crm:merge-undo", args=[event.pk]) in page
