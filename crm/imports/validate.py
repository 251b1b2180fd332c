"""Row checks: a canonical row in, clean values or the reasons it was rejected out.

Reasons are written for the CRM manager who will fix the file, not for a developer: they name
the value, say what is wrong and, where it helps, what would be right. Checks that need the
database (is this store known? this customer?) happen where the rows are loaded.

The rules, in short (docs/imports.md has them all):

- people: ``external_id`` is required; a birth date or ``created_at`` that is given but cannot be
  read rejects the row; so does a row that names nobody (no name, e-mail, phone or card). An
  e-mail or phone that is not valid is *not* a reason to reject: it is left out of matching and
  of the golden record, and stays in the record's raw row.
- orders: ``external_id``, ``customer_external_id``, ``ordered_at``, ``sku`` and ``unit_price``
  are required; quantity is a positive number (a return is a status, not a negative line);
  unit price is zero or more; status is one Bottega knows.
- interactions: ``external_id``, ``customer_external_id``, ``kind`` and ``occurred_at`` are
  required; kind is one Bottega knows.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.utils import timezone, translation

from crm.identity import normalize
from crm.models import Consent, Interaction, Order


@dataclass(frozen=True)
class Rejection:
    column: str
    reason: str


@dataclass
class PersonRow:
    number: int
    external_id: str
    fields: dict  # SourceRecord field → value
    first_name_key: str  # the first name in comparison form
    phone_kind: str
    seen_at: dt.datetime | None
    consents: dict[tuple[str, str], bool]  # (purpose, medium) → granted
    raw: dict


@dataclass
class OrderLineRow:
    number: int
    external_id: str
    customer_external_id: str
    store_code: str
    associate_code: str
    ordered_at: dt.datetime
    sku: str
    product_name: str
    quantity: Decimal
    unit_price: Decimal
    currency: str
    status: str
    raw: dict


@dataclass
class InteractionRow:
    number: int
    external_id: str
    customer_external_id: str
    kind: str
    occurred_at: dt.datetime
    store_code: str
    associate_code: str
    text: str
    value: Decimal | None
    payload: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)


CONSENT_COLUMNS = {
    "consent_email": (Consent.Purpose.MARKETING, Consent.Medium.EMAIL),
    "consent_sms": (Consent.Purpose.MARKETING, Consent.Medium.SMS),
    "consent_profiling": (Consent.Purpose.PROFILING, Consent.Medium.ANY),
}

ORDER_STATUSES = {
    **dict.fromkeys(("", "completed", "complete", "paid", "closed", "done", "ok"), "completed"),
    **dict.fromkeys(("evaso", "pagato", "concluso", "chiuso"), "completed"),
    **dict.fromkeys(("pending", "open", "new", "processing", "in attesa", "aperto"), "pending"),
    **dict.fromkeys(("cancelled", "canceled", "void", "voided", "annullato"), "cancelled"),
    **dict.fromkeys(("returned", "refunded", "reso", "rimborsato"), "returned"),
    **dict.fromkeys(("partially_returned", "partial_return", "partially returned"), "partial"),
    **dict.fromkeys(("reso parziale", "parzialmente reso"), "partial"),
}  # fmt: skip
ORDER_STATUSES = {
    text: "partially_returned" if status == "partial" else status
    for text, status in ORDER_STATUSES.items()
}

# The labels as written in English, whatever language the process or request has active (the
# model's labels are translated lazily).
with translation.override("en"):
    _KIND_LABELS = {str(label).lower(): value for value, label in Interaction.Kind.choices}
INTERACTION_KINDS = {
    **{value: value for value in Interaction.Kind.values},
    **_KIND_LABELS,
    **dict.fromkeys(("visit", "shop_visit", "visita"), Interaction.Kind.STORE_VISIT),
    **dict.fromkeys(("checkin", "check-in"), Interaction.Kind.CHECK_IN),
    **dict.fromkeys(("web", "web_session", "session"), Interaction.Kind.WEB_VISIT),
    **dict.fromkeys(("abandoned_cart", "cart"), Interaction.Kind.CART_ABANDONED),
    **dict.fromkeys(("app", "app_open"), Interaction.Kind.APP_SESSION),
    **dict.fromkeys(("phone_call", "telefonata", "chiamata"), Interaction.Kind.CALL),
}


def _clean(value: str | None) -> str:
    return " ".join(str(value or "").split())


def display_name(value: str, limit: int = 80) -> str:
    """A name as a person reads it: spaces collapsed, SHOUTED names in title case."""
    text = _clean(value)
    return (text.title() if text.isupper() else text)[:limit]


_DAY_FIRST = re.compile(
    r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?"
)


def parse_timestamp(value: str, zone: dt.tzinfo | None = None) -> dt.datetime | None:
    """A moment from the ways channels write one: ISO 8601 (with or without time and offset,
    "Z" too) or day first ("25/02/2025 17:18:18", "25.02.2025 17:18", "25-02-2025"). Without an
    offset it is read in ``zone`` (by default the current time zone: the chain's). None when
    it is not a real moment."""
    text = _clean(value)
    if not text:
        return None
    # Looking the current zone up costs more than parsing: batches pass it once for all rows.
    return _timestamp(text, zone or timezone.get_current_timezone())


# An order's lines repeat its moment, and a file repeats its prices and quantities: each text
# is parsed once. The results are immutable, so sharing them is safe.
@lru_cache(maxsize=65_536)
def _timestamp(text: str, zone: dt.tzinfo) -> dt.datetime | None:
    # Day first is tried first: no ISO 8601 text starts with a one- or two-digit number and a
    # separator, and a failed ``fromisoformat`` raises, which costs four times the match.
    try:
        if match := _DAY_FIRST.fullmatch(text):
            day, month, year, hour, minute, second = match.groups()
            # Written without an offset: in the zone, with no need to ask (asking a datetime
            # for its offset costs as much as building it).
            return dt.datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                int(second or 0), tzinfo=zone,
            )  # fmt: skip
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, zone)
    return moment


def parse_decimal(value: str) -> Decimal | None:
    """A number written the English or the Italian way ("1,234.50", "1.234,50", "19,90")."""
    return _decimal(_clean(value))


@lru_cache(maxsize=65_536)
def _decimal(text: str) -> Decimal | None:
    text = text.replace(" ", "").replace("€", "").replace("'", "")
    if not text:
        return None
    if "," in text and "." in text:
        thousands = "," if text.rfind(".") > text.rfind(",") else "."
        text = text.replace(thousands, "")
    text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def validate_person(
    number: int, row: dict, raw: dict, *, zone: dt.tzinfo | None = None
) -> PersonRow | list[Rejection]:
    rejections = []
    external_id = _clean(row.get("external_id"))
    if not external_id:
        rejections.append(
            Rejection("external_id", "The external id is empty: every row needs one.")
        )
    elif len(external_id) > 100:
        rejections.append(
            Rejection("external_id", "The external id is longer than 100 characters.")
        )
    person = normalize.normalize_person(row)
    birth_text = _clean(row.get("birth_date"))
    if birth_text and person.birth_date is None:
        rejections.append(
            Rejection(
                "birth_date",
                f"“{birth_text}” is not a birth date we can read (a real date in the past, "
                "written like 17/05/1985 or 1985-05-17).",
            )
        )
    created_text = _clean(row.get("created_at"))
    seen_at = parse_timestamp(created_text, zone)
    if created_text and seen_at is None:
        rejections.append(
            Rejection(
                "created_at",
                f"“{created_text}” is not a date and time we can read "
                "(write it like 2025-02-25 17:18 or 25/02/2025 17:18).",
            )
        )
    first_name = display_name(row.get("first_name"))
    last_name = display_name(row.get("last_name"))
    if not (first_name or last_name or person.email or person.phone or person.loyalty_card):
        rejections.append(
            Rejection("", "The row names nobody: no name, valid e-mail, valid phone or card.")
        )
    if rejections:
        return rejections
    consents = {}
    for column, purpose_and_medium in CONSENT_COLUMNS.items():
        answer = normalize.parse_yes_no(row.get(column) or "")
        if answer is not None:
            consents[purpose_and_medium] = answer
    return PersonRow(
        number=number,
        external_id=external_id,
        fields={
            "first_name": first_name,
            "last_name": last_name,
            "email": person.email,
            "phone": person.phone,
            "birth_date": person.birth_date,
            "street": _clean(row.get("street"))[:200],
            "postcode": person.postcode[:12],
            "city": display_name(row.get("city")),
            "country": person.country[:2],
            "loyalty_card": person.loyalty_card[:40],
            "seen_at": seen_at,
        },
        first_name_key=person.first_name,
        phone_kind=person.phone_kind,
        seen_at=seen_at,
        consents=consents,
        raw=raw,
    )


_CURRENCY = re.compile(r"[A-Z]{3}")
THOUSANDTH, CENT = Decimal("0.001"), Decimal("0.01")


def validate_order_line(
    number: int, row: dict, raw: dict, *, zone: dt.tzinfo | None = None
) -> OrderLineRow | list[Rejection]:
    # About 200,000 lines a minute go through here: each cell is cleaned once, and the checks
    # of a quantity, a price and a currency are worked out once per distinct text (cached).
    get = row.get
    external_id = _clean(get("external_id"))
    customer_external_id = _clean(get("customer_external_id"))
    ordered_text = _clean(get("ordered_at"))
    ordered_at = _timestamp(ordered_text, zone or timezone.get_current_timezone())
    sku = _clean(get("sku"))
    quantity_text = _clean(get("quantity")) or "1"
    quantity = _quantity(quantity_text)
    price_text = _clean(get("unit_price"))
    unit_price = _unit_price(price_text)
    status = ORDER_STATUSES.get(_clean(get("status")).lower())
    currency = (_clean(get("currency")) or "EUR").upper()
    if (
        external_id
        and customer_external_id
        and ordered_at is not None
        and sku
        and quantity is not None
        and unit_price is not None
        and status is not None
        and _is_currency(currency)
    ):
        return OrderLineRow(
            number=number,
            external_id=external_id[:100],
            customer_external_id=customer_external_id,
            store_code=_clean(get("store_code")).lower(),
            associate_code=_clean(get("associate_code")).lower(),
            ordered_at=ordered_at,
            sku=sku[:40],
            product_name=_clean(get("product_name"))[:160],
            quantity=quantity,
            unit_price=unit_price,
            currency=currency,
            status=status,
            raw=raw,
        )
    rejections = []
    for name, value in (
        ("external_id", external_id),
        ("customer_external_id", customer_external_id),
    ):
        if not value:
            rejections.append(Rejection(name, f"The {name.replace('_', ' ')} is empty."))
    if ordered_at is None:
        rejections.append(
            Rejection(
                "ordered_at",
                f"“{ordered_text}” is not a date and time we can read "
                "(write it like 2025-02-25 17:18 or 25/02/2025 17:18)."
                if ordered_text
                else "The order date is empty.",
            )
        )
    if not sku:
        rejections.append(Rejection("sku", "The product code (sku) is empty."))
    if quantity is None:
        rejections.append(
            Rejection(
                "quantity",
                f"Quantity “{quantity_text}” is not a positive number "
                "(a returned item keeps its quantity; the order's status says it was returned).",
            )
        )
    if unit_price is None:
        rejections.append(
            Rejection("unit_price", f"Unit price “{price_text}” is not a number of zero or more.")
        )
    if status is None:
        known = ", ".join(Order.Status.values)
        status_text = _clean(get("status")).lower()
        rejections.append(
            Rejection("status", f"Status “{status_text}” is not one we know ({known}).")
        )
    if not _is_currency(currency):
        rejections.append(Rejection("currency", f"“{currency}” is not a currency code like EUR."))
    return rejections


@lru_cache(maxsize=65_536)
def _quantity(text: str) -> Decimal | None:
    """A line's quantity, rounded to thousandths; None unless it is positive and in range."""
    quantity = _decimal(text)
    if quantity is None or quantity <= 0 or quantity >= 10**7:
        return None
    return quantity.quantize(THOUSANDTH)


@lru_cache(maxsize=65_536)
def _unit_price(text: str) -> Decimal | None:
    """A unit price in cents; None unless it is zero or more and in range."""
    price = _decimal(text)
    if price is None or price < 0 or price >= 10**8:
        return None
    return price.quantize(CENT)


@lru_cache(maxsize=1024)
def _is_currency(text: str) -> bool:
    return _CURRENCY.fullmatch(text) is not None


def validate_interaction(
    number: int, row: dict, raw: dict, *, zone: dt.tzinfo | None = None
) -> InteractionRow | list[Rejection]:
    rejections = []
    values = {name: _clean(row.get(name)) for name in ("external_id", "customer_external_id")}
    for name, value in values.items():
        if not value:
            rejections.append(Rejection(name, f"The {name.replace('_', ' ')} is empty."))
    kind_text = _clean(row.get("kind"))
    kind = INTERACTION_KINDS.get(kind_text.lower())
    if kind is None:
        known = ", ".join(Interaction.Kind.values)
        rejections.append(Rejection("kind", f"Kind “{kind_text}” is not one we know ({known})."))
    occurred_text = _clean(row.get("occurred_at"))
    occurred_at = parse_timestamp(occurred_text, zone)
    if occurred_at is None:
        rejections.append(
            Rejection(
                "occurred_at",
                f"“{occurred_text}” is not a date and time we can read "
                "(write it like 2025-02-25 17:18 or 25/02/2025 17:18)."
                if occurred_text
                else "The date is empty.",
            )
        )
    value_text = _clean(row.get("value"))
    value = parse_decimal(value_text)
    if value_text and (value is None or abs(value) >= 10**10):
        rejections.append(Rejection("value", f"Value “{value_text}” is not a number."))
    if rejections:
        return rejections
    detail = _clean(row.get("channel_detail"))
    return InteractionRow(
        number=number,
        external_id=values["external_id"][:100],
        customer_external_id=values["customer_external_id"],
        kind=kind,
        occurred_at=occurred_at,
        store_code=_clean(row.get("store_code")).lower(),
        associate_code=_clean(row.get("associate_code")).lower(),
        text=str(row.get("text") or "").strip(),
        value=value.quantize(Decimal("0.01")) if value is not None else None,
        payload={"channel_detail": detail} if detail else {},
        raw=raw,
    )
