import datetime as dt
import itertools

import pytest

from crm.identity import survivorship
from crm.models import Customer, HubIdentifier, Identity, SourceRecord
from tests import factories

pytestmark = pytest.mark.django_db

JANUARY = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.UTC)
MARCH = dt.datetime(2025, 3, 15, 9, 0, tzinfo=dt.UTC)
MAY = dt.datetime(2025, 5, 15, 9, 0, tzinfo=dt.UTC)
ITALIAN_MOBILE = "+393471234567"
MILAN_LANDLINE = "+390212345678"


def record(source_code: str = "pos", **fields) -> SourceRecord:
    """An unsaved channel record: survivorship is a function of records, no database needed."""
    fields.setdefault("external_id", f"{source_code}-{next(_external_ids)}")
    fields.setdefault("created_at", JANUARY)
    return SourceRecord(source=factories.source(source_code), **fields)


_external_ids = itertools.count(1)


def golden(records: list[SourceRecord], verified_emails: frozenset = frozenset()) -> dict:
    chosen = survivorship.golden_values(records, verified_emails=set(verified_emails))
    return {field: provenanced.value for field, provenanced in chosen.items()}


# --- Names: most trusted source, then most frequent ------------------------------------------


def test_a_name_from_the_most_trusted_source_beats_a_more_frequent_one():
    records = [
        record("loyalty", first_name="Maria"),
        record("pos", first_name="Mariq"),
        record("pos", first_name="Mariq"),
    ]

    assert golden(records)["first_name"] == "Maria"


def test_between_equally_trusted_sources_the_most_frequent_name_wins():
    records = [
        record("pos", last_name="Rossi", seen_at=JANUARY),
        record("pos", last_name="Rossi", seen_at=JANUARY),
        record("pos", last_name="Rosi", seen_at=MAY),
    ]

    assert golden(records)["last_name"] == "Rossi"


def test_an_empty_value_never_beats_a_filled_one():
    records = [record("loyalty", first_name=""), record("social", first_name="Maria")]

    assert golden(records)["first_name"] == "Maria"


# --- E-mail: verified, then most recent --------------------------------------------------------


def test_a_verified_email_beats_a_more_recent_one():
    records = [
        record("pos", email="maria@example.it", seen_at=JANUARY),
        record("web", email="m.rossi@example.it", seen_at=MAY),
    ]

    assert golden(records, frozenset({"maria@example.it"}))["email"] == "maria@example.it"


def test_without_verification_the_most_recent_email_wins():
    records = [
        record("loyalty", email="maria@example.it", seen_at=JANUARY),
        record("social", email="m.rossi@example.it", seen_at=MAY),
    ]

    assert golden(records)["email"] == "m.rossi@example.it"


def test_a_record_without_seen_at_is_dated_by_when_it_was_created():
    records = [
        record("pos", email="old@example.it", seen_at=MARCH),
        record("pos", email="new@example.it", created_at=MAY),
    ]

    assert golden(records)["email"] == "new@example.it"


def test_an_email_verified_on_an_identity_of_the_record_counts(customer):
    saved = factories.SourceRecordFactory(
        customer=customer, source=factories.source("pos"), email="maria@example.it"
    )
    newer = factories.SourceRecordFactory(
        customer=customer, email="m.rossi@example.it", seen_at=MAY
    )
    Identity.objects.create(
        customer=customer,
        kind=Identity.Kind.EMAIL,
        value="maria@example.it",
        source_record=saved,
        is_verified=True,
    )

    chosen = survivorship.golden_values([saved, newer])

    assert chosen["email"].value == "maria@example.it"


# --- Phone: mobile, then most recent -----------------------------------------------------------


def test_a_mobile_beats_a_more_recent_landline():
    records = [
        record("pos", phone=ITALIAN_MOBILE, seen_at=JANUARY),
        record("pos", phone=MILAN_LANDLINE, seen_at=MAY),
    ]

    assert golden(records)["phone"] == ITALIAN_MOBILE


def test_between_two_mobiles_the_most_recent_wins():
    records = [
        record("loyalty", phone=ITALIAN_MOBILE, seen_at=JANUARY),
        record("social", phone="+393339876543", seen_at=MAY),
    ]

    assert golden(records)["phone"] == "+393339876543"


def test_a_number_that_cannot_be_parsed_is_not_a_mobile():
    assert not survivorship.is_mobile("not a number")


# --- Birth date: most frequent, then most trusted ----------------------------------------------


def test_the_most_frequent_birth_date_wins_over_a_more_trusted_one():
    records = [
        record("loyalty", birth_date=dt.date(1985, 5, 17)),
        record("pos", birth_date=dt.date(1985, 7, 5)),
        record("social", birth_date=dt.date(1985, 7, 5)),
    ]

    assert golden(records)["birth_date"] == dt.date(1985, 7, 5)


def test_between_equally_frequent_birth_dates_the_most_trusted_wins():
    records = [
        record("social", birth_date=dt.date(1985, 7, 5), seen_at=MAY),
        record("web", birth_date=dt.date(1985, 5, 17), seen_at=JANUARY),
    ]

    assert golden(records)["birth_date"] == dt.date(1985, 5, 17)


# --- Address: one record, the most recent, never mixed -----------------------------------------


def test_the_address_comes_whole_from_the_most_recent_record():
    older = record(
        "loyalty",
        street="Via Roma 1",
        postcode="20121",
        city="Milano",
        country="IT",
        seen_at=JANUARY,
    )
    newer = record("pos", street="Corso Buenos Aires 5", city="Milano", seen_at=MAY)

    values = golden([older, newer])

    assert (values["street"], values["city"]) == ("Corso Buenos Aires 5", "Milano")
    assert "postcode" not in values  # not taken from the older record
    assert "country" not in values


def test_a_record_naming_only_a_country_does_not_replace_an_address():
    address = record("pos", street="Via Roma 1", city="Milano", country="IT", seen_at=JANUARY)
    country_only = record("web", country="CH", seen_at=MAY)

    values = golden([address, country_only])

    assert (values["street"], values["country"]) == ("Via Roma 1", "IT")


def test_a_customer_whose_records_name_no_country_gets_the_default(customer):
    factories.SourceRecordFactory(customer=customer, city="Torino")
    customer.country = "FR"

    survivorship.recompute_golden_record(customer=customer)

    customer.refresh_from_db()
    assert (customer.city, customer.country) == ("Torino", "IT")


# --- Provenance and determinism ----------------------------------------------------------------


def test_each_value_records_where_it_came_from():
    chosen = record("loyalty", first_name="Maria", seen_at=MARCH)

    provenance = survivorship.golden_values([chosen], verified_emails=set())["first_name"]

    assert provenance.provenance() == {
        "source_record": None,
        "source": "loyalty",
        "channel": "loyalty",
        "at": MARCH.isoformat(),
        "rule": "most_trusted_then_most_frequent",
    }


def test_the_same_records_in_any_order_give_the_same_golden_record():
    records = [
        record("pos", first_name="Maria", email="a@example.it", phone=MILAN_LANDLINE, seen_at=MAY),
        record("web", first_name="Marta", email="b@example.it", phone=ITALIAN_MOBILE),
        record("web", first_name="Mara", email="c@example.it", birth_date=dt.date(1990, 1, 2)),
        record("social", first_name="Maria", street="Via Po 3", city="Torino", seen_at=MAY),
    ]

    results = {
        tuple(
            (field, p.value, p.record.external_id)
            for field, p in sorted(
                survivorship.golden_values(list(order), verified_emails=set()).items()
            )
        )
        for order in itertools.permutations(records)
    }

    assert len(results) == 1


# --- Recompute ----------------------------------------------------------------------------------


def test_recompute_writes_golden_fields_provenance_member_since_and_last_channel(customer):
    loyalty = factories.SourceRecordFactory(
        customer=customer,
        source=factories.source("loyalty"),
        first_name="Maria",
        last_name="Rossi",
        email="maria@example.it",
        seen_at=JANUARY,
    )
    web = factories.SourceRecordFactory(
        customer=customer,
        source=factories.source("web"),
        first_name="Mary",
        last_name="Rossi",
        email="mary@example.it",
        phone=ITALIAN_MOBILE,
        seen_at=MAY,
    )

    survivorship.recompute_golden_record(customer=customer)

    customer.refresh_from_db()
    assert (customer.first_name, customer.email, customer.phone) == (
        "Maria",
        "mary@example.it",
        ITALIAN_MOBILE,
    )
    assert customer.provenance["first_name"]["source_record"] == loyalty.pk
    assert customer.provenance["email"] == {
        "source_record": web.pk,
        "source": "web",
        "channel": "web",
        "at": MAY.isoformat(),
        "rule": "verified_then_most_recent",
    }
    assert "birth_date" not in customer.provenance
    assert customer.birth_date is None
    assert customer.member_since == dt.date(2025, 1, 15)
    assert customer.last_channel == "web"


def test_recompute_twice_writes_nothing_the_second_time(customer):
    factories.SourceRecordFactory(customer=customer, phone=ITALIAN_MOBILE, loyalty_card="C1")
    survivorship.recompute_golden_record(customer=customer)
    first = Customer.objects.get(pk=customer.pk)
    identities = list(Identity.objects.filter(customer=customer).values_list("pk", flat=True))

    survivorship.recompute_golden_record(customer=customer)

    again = Customer.objects.get(pk=customer.pk)
    assert again.updated_at == first.updated_at
    assert list(Identity.objects.filter(customer=customer).values_list("pk", flat=True)) == (
        identities
    )


def test_a_customer_without_records_keeps_its_values(customer):
    survivorship.recompute_golden_record(customer=customer)

    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Maria", "Rossi")
    assert customer.email


def test_recompute_rebuilds_identities_from_the_records(customer):
    web = factories.SourceRecordFactory(
        customer=customer,
        source=factories.source("web"),
        external_id="W-77",
        email="maria@example.it",
        phone=ITALIAN_MOBILE,
    )
    pos = factories.SourceRecordFactory(
        customer=customer,
        source=factories.source("pos"),
        external_id="T-12",
        email="maria@example.it",
        loyalty_card="CARD-9",
    )
    factories.SourceRecordFactory(
        customer=customer, source=factories.source("loyalty"), external_id="L-1", email=""
    )

    survivorship.recompute_golden_record(customer=customer)

    assert set(customer.identities.values_list("kind", "value")) == {
        ("email", "maria@example.it"),
        ("phone", ITALIAN_MOBILE),
        ("loyalty_card", "CARD-9"),
        ("web_account", "W-77"),
        ("pos_customer", "T-12"),
    }
    assert customer.identities.get(kind="web_account").source_record == web
    assert customer.identities.get(kind="loyalty_card").source_record == pos


def test_recompute_skips_hub_identifiers_and_keeps_identities_added_by_hand(customer):
    HubIdentifier.objects.create(kind=Identity.Kind.PHONE, value=MILAN_LANDLINE, people_count=40)
    factories.SourceRecordFactory(customer=customer, phone=MILAN_LANDLINE, email="")
    manual = Identity.objects.create(
        customer=customer, kind=Identity.Kind.SOCIAL_HANDLE, value="@maria"
    )
    stale = Identity.objects.create(
        customer=customer,
        kind=Identity.Kind.EMAIL,
        value="gone@example.it",
        source_record=factories.SourceRecordFactory(),
    )

    survivorship.recompute_golden_record(customer=customer)

    assert list(customer.identities.filter(kind="phone")) == []
    assert Identity.objects.filter(pk=manual.pk).exists()
    assert not Identity.objects.filter(pk=stale.pk).exists()


def test_a_verified_identity_stays_verified_when_rebuilt(customer):
    record_ = factories.SourceRecordFactory(customer=customer, email="maria@example.it")
    survivorship.recompute_golden_record(customer=customer)
    Identity.objects.filter(customer=customer, kind="email").update(is_verified=True)
    factories.SourceRecordFactory(customer=customer, email="maria@example.it", seen_at=MAY)

    survivorship.recompute_golden_record(customer=customer)

    identity = customer.identities.get(kind="email")
    assert (identity.is_verified, identity.source_record) == (True, record_)
