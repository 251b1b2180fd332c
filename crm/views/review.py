"""The review queue: one doubtful pair at a time, accepted, rejected or skipped."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm import review
from crm.models import MatchCandidate, Source, SourceRecord


class QueueFilterForm(forms.Form):
    source = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    min_score = forms.FloatField(label=gettext_lazy("Score from"), required=False)
    max_score = forms.FloatField(label=gettext_lazy("Score up to"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(source.code, source.name) for source in Source.objects.order_by("name")]
        self.fields["source"].choices = [("", _("All channels")), *choices]

    def filters(self) -> dict:
        """The valid filters, as ``review.open_candidates`` takes them (invalid ones ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "source": data.get("source") or "",
            "min_score": data.get("min_score"),
            "max_score": data.get("max_score"),
        }


class BulkAcceptForm(forms.Form):
    min_score = forms.FloatField(label=gettext_lazy("Accept every pending pair scoring at least"))
    source = forms.CharField(required=False, widget=forms.HiddenInput)


DECISIONS = {"accept": review.accept, "reject": review.reject, "skip": review.skip}


@require_GET
@permission_required("crm.merge_customer", raise_exception=True)
def review_queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    template = "crm/review_queue.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#pair"
    return render(request, template, _queue_context(form))


@require_POST
@permission_required("crm.merge_customer", raise_exception=True)
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept, reject or skip one pair, then show the next (htmx) or go back to the queue."""
    candidate = get_object_or_404(MatchCandidate, pk=pk)
    decision = DECISIONS.get(request.POST.get("decision", ""))
    if decision is None:
        return HttpResponseBadRequest(_("Unknown decision."))
    try:
        decision(candidate=candidate, by=request.user)
    except ValidationError as error:
        notice, level = " ".join(error.messages), messages.ERROR
    else:
        notice, level = _decided_notice(candidate, request.POST["decision"]), messages.SUCCESS
    form = QueueFilterForm(request.POST)
    if request.htmx:
        context = _queue_context(form) | {
            "notice": notice,
            "notice_is_error": level == messages.ERROR,
        }
        return render(request, "crm/review_queue.html#pair", context)
    messages.add_message(request, level, notice)
    return redirect(_queue_url(form.filters()))


@require_http_methods(["GET", "POST"])
@permission_required("crm.merge_customer", raise_exception=True)
def review_bulk_accept(request: HttpRequest) -> HttpResponse:
    """Accept every pending pair above a score, after a page that says how many that is."""
    form = BulkAcceptForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return render(request, "crm/review_bulk_accept.html", {"form": form, "count": None})
    minimum, source = form.cleaned_data["min_score"], form.cleaned_data["source"]
    if request.method == "GET":
        count = review.pending_at_least(minimum_score=minimum, source=source).count()
        return render(request, "crm/review_bulk_accept.html", {"form": form, "count": count})
    result = review.accept_all_at_least(minimum_score=minimum, by=request.user, source=source)
    messages.success(
        request,
        _("%(accepted)d pairs accepted, %(merges)d merges made.")
        % {"accepted": result.accepted, "merges": result.merges},
    )
    for candidate, reason in result.failures:
        messages.error(
            request,
            _("Pair %(pair)s left open: %(reason)s")
            % {
                "pair": candidate.source_record,
                "reason": reason,
            },
        )
    return redirect(_queue_url({"source": source}))


def _queue_context(form: QueueFilterForm) -> dict:
    filters = form.filters()
    candidates = review.open_candidates(**filters)
    counts = candidates.aggregate(
        pending=Count("pk", filter=Q(status=MatchCandidate.Status.PENDING)),
        skipped=Count("pk", filter=Q(status=MatchCandidate.Status.SKIPPED)),
    )
    candidate = candidates.select_related(
        "source_record__source",
        "source_record__customer__merged_into",
        "customer__merged_into",
    ).first()
    context: dict = {"form": form, "filters": filters, "counts": counts, "pair": None}
    if candidate is None:
        return context
    pair = review.Pair.of(candidate)
    customer_pks = {pair.customer.pk} | (
        {pair.record_customer.pk} if pair.record_customer else set()
    )
    records = SourceRecord.objects.filter(customer__in=customer_pks).select_related("source")
    survivor = None
    if pair.record_customer and not pair.is_together:
        survivor, _absorbed = review.survivor_of(pair.record_customer, pair.customer)
    evidence = candidate.evidence or {}
    context |= {
        "pair": pair,
        "record": candidate.source_record,
        "rows": review.compare(
            record=candidate.source_record, customer=pair.customer, evidence=evidence
        ),
        "evidence": evidence,
        "customer_records": [r for r in records if r.customer_id == pair.customer.pk],
        "coming_along": [
            r
            for r in records
            if pair.record_customer
            and r.customer_id == pair.record_customer.pk
            and not pair.is_together
        ],
        "survivor": survivor,
    }
    return context


def _decided_notice(candidate: MatchCandidate, decision: str) -> str:
    record = candidate.source_record
    if decision == "accept":
        return _("Accepted: %(record)s is now the same customer.") % {"record": record}
    if decision == "reject":
        return _("Rejected: %(record)s will not be proposed for this customer again.") % {
            "record": record
        }
    return _("Skipped: %(record)s moved to the back of the queue.") % {"record": record}


def _queue_url(filters: dict) -> str:
    query = urlencode({key: value for key, value in filters.items() if value not in ("", None)})
    url = reverse("crm:review-queue")
    return f"{url}?{query}" if query else url
