"""The first page after login: today at my store, and what my role can do next."""

import datetime as dt

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from crm.models import Case, Customer, Interaction, MatchCandidate, Order
from stores.models import Store

FOLLOW_UPS_PER_KIND = 8
AT_RISK_SEGMENTS = ("At risk", "Can't lose them", "About to sleep")
RECENTLY_SERVED = 10


def follow_ups(*, store: Store, today: dt.date) -> dict[str, list]:
    """Today's reasons to call or greet customers of the store: birthdays, regulars at risk of
    leaving, and what customers wished for here lately."""
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
            .select_related("customer")
            .order_by("-occurred_at")[:FOLLOW_UPS_PER_KIND]
        ),
    }


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
