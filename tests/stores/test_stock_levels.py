"""Stock levels per store: when a product comes back is remembered, from the admin, a
spreadsheet or a feed alike."""

import datetime as dt

import pytest
import tablib
from django.db import IntegrityError, transaction
from django.utils import timezone

from stores import services
from stores.models import StockLevel
from stores.resources import StockLevelResource
from tests import factories


@pytest.fixture
def boots(db):
    return factories.ProductFactory(sku="BOOT-38", name="Suede ankle boots")


def test_coming_back_from_none_sets_when_and_going_to_none_clears_it(store, boots):
    monday = timezone.now() - dt.timedelta(days=3)

    services.record_stock_level(store=store, product=boots, quantity=0, at=monday)
    back = services.record_stock_level(store=store, product=boots, quantity=5, at=monday)
    sold_some = services.record_stock_level(store=store, product=boots, quantity=2)
    sold_out = services.record_stock_level(store=store, product=boots, quantity=0)

    assert back.in_stock_since == monday
    assert sold_some.in_stock_since == monday  # still the day it came back
    assert (sold_out.quantity, sold_out.in_stock_since) == (0, None)
    assert StockLevel.objects.count() == 1


def test_a_quantity_below_zero_is_none_on_the_shelf(store, boots):
    level = services.record_stock_level(store=store, product=boots, quantity=-2)

    assert (level.quantity, level.in_stock_since) == (0, None)


def test_the_database_refuses_stock_in_hand_with_no_date(store, boots):
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.create(store=store, product=boots, quantity=3)


def import_stock(csv: str):
    result = StockLevelResource().import_data(
        tablib.Dataset().load(csv, format="csv"), dry_run=False
    )
    assert not result.has_errors() and not result.has_validation_errors()
    return result


def test_a_stock_sheet_imports_by_store_code_and_sku_and_dates_the_return(store, boots):
    import_stock("store,sku,quantity\nmi01,BOOT-38,0\n")

    import_stock("store,sku,quantity\nmi01,BOOT-38,4\n")
    again = import_stock("store,sku,quantity\nmi01,BOOT-38,4\n")

    level = StockLevel.objects.get()
    assert level.quantity == 4
    assert level.in_stock_since is not None
    assert again.totals["skip"] == 1


def test_an_exported_stock_sheet_imports_back_unchanged(store, boots):
    services.record_stock_level(store=store, product=boots, quantity=4)
    exported = StockLevelResource().export()

    result = StockLevelResource().import_data(exported, dry_run=False)

    assert exported.dict[0]["store"] == "mi01" and exported.dict[0]["sku"] == "BOOT-38"
    assert result.totals["skip"] == 1
