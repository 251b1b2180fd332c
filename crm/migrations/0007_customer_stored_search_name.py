"""Customers' folded names stored beside the names, for search as you type.

PostgreSQL only, like 0004. The trigram index of 0004 is on an expression, so every row it
finds is checked again by folding the name again (``bottega_unaccent(lower(…))``): for a word
thousands of names hold ("rosa") and nobody matching the rest, that recheck was most of a
43 ms search at a million customers. A generated column keeps the folded name once, written by
the database with each insert and update, and the index moves onto it; a recheck is then a
plain string comparison. Django does not know the column: it is read only by the search's SQL.
"""

from django.db import migrations

FORWARD = [
    """
    ALTER TABLE crm_customer ADD COLUMN IF NOT EXISTS search_name text
    GENERATED ALWAYS AS (bottega_unaccent(lower(first_name || ' ' || last_name))) STORED
    """,
    """
    CREATE INDEX IF NOT EXISTS crm_customer_search_name_stored_trgm ON crm_customer
    USING gin (search_name gin_trgm_ops)
    """,
    "DROP INDEX IF EXISTS crm_customer_search_name_trgm",
]
BACKWARD = [
    """
    CREATE INDEX IF NOT EXISTS crm_customer_search_name_trgm ON crm_customer
    USING gin (bottega_unaccent(lower(first_name || ' ' || last_name)) gin_trgm_ops)
    """,
    "DROP INDEX IF EXISTS crm_customer_search_name_stored_trgm",
    "ALTER TABLE crm_customer DROP COLUMN IF EXISTS search_name",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0006_name_vocabulary"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
