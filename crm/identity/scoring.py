"""Fellegi–Sunter scoring of record pairs: comparison levels, m/u probabilities, EM, weights.

Every compared field is reduced to a small integer *level* (missing, exact, close, …, different).
A pair's evidence for "same person" is the sum over fields of log2(m / u) for the level it got,
where m is the chance of that level among true matches and u among random pairs. u comes from
random record pairs (almost all of them are different people); m is learnt by EM on the blocked
candidate pairs, with u held fixed. Exact agreement on a name weighs by how rare the name is
(term frequency): two "Rossi" agree by chance far more often than two "Dell'Acqua".

Pure Python plus numpy: values are coded to integers once, pairs are arrays of record indexes,
and a fuzzy comparison is computed once per distinct pair of values.
"""

from __future__ import annotations

import dataclasses
import json
import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler

from crm.identity.given_names import distinct_given_names

MISSING = 0
EXACT = 1
NAME_CLOSE, NAME_FUZZY, NAME_DIFFERENT = 2, 3, 6  # in LEVELS["name"]

# Level names per kind of comparison; index 0 is always "missing" (weight 0, ignored by EM).
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("missing", "exact", "close", "fuzzy", "alias", "initial", "different"),
    "date": ("missing", "exact", "one_edit", "same_year", "different"),
    "email": ("missing", "exact", "close", "different"),
    "phone": ("missing", "exact", "close", "different"),
    "code": ("missing", "exact", "close", "different"),
    "address": ("missing", "exact", "close", "fuzzy", "different"),
    "place": ("missing", "exact", "close", "different"),
}

# Starting m for EM: agreement is likely among matches, disagreement rare.
_START_M = {
    "name": (0.0, 0.85, 0.06, 0.03, 0.01, 0.02, 0.03),
    "date": (0.0, 0.9, 0.05, 0.02, 0.03),
    "email": (0.0, 0.9, 0.05, 0.05),
    "phone": (0.0, 0.9, 0.05, 0.05),
    "code": (0.0, 0.9, 0.05, 0.05),
    "address": (0.0, 0.8, 0.1, 0.05, 0.05),
    "place": (0.0, 0.9, 0.05, 0.05),
}
PROBABILITY_FLOOR = 1e-6
# Among one person's records any level stays possible (people move, clerks mistype): an m
# below this would let one field veto everything else.
M_FLOOR = 0.002


@dataclass(slots=True)
class PersonRecord:
    """One channel record of a person, already normalized (lower-case, folded, E.164…).

    Empty string means "not given". ``extra_ids`` holds other identifiers by kind
    (``web_account``, ``app_id``, or a data set's own ids) and may also be compared.
    """

    record_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    phone_kind: str = ""  # "mobile", "landline" or "" when unknown
    birth_date: str = ""  # ISO yyyy-mm-dd
    street: str = ""
    postcode: str = ""
    city: str = ""
    loyalty_card: str = ""
    email_verified: bool = False
    source: str = ""
    extra_ids: dict[str, str] = field(default_factory=dict)

    def value(self, name: str) -> str:
        if name in _RECORD_FIELDS:
            value = getattr(self, name)
            return value.isoformat() if hasattr(value, "isoformat") else (value or "")
        return self.extra_ids.get(name, "") or ""


_RECORD_FIELDS = frozenset(f.name for f in dataclasses.fields(PersonRecord)) - {"extra_ids"}
# What ``RecordColumns`` keeps of a record: every text attribute but its id.
_COLUMN_FIELDS = tuple(
    f.name for f in dataclasses.fields(PersonRecord) if f.type == "str" and f.name != "record_id"
)


class RecordColumns(Sequence[PersonRecord]):
    """Many records held as columns: per attribute, one small integer per record pointing at
    the attribute's distinct values, each value stored once.

    What training reads (``match.train_model``), at a fraction of the memory of the records
    themselves: 400,000 ``PersonRecord`` take some 200 MB, their columns a quarter of that, since
    most values (names, birth dates, cities, the empty string) are shared by many records.
    Indexing or iterating gives the records back, without their ``record_id`` and
    ``email_verified``, which training does not read.
    """

    def __init__(self) -> None:
        self._count = 0
        self._codes: dict[str, array] = {}
        self._values: dict[str, list[str]] = {}
        self._lookup: dict[str, dict[str, int]] | None = {}
        for name in _COLUMN_FIELDS:
            self._add_column(name)

    @classmethod
    def from_records(cls, records: Iterable[PersonRecord]) -> RecordColumns:
        """The columns of these records, read one at a time: an iterator is never held whole."""
        columns = cls()
        for record in records:
            columns._append(record)
        columns._finish()
        return columns

    def _add_column(self, name: str) -> None:
        # code 0 is the empty string, so a column added late is empty for the records before
        self._codes[name] = array("i", bytes(4 * self._count))
        self._values[name] = [""]
        self._lookup[name] = {"": 0}

    def _append(self, record: PersonRecord) -> None:
        for name in record.extra_ids:
            if name not in self._codes:
                self._add_column(name)
        for name, codes in self._codes.items():
            value = record.value(name)
            lookup = self._lookup[name]
            code = lookup.get(value)
            if code is None:
                code = lookup[value] = len(lookup)
                self._values[name].append(value)
            codes.append(code)
        self._count += 1

    def _finish(self) -> None:
        self._codes = {
            name: np.frombuffer(codes, dtype=np.int32) for name, codes in self._codes.items()
        }
        self._lookup = None  # the values are found by code from now on

    def __len__(self) -> int:
        return self._count

    @property
    def names(self) -> list[str]:
        return list(self._codes)

    def codes(self, name: str) -> np.ndarray | None:
        """The code of each record's value of ``name`` (None: no record has one)."""
        return self._codes.get(name)

    def values(self, name: str) -> list[str]:
        """The distinct values of ``name``, by code; code 0 is the empty string."""
        return self._values.get(name, [""])

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        row = [self._values[name][codes[index]] for name, codes in self._codes.items()]
        return self._record(row, self.names[_PLAIN_COLUMNS:])

    def __iter__(self) -> Iterator[PersonRecord]:
        step = 10_000
        extra_names = self.names[_PLAIN_COLUMNS:]
        for start in range(0, self._count, step):
            columns = [
                [self._values[name][code] for code in codes[start : start + step].tolist()]
                for name, codes in self._codes.items()
            ]
            for row in zip(*columns, strict=True):
                yield self._record(row, extra_names)

    @staticmethod
    def _record(row, extra_names: list[str]) -> PersonRecord:
        extra_ids = {}
        for name, value in zip(extra_names, row[_PLAIN_COLUMNS:], strict=True):
            if value:
                extra_ids[name] = value
        # positional arguments: blocking calls this once a record and a rule
        return PersonRecord(
            "", *row[:_VERIFIED_AT], False, *row[_VERIFIED_AT:_PLAIN_COLUMNS], extra_ids
        )


_PLAIN_COLUMNS = len(_COLUMN_FIELDS)
# ``email_verified``'s place among the text attributes, in ``PersonRecord``'s argument order
_VERIFIED_AT = [f.name for f in dataclasses.fields(PersonRecord)].index("email_verified") - 1


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A compared field: the record attribute (or extra id kind), how to compare it, and
    whether exact agreement is weighed by the value's frequency."""

    name: str
    kind: str
    term_frequency: bool = False


DEFAULT_FIELDS = (
    FieldSpec("first_name", "name", term_frequency=True),
    FieldSpec("last_name", "name", term_frequency=True),
    FieldSpec("birth_date", "date"),
    FieldSpec("email", "email"),
    FieldSpec("phone", "phone"),
    FieldSpec("postcode", "code"),
    FieldSpec("street", "address"),
    FieldSpec("city", "place", term_frequency=True),
)


# --- comparing two values that are both present and not equal -------------------------------


def is_initial(name: str) -> bool:
    return len(name.rstrip(".")) == 1


# Common Italian short forms of first names, as people give them on social pages or the phone.
NICKNAMES = {
    "beppe": "giuseppe", "peppe": "giuseppe", "pino": "giuseppe", "peppino": "giuseppe",
    "gianni": "giovanni", "nanni": "giovanni", "vanni": "giovanni", "ciccio": "francesco",
    "franco": "francesco", "checco": "francesco", "cecco": "francesco", "toto": "salvatore",
    "turi": "salvatore", "sandro": "alessandro", "ale": "alessandro", "alex": "alessandro",
    "sandra": "alessandra", "fede": "federico", "gigi": "luigi", "nino": "antonino",
    "tonino": "antonio", "totonno": "antonio", "enzo": "vincenzo", "vince": "vincenzo",
    "mimmo": "domenico", "memo": "domenico", "pippo": "filippo", "lele": "emanuele",
    "manu": "emanuela", "betta": "elisabetta", "elisa": "elisabetta", "lisa": "elisabetta",
    "bea": "beatrice", "fra": "francesca", "franci": "francesca", "vale": "valentina",
    "giuly": "giulia", "titti": "concetta", "tina": "concetta", "pina": "giuseppina",
    "peppina": "giuseppina", "nina": "caterina", "rina": "caterina", "ste": "stefano",
    "teo": "matteo", "max": "massimiliano", "ricky": "riccardo", "rino": "salvatore",
    "dani": "daniele", "robi": "roberto", "chicca": "federica", "simo": "simone",
    "tommy": "tommaso", "maso": "tommaso", "lollo": "lorenzo", "enri": "enrico",
    "paoletta": "paola", "giusy": "giuseppina", "rosi": "rosa", "mary": "maria",
}  # fmt: skip


def _formal(name: str) -> str:
    return NICKNAMES.get(name, name)


def _compare_name(a: str, b: str) -> int:
    if is_initial(a) or is_initial(b):
        return 5 if a[0] == b[0] else 6
    if a.replace(" ", "").replace("-", "") == b.replace(" ", "").replace("-", ""):
        return 2
    similarity = JaroWinkler.similarity(a, b)
    if similarity >= 0.94:
        return 2
    tokens_a, tokens_b = set(a.split()), set(b.split())
    if tokens_a <= tokens_b or tokens_b <= tokens_a or similarity >= 0.85:
        return 3
    if _formal(a) == _formal(b):
        return 4
    return 6


def _compare_date(a: str, b: str) -> int:
    da, db = a.replace("-", ""), b.replace("-", "")
    if len(da) == len(db) == 8 and da[:4] == db[:4] and (da[4:6], da[6:8]) == (db[6:8], db[4:6]):
        return 2  # day and month swapped: a US-style or mistyped date
    if OSA.distance(da, db) <= 1:
        return 2
    if da[:4] == db[:4]:
        return 3
    return 4


GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
EMAIL_SEPARATORS = str.maketrans("", "", "._-+")


def _compare_email(a: str, b: str) -> int:
    local_a, _, domain_a = a.partition("@")
    local_b, _, domain_b = b.partition("@")
    # Digits in an address are a birth year or a counter ("emanuele_conti61" and
    # "emanuele_conti28"): different digits, different mailboxes.
    if "".join(filter(str.isdigit, local_a)) != "".join(filter(str.isdigit, local_b)):
        return 3
    # "carlo.esposito@" and "carloesposito@" are two mailboxes, and common names make both
    # likely to exist, except at Gmail, which ignores the dots.
    if local_a != local_b and local_a.translate(EMAIL_SEPARATORS) == local_b.translate(
        EMAIL_SEPARATORS
    ):
        same_mailbox = domain_a == domain_b in GMAIL_DOMAINS and "+" not in local_a + local_b
        return 2 if same_mailbox else 3
    # A typo, or the same mailbox at a mistyped provider ("gmial.com"). The same mailbox name
    # at another provider is not evidence: "paolacosta@" is every Paola Costa's first choice.
    if OSA.distance(a, b) <= 1 or (local_a == local_b and OSA.distance(domain_a, domain_b) <= 2):
        return 2
    return 3


def _compare_phone(a: str, b: str) -> int:
    if a[-8:] == b[-8:] or OSA.distance(a, b) <= 1:
        return 2
    return 3


def _compare_code(a: str, b: str) -> int:
    return 2 if OSA.distance(a, b) <= 1 else 3


def _compare_address(a: str, b: str) -> int:
    ratio = fuzz.token_sort_ratio(a, b)
    if ratio >= 88:
        return 2
    if ratio >= 70:
        return 3
    return 4


def _compare_place(a: str, b: str) -> int:
    return 2 if JaroWinkler.similarity(a, b) >= 0.9 else 3


COMPARE = {
    "name": _compare_name,
    "date": _compare_date,
    "email": _compare_email,
    "phone": _compare_phone,
    "code": _compare_code,
    "address": _compare_address,
    "place": _compare_place,
}


def clean(value: str) -> str:
    """The light clean-up scoring relies on; normalize.py does the real work upstream."""
    return " ".join(value.lower().split())


# --- comparing many pairs ---------------------------------------------------------------------


class Comparer:
    """Records coded once per field, so any set of pairs is compared with array operations.

    First and last names share one vocabulary: a pair whose names agree better crossed over
    (first ↔ last) than straight is compared crossed ("Rossi Mario" is "Mario Rossi").
    """

    def __init__(
        self,
        records: Sequence[PersonRecord],
        fields: tuple[FieldSpec, ...] = DEFAULT_FIELDS,
        ignored_values: set[tuple[str, str]] | frozenset = frozenset(),
        *,
        remember: bool = True,
    ) -> None:
        self.fields = fields
        self.records = records
        # Whether a pair of values compared once is kept for the calls after: what scoring a
        # batch wants, and what training on 400,000 records cannot afford (some eight million
        # pairs of values, 70 MB, for a sixth less time).
        self.remember = remember
        names = {"first_name", "last_name"}
        self.swappable = names <= {spec.name for spec in fields}
        self._codes: dict[str, np.ndarray] = {}
        # Each distinct pair of values compared so far and its level, per vocabulary, as two
        # sorted arrays (keys, levels): nine bytes a pair, where a dict took a hundred.
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        vocabularies: dict[str, dict[str, int]] = {}
        for spec in fields:
            shared = self._shared(spec.name)
            vocabulary = vocabularies.setdefault(shared, {})
            if isinstance(records, RecordColumns):
                codes = _column_codes(records, spec.name, vocabulary, ignored_values)
            else:
                codes = np.full(len(records), -1, dtype=np.int64)
                for index, record in enumerate(records):
                    value = clean(record.value(spec.name))
                    if not value or (spec.name, value) in ignored_values:
                        continue
                    codes[index] = vocabulary.setdefault(value, len(vocabulary))
            self._codes[spec.name] = codes
            self._cache[shared] = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int8))
        self._values = {key: list(v) for key, v in vocabularies.items()}
        self.frequency_cache: dict[str, np.ndarray] = {}
        self._given_names_apart: dict[tuple[int, int], bool] = {}

    def vocabulary(self, field_name: str) -> list[str]:
        return self._values[self._shared(field_name)]

    def codes(self, field_name: str) -> np.ndarray:
        return self._codes[field_name]

    @staticmethod
    def _shared(field_name: str) -> str:
        return "names" if field_name in ("first_name", "last_name") else field_name

    def _levels(self, kind: str, shared: str, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        levels = np.full(len(left), MISSING, dtype=np.int8)
        present = (left >= 0) & (right >= 0)
        levels[present & (left == right)] = EXACT
        fuzzy = np.flatnonzero(present & (left != right))
        if len(fuzzy):
            low = np.minimum(left[fuzzy], right[fuzzy])
            high = np.maximum(left[fuzzy], right[fuzzy])
            keys = low * (1 << 32) + high
            unique, inverse = np.unique(keys, return_inverse=True)
            computed = self._cached_levels(kind, shared, unique)
            levels[fuzzy] = computed[inverse]
        return levels

    def _cached_levels(self, kind: str, shared: str, keys: np.ndarray) -> np.ndarray:
        """The levels of these distinct, sorted value pairs, each compared once per comparer."""
        known_keys, known_levels = self._cache[shared]
        at = np.searchsorted(known_keys, keys)
        found = at < len(known_keys)
        found[found] = known_keys[at[found]] == keys[found]
        levels = np.empty(len(keys), dtype=np.int8)
        levels[found] = known_levels[at[found]]
        missing = np.flatnonzero(~found)
        if len(missing):
            values = self._values[shared]
            compare = COMPARE[kind]
            new_keys = keys[missing]
            new_levels = np.fromiter(
                (compare(values[key >> 32], values[key & 0xFFFFFFFF]) for key in new_keys.tolist()),
                dtype=np.int8,
                count=len(new_keys),
            )
            levels[missing] = new_levels
            if not self.remember:
                return levels
            self._cache[shared] = (
                np.insert(known_keys, at[missing], new_keys),
                np.insert(known_levels, at[missing], new_levels),
            )
        return levels

    def _first_name_levels(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Name levels, except that two different given names are different, however alike:
        "Mario" and "Marco" sharing a mobile are father and son, not a typo."""
        levels = self._levels("name", "names", left, right)
        alike = np.flatnonzero((levels == NAME_CLOSE) | (levels == NAME_FUZZY))
        values = self._values["names"]
        for row in alike.tolist():
            key = (int(left[row]), int(right[row]))
            apart = self._given_names_apart.get(key)
            if apart is None:
                a, b = values[key[0]], values[key[1]]
                apart = distinct_given_names(a, b) and _formal(a) != _formal(b)
                self._given_names_apart[key] = apart
            if apart:
                levels[row] = NAME_DIFFERENT
        return levels

    def compare(self, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Levels (pairs × fields) and, per pair, whether the names were compared crossed."""
        left = np.asarray(left, dtype=np.int64)
        right = np.asarray(right, dtype=np.int64)
        levels = np.zeros((len(left), len(self.fields)), dtype=np.int8)
        for column, spec in enumerate(self.fields):
            codes = self._codes[spec.name]
            if spec.name == "first_name":
                levels[:, column] = self._first_name_levels(codes[left], codes[right])
                continue
            levels[:, column] = self._levels(
                spec.kind, self._shared(spec.name), codes[left], codes[right]
            )
        swapped = np.zeros(len(left), dtype=bool)
        if self.swappable:
            first_column = self.column("first_name")
            last_column = self.column("last_name")
            first, last = self._codes["first_name"], self._codes["last_name"]
            crossed_first = self._first_name_levels(first[left], last[right])
            crossed_last = self._levels("name", "names", last[left], first[right])
            straight = _name_badness(levels[:, first_column]) + _name_badness(
                levels[:, last_column]
            )
            crossed = _name_badness(crossed_first) + _name_badness(crossed_last)
            swapped = (crossed < straight) & (crossed_first > 0) & (crossed_last > 0)
            levels[swapped, first_column] = crossed_first[swapped]
            levels[swapped, last_column] = crossed_last[swapped]
        return levels, swapped

    def conflicts(self, left: np.ndarray, right: np.ndarray, personal_fields=()) -> np.ndarray:
        """Pairs that cannot be one person: first names differ (straight and crossed) and
        birth dates differ, and no personal identifier agrees. Missing values never conflict."""
        names = {spec.name for spec in self.fields}
        if not {"first_name", "birth_date"} <= names:
            return np.zeros(len(left), dtype=bool)
        different_name = len(LEVELS["name"]) - 1
        first = self._codes["first_name"]
        clash = self._first_name_levels(first[left], first[right]) == different_name
        if self.swappable:
            last = self._codes["last_name"]
            crossed = self._first_name_levels(first[left], last[right])
            clash &= (crossed == different_name) | (crossed == MISSING)
        birth = self._codes["birth_date"]
        clash &= self._levels("date", "birth_date", birth[left], birth[right]) == (
            len(LEVELS["date"]) - 1
        )
        for name in personal_fields:
            codes = self._codes[name]
            kind = next(spec.kind for spec in self.fields if spec.name == name)
            level = self._levels(kind, name, codes[left], codes[right])
            clash &= (level != EXACT) & (level != EXACT + 1)
        return clash

    def column(self, field_name: str) -> int:
        for column, spec in enumerate(self.fields):
            if spec.name == field_name:
                return column
        raise KeyError(field_name)


def _column_codes(
    columns: RecordColumns,
    name: str,
    vocabulary: dict[str, int],
    ignored_values: set[tuple[str, str]] | frozenset,
) -> np.ndarray:
    """Codes in ``vocabulary`` of a column's cleaned values, each distinct value cleaned once.

    A column's values are numbered in the order records first show them, so the vocabulary
    grows in the same order as when the records are read one by one."""
    raw_codes = columns.codes(name)
    if raw_codes is None:
        return np.full(len(columns), -1, dtype=np.int64)
    remap = np.full(len(columns.values(name)), -1, dtype=np.int64)
    for code, raw in enumerate(columns.values(name)):
        value = clean(raw)
        if not value or (name, value) in ignored_values:
            continue
        # the record's own string when cleaning changed nothing: one copy of each value
        remap[code] = vocabulary.setdefault(raw if value == raw else value, len(vocabulary))
    return remap[raw_codes]


def _name_badness(levels: np.ndarray) -> np.ndarray:
    # missing counts as bad as "different", so a swap is only taken on real agreement
    badness = np.array([6, 0, 1, 2, 3, 4, 6], dtype=np.int8)
    return badness[levels]


# --- the model --------------------------------------------------------------------------------


@dataclass
class FellegiSunterModel:
    """m and u per field and level, term frequencies, and the prior. Saved as JSON."""

    fields: tuple[FieldSpec, ...] = DEFAULT_FIELDS
    m: dict[str, list[float]] = field(default_factory=dict)
    u: dict[str, list[float]] = field(default_factory=dict)
    term_frequencies: dict[str, dict[str, float]] = field(default_factory=dict)
    default_frequency: dict[str, float] = field(default_factory=dict)
    prior_weight: float = 0.0
    # Fields that describe one thing (the home address): their agreements count once, the
    # strongest, since a household shares street, postcode and city all together.
    groups: tuple[tuple[str, ...], ...] = (("street", "postcode", "city"),)
    hub_values: list[tuple[str, str]] = field(default_factory=list)
    em_iterations: int = 0
    # "em" when m was learnt by EM, "fallback" when EM's result was not plausible and the
    # configured m were kept (``match.plausible_m``)
    m_origin: str = "em"

    def level_names(self, spec: FieldSpec) -> tuple[str, ...]:
        return LEVELS[spec.kind]

    def weight_table(self, spec: FieldSpec) -> np.ndarray:
        m = np.maximum(np.asarray(self.m[spec.name], dtype=float), M_FLOOR)
        u = np.asarray(self.u[spec.name], dtype=float)
        weights = np.log2(np.maximum(m, PROBABILITY_FLOOR) / np.maximum(u, PROBABILITY_FLOOR))
        weights[MISSING] = 0.0
        return weights

    def weights(
        self,
        comparer: Comparer,
        left: np.ndarray,
        right: np.ndarray,
        levels: np.ndarray,
        swapped: np.ndarray | None = None,
    ) -> np.ndarray:
        """Per pair and field, the weight log2(m/u) of the level, term-frequency adjusted."""
        weights = np.zeros(levels.shape, dtype=float)
        for column, spec in enumerate(self.fields):
            table = self.weight_table(spec)
            weights[:, column] = table[levels[:, column]]
            if spec.term_frequency and spec.name in self.term_frequencies:
                exact = np.flatnonzero(levels[:, column] == EXACT)
                if len(exact):
                    codes = comparer.codes(spec.name)[np.asarray(left)[exact]]
                    frequency = self._frequencies(comparer, spec)[codes]
                    if swapped is not None and spec.name in _CROSSED:
                        # which side was swapped is unknown: weigh a crossed name by its more
                        # common use ("Gabriele" is a rare surname but a common first name)
                        crossed = swapped[exact]
                        if crossed.any():
                            other = other_spec(self, _CROSSED[spec.name])
                            other_frequency = self._frequencies(comparer, other)[codes]
                            frequency = np.where(
                                crossed, np.maximum(frequency, other_frequency), frequency
                            )
                    m_exact = max(self.m[spec.name][EXACT], M_FLOOR)
                    weights[exact, column] = np.log2(m_exact / frequency)
        names = [spec.name for spec in self.fields]
        for group in self.groups:
            columns = [names.index(name) for name in group if name in names]
            if len(columns) < 2:
                continue
            block = weights[:, columns]
            positive = np.clip(block, 0, None)
            strongest = positive.max(axis=1, keepdims=True)
            # keep the strongest agreement whole and a tenth of the others
            block = np.where(block > 0, 0.1 * positive, block)
            rows = np.flatnonzero(strongest[:, 0] > 0)
            block[rows, positive[rows].argmax(axis=1)] = strongest[rows, 0]
            weights[:, columns] = block
        return weights

    def _frequencies(self, comparer: Comparer, spec: FieldSpec) -> np.ndarray:
        cached = comparer.frequency_cache.get(spec.name)
        if cached is None:
            table = self.term_frequencies[spec.name]
            default = self.default_frequency[spec.name]
            vocabulary = comparer.vocabulary(spec.name)
            cached = np.array([table.get(v, default) for v in vocabulary], dtype=float)
            comparer.frequency_cache[spec.name] = cached
        return cached

    def probability(self, total_weight: np.ndarray | float) -> np.ndarray | float:
        odds = np.exp2(np.clip(np.asarray(total_weight) + self.prior_weight, -60, 60))
        return odds / (1 + odds)

    def to_dict(self) -> dict:
        return {
            "fields": [dataclasses.asdict(spec) for spec in self.fields],
            "m": self.m,
            "u": self.u,
            "term_frequencies": self.term_frequencies,
            "default_frequency": self.default_frequency,
            "prior_weight": self.prior_weight,
            "groups": [list(group) for group in self.groups],
            "hub_values": [list(pair) for pair in self.hub_values],
            "em_iterations": self.em_iterations,
            "m_origin": self.m_origin,
        }

    @classmethod
    def from_dict(cls, data: dict) -> FellegiSunterModel:
        return cls(
            fields=tuple(FieldSpec(**spec) for spec in data["fields"]),
            m={k: list(v) for k, v in data["m"].items()},
            u={k: list(v) for k, v in data["u"].items()},
            term_frequencies=data["term_frequencies"],
            default_frequency=data["default_frequency"],
            prior_weight=data["prior_weight"],
            groups=tuple(tuple(group) for group in data.get("groups", ())),
            hub_values=[tuple(pair) for pair in data["hub_values"]],
            em_iterations=data.get("em_iterations", 0),
            m_origin=data.get("m_origin", "em"),
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict()), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> FellegiSunterModel:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


_CROSSED = {"first_name": "last_name", "last_name": "first_name"}


def other_spec(model: FellegiSunterModel, name: str) -> FieldSpec:
    return next(spec for spec in model.fields if spec.name == name)


# --- training ---------------------------------------------------------------------------------


def term_frequencies(comparer: Comparer, spec: FieldSpec) -> tuple[dict[str, float], float]:
    """Share of records with each value; values seen once fall back to the default."""
    codes = comparer.codes(spec.name)
    present = codes[codes >= 0]
    if not len(present):
        return {}, 1.0
    counts = np.bincount(present)
    total = float(len(present))
    vocabulary = comparer.vocabulary(spec.name)
    table = {vocabulary[code]: count / total for code, count in enumerate(counts) if count > 1}
    return table, 1.0 / total


def estimate_u(
    comparer: Comparer, sample_size: int = 200_000, seed: int = 1
) -> dict[str, list[float]]:
    """u per field and level from random record pairs: nearly all are two different people."""
    count = len(comparer.records)
    rng = np.random.default_rng(seed)
    left = rng.integers(0, count, size=sample_size)
    right = rng.integers(0, count, size=sample_size)
    keep = left != right
    levels, _ = comparer.compare(left[keep], right[keep])
    u = {}
    for column, spec in enumerate(comparer.fields):
        size = len(LEVELS[spec.kind])
        counts = np.bincount(levels[:, column], minlength=size).astype(float)
        counts[MISSING] = 0.0
        # half a pair of smoothing: a level never seen among random pairs is rare, not impossible
        counts[1:] += 0.5
        u[spec.name] = (counts / counts.sum()).tolist()
    return u


class PatternCounts:
    """The distinct comparison vectors of many pairs and how many pairs had each, gathered a
    chunk of pairs at a time: EM needs no more, and a few thousand vectors stand for millions
    of pairs."""

    def __init__(self, width: int) -> None:
        self.patterns = np.empty((0, width), dtype=np.int8)
        self.counts = np.empty(0, dtype=np.int64)

    def add(self, levels: np.ndarray) -> None:
        patterns, counts = np.unique(levels, axis=0, return_counts=True)
        if not len(self.counts):
            self.patterns, self.counts = patterns, counts.astype(np.int64)
            return
        # sorted like np.unique sorts all the rows at once, whatever the chunks were
        merged, inverse = np.unique(
            np.concatenate([self.patterns, patterns]), axis=0, return_inverse=True
        )
        totals = np.zeros(len(merged), dtype=np.int64)
        np.add.at(totals, inverse.reshape(-1), np.concatenate([self.counts, counts]))
        self.patterns, self.counts = merged, totals

    @property
    def pairs(self) -> int:
        return int(self.counts.sum())


def match_share(
    fields: tuple[FieldSpec, ...],
    counted: PatternCounts,
    m: dict[str, list[float]],
    u: dict[str, list[float]],
    iterations: int = 30,
) -> float:
    """The share of matches among these pairs, by EM on the prior alone (m and u fixed)."""
    patterns, counts = counted.patterns, counted.counts
    log_ratio = np.zeros(len(patterns))
    for column, spec in enumerate(fields):
        m_column = np.maximum(np.asarray(m[spec.name], dtype=float), PROBABILITY_FLOOR)
        u_column = np.maximum(np.asarray(u[spec.name], dtype=float), PROBABILITY_FLOOR)
        ratio = np.log(m_column / u_column)
        ratio[MISSING] = 0.0
        log_ratio += ratio[patterns[:, column]]
    share = 0.1
    for _ in range(iterations):
        prior = math.log(share / (1 - share))
        posterior = 1.0 / (1.0 + np.exp(np.clip(-(log_ratio + prior), -700, 700)))
        share = min(max(float((posterior * counts).sum() / counts.sum()), 1e-9), 1 - 1e-9)
    return share


def train_em(
    fields: tuple[FieldSpec, ...],
    counted: PatternCounts,
    u: dict[str, list[float]],
    max_iterations: int = 50,
    tolerance: float = 1e-5,
    start_lambda: float = 0.1,
) -> tuple[dict[str, list[float]], float, int]:
    """EM for m (u held fixed) on the candidate pairs' comparison vectors.

    Works on distinct comparison vectors with their counts, so a million pairs cost the same
    as the few thousand patterns they share. Returns (m, share of matches among candidates,
    iterations run).
    """
    patterns, counts = counted.patterns, counted.counts.astype(float)
    m = {spec.name: np.array(_START_M[spec.kind], dtype=float) for spec in fields}
    u_arrays = {spec.name: np.maximum(np.array(u[spec.name]), PROBABILITY_FLOOR) for spec in fields}
    share = start_lambda
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (reported to the caller)
        log_m = np.zeros(len(patterns))
        log_u = np.zeros(len(patterns))
        for column, spec in enumerate(fields):
            observed = patterns[:, column]
            m_column = np.maximum(m[spec.name], PROBABILITY_FLOOR)
            m_column[MISSING] = 1.0
            u_column = u_arrays[spec.name].copy()
            u_column[MISSING] = 1.0
            log_m += np.log(m_column[observed])
            log_u += np.log(u_column[observed])
        log_match = math.log(share) + log_m
        log_other = math.log(1 - share) + log_u
        posterior = 1.0 / (1.0 + np.exp(np.clip(log_other - log_match, -700, 700)))
        weighted = posterior * counts
        new_share = float(weighted.sum() / counts.sum())
        change = abs(new_share - share)
        share = min(max(new_share, 1e-9), 1 - 1e-9)
        for column, spec in enumerate(fields):
            size = len(LEVELS[spec.kind])
            totals = np.bincount(patterns[:, column], weights=weighted, minlength=size)
            totals[MISSING] = 0.0
            if totals.sum() <= 0:
                continue
            new_m = np.maximum(totals / totals.sum(), PROBABILITY_FLOOR)
            new_m[MISSING] = 0.0
            new_m /= new_m.sum()
            change = max(change, float(np.abs(new_m - m[spec.name]).max()))
            m[spec.name] = new_m
        if change < tolerance:
            break
    return {name: values.tolist() for name, values in m.items()}, share, iteration
