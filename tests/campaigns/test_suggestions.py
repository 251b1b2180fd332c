"""Suggestions on the customer screen: buy again by the customer's own rhythm, cross-sell by
basket lift, at most five, each with its reason."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from campaigns import suggestions
from crm.models import Order, OrderLine
from tests import factories


@pytest.fixture(autouse=True)
def fresh_affinities():
    """Basket affinities are cached for an hour: each test counts its own baskets."""
    cache.delete(suggestions.AFFINITY_CACHE_KEY)
    yield
    cache.delete(suggestions.AFFINITY_CACHE_KEY)


@pytest.fixture
def store(db):
    return factories.StoreFactory(code="mi01")


def buy(customer, products, *, days_ago: int, store, status=Order.Status.COMPLETED) -> Order:
    order = factories.OrderFactory(
        customer=customer,
        store=store,
        ordered_at=factories.days_ago(days_ago),
        status=status,
    )
    for number, product in enumerate(products, start=1):
        factories.OrderLineFactory(order=order, line_number=number, product=product)
    return order


def test_a_consumable_is_suggested_again_when_the_customers_own_interval_has_gone_by(
    customer, store
):
    coffee = factories.ProductFactory(name="Espresso blend", is_consumable=True)
    for days_ago in (94, 64, 34):
        buy(customer, [coffee], days_ago=days_ago, store=store)

    found = suggestions.suggestions_for(customer=customer)

    assert [(s.kind, s.product) for s in found] == [(suggestions.BUY_AGAIN, coffee)]
    assert found[0].reason == "buys Espresso blend about every 30 days; last 34 days ago"


def test_a_consumable_bought_recently_is_not_suggested_yet(customer, store):
    coffee = factories.ProductFactory(is_consumable=True)
    for days_ago in (70, 40, 10):
        buy(customer, [coffee], days_ago=days_ago, store=store)

    assert suggestions.suggestions_for(customer=customer) == []


def test_a_product_that_is_not_consumable_is_never_suggested_again(customer, store):
    jacket = factories.ProductFactory(is_consumable=False)
    for days_ago in (400, 200, 100):
        buy(customer, [jacket], days_ago=days_ago, store=store)

    assert suggestions.suggestions_for(customer=customer) == []


@pytest.fixture
def baskets(store):
    """Jackets go with scarves (five baskets), often enough to beat chance; gloves go with
    everything a little."""
    jacket = factories.ProductFactory(name="Wool jacket")
    scarf = factories.ProductFactory(name="Merino wool scarf")
    belt = factories.ProductFactory(name="Leather belt")
    others = factories.ProductFactory.create_batch(4)
    shoppers = factories.CustomerFactory.create_batch(5)
    for shopper in shoppers:
        buy(shopper, [jacket, scarf], days_ago=50, store=store)
        buy(shopper, [belt, jacket], days_ago=40, store=store)
    for index, other in enumerate(others):
        buy(shoppers[index], [other], days_ago=30, store=store)
        buy(shoppers[index], [belt], days_ago=20, store=store)
    return jacket, scarf, belt


def test_cross_sell_suggests_what_goes_with_a_purchase_and_says_when_that_was(
    customer, store, baskets
):
    jacket, scarf, _belt = baskets
    bought = buy(customer, [jacket], days_ago=12, store=store)

    found = suggestions.suggestions_for(customer=customer)

    assert found[0].product == scarf
    assert found[0].kind == suggestions.CROSS_SELL
    day = timezone.localdate(bought.ordered_at).strftime("%d/%m/%Y")
    assert found[0].reason == f"often bought with the Wool jacket bought on {day}"


def test_cross_sell_leaves_out_what_the_customer_owns(customer, store, baskets):
    jacket, scarf, _belt = baskets
    buy(customer, [jacket, scarf], days_ago=12, store=store)

    found = suggestions.suggestions_for(customer=customer)

    assert scarf not in [suggestion.product for suggestion in found]


def test_cross_sell_leaves_out_what_a_preference_rules_out(customer, store, baskets):
    jacket, scarf, _belt = baskets
    buy(customer, [jacket], days_ago=12, store=store)
    factories.PreferenceFactory(customer=customer, kind="other", value="Wool", is_dislike=True)

    found = suggestions.suggestions_for(customer=customer)

    assert scarf not in [suggestion.product for suggestion in found]


def test_returned_and_cancelled_purchases_do_not_count(customer, store):
    coffee = factories.ProductFactory(is_consumable=True)
    for days_ago in (94, 64, 34):
        buy(customer, [coffee], days_ago=days_ago, store=store, status=Order.Status.CANCELLED)

    assert suggestions.suggestions_for(customer=customer) == []


def test_at_most_five_suggestions_are_made(customer, store):
    products = factories.ProductFactory.create_batch(7, is_consumable=True)
    orders = [
        Order.objects.create(
            source=factories.source("pos"),
            external_id=f"bulk-{days_ago}",
            customer=customer,
            store=store,
            ordered_at=factories.days_ago(days_ago),
        )
        for days_ago in (90, 60, 35)
    ]
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_number=number,
            product=product,
            sku=product.sku,
            unit_price=Decimal(1),
            line_total=Decimal(1),
        )
        for order in orders
        for number, product in enumerate(products, start=1)
    )

    found = suggestions.suggestions_for(customer=customer)

    assert len(found) == 5


def test_the_panel_shows_each_suggestion_with_its_reason(client, staff, customer, store):
    coffee = factories.ProductFactory(name="Espresso blend", is_consumable=True)
    for days_ago in (94, 64, 34):
        buy(customer, [coffee], days_ago=days_ago, store=store)
    client.force_login(staff)

    response = client.get(reverse("campaigns:customer-suggestions", args=[customer.pk]))

    body = response.content.decode()
    assert "Espresso blend" in body
    assert "about every 30 days; last 34 days ago" in body
    assert "<html" not in body
