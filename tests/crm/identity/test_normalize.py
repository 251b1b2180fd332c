import dataclasses
import datetime as dt
import re
import string
from decimal import Decimal

import pytest
from django.conf import LazySettings
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.identity import normalize
from crm.identity.normalize import (
    NormalizedPerson,
    date_from_excel_serial,
    email_canonical_key,
    fold,
    is_initial,
    name_tokens,
    normalize_city,
    normalize_country,
    normalize_email,
    normalize_loyalty_card,
    normalize_name,
    normalize_person,
    normalize_phone,
    normalize_postcode,
    normalize_street,
    parse_birth_date,
    parse_yes_no,
    phone_kind,
)

# No example database: several people run these tests in one checkout at once.
PROPERTIES = settings(max_examples=300, deadline=None, database=None)

TODAY = dt.date.today()

# Whatever a spreadsheet, a CSV reader or a JSON payload may put in a cell.
ANY_CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(),
    st.binary(max_size=20),
    st.dates(),
    st.datetimes(),
    st.lists(st.integers(), max_size=3),
)
WORD = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=10)
PHONE_LIKE = st.text(alphabet="0123456789 +-()/.x", max_size=25)


# --- fold ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Niccolò  D’Amico", "niccolo d'amico"),
        ("  ÀÈÌÒÙ àèìòù  ", "aeiou aeiou"),
        ("D`Amico", "d'amico"),
        ("D´Amico", "d'amico"),
        ("“Rossi”", '"rossi"'),
        ("Rossi–Bianchi", "rossi-bianchi"),
        ("Rossi—Bianchi", "rossi-bianchi"),
        ("Straße", "strasse"),
        ("Søren Łukasz Æsir", "soren lukasz aesir"),
        ("Mario\u00a0Rossi", "mario rossi"),
        ("Ma\u200brio\u00ad", "mario"),
        ("tab\tand\nnew line", "tab and new line"),
        ("ＭＡＲＩＯ", "mario"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold(value, expected):
    assert fold(value) == expected


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mario", "mario"),
        ("  ROSSI ", "rossi"),
        ("Niccolò", "niccolo"),
        ("D'Amico", "damico"),
        ("D’Amico", "damico"),
        ("D Amico", "damico"),
        ("Dell'Acqua", "dellacqua"),
        ("Dell' Acqua", "dellacqua"),
        ("dell acqua", "dellacqua"),
        ("DELL'ACQUA", "dellacqua"),
        ("De Luca", "deluca"),
        ("DeLuca", "deluca"),
        ("DE LUCA", "deluca"),
        ("de-luca", "deluca"),
        ("Lo Russo", "lorusso"),
        ("LoRusso", "lorusso"),
        ("Li Causi", "licausi"),
        ("Di Stefano", "distefano"),
        ("Della Valle", "dellavalle"),
        ("Dalla Chiesa", "dallachiesa"),
        ("Degli Esposti", "degliesposti"),
        ("De' Medici", "demedici"),
        ("De La Cruz", "delacruz"),
        ("San Filippo", "sanfilippo"),
        ("Van der Berg", "vanderberg"),
        ("Maria De", "maria de"),
        ("Maria Grazia", "maria grazia"),
        ("Anna-Maria", "anna maria"),
        ("O'Brien", "obrien"),
        ("Sig. Mario Rossi", "mario rossi"),
        ("Sig.ra Bianchi", "bianchi"),
        ("Dott. Rossi", "rossi"),
        ("Dott.ssa Maria Rossi", "maria rossi"),
        ("Dr Verdi", "verdi"),
        ("Ing. De Luca", "deluca"),
        ("Avv. Neri", "neri"),
        ("Prof. Gialli", "gialli"),
        ("Gent.ma Sig.ra Rossi", "rossi"),
        ("Rossi Dott.", "rossi dott"),
        ("Dott. Ma Li", "ma li"),
        ("Mario2", "mario"),
        ("Rossi (cliente)", "rossi cliente"),
        ("Иван", ""),
        ("", ""),
        ("Sig.", ""),
        (None, ""),
        (42, ""),
    ],
)
def test_normalize_name(value, expected):
    assert normalize_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Maria Grazia", ["maria", "grazia"]),
        ("Gian-Luca", ["gian", "luca"]),
        ("De Luca", ["deluca"]),
        ("", []),
    ],
)
def test_name_tokens(value, expected):
    assert name_tokens(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("M.", True),
        ("M", True),
        ("m", True),
        (" M. ", True),
        ("M.G.", True),
        ("M. G.", True),
        ("É.", True),
        ("Mg", False),
        ("Mario", False),
        ("M3", False),
        ("", False),
        (".", False),
        (None, False),
    ],
)
def test_is_initial(value, expected):
    assert is_initial(value) is expected


# --- e-mail -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mario.rossi@example.it", "mario.rossi@example.it"),
        ("  Mario.Rossi@Example.IT ", "mario.rossi@example.it"),
        ("<mario@example.it>", "mario@example.it"),
        ("mailto:mario@example.it", "mario@example.it"),
        ("MAILTO:mario@example.it?subject=ciao", "mario@example.it"),
        ("Mario Rossi <mario@example.it>", "mario@example.it"),
        ('"mario@example.it"', "mario@example.it"),
        ("mario@example.it;", "mario@example.it"),
        ("mario.rossi+shop@gmail.com", "mario.rossi+shop@gmail.com"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("mario@sub.example.co.uk", "mario@sub.example.co.uk"),
        ("mario@example", ""),
        ("mario.example.it", ""),
        ("mario@@example.it", ""),
        ("ma@rio@example.it", ""),
        ("mario rossi@example.it", ""),
        ("mario@exa mple.it", ""),
        ("@example.it", ""),
        ("mario@.it", ""),
        ("mario@example.1", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_email(value, expected):
    assert normalize_email(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mario.Rossi@Gmail.com", "mariorossi@gmail.com"),
        ("m.a.r.i.o.rossi+newsletter@gmail.com", "mariorossi@gmail.com"),
        ("mario.rossi@googlemail.com", "mariorossi@gmail.com"),
        ("mario.rossi+shop@example.it", "mario.rossi@example.it"),
        ("mario.rossi@example.it", "mario.rossi@example.it"),
        ("+tag@example.it", ""),
        ("not an address", ""),
    ],
)
def test_email_canonical_key(value, expected):
    assert email_canonical_key(value) == expected


def test_gmail_tricks_are_kept_by_normalize_email_and_folded_by_the_key():
    one, other = "mario.rossi@gmail.com", "MarioRossi+promo@gmail.com"

    assert normalize_email(one) != normalize_email(other)
    assert email_canonical_key(one) == email_canonical_key(other)


# --- phone numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("347 123 4567", "+393471234567"),
        ("3471234567", "+393471234567"),
        ("+39 347-1234567", "+393471234567"),
        ("+39 347 123 4567", "+393471234567"),
        ("0039 347 1234567", "+393471234567"),
        ("393471234567", "+393471234567"),
        ("347.123.4567", "+393471234567"),
        ("(02) 1234 5678", "+390212345678"),
        ("02/12345678", "+390212345678"),
        ("02-12345678", "+390212345678"),
        ("+39 02 12345678", "+390212345678"),
        ("06 1234 5678", "+390612345678"),
        ("02 12345678 int. 23", "+390212345678"),
        ("347 1234567 ext 12", "+393471234567"),
        ("Tel. 347 1234567 (casa)", "+393471234567"),
        ("cell: 347.123.4567 / ufficio 02 12345678", "+393471234567"),
        ("+41 44 668 18 00", "+41446681800"),
        ("+44 20 7946 0958", "+442079460958"),
        (3471234567, "+393471234567"),
        (3471234567.0, "+393471234567"),
        (212345678, "+390212345678"),  # 0212345678 after a spreadsheet dropped the zero
        ("12345", ""),
        ("347", ""),
        ("000 000 0000", ""),
        ("n/d", ""),
        ("", ""),
        (None, ""),
        (True, ""),
        (3.5, ""),
    ],
)
def test_normalize_phone(value, expected):
    assert normalize_phone(value) == expected


def test_a_number_without_country_code_is_read_in_the_given_region():
    assert normalize_phone("044 668 18 00", region="CH") == "+41446681800"
    assert normalize_phone("044 668 18 00", region="ch") == "+41446681800"


def test_the_default_region_comes_from_settings(settings):
    settings.BOTTEGA_PHONE_REGION = "CH"

    assert normalize_phone("044 668 18 00") == "+41446681800"


def test_the_default_region_is_italy_without_django_settings(monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.setattr(normalize, "settings", LazySettings())

    assert normalize_phone("347 123 4567") == "+393471234567"


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+393471234567", "mobile"),
        ("+393331234567", "mobile"),
        ("+390212345678", "landline"),
        ("+390612345678", "landline"),
        ("+41446681800", "landline"),
        ("+41791234567", "mobile"),
        ("+12015550123", "unknown"),  # the US plan cannot tell (FIXED_LINE_OR_MOBILE)
        ("+39800123456", "unknown"),  # toll free
        ("+39123", "unknown"),
        ("3471234567", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_phone_kind(e164, expected):
    assert phone_kind(e164) == expected


# --- postcodes, countries, streets, cities, cards ------------------------------------------


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("20121", "IT", "20121"),
        (" 20121 ", "IT", "20121"),
        ("00100", "IT", "00100"),
        ("0100", "IT", "00100"),  # Rome, after a spreadsheet dropped a zero
        ("100", "IT", "00100"),
        ("10", "IT", "00010"),
        (100, "IT", "00100"),
        (20121, "IT", "20121"),
        (20121.0, "IT", "20121"),
        ("20121.0", "IT", "20121"),
        ("I-20121", "IT", "20121"),
        ("IT-20121", "IT", "20121"),
        ("201 21", "IT", "20121"),
        ("2012A", "IT", ""),
        ("201211", "IT", ""),
        ("1", "IT", ""),
        ("00000", "IT", ""),
        ("n.d.", "IT", ""),
        ("47890", "SM", "47890"),
        ("1234", "FR", "01234"),
        ("8001", "CH", "8001"),
        ("sw1a 1aa", "GB", "SW1A1AA"),
        ("00-950", "PL", "00-950"),
        ("N/A", "GB", ""),
        ("XXXXX", "GB", ""),
        ("20121", "", "20121"),
        ("", "IT", ""),
        (None, "IT", ""),
    ],
)
def test_normalize_postcode(value, country, expected):
    assert normalize_postcode(value, country) == expected


def test_postcode_country_defaults_to_italy():
    assert normalize_postcode("100") == "00100"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("IT", "IT"),
        ("it", "IT"),
        ("ITA", "IT"),
        ("Italia", "IT"),
        ("Italy", "IT"),
        ("ch", "CH"),
        ("Svizzera", "CH"),
        ("San Marino", "SM"),
        ("UK", "GB"),
        ("Regno Unito", "GB"),
        ("Stati Uniti d'America", "US"),
        ("XX", ""),
        ("Atlantide", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_country(value, expected):
    assert normalize_country(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Via Roma 12", "via roma 12"),
        ("V. Roma, 12", "via roma 12"),
        ("V Roma 12", "via roma 12"),
        ("v,roma 12", "via roma 12"),
        ("V.le Monza, n. 3", "viale monza 3"),
        ("P.za Duomo 1", "piazza duomo 1"),
        ("P.zza Garibaldi, n° 3/B", "piazza garibaldi 3b"),
        ("C.so Buenos Aires nº 12", "corso buenos aires 12"),
        ("C/so Vittorio Emanuele II, 5", "corso vittorio emanuele ii 5"),
        ("Str. Provinciale 12 / a", "strada provinciale 12a"),
        ("L.go Augusto 3", "largo augusto 3"),
        ("Via dell’Orso, 5 A", "via dell orso 5a"),
        ("Via Roma nr.12", "via roma 12"),
        ("Via Roma civ. 12", "via roma 12"),
        ("Via Roma 12-14", "via roma 12-14"),
        ("Via V. Veneto 5", "via v veneto 5"),  # only the first word is a street type
        ("Via  Garibaldi ,  5", "via garibaldi 5"),
        ("Via Roma 1 e 3", "via roma 1e 3"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_street(value, expected):
    assert normalize_street(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Milano", "milano"),
        ("Reggio nell'Emilia", "reggio nell emilia"),
        ("Reggio nell’Emilia", "reggio nell emilia"),
        ("Forlì", "forli"),
        ("Milano (MI)", "milano"),
        ("Castel San Pietro-Terme", "castel san pietro terme"),
        ("S. Donato Milanese", "s donato milanese"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_city(value, expected):
    assert normalize_city(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ab-123 45", "AB12345"),
        ("0012345", "0012345"),
        (12345678, "12345678"),
        (12345678.0, "12345678"),
        ("0000", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_loyalty_card(value, expected):
    assert normalize_loyalty_card(value) == expected


# --- birth dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(1985, 5, 17), dt.date(1985, 5, 17)),
        (dt.datetime(1985, 5, 17, 10, 30), dt.date(1985, 5, 17)),
        ("1985-05-17", dt.date(1985, 5, 17)),
        ("1985-5-7", dt.date(1985, 5, 7)),
        ("1985-05-17 00:00:00", dt.date(1985, 5, 17)),
        ("1985-05-17T10:30:00Z", dt.date(1985, 5, 17)),
        ("1985-05-17T10:30:00+02:00", dt.date(1985, 5, 17)),
        ("1985/05/17", dt.date(1985, 5, 17)),
        ("17/05/1985", dt.date(1985, 5, 17)),
        ("17-05-1985", dt.date(1985, 5, 17)),
        ("17.05.1985", dt.date(1985, 5, 17)),
        ("17/5/1985", dt.date(1985, 5, 17)),
        ("17/05/1985 00:00", dt.date(1985, 5, 17)),
        ("03/04/1985", dt.date(1985, 4, 3)),  # day first, always
        ("17 mag 1985", dt.date(1985, 5, 17)),
        ("17-May-1985", dt.date(1985, 5, 17)),
        ("17 dicembre 1985", dt.date(1985, 12, 17)),
        ("19850517", dt.date(1985, 5, 17)),
        ("17051985", dt.date(1985, 5, 17)),
        # Two-digit years: the most recent century that is not in the future.
        ("17/05/85", dt.date(1985, 5, 17)),
        ("01/01/10", dt.date(2010, 1, 1)),
        ("31/12/99", dt.date(1999, 12, 31)),
        (f"01/01/{(TODAY.year + 1) % 100:02d}", dt.date(TODAY.year + 1 - 100, 1, 1)),
        # Excel serial numbers (1900 date system).
        (31184, dt.date(1985, 5, 17)),
        (31184.75, dt.date(1985, 5, 17)),
        (Decimal("31184"), dt.date(1985, 5, 17)),
        ("31184", dt.date(1985, 5, 17)),
        ("31184.0", dt.date(1985, 5, 17)),
        ("31184,0", dt.date(1985, 5, 17)),
        # Impossible, future, too old, placeholders, not a date.
        ("31/02/1985", None),
        ("29/02/1985", None),
        ("17/13/1985", None),
        ("2099-01-01", None),
        ((TODAY + dt.timedelta(days=1)).isoformat(), None),
        ("01/01/1890", None),
        (dt.date(1850, 1, 1), None),
        ("00/00/0000", None),
        ("0000-00-00", None),
        ("1900-01-01", None),
        ("01/01/1900", None),
        (1, None),  # Excel's 1900-01-01
        (60, None),  # Excel's 29 February 1900
        (0, None),
        (-5, None),
        (10**30, None),
        (float("nan"), None),
        (True, None),
        ("17 foo 1985", None),
        ("maggio", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_birth_date(value, expected):
    assert parse_birth_date(value) == expected


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (60, None),  # 29 February 1900, which Excel counts and the calendar does not
        (61, dt.date(1900, 3, 1)),
        (25569, dt.date(1970, 1, 1)),
        (31184, dt.date(1985, 5, 17)),
        (36526, dt.date(2000, 1, 1)),
        (45658.99, dt.date(2025, 1, 1)),
        (0, None),
        (2_958_466, None),
        (float("inf"), None),
    ],
)
def test_date_from_excel_serial_counts_excel_s_phantom_leap_day(serial, expected):
    assert date_from_excel_serial(serial) == expected


# --- yes / no -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["yes", "Y", "si", "Sì", "SI'", "s", "true", "TRUE", "1", "x", "X", "ok", "Vero", "acconsento"],
)
def test_parse_yes_no_reads_yes(value):
    assert parse_yes_no(value) is True


@pytest.mark.parametrize(
    "value", ["no", "N", "No.", "false", "0", "falso", "Non acconsento", "NON  ACCONSENTO"]
)
def test_parse_yes_no_reads_no(value):
    assert parse_yes_no(value) is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (1.0, True),
        (2, None),
        ("", None),
        ("   ", None),
        ("forse", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_parse_yes_no_other_values(value, expected):
    assert parse_yes_no(value) is expected


# --- a person -----------------------------------------------------------------------------


def test_normalize_person_normalizes_every_field():
    row = {
        "external_id": "web-42",
        "first_name": " Niccolò ",
        "last_name": "D’Amico",
        "email": "<N.DAmico@Gmail.com>",
        "phone": "347 123 4567",
        "birth_date": "17/05/85",
        "street": "V.le Monza, n. 3",
        "postcode": "20121",
        "city": "Reggio nell'Emilia (RE)",
        "country": "Italia",
        "loyalty_card": "ab-123 45",
        "marketing_consent": "sì",
    }

    person = normalize_person(row)

    assert person == NormalizedPerson(
        first_name="niccolo",
        last_name="damico",
        email="n.damico@gmail.com",
        phone="+393471234567",
        phone_kind="mobile",
        birth_date=dt.date(1985, 5, 17),
        street="viale monza 3",
        postcode="20121",
        city="reggio nell emilia",
        country="IT",
        loyalty_card="AB12345",
    )


def test_normalize_person_accepts_missing_keys_and_defaults_the_country():
    person = normalize_person({"last_name": "Rossi", "postcode": 100, "phone": "02 1234 5678"})

    assert person == NormalizedPerson(
        last_name="rossi",
        postcode="00100",
        phone="+390212345678",
        phone_kind="landline",
        country="IT",
    )


def test_normalize_person_reads_the_postcode_and_phone_for_its_country_and_region():
    row = {"country": "GB", "postcode": "sw1a 1aa", "phone": "020 7946 0958"}

    person = normalize_person(row, region="GB")

    assert (person.country, person.postcode, person.phone) == ("GB", "SW1A1AA", "+442079460958")


def test_normalize_person_of_an_empty_row():
    assert normalize_person({}) == NormalizedPerson(country="IT")


# --- properties ---------------------------------------------------------------------------

IDEMPOTENT = [
    fold,
    normalize_name,
    normalize_email,
    email_canonical_key,
    normalize_phone,
    normalize_postcode,
    normalize_street,
    normalize_city,
    normalize_country,
    normalize_loyalty_card,
]
OTHER_READERS = [phone_kind, is_initial, name_tokens, parse_birth_date, parse_yes_no]


def name_of(function) -> str:
    return function.__name__


@pytest.mark.parametrize("normalizer", IDEMPOTENT, ids=name_of)
@PROPERTIES
@given(value=st.text())
def test_normalizers_never_raise_on_text_and_are_idempotent(normalizer, value):
    once = normalizer(value)

    assert isinstance(once, str)
    assert normalizer(once) == once


@pytest.mark.parametrize("reader", OTHER_READERS, ids=name_of)
@PROPERTIES
@given(value=st.text())
def test_other_readers_never_raise_on_text(reader, value):
    reader(value)


@pytest.mark.parametrize("normalizer", [*IDEMPOTENT, *OTHER_READERS], ids=name_of)
@PROPERTIES
@given(value=ANY_CELL)
def test_normalizers_never_raise_on_any_cell(normalizer, value):
    normalizer(value)


@PROPERTIES
@given(value=PHONE_LIKE)
def test_normalize_phone_is_idempotent_on_phone_like_text(value):
    once = normalize_phone(value)

    assert normalize_phone(once) == once
    assert once == "" or re.fullmatch(r"\+[1-9]\d{6,14}", once)


@PROPERTIES
@given(
    value=st.text(alphabet="0123456789 -.AIT", max_size=8),
    country=st.sampled_from(["IT", "FR", "GB", "CH"]),
)
def test_normalize_postcode_is_idempotent_on_postcode_like_text(value, country):
    once = normalize_postcode(value, country)

    assert normalize_postcode(once, country) == once
    if country == "IT":
        assert once == "" or re.fullmatch(r"\d{5}", once)


@PROPERTIES
@given(value=st.text())
def test_normalize_name_keeps_lower_case_ascii_letters_and_single_spaces(value):
    name = normalize_name(value)

    assert re.fullmatch(r"[a-z ]*", name)
    assert re.fullmatch(r"(?:[a-z]+(?: [a-z]+)*)?", name)
    assert name_tokens(value) == name.split()


@PROPERTIES
@given(word=st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=12))
def test_a_particle_gives_the_same_name_apart_joined_or_hyphenated(word):
    assert (
        normalize_name(f"De {word}")
        == normalize_name(f"De{word}")
        == normalize_name(f"DE-{word.upper()}")
        == normalize_name(f"de {word.capitalize()}")
    )


@PROPERTIES
@given(value=st.text())
def test_fold_has_no_upper_case_accents_or_extra_spaces(value):
    folded = fold(value)

    assert folded == folded.strip()
    assert "  " not in folded
    assert folded == folded.casefold()
    assert not any(char in folded for char in "’‘“”–—")


@PROPERTIES
@given(value=st.text())
def test_normalize_email_is_one_address_without_spaces(value):
    email = normalize_email(value)

    assert email == "" or (email.count("@") == 1 and not re.search(r"\s", email))


@PROPERTIES
@given(
    local=st.lists(WORD, min_size=1, max_size=4).map(".".join),
    tag=st.text(alphabet=string.ascii_lowercase + string.digits, max_size=8),
)
def test_gmail_key_ignores_dots_and_tags(local, tag):
    plain = f"{local.replace('.', '')}@gmail.com"

    assert email_canonical_key(f"{local}+{tag}@googlemail.com") == plain
    assert email_canonical_key(f"{local.upper()}@GMAIL.COM") == plain


@PROPERTIES
@given(value=st.one_of(st.text(), st.integers(), st.floats(), st.dates(), st.datetimes()))
def test_a_birth_date_is_never_in_the_future_nor_too_old(value):
    birth_date = parse_birth_date(value)

    assert birth_date is None or dt.date(TODAY.year - 121, TODAY.month, 1) < birth_date <= TODAY


@PROPERTIES
@given(birth_date=st.dates(min_value=dt.date(TODAY.year - 99, 1, 1), max_value=TODAY))
def test_every_written_form_of_a_date_gives_the_date(birth_date):
    forms = [
        birth_date,
        birth_date.isoformat(),
        f"{birth_date:%d/%m/%Y}",
        f"{birth_date:%d-%m-%Y}",
        f"{birth_date:%d.%m.%Y}",
        f"{birth_date:%d/%m/%y}",
        (birth_date - dt.date(1899, 12, 30)).days,
    ]

    assert [parse_birth_date(form) for form in forms] == [birth_date] * len(forms)


@PROPERTIES
@given(
    row=st.dictionaries(
        st.sampled_from([field.name for field in dataclasses.fields(NormalizedPerson)] + ["x"]),
        ANY_CELL,
    )
)
def test_normalize_person_never_raises(row):
    assert isinstance(normalize_person(row), NormalizedPerson)
