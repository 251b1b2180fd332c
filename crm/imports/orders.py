"""Load order rows: one row per line, grouped into orders by external id.

An order is kept whole or not at all: when one of its lines is rejected, its other lines are
rejected too (with a reason pointing at the bad line), because an order missing a line has the
wrong total. Orders are upserted by (source, external id): an order already stored with the same
lines is unchanged; one that changed gets its header updated and its lines replaced.
"""

from collections import defaultdict
from decimal import Decimal
from functools import lru_cache

from django.utils import timezone

from crm.imports import bulk
from crm.imports.outcome import Outcome
from crm.imports.validate import OrderLineRow
from crm.models import ImportBatch, Order, OrderLine, SourceRecord
from stores.models import Associate, Product, Store

CENT = Decimal("0.01")


def load_orders(
    *,
    batch: ImportBatch,
    rows: list[OrderLineRow],
    rejected_orders: dict[str, int],
    outcome: Outcome,
) -> None:
    """Upsert the orders of these rows. ``rejected_orders`` maps the external id of an order
    with a line that failed validation to that line's row number. Runs in the caller's
    transaction; idempotent.

    Orders and lines travel as tuples, never as model instances: new orders get their ids
    first, then orders and lines are inserted set-based (COPY on PostgreSQL); the orders
    already stored are read with their lines in two queries and compared as tuples."""
    source = batch.source
    groups: dict[str, list[OrderLineRow]] = defaultdict(list)
    for row in rows:
        groups[row.external_id].append(row)
    references = _References.load(source, rows)

    good: dict[str, list[OrderLineRow]] = {}
    for external_id, lines in groups.items():
        problems = [references.problems(line) for line in lines]
        bad_row = rejected_orders.get(external_id)
        if bad_row is None and not any(problems):
            good[external_id] = lines
            continue
        first_bad = bad_row or next(
            line.number for line, found in zip(lines, problems, strict=True) if found
        )
        other_line = (
            "external_id",
            f"Another line of order “{external_id}” (row {first_bad}) was rejected; the "
            "order is left out until the file is fixed.",
        )
        for line, found in zip(lines, problems, strict=True):
            for column, reason in found or [other_line]:
                outcome.reject(line.number, column, reason, line.raw)

    existing = _stored_orders(source, list(good))
    stored_lines = _stored_lines([order[0] for order in existing.values()])

    new_orders: list[tuple[tuple, list[tuple]]] = []  # (header, lines without the order id)
    changed: list[tuple] = []  # (pk, *UPDATED_ORDER_FIELDS)
    replaced: list[int] = []
    new_lines: list[tuple] = []
    now = timezone.now()
    for external_id, lines in good.items():
        header = lines[0]
        record_pk, customer_pk = references.records[header.customer_external_id]
        wanted = (
            customer_pk,
            record_pk,
            references.store_for(header),
            references.associates.get(header.associate_code),
            header.ordered_at,
            header.status,
            header.currency,
        )
        stored = existing.get(external_id)
        if stored is not None and stored[1] == batch.pk:
            # More lines of an order this file began earlier (its lines were not together).
            pk, _, total, *stored_header = stored
            start = len(stored_lines[pk])
            built = _lines(lines, references, start=start)
            stored_lines[pk].extend(built)
            new_lines.extend((pk, *line) for line in built)
            total += sum((line[LINE_TOTAL] for line in built), Decimal(0))
            existing[external_id] = (pk, batch.pk, total, *stored_header)
            changed.append((pk, *stored_header, total, batch.pk))
            outcome.touched_customers.add(customer_pk)
            continue
        built = _lines(lines, references)
        total = sum((line[LINE_TOTAL] for line in built), Decimal(0))
        if stored is not None:
            pk, _, _, *stored_header = stored
            if tuple(stored_header) == wanted and stored_lines[pk] == built:
                outcome.rows_unchanged += len(lines)
                continue
            existing[external_id] = (pk, batch.pk, total, *wanted)
            stored_lines[pk] = built
            replaced.append(pk)
            changed.append((pk, *wanted, total, batch.pk))
            new_lines.extend((pk, *line) for line in built)
        else:
            new_orders.append(((source.pk, external_id, *wanted, total, batch.pk, now), built))
        outcome.touched_customers.add(customer_pk)

    pks = bulk.reserve_ids(Order, len(new_orders))
    bulk.insert_rows(
        Order,
        ORDER_FIELDS,
        ((pk, *header) for pk, (header, _) in zip(pks, new_orders, strict=True)),
    )
    for pk, (_, built) in zip(pks, new_orders, strict=True):
        new_lines.extend((pk, *line) for line in built)
    if replaced:
        OrderLine.objects.filter(order__in=replaced).delete()
    # An order appended to twice in one batch is updated once, with its last total.
    bulk.update_rows(Order, UPDATED_ORDER_FIELDS, {row[0]: row for row in changed}.values())
    bulk.insert_rows(OrderLine, LINE_FIELDS, new_lines)


HEADER_FIELDS = (
    *("customer_id", "source_record_id", "store_id", "associate_id", "ordered_at", "status"),
    "currency",
)
ORDER_FIELDS = (
    *("id", "source_id", "external_id", *HEADER_FIELDS, "total", "import_batch_id"),
    "created_at",
)
UPDATED_ORDER_FIELDS = (*HEADER_FIELDS, "total", "import_batch_id")
LINE_FIELDS = (
    *("order_id", "line_number", "product_id", "sku", "product_name", "quantity"),
    *("unit_price", "line_total", "is_returned"),
)
LINE_TOTAL = LINE_FIELDS.index("line_total") - 1  # in a line without its order id


def _stored_orders(source, external_ids: list[str]) -> dict[str, tuple]:
    """external id → (pk, import batch, total, *HEADER_FIELDS) of the source's stored orders
    with these ids."""
    found = {}
    for condition in bulk.matching("external_id", external_ids):
        for external_id, *values in Order.objects.filter(condition, source=source).values_list(
            "external_id", "pk", "import_batch_id", "total", *HEADER_FIELDS
        ):
            found[external_id] = tuple(values)
    return found


def _stored_lines(order_pks: list[int]) -> dict[int, list[tuple]]:
    """order → its lines (LINE_FIELDS without the order), by line number."""
    lines: dict[int, list[tuple]] = defaultdict(list)
    for condition in bulk.matching("order_id", order_pks):
        for order_pk, *values in (
            OrderLine.objects.filter(condition)
            .order_by("order", "line_number")
            .values_list(*LINE_FIELDS)
        ):
            lines[order_pk].append(tuple(values))
    return lines


def _lines(rows: list[OrderLineRow], references, start: int = 0) -> list[tuple]:
    """The lines of these rows, as LINE_FIELDS without the order id."""
    is_returned = rows[0].status == Order.Status.RETURNED
    return [
        (
            start + position,
            references.products[row.sku],
            row.sku,
            row.product_name or references.product_names.get(row.sku, ""),
            row.quantity,
            row.unit_price,
            _line_total(row.quantity, row.unit_price),
            is_returned,
        )
        for position, row in enumerate(rows, start=1)
    ]


@lru_cache(maxsize=16_384)  # a catalogue has few prices, and most lines are one piece
def _line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return (quantity * unit_price).quantize(CENT)


class _References:
    """The customers, stores, associates and products the rows name, looked up in bulk."""

    def __init__(self, source) -> None:
        self.source = source
        self.records: dict[str, tuple[int, int | None]] = {}
        self.stores: dict[str, int] = {}
        self.associates: dict[str, int] = {}
        self.products: dict[str, int] = {}
        self.product_names: dict[str, str] = {}

    @classmethod
    def load(cls, source, rows: list[OrderLineRow]) -> "_References":
        references = cls(source)
        references.records = customer_records(source, {row.customer_external_id for row in rows})
        references.stores = store_codes()
        references.associates = associate_codes({row.associate_code for row in rows})
        for condition in bulk.matching("sku", {row.sku for row in rows}):
            for pk, sku, name in Product.objects.filter(condition).values_list("pk", "sku", "name"):
                references.products[sku] = pk
                references.product_names[sku] = name
        return references

    def store_for(self, row: OrderLineRow) -> int | None:
        if row.store_code:
            return self.stores.get(row.store_code)
        return self.source.store_id

    def problems(self, row: OrderLineRow) -> list[tuple[str, str]]:
        problems = []
        record = self.records.get(row.customer_external_id)
        if record is None or record[1] is None:
            problems.append(
                (
                    "customer_external_id",
                    f"Customer “{row.customer_external_id}” is not among {self.source.name}'s "
                    "people: import the people file first.",
                )
            )
        if self.store_for(row) is None:
            problems.append(
                (
                    "store_code",
                    f"Store “{row.store_code}” is not a store we know."
                    if row.store_code
                    else f"The store code is empty and {self.source.name} has no default store.",
                )
            )
        if row.sku not in self.products:
            problems.append(
                (
                    "sku",
                    f"Product “{row.sku}” is not in the catalogue: import the products first.",
                )
            )
        return problems


def customer_records(source, external_ids: set[str]) -> dict[str, tuple[int, int | None]]:
    """external id → (source record, customer) for the source's records with these ids."""
    found = {}
    for condition in bulk.matching("external_id", external_ids):
        for external_id, pk, customer_pk in SourceRecord.objects.filter(
            condition, source=source
        ).values_list("external_id", "pk", "customer_id"):
            found[external_id] = (pk, customer_pk)
    return found


def store_codes() -> dict[str, int]:
    return {code.lower(): pk for code, pk in Store.objects.values_list("code", "pk")}


def associate_codes(codes: set[str]) -> dict[str, int]:
    """Codes are compared without case: tills write them as they like."""
    codes = {code for code in codes if code}
    if not codes:
        return {}
    return {
        code.lower(): pk
        for code, pk in Associate.objects.values_list("code", "pk")
        if code.lower() in codes
    }
