"""The first page after login: today at my store, and what my role can do next."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.fields.json import KT
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from crm.models import Case, Customer, Interaction, MatchCandidate, Order, OrderLine
from stores.models import Product, StockLevel, Store

FOLLOW_UPS_PER_KIND = 8
AT_RISK_SEGMENTS = (
    Customer.Segment.AT_RISK,
    Customer.Segment.CANT_LOSE_THEM,
    Customer.Segment.ABOUT_TO_SLEEP,
)
RECENTLY_SERVED = 10
# A wish older than this is forgotten by the customer too: it is no reason to call.
WISH_REMEMBERED = dt.timedelta(days=180)


def follow_ups(*, store: Store, today: dt.date) -> dict[str, list]:
    """Today's reasons to call or greet customers of the store: birthdays, regulars at risk of
    leaving, what customers wished for here lately, and wishes back in stock. (Refills due are
    the campaigns app's, in their own panel.)"""
    customers = Customer.objects.active().filter(home_store=store)
    return {
        "birthdays": list(
            customers.filter(birth_date__month=today.month, birth_date__day=today.day).order_by(
                "last_name", "first_name"
            )[:FOLLOW_UPS_PER_KIND]
        ),
        "at_risk": list(
            customers.filter(
                Q(rfm_segment__in=AT_RISK_SEGMENTS) | Q(churn_risk__gte=0.6), frequency__gte=4
            ).order_by("-lifetime_value", "pk")[:FOLLOW_UPS_PER_KIND]
        ),
        "wishes": list(
            Interaction.objects.filter(
                store=store,
                kind=Interaction.Kind.WISHLIST,
                occurred_at__gte=timezone.now() - dt.timedelta(days=30),
                customer__isnull=False,
            )
            # The product a wish names by SKU, from the catalogue (None for a wish in words).
            .annotate(wished_sku=KT("payload__sku"))
            .annotate(
                product_name=Subquery(
                    Product.objects.filter(sku=OuterRef("wished_sku")).values("name")[:1]
                )
            )
            .select_related("customer")
            .order_by("-occurred_at")[:FOLLOW_UPS_PER_KIND]
        ),
        "back_in_stock": back_in_stock(store=store),
    }


def back_in_stock(*, store: Store, limit: int = FOLLOW_UPS_PER_KIND) -> list[dict]:
    """Customers of the store (their home store) who wished for a product, on any channel,
    that has come back in stock at the store since, and have not bought it since: each with the
    product and when it came back, the newest return first. Two queries whatever the number
    of wishes.

    A wish is a wishlist interaction naming the product's SKU in its payload (``{"sku": …}``,
    as the app, the web shop and the interactions files send it). "Back" means the store's
    stock level came back from none after the wish (``StockLevel.in_stock_since``): a product
    that was on the shelf all along is not news to tell the customer.
    """
    stock = StockLevel.objects.filter(
        store=store,
        quantity__gt=0,
        product__sku=OuterRef("wished_sku"),
        in_stock_since__gt=OuterRef("occurred_at"),
    )
    bought_since = OrderLine.objects.filter(
        order__customer=OuterRef("customer_id"),
        sku=OuterRef("wished_sku"),
        order__ordered_at__gt=OuterRef("occurred_at"),
    ).exclude(order__status=Order.Status.CANCELLED)
    wishes = (
        Interaction.objects.filter(
            kind=Interaction.Kind.WISHLIST,
            customer__home_store=store,
            customer__status=Customer.Status.ACTIVE,
            occurred_at__gte=timezone.now() - WISH_REMEMBERED,
        )
        .annotate(wished_sku=KT("payload__sku"))
        .annotate(
            back_product=Subquery(stock.values("product_id")[:1]),
            back_since=Subquery(stock.values("in_stock_since")[:1]),
        )
        .filter(back_product__isnull=False)
        .exclude(Exists(bought_since))
        .select_related("customer")
        .order_by("-back_since", "-occurred_at")[: limit * 3]
    )
    found, seen = [], set()
    for wish in wishes:
        if (wish.customer_id, wish.back_product) not in seen and len(found) < limit:
            seen.add((wish.customer_id, wish.back_product))
            found.append(wish)
    products = Product.objects.in_bulk({wish.back_product for wish in found})
    return [
        {
            "customer": wish.customer,
            "product": products[wish.back_product],
            "wished_at": wish.occurred_at,
            "back_since": wish.back_since,
        }
        for wish in found
    ]


def recently_served(user) -> list[dict]:
    """The customers this associate sold to or logged something with, newest first, once."""
    sales = (
        Order.objects.filter(associate__user=user, customer__isnull=False)
        .select_related("customer")
        .order_by("-ordered_at")[:RECENTLY_SERVED]
    )
    logged = (
        Interaction.objects.filter(associate__user=user, customer__isnull=False)
        .select_related("customer")
        .order_by("-occurred_at")[:RECENTLY_SERVED]
    )
    events = sorted(
        [(order.ordered_at, order.customer, f"€ {order.total}") for order in sales]
        + [(entry.occurred_at, entry.customer, entry.get_kind_display()) for entry in logged],
        key=lambda event: event[0],
        reverse=True,
    )
    served, seen = [], set()
    for at, customer, what in events:
        if customer.pk not in seen:
            seen.add(customer.pk)
            served.append({"at": at, "customer": customer, "what": what})
    return served[:RECENTLY_SERVED]


def _associate_store(request: HttpRequest):
    associate = getattr(request.user, "associate", None)
    return associate.store if associate else None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The first page after login: today at my store, and what my role can do next."""
    store = _associate_store(request)
    today = timezone.localdate()
    context: dict = {"store": store, "today": today}
    if store is not None and request.user.has_perm("crm.view_customer"):
        visits = (
            Interaction.objects.filter(
                store=store,
                occurred_at__date=today,
                kind__in=[Interaction.Kind.STORE_VISIT, Interaction.Kind.CHECK_IN],
                customer__isnull=False,
            )
            .select_related("customer")
            .order_by("-occurred_at")[:20]
        )
        context["visits_today"] = visits
        context["follow_ups"] = follow_ups(store=store, today=today)
        context["recently_served"] = recently_served(request.user)
    if request.user.has_perm("crm.view_case"):
        context["open_cases"] = Case.objects.filter(
            status__in=[Case.Status.OPEN, Case.Status.WAITING]
        ).count()
    if request.user.has_perm("crm.view_console"):
        context["customers"] = Customer.objects.active().count()
        context["pending_review"] = MatchCandidate.objects.filter(
            status=MatchCandidate.Status.PENDING
        ).count()
    return render(request, "crm/home.html", context)
