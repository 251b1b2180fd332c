"""factory_boy factories for Bottega's models: believable defaults, nothing saved twice."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns import models as campaigns
from crm import models as crm
from stores import models as stores
from stores import roles


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = stores.Store
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"st{n:03d}")
    name = factory.Sequence(lambda n: f"Bottega Store {n}")
    kind = stores.Store.Kind.PHYSICAL
    city = "Milano"
    region = "Lombardia"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Giulia"
    last_name = "Bianchi"
    email = factory.LazyAttribute(lambda u: f"{u.username}@bottega.example")
    password = factory.django.Password("bottega-test")


class AssociateFactory(factory.django.DjangoModelFactory):
    """A user with a store and a role, in the role's group."""

    class Meta:
        model = stores.Associate
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    store = factory.SubFactory(StoreFactory)
    role = stores.Associate.Role.STORE_ASSOCIATE
    code = factory.Sequence(lambda n: f"as{n:04d}")

    @factory.post_generation
    def join_group(self, create, extracted, **kwargs):
        if create:
            roles.assign_role_group(self)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = stores.Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = stores.Brand
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Brand {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = stores.Product

    sku = factory.Sequence(lambda n: f"SKU{n:06d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    brand = factory.SubFactory(BrandFactory)
    category = factory.SubFactory(CategoryFactory)
    price = Decimal("19.90")


def days_ago(days: int) -> dt.datetime:
    """Noon of the day ``days`` days before today, in the chain's time zone. Bottega counts
    days by the local calendar ("last 34 days ago"), and "now minus 34 days" is a day off
    late in the evening when a clock change lies in between."""
    day = timezone.localdate() - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def source(code: str = "pos") -> crm.Source:
    """The channel sources are created by a migration; tests look them up."""
    return crm.Source.objects.get(code=code)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = crm.Customer

    first_name = factory.Faker("first_name", locale="it_IT")
    last_name = factory.Faker("last_name", locale="it_IT")
    email = factory.Sequence(lambda n: f"cliente{n}@example.it")
    phone = factory.Sequence(lambda n: f"+39347{n:07d}")
    birth_date = dt.date(1985, 5, 17)
    city = "Milano"
    member_since = dt.date(2022, 1, 10)


class SourceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = crm.SourceRecord

    source = factory.LazyFunction(source)
    external_id = factory.Sequence(lambda n: f"P{n:07d}")
    customer = factory.SubFactory(CustomerFactory)
    first_name = factory.SelfAttribute("customer.first_name")
    last_name = factory.SelfAttribute("customer.last_name")
    email = factory.SelfAttribute("customer.email")
    raw = factory.LazyAttribute(lambda r: {"external_id": r.external_id, "email": r.email})
    match_rule = crm.SourceRecord.MatchRule.NEW


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = crm.Order

    source = factory.LazyFunction(source)
    external_id = factory.Sequence(lambda n: f"O{n:08d}")
    customer = factory.SubFactory(CustomerFactory)
    store = factory.SubFactory(StoreFactory)
    ordered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=10))
    total = Decimal("39.80")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = crm.OrderLine

    order = factory.SubFactory(OrderFactory)
    line_number = factory.Sequence(lambda n: n + 1)
    product = factory.SubFactory(ProductFactory)
    sku = factory.SelfAttribute("product.sku")
    product_name = factory.SelfAttribute("product.name")
    quantity = Decimal("2")
    unit_price = Decimal("19.90")
    line_total = Decimal("39.80")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = crm.Interaction

    customer = factory.SubFactory(CustomerFactory)
    kind = crm.Interaction.Kind.STORE_VISIT
    channel = crm.Channel.STORE
    store = factory.SubFactory(StoreFactory)


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = crm.Note

    customer = factory.SubFactory(CustomerFactory)
    author = factory.SubFactory(UserFactory)
    body = "Prefers to be served by Marco; ask about the wedding in June."


class PreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = crm.Preference

    customer = factory.SubFactory(CustomerFactory)
    kind = crm.Preference.Kind.SIZE
    value = "M"


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = crm.Consent

    customer = factory.SubFactory(CustomerFactory)
    purpose = crm.Consent.Purpose.MARKETING
    channel = crm.Consent.Medium.EMAIL
    is_granted = True
    proof = "Signed form at the till"


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = crm.Case

    customer = factory.SubFactory(CustomerFactory)
    subject = "Jacket zip broke after two weeks"


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = campaigns.Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    slug = factory.Sequence(lambda n: f"segment-{n}")


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = campaigns.Offer

    code = factory.Sequence(lambda n: f"offer-{n}")
    name = "10% off coffee"
    discount_percent = Decimal("10")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = campaigns.Campaign

    code = factory.Sequence(lambda n: f"campaign-{n}")
    name = "Spring coffee"
    segment = factory.SubFactory(SegmentFactory)
    offer = factory.SubFactory(OfferFactory)
