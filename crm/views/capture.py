"""Capture on the customer screen: a note, a preference, a phone or e-mail, a consent, an
interaction, and registering a new customer.

Each form posts with htmx and gets its own partial back: empty with a "saved" line after a
write, plus an event that the region showing that data listens to and refetches on; or, when
the input is refused, the same form with what was typed and the reason beside the field
(status 200, so htmx swaps it). Without JavaScript the forms post and redirect the same way.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from crm import forms, services
from crm.models import Customer, Preference
from crm.views.customers import CustomerPage

TEMPLATE = "crm/customer_detail.html"


def _capture(
    request: HttpRequest,
    pk: int,
    *,
    name: str,
    form_class: type[Form],
    save: Callable[[Customer, dict], object],
    event: str,
) -> HttpResponse:
    """Validate the form, call the service, and answer with the form's partial."""
    customer = get_object_or_404(Customer.objects.active(), pk=pk)
    form = form_class(request.POST, auto_id=f"id_{name}_%s")
    saved = None
    if form.is_valid():
        try:
            saved = save(customer, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
    bound = {name: form} if form.errors else {}
    if not request.htmx:
        if form.errors:
            page = CustomerPage(request, customer, forms_bound=bound)
            return render(request, TEMPLATE, page.context())
        return redirect("crm:customer-detail", pk=customer.pk)
    page = CustomerPage(request, customer, forms_bound=bound)
    response = render(
        request, f"{TEMPLATE}#{name}-form", page.context(saved=saved, saved_form=name)
    )
    if not form.errors:
        trigger_client_event(response, event)
    return response


@require_POST
@permission_required("crm.add_note", raise_exception=True)
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _capture(
        request,
        pk,
        name="note",
        form_class=forms.NoteForm,
        save=lambda customer, data: services.add_note(customer=customer, by=request.user, **data),
        event="notes-changed",
    )


@require_POST
@permission_required("crm.add_preference", raise_exception=True)
def set_preference(request: HttpRequest, pk: int) -> HttpResponse:
    return _capture(
        request,
        pk,
        name="preference",
        form_class=forms.PreferenceForm,
        save=lambda customer, data: services.set_preference(
            customer=customer, by=request.user, **data
        ),
        event="preferences-changed",
    )


@require_POST
@permission_required("crm.delete_preference", raise_exception=True)
def remove_preference(request: HttpRequest, pk: int, preference_pk: int) -> HttpResponse:
    preference = get_object_or_404(Preference, pk=preference_pk, customer_id=pk)
    services.remove_preference(preference=preference)
    if not request.htmx:
        return redirect("crm:customer-detail", pk=pk)
    response = HttpResponse(status=204)
    trigger_client_event(response, "preferences-changed")
    return response


@require_POST
@permission_required("crm.add_identity", raise_exception=True)
def add_contact(request: HttpRequest, pk: int) -> HttpResponse:
    return _capture(
        request,
        pk,
        name="contact",
        form_class=forms.ContactForm,
        save=lambda customer, data: services.add_contact_value(
            customer=customer, by=request.user, **data
        ),
        event="contacts-changed",
    )


@require_POST
@permission_required("crm.add_identity", raise_exception=True)
def propose_merge(request: HttpRequest, pk: int, other_pk: int) -> HttpResponse:
    """Ask a manager whether two customers sharing a phone or e-mail are one person."""
    customer = get_object_or_404(Customer.objects.active(), pk=pk)
    other = get_object_or_404(Customer.objects.active(), pk=other_pk)
    try:
        services.propose_merge(
            customer=customer, other=other, value=request.POST.get("value", ""), by=request.user
        )
    except ValidationError as error:
        return render(request, f"{TEMPLATE}#proposal", {"error": error, "other": other})
    if not request.htmx:
        return redirect("crm:customer-detail", pk=pk)
    return render(request, f"{TEMPLATE}#proposal", {"proposed": True, "other": other})


@require_POST
@permission_required("crm.add_consent", raise_exception=True)
def record_consent(request: HttpRequest, pk: int) -> HttpResponse:
    return _capture(
        request,
        pk,
        name="consent",
        form_class=forms.ConsentForm,
        save=lambda customer, data: services.record_consent(
            customer=customer, by=request.user, **data
        ),
        event="consents-changed",
    )


@require_POST
@permission_required("crm.add_interaction", raise_exception=True)
def log_interaction(request: HttpRequest, pk: int) -> HttpResponse:
    return _capture(
        request,
        pk,
        name="interaction",
        form_class=forms.InteractionForm,
        save=lambda customer, data: services.log_interaction(
            customer=customer, by=request.user, **data
        ),
        event="timeline-changed",
    )


@require_http_methods(["GET", "POST"])
@permission_required("crm.add_customer", raise_exception=True)
def register_customer(request: HttpRequest) -> HttpResponse:
    """A new customer in under 30 seconds; possible duplicates are shown while typing."""
    form = forms.RegistrationForm(request.POST or None, initial=_initial_from(request.GET))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        consent = data.pop("marketing_consent")
        try:
            registration = services.register_customer(by=request.user, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if consent:
                services.record_consent(
                    customer=registration.customer,
                    purpose="marketing",
                    channel="email",
                    is_granted=True,
                    proof=f"Registration in store by {request.user.get_username()}",
                    by=request.user,
                )
            url = reverse("crm:customer-detail", args=[registration.customer.pk])
            if not registration.is_new:
                url += "?known=1"
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = "crm/customer_register.html"
    if request.htmx:
        template += "#form"
    return render(request, template, {"form": form})


def _initial_from(params) -> dict:
    """A search that found nobody offers to register them: carry what was typed over."""
    query = params.get("q", "").strip()
    if not query:
        return {}
    if "@" in query:
        return {"email": query}
    if sum(char.isdigit() for char in query) >= 6:
        return {"phone": query}
    first, _, last = query.partition(" ")
    return {"first_name": first.title(), "last_name": last.title()}


@require_GET
@permission_required("crm.view_customer", raise_exception=True)
def possible_duplicates(request: HttpRequest) -> HttpResponse:
    """Who the person being registered may already be, checked as the associate types."""
    typed = {
        field: request.GET.get(field, "") for field in ("first_name", "last_name", "email", "phone")
    }
    duplicates = list(
        Customer.objects.active()
        .possible_duplicates(**typed)
        .select_related("home_store")
        .order_by("last_name", "first_name", "pk")[:5]
    )
    return render(request, "crm/customer_register.html#duplicates", {"duplicates": duplicates})
