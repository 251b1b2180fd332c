"""The places, the people and the products. Nothing here knows about customers."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Store(models.Model):
    """A place where the chain meets customers: a shop, and also the web shop, the app and the
    contact center, so that every order and interaction names the store it happened in."""

    class Kind(models.TextChoices):
        PHYSICAL = "physical", "Physical store"
        WEB = "web", "Web shop"
        APP = "app", "App"
        CONTACT_CENTER = "contact_center", "Contact center"
        MARKETPLACE = "marketplace", "Marketplace"

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
        STORE_ASSOCIATE = "store_associate", "Store associate"
        CONTACT_CENTER_AGENT = "contact_center_agent", "Contact center agent"
        CRM_MANAGER = "crm_manager", "CRM manager"

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
