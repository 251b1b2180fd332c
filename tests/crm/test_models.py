import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import (
    Case,
    Consent,
    Customer,
    HubIdentifier,
    Identity,
    ImportBatch,
    Interaction,
    MatchCandidate,
    MergeEvent,
    OrderLine,
    RejectedRow,
    SourceRecord,
)
from tests import factories

pytestmark = pytest.mark.django_db

FILE_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
MARCH_FIRST = dt.datetime(2025, 3, 1, 10, 30, tzinfo=dt.UTC)


def people_batch(**fields) -> ImportBatch:
    fields = {
        "source": factories.source("pos"),
        "kind": ImportBatch.Kind.PEOPLE,
        "content_hash": FILE_HASH,
        **fields,
    }
    return ImportBatch.objects.create(**fields)


def unlinked_record(**fields) -> SourceRecord:
    """A channel record not yet linked to any customer, as matching finds it."""
    fields = {"customer": None, "first_name": "Maria", "last_name": "Rossi", "email": "", **fields}
    return factories.SourceRecordFactory(**fields)


# --- Customer: constraints ----------------------------------------------------------------


def test_it_refuses_a_merged_customer_that_points_at_no_survivor(customer):
    customer.status = Customer.Status.MERGED

    with pytest.raises(IntegrityError), transaction.atomic():
        customer.save()


def test_it_refuses_an_active_customer_that_points_at_a_survivor(customer):
    survivor = factories.CustomerFactory()
    customer.merged_into = survivor

    with pytest.raises(IntegrityError), transaction.atomic():
        customer.save()


def test_it_accepts_a_merged_customer_that_points_at_its_survivor(customer):
    survivor = factories.CustomerFactory()
    customer.status = Customer.Status.MERGED
    customer.merged_into = survivor

    customer.save()

    assert list(survivor.absorbed.all()) == [customer]


def test_it_refuses_a_customer_merged_into_itself(customer):
    customer.status = Customer.Status.MERGED
    customer.merged_into = customer

    with pytest.raises(IntegrityError), transaction.atomic():
        customer.save()


@pytest.mark.parametrize("churn_risk", [-0.01, 1.01])
def test_it_refuses_a_churn_risk_that_is_not_a_probability(customer, churn_risk):
    customer.churn_risk = churn_risk

    with pytest.raises(IntegrityError), transaction.atomic():
        customer.save()


@pytest.mark.parametrize("churn_risk", [0.0, 1.0])
def test_it_accepts_a_churn_risk_at_either_end_of_the_scale(customer, churn_risk):
    customer.churn_risk = churn_risk

    customer.save()

    assert Customer.objects.filter(churn_risk=churn_risk).get() == customer


def test_it_refuses_a_profile_more_than_complete(customer):
    customer.profile_completeness = 101

    with pytest.raises(IntegrityError), transaction.atomic():
        customer.save()


# --- Customer: helpers --------------------------------------------------------------------


def test_a_customer_full_name_is_first_and_last_name():
    customer = factories.CustomerFactory.build(first_name="Maria", last_name="Rossi")

    full_name = customer.full_name

    assert full_name == "Maria Rossi"


def test_a_customer_full_name_leaves_out_a_missing_first_name():
    customer = factories.CustomerFactory.build(first_name="", last_name="Rossi")

    full_name = customer.full_name

    assert full_name == "Rossi"


@pytest.mark.parametrize(
    ("first_name", "last_name", "expected"),
    [
        ("Maria", "Rossi", "MR"),
        ("maria", "de luca", "MD"),
        ("Maria", "", "M"),
        ("", "Rossi", "R"),
        ("", "", "?"),
    ],
)
def test_a_customer_initials_are_capitals_or_a_question_mark(first_name, last_name, expected):
    customer = factories.CustomerFactory.build(first_name=first_name, last_name=last_name)

    initials = customer.initials

    assert initials == expected


def test_a_masked_phone_shows_only_the_last_three_digits():
    customer = factories.CustomerFactory.build(phone="+393470000123")

    masked = customer.masked_phone

    assert masked == "•••123"


def test_a_customer_without_a_phone_has_no_masked_phone():
    customer = factories.CustomerFactory.build(phone="")

    masked = customer.masked_phone

    assert masked == ""


def test_active_customers_leave_out_merged_and_erased_ones(customer):
    factories.CustomerFactory(status=Customer.Status.MERGED, merged_into=customer)
    factories.CustomerFactory(status=Customer.Status.ERASED)

    active = list(Customer.objects.active())

    assert active == [customer]


# --- Customer: search ---------------------------------------------------------------------


@pytest.fixture
def someone_else(db):
    return factories.CustomerFactory(
        first_name="Luca", last_name="Bianchi", email="luca@example.it", phone="+393489999999"
    )


@pytest.mark.parametrize("text", ["ross", "ROSSI", "mar", "maria rossi", "  Rossi   Maria "])
def test_search_finds_a_customer_by_part_of_a_name_in_any_case(customer, someone_else, text):
    found = list(Customer.objects.search(text))

    assert found == [customer]


def test_search_needs_every_word_to_match_a_name(customer, someone_else):
    found = list(Customer.objects.search("Maria Bianchi"))

    assert found == []


def test_search_finds_a_customer_by_email_in_any_case(someone_else):
    customer = factories.CustomerFactory(email="maria.rossi@example.it")

    found = list(Customer.objects.search("Maria.Rossi@Example.IT"))

    assert found == [customer]


@pytest.mark.parametrize(
    "text", ["347 000 0001", "3470000001", "+39 347 000 0001", "+393470000001", "347-000-0001"]
)
def test_search_finds_a_customer_by_phone_digits_typed_in_any_format(someone_else, text):
    customer = factories.CustomerFactory(phone="+393470000001")

    found = list(Customer.objects.search(text))

    assert found == [customer]


def test_search_finds_a_customer_by_loyalty_card(customer, someone_else):
    Identity.objects.create(
        customer=customer, kind=Identity.Kind.LOYALTY_CARD, value="2900001234567"
    )

    found = list(Customer.objects.search("2900001234567"))

    assert found == [customer]


def test_search_returns_a_customer_once_when_two_identities_match(customer, someone_else):
    Identity.objects.create(
        customer=customer, kind=Identity.Kind.LOYALTY_CARD, value="2900001234567"
    )
    Identity.objects.create(
        customer=customer, kind=Identity.Kind.POS_CUSTOMER, value="2900001234567"
    )

    found = list(Customer.objects.search("2900001234567"))

    assert found == [customer]


def test_search_for_blank_text_returns_everyone(customer, someone_else):
    found = list(Customer.objects.search("   "))

    assert found == [someone_else, customer]


# --- Source records and identities --------------------------------------------------------


def test_it_refuses_two_records_with_the_same_external_id_in_one_source():
    factories.SourceRecordFactory(source=factories.source("pos"), external_id="C-1001")
    customer = factories.CustomerFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        SourceRecord.objects.create(
            source=factories.source("pos"), external_id="C-1001", customer=customer
        )


def test_two_sources_may_use_the_same_external_id():
    factories.SourceRecordFactory(source=factories.source("pos"), external_id="C-1001")

    factories.SourceRecordFactory(source=factories.source("web"), external_id="C-1001")

    assert SourceRecord.objects.filter(external_id="C-1001").count() == 2


def test_it_refuses_the_same_identity_twice_on_one_customer(customer):
    Identity.objects.create(customer=customer, kind=Identity.Kind.PHONE, value="+390212345678")

    with pytest.raises(IntegrityError), transaction.atomic():
        Identity.objects.create(customer=customer, kind=Identity.Kind.PHONE, value="+390212345678")


def test_two_customers_may_share_an_identity_like_a_family_landline(customer):
    relative = factories.CustomerFactory(last_name=customer.last_name)
    Identity.objects.create(customer=customer, kind=Identity.Kind.PHONE, value="+390212345678")

    Identity.objects.create(customer=relative, kind=Identity.Kind.PHONE, value="+390212345678")

    sharing = Customer.objects.filter(identities__value="+390212345678")
    assert set(sharing) == {customer, relative}


def test_it_refuses_an_identity_with_an_empty_value(customer):
    with pytest.raises(IntegrityError), transaction.atomic():
        Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value="")


def test_it_refuses_to_list_the_same_hub_identifier_twice():
    HubIdentifier.objects.create(kind=Identity.Kind.PHONE, value="+390200000000")

    with pytest.raises(IntegrityError), transaction.atomic():
        HubIdentifier.objects.create(kind=Identity.Kind.PHONE, value="+390200000000")


# --- Imports ------------------------------------------------------------------------------


def test_it_refuses_to_import_the_same_file_from_the_same_source_twice():
    people_batch()

    with pytest.raises(IntegrityError), transaction.atomic():
        people_batch()


def test_a_dry_run_may_read_a_file_that_was_already_imported():
    people_batch()

    people_batch(is_dry_run=True)
    people_batch(is_dry_run=True)

    assert ImportBatch.objects.filter(content_hash=FILE_HASH).count() == 3


def test_the_same_file_may_be_imported_from_another_source():
    people_batch()

    people_batch(source=factories.source("web"))

    assert ImportBatch.objects.filter(content_hash=FILE_HASH).count() == 2


def test_it_refuses_two_rejections_of_the_same_cell():
    batch = people_batch()
    RejectedRow.objects.create(batch=batch, row_number=3, column="email", reason="Not an e-mail")

    with pytest.raises(IntegrityError), transaction.atomic():
        RejectedRow.objects.create(batch=batch, row_number=3, column="email", reason="Too long")


def test_one_row_may_be_rejected_for_two_different_columns():
    batch = people_batch()
    RejectedRow.objects.create(batch=batch, row_number=3, column="email", reason="Not an e-mail")

    RejectedRow.objects.create(batch=batch, row_number=3, column="phone", reason="Too short")

    assert batch.rejected_rows.count() == 2


# --- Matching and merging -----------------------------------------------------------------


def test_a_rejected_match_pair_cannot_be_proposed_again(customer):
    record = unlinked_record()
    MatchCandidate.objects.create(
        source_record=record, customer=customer, score=0.72, status=MatchCandidate.Status.REJECTED
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        MatchCandidate.objects.create(source_record=record, customer=customer, score=0.81)


def test_one_record_may_be_proposed_for_two_customers(customer, someone_else):
    record = unlinked_record()
    MatchCandidate.objects.create(source_record=record, customer=customer, score=0.72)

    MatchCandidate.objects.create(source_record=record, customer=someone_else, score=0.70)

    assert record.match_candidates.count() == 2


def test_it_refuses_a_merge_of_a_customer_with_itself(customer):
    with pytest.raises(IntegrityError), transaction.atomic():
        MergeEvent.objects.create(kind=MergeEvent.Kind.MERGE, survivor=customer, other=customer)


def test_an_automatic_link_may_name_only_the_survivor(customer):
    MergeEvent.objects.create(kind=MergeEvent.Kind.AUTO_LINK, survivor=customer, other=None)

    assert customer.merge_events.get().other is None


# --- Orders -------------------------------------------------------------------------------


def test_it_refuses_two_orders_with_the_same_external_id_in_one_source(customer):
    factories.OrderFactory(source=factories.source("pos"), external_id="R-2025-0001")
    store = factories.StoreFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.OrderFactory(
            source=factories.source("pos"),
            external_id="R-2025-0001",
            customer=customer,
            store=store,
        )


def test_two_sources_may_use_the_same_order_number():
    factories.OrderFactory(source=factories.source("pos"), external_id="R-2025-0001")

    factories.OrderFactory(source=factories.source("web"), external_id="R-2025-0001")

    assert factories.source("web").orders.get().external_id == "R-2025-0001"


def test_it_refuses_two_lines_with_the_same_number_on_one_order():
    line = factories.OrderLineFactory(line_number=1)
    product = factories.ProductFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.OrderLineFactory(order=line.order, line_number=1, product=product)


def test_it_refuses_an_order_line_of_zero_items():
    line = factories.OrderLineFactory()
    line.quantity = Decimal("0")

    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()


def test_a_returned_item_may_be_a_line_with_a_negative_quantity():
    order = factories.OrderFactory()

    factories.OrderLineFactory(
        order=order, quantity=Decimal("-1"), line_total=Decimal("-19.90"), is_returned=True
    )

    assert order.lines.get().quantity == Decimal("-1.000")


# --- Interactions -------------------------------------------------------------------------


def test_it_refuses_two_interactions_with_the_same_external_id_in_one_source(customer):
    factories.InteractionFactory(source=factories.source("web"), external_id="sess-42")
    store = factories.StoreFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.InteractionFactory(
            source=factories.source("web"), external_id="sess-42", customer=customer, store=store
        )


def test_two_sources_may_send_interactions_with_the_same_external_id():
    factories.InteractionFactory(source=factories.source("web"), external_id="sess-42")

    factories.InteractionFactory(source=factories.source("app"), external_id="sess-42")

    assert Interaction.objects.filter(external_id="sess-42").count() == 2


def test_interactions_without_an_external_id_may_repeat_in_one_source():
    factories.InteractionFactory(source=factories.source("social"), external_id="")

    factories.InteractionFactory(source=factories.source("social"), external_id="")

    assert factories.source("social").interactions.count() == 2


# --- Preferences --------------------------------------------------------------------------


def test_it_refuses_the_same_preference_twice_for_one_customer(customer):
    factories.PreferenceFactory(customer=customer, kind="size", value="M")

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PreferenceFactory(customer=customer, kind="size", value="M")


def test_two_customers_may_share_a_preference(customer, someone_else):
    factories.PreferenceFactory(customer=customer, kind="size", value="M")

    factories.PreferenceFactory(customer=someone_else, kind="size", value="M")

    assert someone_else.preferences.get().value == "M"


# --- Consent: an append-only ledger -------------------------------------------------------


def test_it_refuses_to_edit_a_recorded_consent(customer):
    consent = factories.ConsentFactory(customer=customer, is_granted=True)
    consent.is_granted = False

    with pytest.raises(ValueError, match="append-only"):
        consent.save()

    assert Consent.objects.get(pk=consent.pk).is_granted is True


def test_a_change_of_mind_is_recorded_as_a_new_entry(customer):
    factories.ConsentFactory(customer=customer, is_granted=True)

    factories.ConsentFactory(customer=customer, is_granted=False)

    assert [c.is_granted for c in customer.consents.all()] == [False, True]


def test_the_latest_consent_comes_first_for_each_purpose_and_channel(customer):
    now = timezone.now()

    def record(purpose, channel, is_granted, days_ago):
        return factories.ConsentFactory(
            customer=customer,
            purpose=purpose,
            channel=channel,
            is_granted=is_granted,
            recorded_at=now - dt.timedelta(days=days_ago),
        )

    old_email_yes = record("marketing", "email", True, days_ago=30)
    profiling_yes = record("profiling", "any", True, days_ago=20)
    sms_yes = record("marketing", "sms", True, days_ago=10)
    email_no = record("marketing", "email", False, days_ago=1)

    ledger = list(customer.consents.latest_per_purpose())

    assert ledger == [email_no, old_email_yes, sms_yes, profiling_yes]


def test_of_two_consents_recorded_at_the_same_moment_the_later_entry_comes_first(customer):
    moment = timezone.now()
    first = factories.ConsentFactory(customer=customer, is_granted=True, recorded_at=moment)
    second = factories.ConsentFactory(customer=customer, is_granted=False, recorded_at=moment)

    ledger = list(customer.consents.latest_per_purpose())

    assert ledger == [second, first]


# --- Cases --------------------------------------------------------------------------------


def test_it_refuses_a_case_resolved_before_it_was_opened(customer):
    case = factories.CaseFactory(customer=customer, opened_at=MARCH_FIRST)
    case.resolved_at = MARCH_FIRST - dt.timedelta(minutes=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        case.save()


def test_a_case_may_be_resolved_the_moment_it_is_opened(customer):
    case = factories.CaseFactory(customer=customer, opened_at=MARCH_FIRST)
    case.resolved_at = MARCH_FIRST
    case.status = Case.Status.RESOLVED

    case.save()

    assert Case.objects.get(resolved_at=MARCH_FIRST) == case


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Case.Status.OPEN, True),
        (Case.Status.WAITING, True),
        (Case.Status.RESOLVED, False),
        (Case.Status.CLOSED, False),
    ],
)
def test_a_case_is_open_until_it_is_resolved_or_closed(customer, status, expected):
    case = factories.CaseFactory(customer=customer, status=status)

    is_open = case.is_open

    assert is_open is expected


# --- How each record reads ----------------------------------------------------------------


def test_a_source_reads_as_its_name():
    source = factories.source("pos")

    text = str(source)

    assert text == "Store tills"


def test_a_customer_reads_as_their_full_name(customer):
    text = str(customer)

    assert text == "Maria Rossi"


def test_a_customer_without_a_name_reads_as_customer_and_number():
    customer = factories.CustomerFactory(first_name="", last_name="")

    text = str(customer)

    assert text == f"Customer {customer.pk}"


def test_a_source_record_reads_as_source_and_external_id():
    record = factories.SourceRecordFactory(source=factories.source("web"), external_id="W-77")

    text = str(record)

    assert text == "web:W-77"


def test_an_identity_reads_as_kind_and_value(customer):
    identity = Identity.objects.create(
        customer=customer, kind=Identity.Kind.LOYALTY_CARD, value="2900001234567"
    )

    text = str(identity)

    assert text == "Loyalty card: 2900001234567"


def test_a_hub_identifier_reads_as_kind_and_value():
    hub = HubIdentifier.objects.create(kind=Identity.Kind.EMAIL, value="noemail@bottega.example")

    text = str(hub)

    assert text == "email: noemail@bottega.example"


def test_an_import_batch_reads_as_source_kind_and_number():
    batch = people_batch()

    text = str(batch)

    assert text == f"pos people #{batch.pk}"


def test_a_rejected_row_reads_as_where_and_why():
    row = RejectedRow.objects.create(
        batch=people_batch(), row_number=3, column="email", reason="Not an e-mail address"
    )

    text = str(row)

    assert text == "row 3, email: Not an e-mail address"


def test_a_match_candidate_reads_as_the_pair_and_its_score(customer):
    record = unlinked_record(source=factories.source("pos"), external_id="C-1001")
    candidate = MatchCandidate.objects.create(source_record=record, customer=customer, score=0.7)

    text = str(candidate)

    assert text == "pos:C-1001 ~ Maria Rossi (0.70)"


def test_a_merge_event_reads_as_its_kind_and_number(customer, someone_else):
    event = MergeEvent.objects.create(
        kind=MergeEvent.Kind.MERGE, survivor=customer, other=someone_else
    )

    text = str(event)

    assert text == f"Merge #{event.pk}"


def test_an_order_reads_as_source_and_number():
    order = factories.OrderFactory(source=factories.source("pos"), external_id="R-2025-0001")

    text = str(order)

    assert text == "pos:R-2025-0001"


def test_an_order_line_reads_as_quantity_and_sku():
    product = factories.ProductFactory(sku="CAF-0001")
    line = factories.OrderLineFactory(product=product, quantity=Decimal("2"))

    text = str(OrderLine.objects.get(pk=line.pk))

    assert text == "2.000 × CAF-0001"


def test_an_interaction_reads_as_its_kind_and_day():
    interaction = factories.InteractionFactory(
        kind=Interaction.Kind.CART_ABANDONED, occurred_at=MARCH_FIRST
    )

    text = str(interaction)

    assert text == "Abandoned cart 2025-03-01"


def test_a_preference_reads_as_its_kind_and_value():
    preference = factories.PreferenceFactory(kind="diet", value="Gluten free")

    text = str(preference)

    assert text == "Diet or allergy: Gluten free"


def test_a_note_reads_as_the_start_of_its_body():
    note = factories.NoteFactory(body="Wants a call when the linen shirts arrive. " * 3)

    text = str(note)

    assert text == "Wants a call when the linen shirts arrive. Wants a call when"


@pytest.mark.parametrize(("is_granted", "state"), [(True, "granted"), (False, "withdrawn")])
def test_a_consent_reads_as_purpose_channel_and_state(is_granted, state):
    consent = factories.ConsentFactory(purpose="marketing", channel="sms", is_granted=is_granted)

    text = str(consent)

    assert text == f"Marketing (sms) {state}"


def test_a_case_reads_as_its_subject():
    case = factories.CaseFactory(subject="Jacket zip broke after two weeks")

    text = str(case)

    assert text == "Jacket zip broke after two weeks"


def test_it_refuses_an_interaction_external_id_without_its_source(customer):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.InteractionFactory(customer=customer, source=None, external_id="IX-1")
