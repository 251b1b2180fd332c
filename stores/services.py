"""Writes on the places, people and products that follow a rule."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from stores.models import Product, StockLevel, Store


@transaction.atomic
def record_stock_level(
    *, store: Store, product: Product, quantity: int, at: dt.datetime | None = None
) -> StockLevel:
    """Record how many of ``product`` ``store`` has now. Idempotent: the same quantity again
    changes nothing but ``updated_at``. Locks the row, so two feeds of the same store cannot both
    decide the product just came back.

    A quantity below zero (a till that sold before the delivery was booked) is read as none on
    the shelf. Coming back from none sets ``in_stock_since`` to ``at`` (now by default); going
    back to none clears it.
    """
    at = at or timezone.now()
    quantity = max(int(quantity), 0)
    level, _created = StockLevel.objects.select_for_update().get_or_create(
        store=store, product=product
    )
    if quantity and not level.quantity:
        level.in_stock_since = at
    elif not quantity:
        level.in_stock_since = None
    level.quantity = quantity
    level.updated_at = at
    level.save()
    return level
