"""The admin works for a CRM manager on day one: every page opens, big lists stay cheap, and the
consent ledger cannot be edited."""

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from campaigns import models as campaigns
from crm import models as crm
from stores import models as stores
from tests import factories


def make_identity():
    record = factories.SourceRecordFactory()
    return crm.Identity.objects.create(
        customer=record.customer, kind="email", value=record.email, source_record=record
    )


def make_hub_identifier():
    return crm.HubIdentifier.objects.create(kind="phone", value="+390212345678", people_count=41)


def make_import_batch():
    batch = crm.ImportBatch.objects.create(
        source=factories.source("web"),
        kind=crm.ImportBatch.Kind.PEOPLE,
        file_name="web-people.csv",
        content_hash="0" * 64,
        rows_read=3,
        rows_rejected=1,
    )
    crm.RejectedRow.objects.create(
        batch=batch, row_number=2, column="email", reason="Not an e-mail", raw={"email": "x@"}
    )
    return batch


def make_rejected_row():
    return make_import_batch().rejected_rows.get()


def make_match_candidate():
    return crm.MatchCandidate.objects.create(
        source_record=factories.SourceRecordFactory(),
        customer=factories.CustomerFactory(),
        score=0.82,
        evidence={"name": 0.9, "postcode": 1.0},
    )


def make_merge_event():
    return crm.MergeEvent.objects.create(
        kind=crm.MergeEvent.Kind.MERGE,
        survivor=factories.CustomerFactory(),
        other=factories.CustomerFactory(),
        moved_source_records=[1, 2],
        reason="Same card",
    )


def make_customer_with_history():
    """A customer whose change page has a row in every inline."""
    record = factories.SourceRecordFactory(customer__provenance={"email": {"source": "web"}})
    customer = record.customer
    crm.Identity.objects.create(
        customer=customer, kind="email", value=customer.email, source_record=record
    )
    factories.NoteFactory(customer=customer)
    factories.PreferenceFactory(customer=customer)
    factories.ConsentFactory(customer=customer, source=factories.source("web"))
    return customer


def make_campaign_member():
    return campaigns.CampaignMember.objects.create(
        campaign=factories.CampaignFactory(), customer=factories.CustomerFactory()
    )


# model → how to make one row of it. Every model of the three apps is here.
MAKERS = {
    stores.Store: factories.StoreFactory,
    stores.Associate: factories.AssociateFactory,
    stores.Category: factories.CategoryFactory,
    stores.Brand: factories.BrandFactory,
    stores.Product: factories.ProductFactory,
    stores.StockLevel: lambda: stores.StockLevel.objects.create(
        store=factories.StoreFactory(),
        product=factories.ProductFactory(),
        quantity=4,
        in_stock_since=timezone.now(),
    ),
    stores.UserSettings: lambda: stores.UserSettings.objects.create(
        user=factories.UserFactory(), language="it"
    ),
    crm.Source: lambda: factories.source("pos"),
    crm.Customer: make_customer_with_history,
    crm.SourceRecord: factories.SourceRecordFactory,
    crm.Identity: make_identity,
    crm.HubIdentifier: make_hub_identifier,
    crm.ImportBatch: make_import_batch,
    crm.RejectedRow: make_rejected_row,
    crm.MatchCandidate: make_match_candidate,
    crm.MergeEvent: make_merge_event,
    crm.Order: lambda: factories.OrderLineFactory().order,
    crm.OrderLine: factories.OrderLineFactory,
    crm.Interaction: factories.InteractionFactory,
    crm.Preference: factories.PreferenceFactory,
    crm.Note: factories.NoteFactory,
    crm.Consent: factories.ConsentFactory,
    crm.Case: factories.CaseFactory,
    crm.MatchModel: lambda: crm.MatchModel.objects.create(parameters={"fields": {}}, records=12),
    campaigns.Segment: factories.SegmentFactory,
    campaigns.Offer: factories.OfferFactory,
    campaigns.Campaign: factories.CampaignFactory,
    campaigns.CampaignMember: make_campaign_member,
}

# Written only by Bottega itself (the import pipeline, matching, merges).
NOT_ADDABLE = {
    crm.ImportBatch,
    crm.RejectedRow,
    crm.MatchCandidate,
    crm.MergeEvent,
    crm.MatchModel,
}
# Internal index rows (one per blocking key of each source record; the name vocabulary of typo
# search, derived from the golden records): nothing a person reads.
NOT_IN_ADMIN = {crm.MatchKey, crm.NameVariant}

MODELS = pytest.mark.parametrize("model", MAKERS, ids=lambda model: model.__name__)


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_every_model_of_the_three_apps_is_registered():
    models = [
        model
        for label in ("stores", "crm", "campaigns")
        for model in apps.get_app_config(label).get_models()
        if model not in NOT_IN_ADMIN
    ]

    assert [model for model in models if not admin.site.is_registered(model)] == []
    assert set(models) == set(MAKERS)


@MODELS
def test_the_changelist_opens(admin_client, model):
    MAKERS[model]()

    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@MODELS
def test_the_changelist_search_works(admin_client, model):
    MAKERS[model]()

    response = admin_client.get(admin_url(model, "changelist"), {"q": "Rossi 347"})

    assert response.status_code == 200


@MODELS
def test_the_change_page_opens(admin_client, model):
    obj = MAKERS[model]()

    response = admin_client.get(admin_url(model, "change", obj.pk))

    assert response.status_code == 200


@MODELS
def test_the_add_page_opens_where_adding_is_allowed(admin_client, model):
    response = admin_client.get(admin_url(model, "add"))

    assert response.status_code == (403 if model in NOT_ADDABLE else 200)


@pytest.mark.parametrize("model", [stores.Store, stores.Product, campaigns.Offer])
@pytest.mark.parametrize("view", ["import", "export"])
def test_reference_data_has_import_and_export_pages(admin_client, model, view):
    response = admin_client.get(admin_url(model, view))

    assert response.status_code == 200


def test_customer_search_finds_by_phone_digits_and_identity(admin_client):
    maria = factories.CustomerFactory(first_name="Maria", last_name="Rossi", phone="+393471234567")
    crm.Identity.objects.create(customer=maria, kind="loyalty_card", value="2000123456789")
    factories.CustomerFactory(first_name="Luca", last_name="Verdi")
    url = admin_url(crm.Customer, "changelist")

    by_phone = admin_client.get(url, {"q": "347 123 4567"})
    by_card = admin_client.get(url, {"q": "2000123456789"})
    by_name = admin_client.get(url, {"q": "maria rossi"})

    for response in (by_phone, by_card, by_name):
        assert list(response.context["cl"].result_list) == [maria]


def test_a_consent_entry_opens_read_only(admin_client):
    consent = factories.ConsentFactory()

    response = admin_client.get(admin_url(crm.Consent, "change", consent.pk))

    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert b'name="_continue"' not in response.content
    assert response.context["adminform"].form.fields == {}


def test_a_consent_entry_cannot_be_changed(admin_client):
    consent = factories.ConsentFactory(is_granted=True)

    response = admin_client.post(
        admin_url(crm.Consent, "change", consent.pk),
        {"customer": consent.customer.pk, "purpose": "marketing", "channel": "email"},
    )

    assert response.status_code == 403
    consent.refresh_from_db()
    assert consent.is_granted is True


def test_a_consent_entry_cannot_be_deleted(admin_client):
    consent = factories.ConsentFactory()

    page = admin_client.get(admin_url(crm.Consent, "delete", consent.pk))
    post = admin_client.post(admin_url(crm.Consent, "delete", consent.pk), {"post": "yes"})

    assert (page.status_code, post.status_code) == (403, 403)
    assert crm.Consent.objects.filter(pk=consent.pk).exists()


def test_a_consent_entry_can_be_added_and_records_who_captured_it(admin_client, superuser):
    customer = factories.CustomerFactory()

    response = admin_client.post(
        admin_url(crm.Consent, "add"),
        {
            "customer": customer.pk,
            "purpose": "marketing",
            "channel": "sms",
            "is_granted": "on",
            "recorded_at_0": "2025-03-01",
            "recorded_at_1": "10:30:00",
            "proof": "Paper form 118",
        },
    )

    assert response.status_code == 302
    consent = customer.consents.get()
    assert (consent.channel, consent.is_granted, consent.captured_by) == ("sms", True, superuser)


def test_a_crm_manager_with_staff_status_opens_the_customer_list(client, manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    client.force_login(manager)

    response = client.get(admin_url(crm.Customer, "changelist"))

    assert response.status_code == 200


def test_a_store_associate_is_sent_to_the_admin_login(client, staff):
    client.force_login(staff)

    response = client.get(admin_url(crm.Customer, "changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_an_associate_added_in_the_admin_joins_the_role_group(admin_client, store):
    user = factories.UserFactory()

    admin_client.post(
        admin_url(stores.Associate, "add"),
        {"user": user.pk, "store": store.pk, "role": "crm_manager", "code": "mgr01"},
    )

    assert [group.name for group in user.groups.all()] == ["CRM manager"]


def add_customers(count: int) -> None:
    """Customers each with their own home store, about half of them merged into another."""
    survivor = None
    for number in range(count):
        if number % 2:
            factories.CustomerFactory(
                home_store=factories.StoreFactory(), status="merged", merged_into=survivor
            )
        else:
            survivor = factories.CustomerFactory(home_store=factories.StoreFactory())


def test_the_customer_list_costs_the_same_for_3_or_30_rows(
    admin_client, django_assert_max_num_queries
):
    url = admin_url(crm.Customer, "changelist")
    add_customers(3)
    admin_client.get(url)  # the session and content types are loaded once per client

    with django_assert_max_num_queries(20) as with_3:
        assert len(admin_client.get(url).context["cl"].result_list) == 3
    add_customers(27)
    with django_assert_max_num_queries(20) as with_30:
        assert len(admin_client.get(url).context["cl"].result_list) == 30

    assert len(with_3) == len(with_30)


def test_the_order_list_costs_the_same_for_3_or_30_rows(
    admin_client, django_assert_max_num_queries
):
    url = admin_url(crm.Order, "changelist")
    when = timezone.now() - dt.timedelta(days=3)
    factories.OrderFactory.create_batch(3, ordered_at=when)
    admin_client.get(url)

    with django_assert_max_num_queries(20) as with_3:
        assert len(admin_client.get(url).context["cl"].result_list) == 3
    factories.OrderFactory.create_batch(27, ordered_at=when)
    with django_assert_max_num_queries(20) as with_30:
        assert len(admin_client.get(url).context["cl"].result_list) == 30

    assert len(with_3) == len(with_30)


def test_a_source_record_shows_its_raw_row_but_cannot_change_it(admin_client):
    record = factories.SourceRecordFactory(raw={"external_id": "P1", "note": "<b>vip</b>"})

    response = admin_client.get(admin_url(crm.SourceRecord, "change", record.pk))

    assert "raw" not in response.context["adminform"].form.fields
    assert "&lt;b&gt;vip&lt;/b&gt;" in response.content.decode()


def test_the_customer_page_shows_provenance_and_links_to_the_history(admin_client):
    customer = make_customer_with_history()

    response = admin_client.get(admin_url(crm.Customer, "change", customer.pk))

    content = response.content.decode()
    assert "&quot;source&quot;: &quot;web&quot;" in content
    assert f"{admin_url(crm.Order, 'changelist')}?customer__id__exact={customer.pk}" in content
