"""Finding a customer and the customer page.

The page is one template (``crm/customer_detail.html``) whose regions are named partials. Each
region reads its data from a ``CustomerPage`` property, evaluated only when the region is
rendered, so a region htmx refreshes after a capture costs only its own queries.
"""

import datetime as dt
import operator
from functools import cached_property, reduce

from django.contrib.auth.decorators import permission_required
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from crm import forms
from crm.identity import merge
from crm.models import (
    Channel,
    Consent,
    Customer,
    Identity,
    Interaction,
    Note,
    Order,
    OrderLine,
    Preference,
    SourceRecord,
)

# The capture forms on the page, by name (their partial is "<name>-form").
CAPTURE_FORMS = {
    "note": forms.NoteForm,
    "preference": forms.PreferenceForm,
    "contact": forms.ContactForm,
    "consent": forms.ConsentForm,
    "interaction": forms.InteractionForm,
}
# What the timeline can be filtered by.
TIMELINE_CHOICES = {
    "channel_choices": list(forms.CHANNEL_LABELS.items()),
    "interaction_choices": list(forms.INTERACTION_LABELS.items()),
}
RESULTS_PER_PAGE = 25
# What a row of results shows (crm/customer_list.html): reading only these keeps the rows of a
# common name cheap to fetch and build.
RESULT_FIELDS = (
    *("first_name", "last_name", "email", "company_name", "rfm_segment", "city", "birth_date"),
    *("phone", "last_seen_at", "home_store"),
)
ORDERS_PER_PAGE = 10
TIMELINE_PER_PAGE = 20


@require_GET
@permission_required("crm.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    """Search as you type; Enter on a scanned card (or any identifier one customer holds)
    opens that customer."""
    query = request.GET.get("q", "").strip()
    rows = []  # nothing typed yet: the page invites a search
    if query:
        found = (
            Customer.objects.active()
            .search(query)
            .select_related("home_store")
            .only(*RESULT_FIELDS, "home_store__name")
        )
        # Unordered in SQL, so a name thousands share ("rossi") stops reading at the limit
        # instead of sorting every match; the associate is asked to type more.
        rows = sorted(
            found.order_by()[: RESULTS_PER_PAGE + 1],
            key=lambda customer: (customer.last_name, customer.first_name, customer.pk),
        )
    if query and not request.htmx and len(rows) == 1 and _is_identifier(query):
        return redirect("crm:customer-detail", pk=rows[0].pk)
    today = timezone.localdate()
    for customer in rows:
        customer.age_band = age_band(customer.birth_date, today)
    context = {
        "customers": rows[:RESULTS_PER_PAGE],
        "has_more": len(rows) > RESULTS_PER_PAGE,
        "query": query,
    }
    template = "crm/customer_list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


def age_band(birth_date: dt.date | None, today: dt.date) -> str:
    """The decade of life ("40–49"): enough to tell two namesakes apart, no more."""
    if birth_date is None:
        return ""
    age = (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
    if age < 18:
        return "<18"
    start = age // 10 * 10
    return f"{start}–{start + 9}"


def _is_identifier(query: str) -> bool:
    return "@" in query or sum(char.isdigit() for char in query) >= 6


class CustomerPage:
    """What the customer page shows, read lazily: a property runs its queries the first time a
    template region uses it, and a fixed number of them whatever the customer's history."""

    def __init__(
        self, request: HttpRequest, customer: Customer, *, forms_bound: dict | None = None
    ):
        self.request = request
        self.customer = customer
        self.forms = {
            name: form_class(auto_id=f"id_{name}_%s") for name, form_class in CAPTURE_FORMS.items()
        }
        self.forms.update(forms_bound or {})

    @classmethod
    def load(cls, request: HttpRequest, pk: int, **kwargs) -> "CustomerPage":
        customer = get_object_or_404(
            Customer.objects.select_related("home_store", "merged_into"), pk=pk
        )
        return cls(request, customer, **kwargs)

    def context(self, **extra) -> dict:
        return {
            "customer": self.customer,
            "page": self,
            **TIMELINE_CHOICES,
            **self.forms_context(),
            **extra,
        }

    def forms_context(self) -> dict:
        return {f"{name}_form": form for name, form in self.forms.items()}

    @cached_property
    def channels(self) -> list[str]:
        """The channels this customer used, from their source records."""
        used = (
            SourceRecord.objects.filter(customer=self.customer)
            .order_by()
            .values_list("source__channel", flat=True)
            .distinct()
        )
        return sorted(str(forms.CHANNEL_LABELS.get(channel, channel)) for channel in used)

    @property
    def last_channel(self) -> str:
        channel = self.customer.last_channel
        return str(forms.CHANNEL_LABELS.get(channel, channel)) if channel else ""

    @cached_property
    def contacts(self) -> list[dict]:
        """E-mail and phone in force, and the channel record each came from (one query)."""
        provenance = self.customer.provenance or {}
        shown = [
            (field, getattr(self.customer, field), provenance.get(field) or {})
            for field in ("email", "phone")
            if getattr(self.customer, field)
        ]
        origins = _origin_records([origin for _field, _value, origin in shown])
        return [
            {
                "label": forms.LABELS[field],
                "value": value,
                "origin": origins.get(_origin_key(origin)),
            }
            for field, value, origin in shown
        ]

    @cached_property
    def identities(self) -> list[Identity]:
        return list(
            Identity.objects.filter(customer=self.customer)
            .select_related("source_record__source")
            .order_by("kind", "value")
        )

    @cached_property
    def consents(self) -> list[Consent]:
        state = merge.consent_state(customer=self.customer)
        return [state[key] for key in sorted(state)]

    @cached_property
    def not_to_propose(self) -> list[str]:
        """Purposes with no grant in force on any channel: what may not be proposed."""
        granted = {consent.purpose for consent in self.consents if consent.is_granted}
        return [
            str(forms.PURPOSE_LABELS[purpose])
            for purpose in Consent.Purpose.values
            if purpose not in granted
        ]

    @cached_property
    def preferences(self) -> list[Preference]:
        return list(
            Preference.objects.filter(customer=self.customer)
            .select_related("captured_by")
            .order_by("kind", "value")
        )

    @cached_property
    def notes(self) -> list[Note]:
        return list(
            Note.objects.filter(customer=self.customer)
            .select_related("author", "store")
            .order_by("-is_pinned", "-created_at", "-pk")[:50]
        )

    @cached_property
    def orders(self) -> "OrdersPage":
        return OrdersPage.of(self.customer, page=1)

    @cached_property
    def timeline(self) -> "TimelinePage":
        return TimelinePage.of(self.customer, self.request.GET)


class OrdersPage:
    """One page of a customer's purchases, newest first, with their lines, store and
    associate: three queries, whatever the number of orders."""

    def __init__(self, orders: list[Order], number: int, has_next: bool):
        self.orders, self.number, self.has_next = orders, number, has_next

    @classmethod
    def of(cls, customer: Customer, *, page: int) -> "OrdersPage":
        start = (page - 1) * ORDERS_PER_PAGE
        rows = list(
            Order.objects.for_customer(customer)
            .select_related("store", "associate__user")
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=OrderLine.objects.order_by("line_number"),
                )
            )[start : start + ORDERS_PER_PAGE + 1]
        )
        return cls(rows[:ORDERS_PER_PAGE], page, len(rows) > ORDERS_PER_PAGE)

    @property
    def next_number(self) -> int:
        return self.number + 1


class TimelinePage:
    """Interactions newest first, filtered by channel and kind, a page at a time: the next page
    starts before the oldest one shown (a keyset, so a long history costs the same)."""

    def __init__(self, interactions: list[Interaction], filters: dict, has_next: bool):
        self.interactions, self.filters, self.has_next = interactions, filters, has_next

    @classmethod
    def of(cls, customer: Customer, params) -> "TimelinePage":
        filters = {
            "channel": params.get("channel", "") if params.get("channel") in Channel.values else "",
            "kind": params.get("kind", "") if params.get("kind") in Interaction.Kind.values else "",
        }
        rows: QuerySet = Interaction.objects.filter(customer=customer)
        if filters["channel"]:
            rows = rows.filter(channel=filters["channel"])
        if filters["kind"]:
            rows = rows.filter(kind=filters["kind"])
        before = _parse_cursor(params.get("before", ""))
        if before is not None:
            rows = rows.filter(occurred_at__lt=before)
        found = list(
            rows.select_related("store", "associate__user").order_by("-occurred_at", "-pk")[
                : TIMELINE_PER_PAGE + 1
            ]
        )
        return cls(found[:TIMELINE_PER_PAGE], filters, len(found) > TIMELINE_PER_PAGE)

    @property
    def cursor(self) -> str:
        return self.interactions[-1].occurred_at.isoformat() if self.interactions else ""


def _parse_cursor(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


def _origin_key(provenance: dict) -> tuple:
    """Provenance names its record by id (survivorship) or by source and external id (the
    demo's golden records)."""
    if provenance.get("source_record"):
        return ("pk", provenance["source_record"])
    return ("external", provenance.get("source", ""), provenance.get("external_id", ""))


def _origin_records(provenances: list[dict]) -> dict[tuple, SourceRecord]:
    """The source records that provenance entries name, by ``_origin_key``."""
    conditions = []
    for provenance in provenances:
        key = _origin_key(provenance)
        if key[0] == "pk":
            conditions.append(Q(pk=key[1]))
        elif key[1] and key[2]:
            conditions.append(Q(source__code=key[1], external_id=key[2]))
    if not conditions:
        return {}
    records = SourceRecord.objects.filter(reduce(operator.or_, conditions)).select_related("source")
    found = {}
    for record in records:
        found[("pk", record.pk)] = record
        found[("external", record.source.code, record.external_id)] = record
    return found


@require_GET
@permission_required("crm.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = CustomerPage.load(request, pk)
    return render(request, "crm/customer_detail.html", page.context())


# The regions of the customer page that refetch themselves after a capture.
SECTIONS = frozenset({"contacts", "consents", "preferences", "notes", "timeline", "head"})


@require_GET
@permission_required("crm.view_customer", raise_exception=True)
def customer_section(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    if section not in SECTIONS:
        raise Http404("No such section.")
    page = CustomerPage.load(request, pk)
    return render(request, f"crm/customer_detail.html#{section}", page.context())


@require_GET
@permission_required("crm.view_customer", raise_exception=True)
def customer_orders(request: HttpRequest, pk: int) -> HttpResponse:
    """The next page of purchases, appended as the associate scrolls."""
    customer = get_object_or_404(Customer, pk=pk)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    orders = OrdersPage.of(customer, page=number)
    return render(
        request, "crm/customer_detail.html#order-rows", {"customer": customer, "orders": orders}
    )


@require_GET
@permission_required("crm.view_customer", raise_exception=True)
def customer_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline: a whole filtered timeline, or (with ``before``) its next rows."""
    customer = get_object_or_404(Customer, pk=pk)
    timeline = TimelinePage.of(customer, request.GET)
    partial = "timeline-rows" if request.GET.get("before") else "timeline"
    return render(
        request,
        f"crm/customer_detail.html#{partial}",
        {
            "customer": customer,
            "page": {"timeline": timeline},
            "timeline": timeline,
            **TIMELINE_CHOICES,
        },
    )
