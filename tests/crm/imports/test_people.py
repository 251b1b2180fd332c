import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.imports import pipeline
from crm.models import Consent, Customer, ImportBatch, NameVariant, RejectedRow, SourceRecord
from tests import factories
from tests.crm.imports.conftest import PEOPLE_HEADER, person, run, write_csv

pytestmark = pytest.mark.django_db


def test_bad_rows_are_rejected_with_row_column_and_reason_while_good_rows_land(tmp_path):
    path = write_csv(
        tmp_path / "people.csv",
        PEOPLE_HEADER,
        [
            person("P1"),
            person("", first_name="Nobody"),
            person("P3", birth_date="30/02/1987"),
            person("P4", first_name="", last_name="", email="not an e-mail"),
            person("P5", email="broken@", phone="347 123 4567"),
            person("P1", first_name="Again"),
            person("P7", created_at="ieri"),
        ],
    )

    batch = run(path)

    assert batch.status == ImportBatch.Status.DONE
    assert set(SourceRecord.objects.values_list("external_id", flat=True)) == {"P1", "P5"}
    rejected = {(r.row_number, r.column) for r in RejectedRow.objects.filter(batch=batch)}
    assert rejected == {
        (3, "external_id"),
        (4, "birth_date"),
        (5, ""),
        (7, "external_id"),
        (8, "created_at"),
    }
    reason = RejectedRow.objects.get(batch=batch, row_number=4).reason
    assert "“30/02/1987” is not a birth date we can read" in reason
    assert RejectedRow.objects.get(batch=batch, row_number=7).reason.endswith("row 2 of this file.")
    p5 = SourceRecord.objects.get(external_id="P5")
    assert (p5.email, p5.phone) == ("", "+393471234567")  # a bad e-mail is dropped, not fatal
    assert p5.raw["email"] == "broken@"
    assert (batch.rows_read, batch.rows_rejected, batch.customers_created) == (7, 5, 2)


def test_the_same_file_again_is_refused_naming_the_earlier_import(tmp_path):
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, [person("P1"), person("P2")])
    first = run(path)

    with pytest.raises(pipeline.AlreadyImported, match=f"already as import #{first.pk}"):
        pipeline.create_import(source=factories.source("pos"), kind="people", path=path)

    assert ImportBatch.objects.count() == 1
    assert SourceRecord.objects.count() == 2


def test_rows_already_seen_change_nothing_and_changed_rows_update_their_record(tmp_path):
    first = run(write_csv(tmp_path / "a.csv", PEOPLE_HEADER, [person("P1"), person("P2")]))
    customer = SourceRecord.objects.get(external_id="P2").customer

    second = run(
        write_csv(
            tmp_path / "b.csv",
            PEOPLE_HEADER,
            [person("P1"), person("P2", city="Torino"), person("P3")],
        )
    )

    assert first.customers_created == 2
    assert (second.rows_unchanged, second.customers_created) == (1, 1)
    p2 = SourceRecord.objects.get(external_id="P2")
    assert (p2.city, p2.customer) == ("Torino", customer)
    assert Customer.objects.get(pk=customer.pk).city == "Torino"
    assert SourceRecord.objects.count() == 3
    assert Customer.objects.count() == 3


def test_strong_identifiers_link_the_same_person_and_keep_a_family_apart(tmp_path):
    rows = [
        person("P1", email="famiglia@example.it", phone="3471234567", loyalty_card="C-100"),
        person("P2", first_name="MARIA", email="famiglia@example.it"),  # same person
        person("P3", first_name="Giovanni", email="famiglia@example.it"),  # the husband
        person("P4", first_name="", email="x@example.it", loyalty_card="c100"),  # card
        person("P5", email="other@example.it", phone="+39 347 123 4567"),  # mobile
    ]
    batch = run(write_csv(tmp_path / "people.csv", PEOPLE_HEADER, rows))

    customer_of = dict(SourceRecord.objects.values_list("external_id", "customer"))
    assert customer_of["P1"] == customer_of["P2"] == customer_of["P4"] == customer_of["P5"]
    assert customer_of["P3"] != customer_of["P1"]
    assert (batch.customers_created, batch.records_linked) == (2, 3)
    linked = SourceRecord.objects.get(external_id="P2")
    assert linked.match_rule == SourceRecord.MatchRule.STRONG
    assert linked.match_evidence["identifiers"] == [
        {"kind": "email", "value": "famiglia@example.it"}
    ]


def test_a_value_shared_by_many_people_never_links(tmp_path):
    names = ["Anna", "Bruno", "Carla", "Dario", "Elena"]
    rows = [
        person(f"P{n}", first_name=name, email="noemail@negozio.it", birth_date=f"0{n}/01/1980")
        for n, name in enumerate(names, start=1)
    ] + [
        # Anna's namesake born the same day: only the hub value would tie her to P1
        person(
            "P9",
            first_name="Anna",
            last_name="Bianchi",
            email="noemail@negozio.it",
            birth_date="01/01/1980",
        )
    ]

    run(write_csv(tmp_path / "people.csv", PEOPLE_HEADER, rows))

    assert Customer.objects.count() == 6
    assert not Customer.objects.filter(identities__value="noemail@negozio.it").exists()


def test_yes_and_no_consents_enter_the_ledger_once(tmp_path):
    rows = [
        person("P1", consent_email="sì", consent_sms="no", consent_profiling=""),
        person("P2", consent_email="forse"),
    ]
    run(write_csv(tmp_path / "a.csv", PEOPLE_HEADER, rows))
    rows[0]["city"] = "Milano"  # the row changes, its consents do not
    rows[1]["consent_email"] = "0"
    run(write_csv(tmp_path / "b.csv", PEOPLE_HEADER, rows))

    ledger = {
        (c.source_record.external_id, c.purpose, c.channel, c.is_granted)
        for c in Consent.objects.select_related("source_record")
    }
    assert ledger == {
        ("P1", "marketing", "email", True),
        ("P1", "marketing", "sms", False),
        ("P2", "marketing", "email", False),
    }
    assert Consent.objects.count() == 3


def test_a_column_mapping_names_unfamiliar_columns_and_unknown_ones_stay_in_raw(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        ["Codice", "Nome", "Cognome", "Note"],
        [{"Codice": "X1", "Nome": "Anna", "Cognome": "Neri", "Note": "VIP"}],
        delimiter=";",
    )

    run(path, mapping={"Codice": "external_id", "Nome": "first_name", "Cognome": "last_name"})

    record = SourceRecord.objects.get(external_id="X1")
    assert (record.first_name, record.last_name, record.raw["Note"]) == ("Anna", "Neri", "VIP")


def test_a_file_without_a_required_column_is_refused(tmp_path):
    path = write_csv(tmp_path / "people.csv", ["id", "name"], [{"id": "1", "name": "Anna"}])

    with pytest.raises(ValidationError, match="has no column for external_id"):
        pipeline.create_import(source=factories.source("pos"), kind="people", path=path)


def test_a_dry_run_reports_counts_and_writes_nothing(tmp_path):
    rows = [person("P1"), person("P2", email="p1@example.it"), person("", first_name="X")]
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, rows)

    report = pipeline.dry_run_import(
        source=factories.source("pos"), kind="people", path=path, rows=10
    )

    assert (report.rows_read, report.customers_created, report.records_linked) == (3, 1, 1)
    assert report.rows_rejected == 1
    assert report.rejections[0][:2] == (4, "external_id")
    assert not ImportBatch.objects.exists()
    assert not SourceRecord.objects.exists()
    assert not Customer.objects.exists()


def test_rejected_rows_download_with_formulas_neutralized(tmp_path):
    from crm.imports import reports

    rows = [person("", first_name='=HYPERLINK("http://x")', last_name="@SUM(A1)")]
    batch = run(write_csv(tmp_path / "people.csv", PEOPLE_HEADER, rows))

    text = "".join(reports.rejected_rows_csv(batch=batch))

    assert text.splitlines()[0].startswith("row,column,reason,external_id,first_name")
    assert "'=HYPERLINK" in text
    assert "'@SUM(A1)" in text
    assert ",=" not in text


def test_new_customers_get_the_golden_record_and_identities_a_recompute_would_give(tmp_path):
    from crm.identity import survivorship
    from crm.models import Identity

    rows = [
        # one record each
        person("P1", phone="347 111 2233", birth_date="17/05/1985", city="milano"),
        person("P2", first_name="Luca", last_name="Bianchi", email="", country="CH"),
        # two records of one person in the same batch (the card links them)
        person("P3", first_name="Anna", loyalty_card="C-300", created_at="2025-03-01T09:30:00Z"),
        person("P4", first_name="ANNA", loyalty_card="c300", street="Via Po 3", postcode="10123"),
        # a value shared by too many people: a hub, never an identity
        *(
            person(f"H{n}", first_name=name, email="noemail@negozio.it", birth_date=f"0{n}/01/1980")
            for n, name in enumerate(["Carla", "Dario", "Elena", "Franco", "Gino"], start=1)
        ),
        # in a later batch, a second record for P1's customer: recomputed as before
        person("P9", phone="+393471112233", email="maria.rossi@example.it", created_at=""),
    ]
    run(write_csv(tmp_path / "people.csv", PEOPLE_HEADER, rows))
    golden = [*survivorship.GOLDEN_FIELDS, "provenance", "member_since", "last_channel"]
    fields = [*golden, "profile_completeness", "created_at"]

    def state():
        customers = {c["pk"]: c for c in Customer.objects.values("pk", *fields)}
        identities = set(
            Identity.objects.values_list(
                "customer", "kind", "value", "source_record", "is_verified"
            )
        )
        return customers, identities

    written = state()
    survivorship.recompute_golden_records(customers=list(Customer.objects.all()))

    assert state() == written
    customers, identities = written
    assert len(customers) == 8
    p4 = SourceRecord.objects.get(external_id="P4")
    assert customers[p4.customer_id]["street"] == "Via Po 3"
    assert customers[p4.customer_id]["provenance"]["first_name"]["source_record"] in {
        p4.pk,
        SourceRecord.objects.get(external_id="P3").pk,
    }
    assert not any(value == "noemail@negozio.it" for _, _, value, _, _ in identities)


def test_imported_names_are_found_with_a_typo_right_after_the_import(tmp_path, client, staff):
    path = write_csv(
        tmp_path / "people.csv", PEOPLE_HEADER, [person("P1", last_name="Quagliariello")]
    )
    run(path)

    assert NameVariant.objects.filter(variant="quaglariello").exists()
    client.force_login(staff)
    page = client.get(reverse("crm:customer-list"), {"q": "quaglariello"}, HTTP_HX_REQUEST="true")
    assert "Quagliariello" in page.content.decode()


def test_imported_records_keep_their_phone_kind_and_a_changed_number_changes_it(tmp_path):
    run(
        write_csv(
            tmp_path / "a.csv",
            PEOPLE_HEADER,
            [person("P1", phone="347 123 4567"), person("P2", phone="02 1234 5678"), person("P3")],
        )
    )
    assert SourceRecord.objects.get(external_id="P1").phone_kind == "mobile"

    run(write_csv(tmp_path / "b.csv", PEOPLE_HEADER, [person("P1", phone="06 1234 5678")]))

    kinds = dict(SourceRecord.objects.values_list("external_id", "phone_kind"))
    assert kinds == {"P1": "landline", "P2": "landline", "P3": ""}
