"""The staging table of an import: the file's rows, read once, in the database.

Staging parses the file one time (any format, any encoding) and writes each record as it was
read (its index, row number, columns as JSON, and why it could not be read, if so) into a table
of its own, ``bottega_import_<pk>``: with PostgreSQL's ``COPY`` (psycopg 3 ``cursor.copy()``),
with plain bulk inserts on SQLite. The batches then read their rows back by index from the
checkpoint on, so a resumed import never re-reads the file from its start.

The table, its rows and the import's ``rows_total`` are committed together: a worker killed
while staging leaves no table, and the next run stages again. The table is dropped when the
import is done. It is not a Django model on purpose: it lives as long as one import, and its
name says which. Its name is built from the import's integer id only, never from input.
"""

import json
from collections.abc import Iterator
from pathlib import Path

from django.db import connection, transaction

from crm.imports import readers

PAGE_ROWS = 5000
_INSERT_ROWS = 1000


def table_name(batch_pk: int) -> str:
    return f"bottega_import_{int(batch_pk)}"


def exists(batch_pk: int) -> bool:
    with connection.cursor() as cursor:
        return table_name(batch_pk) in connection.introspection.table_names(cursor)


def stage_rows(*, batch_pk: int, path: Path, options: readers.ReadOptions) -> int:
    """Create the import's staging table and fill it with the file's records; returns how many
    records the file holds (blank ones included: the checkpoint counts them). Runs in the
    caller's transaction, which should also record the count."""
    table = connection.ops.quote_name(table_name(batch_pk))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TABLE {table} (row_index integer PRIMARY KEY, row_number integer NOT NULL, "
            "cells text NOT NULL, error text NOT NULL)"
        )
    total = 0
    rows = readers.read_rows(path, options)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            copy_sql = f"COPY {table} (row_index, row_number, cells, error) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row((row.index, row.number, _dumps(row.values), row.error))
                    total = row.index + 1
    else:
        insert = (
            f"INSERT INTO {table} (row_index, row_number, cells, error) VALUES (%s, %s, %s, %s)"  # noqa: S608
        )
        page: list[tuple] = []
        with connection.cursor() as cursor:
            for row in rows:
                page.append((row.index, row.number, _dumps(row.values), row.error))
                total = row.index + 1
                if len(page) >= _INSERT_ROWS:
                    cursor.executemany(insert, page)
                    page = []
            if page:
                cursor.executemany(insert, page)
    return max(total, _count_records_after_last_row(path, options, total))


def _count_records_after_last_row(path: Path, options: readers.ReadOptions, total: int) -> int:
    # Trailing blank lines count as records (the checkpoint reaches the end of the file), but a
    # reader never yields them; JSON Lines counts lines, so ask the reader's own count there.
    if options.format == "jsonl":
        return readers.count_records(path, options)
    return total


# Built once: json.dumps with options builds a new encoder for every call, which cost as much
# as the encoding of a row.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def read_staged(*, batch_pk: int, start: int, page_rows: int = PAGE_ROWS) -> Iterator[readers.Row]:
    """The staged rows from index ``start`` on, in file order, a page at a time (no cursor is
    held open between pages, so the caller may commit between rows)."""
    table = connection.ops.quote_name(table_name(batch_pk))
    query = (
        f"SELECT row_index, row_number, cells, error FROM {table} "  # noqa: S608
        "WHERE row_index >= %s ORDER BY row_index LIMIT %s"
    )
    while True:
        with connection.cursor() as cursor:
            cursor.execute(query, [start, page_rows])
            page = cursor.fetchall()
        # One JSON array per page: a call per row cost more than the decoding itself.
        values = json.loads(f"[{','.join(row[2] for row in page)}]")
        for (index, number, _, error), cells in zip(page, values, strict=True):
            yield readers.Row(index, number, cells, error)
        if len(page) < page_rows:
            return
        start = page[-1][0] + 1


def drop(*, batch_pk: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table_name(batch_pk))}")
