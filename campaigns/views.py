"""Pages of the campaigns app."""

from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from campaigns import suggestions
from campaigns.models import Campaign
from crm.models import Customer


@require_GET
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = Campaign.objects.select_related("segment", "offer").annotate(
        targeted=Count("members", filter=Q(members__is_control=False)),
        held_back=Count("members", filter=Q(members__is_control=True)),
    )
    return render(request, "campaigns/campaign_list.html", {"campaigns": campaigns})


@require_GET
@permission_required("crm.view_customer", raise_exception=True)
def customer_suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    """The suggestions panel of the customer page, which loads it from here with htmx."""
    customer = get_object_or_404(Customer, pk=pk)
    return render(
        request,
        "campaigns/customer_suggestions.html",
        {"customer": customer, "suggestions": suggestions.suggestions_for(customer=customer)},
    )


@require_GET
@permission_required("crm.view_customer", raise_exception=True)
def repurchase_due(request: HttpRequest) -> HttpResponse:
    """The store home's "due to buy again" panel, which the home loads from here with htmx:
    customers of the associate's store whose refill is due by their own rhythm."""
    associate = getattr(request.user, "associate", None)
    due = suggestions.due_for_repurchase(store=associate.store) if associate else []
    return render(request, "campaigns/repurchase_due.html", {"due": due})
