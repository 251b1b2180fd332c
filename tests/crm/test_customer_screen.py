"""The associate's customer screen: search as you type, the customer page, the store home."""

import pytest
from django.urls import reverse

from crm.models import Customer, Identity
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
