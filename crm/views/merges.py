"""Merging customers by hand, the merge history with its undo, and detaching a record."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from crm import review
from crm.identity import merge
from crm.models import Customer, MergeEvent, SourceRecord


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why"),
        max_length=255,
        help_text=gettext_lazy("Kept with the event in the merge history."),
    )


class OptionalReasonForm(ReasonForm):
    reason = forms.CharField(label=gettext_lazy("Why (optional)"), max_length=255, required=False)


@require_GET
@permission_required("crm.merge_customer", raise_exception=True)
def merge_search(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Merge with…": find the other customer."""
    customer = get_object_or_404(Customer, pk=pk)
    query = request.GET.get("q", "").strip()
    results = []
    if query:
        found = Customer.objects.active().search(query).exclude(pk=customer.pk)
        results = list(found.order_by("last_name", "first_name", "pk")[:20])
    template = "crm/merge_search.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    return render(request, template, {"customer": customer, "query": query, "results": results})


@require_http_methods(["GET", "POST"])
@permission_required("crm.merge_customer", raise_exception=True)
def merge_preview(request: HttpRequest, pk: int, other_pk: int) -> HttpResponse:
    """Both golden records and the survivor's, computed without writing; confirm merges."""
    first = get_object_or_404(Customer, pk=pk)
    second = get_object_or_404(Customer.objects.exclude(pk=pk), pk=other_pk)
    survivor, other = review.survivor_of(first, second)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # Named before the merge: recomputing the survivor may change its name.
        names = {"other": other, "other_pk": other.pk, "survivor": str(survivor), "pk": survivor.pk}
        try:
            merge.merge_customers(
                survivor=survivor, other=other, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("%(other)s (#%(other_pk)d) merged into %(survivor)s (#%(pk)d).") % names
            )
            return redirect("crm:customer-detail", pk=survivor.pk)
    context = {
        "first": first,
        "second": second,
        "survivor": survivor,
        "other": other,
        "rows": review.merge_preview(first=first, second=second),
        "form": form,
    }
    return render(request, "crm/merge_preview.html", context)


@require_GET
@permission_required("crm.merge_customer", raise_exception=True)
def merge_history(request: HttpRequest) -> HttpResponse:
    events = MergeEvent.objects.select_related(
        "survivor", "other", "performed_by", "undone_by__performed_by", "undoes"
    ).order_by("-performed_at", "-pk")
    customer = None
    if customer_pk := request.GET.get("customer", "").strip():
        customer = get_object_or_404(Customer, pk=customer_pk) if customer_pk.isdigit() else None
        if customer is not None:
            events = events.filter(Q(survivor=customer) | Q(other=customer))
    page = Paginator(events, 25).get_page(request.GET.get("page"))
    return render(request, "crm/merge_history.html", {"page": page, "customer": customer})


@require_http_methods(["GET", "POST"])
@permission_required("crm.merge_customer", raise_exception=True)
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then undo a merge; a refusal (undone already…) comes back as a message."""
    event = get_object_or_404(
        MergeEvent.objects.select_related("survivor", "other", "performed_by"), pk=pk
    )
    form = OptionalReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            merge.unmerge(event=event, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Merge undone: %(other)s (#%(pk)d) is a customer of its own again.")
                % {"other": event.other, "pk": event.other_id},
            )
        return redirect("crm:merge-history")
    return render(request, "crm/merge_undo.html", {"event": event, "form": form})


@require_http_methods(["GET", "POST"])
@permission_required("crm.merge_customer", raise_exception=True)
def record_detach(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then split one source record off its customer into a new customer."""
    record = get_object_or_404(SourceRecord.objects.select_related("source", "customer"), pk=pk)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            event = merge.detach_source_record(
                record=record, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(record)s is now a customer of its own (#%(pk)d).")
                % {"record": record, "pk": event.other_id},
            )
            return redirect("crm:customer-detail", pk=event.survivor_id)
    return render(request, "crm/merge_detach.html", {"record": record, "form": form})


@require_GET
@permission_required("crm.merge_customer", raise_exception=True)
def customer_records(request: HttpRequest, pk: int) -> HttpResponse:
    """A customer's source records (each can be detached) and the merges into it that can be
    undone: a page of its own, and the panel the customer page loads."""
    customer = get_object_or_404(Customer, pk=pk)
    records = list(customer.source_records.select_related("source").order_by("source", "pk"))
    merges = MergeEvent.objects.filter(
        survivor=customer, kind=MergeEvent.Kind.MERGE, undone_by__isnull=True
    ).select_related("other", "performed_by")
    template = "crm/merge_records.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#panel"
    context = {"customer": customer, "records": records, "merges": merges}
    return render(request, template, context)
