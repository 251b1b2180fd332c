"""Each user's language goes with them: chosen once, it is theirs in any browser they sign in
on, and it is nobody else's."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stores.models import UserSettings
from tests import factories


@pytest.fixture
def colleague(store):
    return factories.AssociateFactory(user__username="colleague", store=store).user


def html_language(client: Client) -> str:
    body = client.get(reverse("crm:home")).content.decode()
    return body.split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_language_chosen_once_follows_the_user_to_a_new_browser(staff, colleague):
    tablet = Client()
    tablet.force_login(staff)
    tablet.post(reverse("set-language"), {"language": "it", "next": "/"})

    back_office, other_tablet = Client(), Client()
    back_office.force_login(staff)
    other_tablet.force_login(colleague)

    assert html_language(back_office) == "it"
    assert "Clienti" in back_office.get(reverse("crm:home")).content.decode()
    assert html_language(other_tablet) == "en-gb"


def test_the_users_language_wins_over_the_browsers(client, staff):
    UserSettings.objects.create(user=staff, language="en-gb")
    client.force_login(staff)

    response = client.get(reverse("crm:home"), HTTP_ACCEPT_LANGUAGE="it")

    assert 'lang="en-gb"' in response.content.decode()
    assert response["Content-Language"] == "en-gb"


def test_until_the_user_chooses_the_browser_decides(client, staff):
    client.force_login(staff)

    response = client.get(reverse("crm:home"), HTTP_ACCEPT_LANGUAGE="it")

    assert 'lang="it"' in response.content.decode()


def test_switching_back_is_saved_too(client, staff):
    client.force_login(staff)
    client.post(reverse("set-language"), {"language": "it", "next": "/"})

    client.post(reverse("set-language"), {"language": "en-gb", "next": "/"})

    assert UserSettings.objects.get(user=staff).language == "en-gb"
    fresh = Client()
    fresh.force_login(staff)
    assert html_language(fresh) == "en-gb"


def test_a_language_bottega_does_not_offer_is_not_saved(client, staff):
    client.force_login(staff)

    response = client.post(reverse("set-language"), {"language": "fr", "next": "/"})

    assert response.status_code == 302
    assert not UserSettings.objects.filter(user=staff).exists()


def test_the_sign_in_page_follows_the_browser(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="it")

    assert 'lang="it"' in response.content.decode()


def test_knowing_the_language_costs_a_page_no_query(client, staff):
    client.force_login(staff)
    client.get(reverse("crm:home"))
    without = home_queries(client)
    UserSettings.objects.create(user=staff, language="it")

    with_settings = home_queries(client)

    assert len(with_settings) == len(without)
    assert not [sql for sql in with_settings if 'FROM "stores_usersettings"' in sql]


def home_queries(client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("crm:home"))
    return [query["sql"] for query in captured.captured_queries]
