"""The associate's customer screen: search as you type, the customer page, the store home."""

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Channel, Customer, Identity, Interaction, Order, OrderLine
from crm.views import home
from stores import services as stores_services
from stores.models import UserSettings
from tests import factories

# --- Search -------------------------------------------------------------------------------


@pytest.fixture
def namesakes(db):
    """Two "Maria Rossi" and a Dell'Acqua."""
    milano = factories.CustomerFactory(
        first_name="Maria", last_name="Rossi", city="Milano", phone="+393471111111"
    )
    roma = factories.CustomerFactory(
        first_name="Maria", last_name="Rossi", city="Roma", phone="+393472222222"
    )
    niccolo = factories.CustomerFactory(
        first_name="Niccolò", last_name="Dell'Acqua", email="niccolo@example.it"
    )
    return milano, roma, niccolo


@pytest.mark.parametrize("text", ["niccolo", "NICCOLÒ dell'acqua", "Nicolò", "dell'aqua"])
def test_search_by_name_forgives_accents_and_a_typo(namesakes, text):
    found = list(Customer.objects.search(text))

    assert found == [namesakes[2]]


def test_search_by_name_with_a_typo_still_needs_every_word(namesakes):
    assert list(Customer.objects.search("Maria Acqua")) == []


@pytest.mark.parametrize("text", ["347 111 1111", "+39 347-111-1111", "0039 3471111111"])
def test_search_by_phone_finds_the_one_holder_in_any_format(namesakes, text):
    found = list(Customer.objects.search(text))

    assert found == [namesakes[0]]


def test_search_by_a_phone_held_as_an_identity_finds_its_holder(namesakes):
    Identity.objects.create(customer=namesakes[1], kind="phone", value="+390212345678")

    assert list(Customer.objects.search("02 1234 5678")) == [namesakes[1]]


def test_search_by_email_ignores_case_and_spaces(namesakes):
    assert list(Customer.objects.search("  Niccolo@Example.IT ")) == [namesakes[2]]


def test_search_by_loyalty_card_typed_with_spaces(namesakes):
    Identity.objects.create(customer=namesakes[1], kind="loyalty_card", value="2400000079190")

    assert list(Customer.objects.search("2400 0000 79190")) == [namesakes[1]]


def test_search_results_tell_two_namesakes_apart(client, staff, namesakes):
    client.force_login(staff)

    response = client.get(
        reverse("crm:customer-list"), {"q": "maria rossi"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert "Milano" in body and "Roma" in body
    assert "•••111" in body and "•••222" in body
    assert "40–49" in body or "40-49" in body


def _search_queries(client, text: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("crm:customer-list"), {"q": text}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return len(captured)


def test_search_results_cost_the_same_queries_for_one_row_as_for_twenty(client, staff):
    store = factories.StoreFactory()
    for number in range(20):
        factories.CustomerFactory(
            first_name="Anna",
            last_name=f"Gallo{'abcdefghilmnopqrstuv'[number]}",
            home_store=store,
            company_name="Ottica Gallo",
            rfm_segment=Customer.Segment.CHAMPION,
            last_seen_at=timezone.now(),
        )
    client.force_login(staff)

    # Every row shows what it needs without reading a deferred field back, one row at a time.
    assert _search_queries(client, "anna gallo") == _search_queries(client, "galloh")


# --- The customer page --------------------------------------------------------------------


def _give_history(customer: Customer, *, orders: int, store) -> None:
    """``orders`` orders of two lines each, and as many interactions, in bulk."""
    now = timezone.now()
    product = factories.ProductFactory()
    made = Order.objects.bulk_create(
        Order(
            source=factories.source("pos"),
            external_id=f"{customer.pk}-{number}",
            customer=customer,
            store=store,
            ordered_at=now - dt.timedelta(days=number),
            total=Decimal("20.00"),
        )
        for number in range(orders)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_number=line,
            product=product,
            sku=product.sku,
            product_name=product.name,
            unit_price=Decimal("10.00"),
            line_total=Decimal("10.00"),
        )
        for order in made
        for line in (1, 2)
    )
    Interaction.objects.bulk_create(
        Interaction(
            customer=customer,
            kind=Interaction.Kind.CHECK_IN,
            channel=Channel.STORE,
            store=store,
            occurred_at=now - dt.timedelta(days=number, hours=1),
        )
        for number in range(orders)
    )


def _queries_for_page(client, customer: Customer) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("crm:customer-detail", args=[customer.pk]))
    assert response.status_code == 200
    return len(captured)


def test_the_customer_page_makes_as_many_queries_for_1000_orders_as_for_10(client, staff, store):
    few, many = factories.CustomerFactory(), factories.CustomerFactory()
    _give_history(few, orders=10, store=store)
    _give_history(many, orders=1000, store=store)
    for customer in (few, many):
        factories.NoteFactory.create_batch(3, customer=customer)
        factories.PreferenceFactory(customer=customer)
        factories.ConsentFactory(customer=customer)
    client.force_login(staff)
    _queries_for_page(client, few)  # warm the session and content types

    assert _queries_for_page(client, many) == _queries_for_page(client, few)


def test_the_customer_page_shows_where_a_contact_came_from_and_what_not_to_propose(client, staff):
    record = factories.SourceRecordFactory(source=factories.source("web"), phone="+393471234567")
    customer = record.customer
    customer.provenance = {"phone": {"source_record": record.pk, "source": "web"}}
    customer.phone = "+393471234567"
    customer.save()
    factories.ConsentFactory(customer=customer, purpose="marketing", is_granted=True)
    client.force_login(staff)

    body = client.get(reverse("crm:customer-detail", args=[customer.pk])).content.decode()

    assert "from Web shop" in body
    assert "Do not propose:" in body and "Profiling" in body and "Sharing with partners" in body


def test_pinned_notes_come_before_newer_ones(client, staff, customer):
    factories.NoteFactory(customer=customer, body="Pinned and old", is_pinned=True)
    factories.NoteFactory(customer=customer, body="Newer, not pinned")
    client.force_login(staff)

    body = client.get(reverse("crm:customer-detail", args=[customer.pk])).content.decode()

    assert body.index("Pinned and old") < body.index("Newer, not pinned")


def test_the_customer_page_loads_the_suggestions_from_the_campaigns_app(client, staff, customer):
    client.force_login(staff)

    body = client.get(reverse("crm:customer-detail", args=[customer.pk])).content.decode()

    assert f'hx-get="{reverse("campaigns:customer-suggestions", args=[customer.pk])}"' in body


def test_older_purchases_come_a_page_at_a_time(client, staff, store, customer):
    _give_history(customer, orders=25, store=store)
    client.force_login(staff)

    second = client.get(
        reverse("crm:customer-orders", args=[customer.pk]), {"page": 2}, HTTP_HX_REQUEST="true"
    )
    third = client.get(
        reverse("crm:customer-orders", args=[customer.pk]), {"page": 3}, HTTP_HX_REQUEST="true"
    )

    assert second.content.decode().count("<tr>") == 10
    assert "page=3" in second.content.decode()
    assert third.content.decode().count("<tr>") == 5
    assert "page=4" not in third.content.decode()


def test_the_timeline_filters_by_kind_and_pages_by_date(client, staff, store, customer):
    _give_history(customer, orders=30, store=store)
    factories.InteractionFactory(customer=customer, kind="call", channel="phone", text="Rang back")
    client.force_login(staff)
    url = reverse("crm:customer-timeline", args=[customer.pk])

    calls = client.get(url, {"kind": "call"}, HTTP_HX_REQUEST="true").content.decode()
    first = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    cursor = unquote(re.search(r"before=([^&\"]+)", first).group(1))
    rest = client.get(url, {"before": cursor}, HTTP_HX_REQUEST="true").content.decode()

    assert "Rang back" in calls and calls.count("<time ") == 1
    assert first.count("<time ") == 20 and "before=" in first
    assert rest.count("<time ") == 11 and "before=" not in rest


def test_a_section_refetched_after_a_capture_renders_alone(client, staff, customer):
    factories.NoteFactory(customer=customer, body="Likes linen")
    client.force_login(staff)

    response = client.get(reverse("crm:customer-section", args=[customer.pk, "notes"]))

    body = response.content.decode()
    assert "Likes linen" in body and "<html" not in body


def test_an_unknown_section_is_not_found(client, staff, customer):
    client.force_login(staff)

    response = client.get(reverse("crm:customer-section", args=[customer.pk, "secrets"]))

    assert response.status_code == 404


# --- Search through the screen --------------------------------------------------------------


def test_enter_on_a_scanned_card_opens_its_holder(client, staff, namesakes):
    Identity.objects.create(customer=namesakes[1], kind="loyalty_card", value="2400000079190")
    client.force_login(staff)

    response = client.get(reverse("crm:customer-list"), {"q": "2400000079190"})

    assert response.status_code == 302
    assert response["Location"] == reverse("crm:customer-detail", args=[namesakes[1].pk])


def test_a_search_that_finds_nobody_offers_to_register_them(client, staff, namesakes):
    client.force_login(staff)

    response = client.get(reverse("crm:customer-list"), {"q": "Zaccaria Pellegrini"})

    assert reverse("crm:customer-register") + "?q=Zaccaria" in response.content.decode()


# --- Store home ---------------------------------------------------------------------------


def test_the_store_home_shows_check_ins_birthdays_at_risk_regulars_and_my_customers(
    client, staff, store
):
    today = timezone.localdate()
    checked_in = factories.CustomerFactory(first_name="Carla", last_name="Checkin")
    factories.InteractionFactory(customer=checked_in, store=store, kind="check_in")
    factories.CustomerFactory(
        first_name="Bruno",
        last_name="Birthday",
        home_store=store,
        birth_date=today.replace(year=1980) if (today.month, today.day) != (2, 29) else None,
    )
    factories.CustomerFactory(
        first_name="Rita", last_name="Risk", home_store=store, rfm_segment="At risk", frequency=9
    )
    served = factories.CustomerFactory(first_name="Sara", last_name="Served")
    services.log_interaction(customer=served, kind="tried_on", by=staff)
    client.force_login(staff)

    body = client.get(reverse("crm:home")).content.decode()

    assert "Carla Checkin" in body
    assert "Rita Risk" in body
    assert "Sara Served" in body
    if (today.month, today.day) != (2, 29):
        assert "Bruno Birthday" in body


def wish(customer, product, *, days_ago: int, channel=Channel.APP) -> Interaction:
    """A wishlist entry naming the product by SKU, as the app and the web shop send it."""
    return factories.InteractionFactory(
        customer=customer,
        kind=Interaction.Kind.WISHLIST,
        channel=channel,
        store=factories.StoreFactory(),
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        text=product.name,
        payload={"sku": product.sku},
    )


def restock(store, product, *, days_ago: int, quantity: int = 3) -> None:
    stores_services.record_stock_level(store=store, product=product, quantity=0)
    stores_services.record_stock_level(
        store=store,
        product=product,
        quantity=quantity,
        at=timezone.now() - dt.timedelta(days=days_ago),
    )


@pytest.fixture
def boots(db):
    return factories.ProductFactory(name="Suede ankle boots")


def test_a_wish_back_in_stock_at_my_store_is_a_follow_up(client, staff, store, boots):
    customer = factories.CustomerFactory(first_name="Wanda", last_name="Wish", home_store=store)
    wish(customer, boots, days_ago=20)
    restock(store, boots, days_ago=2)
    client.force_login(staff)

    body = client.get(reverse("crm:home")).content.decode()

    assert "Wanda Wish" in body
    assert "back in stock" in body
    assert "wished for Suede ankle boots" in body


def test_a_wish_logged_in_store_with_the_product_code_comes_back_as_a_follow_up(
    client, staff, store, boots
):
    customer = factories.CustomerFactory(first_name="Wanda", last_name="Wish", home_store=store)
    stores_services.record_stock_level(store=store, product=boots, quantity=0)
    client.force_login(staff)

    logged = client.post(
        reverse("crm:customer-log-interaction", args=[customer.pk]),
        {"kind": Interaction.Kind.WISHLIST, "product": boots.sku.lower(), "text": "size 38"},
        HTTP_HX_REQUEST="true",
    )
    stores_services.record_stock_level(store=store, product=boots, quantity=2)
    body = client.get(reverse("crm:home")).content.decode()

    assert Interaction.objects.get(customer=customer).payload == {"sku": boots.sku}
    assert "timeline-changed" in logged["HX-Trigger"]
    assert "Wanda Wish" in body and "wished for Suede ankle boots" in body


def test_wishes_logged_here_this_month_are_listed_by_product_or_in_words(
    client, staff, store, boots
):
    maria = factories.CustomerFactory(first_name="Maria", last_name="Words", home_store=store)
    luca = factories.CustomerFactory(first_name="Luca", last_name="Code", home_store=store)
    services.log_interaction(customer=maria, kind="wishlist", text="a green scarf", by=staff)
    services.log_interaction(
        customer=luca, kind="wishlist", product=boots.sku, text="size 43", by=staff
    )
    client.force_login(staff)

    body = client.get(reverse("crm:home")).content.decode()

    assert "wished for a green scarf" in body
    assert "wished for Suede ankle boots (size 43)" in body


def test_a_product_code_not_in_the_catalogue_is_refused_and_what_was_typed_kept(
    client, staff, store
):
    customer = factories.CustomerFactory(home_store=store)
    client.force_login(staff)

    response = client.post(
        reverse("crm:customer-log-interaction", args=[customer.pk]),
        {"kind": Interaction.Kind.WISHLIST, "product": "NOPE-42", "text": "red, size 38"},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert "“NOPE-42” is not in the catalogue" in body
    assert "red, size 38" in body
    assert not Interaction.objects.filter(customer=customer).exists()


def test_only_wishes_that_came_back_here_since_and_were_not_bought_count(store, boots):
    here = factories.CustomerFactory(home_store=store)
    elsewhere = factories.CustomerFactory(home_store=factories.StoreFactory(code="rm01"))
    other_store = factories.StoreFactory(code="to01")
    on_the_shelf_all_along = factories.ProductFactory()
    sold_out = factories.ProductFactory()
    back_elsewhere = factories.ProductFactory()
    bought_since = factories.ProductFactory()
    for product in (boots, on_the_shelf_all_along, sold_out, back_elsewhere, bought_since):
        wish(here, product, days_ago=20)
    wish(elsewhere, boots, days_ago=20)
    restock(store, boots, days_ago=2)
    restock(store, on_the_shelf_all_along, days_ago=60)
    restock(store, sold_out, days_ago=5)
    stores_services.record_stock_level(store=store, product=sold_out, quantity=0)
    restock(other_store, back_elsewhere, days_ago=2)
    restock(store, bought_since, days_ago=2)
    factories.OrderLineFactory(
        order=factories.OrderFactory(customer=here, store=store), product=bought_since
    )

    found = home.back_in_stock(store=store)

    assert [(entry["customer"], entry["product"]) for entry in found] == [(here, boots)]


def test_a_wish_made_twice_is_listed_once(store, boots):
    customer = factories.CustomerFactory(home_store=store)
    wish(customer, boots, days_ago=20)
    wish(customer, boots, days_ago=10, channel=Channel.WEB)
    restock(store, boots, days_ago=2)

    assert len(home.back_in_stock(store=store)) == 1


def test_back_in_stock_reads_in_two_queries_however_many_wishes(
    store, boots, django_assert_num_queries
):
    restock(store, boots, days_ago=2)
    wish(factories.CustomerFactory(home_store=store), boots, days_ago=20)
    with django_assert_num_queries(2):  # the wishes with their customers, the products
        assert len(home.back_in_stock(store=store)) == 1
    for _ in range(5):
        wish(factories.CustomerFactory(home_store=store), boots, days_ago=20)

    with django_assert_num_queries(2):
        assert len(home.back_in_stock(store=store)) == 6


def test_the_store_home_makes_as_many_queries_for_many_follow_ups_as_for_one(
    client, staff, store, boots
):
    def home_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("crm:home")).status_code == 200
        return len(captured)

    restock(store, boots, days_ago=2)
    client.force_login(staff)
    home_queries()  # warm the session and content types

    def follow_up(number: int) -> None:
        customer = factories.CustomerFactory(home_store=store, rfm_segment="At risk", frequency=9)
        wish(customer, boots, days_ago=20)
        factories.InteractionFactory(customer=customer, store=store, kind="check_in")
        services.log_interaction(customer=customer, kind="tried_on", by=staff)

    follow_up(1)
    one = home_queries()
    for number in range(6):
        follow_up(number)

    assert home_queries() == one


# --- Language -----------------------------------------------------------------------------


def test_an_associate_who_chooses_italian_gets_the_customer_screen_in_italian(
    client, staff, customer
):
    factories.ConsentFactory(customer=customer, purpose="marketing", is_granted=True)
    client.force_login(staff)

    client.post(reverse("set-language"), {"language": "it", "next": "/"})
    body = client.get(reverse("crm:customer-detail", args=[customer.pk])).content.decode()

    assert "Recapiti" in body and "Preferenze" in body and "Acquisti" in body
    assert "Non proporre:" in body and "Profilazione" in body
    assert 'lang="it"' in body


def test_the_customer_page_in_italian_translates_statuses_kinds_and_segments(
    client, staff, store, customer
):
    UserSettings.objects.create(user=staff, language="it")
    customer.rfm_segment = Customer.Segment.AT_RISK
    customer.save()
    order = factories.OrderFactory(customer=customer, store=store, status=Order.Status.RETURNED)
    factories.OrderLineFactory(order=order)
    factories.InteractionFactory(
        customer=customer, store=store, kind=Interaction.Kind.STORE_VISIT, channel=Channel.STORE
    )
    factories.PreferenceFactory(customer=customer, kind="size", value="M")
    Identity.objects.create(customer=customer, kind="loyalty_card", value="2400000079190")
    client.force_login(staff)

    body = client.get(reverse("crm:customer-detail", args=[customer.pk])).content.decode()

    assert 'lang="it"' in body
    assert '<span class="badge">A rischio</span>' in body  # RFM segment
    assert '<span class="badge">Reso</span>' in body  # order status
    assert "<strong>Visita in negozio</strong>" in body  # interaction kind
    assert "· In negozio" in body  # its channel
    assert '<span class="muted">Taglia</span>' in body  # preference kind
    assert "· Carta fedeltà" in body  # identity kind
    assert "Returned" not in body and "At risk" not in body and "Store visit" not in body


def test_the_store_home_in_italian(client, staff, store):
    UserSettings.objects.create(user=staff, language="it")
    customer = factories.CustomerFactory(
        first_name="Rita", last_name="Risk", home_store=store, rfm_segment="At risk", frequency=9
    )
    factories.InteractionFactory(customer=customer, store=store, kind="check_in")
    client.force_login(staff)

    body = client.get(reverse("crm:home")).content.decode()

    assert "Da ricomprare" in body and "In negozio oggi" in body
    assert "· A rischio" in body
