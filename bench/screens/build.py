"""Fill a PostgreSQL database with a large synthetic chain for the screens benchmark.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bottega_screens_bench \\
        .venv/bin/python -m bench.screens.build --customers 1000000 --orders 10000000

Migrates the database, then writes everything with ``INSERT … SELECT generate_series`` (minutes
for millions of rows, where the demo generator would take hours): customers with Italian names
drawn with the demo's phone-book frequencies (many Rossi, Russo, Ferrari), a phone, an e-mail and
half of them a loyalty card, each as identities; orders spread over three years with two lines
each; one interaction per two orders. Customer 1 is the long-history case: 1,000 orders on top.
Last, the name vocabulary of typo search is filled, as its periodic refresh would.
Deterministic (``setseed``), and refuses a database that already holds customers.
"""

import argparse
import os
import time

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("The screens benchmark runs on PostgreSQL: set DATABASE_URL.")
    call_command("migrate", verbosity=0)
    from crm.models import Customer

    if Customer.objects.exists():
        raise SystemExit("This database already holds customers; use an empty one.")
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SELECT setseed(0.42)")
        for label, sql, params in statements(options.customers, options.orders):
            started = time.perf_counter()
            cursor.execute(sql, params)
            print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)
    from crm import name_vocabulary

    started = time.perf_counter()
    names = name_vocabulary.refresh_name_vocabulary()["added"]
    print(f"name vocabulary, {names:,} names: {time.perf_counter() - started:.1f} s", flush=True)


CUSTOMERS_SQL = """
INSERT INTO crm_customer (first_name, last_name, email, phone, birth_date, street, postcode, city,
    province, country, language, home_store_id, company_name, vat_number, member_since, status,
    provenance, recency_days, frequency, monetary, rfm_segment, lifetime_value, predicted_value,
    profile_completeness, last_seen_at, last_channel, created_at, updated_at)
SELECT PICK, PICK, 'c' || n || '@example.it', '+39347' || lpad(n::text, 7, '0'),
    date '1950-01-01' + (random() * 20000)::int, '', '', PICK, '', 'IT', 'it',
    (SELECT min(id) FROM stores_store) + n %% 20, '', '', date '2020-01-01', 'active', '{}',
    0, 10, 0, '', 0, 0, 80, now() - random() * interval '365 days', 'pos', now(), now()
FROM generate_series(1, %s) AS n
"""


def _weighted(names: list[tuple[str, float]]) -> list[str]:
    """The names repeated by weight, so a uniform pick follows the demo's frequencies."""
    return [name for name, weight in names for _ in range(max(1, round(weight * 4)))]


def statements(customers: int, orders: int) -> list[tuple[str, str, tuple | None]]:
    from crm.demo import names

    first_names = _weighted(names.FEMALE_NAMES + names.MALE_NAMES)
    surnames = _weighted(names.SURNAMES)
    cities = list(names.TOWNS)
    # One value drawn from a list passed (twice) as a parameter.
    pick = "(%s::text[])[1 + floor(random() * cardinality(%s::text[]))::int]"
    return [
        (
            "stores",
            """
            INSERT INTO stores_store (code, name, kind, city, region, address, phone, is_active)
            SELECT 'b' || n, 'Bench store ' || n, 'physical', 'Milano', '', '', '', true
            FROM generate_series(1, 20) AS n
            """,
            None,
        ),
        (
            "products",
            """
            WITH category AS (
                INSERT INTO stores_category (name, slug) VALUES ('Bench', 'bench') RETURNING id
            )
            INSERT INTO stores_product (sku, name, category_id, price, is_consumable, is_active)
            SELECT 'BENCH' || n, 'Bench product ' || n, category.id, 10 + n % 90, n % 4 = 0, true
            FROM generate_series(1, 500) AS n, category
            """,
            None,
        ),
        (
            f"{customers:,} customers",
            CUSTOMERS_SQL.replace("PICK", pick),
            (
                first_names,
                first_names,
                surnames,
                surnames,
                cities,
                cities,
                customers,
            ),
        ),
        (
            "identities",
            """
            INSERT INTO crm_identity (customer_id, kind, value, is_verified, created_at)
            SELECT id, kind, value, false, now()
            FROM crm_customer,
            LATERAL (VALUES ('email', email), ('phone', phone),
                            ('loyalty_card', '24' || lpad(id::text, 11, '0'))) AS v(kind, value)
            WHERE kind <> 'loyalty_card' OR id % 2 = 0
            """,
            None,
        ),
        (
            f"{orders:,} orders",
            """
            INSERT INTO crm_order (source_id, external_id, customer_id, store_id, ordered_at,
                status, currency, total, created_at)
            SELECT (SELECT id FROM crm_source WHERE code = 'pos'), 'B' || n,
                (SELECT min(id) FROM crm_customer) + (n::bigint * 7919) %% %s,
                (SELECT min(id) FROM stores_store) + n %% 20,
                now() - random() * interval '1095 days', 'completed', 'EUR', 40, now()
            FROM generate_series(1, %s) AS n
            """,
            (customers, orders),
        ),
        (
            "1,000 more orders for the first customer",
            """
            INSERT INTO crm_order (source_id, external_id, customer_id, store_id, ordered_at,
                status, currency, total, created_at)
            SELECT (SELECT id FROM crm_source WHERE code = 'pos'), 'L' || n,
                (SELECT min(id) FROM crm_customer), (SELECT min(id) FROM stores_store),
                now() - n * interval '1 day', 'completed', 'EUR', 40, now()
            FROM generate_series(1, 1000) AS n
            """,
            None,
        ),
        (
            "order lines",
            """
            INSERT INTO crm_orderline (order_id, line_number, product_id, sku, product_name,
                quantity, unit_price, line_total, is_returned)
            SELECT o.id, l.n, p.id, p.sku, p.name, 1, 20, 20, false
            FROM crm_order o
            CROSS JOIN generate_series(1, 2) AS l(n)
            JOIN stores_product p
              ON p.sku = 'BENCH' || (1 + (o.id * 31 + l.n * 17 * (o.id % 7 + 1)) % 500)
            """,
            None,
        ),
        (
            "interactions",
            """
            INSERT INTO crm_interaction (customer_id, external_id, kind, channel, store_id,
                occurred_at, text, payload)
            SELECT customer_id, '', 'check_in', 'store', store_id, ordered_at, '', '{}'
            FROM crm_order WHERE id % 2 = 0
            """,
            None,
        ),
        ("analyze", "ANALYZE", None),
    ]


if __name__ == "__main__":
    main()
