"""Pages of the campaigns app."""

from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaigns.models import Campaign


@require_GET
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = Campaign.objects.select_related("segment", "offer").annotate(
        targeted=Count("members", filter=Q(members__is_control=False)),
        held_back=Count("members", filter=Q(members__is_control=True)),
    )
    return render(request, "campaigns/campaign_list.html", {"campaigns": campaigns})
