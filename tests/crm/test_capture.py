"""Capture on the customer screen: the services, and the forms that call them through htmx."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm import services
from crm.identity import resolve
from crm.models import (
    Consent,
    Customer,
    Identity,
    Interaction,
    MatchCandidate,
    Note,
    Preference,
    SourceRecord,
)
from tests import factories


@pytest.fixture
def maria(db):
    """A customer as the channels make them: a till record resolved into a golden record."""
    record = SourceRecord(
        source=factories.source("pos"),
        external_id="P0001",
        first_name="Maria",
        last_name="Rossi",
        email="maria@example.it",
        phone="+393471111111",
        birth_date=dt.date(1980, 3, 1),
    )
    resolve.resolve_records(records=[record])
    return record.customer


# --- Services -----------------------------------------------------------------------------


def test_a_note_is_written_by_the_associate_at_their_store(maria, staff, store):
    note = services.add_note(customer=maria, body="  Getting married in June ", by=staff)

    assert (note.body, note.author, note.store) == ("Getting married in June", staff, store)


def test_an_empty_note_is_refused_with_the_reason(maria, staff):
    with pytest.raises(ValidationError) as refused:
        services.add_note(customer=maria, body="   ", by=staff)

    assert "body" in refused.value.message_dict


def test_restating_a_preference_updates_it_instead_of_adding_a_second(maria, staff):
    services.set_preference(customer=maria, kind="size", value="M", by=staff)

    again = services.set_preference(
        customer=maria, kind="size", value=" m ", by=staff, is_dislike=True
    )

    assert Preference.objects.filter(customer=maria).count() == 1
    assert again.is_dislike and again.captured_by == staff


def test_an_unknown_preference_kind_is_refused(maria, staff):
    with pytest.raises(ValidationError):
        services.set_preference(customer=maria, kind="shoe-colour", value="red", by=staff)


def test_a_phone_added_is_normalized_kept_on_a_bottega_record_and_becomes_an_identity(maria, staff):
    capture = services.add_contact_value(
        customer=maria, kind="phone", value="0039 348 222 3333", by=staff
    )

    assert capture.value == "+393482223333"
    assert capture.record.source.code == "bottega"
    assert capture.others == []
    assert Identity.objects.filter(customer=maria, kind="phone", value="+393482223333").exists()
    maria.refresh_from_db()
    assert (maria.first_name, maria.phone) == ("Maria", "+393482223333")


def test_a_phone_someone_else_holds_is_added_and_the_other_holder_named(maria, staff):
    giulia = factories.CustomerFactory(first_name="Giulia", phone="+390212345678")

    capture = services.add_contact_value(
        customer=maria, kind="phone", value="02 1234 5678", by=staff
    )

    assert capture.others == [giulia]


def test_a_customer_without_channel_records_keeps_their_values_when_a_value_is_added(staff):
    customer = factories.CustomerFactory(first_name="Anna", last_name="Neri", city="Bari")

    services.add_contact_value(customer=customer, kind="email", value="Anna@Neri.IT", by=staff)

    customer.refresh_from_db()
    assert (customer.first_name, customer.city, customer.email) == ("Anna", "Bari", "anna@neri.it")
    assert customer.member_since == dt.date(2022, 1, 10)


def test_adding_a_value_the_customer_has_adds_no_record(maria, staff):
    services.add_contact_value(customer=maria, kind="phone", value="347 111 1111", by=staff)

    assert maria.source_records.count() == 1


@pytest.mark.parametrize(("kind", "value"), [("phone", "12"), ("email", "maria@"), ("fax", "1")])
def test_a_value_that_is_no_phone_or_email_is_refused(maria, staff, kind, value):
    with pytest.raises(ValidationError):
        services.add_contact_value(customer=maria, kind=kind, value=value, by=staff)


def test_proposing_a_merge_puts_the_pair_in_the_review_queue_once(maria, staff):
    giulia = factories.CustomerFactory(phone="+390212345678")
    services.add_contact_value(customer=maria, kind="phone", value="02 1234 5678", by=staff)

    services.propose_merge(customer=maria, other=giulia, value="+390212345678", by=staff)
    services.propose_merge(customer=maria, other=giulia, value="+390212345678", by=staff)

    candidate = MatchCandidate.objects.get()
    assert candidate.customer == giulia
    assert candidate.source_record.customer == maria


def test_a_consent_is_appended_with_its_proof_and_the_bottega_source(maria, staff):
    factories.ConsentFactory(customer=maria, is_granted=False)

    consent = services.record_consent(
        customer=maria,
        purpose="marketing",
        channel="email",
        is_granted=True,
        proof="Form 1234",
        by=staff,
    )

    assert Consent.objects.filter(customer=maria).count() == 2
    assert (consent.source.code, consent.captured_by, consent.proof) == (
        "bottega",
        staff,
        "Form 1234",
    )


def test_a_consent_without_proof_is_refused(maria, staff):
    with pytest.raises(ValidationError) as refused:
        services.record_consent(
            customer=maria, purpose="marketing", channel="sms", is_granted=True, proof=" ", by=staff
        )

    assert "proof" in refused.value.message_dict


def test_an_interaction_is_logged_at_the_associates_store(maria, staff, store):
    interaction = services.log_interaction(
        customer=maria, kind="tried_on", text="Blue coat", by=staff
    )

    assert (interaction.store, interaction.associate.user, interaction.channel) == (
        store,
        staff,
        "store",
    )


def test_registering_makes_a_customer_from_a_bottega_record_at_the_associates_store(staff, store):
    registration = services.register_customer(
        first_name="Lucia", last_name="Ferri", phone="333 123 4567", by=staff
    )

    customer = registration.customer
    assert registration.is_new
    assert (customer.first_name, customer.phone, customer.home_store) == (
        "Lucia",
        "+393331234567",
        store,
    )
    assert SourceRecord.objects.get(customer=customer).source.code == "bottega"


def test_registering_someone_whose_mobile_and_name_are_known_opens_that_customer(maria, staff):
    registration = services.register_customer(
        first_name="Maria", last_name="Rossi", phone="347 111 1111", by=staff
    )

    assert not registration.is_new
    assert registration.customer == maria
    assert Customer.objects.count() == 1


def test_registering_without_a_name_or_a_way_to_reach_them_is_refused(staff):
    with pytest.raises(ValidationError) as refused:
        services.register_customer(first_name="", last_name="Ferri", by=staff)

    assert set(refused.value.message_dict) == {"first_name", "phone"}


# --- Through the screen -------------------------------------------------------------------


def test_a_note_posted_with_htmx_returns_an_empty_form_and_tells_the_notes_to_refresh(
    client, staff, maria
):
    client.force_login(staff)

    response = client.post(
        reverse("crm:customer-add-note", args=[maria.pk]),
        {"body": "Prefers Marco", "is_pinned": "on"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "notes-changed" in response["HX-Trigger"]
    assert Note.objects.get(customer=maria).is_pinned
    assert "Prefers Marco" not in response.content.decode()


def test_an_invalid_phone_re_renders_the_form_with_what_was_typed_and_the_reason(
    client, staff, maria
):
    client.force_login(staff)

    response = client.post(
        reverse("crm:customer-add-contact", args=[maria.pk]),
        {"kind": "phone", "value": "34712"},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert 'value="34712"' in body
    assert "This is not a phone number." in body


def test_a_phone_of_someone_else_shows_the_warning_and_a_merge_proposal(client, staff, maria):
    giulia = factories.CustomerFactory(
        first_name="Giulia", last_name="Verdi", phone="+390212345678"
    )
    client.force_login(staff)

    response = client.post(
        reverse("crm:customer-add-contact", args=[maria.pk]),
        {"kind": "phone", "value": "02 1234 5678"},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert "also belongs to another customer" in body
    assert reverse("crm:customer-propose-merge", args=[maria.pk, giulia.pk]) in body


def test_a_preference_posted_without_htmx_redirects_to_the_customer(client, staff, maria):
    client.force_login(staff)

    response = client.post(
        reverse("crm:customer-preference", args=[maria.pk]),
        {"kind": "diet", "value": "lactose", "is_dislike": "on"},
    )

    assert response.status_code == 302
    assert Preference.objects.get(customer=maria).is_dislike


def test_logging_an_interaction_refreshes_the_timeline(client, staff, maria):
    client.force_login(staff)

    response = client.post(
        reverse("crm:customer-log-interaction", args=[maria.pk]),
        {"kind": "tried_on", "text": "Green scarf"},
        HTTP_HX_REQUEST="true",
    )

    assert "timeline-changed" in response["HX-Trigger"]
    assert Interaction.objects.get(customer=maria).text == "Green scarf"


def test_registering_through_htmx_redirects_the_browser_to_the_new_customer(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("crm:customer-register"),
        {"first_name": "Lucia", "last_name": "Ferri", "email": "lucia@ferri.it"},
        HTTP_HX_REQUEST="true",
    )

    customer = Customer.objects.get(email="lucia@ferri.it")
    assert response["HX-Redirect"] == reverse("crm:customer-detail", args=[customer.pk])


def test_an_invalid_registration_keeps_everything_typed(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("crm:customer-register"),
        {"first_name": "Lucia", "last_name": "Ferri", "email": "lucia@", "city": "Parma"},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert all(f'value="{typed}"' in body for typed in ("Lucia", "Ferri", "lucia@", "Parma"))
    assert "This is not an e-mail address." in body


def test_the_duplicate_check_names_a_customer_with_the_phone_typed(client, staff, maria):
    client.force_login(staff)

    response = client.get(reverse("crm:customer-duplicates"), {"phone": "347 111 1111"})

    assert "Maria Rossi" in response.content.decode()


def test_the_duplicate_check_finds_a_namesake_despite_a_typo(client, staff, maria):
    client.force_login(staff)

    response = client.get(
        reverse("crm:customer-duplicates"), {"first_name": "Maria", "last_name": "Rosssi"}
    )

    assert "Maria Rossi" in response.content.decode()


def test_an_agent_without_the_permission_cannot_register(client, db):
    user = factories.UserFactory()
    client.force_login(user)

    response = client.post(reverse("crm:customer-register"), {"first_name": "x"})

    assert response.status_code == 403
