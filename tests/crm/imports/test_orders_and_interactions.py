import gc
from decimal import Decimal

import pytest

from crm.imports import pipeline
from crm.models import Interaction, Order, OrderLine, RejectedRow
from tests import factories
from tests.crm.imports.conftest import (
    INTERACTIONS_HEADER,
    ORDERS_HEADER,
    PEOPLE_HEADER,
    person,
    run,
    write_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tmp_path, store):
    run(write_csv(tmp_path / "people.csv", PEOPLE_HEADER, [person("P1"), person("P2")]))


def line(order: str, sku: str, **values) -> dict:
    row = {
        "external_id": order,
        "customer_external_id": "P1",
        "store_code": "MI01",
        "ordered_at": "25/02/2025 17:18:18",
        "sku": sku,
        "quantity": "2",
        "unit_price": "19,90",
        "status": "completed",
    }
    row.update(values)
    return row


def test_lines_are_grouped_into_one_order_with_the_right_total(tmp_path, people):
    for sku in ("A1", "B2", "C3"):
        factories.ProductFactory(sku=sku)
    rows = [
        line("O1", "A1"),
        line("O1", "B2", quantity="1", unit_price="5.00"),
        line("O1", "C3", quantity="3", unit_price="1.10"),
        line("O1", "A1", quantity="1"),
        line("O1", "B2", quantity="1", unit_price="5.00"),  # batches are 4 rows: stretched
        line("O2", "A1", customer_external_id="P2", status="reso"),
    ]

    batch = run(write_csv(tmp_path / "orders.csv", ORDERS_HEADER, rows), kind="orders")

    order = Order.objects.get(external_id="O1")
    assert order.lines.count() == 5
    assert order.total == Decimal("39.80") + Decimal("5.00") + Decimal("3.30") + Decimal(
        "19.90"
    ) + Decimal("5.00")
    assert order.store.code == "mi01"
    returned = Order.objects.get(external_id="O2")
    assert returned.status == Order.Status.RETURNED
    assert returned.lines.get().is_returned
    assert batch.rows_rejected == 0
    assert order.customer.last_purchase_at == order.ordered_at


def test_an_order_with_a_bad_line_is_left_out_whole_and_reimport_changes_nothing(tmp_path, people):
    factories.ProductFactory(sku="A1")
    rows = [
        line("O1", "A1"),
        line("O1", "ZZ-404"),
        line("O2", "A1", quantity="-1"),
        line("O3", "A1", customer_external_id="NOBODY"),
        line("O4", "A1", store_code="nowhere"),
        line("O5", "A1", ordered_at="2024-02-30 10:00:00"),
        line("O6", "A1"),
    ]
    path = write_csv(tmp_path / "orders.csv", ORDERS_HEADER, rows)

    batch = run(path, kind="orders")
    again = run(write_csv(tmp_path / "again.csv", ORDERS_HEADER, rows[-1:]), kind="orders")

    assert list(Order.objects.values_list("external_id", flat=True)) == ["O6"]
    rejected = dict(RejectedRow.objects.filter(batch=batch).values_list("row_number", "column"))
    assert rejected == {
        2: "external_id",
        3: "sku",
        4: "quantity",
        5: "customer_external_id",
        6: "store_code",
        7: "ordered_at",
    }
    assert "import the people file first" in RejectedRow.objects.get(row_number=5).reason
    assert (again.rows_read, again.rows_unchanged) == (1, 1)
    assert OrderLine.objects.count() == 1


def test_interactions_map_their_kind_and_take_the_source_channel(tmp_path, people):
    rows = [
        {"external_id": "I1", "customer_external_id": "P1", "kind": "Store visit",
         "occurred_at": "2025-03-01T10:00:00+01:00", "store_code": "mi01",
         "channel_detail": "door counter", "value": "12.50"},
        {"external_id": "I2", "customer_external_id": "P2", "kind": "teleport",
         "occurred_at": "2025-03-01"},
        {"external_id": "I3", "customer_external_id": "P2", "kind": "call",
         "occurred_at": "2025-03-02"},
    ]  # fmt: skip

    batch = run(write_csv(tmp_path / "i.csv", INTERACTIONS_HEADER, rows), kind="interactions")
    again = run(write_csv(tmp_path / "j.csv", INTERACTIONS_HEADER, rows[::-1]), kind="interactions")

    visit = Interaction.objects.get(external_id="I1")
    assert (visit.kind, visit.channel, visit.value) == ("store_visit", "pos", Decimal("12.50"))
    assert visit.payload == {"channel_detail": "door counter"}
    assert Interaction.objects.count() == 2
    reason = RejectedRow.objects.get(batch=batch).reason
    assert reason.startswith("Kind “teleport” is not one we know")
    assert (again.rows_unchanged, again.rows_rejected) == (2, 1)


def test_order_files_load_in_larger_batches_than_people_files(tmp_path, settings, store):
    settings.BOTTEGA_IMPORT_BATCH_ROWS = None
    source = factories.source("pos")

    orders = pipeline.create_import(
        source=source,
        kind="orders",
        path=write_csv(tmp_path / "orders.csv", ORDERS_HEADER, [line("O1", "A1")]),
    )
    people = pipeline.create_import(
        source=source,
        kind="people",
        path=write_csv(tmp_path / "people.csv", PEOPLE_HEADER, [person("P1")]),
    )

    assert orders.column_mapping["batch_rows"] == 20_000
    assert people.column_mapping["batch_rows"] == 5_000


def test_the_cycle_collector_is_on_again_after_an_import(tmp_path, people):
    factories.ProductFactory(sku="A1")
    rows = [line(f"O{number}", "A1") for number in range(6)]  # two batches of four rows

    batch = run(write_csv(tmp_path / "orders.csv", ORDERS_HEADER, rows), kind="orders")

    assert batch.rows_read == 6
    assert gc.isenabled()
