"""The rejected rows of an import, as a CSV file a manager can fix and import again."""

import csv
import io
from collections.abc import Iterator

from crm.imports import formats
from crm.models import ImportBatch
from stores.spreadsheets import escape_formula


def rejected_rows_csv(*, batch: ImportBatch) -> Iterator[str]:
    """The rejected rows as CSV text, chunk by chunk (for a streaming download): row, column,
    reason, then the row's own columns as they arrived. One line per reason, so a row rejected
    for two reasons appears twice. Every cell that a spreadsheet would run as a formula (it
    starts with = + - @, a tab or a carriage return) gets a leading apostrophe."""
    rejected = batch.rejected_rows.order_by("row_number", "pk")
    # The file's own column order when known (PostgreSQL's jsonb does not keep key order).
    mapped = (batch.column_mapping or {}).get("columns", {})
    columns: dict[str, None] = dict.fromkeys(
        sorted(mapped, key=lambda c: formats.COLUMNS[batch.kind].index(mapped[c]))
    )
    for raw in rejected.values_list("raw", flat=True).iterator(chunk_size=2000):
        columns.update(dict.fromkeys(raw))
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(["row", "column", "reason", *(escape_formula(c) for c in columns)])
    yield flush()
    for count, row in enumerate(rejected.iterator(chunk_size=2000), start=1):
        cells = [row.row_number, row.column, row.reason, *(row.raw.get(c, "") for c in columns)]
        writer.writerow([escape_formula(cell) for cell in cells])
        if count % 500 == 0:
            yield flush()
    yield flush()
