"""Normalizers of the golden-record engine: what a channel typed, turned into comparison forms.

Every function here is pure (no database) and never raises: input it cannot read gives "" (or
None for dates and yes/no answers). That is safe because the row as it arrived stays on
``SourceRecord.raw``; a normalized value is only what matching and the golden record compare.

Imports call ``normalize_person`` on millions of rows, so tables and regular expressions are
built once, here, and the expensive parts (phone numbers, names, cities) are cached.
"""

import dataclasses
import datetime
import functools
import math
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal

import phonenumbers
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from phonenumbers.phonemetadata import PhoneMetadata
from phonenumbers.phonenumberutil import _number_type_helper


def _whole_number(value: object) -> int | None:
    """A spreadsheet cell holding a whole number (int, or a float or Decimal without a fraction)
    as an int; None for anything else, bools included."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None  # False for inf and nan
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


# --- Folding --------------------------------------------------------------------------------

_TYPOGRAPHY = str.maketrans(
    {
        # Apostrophes and single quotes. The acute and grave accents are typed as apostrophes
        # on keyboards without one ("D`Amico"); they must be mapped before NFKD splits them.
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u00b4`\u02b9\u02bb\u02bc", "'"),
        **dict.fromkeys("\u02bd\uff07\u2039\u203a", "'"),
        # Double quotes and guillemets.
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\uff02", '"'),
        # Hyphens, dashes and the minus sign.
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d", "-"),
        # Letters that Unicode does not decompose into a base letter and a mark.
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ŧ": "t",
        "ı": "i",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        # Control characters other than whitespace (spreadsheets leave some behind).
        **dict.fromkeys([*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F], None),
    }
)

# Combining marks, invisible format characters (zero-width space, soft hyphen, BOM), controls,
# surrogates, private-use and unassigned code points: none of them tells two people apart.
_DROPPED_CATEGORIES = frozenset({"Mn", "Mc", "Me", "Cc", "Cf", "Cs", "Co", "Cn"})


def fold(value: str) -> str:
    """The text with accents dropped, case folded, typographic quotes and dashes made plain and
    whitespace collapsed: ``"Niccolò  D’Amico"`` → ``"niccolo d'amico"``.

    Letters with no decomposition are spelled out (ø → o, ł → l, æ → ae); other scripts are kept.
    Not a string gives "".
    """
    if not isinstance(value, str):
        return ""
    if value.isascii():
        return " ".join(value.translate(_TYPOGRAPHY).lower().split())
    text = unicodedata.normalize("NFKD", value.translate(_TYPOGRAPHY)).casefold()
    # Case folding may compose or expand again ("İ" → "i" + combining dot), hence a second pass
    # (the Unicode "compatibility caseless match" recipe).
    text = unicodedata.normalize("NFKD", text).casefold()
    category = unicodedata.category
    text = "".join(
        char
        for char in text
        if char < "\x80" or char.isspace() or category(char) not in _DROPPED_CATEGORIES
    )
    return " ".join(text.translate(_TYPOGRAPHY).split())


# --- Names ----------------------------------------------------------------------------------

# Particles written apart, together, hyphenated or elided in Italian surnames ("De Luca",
# "DeLuca", "de-luca", "D'Amico", "Lo Russo"), plus the common foreign ones.
_PARTICLES = frozenset(
    {
        *("d", "da", "dai", "dal", "dall", "dalla", "dalle", "dallo", "dagli"),
        *("de", "dei", "del", "dell", "della", "delle", "dello", "degli", "di"),
        *("la", "le", "li", "lo", "san", "sant"),
        *("van", "von", "der", "den", "du", "des", "mac", "mc"),
    }
)

# Titles and salutations, written before a name, and the endings that follow them once the
# dot is gone ("Sig.ra" → "sig ra", "Dott.ssa" → "dott ssa", "Gent.ma" → "gent ma").
_TITLE_ENDINGS = {
    "sig": frozenset({"ra", "na", "ri"}),
    "dott": frozenset({"ssa"}),
    "prof": frozenset({"ssa"}),
    "avv": frozenset({"to", "ssa"}),
    "gent": frozenset({"ma", "mo", "mi", "me"}),
    "egr": frozenset({"ia", "io"}),
}
_TITLES = frozenset(
    {
        *_TITLE_ENDINGS,
        *("sigra", "signa", "sigg", "signor", "signora", "signorina", "dottor", "dottore"),
        *("dottssa", "dottoressa", "dr", "dssa", "ing", "avvto", "profssa", "professore"),
        *("professoressa", "geom", "rag", "arch", "egregio", "gentile", "gentma"),
        *("mr", "mrs", "ms"),
    }
)
_NO_TITLE_ENDINGS: frozenset[str] = frozenset()
_NOT_ASCII_LETTERS = re.compile(r"[^a-z]+")


def normalize_name(value: str) -> str:
    """The comparison form of a first or last name: ASCII lower-case letters and single spaces.

    The rule, in order:

    1. fold (accents, case, typographic apostrophes);
    2. apostrophes are removed, joining the letters around them ("D'Amico" → "damico",
       "Dell'Acqua" → "dellacqua");
    3. anything but a letter a-z (hyphens, dots, digits, other punctuation, letters of other
       scripts) separates words ("Anna-Maria" → "anna maria");
    4. a particle (de, del, della, dell, di, da, dal, dalla, dall, degli, dei, d, lo, la, li,
       san, sant, van, von… see ``_PARTICLES``) is joined to the word after it, so "De Luca",
       "DeLuca", "DE LUCA" and "de-luca" all give "deluca", "Lo Russo" gives "lorusso" and
       "dell acqua" gives "dellacqua". Particles in a row join too ("De La Cruz" → "delacruz");
       a particle with no word after it stays a word of its own;
    5. titles before the name (sig, sig.ra, dott, dott.ssa, dr, ing, avv, prof, geom…) are
       dropped: "Dott.ssa Maria Rossi" → "maria rossi". A title after the name is kept, because
       there it may well be a name.

    Not a string, or nothing left, gives "".
    """
    if not isinstance(value, str):
        return ""
    return _normalize_name(value)


@functools.lru_cache(maxsize=65_536)  # names repeat a lot: Maria, Giuseppe, Rossi, Russo…
def _normalize_name(value: str) -> str:
    letters = _NOT_ASCII_LETTERS.sub(" ", fold(value).replace("'", ""))
    words: list[str] = []
    prefix = ""
    for token in letters.split():
        word = prefix + token
        # "d" + "a" makes "da", itself a particle: keep joining, so the result is stable.
        if token in _PARTICLES or word in _PARTICLES:
            prefix = word
        else:
            words.append(word)
            prefix = ""
    if prefix:
        words.append(prefix)
    # Titles come off after the joining, so that a title formed by it ("D R" → "dr") is seen now
    # rather than on a second pass.
    start = 0
    while start < len(words) and words[start] in _TITLES:
        endings = _TITLE_ENDINGS.get(words[start], _NO_TITLE_ENDINGS)
        start += 1
        if start < len(words) and words[start] in endings:
            start += 1
    return " ".join(words[start:])


def name_tokens(value: str) -> list[str]:
    """The words of ``normalize_name``: "Maria Grazia" → ["maria", "grazia"]."""
    return normalize_name(value).split()


_INITIAL_SEPARATORS = re.compile(r"[\s.\-]+")


def is_initial(value: str) -> bool:
    """Whether a first name is only initials: "M.", "M", "M.G.", "M. G."."""
    words = _INITIAL_SEPARATORS.split(fold(value))
    letters = [word for word in words if word]
    return bool(letters) and all(len(word) == 1 and "a" <= word <= "z" for word in letters)


# --- E-mail ---------------------------------------------------------------------------------

_EMAIL_ADDRESS = re.compile(
    # The local part may not begin with a dot or a quote; the domain is dot-separated labels of
    # letters and digits (hyphens inside) and a top-level domain of letters or punycode.
    r"[^\s@<>()\[\],;:\"\\'.][^\s@<>()\[\],;:\"\\]{0,63}"
    r"@(?:[^\W_](?:-*[^\W_])*\.)+(?:[^\W\d_]{2,63}|xn--(?:-*[^\W_])+)"
)
_EMAIL_TRIM = " \t\r\n\"'<>.,;:"


def normalize_email(value: str) -> str:
    """The address, lower-case, without surrounding spaces, quotes, ``<>`` or ``mailto:``;
    "Mario Rossi <mario@x.it>" gives the address inside the brackets.

    "" when it is not a plausible address: exactly one @, a dot in the domain, no spaces.
    Provider tricks (Gmail's dots, +tags) are kept: see ``email_canonical_key``.
    """
    if not isinstance(value, str) or len(value) > 1000:
        return ""
    text = value.strip()
    if "<" in text and ">" in text:
        text = text[text.rfind("<") + 1 :].split(">", 1)[0]
    text = text.strip(_EMAIL_TRIM)
    if text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0].strip(_EMAIL_TRIM)
    text = text.lower()
    if len(text) > 254 or not _EMAIL_ADDRESS.fullmatch(text):  # 254: the SMTP limit
        return ""
    return text


_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def email_canonical_key(email: str) -> str:
    """A looser key for an address: the +tag dropped (every provider that offers plus
    addressing delivers "mario+shop@x.it" to "mario@x.it"), and for Gmail the dots in the local
    part dropped too and googlemail.com read as gmail.com.

    Two addresses sharing this key are probably one mailbox, but not certainly (a company
    domain may hand out "mario.rossi" and "mariorossi" to two people), so it is weaker evidence
    than the address itself and never merges records on its own. "" when not an address.
    """
    address = normalize_email(email)
    if not address:
        return ""
    local, _, domain = address.rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    if not local:
        return ""
    return f"{local}@{domain}"


# --- Phone numbers --------------------------------------------------------------------------

_E164 = phonenumbers.PhoneNumberFormat.E164
_PHONE_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "landline",
}


def _default_region() -> str:
    try:
        return getattr(settings, "BOTTEGA_PHONE_REGION", "") or "IT"
    except ImproperlyConfigured:  # used outside Django (a script, a notebook)
        return "IT"


def _number_and_type(text: str, region: str | None) -> tuple[phonenumbers.PhoneNumber, int]:
    """The number written in ``text`` and its type; UNKNOWN when it is not a valid number
    (``is_valid_number`` is ``number_type(…) != UNKNOWN`` inside the library)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return phonenumbers.PhoneNumber(), phonenumbers.PhoneNumberType.UNKNOWN
    # number_type() first looks for the number's region by typing it against each region that
    # shares its country code, then types it again: +39 (Italy and the Vatican) pays twice. For
    # the country code's main region the first typing is the answer, and typing once saves a
    # quarter of the time a phone number takes. The helper is private, but the library is
    # pinned and the tests here cover both kinds.
    main_region = phonenumbers.region_code_for_country_code(number.country_code)
    metadata = PhoneMetadata.metadata_for_region(main_region)
    if metadata is not None and metadata.leading_digits is None:
        national_number = phonenumbers.national_significant_number(number)
        number_type = _number_type_helper(national_number, metadata)
        if number_type != phonenumbers.PhoneNumberType.UNKNOWN:
            return number, number_type
    return number, phonenumbers.number_type(number)


@functools.lru_cache(maxsize=65_536)  # the same numbers come back from every channel
def _parse_phone(text: str, region: str) -> tuple[str, str]:
    """(E.164, kind) of a number written in ``text``, or ("", "")."""
    number, number_type = _number_and_type(text, region)
    if number_type == phonenumbers.PhoneNumberType.UNKNOWN:
        # Text around the number ("Tel. 347 1234567 (casa)", two numbers in one cell): let the
        # library find the first valid number in it. Slower, so only when plain parsing fails.
        matches = phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID, max_tries=20
        )
        match = next(iter(matches), None)
        if match is None:
            return "", ""
        number, number_type = match.number, phonenumbers.number_type(match.number)
    return phonenumbers.format_number(number, _E164), _PHONE_KINDS.get(number_type, "unknown")


_PHONE_SEPARATORS = str.maketrans("", "", " \t\u00a0.-/()")
_PLAIN_PHONE = re.compile(r"\+?[0-9]+")


def _phone_text(value: object) -> tuple[str, bool]:
    """The text of a phone cell, and whether it came from a spreadsheet number (which may
    have lost a leading zero)."""
    if isinstance(value, str):
        return value.strip(), False
    number = _whole_number(value)
    if number is None or not 0 < number < 10**17:
        return "", False
    return str(number), True


def _normalize_phone(value: object, region: str | None) -> tuple[str, str]:
    text, is_spreadsheet_number = _phone_text(value)
    if not text or len(text) > 100:
        return "", ""
    region = (region or _default_region()).upper()
    # Without the separators people type, the library parses a third faster and the same
    # number written two ways is one cache entry.
    compact = text.translate(_PHONE_SEPARATORS)
    if _PLAIN_PHONE.fullmatch(compact):
        text = compact
    parsed = _parse_phone(text, region)
    if not parsed[0] and is_spreadsheet_number:
        # A spreadsheet stores 0212345678 as the number 212345678.
        parsed = _parse_phone("0" + text, region)
    return parsed


def normalize_phone(value: str, region: str | None = None) -> str:
    """The number in E.164 ("+393471234567"), or "" when it is not a valid number.

    Reads the ways people write numbers: "347 123 4567", "+39 347-1234567", "0039 347…",
    "(02) 1234 5678", "02/12345678", with an extension ("int. 23", dropped) or words around
    ("Tel. 347 1234567 (casa)"). A number without a country code is read as a number of
    ``region``, by default ``settings.BOTTEGA_PHONE_REGION`` ("IT" outside Django). A
    spreadsheet number (int or float) that is not valid is tried again with the leading zero
    the spreadsheet dropped.
    """
    return _normalize_phone(value, region)[0]


@functools.lru_cache(maxsize=65_536)
def _phone_kind(e164: str) -> str:
    return _PHONE_KINDS.get(_number_and_type(e164, None)[1], "unknown")


def phone_kind(e164: str) -> str:
    """ "mobile", "landline" or "unknown" for a number in E.164. Where the numbering plan cannot
    tell (FIXED_LINE_OR_MOBILE, as in the United States), or for anything else, "unknown"."""
    if not isinstance(e164, str) or not e164.startswith("+") or len(e164) > 20:
        return "unknown"
    return _phone_kind(e164)


# --- Postcodes, countries, streets, cities --------------------------------------------------

# Numeric postcodes of a fixed length that may start with zeros, which spreadsheets drop:
# Rome's 00100 arrives as 100, and the 00010-00079 of its province as two digits.
_NUMERIC_POSTCODE_LENGTH = {"IT": 5, "SM": 5, "VA": 5, "FR": 5, "DE": 5, "ES": 5, "US": 5}
_POSTCODE_PREFIX = re.compile(r"^(?:I|IT|CAP)(?:-|(?=\d))")
_POSTCODE = re.compile(r"[A-Z0-9](?:-?[A-Z0-9]){1,9}")
_SPACES = re.compile(r"\s+")


def normalize_postcode(value: str, country: str = "IT") -> str:
    """The postcode as the post writes it: for Italy (and other countries with fixed-length
    numeric codes) the digits, left-padded with the zeros a spreadsheet dropped ("100" →
    "00100"); elsewhere upper-case without spaces ("sw1a 1aa" → "SW1A1AA"). "" when not
    plausible (letters in an Italian CAP, all zeros, no digit at all)."""
    if not isinstance(value, str):
        number = _whole_number(value)
        if number is None or not 0 < number < 10**10:
            return ""
        value = str(number)
    country = country.strip().upper() if isinstance(country, str) and country.strip() else "IT"
    text = _SPACES.sub("", value).upper()
    length = _NUMERIC_POSTCODE_LENGTH.get(country)
    if length is None:
        if len(text) > 12 or not _POSTCODE.fullmatch(text) or not any(c.isdigit() for c in text):
            return ""
        return text
    text = _POSTCODE_PREFIX.sub("", text, count=1)
    if text.endswith(".0"):  # "20121.0": a spreadsheet number exported as text
        text = text[:-2]
    if not (text.isascii() and text.isdigit() and 2 <= len(text) <= length):
        return ""
    text = text.zfill(length)
    return "" if text.count("0") == length else text


_COUNTRIES = {
    **dict.fromkeys(("i", "ita", "italia", "italy", "italie", "italien"), "IT"),
    **dict.fromkeys(("smr", "san marino", "repubblica di san marino"), "SM"),
    **dict.fromkeys(("vat", "vaticano", "citta del vaticano", "vatican city", "holy see"), "VA"),
    **dict.fromkeys(("che", "svizzera", "switzerland", "suisse", "schweiz"), "CH"),
    **dict.fromkeys(("fra", "francia", "france"), "FR"),
    **dict.fromkeys(("deu", "ger", "germania", "germany", "deutschland"), "DE"),
    **dict.fromkeys(("esp", "spagna", "spain", "espana"), "ES"),
    **dict.fromkeys(("aut", "austria", "osterreich"), "AT"),
    **dict.fromkeys(("svn", "slovenia"), "SI"),
    **dict.fromkeys(("hrv", "croazia", "croatia"), "HR"),
    **dict.fromkeys(("mco", "monaco", "principato di monaco"), "MC"),
    **dict.fromkeys(("mlt", "malta"), "MT"),
    **dict.fromkeys(("bel", "belgio", "belgium"), "BE"),
    **dict.fromkeys(("nld", "olanda", "paesi bassi", "netherlands"), "NL"),
    **dict.fromkeys(("prt", "portogallo", "portugal"), "PT"),
    **dict.fromkeys(("grc", "grecia", "greece"), "GR"),
    **dict.fromkeys(("rou", "romania"), "RO"),
    **dict.fromkeys(("alb", "albania"), "AL"),
    **dict.fromkeys(("pol", "polonia", "poland"), "PL"),
    **dict.fromkeys(("ukr", "ucraina", "ukraine"), "UA"),
    **dict.fromkeys(("mda", "moldavia", "moldova"), "MD"),
    **dict.fromkeys(("chn", "cina", "china"), "CN"),
    **dict.fromkeys(("mar", "marocco", "morocco"), "MA"),
    **dict.fromkeys(("bra", "brasile", "brazil"), "BR"),
    **dict.fromkeys(("uk", "gbr", "regno unito", "united kingdom", "gran bretagna"), "GB"),
    **dict.fromkeys(("great britain", "inghilterra", "england"), "GB"),
    **dict.fromkeys(("usa", "stati uniti", "stati uniti d america", "united states"), "US"),
    **dict.fromkeys(("united states of america",), "US"),
}
_ISO_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def normalize_country(value: str) -> str:
    """The ISO 3166 alpha-2 code, upper-case: "it", "ITA", "Italia" and "Italy" give "IT".
    "" when blank or not recognised (the raw value stays on the source record)."""
    text = _NOT_ALPHANUMERIC.sub(" ", fold(value)).strip()
    if len(text) == 2 and text.upper() in _ISO_COUNTRIES:
        return text.upper()
    return _COUNTRIES.get(text, "")


# Street-type abbreviations, recognised only as the first word: inside a street name "V." is
# more often a first name ("Via V. Veneto") than a street type.
_STREET_TYPES = {
    **dict.fromkeys(("v",), "via"),
    **dict.fromkeys(("v.le", "vle", "v/le"), "viale"),
    **dict.fromkeys(("p.za", "p.zza", "pza", "pzza", "p/za", "p/zza"), "piazza"),
    **dict.fromkeys(("p.le", "ple", "p/le"), "piazzale"),
    **dict.fromkeys(("p.tta",), "piazzetta"),
    **dict.fromkeys(("c.so", "cso", "c/so"), "corso"),
    **dict.fromkeys(("str", "s.da", "s/da"), "strada"),
    **dict.fromkeys(("l.go", "lgo"), "largo"),
    **dict.fromkeys(("v.lo", "vlo", "vic", "v.co"), "vicolo"),
    **dict.fromkeys(("loc",), "localita"),
    **dict.fromkeys(("fraz",), "frazione"),
    **dict.fromkeys(("b.go", "bgo"), "borgo"),
    **dict.fromkeys(("c.da", "c/da", "cda"), "contrada"),
    **dict.fromkeys(("sal",), "salita"),
    **dict.fromkeys(("gall",), "galleria"),
}
_LEADING_STREET_TYPE = re.compile(
    r"^[\W_]*("
    + "|".join(re.escape(key) for key in sorted(_STREET_TYPES, key=len, reverse=True))
    + r")(?![^\W_])\.?"
)
# Everything but letters, digits, spaces, slashes and hyphens becomes a space.
_STREET_PUNCTUATION = re.compile(r"[^\w\s/-]|_")
# "n. 12", "n° 12", "nº12" (folds to "no12"), "nr 12", "civ. 12": the house number's label.
_HOUSE_NUMBER_LABELS = frozenset({"n", "nr", "no", "num", "civ", "civico"})
_LABELLED_HOUSE_NUMBER = re.compile(r"(?:n|nr|no|num|civ|civico)([0-9].*)")
# "12 / a", "12-a", "12 a" → "12a": one way to write a house number's letter.
_HOUSE_NUMBER_LETTER = re.compile(r"([0-9])\s*[/-]?\s*([a-z])\b")


def _drop_house_number_labels(words: list[str]) -> list[str]:
    # Right to left, so that a label is dropped when the next word still kept is a number,
    # however many labels come in a row ("n. nr. 5"); a regular expression with a look-ahead
    # would do the same in quadratic time on a long enough line.
    kept: list[str] = []
    for word in reversed(words):
        if word in _HOUSE_NUMBER_LABELS and kept and "0" <= kept[-1][0] <= "9":
            continue
        if match := _LABELLED_HOUSE_NUMBER.fullmatch(word):
            word = match.group(1)
        kept.append(word)
    kept.reverse()
    return kept


def normalize_street(value: str) -> str:
    """The street line folded, with the street type spelled out ("V." → "via", "V.le" →
    "viale", "P.za"/"P.zza" → "piazza", "C.so" → "corso", "Str." → "strada"…), the house
    number's label ("n.", "n°", "nr") and punctuation dropped, and a house number's letter
    joined to it ("12/A" → "12a"): "P.zza Garibaldi, n° 3/B" → "piazza garibaldi 3b".
    Slashes and hyphens between numbers stay ("12/14")."""
    text = fold(value)
    if not text:
        return ""
    match = _LEADING_STREET_TYPE.match(text)
    if match:
        text = _STREET_TYPES[match.group(1)] + " " + text[match.end() :]
    # Slashes and hyphens mean something only between two characters ("12/14", "5/a").
    words = [word.strip("/-") for word in _STREET_PUNCTUATION.sub(" ", text).split()]
    text = " ".join(_drop_house_number_labels([word for word in words if word]))
    return _HOUSE_NUMBER_LETTER.sub(r"\1\2", text)


_PROVINCE_SUFFIX = re.compile(r"\(\s*[a-z]{2}\s*\)\s*$")


def normalize_city(value: str) -> str:
    """The city folded like a name but with its words kept apart: apostrophes, hyphens and other
    punctuation become spaces ("Reggio nell'Emilia" → "reggio nell emilia") and a trailing
    province in brackets is dropped ("Milano (MI)" → "milano"). Digits stay ("Milano 2")."""
    if not isinstance(value, str):
        return ""
    return _normalize_city(value)


@functools.lru_cache(maxsize=16_384)
def _normalize_city(value: str) -> str:
    text = _PROVINCE_SUFFIX.sub("", fold(value))
    return " ".join(_NOT_ALPHANUMERIC.sub(" ", text).split())


_NOT_CARD_CHARACTERS = re.compile(r"[^A-Z0-9]+")


def normalize_loyalty_card(value: str) -> str:
    """Letters and digits only, upper-case ("ab-123 45" → "AB12345"); "" for nothing or zeros."""
    if not isinstance(value, str):
        number = _whole_number(value)
        if number is None or number <= 0:
            return ""
        value = str(number)
    text = _NOT_CARD_CHARACTERS.sub("", value.upper())
    return "" if not text.strip("0") else text


# --- Dates ----------------------------------------------------------------------------------

_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_EXCEL_LAST_SERIAL = 2_958_465  # 9999-12-31
_PLACEHOLDER_DATES = frozenset(
    {datetime.date(1900, 1, 1), datetime.date(1899, 12, 31), datetime.date(1899, 12, 30)}
)
_OLDEST_AGE = 120

_TIME = (
    r"(?:[t\s]+\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:[.,]\d+)?)?\s*(?:[ap]\.?m\.?|z|[+-]\d{2}:?\d{2})?)?"
)
_ISO_DATE = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})" + _TIME)
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4}|\d{2})" + _TIME)
_MONTH_NAME_DATE = re.compile(r"(\d{1,2})[\s./-]*([a-z]{3,10})\.?[\s./-]*(\d{4}|\d{2})" + _TIME)
_COMPACT_DATE = re.compile(r"\d{8}")
_SERIAL_NUMBER = re.compile(r"\d{1,7}(?:[.,]\d+)?")
_MONTHS = {
    **dict.fromkeys(("gen", "genn", "gennaio", "jan", "january"), 1),
    **dict.fromkeys(("feb", "febbr", "febbraio", "february"), 2),
    **dict.fromkeys(("mar", "marzo", "march"), 3),
    **dict.fromkeys(("apr", "aprile", "april"), 4),
    **dict.fromkeys(("mag", "maggio", "may"), 5),
    **dict.fromkeys(("giu", "giugno", "jun", "june"), 6),
    **dict.fromkeys(("lug", "luglio", "jul", "july"), 7),
    **dict.fromkeys(("ago", "agosto", "aug", "august"), 8),
    **dict.fromkeys(("set", "sett", "settembre", "sep", "sept", "september"), 9),
    **dict.fromkeys(("ott", "ottobre", "oct", "october"), 10),
    **dict.fromkeys(("nov", "novembre", "november"), 11),
    **dict.fromkeys(("dic", "dicembre", "dec", "december"), 12),
}


def date_from_excel_serial(serial: float) -> datetime.date | None:
    """The date of an Excel serial number in the 1900 date system (what Excel on Windows and
    most exports use), fraction of a day ignored. Excel counts a 29 February 1900 that never
    was (Lotus 1-2-3's leap-year bug): serial 60 is that day, so it gives None, and every serial
    after it is one day ahead of a plain count from 1900-01-01. None outside 1…9999-12-31."""
    if isinstance(serial, bool) or not isinstance(serial, int | float | Decimal):
        return None
    if isinstance(serial, float) and not math.isfinite(serial):
        return None
    if isinstance(serial, Decimal) and not serial.is_finite():
        return None
    day = math.floor(serial)
    if not 1 <= day <= _EXCEL_LAST_SERIAL or day == 60:
        return None
    if day < 60:
        return _EXCEL_EPOCH + datetime.timedelta(days=day + 1)
    return _EXCEL_EPOCH + datetime.timedelta(days=day)


def _make_date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:  # 31/02, month 13, year 0
        return None


def _two_digit_year(year: int, month: int, day: int, today: datetime.date) -> int:
    # The most recent century that does not put the date in the future, so "85" is 1985 and
    # "05" is 2005: the person is then at most 100 years old.
    full_year = 2000 + year
    if (full_year, month, day) > (today.year, today.month, today.day):
        full_year -= 100
    return full_year


def _date_from_text(text: str, today: datetime.date) -> datetime.date | None:
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(group) for group in match.groups())
        return _make_date(year, month, day)
    if match := _DAY_FIRST_DATE.fullmatch(text):
        day, month, year = (int(group) for group in match.groups())
        if len(match.group(3)) == 2:
            year = _two_digit_year(year, month, day, today)
        return _make_date(year, month, day)
    if match := _MONTH_NAME_DATE.fullmatch(text):
        month = _MONTHS.get(match.group(2))
        if month is None:
            return None
        day, year = int(match.group(1)), int(match.group(3))
        if len(match.group(3)) == 2:
            year = _two_digit_year(year, month, day, today)
        return _make_date(year, month, day)
    if _COMPACT_DATE.fullmatch(text):
        # 19850517 (year first) or 17051985 (day first): only one of them is ever a real date
        # in the range a birth date may have.
        if text[:2] in ("19", "20"):
            return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return _make_date(int(text[4:]), int(text[2:4]), int(text[:2]))
    if _SERIAL_NUMBER.fullmatch(text):
        return date_from_excel_serial(float(text.replace(",", ".")))
    return None


def parse_birth_date(value: object) -> datetime.date | None:
    """A birth date from what a channel sent, or None.

    Reads date and datetime objects; ISO text ("1985-05-17", with or without a time); day-first
    text, always day first ("17/05/1985", "17-05-1985", "17.05.1985", "17 mag 1985"); two-digit
    years in the most recent century that is not in the future ("17/05/85" → 1985); compact
    "19850517"; and Excel serial numbers (int, float or numeric text, 1900 date system, see
    ``date_from_excel_serial``).

    None for impossible dates (31/02), dates in the future, people older than 120, and the
    placeholders systems put in an empty date ("00/00/0000", "1900-01-01", "01/01/1900").
    """
    today = datetime.date.today()
    if isinstance(value, datetime.datetime):
        birth_date = value.date()
    elif isinstance(value, datetime.date):
        birth_date = value
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        birth_date = date_from_excel_serial(value)
    elif isinstance(value, str) and len(value) <= 64:
        birth_date = _date_from_text(fold(value), today)
    else:
        return None
    if birth_date is None or birth_date > today or birth_date in _PLACEHOLDER_DATES:
        return None
    age = (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
    return None if age > _OLDEST_AGE else birth_date


# --- Yes / no -------------------------------------------------------------------------------

_ANSWERS = {
    **dict.fromkeys(("yes", "y", "si", "s", "true", "t", "1", "1.0", "x", "ok", "on"), True),
    **dict.fromkeys(("vero", "v", "acconsento", "accetto", "consenso", "checked"), True),
    **dict.fromkeys(("no", "n", "false", "f", "0", "0.0", "off", "falso"), False),
    **dict.fromkeys(("non acconsento", "non accetto", "nego", "unchecked"), False),
}
_NUMBER_ANSWERS = {1: True, 0: False}
_ANSWER_TRIM = " .,;:!'\"-_()[]"


def parse_yes_no(value: object) -> bool | None:
    """True or False from a yes/no cell in Italian or English, or a channel's code for it:
    "sì", "Yes", "X", "1", "vero", "acconsento" → True; "no", "0", "falso", "non acconsento" →
    False; bools and the numbers 1 and 0 as themselves. None for blank or anything else."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        number = _whole_number(value)
        return None if number is None else _NUMBER_ANSWERS.get(number)
    if len(value) > 40:
        return None
    return _ANSWERS.get(fold(value).strip(_ANSWER_TRIM))


# --- A person -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class NormalizedPerson:
    """The comparison forms of one people row: what matching reads and SourceRecord stores."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    phone_kind: str = ""  # "mobile", "landline", "unknown"; "" when there is no phone
    birth_date: datetime.date | None = None
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    loyalty_card: str = ""


def normalize_person(row: dict, region: str | None = None) -> NormalizedPerson:
    """Normalize a people row in the import format (``first_name``, ``last_name``, ``email``,
    ``phone``, ``birth_date``, ``street``, ``postcode``, ``city``, ``country``,
    ``loyalty_card``; missing keys and other keys are fine).

    A blank country is the home region (``region``, by default
    ``settings.BOTTEGA_PHONE_REGION``: "IT"); the postcode is read for the row's country.
    """
    get = row.get if isinstance(row, Mapping) else {}.get
    home = (region or _default_region()).upper()
    country_cell = get("country")
    if isinstance(country_cell, str) and country_cell.strip():
        country = normalize_country(country_cell)
    else:
        country = home
    phone, kind = _normalize_phone(get("phone"), home)
    return NormalizedPerson(
        first_name=normalize_name(get("first_name")),
        last_name=normalize_name(get("last_name")),
        email=normalize_email(get("email")),
        phone=phone,
        phone_kind=kind,
        birth_date=parse_birth_date(get("birth_date")),
        street=normalize_street(get("street")),
        postcode=normalize_postcode(get("postcode"), country or home),
        city=normalize_city(get("city")),
        country=country,
        loyalty_card=normalize_loyalty_card(get("loyalty_card")),
    )
