"""Drop the order and order-line indexes that repeat another index's leading column.

Every imported order maintained twelve indexes and every line five; seven of them only repeated
what a composite index or a unique constraint already serves through its leading column:

    crm_order.source_id          the (source, external_id) unique constraint
    crm_order.customer_id        (customer, -ordered_at)
    crm_order.store_id           (store, ordered_at)
    crm_order.associate_id       (associate, ordered_at)
    crm_order.source_record_id   indexed twice: by the foreign key and by Meta's Index
    crm_orderline.order_id       the (order, line_number) unique constraint
    crm_orderline.product_id     (product, order)

Django's own AlterField(db_index=False) would drop each foreign key constraint and add it back,
checking every row of the table again under a lock. Only the indexes need to go: the database
side drops them by name (Django named them the same way on PostgreSQL and SQLite), the state
side records the new field options.
"""

import django.db.models.deletion
from django.db import migrations, models

# (index, table, column) of the foreign keys' own indexes.
FOREIGN_KEY_INDEXES = [
    ("crm_order_source_id_7bbc6388", "crm_order", "source_id"),
    ("crm_order_customer_id_7231c78d", "crm_order", "customer_id"),
    ("crm_order_store_id_cf20521f", "crm_order", "store_id"),
    ("crm_order_associate_id_a9c4a694", "crm_order", "associate_id"),
    ("crm_orderline_order_id_b45c31d6", "crm_orderline", "order_id"),
    ("crm_orderline_product_id_e7945220", "crm_orderline", "product_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_customer_stored_search_name"),
        ("stores", "0004_stock_level_roles"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="order", name="crm_order_source__a91d96_idx"),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}")',
                )
                for index, table, column in FOREIGN_KEY_INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="associate",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="orders",
                        to="stores.associate",
                    ),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="orders",
                        to="crm.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="source",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="orders",
                        to="crm.source",
                    ),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="store",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="orders",
                        to="stores.store",
                    ),
                ),
                migrations.AlterField(
                    model_name="orderline",
                    name="order",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="crm.order",
                    ),
                ),
                migrations.AlterField(
                    model_name="orderline",
                    name="product",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="lines",
                        to="stores.product",
                    ),
                ),
            ],
        ),
    ]
