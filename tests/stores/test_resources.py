"""Reference data spreadsheets: safe to open, and safe to import twice."""

from decimal import Decimal

import pytest
import tablib

from campaigns.resources import OfferResource
from stores.models import Product
from stores.resources import AssociateResource, ProductResource
from tests import factories

PRODUCTS_CSV = """sku,name,brand,category,price,is_consumable,is_active
CAF-001,Espresso beans 1kg,Lavazza,coffee,18.50,1,1
CAF-002,Moka pot 3 cups,Bialetti,coffee,29.90,0,1
"""


@pytest.fixture
def catalogue(db):
    factories.BrandFactory(name="Lavazza")
    factories.BrandFactory(name="Bialetti")
    factories.CategoryFactory(name="Coffee", slug="coffee")


def import_products(csv: str):
    return ProductResource().import_data(tablib.Dataset().load(csv, format="csv"), dry_run=False)


def test_an_exported_name_that_starts_a_formula_comes_out_as_text(db):
    factories.ProductFactory(
        sku="EVIL-1", name='=HYPERLINK("http://evil.example","Click")', brand__name="@Brand"
    )

    row = ProductResource().export().dict[0]

    assert row["name"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert row["brand"] == "'@Brand"
    assert row["sku"] == "EVIL-1"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralized(db, start):
    factories.OfferFactory(name=f"{start}1+1")

    row = OfferResource().export().dict[0]

    assert row["name"] == f"'{start}1+1"


def test_numbers_and_plain_text_are_exported_as_they_are(db):
    factories.ProductFactory(name="Moka pot", price=Decimal("29.90"))

    row = ProductResource().export().dict[0]

    assert (row["name"], row["price"]) == ("Moka pot", "29.90")


def test_importing_the_same_products_twice_adds_no_duplicates(catalogue):
    first = import_products(PRODUCTS_CSV)
    count_after_first = Product.objects.count()

    second = import_products(PRODUCTS_CSV)

    assert not first.has_errors() and not second.has_errors()
    assert count_after_first == Product.objects.count() == 2
    assert second.totals["new"] == 0


def test_reimporting_updates_the_product_with_the_same_sku(catalogue):
    import_products(PRODUCTS_CSV)

    import_products(PRODUCTS_CSV.replace("18.50", "19.90"))

    assert Product.objects.get(sku="CAF-001").price == Decimal("19.90")
    assert Product.objects.count() == 2


def test_an_exported_file_imports_back_without_apostrophes(catalogue):
    factories.ProductFactory(sku="EQ-1", name="=Equilibrio blend", brand__name="Lavazza")
    exported = ProductResource().export().export("csv")
    Product.objects.filter(sku="EQ-1").update(name="renamed")

    result = import_products(exported)

    assert not result.has_errors()
    assert Product.objects.get(sku="EQ-1").name == "=Equilibrio blend"


def test_an_imported_associate_joins_their_role_group(store):
    user = factories.UserFactory(username="marco")
    csv = "code,username,store,role,is_active\nmi01-marco,marco,mi01,contact_center_agent,1\n"

    result = AssociateResource().import_data(tablib.Dataset().load(csv, format="csv"))

    assert not result.has_errors()
    assert user.associate.store == store
    assert [group.name for group in user.groups.all()] == ["Contact center agent"]
