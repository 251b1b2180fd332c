from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from stores.models import Store
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_refuses_a_product_with_a_negative_price():
    product = factories.ProductFactory()
    product.price = Decimal("-0.01")

    with pytest.raises(IntegrityError), transaction.atomic():
        product.save()


def test_it_accepts_a_free_product():
    product = factories.ProductFactory(price=Decimal("0.00"))

    product.refresh_from_db()

    assert product.price == Decimal("0.00")


def test_it_refuses_two_stores_with_the_same_code():
    factories.StoreFactory(code="mi01")

    with pytest.raises(IntegrityError), transaction.atomic():
        Store.objects.create(code="mi01", name="Another Milano store")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (Store.Kind.PHYSICAL, True),
        (Store.Kind.WEB, False),
        (Store.Kind.APP, False),
        (Store.Kind.CONTACT_CENTER, False),
        (Store.Kind.MARKETPLACE, False),
    ],
)
def test_only_a_physical_store_counts_as_physical(kind, expected):
    store = factories.StoreFactory(kind=kind)

    is_physical = store.is_physical

    assert is_physical is expected


def test_a_store_reads_as_its_name():
    store = factories.StoreFactory(code="mi01", name="Milano Brera")

    text = str(store)

    assert text == "Milano Brera"


def test_an_associate_reads_as_the_full_name_of_their_user():
    associate = factories.AssociateFactory(user__first_name="Marco", user__last_name="Verdi")

    text = str(associate)

    assert text == "Marco Verdi"


def test_an_associate_without_a_name_reads_as_their_username():
    associate = factories.AssociateFactory(
        user__username="mverdi", user__first_name="", user__last_name=""
    )

    text = str(associate)

    assert text == "mverdi"


def test_a_category_and_a_brand_read_as_their_names():
    category = factories.CategoryFactory(name="Coffee", slug="coffee")
    brand = factories.BrandFactory(name="Lavazza")

    texts = (str(category), str(brand))

    assert texts == ("Coffee", "Lavazza")


def test_a_product_reads_as_its_name_and_sku():
    product = factories.ProductFactory(name="Espresso beans 1 kg", sku="CAF-0001")

    text = str(product)

    assert text == "Espresso beans 1 kg (CAF-0001)"
