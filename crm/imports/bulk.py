"""Set-based writes for imports and golden-record recomputes: COPY on PostgreSQL, the ORM's
bulk operations elsewhere.

Django's ``bulk_create`` and ``bulk_update`` spend most of their time building SQL: a few
microseconds per value, and ``bulk_update`` writes a ``CASE WHEN`` per field and row. On
PostgreSQL the rows go through ``COPY`` instead (psycopg 3's ``cursor.copy()``), into the table
itself, or into a temporary table that one ``UPDATE … FROM`` applies. On SQLite (the embedded
default) the ORM does the work: slower, the same result.

Table and column names come from the models (never from input), which is why the SQL below
is built with f-strings; values always travel as parameters or through COPY.

Rows are tuples of Python values in the order of ``fields`` (attribute names: ``customer_id``
for a foreign key). Everything runs in the caller's transaction.
"""

from collections.abc import Iterable, Iterator, Sequence

from django.db import connection, models
from django.db.models import F, Lookup, Q
from psycopg.types.json import Jsonb

# Ids per IN (...) where a query takes one parameter per value: within every database's limit.
IN_CHUNK = 900


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


class _AnyOf(Lookup):
    """``column = ANY(array)``: PostgreSQL's IN for a long list, as one parameter."""

    lookup_name = "bottega_any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]


def matching(field: str, values: Iterable) -> Iterator[Q | Lookup]:
    """Filters that together select the rows whose ``field`` is one of ``values``: one on
    PostgreSQL (an array parameter: Django's ``__in`` sends, and psycopg quotes, one
    parameter per value, which costs more than the query for thousands of them), chunks of
    ``IN (...)`` elsewhere. Loop over them and run the query once per filter."""
    values = list(values)
    if not values:
        return
    if is_postgresql():
        yield _AnyOf(F(field), values)
        return
    for start in range(0, len(values), IN_CHUNK):
        yield Q(**{f"{field}__in": values[start : start + IN_CHUNK]})


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[models.Field]:
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    by_name = {field.name: field for field in model._meta.concrete_fields}
    return [by_attname.get(name) or by_name[name] for name in fields]


def _quoted(columns: list[models.Field]) -> str:
    return ", ".join(connection.ops.quote_name(column.column) for column in columns)


def _json_positions(columns: list[models.Field]) -> list[int]:
    return [n for n, column in enumerate(columns) if isinstance(column, models.JSONField)]


def _copy(table: str, columns: list[models.Field], rows: Iterable[tuple]) -> int:
    json_at = _json_positions(columns)
    count = 0
    with connection.cursor() as cursor:
        copy_sql = f"COPY {connection.ops.quote_name(table)} ({_quoted(columns)}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for position in json_at:
                        if row[position] is not None:
                            row[position] = Jsonb(row[position])
                copy.write_row(row)
                count += 1
    return count


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert rows (no conflict handling: the caller knows they are new). Returns how many."""
    columns = _columns(model, fields)
    if is_postgresql():
        return _copy(model._meta.db_table, columns, rows)
    attnames = [column.attname for column in columns]
    objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects, batch_size=500)
    return len(objects)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys, so that rows pointing at each other can be inserted
    without reading ids back. Call it inside the transaction that inserts the rows.

    PostgreSQL draws them from the table's sequence. SQLite has no sequence: the ids after
    the highest ever given (the table's AUTOINCREMENT counter, or its highest id) are taken,
    and the counter is moved past them. That is safe because a write transaction on SQLite
    holds the database's write lock from its start (IMMEDIATE transactions), so no one else
    can take the same ids; rolled back, the counter goes back with it.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        # The write first: it takes the lock before anything is read.
        cursor.execute("UPDATE sqlite_sequence SET seq = seq WHERE name = %s", [table])
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        counter = cursor.fetchone()
        cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")  # noqa: S608
        highest = max(counter[0] if counter else 0, cursor.fetchone()[0] or 0)
        if counter is None:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, highest + count]
            )
        else:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [highest + count, table]
            )
        return list(range(highest + 1, highest + count + 1))


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
    """Set ``fields`` of existing rows; each row is (pk, value of each field). On PostgreSQL
    the rows are copied into a temporary table and applied by one UPDATE."""
    rows = list(rows)
    if not rows:
        return 0
    columns = _columns(model, fields)
    quote = connection.ops.quote_name
    if not is_postgresql():
        # One prepared UPDATE per row: in-process SQLite runs these faster than bulk_update's
        # CASE WHEN over hundreds of rows.
        assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
        sql = (
            f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608
            f"WHERE {quote(model._meta.pk.column)} = %s"
        )
        prepared = [
            [
                *(c.get_db_prep_save(v, connection) for c, v in zip(columns, values, strict=True)),
                pk,
            ]
            for pk, *values in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)
        return len(rows)
    table = quote(model._meta.db_table)
    pk_column = quote(model._meta.pk.column)
    staging = quote(f"bottega_update_{model._meta.db_table}")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        # Same column types as the table, none of its constraints or defaults.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {pk_column}, {_quoted(columns)} FROM {table} WITH NO DATA"
        )
    _copy(staging.strip('"'), [model._meta.pk, *columns], rows)
    assignments = ", ".join(f"{quote(c.column)} = s.{quote(c.column)}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s "  # noqa: S608
            f"WHERE t.{pk_column} = s.{pk_column}"
        )
        cursor.execute(f"DROP TABLE {staging}")
    return len(rows)
