"""Offers in and out of spreadsheets, matched on their code so a re-import updates them."""

from import_export import fields, widgets

from campaigns.models import Offer
from stores.models import Category, Product
from stores.spreadsheets import SpreadsheetSafeResource


class OfferResource(SpreadsheetSafeResource):
    product = fields.Field(
        attribute="product",
        column_name="product_sku",
        widget=widgets.ForeignKeyWidget(Product, field="sku"),
    )
    category = fields.Field(
        attribute="category",
        column_name="category",
        widget=widgets.ForeignKeyWidget(Category, field="slug"),
    )

    class Meta:
        model = Offer
        fields = (
            "code",
            "name",
            "description",
            "product",
            "category",
            "discount_percent",
            "required_consent",
            "valid_from",
            "valid_until",
            "is_active",
        )
        export_order = fields
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return super().get_queryset().select_related("product", "category")
