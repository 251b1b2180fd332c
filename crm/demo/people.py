"""Demo people: who each one really is, and how each channel wrote them down.

A ``Person`` holds the truth. Each of their ``ChannelRecord``s is one row of a channel's people
file, with the mistakes that channel makes (typed at a till, misheard on the phone, a nickname
on social), and the cleaned values an import would read from that row. Families share an
address, often a landline, sometimes a mobile or an e-mail, as they do in life.
"""

import datetime as dt
import itertools
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from crm.demo import names
from crm.demo.catalogue import CITY_WEIGHTS, Catalogue, StoreSpec
from crm.demo.choices import chance, weighted_choice
from crm.identity import normalize

PEOPLE_COLUMNS = [
    "external_id", "first_name", "last_name", "email", "phone", "birth_date", "street",
    "postcode", "city", "country", "loyalty_card", "created_at", "consent_email", "consent_sms",
    "consent_profiling",
]  # fmt: skip
SOURCES = ("pos", "web", "app", "loyalty", "social", "contact_center")
HUB_EMAIL = "noemail@bottega.it"
ROME = ZoneInfo("Europe/Rome")  # channels send local times

RECORD_COUNTS = [(1, 55), (2, 30), (3, 11), (4, 4)]
# Where a person first met the chain, and where else they turn up.
FIRST_SOURCE = [
    ("pos", 40), ("web", 22), ("loyalty", 15), ("app", 10), ("contact_center", 7), ("social", 6),
]  # fmt: skip
OTHER_SOURCE = [
    ("pos", 22), ("loyalty", 22), ("web", 18), ("app", 16), ("social", 12), ("contact_center", 10),
]  # fmt: skip
HOUSEHOLD_SIZES = [(1, 50), (2, 25), (3, 17), (4, 8)]

# Per source: how often a field is left out, and how carefully names are typed.
# fmt: off
MISSING = {  # email, phone, birth date, address
    "pos": (0.55, 0.35, 0.6, 0.5), "web": (0.0, 0.4, 0.5, 0.1), "app": (0.05, 0.3, 0.5, 0.6),
    "loyalty": (0.2, 0.1, 0.05, 0.05), "social": (0.5, 0.9, 0.7, 1.0),
    "contact_center": (0.4, 0.0, 0.7, 0.5),
}
NAME_NOISE = {  # typo, upper case, accents dropped, first/last swapped, initial only
    "pos": (0.08, 0.35, 0.5, 0.03, 0.03), "web": (0.03, 0.03, 0.2, 0.01, 0.0),
    "app": (0.03, 0.02, 0.2, 0.01, 0.05), "loyalty": (0.04, 0.15, 0.3, 0.02, 0.0),
    "social": (0.05, 0.02, 0.1, 0.0, 0.0), "contact_center": (0.12, 0.1, 0.4, 0.03, 0.03),
}
DATE_FORMATS = {
    "pos": ["%d.%m.%Y", "%d/%m/%Y"], "web": ["%Y-%m-%d"], "app": ["%Y-%m-%d"],
    "loyalty": ["%d/%m/%Y"], "social": ["%Y-%m-%d"], "contact_center": ["%d/%m/%Y", "%d-%m-%Y"],
}
CONSENT_WORDS = {  # yes, no, blank likelihood
    "pos": ("yes", "no", 0.5), "web": ("true", "false", 0.0), "app": ("1", "0", 0.05),
    "loyalty": ("si", "no", 0.05), "social": ("", "", 1.0), "contact_center": ("si", "no", 0.6),
}
# fmt: on


@dataclass
class ChannelRecord:
    """One row of a channel's people file, and what an import would clean it to."""

    source: str
    external_id: str
    row: dict[str, str]
    created_at: dt.datetime
    first_name: str
    last_name: str
    email: str
    phone: str
    birth_date: dt.date | None
    street: str
    postcode: str
    city: str
    country: str
    loyalty_card: str
    consents: dict[str, bool]  # email, sms, profiling: what the row said, when it said anything
    identities: list[tuple[str, str]]
    store_code: str = ""  # pos: the till that registered them

    @property
    def record_id(self) -> str:
        return f"{self.source}:{self.external_id}"


@dataclass
class Person:
    """The truth about one person, and the channel records that describe them."""

    id: int
    household: int
    sex: str
    first_name: str
    last_name: str
    birth_date: dt.date
    email: str
    mobile: str  # national digits, "3471234567"
    landline: str  # national digits with the leading 0
    phone_given: str  # the number they give channels: own mobile, or the family's
    street: str
    postcode: str
    city: str
    province: str
    home_store: str
    member_since: dt.date
    language: str
    company_name: str
    vat_number: str
    loyalty_card: str
    consents: dict[str, bool]
    records: list[ChannelRecord] = field(default_factory=list)


@dataclass
class _Household:
    id: int
    last_name: str
    store: StoreSpec
    town: tuple
    street: str
    postcode: str
    landline: str
    family_email: str
    mobiles: list[str] = field(default_factory=list)


class Counters:
    """What must stay unique across the run: sequences for external ids, and the mailboxes.

    The same seed gives the same ids and addresses in the same order.
    """

    def __init__(self) -> None:
        self._counters: dict[str, Iterator[int]] = {}
        self._mailboxes: set[str] = set()

    def next(self, key: str) -> int:
        if key not in self._counters:
            self._counters[key] = itertools.count(1)
        return next(self._counters[key])

    def mailbox(self, rng: random.Random, address: str) -> str:
        """``address``, or the provider's suggestion when it is taken (``mario.rossi7@…``).

        A mailbox belongs to one person or one family: two Mario Rossi of a big chain never
        read the same ``mario.rossi@gmail.com``, they get another address at sign-up.
        """
        local, _, domain = address.partition("@")
        while _mailbox_key(address) in self._mailboxes:
            address = f"{local}{rng.randint(2, 999)}@{domain}"
        self._mailboxes.add(_mailbox_key(address))
        return address


def _mailbox_key(address: str) -> str:
    # Gmail delivers mario.rossi@ and mariorossi@ to one mailbox, so it hands out only one.
    local, _, domain = address.partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        return f"{local.replace('.', '')}@gmail.com"
    return address


def generate_people(
    rng: random.Random, count: int, catalogue: Catalogue, today: dt.date
) -> Iterator[Person]:
    """Yield ``count`` people, household by household, each with their channel records.

    Holds one household at a time, so any ``count`` streams in bounded memory.
    """
    counters = Counters()
    hub_phones = {store.phone for store in catalogue.stores if store.phone}
    made = 0
    for household_id in itertools.count(1):
        household = _household(rng, household_id, catalogue, counters)
        size = min(weighted_choice(rng, HOUSEHOLD_SIZES), count - made)
        for position in range(size):
            made += 1
            person = _person(rng, made, household, position, counters, today)
            _add_records(rng, person, household, catalogue, today, counters, hub_phones)
            yield person
        if made >= count:
            return


def _household(rng, household_id: int, catalogue: Catalogue, counters: Counters) -> _Household:
    city = weighted_choice(rng, tuple(CITY_WEIGHTS.items()))
    store = rng.choice([s for s in catalogue.physical_stores if s.city == city])
    town = weighted_choice(rng, [(town, town[-1]) for town in names.TOWNS[city]])
    postcode_range = town[2]
    if isinstance(postcode_range, tuple):
        postcode = f"{rng.randint(*postcode_range):05d}"
    else:
        postcode = f"{postcode_range:05d}"
    street = (
        f"{weighted_choice(rng, names.STREET_TYPES)} {rng.choice(names.STREET_NAMES)} "
        f"{rng.randint(1, 180)}"
    )
    prefix = town[3]
    landline = ""
    if chance(rng, 0.45):
        landline = prefix + "".join(rng.choices("0123456789", k=10 - len(prefix)))
        landline = landline[: len(prefix)] + str(rng.randint(2, 9)) + landline[len(prefix) + 1 :]
    last_name = weighted_choice(rng, names.SURNAMES)
    family_email = ""
    if chance(rng, 0.1):
        family_email = counters.mailbox(
            rng, f"famiglia.{_slug(last_name)}@{weighted_choice(rng, names.EMAIL_DOMAINS)}"
        )
    return _Household(
        household_id, last_name, store, town, street, postcode, landline, family_email
    )


def _person(rng, person_id, household: _Household, position, counters, today) -> Person:
    sex = rng.choice("FM")
    first_name = weighted_choice(rng, names.FEMALE_NAMES if sex == "F" else names.MALE_NAMES)
    last_name = household.last_name
    if position == 1 and chance(rng, 0.6):
        last_name = weighted_choice(rng, names.SURNAMES)  # a partner keeps their own surname
    # Position 2 and on are grown-up children living at home.
    birth_date = _birthday(rng, today, 18, 30) if position >= 2 else _birthday(rng, today, 30, 82)
    age = (today - birth_date).days // 365
    email = ""
    if chance(rng, 0.92 if age < 55 else 0.65):
        email = counters.mailbox(rng, _email(rng, first_name, last_name, birth_date))
    elif household.family_email:
        email = household.family_email
    mobile = ""
    if chance(rng, 0.9):
        mobile = rng.choice(names.MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"
    phone_given = mobile
    # A shared family phone: no mobile of one's own, or the parent's number given by habit.
    if household.mobiles and (not mobile or chance(rng, 0.08)):
        phone_given = household.mobiles[0]
    elif not mobile:
        phone_given = household.landline
    if mobile:
        household.mobiles.append(mobile)
    member_since = _member_since(rng, household.store, today)
    company_name = vat_number = ""
    if position == 0 and chance(rng, 0.03):
        trade = rng.choice(names.COMPANY_TRADES)
        company_name = f"{trade} {last_name} {rng.choice(names.COMPANY_FORMS)}"
        vat_number = f"{rng.randrange(10**10, 10**11):011d}"
    return Person(
        id=person_id,
        household=household.id,
        sex=sex,
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        email=email,
        mobile=mobile,
        landline=household.landline,
        phone_given=phone_given,
        street=household.street,
        postcode=household.postcode,
        city=household.town[0],
        province=household.town[1],
        home_store=household.store.code,
        member_since=member_since,
        language="en" if chance(rng, 0.03) else "it",
        company_name=company_name,
        vat_number=vat_number,
        loyalty_card="",
        consents={
            "email": chance(rng, 0.55),
            "sms": chance(rng, 0.35),
            "profiling": chance(rng, 0.45),
        },
    )


def _birthday(rng, today: dt.date, youngest: int, oldest: int) -> dt.date:
    return today - dt.timedelta(days=rng.randint(youngest * 365 + 10, oldest * 365))


def _member_since(rng, store: StoreSpec, today: dt.date) -> dt.date:
    opened = store.opened_on or dt.date(2010, 1, 1)
    span = (today - opened).days - 1
    # Most members joined lately; a loyal core has been around since the store opened.
    days = min(span, int(rng.expovariate(1 / 1100)))
    return today - dt.timedelta(days=max(days, 1))


def _slug(text: str) -> str:
    plain = strip_accents(text).lower()
    return "".join(ch for ch in plain if ch.isalnum())


def _email(rng, first_name, last_name, birth_date) -> str:
    first, last = _slug(first_name), _slug(last_name)
    year = f"{birth_date.year % 100:02d}"
    local = rng.choice(
        [
            f"{first}.{last}",
            f"{first}{last}",
            f"{first}.{last}{year}",
            f"{first[0]}.{last}",
            f"{last}.{first}",
            f"{first}_{last}{rng.randint(1, 99)}",
            f"{first}{birth_date.year}",
        ]
    )
    return f"{local}@{weighted_choice(rng, names.EMAIL_DOMAINS)}"


def _add_records(rng, person, household, catalogue, today, counters, hub_phones) -> None:
    count = weighted_choice(rng, RECORD_COUNTS)
    sources = [weighted_choice(rng, FIRST_SOURCE)]
    while len(sources) < count:
        source = weighted_choice(rng, OTHER_SOURCE)
        if source not in sources or (source == "pos" and sources.count("pos") < 2):
            sources.append(source)
    if "loyalty" in sources:
        number = (counters.next("card") * 7919) % 10**8
        person.loyalty_card = ean13(f"2400{number:08d}")
    member_start = dt.datetime.combine(person.member_since, dt.time(9), tzinfo=ROME)
    end = dt.datetime.combine(today, dt.time(0), tzinfo=ROME)
    for index, source in enumerate(sources):
        if index == 0:
            created_at = member_start + dt.timedelta(minutes=rng.randint(0, 11 * 60))
        else:
            created_at = member_start + (end - member_start) * rng.random()
        created_at = created_at.replace(second=0, microsecond=0)
        person.records.append(
            _record(rng, person, household, source, created_at, catalogue, counters, hub_phones)
        )


def _record(rng, person, household, source, created_at, catalogue, counters, hub_phones):
    store_code = ""
    if source == "pos":
        store_code = person.home_store
        if chance(rng, 0.15):
            store_code = rng.choice(catalogue.physical_stores).code
    external_id = _external_id(rng, source, person, store_code, counters)
    missing_email, missing_phone, missing_birth, missing_address = MISSING[source]

    first_name, last_name = _written_names(rng, person, source)
    email = "" if chance(rng, missing_email) else person.email
    if source == "web" and not email:  # the web shop needs an e-mail to open an account
        email = counters.mailbox(
            rng, _email(rng, person.first_name, person.last_name, person.birth_date)
        )
    email = _written_email(rng, email)
    phone_digits = "" if chance(rng, missing_phone) else person.phone_given
    if source == "contact_center" and not phone_digits:  # caller id
        phone_digits = person.mobile or person.landline or person.phone_given
    phone = _written_phone(rng, phone_digits) if phone_digits else ""
    # Hub values: a till clerk types the shop's own number or a dummy e-mail to get past a
    # mandatory field when the customer won't give theirs.
    if source in ("pos", "loyalty") and not phone and chance(rng, 0.08):
        phone = _written_phone(rng, catalogue.store_by_code[person.home_store].phone[3:])
    if source in ("pos", "loyalty") and not email and chance(rng, 0.06):
        email = rng.choice([HUB_EMAIL, HUB_EMAIL.upper()])
    birth_date = None if chance(rng, missing_birth) else person.birth_date
    if birth_date and chance(rng, 0.01) and birth_date.day <= 12:
        birth_date = birth_date.replace(day=birth_date.month, month=birth_date.day)
    birth_text = birth_date.strftime(rng.choice(DATE_FORMATS[source])) if birth_date else ""
    street = postcode = city = country = ""
    if not chance(rng, missing_address):
        street = _written_street(rng, person.street, source)
        postcode = person.postcode
        if person.postcode.startswith("00") and source in ("pos", "loyalty") and chance(rng, 0.3):
            postcode = postcode.lstrip("0")  # a spreadsheet ate the leading zeros
        city = person.city.upper() if chance(rng, NAME_NOISE[source][1]) else person.city
        country = weighted_choice(rng, [("IT", 6), ("Italia", 2), ("ITA", 1), ("", 1)])
    elif source == "social" and chance(rng, 0.4):
        city = person.city
    loyalty_card = ""
    if source == "loyalty" or (source == "pos" and person.loyalty_card and chance(rng, 0.6)):
        loyalty_card = person.loyalty_card
    yes, no, blank = CONSENT_WORDS[source]
    row_consents: dict[str, bool] = {}
    consent_texts = {}
    for purpose in ("email", "sms", "profiling"):
        if chance(rng, blank):
            consent_texts[purpose] = ""
        else:
            given = person.consents[purpose]
            row_consents[purpose] = given
            consent_texts[purpose] = yes if given else no
    row = {
        "external_id": external_id,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "birth_date": birth_text,
        "street": street,
        "postcode": postcode,
        "city": city,
        "country": country,
        "loyalty_card": loyalty_card,
        "created_at": _written_timestamp(source, created_at),
        "consent_email": consent_texts["email"],
        "consent_sms": consent_texts["sms"],
        "consent_profiling": consent_texts["profiling"],
    }
    clean_email = email.strip().lower()
    clean_phone = normalize.normalize_phone(phone, region="IT")
    identities = []
    if clean_email and clean_email != HUB_EMAIL:
        identities.append(("email", clean_email))
    if clean_phone and clean_phone not in hub_phones:
        identities.append(("phone", clean_phone))
    if loyalty_card:
        identities.append(("loyalty_card", loyalty_card))
    identity_kind = {
        "web": "web_account",
        "app": "app_id",
        "social": "social_handle",
        "pos": "pos_customer",
    }.get(source)
    if identity_kind:
        identities.append((identity_kind, external_id.lower()))
    return ChannelRecord(
        source=source,
        external_id=external_id,
        row=row,
        created_at=created_at,
        first_name=clean_name(first_name),
        last_name=clean_name(last_name),
        email=clean_email,
        phone=clean_phone,
        birth_date=birth_date,
        street=" ".join(street.split()),
        postcode=postcode.zfill(5) if postcode else "",
        city=clean_name(city),
        country="IT" if country else "",
        loyalty_card=loyalty_card,
        consents=row_consents,
        identities=identities,
        store_code=store_code,
    )


def _external_id(rng, source, person, store_code, counters: Counters) -> str:
    number = counters.next(source)
    if source == "pos":
        return f"{store_code.upper()}-{counters.next(store_code):06d}"
    if source == "web":
        return f"W{1_000_000 + number}"
    if source == "app":
        return f"a{(number * 2654435761) % 2**32:08x}"  # a bijection: unique, looks random
    if source == "loyalty":
        return person.loyalty_card
    if source == "social":
        first, last = _slug(person.first_name), _slug(person.last_name)
        handle = rng.choice([f"{first}.{last}", f"{first}_{last}", f"{first}{last[:1]}", first])
        return f"{handle}{number}"
    return f"CC{number:07d}"


def _written_names(rng, person: Person, source: str) -> tuple[str, str]:
    typo_rate, upper_rate, accent_rate, swap_rate, initial_rate = NAME_NOISE[source]
    first, last = person.first_name, person.last_name
    if source == "social":
        first = names.NICKNAMES.get(first, first) if chance(rng, 0.4) else first
        last = rng.choice([last, last, f"{last[0]}.", ""])
    if chance(rng, typo_rate):
        if chance(rng, 0.5):
            first = typo(rng, first)
        else:
            last = typo(rng, last)
    if chance(rng, accent_rate):
        first, last = drop_accents(rng, first), drop_accents(rng, last)
    if " " in first and chance(rng, 0.3):
        first = first.replace(" ", "")  # Gian Marco → GianMarco
    if chance(rng, initial_rate):
        first = f"{first[0]}."
    if chance(rng, upper_rate):
        first, last = first.upper(), last.upper()
    if chance(rng, swap_rate):
        first, last = last, first
    return first, last


def typo(rng: random.Random, text: str) -> str:
    """A slip of the finger: two letters swapped, one dropped or one doubled."""
    if len(text) < 4:
        return text
    at = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    if kind == 1:
        return text[:at] + text[at + 1 :]
    return text[:at] + text[at] + text[at:]


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def drop_accents(rng: random.Random, text: str) -> str:
    """Niccolò → Niccolo, or Niccolo' as Italian keyboards without the key write it."""
    plain = strip_accents(text)
    if plain != text and text[-1] in "àèéìòù" and chance(rng, 0.4):
        return plain + "'"
    return plain


def clean_name(text: str) -> str:
    text = " ".join(text.split())
    return text.title() if text.isupper() else text


def _written_email(rng, email: str) -> str:
    if not email:
        return ""
    roll = rng.random()
    if roll < 0.08:
        return email.upper()
    if roll < 0.2:
        local, domain = email.split("@")
        return f"{local.title()}@{domain.capitalize()}"
    if roll < 0.23:
        local, domain = email.split("@")
        return f"{local}@{names.DOMAIN_TYPOS.get(domain, domain)}"
    if roll < 0.26:
        return f" {email} "
    return email


def _written_phone(rng, digits: str) -> str:
    """The same number as people and systems write it."""
    if digits.startswith("0"):  # landline: area code first
        area = digits[:2] if digits[:2] in ("02", "06") else digits[:3]
        if len(digits) > 10 or digits[:4] in ("0774", "0542", "0574", "0185"):
            area = digits[:4] if digits[:4] in ("0774", "0542", "0574", "0185") else area
        rest = digits[len(area) :]
        return rng.choice(
            [digits, f"{area} {rest}", f"{area}/{rest}", f"{area}-{rest}", f"+39 {area} {rest}"]
        )
    return rng.choice(
        [
            digits,
            digits,
            f"{digits[:3]} {digits[3:6]} {digits[6:]}",
            f"{digits[:3]} {digits[3:]}",
            f"{digits[:3]}-{digits[3:]}",
            f"{digits[:3]}/{digits[3:]}",
            f"+39 {digits[:3]}-{digits[3:]}",
            f"+39{digits}",
            f"+39 {digits[:3]} {digits[3:]}",
            f"0039{digits}",
            f"0039 {digits}",
        ]
    )


ABBREVIATIONS = {"Via": "V.", "Viale": "V.le", "Corso": "C.so", "Piazza": "P.za"}


def _written_street(rng, street: str, source: str) -> str:
    kind, rest = street.split(" ", 1)
    name, number = rest.rsplit(" ", 1)
    roll = rng.random()
    if roll < 0.15:
        kind = ABBREVIATIONS.get(kind, kind)
    elif roll < 0.22:
        number = f"n.{number}"
    elif roll < 0.35:
        name = f"{name},"
    text = f"{kind} {name} {number}"
    if source in ("pos", "loyalty") and chance(rng, 0.3):
        return text.upper()
    if chance(rng, 0.05):
        return text.lower()
    return text


def _written_timestamp(source: str, moment: dt.datetime) -> str:
    if source in ("web", "app"):
        return moment.isoformat()
    if source in ("pos", "loyalty"):
        return moment.strftime("%d/%m/%Y %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def ean13(twelve_digits: str) -> str:
    """Add the EAN-13 check digit, as printed under a card's barcode."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve_digits))
    return twelve_digits + str((10 - total % 10) % 10)


GOLDEN_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "street",
    "postcode",
    "city",
)
TRUST = {"loyalty": 90, "web": 80, "app": 75, "pos": 60, "contact_center": 50, "social": 30}


def golden_record(person: Person, hub_phones: set[str]) -> dict:
    """The customer as a perfect import would see them: the person's true values, where a
    channel told us about them, with the most trusted record that did as provenance."""
    records = sorted(person.records, key=lambda record: -TRUST[record.source])
    true_values = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": f"+39{person.phone_given}" if person.phone_given else "",
        "birth_date": person.birth_date,
        "street": person.street,
        "postcode": person.postcode,
        "city": person.city,
    }
    golden: dict = {}
    provenance = {}
    for name in GOLDEN_FIELDS:
        told = next((record for record in records if getattr(record, name)), None)
        value = true_values[name] if told else ("" if name != "birth_date" else None)
        if name == "email" and told and not any(r.email == value.lower() for r in records):
            value = next((r.email for r in records if r.email and r.email != HUB_EMAIL), "")
        if name == "phone" and (value in hub_phones or not any(r.phone == value for r in records)):
            value = next((r.phone for r in records if r.phone and r.phone not in hub_phones), "")
        golden[name] = value
        if value and told:
            provenance[name] = {"source": told.source, "external_id": told.external_id}
    golden["province"] = person.province if golden["city"] else ""
    filled = sum(1 for name in GOLDEN_FIELDS if golden[name])
    golden["profile_completeness"] = round(100 * filled / len(GOLDEN_FIELDS))
    golden["provenance"] = provenance
    return golden
