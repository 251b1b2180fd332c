"""The places, the people and the products. Nothing here knows about customers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Store(models.Model):
    """A place where the chain meets customers: a shop, and also the web shop, the app and the
    contact center, so that every order and interaction names the store it happened in."""

    class Kind(models.TextChoices):
        PHYSICAL = "physical", _("Physical store")
        WEB = "web", _("Web shop")
        APP = "app", _("App")
        CONTACT_CENTER = "contact_center", _("Contact center")
        MARKETPLACE = "marketplace", _("Marketplace")

    code = models.SlugField(max_length=20, unique=True, help_text="The code tills and files use.")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PHYSICAL)
    city = models.CharField(max_length=80, blank=True)
    region = models.CharField(max_length=80, blank=True)
    address = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text="The store's own line, E.164.")
    opened_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["kind", "is_active"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_physical(self) -> bool:
        return self.kind == self.Kind.PHYSICAL


class Associate(models.Model):
    """A Bottega user's place in the chain: the store they work for and their role."""

    class Role(models.TextChoices):
        STORE_ASSOCIATE = "store_associate", _("Store associate")
        CONTACT_CENTER_AGENT = "contact_center_agent", _("Contact center agent")
        CRM_MANAGER = "crm_manager", _("CRM manager")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="associate"
    )
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="associates")
    role = models.CharField(max_length=30, choices=Role.choices, default=Role.STORE_ASSOCIATE)
    code = models.SlugField(max_length=20, unique=True, help_text="The code tills and files use.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["store", "role"])]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Category(models.Model):
    """A product category; ``parent`` makes a tree (Food › Coffee)."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    sku = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=160)
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    is_consumable = models.BooleanField(
        default=False, help_text="Bought again and again (coffee, detergent): buy-again offers."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["category", "is_active"])]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class StockLevel(models.Model):
    """How many of a product a store has on hand, as the store's stock system last said.

    ``in_stock_since`` is when the product last came back: set when the quantity goes from none
    to some, cleared when it goes back to none. A wish made before it is a wish now granted.
    Written by ``stores.services.record_stock_level`` (and the spreadsheet import, which calls
    it), so the moment a product comes back is never lost to an overwrite.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="stock_levels")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_levels")
    quantity = models.IntegerField(default=0)
    in_stock_since = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["store", "product"]
        constraints = [
            # (store, product) is also the index the home's "back in stock" lookup reads.
            models.UniqueConstraint(fields=["store", "product"], name="stocklevel_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="stocklevel_quantity_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(quantity=0, in_stock_since__isnull=True)
                | Q(quantity__gt=0, in_stock_since__isnull=False),
                name="stocklevel_in_stock_since_iff_in_stock",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} at {self.store.code}: {self.quantity}"


class UserSettings(models.Model):
    """What a user chose for themselves, kept with them from one browser to the next.

    ``language`` is a code of ``settings.LANGUAGES``, or empty while the user has not chosen
    (the browser's language applies then).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bottega_settings"
    )
    language = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = "user settings"
        verbose_name_plural = "user settings"

    def __str__(self) -> str:
        return f"Settings of {self.user}"
