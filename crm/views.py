"""Pages of the customer app: store home, customer search and page, cases, manager console."""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from crm.models import (
    Case,
    Customer,
    HubIdentifier,
    ImportBatch,
    Interaction,
    MatchCandidate,
    MergeEvent,
    Order,
)


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


@require_GET
@permission_required("crm.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    customers = Customer.objects.active().select_related("home_store")
    if query:
        customers = customers.search(query)
    page = Paginator(customers.order_by("last_name", "first_name", "pk"), 25).get_page(
        request.GET.get("page")
    )
    template = "crm/customer_list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, {"page": page, "query": query})


@require_GET
@permission_required("crm.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(
        Customer.objects.select_related("home_store", "merged_into").prefetch_related(
            "identities", "preferences", Prefetch("notes", to_attr="all_notes")
        ),
        pk=pk,
    )
    orders = (
        Order.objects.for_customer(customer)
        .select_related("store", "associate__user")
        .prefetch_related("lines")[:20]
    )
    consents = {}
    for entry in customer.consents.latest_per_purpose():
        consents.setdefault((entry.purpose, entry.channel), entry)
    return render(
        request,
        "crm/customer_detail.html",
        {"customer": customer, "orders": orders, "consents": consents.values()},
    )


@require_GET
@permission_required("crm.view_case", raise_exception=True)
def case_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    cases = Case.objects.select_related("customer", "assigned_to").order_by("-opened_at")
    if status == "open":
        cases = cases.filter(status__in=[Case.Status.OPEN, Case.Status.WAITING])
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    return render(request, "crm/case_list.html", {"page": page, "status": status})


@require_GET
@permission_required("crm.view_console", raise_exception=True)
def console(request: HttpRequest) -> HttpResponse:
    """The CRM manager's overview: imports, review queue, hub identifiers, recent merges."""
    customers = Customer.objects.aggregate(
        active=Count("pk", filter=Q(status=Customer.Status.ACTIVE)),
        merged=Count("pk", filter=Q(status=Customer.Status.MERGED)),
    )
    context = {
        "customers": customers,
        "imports": ImportBatch.objects.select_related("source")[:10],
        "pending_review": MatchCandidate.objects.filter(
            status=MatchCandidate.Status.PENDING
        ).count(),
        "hubs": HubIdentifier.objects.all()[:10],
        "merges": MergeEvent.objects.select_related("survivor", "performed_by")[:10],
    }
    return render(request, "crm/console.html", context)
