"""Finding a customer and the customer page."""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from crm.models import Customer, Order


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
