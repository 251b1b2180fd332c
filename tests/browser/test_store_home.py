"""The store home and the language switch in a real browser."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from stores import services as stores_services
from stores.models import UserSettings
from tests import factories

# serialized_rollback: the database starts as migrated (role groups, channel sources) even
# after an earlier test that committed has flushed it.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def store():
    return factories.StoreFactory(code="mi01", name="Milano Brera")


@pytest.fixture
def associate(store):
    return factories.AssociateFactory(user__username="associate", store=store).user


def test_the_home_loads_the_refills_due_and_shows_a_wish_back_in_stock(
    live_server, signed_in, associate, store
):
    now = timezone.now()
    coffee = factories.ProductFactory(name="Espresso blend", is_consumable=True)
    dora = factories.CustomerFactory(first_name="Dora", last_name="Due", home_store=store)
    for days_ago in (94, 64, 34):
        order = factories.OrderFactory(
            customer=dora, store=store, ordered_at=now - dt.timedelta(days=days_ago)
        )
        factories.OrderLineFactory(order=order, line_number=1, product=coffee)
    boots = factories.ProductFactory(name="Suede ankle boots")
    wanda = factories.CustomerFactory(first_name="Wanda", last_name="Wish", home_store=store)
    factories.InteractionFactory(
        customer=wanda,
        kind="wishlist",
        channel="app",
        occurred_at=now - dt.timedelta(days=20),
        payload={"sku": boots.sku},
    )
    stores_services.record_stock_level(store=store, product=boots, quantity=2)
    page = signed_in(associate)

    page.goto(f"{live_server.url}/")

    expect(page.locator("#repurchase-due")).to_contain_text("Dora Due")
    expect(page.locator("#repurchase-due")).to_contain_text("about every 30 days")
    expect(page.locator("section", has_text="Today's follow-ups")).to_contain_text(
        "wished for Suede ankle boots"
    )


def test_italian_chosen_once_is_there_in_a_new_browser(live_server, signed_in, associate):
    page = signed_in(associate)
    page.goto(f"{live_server.url}/")

    page.locator("#language").select_option("it")

    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.locator("#follow-ups-title")).to_have_text("Da seguire oggi")
    assert UserSettings.objects.get(user=associate).language == "it"
    other_device = signed_in(associate)  # a new context: no language cookie
    other_device.goto(f"{live_server.url}/")
    expect(other_device.locator("#repurchase-title")).to_have_text("Da ricomprare")
