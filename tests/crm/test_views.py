import pytest
from django.urls import reverse

from tests import factories

PAGES = {
    "crm:home": {"associate": 200, "agent": 200, "manager": 200},
    "crm:customer-list": {"associate": 200, "agent": 200, "manager": 200},
    "crm:case-list": {"associate": 403, "agent": 200, "manager": 200},
    "crm:console": {"associate": 403, "agent": 403, "manager": 200},
    "campaigns:campaign-list": {"associate": 403, "agent": 200, "manager": 200},
}


@pytest.fixture
def persona(request, staff, agent, manager):
    return {"associate": staff, "agent": agent, "manager": manager}[request.param]


@pytest.mark.parametrize(
    ("url_name", "persona", "status"),
    [
        (url_name, who, status)
        for url_name, expected in PAGES.items()
        for who, status in expected.items()
    ],
    indirect=["persona"],
)
def test_each_role_reaches_only_its_pages(client, url_name, persona, status):
    client.force_login(persona)

    response = client.get(reverse(url_name))

    assert response.status_code == status


@pytest.mark.parametrize("url_name", [*PAGES, "admin:index"])
def test_every_page_sends_an_anonymous_visitor_to_the_login(client, db, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/") or "login" in response["Location"]


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("associate", ["Customers"], ["Cases", "Console", "Campaigns", "Admin"]),
        ("agent", ["Customers", "Cases", "Campaigns"], ["Console", "Admin"]),
    ],
)
def test_the_menu_shows_what_the_role_may_use(client, staff, agent, who, shown, hidden):
    client.force_login({"associate": staff, "agent": agent}[who])

    nav = client.get(reverse("crm:home")).context["nav"]

    labels = [str(label) for _, label in nav]
    assert all(item in labels for item in shown)
    assert not any(item in labels for item in hidden)


def test_a_user_logs_in_with_the_form_and_lands_on_the_home_page(client, staff):
    response = client.post(
        reverse("login"), {"username": "associate", "password": "bottega-test"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("crm:home")
    assert response.context["user"] == staff


def test_a_wrong_password_re_renders_the_form_with_the_reason(client, staff):
    response = client.post(reverse("login"), {"username": "associate", "password": "nope"})

    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_logging_out_ends_the_session(client, staff):
    client.force_login(staff)

    client.post(reverse("logout"))

    assert client.get(reverse("crm:home")).status_code == 302


def test_search_finds_a_customer_by_name_and_htmx_gets_only_the_results(client, staff):
    factories.CustomerFactory(first_name="Niccolò", last_name="Dell'Acqua")
    factories.CustomerFactory(first_name="Maria", last_name="Rossi")
    client.force_login(staff)

    response = client.get(reverse("crm:customer-list"), {"q": "acqua"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "Dell&#x27;Acqua" in body
    assert "Rossi" not in body
    assert "<html" not in body


def test_customer_names_are_escaped(client, staff):
    customer = factories.CustomerFactory(first_name="<script>alert(1)</script>")
    client.force_login(staff)

    response = client.get(reverse("crm:customer-detail", args=[customer.pk]))

    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "&lt;script&gt;" in response.content.decode()


def test_the_customer_page_shows_history_consent_and_notes(client, staff, customer):
    order = factories.OrderFactory(customer=customer)
    factories.OrderLineFactory(order=order, product_name="Espresso blend 1kg")
    factories.ConsentFactory(customer=customer, is_granted=False)
    factories.NoteFactory(customer=customer, body="Allergic to wool", is_pinned=True)
    client.force_login(staff)

    body = client.get(reverse("crm:customer-detail", args=[customer.pk])).content.decode()

    assert "Espresso blend 1kg" in body
    assert "withdrawn" in body
    assert "Allergic to wool" in body


def test_the_customer_page_query_count_does_not_grow_with_history(
    client, staff, customer, django_assert_num_queries
):
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("crm:customer-detail", args=[customer.pk]))
        return len(captured)

    client.force_login(staff)
    factories.OrderLineFactory(order=factories.OrderFactory(customer=customer))
    few = count_queries()
    for _ in range(15):
        factories.OrderLineFactory(order=factories.OrderFactory(customer=customer))

    assert count_queries() == few
