"""Blocking: which record pairs are worth comparing at all.

Comparing every pair is quadratic. Instead each record gets a few *blocking keys* (a phonetic
code of the surname with the birth year, the postcode with the first initial, the e-mail's
mailbox name, the phone's last digits, the two names in either order…); only records sharing a
key are compared. One key misses a pair that the others catch: a typo'd surname still shares
the birth date, a swapped name still shares the sorted pair of names.

A key shared by too many records (a common surname in a big city) would bring back the quadratic
cost, so a block over ``max_block_size`` is not compared all-against-all: its records are sorted
by name and each is compared with its ``window`` neighbours only.
"""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from crm.identity.scoring import PersonRecord, clean, is_initial

_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


# Names repeat (a batch of an import reads each stored record it finds, nine rules a record,
# and a few thousand names make most of them): each name's code and full form are worked out
# once. A third of the time blocking took on the stored records a batch finds at a million.
@functools.lru_cache(maxsize=65_536)
def phonetic(name: str) -> str:
    """A Soundex-style code: first letter, then consonant classes, vowels dropped.

    "Rossi", "Rosi" and "Russo"… share little, but "Rossi"/"Rosssi"/"Rosis" do: typos after
    the first letter keep the code more often than not.
    """
    letters = [ch for ch in clean(name) if "a" <= ch <= "z"]
    if not letters:
        return ""
    code = [letters[0]]
    previous = _SOUNDEX_CODES.get(letters[0], "")
    for ch in letters[1:]:
        digit = _SOUNDEX_CODES.get(ch, "")
        if digit and digit != previous:
            code.append(digit)
        if ch not in "hw":
            previous = digit
    return "".join(code)[:5]


@functools.lru_cache(maxsize=65_536)
def _full_name(name: str) -> str:
    return "" if is_initial(name) else clean(name)


def _year(record: PersonRecord) -> str:
    return record.value("birth_date")[:4]


def _last_name_and_year(record: PersonRecord) -> str | None:
    code, year = phonetic(_full_name(record.last_name)), _year(record)
    return f"{code}|{year}" if code and year else None


def _postcode_and_first_name(record: PersonRecord) -> str | None:
    postcode, first = clean(record.postcode), phonetic(_full_name(record.first_name))
    return f"{postcode}|{first}" if postcode and first else None


def _birth_date_and_initial(record: PersonRecord) -> str | None:
    birth_date, first = record.value("birth_date"), clean(record.first_name)
    return f"{birth_date}|{first[0]}" if birth_date and first else None


def _email_mailbox(record: PersonRecord) -> str | None:
    mailbox = clean(record.email).partition("@")[0]
    return mailbox if len(mailbox) >= 3 else None


def _phone_end(record: PersonRecord) -> str | None:
    digits = "".join(ch for ch in record.phone if ch.isdigit())
    return digits[-7:] if len(digits) >= 7 else None


def _names_either_order(record: PersonRecord) -> str | None:
    first, last = _full_name(record.first_name), _full_name(record.last_name)
    return "|".join(sorted((first, last))) if first and last else None


def _name_prefixes_and_place(record: PersonRecord) -> str | None:
    first, last = _full_name(record.first_name), _full_name(record.last_name)
    place = clean(record.city) or clean(record.postcode)[:3]
    if len(first) < 3 or len(last) < 3 or not place:
        return None
    return f"{last[:3]}|{first[:3]}|{place}"


def _street_and_postcode(record: PersonRecord) -> str | None:
    words = [w for w in clean(record.street).replace(",", " ").split() if w.isalpha()]
    postcode = clean(record.postcode) or clean(record.city)
    first = clean(record.first_name)
    if not words or not postcode or not first:
        return None
    return f"{max(words, key=len)}|{postcode}|{first[0]}"


@dataclass(frozen=True)
class BlockingRule:
    """A named way of computing a record's blocking key (None: the record has no key)."""

    name: str
    key: Callable[[PersonRecord], str | None]
    # identifier kind the key is made of, so hub values of that kind make no block
    identifier: str = ""


DEFAULT_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("last_name_phonetic+birth_year", _last_name_and_year),
    BlockingRule("postcode+first_name_phonetic", _postcode_and_first_name),
    BlockingRule("birth_date+first_initial", _birth_date_and_initial),
    BlockingRule("email_mailbox", _email_mailbox, identifier="email"),
    BlockingRule("phone_last_digits", _phone_end, identifier="phone"),
    BlockingRule("names_either_order", _names_either_order),
    BlockingRule("name_prefixes+place", _name_prefixes_and_place),
    BlockingRule("street_word+postcode+first_initial", _street_and_postcode),
)


def _names_sound_either_order(record: PersonRecord) -> str | None:
    first, last = phonetic(_full_name(record.first_name)), phonetic(_full_name(record.last_name))
    return "|".join(sorted((first, last))) if first and last else None


def _street_word_and_postcode(record: PersonRecord) -> str | None:
    words = [w for w in clean(record.street).replace(",", " ").split() if w.isalpha()]
    postcode = clean(record.postcode) or clean(record.city)
    return f"{max(words, key=len)}|{postcode}" if words and postcode else None


# Looser keys, for batches small enough to afford them (tens of thousands of records): they
# find more typo'd pairs but make ten times the pairs on a large customer base.
LOOSE_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("names_sound_either_order", _names_sound_either_order),
    BlockingRule("street_word+postcode", _street_word_and_postcode),
)


def identifier_rules(kinds: Iterable[str]) -> tuple[BlockingRule, ...]:
    """Exact-value rules for identifiers (loyalty card, extra ids such as a tax code)."""
    return tuple(
        BlockingRule(f"id:{kind}", _identifier_key(kind), identifier=kind) for kind in kinds
    )


def _identifier_key(kind: str) -> Callable[[PersonRecord], str | None]:
    def key(record: PersonRecord) -> str | None:
        return clean(record.value(kind)) or None

    return key


@dataclass
class CandidatePairs:
    """Pairs of record indexes (left < right), and which rules proposed each (a bit per rule)."""

    left: np.ndarray
    right: np.ndarray
    rules: np.ndarray
    rule_names: list[str]
    stats: dict[str, dict[str, int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.left)


def candidate_pairs(
    records: Sequence[PersonRecord],
    rules: tuple[BlockingRule, ...] = DEFAULT_RULES,
    *,
    max_block_size: int = 40,
    window: int = 5,
    hub_values: Iterable[tuple[str, str]] = (),
    link_only: bool = False,
) -> CandidatePairs:
    """Every pair of records sharing a key of any rule, each pair once.

    ``hub_values`` (kind, value) never make a block: a shop's phone would pair all its
    customers. With ``link_only`` only records from different sources are paired.
    """
    hubs = {(kind, clean(value)) for kind, value in hub_values}
    count = len(records)
    all_codes: list[np.ndarray] = []
    all_bits: list[np.ndarray] = []
    stats: dict[str, dict[str, int]] = {}
    for number, rule in enumerate(rules):
        codes, stats[rule.name] = _rule_pairs(
            records, rule, hubs, max_block_size=max_block_size, window=window, link_only=link_only
        )
        all_codes.append(codes)
        all_bits.append(np.full(len(codes), 1 << number, dtype=np.int64))
    if not all_codes:
        empty = np.empty(0, dtype=np.int64)
        return CandidatePairs(empty, empty, empty, [], stats)
    codes = np.concatenate(all_codes)
    bits = np.concatenate(all_bits)
    order = np.argsort(codes, kind="stable")
    codes, bits = codes[order], bits[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
    unique = codes[starts]
    merged = np.bitwise_or.reduceat(bits, starts) if len(codes) else bits
    return CandidatePairs(
        left=unique // count,
        right=unique % count,
        rules=merged,
        rule_names=[rule.name for rule in rules],
        stats=stats,
    )


def pair_codes(
    records: Sequence[PersonRecord],
    rules: tuple[BlockingRule, ...] = DEFAULT_RULES,
    *,
    max_block_size: int = 40,
    window: int = 5,
    hub_values: Iterable[tuple[str, str]] = (),
    link_only: bool = False,
) -> list[np.ndarray]:
    """The pairs of ``candidate_pairs`` as ``left * len(records) + right`` only, in sorted
    arrays that share no pair: each rule's pairs that no rule before it proposed.

    For training, which needs neither the rules behind a pair nor the statistics: eight bytes
    a pair, never copied into one array, where a ``CandidatePairs`` is built from five."""
    hubs = {(kind, clean(value)) for kind, value in hub_values}
    found: list[np.ndarray] = []
    for rule in rules:
        codes, _ = _rule_pairs(
            records, rule, hubs, max_block_size=max_block_size, window=window, link_only=link_only
        )
        for earlier in found:  # never empty
            at = np.searchsorted(earlier, codes)
            at[at == len(earlier)] = 0
            codes = codes[earlier[at] != codes]
        if len(codes):
            found.append(codes)
    return found


def _rule_pairs(
    records: Sequence[PersonRecord],
    rule: BlockingRule,
    hubs: set[tuple[str, str]],
    *,
    max_block_size: int,
    window: int,
    link_only: bool,
) -> tuple[np.ndarray, dict[str, int]]:
    """One rule's pairs (sorted codes, each once) and its statistics.

    A record keeps only a 64-bit hash of its key, an array of eight bytes a record where a
    dict of keys and lists of members took twenty times that: what training on 400,000 records
    can afford. Two different keys of a rule share a hash in about one rule in 30 million at a
    million keys, as the match keys stored for real-time blocking may (``resolve.record_keys``);
    the cost would be two blocks' records compared in vain, not a pair lost."""
    count = len(records)
    hashes = np.zeros(count, dtype=np.int64)
    has_key = np.zeros(count, dtype=bool)
    for index, record in enumerate(records):
        key = rule.key(record)
        if key is None:
            continue
        if rule.identifier and _is_hub(hubs, rule.identifier, record):
            continue
        hashes[index] = key_hash(key)
        has_key[index] = True
    keyed = np.flatnonzero(has_key)
    block_of = np.unique(hashes[keyed], return_inverse=True)[1].reshape(-1)
    del hashes, has_key
    # the members of each block, block after block, each block's in the records' order
    members = keyed[np.argsort(block_of, kind="stable")]
    sizes = np.bincount(block_of) if len(keyed) else np.zeros(0, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    rule_pairs: list[np.ndarray] = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= max_block_size)]).tolist():
        # all the blocks of one size at once: a row of members per block
        rows = members[starts[sizes == size][:, None] + np.arange(size)]
        left, right = np.triu_indices(size, k=1)
        # a block's members are in the records' order: the left one is always the lower
        codes = rows[:, left].ravel()
        codes *= count
        codes += rows[:, right].ravel()
        rule_pairs.append(codes)
    capped = np.flatnonzero(sizes > max_block_size)
    for block in capped.tolist():
        block_members = members[starts[block] : starts[block] + sizes[block]].tolist()
        ordered = sorted(block_members, key=lambda index: _sort_key(records[index]))
        rule_pairs.append(_window_pairs(ordered, window, count))
    codes = _sorted_once(np.concatenate(rule_pairs)) if rule_pairs else np.empty(0, np.int64)
    del rule_pairs
    if link_only and len(codes):
        codes = codes[_different_sources(records, codes // count, codes % count)]
    stats = {
        "blocks": int((sizes > 1).sum()),
        "capped_blocks": len(capped),
        "largest_block": int(sizes.max()) if len(sizes) else 0,
        "pairs": len(codes),
    }
    return codes, stats


def _sorted_once(codes: np.ndarray) -> np.ndarray:
    """``np.unique(codes)``, sorting in place: one copy of the codes fewer."""
    codes.sort()
    return codes[np.r_[True, codes[1:] != codes[:-1]]] if len(codes) else codes


def key_hash(key: str) -> int:
    """A key as a signed 64-bit number: how blocking holds keys in arrays and how the match
    keys of real-time blocking are stored."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def _sort_key(record: PersonRecord) -> str:
    # how a capped block is ordered before each record meets its ``window`` neighbours
    return f"{clean(record.last_name)} {clean(record.first_name)}"


def _different_sources(records: Sequence[PersonRecord], left, right) -> np.ndarray:
    numbers: dict[str, int] = {}
    sources = np.fromiter(
        (numbers.setdefault(record.source, len(numbers)) for record in records),
        dtype=np.int32,
        count=len(records),
    )
    return sources[left] != sources[right]


def _is_hub(hubs: set[tuple[str, str]], kind: str, record: PersonRecord) -> bool:
    return (kind, clean(record.value(kind))) in hubs


def _window_pairs(members: list[int], window: int, count: int) -> np.ndarray:
    indexes = np.asarray(members, dtype=np.int64)
    chunks = []
    for step in range(1, min(window, len(indexes) - 1) + 1):
        a, b = indexes[:-step], indexes[step:]
        chunks.append(np.minimum(a, b) * count + np.maximum(a, b))
    return np.concatenate(chunks)


def block_sizes(records: list[PersonRecord], rule: BlockingRule) -> dict[str, int]:
    """How many records share each key of one rule: for tests and for tuning the cap."""
    sizes: dict[str, int] = defaultdict(int)
    for record in records:
        key = rule.key(record)
        if key is not None:
            sizes[key] += 1
    return dict(sizes)
