"""The associate's screen in a real browser: every request after the first page is htmx."""

import re

import pytest
from playwright.sync_api import expect

from crm.models import Customer, Identity, Note, Preference
from tests import factories

# serialized_rollback: the database starts as migrated (role groups, channel sources) even
# after an earlier test that committed has flushed it.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def customers():
    maria = factories.CustomerFactory(
        first_name="Maria", last_name="Rossi", city="Roma", phone="+393471111111"
    )
    niccolo = factories.CustomerFactory(
        first_name="Niccolò", last_name="Dell'Acqua", city="Firenze", email="nico@example.it"
    )
    Identity.objects.create(customer=maria, kind="loyalty_card", value="2400000079190")
    return maria, niccolo


@pytest.fixture
def associate():
    store = factories.StoreFactory(code="mi01", name="Milano Brera")
    return factories.AssociateFactory(user__username="associate", store=store).user


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("nicolo dell'aqua", "Niccolò Dell'Acqua"),  # accents and a typo
        ("347 111 1111", "Maria Rossi"),  # a phone number as people write it
        ("NICO@example.it", "Niccolò Dell'Acqua"),  # an e-mail
        ("2400 0000 79190", "Maria Rossi"),  # a loyalty card read out
    ],
)
def test_search_as_you_type_finds_the_customer_by_each_kind_of_key(
    live_server, signed_in, associate, customers, typed, found
):
    page = signed_in(associate)
    page.goto(f"{live_server.url}/customers/")

    page.locator("#customer-search").press_sequentially(typed, delay=10)

    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text(found)


def test_a_scanned_card_and_enter_open_the_customer(live_server, signed_in, associate, customers):
    page = signed_in(associate)
    page.goto(f"{live_server.url}/")

    page.locator("#home-search").fill("2400000079190")
    page.locator("#home-search").press("Enter")

    expect(page).to_have_url(re.compile(rf"/customers/{customers[0].pk}/$"))
    expect(page.locator("h1")).to_have_text("Maria Rossi")


def test_an_associate_opens_a_customer_and_adds_a_note_and_a_preference(
    live_server, signed_in, associate, customers
):
    page = signed_in(associate)
    page.goto(f"{live_server.url}/customers/")
    page.locator("#customer-search").press_sequentially("rossi", delay=10)
    page.locator("#results a", has_text="Maria Rossi").click()
    expect(page.locator("h1")).to_have_text("Maria Rossi")

    page.locator("#id_note_body").fill("Getting married in June")
    page.locator("#note-form button[type=submit]").click()
    expect(page.locator("#notes")).to_contain_text("Getting married in June")
    expect(page.locator("#id_note_body")).to_have_value("")

    page.locator("#id_preference_kind").select_option("size")
    page.locator("#id_preference_value").fill("44")
    page.locator("#preference-form button[type=submit]").click()
    expect(page.locator("#preferences")).to_contain_text("44")

    maria = customers[0]
    assert Note.objects.get(customer=maria).author == associate
    assert Preference.objects.get(customer=maria).value == "44"


def test_an_invalid_phone_keeps_what_was_typed_and_says_why(
    live_server, signed_in, associate, customers
):
    page = signed_in(associate)
    page.goto(f"{live_server.url}/customers/{customers[0].pk}/")

    page.locator("#id_contact_value").fill("34712")
    page.locator("#contact-form button[type=submit]").click()

    expect(page.locator("#contact-form")).to_contain_text("This is not a phone number.")
    expect(page.locator("#id_contact_value")).to_have_value("34712")


def test_registering_warns_of_a_possible_duplicate_then_registers(
    live_server, signed_in, associate, customers
):
    page = signed_in(associate)
    page.goto(f"{live_server.url}/customers/new/")

    page.locator("#id_first_name").fill("Maria")
    page.locator("#id_last_name").press_sequentially("Rossi", delay=10)
    expect(page.locator("#duplicates")).to_contain_text("may be the same person")
    expect(page.locator("#duplicates")).to_contain_text("Maria Rossi")

    page.locator("#id_phone").fill("333 765 4321")
    page.locator("#register-form button[type=submit]").click()

    expect(page.locator("h1")).to_have_text("Maria Rossi")
    new = Customer.objects.get(phone="+393337654321")
    assert new != customers[0]
    expect(page).to_have_url(re.compile(rf"/customers/{new.pk}/$"))
