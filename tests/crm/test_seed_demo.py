"""seed_demo builds a believable, reproducible chain and writes the channel files to import."""

import csv
import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F, Sum

from crm import models as crm
from crm.demo.channel_files import INTERACTION_COLUMNS, ORDER_COLUMNS
from crm.demo.people import PEOPLE_COLUMNS, SOURCES
from stores import models as stores
from stores import roles

TODAY = "2025-06-01"


def seed(*options, people=150, seed=7, output_dir=None) -> str:
    args = ["--people", str(people), "--seed", str(seed), "--today", TODAY, *options]
    if output_dir is not None:
        args += ["--output-dir", str(output_dir)]
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def database_digest() -> str:
    """Everything the demo wrote, ids included, as one hash."""
    tables = [
        crm.Customer.objects.values_list(
            "pk", "first_name", "last_name", "email", "phone", "birth_date", "street",
            "postcode", "city", "home_store__code", "member_since", "company_name",
            "frequency", "monetary", "last_purchase_at", "profile_completeness", "created_at",
        ),
        crm.SourceRecord.objects.values_list(
            "pk", "source__code", "external_id", "customer", "raw", "email", "phone",
            "birth_date", "match_rule", "created_at",
        ),
        crm.Identity.objects.values_list("pk", "customer", "kind", "value", "source_record"),
        crm.Order.objects.values_list(
            "pk", "source__code", "external_id", "customer", "source_record", "store__code",
            "associate__code", "ordered_at", "status", "total",
        ),
        crm.OrderLine.objects.values_list("order", "line_number", "sku", "quantity", "line_total"),
        crm.Interaction.objects.values_list("customer", "kind", "external_id", "occurred_at"),
        crm.Preference.objects.values_list("customer", "kind", "value", "is_dislike"),
        crm.Consent.objects.values_list(
            "customer", "purpose", "channel", "is_granted", "recorded_at"
        ),
        crm.Note.objects.values_list("customer", "author__username", "body", "is_pinned"),
        crm.Case.objects.values_list("customer", "subject", "status", "order", "opened_at"),
    ]  # fmt: skip
    text = "\n".join(repr(list(table.order_by("pk"))) for table in tables)
    return hashlib.sha256(text.encode()).hexdigest()


def files_digest(directory) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
    }


def read_csv(path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_database_and_files_and_another_seed_does_not(tmp_path):
    # --reset restarts the id sequences, which on PostgreSQL earlier tests have moved on.
    seed("--reset", output_dir=tmp_path / "first")
    first = database_digest()

    seed("--reset", output_dir=tmp_path / "second")
    second = database_digest()
    seed("--reset", seed=8, output_dir=tmp_path / "other")

    assert second == first
    assert files_digest(tmp_path / "second") == files_digest(tmp_path / "first")
    assert database_digest() != first
    assert files_digest(tmp_path / "other") != files_digest(tmp_path / "first")


@pytest.mark.django_db
def test_files_only_writes_the_same_files_without_touching_the_database(tmp_path):
    seed("--files-only", output_dir=tmp_path / "files-only")

    assert not crm.Customer.objects.exists()
    assert not stores.Store.objects.exists()
    seed(output_dir=tmp_path / "with-database")
    assert files_digest(tmp_path / "files-only") == files_digest(tmp_path / "with-database")


@pytest.mark.django_db
def test_people_records_and_orders_come_in_believable_ratios_and_agree(tmp_path):
    seed("--no-files")

    people = crm.Customer.objects.count()
    records = crm.SourceRecord.objects.count()
    orders = crm.Order.objects.count()
    assert people == 150
    assert 1.3 <= records / people <= 2
    assert 5 <= orders / people <= 15
    assert not crm.SourceRecord.objects.filter(customer=None).exists()
    assert crm.SourceRecord.objects.filter(match_rule="new").count() == people
    assert not crm.Order.objects.exclude(customer=F("source_record__customer")).exists()
    # Summed in Python: SQLite adds decimals as floats.
    line_sums = defaultdict(Decimal)
    for order_id, line_total in crm.OrderLine.objects.values_list("order", "line_total"):
        line_sums[order_id] += line_total
    assert dict(crm.Order.objects.values_list("pk", "total")) == line_sums
    assert crm.Order.objects.aggregate(total=Sum("total"))["total"] > Decimal(0)
    assert stores.Store.objects.filter(kind="physical").count() == 11
    assert 450 <= stores.Product.objects.count() <= 550


@pytest.mark.django_db
def test_files_have_the_import_columns_and_truth_covers_every_good_people_row(tmp_path):
    seed(output_dir=tmp_path)

    people_ids = set()
    for source in SOURCES:
        columns, rows = read_csv(tmp_path / f"{source}_people.csv")
        assert columns == PEOPLE_COLUMNS
        people_ids |= {f"{source}:{row['external_id']}" for row in rows if is_good(row)}
        assert read_csv(tmp_path / f"{source}_interactions.csv")[0] == INTERACTION_COLUMNS
    for source in ("pos", "web", "app", "contact_center"):
        assert read_csv(tmp_path / f"{source}_orders.csv")[0] == ORDER_COLUMNS
    columns, truth = read_csv(tmp_path / "truth.csv")
    assert columns == ["record_id", "cluster_id"]
    assert {row["record_id"] for row in truth} == people_ids
    assert len(truth) == crm.SourceRecord.objects.count()


def is_good(row: dict[str, str]) -> bool:
    """A row an import would accept: it has an id and a birth date it can read."""
    if not row["external_id"]:
        return False
    if not row["birth_date"]:
        return True
    for pattern in ("%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"):
        try:
            dt.datetime.strptime(row["birth_date"], pattern)
            return True
        except ValueError:
            continue
    return False


@pytest.mark.django_db
def test_running_again_without_reset_changes_nothing(tmp_path):
    seed("--no-files")
    before = database_digest()

    output = seed("--no-files", seed=99)

    assert "already there" in output
    assert database_digest() == before


@pytest.mark.django_db
def test_the_demo_logins_work_and_sit_in_their_role_groups(client):
    output = seed("--no-files", people=20)

    expected = {
        "associate": roles.STORE_ASSOCIATE,
        "agent": roles.CONTACT_CENTER_AGENT,
        "manager": roles.CRM_MANAGER,
    }
    for username, group in expected.items():
        assert client.login(username=username, password="bottega-demo")
        user = get_user_model().objects.get(username=username)
        assert [g.name for g in user.groups.all()] == [group]
        assert username in output
    assert get_user_model().objects.get(username="manager").is_staff
    assert client.login(username="admin", password="bottega-demo")
    assert not client.login(username="mi01-02", password="bottega-demo")
    assert stores.Associate.objects.get(user__username="associate").store.code == "mi01"
