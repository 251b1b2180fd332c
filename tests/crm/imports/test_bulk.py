import pytest
from django.db import transaction

from crm.imports import bulk
from crm.models import Customer, MatchKey, SourceRecord
from tests import factories

pytestmark = pytest.mark.django_db


def insert(*objects) -> None:
    """Insert model instances with every column (COPY fills no defaults)."""
    fields = type(objects[0])._meta.concrete_fields
    rows = [[field.pre_save(o, True) for field in fields] for o in objects]
    bulk.insert_rows(type(objects[0]), [field.attname for field in fields], rows)


def test_reserved_ids_are_new_distinct_and_never_given_again():
    taken = Customer.objects.create().pk

    with transaction.atomic():
        first = bulk.reserve_ids(Customer, 3)
        second = bulk.reserve_ids(Customer, 2)
        insert(Customer(pk=first[0], first_name="Anna"))
    after = Customer.objects.create().pk

    assert first == sorted(first) and second == sorted(second)
    assert len({taken, *first, *second}) == 6
    assert min(first) > taken and min(second) > max(first)
    assert after > max(second)  # even the ids reserved and never used are not given again
    assert Customer.objects.get(pk=first[0]).first_name == "Anna"


def test_rows_pointing_at_each_other_go_in_with_reserved_ids():
    source = factories.source("pos")

    with transaction.atomic():
        (customer_pk,) = bulk.reserve_ids(Customer, 1)
        (record_pk,) = bulk.reserve_ids(SourceRecord, 1)
        raw = {"first_name": "Anna"}
        record = SourceRecord(pk=record_pk, source=source, external_id="P1", raw=raw)
        record.customer_id = customer_pk
        insert(record)
        insert(Customer(pk=customer_pk))
        bulk.insert_rows(MatchKey, ["source_record_id", "key"], [(record_pk, -5), (record_pk, 7)])

    record = SourceRecord.objects.get(pk=record_pk)
    assert (record.customer_id, record.raw) == (customer_pk, {"first_name": "Anna"})
    assert sorted(record.match_keys.values_list("key", flat=True)) == [-5, 7]


def test_ids_reserved_in_a_transaction_rolled_back_are_given_again_on_sqlite_only():
    with pytest.raises(RuntimeError), transaction.atomic():
        reserved = bulk.reserve_ids(Customer, 2)
        raise RuntimeError

    again = bulk.reserve_ids(Customer, 1)

    # PostgreSQL's sequences never go back; SQLite's counter goes back with the rollback.
    assert (again[0] == reserved[0]) is (not bulk.is_postgresql())
