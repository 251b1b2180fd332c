"""A trigram index on customers' names, accents and case folded, for search as you type.

PostgreSQL only (pg_trgm and unaccent, both trusted extensions since PostgreSQL 13); other
databases use the portable search of ``CustomerQuerySet.search`` and skip this migration's SQL.
``unaccent()`` is not IMMUTABLE (its dictionary could change), so an index cannot use it
directly: ``bottega_unaccent`` names the dictionary and is declared IMMUTABLE.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """
    CREATE OR REPLACE FUNCTION bottega_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
    """,
    """
    CREATE INDEX IF NOT EXISTS crm_customer_search_name_trgm ON crm_customer
    USING gin (bottega_unaccent(lower(first_name || ' ' || last_name)) gin_trgm_ops)
    """,
]
BACKWARD = [
    "DROP INDEX IF EXISTS crm_customer_search_name_trgm",
    "DROP FUNCTION IF EXISTS bottega_unaccent(text)",
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
        ("crm", "0003_customer_not_merged_into_itself"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
