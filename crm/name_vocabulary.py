"""The name vocabulary that typo search looks words up in.

Customers share few names: tens of thousands of first names and surnames at a million
customers. ``NameVariant`` holds each of them with every spelling one letter shorter (its
*deletion neighbourhood*), so the names one typo away from a word typed (a letter dropped,
added or changed, two letters swapped) are found with one indexed lookup of the word and its
own one-letter deletions: two spellings are one edit apart only if they share a spelling once
at most one letter is taken from each. Rows are checked with an edit distance after the lookup,
because sharing a deletion also lets through some pairs two edits apart.

A name is kept as search compares it, so that the customers holding it are found through the
same indexed path as a name typed right: on PostgreSQL accents off and lower case, by the very
expression the trigram index of migration 0004 holds; elsewhere as stored, for ``icontains``.
Each word of a name of several ("santis" of "De Santis", "acqua" of "Dell'Acqua") is a name
of its own too, so a typo in one word of it is forgiven when the words are typed apart.

Kept current by ``add_names`` where Bottega writes a name and by ``refresh_name_vocabulary``
(a Celery beat task, and after bulk loads), which adds what the golden records hold and the
vocabulary lacks and drops what no active customer holds any more.
"""

import re
from collections.abc import Iterable

from django.db import connections, transaction

from crm.identity import normalize
from crm.models import FUZZY_MIN_LENGTH, Customer, NameVariant

INSERT_BATCH = 5000
MAX_JOINED_WORDS = 3  # "de la cruz": the longest name typed in words apart worth a lookup
_NOT_LETTERS = re.compile(r"[^a-z]+")
_WORD_SEPARATORS = re.compile(r"[\W_]+")


def key(text: str) -> str:
    """The letters a name is compared by: accents, case, spaces, apostrophes and hyphens off
    ("De Santis" → "desantis", "D'Amico" → "damico", "Niccolò" → "niccolo")."""
    return _NOT_LETTERS.sub("", normalize.fold(text))


def deletions(word: str) -> set[str]:
    """Every spelling of ``word`` with one letter taken out."""
    return {word[:position] + word[position + 1 :] for position in range(len(word))}


def entries(name: str) -> set[str]:
    """What the vocabulary holds for a name as search compares it: the name, and each word of
    it when it has several."""
    parts = [part for part in _WORD_SEPARATORS.split(name) if part]
    found = {name, *(parts if len(parts) > 1 else ())}
    return {entry for entry in found if len(key(entry)) >= FUZZY_MIN_LENGTH - 1}


def variants(name: str) -> set[tuple[str, str]]:
    """The (variant, name) rows of one name: its entries' letters, and their one-letter
    deletions for entries long enough to be looked up with a typo."""
    rows = set()
    for entry in entries(name):
        letters = key(entry)
        rows.add((letters, entry))
        if len(letters) >= FUZZY_MIN_LENGTH:
            rows.update((deletion, entry) for deletion in deletions(letters))
    return rows


def names_near(words: Iterable[str], *, using: str = "default") -> dict[str, list[str]]:
    """For each word, the names of the vocabulary that are that word spelled another way
    (accents, apostrophes, spaces) or, failing that and for a word of ``FUZZY_MIN_LENGTH``
    letters or more, one typo away; as search compares them. A word the vocabulary knows
    nothing near is left out.

    One query, whatever the number of words."""
    keys = {word: key(word) for word in words}
    keys = {word: letters for word, letters in keys.items() if letters}
    if not keys:
        return {}
    looked_up = set(keys.values())
    for letters in keys.values():
        if len(letters) >= FUZZY_MIN_LENGTH:
            looked_up |= deletions(letters)
    names = set(
        NameVariant.objects.using(using)
        .filter(variant__in=looked_up)
        .values_list("name", flat=True)
        .distinct()
    )
    from rapidfuzz.distance import OSA  # a swap of two letters counts as one typo

    found = {}
    for word, letters in keys.items():
        by_distance = [(OSA.distance(letters, key(name)), name) for name in names]
        # A word that is a name as typed is not widened to its neighbours: "mario" is Mario.
        for distance in (0, 1) if len(letters) >= FUZZY_MIN_LENGTH else (0,):
            near = sorted(name for value, name in by_distance if value == distance)
            if near:
                found[word] = near
                break
    return found


def segments(words: list[str], *, using: str = "default") -> list[tuple[str, list[str]]]:
    """The words typed, in order, grouped as the names they stand for, each group with the
    names of the vocabulary near it (see ``names_near``; none when it knows nothing near).

    Words are groups of their own, except adjacent words that together are near a name when
    not each of them is a name as typed: "de lca" is De Luca and "dig iacomo" Di Giacomo,
    whose words typed apart are too short to forgive a typo, or have the space misplaced.
    One query."""
    runs = [
        " ".join(words[start:end])
        for start in range(len(words))
        for end in range(start + 2, min(start + MAX_JOINED_WORDS, len(words)) + 1)
    ]
    near = names_near([*words, *runs], using=using)
    found = []
    start = 0
    while start < len(words):
        for end in range(min(start + MAX_JOINED_WORDS, len(words)), start + 1, -1):
            run = " ".join(words[start:end])
            if run in near and not all(_is_a_name(word, near) for word in words[start:end]):
                found.append((run, near[run]))
                start = end
                break
        else:
            found.append((words[start], near.get(words[start], [])))
            start += 1
    return found


def _is_a_name(word: str, near: dict[str, list[str]]) -> bool:
    return word in near and key(near[word][0]) == key(word)


def add_names(*, names: Iterable[str], using: str = "default") -> int:
    """Put first names or surnames in the vocabulary. Idempotent (a row already there is left
    as it is); returns how many rows the names make, new or not. Two queries on PostgreSQL
    (the spellings, the insert), one elsewhere."""
    spellings = _search_spellings({name for name in names if name and name.strip()}, using)
    rows = set()
    for spelling in spellings:
        rows |= variants(spelling)
    return _insert(rows, using)


def refresh_name_vocabulary(*, using: str = "default") -> dict[str, int]:
    """Make the vocabulary hold the names of the active golden records: add the names it
    lacks, drop the ones no active customer holds any more (merged away, erased). Safe to run
    twice; a name a customer took while it ran may be missing until the next run. Reads the
    distinct names in one query, writes only what changed. Returns how many names (or words
    of names) were added and dropped."""
    current = _current_spellings(using)
    wanted = {entry for spelling in current for entry in entries(spelling)}
    held = set(NameVariant.objects.using(using).values_list("name", flat=True).distinct())
    new = wanted - held
    rows = set()
    for entry in new:
        rows |= {(variant, name) for variant, name in variants(entry) if name == entry}
    gone = sorted(held - wanted)
    with transaction.atomic(using=using):
        _insert(rows, using)
        for start in range(0, len(gone), INSERT_BATCH):
            NameVariant.objects.using(using).filter(
                name__in=gone[start : start + INSERT_BATCH]
            ).delete()
    return {"added": len(new), "dropped": len(gone)}


def _insert(rows: set[tuple[str, str]], using: str) -> int:
    NameVariant.objects.using(using).bulk_create(
        (NameVariant(variant=variant, name=name) for variant, name in sorted(rows)),
        batch_size=INSERT_BATCH,
        ignore_conflicts=True,
    )
    return len(rows)


def _search_spellings(names: set[str], using: str) -> set[str]:
    """The names as search compares them (see the module's docstring)."""
    if not names:
        return set()
    connection = connections[using]
    if connection.vendor != "postgresql":
        return names
    with connection.cursor() as cursor:
        # The function of the trigram index, so a spelling here is one LIKE finds there.
        cursor.execute(
            "SELECT DISTINCT bottega_unaccent(lower(name)) FROM unnest(%s::text[]) AS name",
            [sorted(names)],
        )
        return {spelling for (spelling,) in cursor.fetchall() if spelling}


def _current_spellings(using: str) -> set[str]:
    """The distinct first names and surnames of the active customers, as search compares
    them: one query, distinct in the database."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Distinct spellings first, so unaccent runs once per name rather than per row.
            cursor.execute(
                """
                SELECT DISTINCT bottega_unaccent(lower(name)) FROM (
                    SELECT first_name AS name FROM crm_customer WHERE status = %s
                    UNION SELECT last_name FROM crm_customer WHERE status = %s
                ) AS names
                WHERE name <> ''
                """,
                [Customer.Status.ACTIVE, Customer.Status.ACTIVE],
            )
            return {spelling for (spelling,) in cursor.fetchall() if spelling}
    active = Customer.objects.using(using).active().order_by()
    first = active.values_list("first_name", flat=True)
    return set(first.union(active.values_list("last_name", flat=True))) - {""}
