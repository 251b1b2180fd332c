"""The canonical import formats: the columns of each kind of channel file, and how a file's own
column names are mapped onto them.

A file's columns are matched to Bottega's fields in this order: the mapping given for this one
import (``--mapping`` or the upload form), then the source's saved mapping for the kind
(``Source.column_mapping[kind]``), then the canonical name itself, compared without case, spaces
or dashes ("External ID" is ``external_id``). Columns that map to nothing are kept in the row's
raw payload, never dropped.
"""

import re

PEOPLE = "people"
ORDERS = "orders"
INTERACTIONS = "interactions"

COLUMNS: dict[str, tuple[str, ...]] = {
    PEOPLE: (
        *("external_id", "first_name", "last_name", "email", "phone", "birth_date", "street"),
        *("postcode", "city", "country", "loyalty_card", "created_at", "consent_email"),
        *("consent_sms", "consent_profiling"),
    ),
    ORDERS: (
        *("external_id", "customer_external_id", "store_code", "associate_code", "ordered_at"),
        *("sku", "product_name", "category", "brand", "quantity", "unit_price", "currency"),
        "status",
    ),
    INTERACTIONS: (
        *("external_id", "customer_external_id", "kind", "occurred_at", "store_code"),
        *("associate_code", "channel_detail", "text", "value"),
    ),
}

# Without these columns a file of the kind cannot be read at all: the import fails at once,
# naming the missing column, instead of rejecting every row.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    PEOPLE: ("external_id",),
    ORDERS: ("external_id", "customer_external_id", "ordered_at", "sku", "unit_price"),
    INTERACTIONS: ("external_id", "customer_external_id", "kind", "occurred_at"),
}

# Rows of one order come one per line, and the lines of an order belong together: a batch of
# rows is never cut between two rows with the same value of this column.
GROUP_COLUMN: dict[str, str | None] = {PEOPLE: None, ORDERS: "external_id", INTERACTIONS: None}

_SEPARATORS = re.compile(r"[\s\-.]+")


def column_key(name: str) -> str:
    """How a header is compared with a field name: "External ID" → "external_id"."""
    return _SEPARATORS.sub("_", str(name).strip().lstrip("\ufeff").lower()).strip("_")


def effective_mapping(
    *, kind: str, headers: list[str], saved: dict | None = None, given: dict | None = None
) -> dict[str, str]:
    """File column → Bottega field for the columns of this file that map to a field.

    ``given`` (this import's mapping) wins over ``saved`` (the source's mapping for the kind),
    which wins over the canonical names. A mapping may name a column by its header exactly or
    in its compared form; a field is filled from one column only (the first that maps to it).
    """
    fields = set(COLUMNS[kind])
    explicit: dict[str, str] = {}
    for mapping in (saved or {}, given or {}):
        for column, field in mapping.items():
            explicit[column_key(column)] = field
    result: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = column_key(header)
        field = explicit.get(key) or (key if key in fields else None)
        if field in fields and field not in taken:
            result[header] = field
            taken.add(field)
    return result


def missing_required(*, kind: str, mapping: dict[str, str]) -> list[str]:
    present = set(mapping.values())
    return [column for column in REQUIRED_COLUMNS[kind] if column not in present]


def split_row(row: dict[str, str], mapping: dict[str, str]) -> tuple[dict[str, str], dict]:
    """(the canonical fields of a row, its other columns): unknown columns are kept apart."""
    fields = dict.fromkeys(mapping.values(), "")
    extra = {}
    for column, value in row.items():
        field = mapping.get(column)
        if field is None:
            if value not in ("", None):
                extra[column] = value
        else:
            fields[field] = value
    return fields, extra
