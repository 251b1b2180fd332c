"""What each demo person did with the chain over three years, and what we know about them.

Orders follow the calendar (December and the January and July sales are busy, August is quiet)
and people's habits: whoever drinks our coffee buys it again on their own cycle. Interactions,
preferences, consents, notes and cases hang off the same person and their channel records.
"""

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from crm.demo.catalogue import Catalogue, ProductSpec
from crm.demo.choices import chance, weighted_choice
from crm.demo.people import ROME, ChannelRecord, Counters, Person

ORDER_SOURCES = ("pos", "web", "app", "contact_center")
ORDER_CHANNEL_WEIGHTS = {"pos": 6, "web": 3, "app": 3, "contact_center": 0.4}
ORDER_PREFIX = {"pos": "T", "web": "WO", "app": "AO", "contact_center": "CO"}
INTERACTION_PREFIX = {
    "pos": "PI", "web": "WI", "app": "AI", "loyalty": "LI", "social": "SI", "contact_center": "CI",
}  # fmt: skip
MONTH_WEIGHT = {
    1: 1.35, 2: 0.8, 3: 0.9, 4: 1.0, 5: 1.0, 6: 1.0, 7: 1.35, 8: 0.65, 9: 0.9, 10: 1.0, 11: 1.3,
    12: 1.9,
}  # fmt: skip
SALES_MONTHS = (1, 7)
YEARS = 3
CENT = Decimal("0.01")

PARENT_TASTES = {  # how each sex's purchases lean, roughly
    "F": [("Fashion", 4), ("Beauty", 3), ("Food", 4), ("Home", 2)],
    "M": [("Fashion", 3), ("Beauty", 1), ("Food", 5), ("Home", 2)],
}
ORDER_STATUSES = [
    ("completed", 93), ("returned", 2.5), ("partially_returned", 2), ("cancelled", 2.5),
]  # fmt: skip


@dataclass
class OrderLineSpec:
    line_number: int
    product: ProductSpec
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    is_returned: bool = False


@dataclass
class OrderSpec:
    external_id: str
    record: ChannelRecord
    store_code: str
    associate_code: str
    ordered_at: dt.datetime
    status: str
    lines: list[OrderLineSpec]
    total: Decimal


@dataclass
class InteractionSpec:
    external_id: str
    record: ChannelRecord | None
    kind: str
    channel: str
    occurred_at: dt.datetime
    store_code: str = ""
    associate_code: str = ""
    channel_detail: str = ""
    text: str = ""
    value: Decimal | None = None
    payload: dict = field(default_factory=dict)


@dataclass
class PreferenceSpec:
    kind: str
    value: str
    is_declared: bool
    is_dislike: bool
    record: ChannelRecord | None
    captured_by: str  # associate code, or ""
    captured_at: dt.datetime


@dataclass
class ConsentSpec:
    purpose: str
    channel: str
    is_granted: bool
    recorded_at: dt.datetime
    record: ChannelRecord | None
    proof: str


@dataclass
class NoteSpec:
    author: str  # associate code
    store_code: str
    body: str
    is_pinned: bool
    created_at: dt.datetime


@dataclass
class CaseSpec:
    subject: str
    description: str
    status: str
    priority: str
    channel: str
    order: OrderSpec | None
    store_code: str
    opened_by: str
    assigned_to: str
    opened_at: dt.datetime
    due_at: dt.datetime
    resolved_at: dt.datetime | None


@dataclass
class History:
    orders: list[OrderSpec]
    interactions: list[InteractionSpec]
    preferences: list[PreferenceSpec]
    consents: list[ConsentSpec]
    notes: list[NoteSpec]
    cases: list[CaseSpec]
    scores: dict


def generate_history(
    rng: random.Random, person: Person, catalogue: Catalogue, today: dt.date, counters: Counters
) -> History:
    """Everything ``person`` did in the three years before ``today``, in a fixed order."""
    end = dt.datetime.combine(today, dt.time(0), tzinfo=ROME)
    start = end - dt.timedelta(days=365 * YEARS)
    orders = _orders(rng, person, catalogue, start, end, counters)
    interactions = _interactions(rng, person, catalogue, orders, start, end, counters)
    preferences = _preferences(rng, person, catalogue, orders, start, end)
    consents = _consents(rng, person, end)
    notes = _notes(rng, person, catalogue, start, end)
    cases = _cases(rng, person, catalogue, orders, start, end)
    scores = _scores(person, orders, interactions, today)
    return History(orders, interactions, preferences, consents, notes, cases, scores)


def _orders(rng, person, catalogue, start, end, counters) -> list[OrderSpec]:
    records = [record for record in person.records if record.source in ORDER_SOURCES]
    if not records:
        return []
    first = max(start, min(record.created_at for record in records))
    last = end - dt.timedelta(minutes=1)
    if chance(rng, 0.2):  # some customers drift away
        last = first + (last - first) * rng.random()
    years = (last - first).days / 365
    # Orders a year: most people few, some many, nobody more than twice a month.
    rate = min(rng.lognormvariate(math.log(2.8), 0.85), 24)
    moments = [_seasonal_moment(rng, first, last) for _ in range(round(rate * years))]
    habit, cycle = None, 0
    if chance(rng, 0.45):  # a consumable bought again and again, on a personal cycle
        habit = rng.choice(catalogue.consumables)
        cycle = rng.randint(21, 75)
        moment = first + dt.timedelta(days=rng.uniform(0, cycle))
        while moment < last:
            if chance(rng, 0.75):
                moments.append(moment)
            moment += dt.timedelta(days=cycle * rng.uniform(0.8, 1.2))
    moments.sort()
    tastes = _tastes(rng, person, catalogue)
    orders = []
    for moment in moments:
        is_habit = habit is not None and chance(rng, 0.5)
        orders.append(
            _order(
                rng,
                person,
                catalogue,
                records,
                moment,
                tastes,
                habit if is_habit else None,
                end,
                counters,
            )
        )
    return orders


def _seasonal_moment(rng, first: dt.datetime, last: dt.datetime) -> dt.datetime:
    while True:
        moment = first + (last - first) * rng.random()
        if rng.random() * 1.9 < MONTH_WEIGHT[moment.month]:
            return moment


def _tastes(rng, person: Person, catalogue: Catalogue) -> list[str]:
    parents = {product.category: product.parent_category for product in catalogue.products}
    chosen = []
    while len(chosen) < 3:
        parent = weighted_choice(rng, PARENT_TASTES[person.sex])
        category = rng.choice([c for c in catalogue.categories if parents[c] == parent])
        if category not in chosen:
            chosen.append(category)
    return chosen


def _order(rng, person, catalogue, records, moment, tastes, habit, end, counters) -> OrderSpec:
    weights = [(record, ORDER_CHANNEL_WEIGHTS[record.source]) for record in records]
    record = rng.choices([r for r, _ in weights], [w for _, w in weights])[0]
    source = record.source
    hours = {"pos": (9, 19), "contact_center": (9, 17)}.get(source, (7, 22))
    ordered_at = moment.replace(
        hour=rng.randint(*hours), minute=rng.randrange(60), second=rng.randrange(60), microsecond=0
    )
    ordered_at = min(ordered_at, end - dt.timedelta(minutes=1))
    associate_code = ""
    if source == "pos":
        store_code = person.home_store if chance(rng, 0.85) else record.store_code
        if chance(rng, 0.9):
            associate_code = rng.choice(catalogue.associates_by_store[store_code]).code
    else:
        store_code = {"web": "web", "app": "app", "contact_center": "cc"}[source]
        if source == "contact_center":
            associate_code = rng.choice(catalogue.associates_by_store["cc"]).code
    products = [habit] if habit else []
    for _ in range(weighted_choice(rng, [(1, 45), (2, 30), (3, 15), (4, 10)]) - len(products)):
        products.append(_pick_product(rng, catalogue, tastes, ordered_at))
    lines = []
    seen = set()
    for product in products:
        if product.sku in seen:
            continue
        seen.add(product.sku)
        quantity = rng.choice([1, 1, 1, 2, 2, 3]) if product.is_consumable else 1
        price = product.price
        if ordered_at.month in SALES_MONTHS and product.parent_category == "Fashion":
            price = (price * Decimal("0.7")).quantize(CENT)
        line_total = (price * quantity).quantize(CENT)
        lines.append(OrderLineSpec(len(lines) + 1, product, quantity, price, line_total))
    status = weighted_choice(rng, ORDER_STATUSES)
    if source in ("web", "app") and (end - ordered_at).days < 3 and chance(rng, 0.6):
        status = "pending"
    if status == "returned":
        for line in lines:
            line.is_returned = True
    elif status == "partially_returned":
        if len(lines) > 1:
            rng.choice(lines).is_returned = True
        else:
            status = "returned"
            lines[0].is_returned = True
    number = counters.next(f"order:{source}")
    external_id = f"{ORDER_PREFIX[source]}{number:08d}"
    if source == "pos":
        external_id = f"{store_code.upper()}-{ordered_at:%y%m%d}-{number:07d}"
    total = sum((line.line_total for line in lines), Decimal("0.00"))
    return OrderSpec(
        external_id, record, store_code, associate_code, ordered_at, status, lines, total
    )


def _pick_product(rng, catalogue: Catalogue, tastes, moment: dt.datetime) -> ProductSpec:
    while True:
        if chance(rng, 0.7):
            product = rng.choice(catalogue.products_by_category[rng.choice(tastes)])
        else:
            product = rng.choice(catalogue.products)
        if not product.is_seasonal or _in_season(product, moment):
            return product


def _in_season(product: ProductSpec, moment: dt.datetime) -> bool:
    if "Colomba" in product.name:
        return moment.month in (3, 4)
    return moment.month in (11, 12)


CALL_REASONS = [
    "Asked where the order is",
    "Wanted to change the delivery address",
    "Asked for store hours",
    "Asked whether a size is back in stock",
    "Called about a refund",
    "Loyalty points question",
    "Asked for a gift receipt",
    "Complained about a late delivery",
]
SOCIAL_ACTIONS = [
    "Liked the post about the new autumn collection",
    "Commented: bellissimo!",
    "Asked in a comment whether the Verona store is open on Sunday",
    "Shared the Christmas video",
    "Sent a private message about a gift card",
    "Tagged the store in a story",
]
CAMPAIGNS = [
    ("saldi-estivi", "Saldi estivi"), ("saldi-invernali", "Saldi invernali"),
    ("natale", "Regali di Natale"), ("black-friday", "Black Friday"),
    ("caffe-primavera", "Il caffè di primavera"), ("festa-mamma", "Festa della mamma"),
]  # fmt: skip


def _interactions(rng, person, catalogue, orders, start, end, counters) -> list[InteractionSpec]:
    interactions = []

    def add(record, kind, channel, moment, **fields):
        external_id = ""
        if record is not None:
            number = counters.next(f"interaction:{record.source}")
            external_id = f"{INTERACTION_PREFIX[record.source]}{number:08d}"
        moment = moment.replace(microsecond=0)
        interactions.append(InteractionSpec(external_id, record, kind, channel, moment, **fields))

    def moments(record, count, hours=(8, 22)):
        first = max(start, record.created_at)
        for _ in range(count):
            moment = first + (end - first) * rng.random()
            yield min(
                moment.replace(hour=rng.randint(*hours), minute=rng.randrange(60)),
                end - dt.timedelta(minutes=1),
            )

    store_orders = sum(1 for order in orders if order.record.source == "pos")
    staff = catalogue.associates_by_store
    for record in person.records:
        source = record.source
        if source == "pos":
            for moment in moments(record, rng.randint(0, 2) + store_orders // 3, (9, 19)):
                associate = rng.choice(staff[person.home_store]).code
                if chance(rng, 0.25):
                    product = rng.choice(
                        catalogue.products_by_category[
                            rng.choice(["Jackets", "Shoes", "Dresses", "Knitwear"])
                        ]
                    )
                    size = rng.choice(["S", "M", "L", "XL", "42", "44", "46"])
                    text = f"Tried on {product.name}, size {size}"
                    add(
                        record,
                        "tried_on",
                        "store",
                        moment,
                        store_code=person.home_store,
                        associate_code=associate,
                        text=text,
                    )
                else:
                    add(
                        record,
                        "store_visit",
                        "store",
                        moment,
                        store_code=person.home_store,
                        associate_code=associate,
                    )
        elif source == "loyalty":
            for moment in moments(record, rng.randint(1, 8), (9, 19)):
                store = (
                    person.home_store
                    if chance(rng, 0.85)
                    else rng.choice(catalogue.physical_stores).code
                )
                add(
                    record,
                    "check_in",
                    "store",
                    moment,
                    store_code=store,
                    channel_detail="card",
                    text="Card scanned at the till",
                )
        elif source == "web":
            device = rng.choice(["desktop", "mobile"])
            for moment in moments(record, rng.randint(1, 12)):
                add(record, "web_visit", "web", moment, store_code="web", channel_detail=device)
            for moment in moments(record, weighted_choice(rng, [(0, 6), (1, 3), (2, 1)])):
                product = rng.choice(catalogue.products)
                add(
                    record,
                    "cart_abandoned",
                    "web",
                    moment,
                    store_code="web",
                    channel_detail=device,
                    text=product.name,
                    value=product.price,
                    payload={"sku": product.sku},
                )
        elif source == "app":
            device = rng.choice(["ios", "android"])
            for moment in moments(record, rng.randint(2, 15)):
                add(record, "app_session", "app", moment, store_code="app", channel_detail=device)
            for moment in moments(record, weighted_choice(rng, [(0, 5), (1, 3), (3, 2)])):
                product = rng.choice(catalogue.products)
                add(
                    record,
                    "wishlist",
                    "app",
                    moment,
                    store_code="app",
                    channel_detail=device,
                    text=product.name,
                    payload={"sku": product.sku},
                )
        elif source == "social":
            network = weighted_choice(rng, [("instagram", 5), ("facebook", 4), ("tiktok", 1)])
            for moment in moments(record, rng.randint(1, 6)):
                add(
                    record,
                    "social",
                    "social",
                    moment,
                    channel_detail=network,
                    text=rng.choice(SOCIAL_ACTIONS),
                )
        elif source == "contact_center":
            for moment in moments(record, rng.randint(1, 3), (9, 17)):
                agent = rng.choice(staff["cc"]).code
                direction = "inbound" if chance(rng, 0.8) else "outbound"
                add(
                    record,
                    "call",
                    "phone",
                    moment,
                    store_code="cc",
                    associate_code=agent,
                    channel_detail=direction,
                    text=rng.choice(CALL_REASONS),
                )
    if person.consents["email"] and person.email:
        for _ in range(rng.randint(0, 6)):
            slug, name = rng.choice(CAMPAIGNS)
            moment = start + (end - start) * rng.random()
            payload = {"campaign": f"{slug}-{moment.year}", "opened": chance(rng, 0.4)}
            add(
                None,
                "campaign_touch",
                "email",
                moment,
                text=f"Newsletter «{name}»",
                payload=payload,
            )
    return interactions


SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
DIETS = [  # value, is_dislike
    (("glutine", True), 3), (("lattosio", True), 4), (("frutta a guscio", True), 2),
    (("vegetariano", False), 3), (("vegano", False), 1),
]  # fmt: skip


def _preferences(rng, person, catalogue, orders, start, end) -> list[PreferenceSpec]:
    preferences: dict[tuple[str, str], PreferenceSpec] = {}
    declared_in = next((r for r in person.records if r.source in ("app", "web")), None)
    store_staff = catalogue.associates_by_store[person.home_store]

    def add(kind, value, *, declared=True, dislike=False, in_store=False):
        moment = start + (end - start) * rng.random()
        by = rng.choice(store_staff).code if in_store else ""
        record = None if in_store or not declared else declared_in
        preferences.setdefault(
            (kind, value), PreferenceSpec(kind, value, declared, dislike, record, by, moment)
        )

    bought = [line.product for order in orders for line in order.lines]
    if any(product.parent_category == "Fashion" for product in bought):
        add("size", f"clothing {rng.choice(SIZES)}", in_store=chance(rng, 0.6))
        shoe = rng.randint(35, 40) if person.sex == "F" else rng.randint(39, 46)
        add("size", f"shoes {shoe}", in_store=chance(rng, 0.6))
    if bought:
        for brand, _ in Counter(product.brand for product in bought).most_common(2):
            add("brand", brand, declared=False)
        top_category = Counter(product.category for product in bought).most_common(1)[0][0]
        add("category", top_category, declared=False)
    if chance(rng, 0.2):
        add("category", rng.choice(catalogue.categories))
    if chance(rng, 0.1):
        value, dislike = weighted_choice(rng, DIETS)
        add("diet", value, dislike=dislike, in_store=chance(rng, 0.5))
    if chance(rng, 0.2):
        add("colour", rng.choice(["blu", "nero", "grigio", "beige", "verde", "rosso"]))
    if chance(rng, 0.15):
        add("contact_time", rng.choice(["mattina", "pausa pranzo", "pomeriggio", "sera"]))
    if chance(rng, 0.15):
        add("contact_channel", rng.choice(["email", "sms", "whatsapp", "telefono"]))
    return list(preferences.values())


CONSENT_PURPOSES = {
    "email": ("marketing", "email"),
    "sms": ("marketing", "sms"),
    "profiling": ("profiling", "any"),
}
PROOFS = {
    "pos": "Signed form at the till", "web": "Web shop sign-up form", "app": "App onboarding",
    "loyalty": "Loyalty card application form", "contact_center": "Recorded call",
    "social": "Social lead form",
}  # fmt: skip


def _consents(rng, person, end) -> list[ConsentSpec]:
    """The ledger: what each record said, then an occasional change of mind."""
    consents = []
    for record in person.records:
        for key, granted in record.consents.items():
            purpose, medium = CONSENT_PURPOSES[key]
            consents.append(
                ConsentSpec(
                    purpose, medium, granted, record.created_at, record, PROOFS[record.source]
                )
            )
    for consent in list(consents):
        if consent.is_granted and consent.channel in ("email", "sms") and chance(rng, 0.08):
            moment = consent.recorded_at + (end - consent.recorded_at) * rng.random()
            proof = (
                "Unsubscribe link in newsletter" if consent.channel == "email" else "Replied STOP"
            )
            consents.append(
                ConsentSpec(
                    consent.purpose,
                    consent.channel,
                    False,
                    moment.replace(microsecond=0),
                    None,
                    proof,
                )
            )
    return consents


NOTES = [
    "Prefers to be served by {associate}; ask about the wedding in June.",
    "Buys a gift for their partner every December: suggest the new scarves.",
    "Allergic to nuts: check before suggesting sweets.",
    "Regular on Saturday mornings, always with the kids.",
    "Unhappy with the last delivery: be extra careful with the next order.",
    "Collects our Christmas panettone tins.",
    "Works nearby, comes in at lunch: keep it quick.",
]


def _notes(rng, person, catalogue, start, end) -> list[NoteSpec]:
    if not chance(rng, 0.05):
        return []
    staff = catalogue.associates_by_store[person.home_store]
    notes = []
    for _ in range(rng.randint(1, 2)):
        author = rng.choice(staff)
        body = rng.choice(NOTES).format(associate=author.first_name)
        moment = (start + (end - start) * rng.random()).replace(microsecond=0)
        notes.append(NoteSpec(author.code, person.home_store, body, chance(rng, 0.3), moment))
    return notes


CASES = [
    ("Jacket zip broke after two weeks", "Asks for a repair or a replacement."),
    ("Parcel arrived damaged", "Two glasses broken in the box."),
    ("Wrong size delivered", "Ordered M, received L."),
    ("Refund not received", "Returned in store, refund still missing on the card."),
    ("Loyalty points missing", "Points from the last purchase not on the card."),
    ("Invoice needed for the company", "Needs an invoice with the VAT number."),
]
CASE_STATUSES = [("closed", 50), ("resolved", 25), ("open", 15), ("waiting", 10)]


def _cases(rng, person, catalogue, orders, start, end) -> list[CaseSpec]:
    if not chance(rng, 0.04 if orders else 0.01):
        return []
    agents = catalogue.associates_by_store["cc"]
    order = rng.choice(orders) if orders and chance(rng, 0.6) else None
    first = order.ordered_at if order else start
    opened_at = (first + (end - first) * rng.random() * 0.2).replace(microsecond=0)
    opened_at = min(opened_at, end - dt.timedelta(hours=1))
    status = weighted_choice(rng, CASE_STATUSES)
    resolved_at = None
    if status in ("resolved", "closed"):
        resolved_at = min(opened_at + dt.timedelta(hours=rng.randint(2, 240)), end)
    subject, description = rng.choice(CASES)
    return [
        CaseSpec(
            subject=subject,
            description=description,
            status=status,
            priority=weighted_choice(rng, [("normal", 7), ("high", 2), ("low", 1)]),
            channel=weighted_choice(rng, [("phone", 6), ("email", 3), ("social", 1)]),
            order=order,
            store_code=order.store_code if order else person.home_store,
            opened_by=rng.choice(agents).code,
            assigned_to=rng.choice(agents).code,
            opened_at=opened_at,
            due_at=opened_at + dt.timedelta(days=5),
            resolved_at=resolved_at,
        )
    ]


def _scores(person, orders, interactions, today) -> dict:
    """Rough scores so the screens look alive; the nightly job computes the real ones."""
    bought = [order for order in orders if order.status in ("completed", "partially_returned")]
    monetary = sum((order.total for order in bought), Decimal("0.00"))
    last = bought[-1] if bought else None
    seen = [order.ordered_at for order in orders] + [i.occurred_at for i in interactions]
    return {
        "frequency": len(bought),
        "monetary": monetary,
        "lifetime_value": monetary,
        "last_purchase_at": last.ordered_at if last else None,
        "recency_days": (today - last.ordered_at.date()).days if last else None,
        "last_channel": last.record.source if last else "",
        "last_seen_at": max(seen) if seen else None,
    }
