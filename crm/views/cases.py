"""Contact-center cases."""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm.models import Case


@require_GET
@permission_required("crm.view_case", raise_exception=True)
def case_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    cases = Case.objects.select_related("customer", "assigned_to").order_by("-opened_at")
    if status == "open":
        cases = cases.filter(status__in=[Case.Status.OPEN, Case.Status.WAITING])
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    return render(request, "crm/case_list.html", {"page": page, "status": status})
