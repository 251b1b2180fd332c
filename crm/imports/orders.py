"""Load order rows: one row per line, grouped into orders by external id.

An order is kept whole or not at all: when one of its lines is rejected, its other lines are
rejected too (with a reason pointing at the bad line), because an order missing a line has the
wrong total. Orders are upserted by (source, external id): an order already stored with the same
lines is unchanged; one that changed gets its header updated and its lines replaced.
"""

from collections import defaultdict
from decimal import Decimal

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
    transaction; idempotent."""
    source = batch.source
    groups: dict[str, list[OrderLineRow]] = defaultdict(list)
    for row in rows:
        groups[row.external_id].append(row)
    references = _References.load(source, rows)

    good: dict[str, list[OrderLineRow]] = {}
    for external_id, lines in groups.items():
        problems = {id(line): references.problems(line) for line in lines}
        bad_row = rejected_orders.get(external_id)
        if bad_row is None and not any(problems.values()):
            good[external_id] = lines
            continue
        first_bad = bad_row or next(line.number for line in lines if problems[id(line)])
        other_line = (
            "external_id",
            f"Another line of order “{external_id}” (row {first_bad}) was rejected; the "
            "order is left out until the file is fixed.",
        )
        for line in lines:
            for column, reason in problems[id(line)] or [other_line]:
                outcome.reject(line.number, column, reason, line.raw)

    existing = {
        order.external_id: order
        for order in Order.objects.filter(source=source, external_id__in=list(good))
    }
    existing_lines: dict[int, list[OrderLine]] = defaultdict(list)
    for line in OrderLine.objects.filter(order__in=[o.pk for o in existing.values()]).order_by(
        "line_number"
    ):
        existing_lines[line.order_id].append(line)

    new_orders, changed_orders, new_lines, replaced = [], [], [], []
    appended: dict[int, list[OrderLine]] = {}
    for external_id, lines in good.items():
        header = lines[0]
        record_pk, customer_pk = references.records[header.customer_external_id]
        order = existing.get(external_id)
        wanted = {
            "customer_id": customer_pk,
            "source_record_id": record_pk,
            "store_id": references.store_for(header),
            "associate_id": references.associates.get(header.associate_code),
            "ordered_at": header.ordered_at,
            "status": header.status,
            "currency": header.currency,
        }
        if order is not None and order.import_batch_id == batch.pk:
            # More lines of an order this file began earlier (its lines were not together).
            start = len(existing_lines[order.pk])
            built = _lines(order, lines, references, start=start)
            appended[order.pk] = built
            new_lines.extend(built)
            order.total += sum((line.line_total for line in built), Decimal(0))
            changed_orders.append(order)
            outcome.touched_customers.add(customer_pk)
            continue
        if order is not None:
            built = _lines(order, lines, references)
            same_header = all(getattr(order, name) == value for name, value in wanted.items())
            if same_header and _same_lines(existing_lines[order.pk], built):
                outcome.rows_unchanged += len(lines)
                continue
            for name, value in wanted.items():
                setattr(order, name, value)
            order.import_batch = batch
            order.total = sum((line.line_total for line in built), Decimal(0))
            replaced.append(order.pk)
            changed_orders.append(order)
            new_lines.extend(built)
        else:
            order = Order(source=source, external_id=external_id, import_batch=batch, **wanted)
            built = _lines(order, lines, references)
            order.total = sum((line.line_total for line in built), Decimal(0))
            new_orders.append((order, built))
        outcome.touched_customers.add(customer_pk)

    if bulk.is_postgresql():
        # Ids drawn from the sequence first, so orders and their lines are copied in at once.
        for (order, _), pk in zip(
            new_orders, bulk.reserve_ids(Order, len(new_orders)), strict=True
        ):
            order.pk = pk
        bulk.insert_rows(Order, ORDER_FIELDS, (_order_row(order) for order, _ in new_orders))
    else:
        Order.objects.bulk_create([order for order, _ in new_orders])
        if new_orders and new_orders[0][0].pk is None:
            pks = dict(
                Order.objects.filter(
                    source=source, external_id__in=[order.external_id for order, _ in new_orders]
                ).values_list("external_id", "pk")
            )
            for order, _ in new_orders:
                order.pk = pks[order.external_id]
    for order, built in new_orders:
        for line in built:
            line.order = order
        new_lines.extend(built)
    if replaced:
        OrderLine.objects.filter(order__in=replaced).delete()
    if changed_orders:
        bulk.update_rows(
            Order,
            UPDATED_ORDER_FIELDS,
            ((o.pk, *(getattr(o, name) for name in UPDATED_ORDER_FIELDS)) for o in changed_orders),
        )
    bulk.insert_rows(OrderLine, LINE_FIELDS, (_line_row(line) for line in new_lines))


ORDER_FIELDS = (
    *("id", "source_id", "external_id", "customer_id", "source_record_id", "store_id"),
    *("associate_id", "ordered_at", "status", "currency", "total", "import_batch_id"),
    "created_at",
)
UPDATED_ORDER_FIELDS = (
    *("customer_id", "source_record_id", "store_id", "associate_id", "ordered_at", "status"),
    *("currency", "total", "import_batch_id"),
)
LINE_FIELDS = (
    *("order_id", "line_number", "product_id", "sku", "product_name", "quantity"),
    *("unit_price", "line_total", "is_returned"),
)


def _order_row(order: Order) -> tuple:
    return tuple(getattr(order, name) for name in ORDER_FIELDS)


def _line_row(line: OrderLine) -> tuple:
    return (
        line.order.pk,
        line.line_number,
        line.product_id,
        line.sku,
        line.product_name,
        line.quantity,
        line.unit_price,
        line.line_total,
        line.is_returned,
    )


def _lines(order: Order, rows: list[OrderLineRow], references, start: int = 0) -> list[OrderLine]:
    is_returned = rows[0].status == Order.Status.RETURNED
    return [
        OrderLine(
            order=order,
            line_number=start + position,
            product_id=references.products[row.sku],
            sku=row.sku,
            product_name=row.product_name or references.product_names.get(row.sku, ""),
            quantity=row.quantity,
            unit_price=row.unit_price,
            line_total=(row.quantity * row.unit_price).quantize(CENT),
            is_returned=is_returned,
        )
        for position, row in enumerate(rows, start=1)
    ]


def _same_lines(stored: list[OrderLine], built: list[OrderLine]) -> bool:
    def key(line: OrderLine) -> tuple:
        return (
            line.line_number,
            line.product_id,
            line.sku,
            line.product_name,
            line.quantity,
            line.unit_price,
            line.line_total,
            line.is_returned,
        )

    return [key(line) for line in stored] == [key(line) for line in built]


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
        for pk, sku, name in Product.objects.filter(sku__in={row.sku for row in rows}).values_list(
            "pk", "sku", "name"
        ):
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
    return {
        external_id: (pk, customer_pk)
        for external_id, pk, customer_pk in SourceRecord.objects.filter(
            source=source, external_id__in=external_ids
        ).values_list("external_id", "pk", "customer_id")
    }


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
