import csv
import io

import pytest
from django.core.management import call_command

from crm.identity import merge
from crm.management.commands import export_identity_map
from crm.models import Customer
from tests import factories

pytestmark = pytest.mark.django_db


def read_map(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_it_writes_one_row_per_source_record_with_the_active_customer_after_a_merge():
    survivor = factories.SourceRecordFactory(external_id="P1").customer
    absorbed = factories.SourceRecordFactory(external_id="W1", source=factories.source("web"))
    factories.SourceRecordFactory(external_id="P2", customer=absorbed.customer)
    alone = factories.SourceRecordFactory(external_id="A1", source=factories.source("app"))
    merge.merge_customers(survivor=survivor, other=absorbed.customer)
    out = io.StringIO()

    call_command("export_identity_map", stdout=out)

    rows = read_map(out.getvalue())
    assert list(rows[0]) == ["source", "external_id", "customer_id"]
    assert sorted((r["source"], r["external_id"], r["customer_id"]) for r in rows) == [
        ("app", "A1", str(alone.customer_id)),
        ("pos", "P1", str(survivor.pk)),
        ("pos", "P2", str(survivor.pk)),
        ("web", "W1", str(survivor.pk)),
    ]
    assert Customer.objects.get(pk=absorbed.customer_id).status == Customer.Status.MERGED


def test_a_record_left_on_a_merged_customer_is_reported_with_the_customer_it_went_into():
    first, second, third = (factories.CustomerFactory() for _ in range(3))
    record = factories.SourceRecordFactory(customer=first)
    # first → second → third, as two merges long ago would have left a stray record
    Customer.objects.filter(pk=first.pk).update(status="merged", merged_into=second)
    Customer.objects.filter(pk=second.pk).update(status="merged", merged_into=third)
    out = io.StringIO()

    export_identity_map.write_identity_map(out)

    assert read_map(out.getvalue()) == [
        {"source": "pos", "external_id": record.external_id, "customer_id": str(third.pk)}
    ]


def test_it_streams_the_records_in_one_query_and_writes_a_file(tmp_path, django_assert_num_queries):
    for _ in range(30):
        factories.SourceRecordFactory()
    path = tmp_path / "map.csv"

    with django_assert_num_queries(2):  # the merged customers, then the records, streamed
        call_command("export_identity_map", output=path, stderr=io.StringIO())

    assert len(read_map(path.read_text(encoding="utf-8"))) == 30
