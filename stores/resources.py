"""Reference data in and out of spreadsheets: stores, associates, the catalogue and stock.

Rows are matched on their natural keys (store code, associate code, SKU, category slug, brand
name), so importing an edited file again updates the rows it names instead of adding copies.
Related rows are named the way people write them in a sheet, never by database id.
"""

from django.contrib.auth import get_user_model
from import_export import fields, widgets

from stores import roles, services
from stores.models import Associate, Brand, Category, Product, StockLevel, Store
from stores.spreadsheets import SpreadsheetSafeResource


class StoreResource(SpreadsheetSafeResource):
    class Meta:
        model = Store
        fields = (
            "code",
            "name",
            "kind",
            "city",
            "region",
            "address",
            "phone",
            "opened_on",
            "is_active",
        )
        export_order = fields
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = True


class AssociateResource(SpreadsheetSafeResource):
    user = fields.Field(
        attribute="user",
        column_name="username",
        widget=widgets.ForeignKeyWidget(get_user_model(), field="username"),
    )
    store = fields.Field(
        attribute="store",
        column_name="store",
        widget=widgets.ForeignKeyWidget(Store, field="code"),
    )

    class Meta:
        model = Associate
        fields = ("code", "user", "store", "role", "is_active")
        export_order = fields
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return super().get_queryset().select_related("user", "store")

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        if not kwargs.get("dry_run"):
            roles.assign_role_group(instance)


class CategoryResource(SpreadsheetSafeResource):
    # A parent must come before its children in the file (or exist already).
    parent = fields.Field(
        attribute="parent",
        column_name="parent",
        widget=widgets.ForeignKeyWidget(Category, field="slug"),
    )

    class Meta:
        model = Category
        fields = ("slug", "name", "parent")
        export_order = fields
        import_id_fields = ("slug",)
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return super().get_queryset().select_related("parent")


class BrandResource(SpreadsheetSafeResource):
    class Meta:
        model = Brand
        fields = ("name",)
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True


class ProductResource(SpreadsheetSafeResource):
    brand = fields.Field(
        attribute="brand",
        column_name="brand",
        widget=widgets.ForeignKeyWidget(Brand, field="name"),
    )
    category = fields.Field(
        attribute="category",
        column_name="category",
        widget=widgets.ForeignKeyWidget(Category, field="slug"),
    )

    class Meta:
        model = Product
        fields = ("sku", "name", "brand", "category", "price", "is_consumable", "is_active")
        export_order = fields
        import_id_fields = ("sku",)
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return super().get_queryset().select_related("brand", "category")


class StockLevelResource(SpreadsheetSafeResource):
    """One row per store and product: ``store`` (code), ``sku``, ``quantity``. Saved through
    ``record_stock_level``, so a product that comes back from none gets its ``in_stock_since``;
    that column is exported for reading and ignored on import."""

    store = fields.Field(
        attribute="store",
        column_name="store",
        widget=widgets.ForeignKeyWidget(Store, field="code"),
    )
    product = fields.Field(
        attribute="product",
        column_name="sku",
        widget=widgets.ForeignKeyWidget(Product, field="sku"),
    )
    in_stock_since = fields.Field(
        attribute="in_stock_since", column_name="in_stock_since", readonly=True
    )

    class Meta:
        model = StockLevel
        fields = ("store", "product", "quantity", "in_stock_since")
        export_order = fields
        import_id_fields = ("store", "product")
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return super().get_queryset().select_related("store", "product")

    def do_instance_save(self, instance, is_create):
        saved = services.record_stock_level(
            store=instance.store, product=instance.product, quantity=instance.quantity or 0
        )
        instance.pk, instance.quantity = saved.pk, saved.quantity
        instance.in_stock_since, instance.updated_at = saved.in_stock_since, saved.updated_at
