"""The first page after login: today at my store, and what my role can do next."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from crm.models import Case, Customer, Interaction, MatchCandidate, Order


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
        context["recent_orders"] = (
            Order.objects.filter(associate__user=request.user)
            .select_related("customer", "store")
            .order_by("-ordered_at")[:10]
        )
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
