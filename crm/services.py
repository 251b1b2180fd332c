"""Writes and domain rules of the customer app that touch more than one field or row."""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import name_vocabulary
from crm.models import (
    Channel,
    Consent,
    Customer,
    Identity,
    Interaction,
    MatchCandidate,
    Note,
    Preference,
    Source,
    SourceRecord,
)
from stores.models import Associate, Product, Store

BOTTEGA_SOURCE = "bottega"  # the source of what associates capture (crm migration 0002)

# The golden fields a complete profile has, and what each is worth to an associate.
COMPLETENESS_WEIGHTS = {
    "first_name": 15,
    "last_name": 15,
    "email": 20,
    "phone": 20,
    "birth_date": 10,
    "city": 10,
    "home_store_id": 10,
}


def profile_completeness(customer: Customer) -> int:
    """Percent of the weighted golden fields that hold a value."""
    earned = sum(
        weight for field, weight in COMPLETENESS_WEIGHTS.items() if getattr(customer, field)
    )
    return round(100 * earned / sum(COMPLETENESS_WEIGHTS.values()))


def refresh_profile_completeness(*, customer: Customer) -> int:
    """Store the customer's profile completeness. Idempotent; writes one column."""
    customer.profile_completeness = profile_completeness(customer)
    Customer.objects.filter(pk=customer.pk).update(
        profile_completeness=customer.profile_completeness
    )
    return customer.profile_completeness


# --- Capture: what an associate records on the customer screen ------------------------------
#
# Values an associate types go in as records of the ``bottega`` source (docs/decisions.md), so
# the golden record stays a function of its source records and a merge or unmerge keeps them.


@dataclass(frozen=True)
class ContactCapture:
    """A phone number or e-mail added to a customer, and the other customers who hold it."""

    customer: Customer
    kind: str
    value: str
    record: SourceRecord
    others: list[Customer]


def bottega_source() -> Source:
    return Source.objects.get(code=BOTTEGA_SOURCE)


def add_note(
    *, customer: Customer, body: str, by: AbstractBaseUser, is_pinned: bool = False
) -> Note:
    """Add a note, written by ``by`` at their store. Not idempotent: two calls, two notes."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the note first.")})
    return Note.objects.create(
        customer=customer, author=by, store=_store_of(by), body=body, is_pinned=is_pinned
    )


def set_preference(
    *,
    customer: Customer,
    kind: str,
    value: str,
    by: AbstractBaseUser,
    is_dislike: bool = False,
) -> Preference:
    """Add a preference, or restate one the customer already has (then it is marked as
    declared now, by ``by``). Idempotent on (customer, kind, value), which the database keeps
    unique; a value is compared without regard to case and spaces."""
    value = " ".join(value.split())
    if kind not in Preference.Kind.values:
        raise ValidationError({"kind": _("Choose what kind of preference this is.")})
    if not value:
        raise ValidationError({"value": _("Say what the customer prefers.")})
    existing = Preference.objects.filter(customer=customer, kind=kind, value__iexact=value).first()
    values = {
        "value": value,
        "is_dislike": is_dislike,
        "is_declared": True,
        "captured_by": by,
        "captured_at": timezone.now(),
    }
    if existing is None:
        preference, _created = Preference.objects.update_or_create(
            customer=customer, kind=kind, value=value, defaults=values
        )
        return preference
    for field, field_value in values.items():
        setattr(existing, field, field_value)
    existing.save(update_fields=list(values))
    return existing


def remove_preference(*, preference: Preference) -> None:
    """Forget a preference the customer no longer has. Idempotent."""
    Preference.objects.filter(pk=preference.pk).delete()


@transaction.atomic
def add_contact_value(
    *, customer: Customer, kind: str, value: str, by: AbstractBaseUser
) -> ContactCapture:
    """Add a phone number or e-mail the customer gave, normalized, as a record of the
    ``bottega`` source, and recompute the golden record (the newest value becomes the one
    shown, as survivorship says). Says who else holds the value: the associate is told and may
    propose a merge. Adding a value the customer already has changes nothing."""
    from crm.identity import normalize, survivorship  # survivorship imports this module

    if kind == Identity.Kind.EMAIL:
        normalized = normalize.normalize_email(value)
        reason = _("This is not an e-mail address.")
    elif kind == Identity.Kind.PHONE:
        normalized = normalize.normalize_phone(value)
        reason = _("This is not a phone number.")
    else:
        raise ValidationError({"kind": _("Choose phone or e-mail.")})
    if not normalized:
        raise ValidationError({"value": reason})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    record = SourceRecord.objects.filter(customer=customer, **{kind: normalized}).first()
    if record is None:
        _keep_golden_values_on_a_record(customer, by=by)
        record = _bottega_record(customer, by=by, raw={kind: value}, **{kind: normalized})
        survivorship.recompute_golden_record(customer=customer)
    others = list(
        Customer.objects.active()
        .filter(
            Q(pk__in=Identity.objects.filter(kind=kind, value=normalized).values("customer"))
            | Q(**{kind: normalized})
        )
        .exclude(pk=customer.pk)
        .select_related("home_store")
    )
    return ContactCapture(
        customer=customer, kind=kind, value=normalized, record=record, others=others
    )


def propose_merge(
    *, customer: Customer, other: Customer, value: str, by: AbstractBaseUser
) -> MatchCandidate:
    """Ask a CRM manager whether ``customer`` and ``other`` are one person, because they share
    ``value``. Idempotent: the pair is proposed once (a rejected pair stays rejected)."""
    if customer.pk == other.pk:
        raise ValidationError(_("A customer cannot be merged with itself."))
    record = (
        SourceRecord.objects.filter(customer=customer)
        .filter(Q(email=value) | Q(phone=value))
        .order_by("-created_at", "-pk")
        .first()
    )
    if record is None:
        raise ValidationError(_("This customer does not hold that value."))
    candidate, _created = MatchCandidate.objects.get_or_create(
        source_record=record,
        customer=other,
        defaults={
            "score": 0.5,
            "evidence": {
                "proposed_by": by.get_username(),
                "shared_value": value,
                "reason": "an associate saw the value held by both",
            },
        },
    )
    return candidate


def record_consent(
    *,
    customer: Customer,
    purpose: str,
    channel: str,
    is_granted: bool,
    proof: str,
    by: AbstractBaseUser,
) -> Consent:
    """Append what the customer said to the consent ledger, with its proof. Never edits an
    earlier entry: the newest per purpose and channel is the state in force."""
    proof = proof.strip()
    errors = {}
    if purpose not in Consent.Purpose.values:
        errors["purpose"] = _("Choose what the consent is for.")
    if channel not in Consent.Medium.values:
        errors["channel"] = _("Choose the channel.")
    if not proof:
        errors["proof"] = _("Say how the customer gave it: form number, signed sheet…")
    if errors:
        raise ValidationError(errors)
    return Consent.objects.create(
        customer=customer,
        purpose=purpose,
        channel=channel,
        is_granted=is_granted,
        proof=proof,
        source=bottega_source(),
        captured_by=by,
    )


# What an associate logs by hand; the rest arrives from the channels.
LOGGED_BY_HAND = {
    Interaction.Kind.STORE_VISIT: Channel.STORE,
    Interaction.Kind.TRIED_ON: Channel.STORE,
    Interaction.Kind.WISHLIST: Channel.STORE,
    Interaction.Kind.CALL: Channel.PHONE,
    Interaction.Kind.EMAIL: Channel.EMAIL,
}


def log_interaction(
    *, customer: Customer, kind: str, by: AbstractBaseUser, text: str = "", product: str = ""
) -> Interaction:
    """Log what happened with the customer just now, at the associate's store. ``product``,
    the SKU on the item's label (any case), names the item it was about: a wish naming one is
    what the store home's "back in stock" follow-up looks for, as it does the app's wishes."""
    if kind not in LOGGED_BY_HAND:
        raise ValidationError({"kind": _("Choose what happened.")})
    payload = {}
    if sku := product.strip():
        found = Product.objects.filter(sku__iexact=sku).values_list("sku", flat=True).first()
        if found is None:
            unknown = _("“%(sku)s” is not in the catalogue: type the code on the label.")
            raise ValidationError({"product": ValidationError(unknown, params={"sku": sku})})
        payload["sku"] = found
    associate = _associate_of(by)
    return Interaction.objects.create(
        customer=customer,
        kind=kind,
        channel=LOGGED_BY_HAND[kind],
        store=associate.store if associate else None,
        associate=associate,
        text=text.strip(),
        payload=payload,
    )


@dataclass(frozen=True)
class Registration:
    customer: Customer
    is_new: bool  # False when the details were already a customer's (same card, e-mail…)


@transaction.atomic
def register_customer(
    *,
    first_name: str,
    last_name: str,
    by: AbstractBaseUser,
    email: str = "",
    phone: str = "",
    birth_date: dt.date | None = None,
    city: str = "",
) -> Registration:
    """Register a customer met in store, as a record of the ``bottega`` source resolved like
    any channel's: details that are already a customer's (an e-mail or mobile of someone with
    the same first name) join that customer instead of making a twin. Sets the home store to
    the associate's when the customer has none, and puts the names in the name vocabulary."""
    from crm.identity import normalize, resolve  # resolve imports this module's importers

    errors = {}
    first_name, last_name, city = (" ".join(v.split()) for v in (first_name, last_name, city))
    if not normalize.normalize_name(first_name):
        errors["first_name"] = _("Enter the first name.")
    if not normalize.normalize_name(last_name):
        errors["last_name"] = _("Enter the last name.")
    normalized_email = normalize.normalize_email(email) if email.strip() else ""
    normalized_phone = normalize.normalize_phone(phone) if phone.strip() else ""
    if email.strip() and not normalized_email:
        errors["email"] = _("This is not an e-mail address.")
    if phone.strip() and not normalized_phone:
        errors["phone"] = _("This is not a phone number.")
    if not email.strip() and not phone.strip():
        errors["phone"] = _("Enter a phone number or an e-mail, so we can find them again.")
    if birth_date and not dt.date(1900, 1, 1) <= birth_date <= timezone.localdate():
        errors["birth_date"] = _("This birth date is not possible.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    record = SourceRecord(
        source=bottega_source(),
        external_id=f"registration-{uuid.uuid4().hex}",
        raw={
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "birth_date": birth_date.isoformat() if birth_date else "",
            "city": city,
            "captured_by": by.get_username(),
        },
        first_name=first_name,
        last_name=last_name,
        email=normalized_email,
        phone=normalized_phone,
        birth_date=birth_date,
        city=city,
        seen_at=now,
    )
    resolve.resolve_records(records=[record])
    store = _store_of(by)
    if store is not None:
        Customer.objects.filter(pk=record.customer_id, home_store=None).update(home_store=store)
    customer = Customer.objects.get(pk=record.customer_id)
    # Typo search finds the name from now on, not only after the vocabulary's next refresh.
    name_vocabulary.add_names(names=[customer.first_name, customer.last_name])
    return Registration(customer=customer, is_new=record.match_rule == SourceRecord.MatchRule.NEW)


def _associate_of(user: AbstractBaseUser) -> Associate | None:
    return Associate.objects.filter(user=user).select_related("store").first()


def _store_of(user: AbstractBaseUser) -> Store | None:
    associate = _associate_of(user)
    return associate.store if associate else None


def _bottega_record(
    customer: Customer,
    *,
    by: AbstractBaseUser,
    raw: dict,
    seen_at: dt.datetime | None = None,
    **values: object,
) -> SourceRecord:
    now = timezone.now()
    return SourceRecord.objects.create(
        source=bottega_source(),
        external_id=f"capture-{uuid.uuid4().hex}",
        customer=customer,
        raw={**raw, "captured_by": by.get_username()},
        match_rule=SourceRecord.MatchRule.MANUAL,
        seen_at=seen_at or now,
        linked_at=now,
        **values,
    )


def _keep_golden_values_on_a_record(customer: Customer, *, by: AbstractBaseUser) -> None:
    """A customer with no source record (made by hand, before the channels) holds golden
    values nothing derives: put them on a record first, so the recompute keeps them."""
    if customer.source_records.exists():
        return
    fields = ("first_name", "last_name", "email", "phone", "birth_date", "street", "postcode")
    values = {field: getattr(customer, field) for field in (*fields, "city", "country")}
    # Dated when the customer joined, so "member since" and "most recent" still read true.
    since = customer.created_at
    if customer.member_since:
        since = min(
            since, timezone.make_aware(dt.datetime.combine(customer.member_since, dt.time()))
        )
    _bottega_record(customer, by=by, raw={"kept_from_golden_record": True}, seen_at=since, **values)
