import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from crm.imports import validate

ROME = ZoneInfo("Europe/Rome")


def order_line(**values) -> dict:
    row = {
        "external_id": "O1",
        "customer_external_id": "P1",
        "store_code": " MI01 ",
        "ordered_at": "25/02/2025 17:18:18",
        "sku": "A1",
        "quantity": "2",
        "unit_price": "1.234,5",
        "currency": "eur",
        "status": "Reso",
    }
    row.update(values)
    return row


def test_a_good_order_line_comes_out_cleaned_and_rounded():
    line = validate.validate_order_line(7, order_line(), {}, zone=ROME)

    assert line.number == 7
    assert line.store_code == "mi01"
    assert line.ordered_at == dt.datetime(2025, 2, 25, 17, 18, 18, tzinfo=ROME)
    assert line.quantity == Decimal("2.000")
    assert str(line.unit_price) == "1234.50"
    assert (line.currency, line.status) == ("EUR", "returned")


def test_every_bad_cell_of_an_order_line_gets_its_own_reason_in_column_order():
    row = order_line(
        external_id=" ",
        ordered_at="31/02/2025",
        quantity="-1",
        unit_price="free",
        status="lost",
        currency="EURO",
    )

    rejections = validate.validate_order_line(7, row, {}, zone=ROME)

    assert [rejection.column for rejection in rejections] == [
        "external_id",
        "ordered_at",
        "quantity",
        "unit_price",
        "status",
        "currency",
    ]
    assert rejections[1].reason.startswith("“31/02/2025” is not a date and time we can read")
    assert rejections[2].reason.startswith("Quantity “-1” is not a positive number")


def test_an_empty_quantity_is_one_piece_and_an_empty_date_is_named():
    line = validate.validate_order_line(7, order_line(quantity=""), {}, zone=ROME)
    rejections = validate.validate_order_line(7, order_line(ordered_at=""), {}, zone=ROME)

    assert line.quantity == Decimal("1.000")
    assert [(r.column, r.reason) for r in rejections] == [
        ("ordered_at", "The order date is empty.")
    ]


def test_timestamps_are_read_day_first_or_iso():
    assert validate.parse_timestamp("25.02.2025 17:18", ROME) == dt.datetime(
        2025, 2, 25, 17, 18, tzinfo=ROME
    )
    assert validate.parse_timestamp("2025-02-25T17:18:00Z", ROME) == dt.datetime(
        2025, 2, 25, 17, 18, tzinfo=dt.UTC
    )
    assert validate.parse_timestamp("2025-02-30", ROME) is None
    assert validate.parse_timestamp("25/13/2025", ROME) is None
