"""Admin for stores, associates and the catalogue, with spreadsheet import and export."""

from django.contrib import admin
from django.db.models import Count
from import_export.admin import ImportExportModelAdmin

from stores import resources, roles, services
from stores.models import Associate, Brand, Category, Product, StockLevel, Store, UserSettings


@admin.register(Store)
class StoreAdmin(ImportExportModelAdmin):
    resource_classes = [resources.StoreResource]
    list_display = ("code", "name", "kind", "city", "region", "opened_on", "is_active")
    list_filter = ("kind", "is_active", "region")
    search_fields = ("code", "name", "city")
    ordering = ("code",)


@admin.register(Associate)
class AssociateAdmin(ImportExportModelAdmin):
    resource_classes = [resources.AssociateResource]
    list_display = ("code", "__str__", "user", "store", "role", "is_active")
    list_select_related = ("user", "store")
    list_filter = ("role", "is_active", "store")
    search_fields = ("code", "user__username", "user__first_name", "user__last_name")
    ordering = ("code",)
    raw_id_fields = ("user",)
    autocomplete_fields = ("store",)

    def get_queryset(self, request):
        # __str__ reads the user's name: one join instead of a query per associate.
        return super().get_queryset(request).select_related("user")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or "role" in form.changed_data or "user" in form.changed_data:
            roles.assign_role_group(obj)


@admin.register(Category)
class CategoryAdmin(ImportExportModelAdmin):
    resource_classes = [resources.CategoryResource]
    list_display = ("name", "slug", "parent")
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)


@admin.register(Brand)
class BrandAdmin(ImportExportModelAdmin):
    resource_classes = [resources.BrandResource]
    list_display = ("name", "product_count")
    search_fields = ("name",)
    ordering = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_count=Count("products"))

    @admin.display(description="products", ordering="product_count")
    def product_count(self, brand: Brand) -> int:
        return brand.product_count


@admin.register(Product)
class ProductAdmin(ImportExportModelAdmin):
    resource_classes = [resources.ProductResource]
    list_display = ("sku", "name", "brand", "category", "price", "is_consumable", "is_active")
    list_select_related = ("brand", "category")
    list_filter = ("is_active", "is_consumable", "category", "brand")
    search_fields = ("=sku", "name")
    ordering = ("name",)
    autocomplete_fields = ("brand", "category")


@admin.register(StockLevel)
class StockLevelAdmin(ImportExportModelAdmin):
    resource_classes = [resources.StockLevelResource]
    list_display = ("product", "store", "quantity", "in_stock_since", "updated_at")
    list_select_related = ("product", "store")
    list_filter = ("store",)
    search_fields = ("=product__sku", "product__name")
    ordering = ("store", "product__name")
    autocomplete_fields = ("store", "product")
    # Kept by the import and record_stock_level: set by hand, it could say "back" when not.
    readonly_fields = ("in_stock_since", "updated_at")

    def save_model(self, request, obj, form, change):
        saved = services.record_stock_level(
            store=obj.store, product=obj.product, quantity=obj.quantity
        )
        obj.pk = saved.pk


@admin.register(UserSettings)
class UserSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "language")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
