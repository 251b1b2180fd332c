"""The CRM manager's console."""

from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm.models import Customer, HubIdentifier, ImportBatch, MatchCandidate, MergeEvent


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
