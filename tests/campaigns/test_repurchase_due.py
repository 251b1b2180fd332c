"""The store home's "due to buy again": the customers of the store whose refill is due by their
own rhythm, found for the whole store in a fixed number of queries."""

import pytest
from django.urls import reverse

from campaigns import suggestions
from crm.models import Order
from tests import factories


@pytest.fixture
def coffee(db):
    return factories.ProductFactory(name="Espresso blend", is_consumable=True)


def buy(customer, product, *, days_ago: int, status=Order.Status.COMPLETED) -> None:
    order = factories.OrderFactory(
        customer=customer,
        store=customer.home_store,
        ordered_at=factories.days_ago(days_ago),
        status=status,
    )
    factories.OrderLineFactory(order=order, line_number=1, product=product)


def regular(store, product, days_ago: list[int], **names):
    customer = factories.CustomerFactory(home_store=store, **names)
    for days in days_ago:
        buy(customer, product, days_ago=days)
    return customer


def test_a_customer_whose_refill_is_due_is_listed_with_the_reason(store, coffee):
    due = regular(store, coffee, [94, 64, 34])

    found = suggestions.due_for_repurchase(store=store)

    assert [(entry.customer, [item.product for item in entry.products]) for entry in found] == [
        (due, [coffee])
    ]
    assert found[0].products[0].reason == (
        "buys Espresso blend about every 30 days; last 34 days ago"
    )


def test_it_agrees_with_the_buy_again_of_the_customer_page(store, coffee):
    due = regular(store, coffee, [94, 64, 34])

    on_the_page = suggestions.suggestions_for(customer=due)
    on_the_home = suggestions.due_for_repurchase(store=store)

    assert [(s.product, s.reason) for s in on_the_page if s.kind == suggestions.BUY_AGAIN] == [
        (item.product, item.reason) for item in on_the_home[0].products
    ]


def test_the_usual_gap_is_the_median_not_the_mean(store, coffee):
    # Gaps of 10, 10 and 100 days: usually every 10 days (the mean would say 40, not due).
    due = regular(store, coffee, [135, 35, 25, 15])

    found = suggestions.due_for_repurchase(store=store)

    assert [entry.customer for entry in found] == [due]
    assert found[0].products[0].interval == 10
    assert found[0].products[0].since == 15


def test_a_refill_not_yet_due_a_lapsed_one_and_no_rhythm_yet_are_not_listed(store, coffee):
    regular(store, coffee, [70, 40, 10])  # next one in about 20 days
    regular(store, coffee, [120, 90, 60])  # two gaps late: moved on
    regular(store, coffee, [40])  # no gap
    regular(store, coffee, [64, 34])  # one gap is no habit yet (the customer page says it)

    assert suggestions.due_for_repurchase(store=store) == []


def test_only_the_stores_own_customers_and_consumables_count(store, coffee):
    regular(factories.StoreFactory(code="rm01"), coffee, [94, 64, 34])
    regular(store, factories.ProductFactory(is_consumable=False), [94, 64, 34])

    assert suggestions.due_for_repurchase(store=store) == []


def test_cancelled_and_returned_orders_do_not_make_a_rhythm(store, coffee):
    customer = factories.CustomerFactory(home_store=store)
    buy(customer, coffee, days_ago=94)
    buy(customer, coffee, days_ago=64, status=Order.Status.CANCELLED)
    buy(customer, coffee, days_ago=34, status=Order.Status.RETURNED)

    assert suggestions.due_for_repurchase(store=store) == []


def test_a_product_the_customer_rules_out_is_not_proposed(store, coffee):
    customer = regular(store, coffee, [94, 64, 34])
    factories.PreferenceFactory(customer=customer, kind="taste", value="espresso", is_dislike=True)

    assert suggestions.due_for_repurchase(store=store) == []


def test_those_who_fell_due_last_come_first_and_the_list_stops_at_the_limit(store, coffee):
    regular(store, coffee, [70, 50, 30])  # one and a half gaps late
    just_due = regular(store, coffee, [56, 38, 18])  # a day short of their usual 19
    due = regular(store, coffee, [66, 46, 24])  # three days past their usual 21

    found = suggestions.due_for_repurchase(store=store, limit=2)

    assert [entry.customer for entry in found] == [just_due, due]


def test_the_query_count_does_not_grow_with_the_customers(store, coffee, django_assert_num_queries):
    regular(store, coffee, [94, 64, 34])
    with django_assert_num_queries(4):  # intervals, customers, products, dislikes
        assert len(suggestions.due_for_repurchase(store=store)) == 1
    for _ in range(6):
        regular(store, coffee, [94, 64, 34])

    with django_assert_num_queries(4):
        assert len(suggestions.due_for_repurchase(store=store)) == 7


def test_the_home_loads_the_panel_from_the_campaigns_app(client, staff, store, coffee):
    regular(store, coffee, [94, 64, 34], first_name="Dora", last_name="Due")
    client.force_login(staff)

    home = client.get(reverse("crm:home")).content.decode()
    panel = client.get(reverse("campaigns:repurchase-due"), HTTP_HX_REQUEST="true")

    assert f'hx-get="{reverse("campaigns:repurchase-due")}"' in home
    assert panel.status_code == 200
    assert "Dora Due" in panel.content.decode()
    assert "about every 30 days" in panel.content.decode()


def test_a_user_with_no_store_gets_an_empty_panel(client, manager, store, coffee):
    regular(store, coffee, [94, 64, 34], first_name="Dora", last_name="Due")
    user = factories.UserFactory()
    user.user_permissions.add(*manager.groups.get().permissions.all())
    client.force_login(user)

    panel = client.get(reverse("campaigns:repurchase-due"))

    assert panel.status_code == 200
    assert "Dora Due" not in panel.content.decode()
