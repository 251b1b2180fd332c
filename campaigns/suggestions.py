"""What an associate could suggest to this customer, and why.

Two kinds, at most ``MAX_SUGGESTIONS`` in all, buy-again first:

- **Buy again**: a consumable this customer has bought on at least two days, whose usual gap
  (the median of this customer's own gaps, not the chain's) has nearly gone by.
- **Cross-sell**: products often bought in the same basket as something this customer bought,
  ranked by lift (how much more often they go together than chance would say), leaving out
  what the customer already owns and what a preference rules out (an allergy, a brand they
  dislike).

The store home lists, from the same buy-again rule, the customers of a store whose refill is due
(``due_for_repurchase``), computed for the whole store in one set-based query.

Lift is read from the baskets of the chain's most recent ``BASKET_WINDOW`` orders, counted once
and kept in the cache for ``AFFINITY_TTL`` seconds: a page view never counts baskets. A later
issue adds offers, eligibility and campaigns on top of the same function.
"""

import datetime as dt
import itertools
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connections
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm.identity.normalize import fold
from crm.models import Customer, Order, OrderLine, Preference
from stores.models import Product, Store

MAX_SUGGESTIONS = 5
BASKET_WINDOW = 50_000
AFFINITY_TTL = 60 * 60
AFFINITY_CACHE_KEY = "campaigns:basket-affinities"
MIN_BASKETS_TOGETHER = 3  # fewer is chance, not a habit
PARTNERS_KEPT = 20  # per product, the best by lift
BASKET_SIZE_LIMIT = 30  # a bulk order would pair everything with everything
DUE_SHARE = 0.85  # suggest a refill once 85% of the usual gap has gone by
# On the store home, a refill two usual gaps late is no longer "due": that customer has moved
# on (the at-risk list is for them), and the list keeps to those worth a call today.
LAPSED_SHARE = 2
# Two purchases make a gap, not yet a habit: the home calls only on a rhythm seen twice.
MIN_GAPS_ON_THE_HOME = 2
BUY_AGAIN = "buy_again"
CROSS_SELL = "cross_sell"


@dataclass(frozen=True)
class Suggestion:
    kind: str
    product: Product
    reason: str
    score: float


@dataclass(frozen=True)
class Affinities:
    """Basket statistics: how many baskets, and each product's best partners by lift."""

    baskets: int
    partners: dict[int, list[tuple[int, float, int]]]  # product → (partner, lift, together)


def suggestions_for(*, customer: Customer, today: dt.date | None = None) -> list[Suggestion]:
    """At most five suggestions for the customer, each with its reason. Reads only: the
    customer's history, their preferences, and the cached basket affinities."""
    today = today or timezone.localdate()
    bought = _purchase_days(customer)
    if not bought:
        return []
    dislikes = [
        fold(value)
        for value in Preference.objects.filter(customer=customer, is_dislike=True).values_list(
            "value", flat=True
        )
        if fold(value)
    ]
    affinities = basket_affinities()
    partner_ids = {
        partner
        for product in bought
        for partner, _lift, _together in affinities.partners.get(product, [])
        if partner not in bought
    }
    products = Product.objects.select_related("brand", "category__parent").in_bulk(
        [*bought, *partner_ids]
    )
    allowed = {
        pk: product
        for pk, product in products.items()
        if product.is_active and not _ruled_out(product, dislikes)
    }
    again = _buy_again(bought, allowed, today)
    cross = _cross_sell(bought, allowed, products, affinities)
    return (again + cross)[:MAX_SUGGESTIONS]


def _purchase_days(customer: Customer) -> dict[int, list[dt.date]]:
    """The days on which the customer bought each product (kept lines of kept orders)."""
    rows = (
        OrderLine.objects.filter(order__customer=customer, product__isnull=False, is_returned=False)
        .exclude(order__status__in=[Order.Status.CANCELLED, Order.Status.RETURNED])
        .values_list("product_id", "order__ordered_at")
    )
    days: dict[int, set[dt.date]] = defaultdict(set)
    for product, ordered_at in rows:
        days[product].add(timezone.localdate(ordered_at))
    return {product: sorted(dates) for product, dates in days.items()}


def _buy_again(
    bought: dict[int, list[dt.date]], allowed: dict[int, Product], today: dt.date
) -> list[Suggestion]:
    found = []
    for pk, days in bought.items():
        product = allowed.get(pk)
        if product is None or not product.is_consumable or len(days) < 2:
            continue
        interval = statistics.median((b - a).days for a, b in itertools.pairwise(days))
        since = (today - days[-1]).days
        if interval <= 0 or since < DUE_SHARE * interval:
            continue
        reason = _("buys %(product)s about every %(interval)d days; last %(since)d days ago") % {
            "product": product.name,
            "interval": round(interval),
            "since": since,
        }
        found.append(Suggestion(BUY_AGAIN, product, reason, since / interval))
    return sorted(found, key=lambda suggestion: -suggestion.score)


@dataclass(frozen=True)
class Repurchase:
    """A consumable due again for a customer: their usual gap and the days since the last."""

    product: Product
    interval: float
    since: int
    reason: str


@dataclass(frozen=True)
class RepurchaseDue:
    customer: Customer
    products: list[Repurchase]


def due_for_repurchase(
    *, store: Store, today: dt.date | None = None, limit: int = 8
) -> list[RepurchaseDue]:
    """The customers of ``store`` (their home store) with a consumable due again by the rule
    of the customer page's buy-again (85% of their own median gap gone by, nothing they rule
    out), when that gap was seen at least twice and the refill is not two gaps late. Those
    whose refill fell due most lately come first (a reminder still finds them before they buy
    elsewhere); at most ``limit`` customers, each with their due products.

    Reads in four queries whatever the number of customers or orders: the intervals, computed
    in the database; the customers; the products; their dislikes."""
    today = today or timezone.localdate()
    rows = _due_rows(store=store, today=today, limit=limit * 4)
    customers = Customer.objects.in_bulk({customer for customer, *_rest in rows})
    products = Product.objects.select_related("brand", "category__parent").in_bulk(
        {product for _customer, product, *_rest in rows}
    )
    dislikes: dict[int, list[str]] = defaultdict(list)
    for customer, value in Preference.objects.filter(
        customer__in=customers, is_dislike=True
    ).values_list("customer_id", "value"):
        if fold(value):
            dislikes[customer].append(fold(value))
    found: dict[int, list[Repurchase]] = {}
    for customer, product, interval, since in rows:
        if _ruled_out(products[product], dislikes[customer]):
            continue
        if customer not in found and len(found) == limit:
            continue
        interval = float(interval)
        reason = _("buys %(product)s about every %(interval)d days; last %(since)d days ago") % {
            "product": products[product].name,
            "interval": round(interval),
            "since": since,
        }
        found.setdefault(customer, []).append(
            Repurchase(products[product], interval, int(since), reason)
        )
    return [RepurchaseDue(customers[pk], due) for pk, due in found.items()]


# The days between two purchase days, as whole numbers, on each database.
_DAY_NUMBER = {
    "postgresql": "(day - DATE '2000-01-01')",
    "sqlite": "CAST(julianday(day) - julianday('2000-01-01') AS INTEGER)",
}
_DUE_SQL = """
WITH days (customer_id, product_id, day) AS ({days}),
numbered AS (
    SELECT customer_id, product_id, {day_number} AS day FROM days
),
gaps AS (
    SELECT customer_id, product_id,
        day - LAG(day) OVER (PARTITION BY customer_id, product_id ORDER BY day) AS gap,
        MAX(day) OVER (PARTITION BY customer_id, product_id) AS last_day
    FROM numbered
),
ranked AS (
    SELECT customer_id, product_id, gap, last_day,
        ROW_NUMBER() OVER (PARTITION BY customer_id, product_id ORDER BY gap) AS position,
        COUNT(*) OVER (PARTITION BY customer_id, product_id) AS gaps
    FROM gaps
    WHERE gap IS NOT NULL
),
intervals AS (
    -- The median gap: the middle one, or the mean of the two middle ones.
    SELECT customer_id, product_id, AVG(gap) AS interval_days, MAX(last_day) AS last_day
    FROM ranked
    WHERE position IN ((gaps + 1) / 2, (gaps + 2) / 2) AND gaps >= %s
    GROUP BY customer_id, product_id
)
SELECT customer_id, product_id, interval_days, %s - last_day AS since
FROM intervals
WHERE interval_days > 0
    AND %s - last_day >= %s * interval_days
    AND %s - last_day < %s * interval_days
ORDER BY (%s - last_day) / interval_days, customer_id, product_id
LIMIT %s
"""


def _due_rows(*, store: Store, today: dt.date, limit: int) -> list[tuple[int, int, float, int]]:
    """(customer, product, usual gap, days since the last) for each consumable due, from one
    query: the customers' purchase days (local days, by Django's own date functions), their
    gaps (window functions), and the median gap of each customer and product."""
    days = (
        OrderLine.objects.filter(
            order__customer__home_store=store,
            order__customer__status=Customer.Status.ACTIVE,
            product__is_consumable=True,
            product__is_active=True,
            is_returned=False,
        )
        .exclude(order__status__in=[Order.Status.CANCELLED, Order.Status.RETURNED])
        .annotate(day=TruncDate("order__ordered_at"))
        .values_list("order__customer_id", "product_id", "day")
        .order_by()
        .distinct()
    )
    days_sql, days_params = days.query.sql_with_params()
    connection = connections[days.db]
    sql = _DUE_SQL.format(days=days_sql, day_number=_DAY_NUMBER[connection.vendor])
    today_number = (today - dt.date(2000, 1, 1)).days
    params = (
        *days_params,
        MIN_GAPS_ON_THE_HOME,
        today_number,
        today_number,
        DUE_SHARE,
        today_number,
        LAPSED_SHARE,
        today_number,
        limit,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _cross_sell(
    bought: dict[int, list[dt.date]],
    allowed: dict[int, Product],
    products: dict[int, Product],
    affinities: Affinities,
) -> list[Suggestion]:
    best: dict[int, tuple[float, int]] = {}  # partner → (lift, the product it goes with)
    for pk in bought:
        for partner, lift, _together in affinities.partners.get(pk, []):
            if partner in bought or partner not in allowed:
                continue
            if partner not in best or lift > best[partner][0]:
                best[partner] = (lift, pk)
    found = []
    for partner, (lift, pk) in best.items():
        reason = _("often bought with the %(product)s bought on %(day)s") % {
            "product": products[pk].name,
            "day": date_format(bought[pk][-1], "SHORT_DATE_FORMAT"),
        }
        found.append(Suggestion(CROSS_SELL, allowed[partner], reason, lift))
    return sorted(found, key=lambda suggestion: (-suggestion.score, suggestion.product.pk))


def _ruled_out(product: Product, dislikes: list[str]) -> bool:
    """Whether a dislike rules the product out: its words appear in the product's name, brand
    or category (a dislike of "wool" rules out the "Merino wool scarf")."""
    if not dislikes:
        return False
    category = product.category
    described = " ".join(
        fold(text)
        for text in (
            product.name,
            product.brand.name if product.brand else "",
            category.name,
            category.parent.name if category.parent else "",
        )
    )
    return any(dislike in described for dislike in dislikes)


def basket_affinities() -> Affinities:
    """The cached basket statistics, counted now when the cache has none."""
    affinities = cache.get(AFFINITY_CACHE_KEY)
    if affinities is None:
        affinities = count_basket_affinities()
        cache.set(AFFINITY_CACHE_KEY, affinities, AFFINITY_TTL)
    return affinities


def count_basket_affinities(*, window: int = BASKET_WINDOW) -> Affinities:
    """Count products and pairs in the most recent ``window`` orders, and keep each product's
    best partners by lift = P(a and b) / (P(a) × P(b))."""
    oldest = (
        Order.objects.order_by("-pk")
        .exclude(status=Order.Status.CANCELLED)
        .values_list("pk", flat=True)[window - 1 : window]
    )
    lines = OrderLine.objects.filter(product__isnull=False, is_returned=False)
    if oldest_pk := next(iter(oldest), None):
        lines = lines.filter(order_id__gte=oldest_pk)
    lines = lines.filter(~Q(order__status=Order.Status.CANCELLED))
    baskets: dict[int, set[int]] = defaultdict(set)
    for order, product in lines.values_list("order_id", "product_id").iterator(chunk_size=5000):
        baskets[order].add(product)
    singles: Counter[int] = Counter()
    pairs: Counter[tuple[int, int]] = Counter()
    for products in baskets.values():
        singles.update(products)
        if 1 < len(products) <= BASKET_SIZE_LIMIT:
            pairs.update(itertools.combinations(sorted(products), 2))
    total = len(baskets)
    partners: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
    for (a, b), together in pairs.items():
        if together < MIN_BASKETS_TOGETHER:
            continue
        lift = together * total / (singles[a] * singles[b])
        if lift <= 1:
            continue
        partners[a].append((b, lift, together))
        partners[b].append((a, lift, together))
    return Affinities(
        baskets=total,
        partners={
            product: sorted(found, key=lambda item: (-item[1], item[0]))[:PARTNERS_KEPT]
            for product, found in partners.items()
        },
    )
