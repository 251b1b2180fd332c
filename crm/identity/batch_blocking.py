"""The candidate pairs of an import batch: the pairs ``blocking.candidate_pairs`` gives, that
involve at least one of the batch's new records, found with numpy.

The resolver compares a batch's new records (indexes ``0..new-1``) with each other and with
the stored records found for them (the indexes after). ``blocking.candidate_pairs`` pairs every
block of every rule, one block at a time, and the resolver then throws away the pairs of two
stored records, most of them. Here only the blocks holding a new record are paired, and all
blocks of one size are paired at once (one ``triu_indices`` for them all). The blocks are the
same, and so are the pairs kept: a block larger than ``max_block_size`` is still sorted by
name and paired within the window over all its members, stored ones included, exactly as
there. ``tests/crm/identity/test_resolve_blocking.py`` holds the two to the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from crm.identity.blocking import BlockingRule
from crm.identity.scoring import PersonRecord, clean


def new_record_pairs(
    records: list[PersonRecord],
    rules: tuple[BlockingRule, ...],
    *,
    new: int,
    max_block_size: int,
    window: int,
    hub_values: Iterable[tuple[str, str]] = (),
) -> np.ndarray:
    """Sorted, distinct pair codes ``left * len(records) + right`` (left < right, left < new)
    of the records sharing a key of any rule."""
    count = len(records)
    hubs = {(kind, clean(value)) for kind, value in hub_values}
    sort_keys: list[str] | None = None
    found: list[np.ndarray] = []
    for rule in rules:
        members, blocks = _blocks(records, rule, hubs, new)
        if not len(members):
            continue
        sizes = np.bincount(blocks)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        paired = (sizes >= 2) & (sizes <= max_block_size)
        for size in np.unique(sizes[paired]).tolist():
            chosen = np.flatnonzero(sizes == size)
            grid = members[starts[chosen][:, None] + np.arange(size)]
            a, b = np.triu_indices(size, k=1)
            found.append(_codes(grid[:, a].ravel(), grid[:, b].ravel(), count))
        for block in np.flatnonzero(sizes > max_block_size).tolist():
            if sort_keys is None:
                sort_keys = [f"{clean(r.last_name)} {clean(r.first_name)}" for r in records]
            start = starts[block]
            ordered = np.asarray(
                sorted(members[start : start + sizes[block]].tolist(), key=sort_keys.__getitem__),
                dtype=np.int64,
            )
            for step in range(1, min(window, len(ordered) - 1) + 1):
                found.append(_codes(ordered[:-step], ordered[step:], count))
    if not found:
        return np.empty(0, dtype=np.int64)
    codes = np.unique(np.concatenate(found))
    return codes[codes // count < new]


def _blocks(
    records: list[PersonRecord], rule: BlockingRule, hubs: set[tuple[str, str]], new: int
) -> tuple[np.ndarray, np.ndarray]:
    """The members (record indexes, ascending within each block) and block numbers of the
    rule's blocks that hold a new record."""
    keys: list[str | None] = []
    for record in records:
        key = rule.key(record)
        if key is not None and rule.identifier and _is_hub(hubs, rule.identifier, record):
            key = None  # a hub value makes no block
        keys.append(key)
    number: dict[str, int] = {}
    for key in keys[:new]:
        if key is not None:
            number.setdefault(key, len(number))
    indexes = [index for index, key in enumerate(keys) if key in number]
    blocks = np.fromiter((number[keys[index]] for index in indexes), np.int64, len(indexes))
    order = np.argsort(blocks, kind="stable")  # stable: members stay ascending
    return np.asarray(indexes, dtype=np.int64)[order], blocks[order]


def _is_hub(hubs: set[tuple[str, str]], kind: str, record: PersonRecord) -> bool:
    return (kind, clean(record.value(kind))) in hubs


def _codes(left: np.ndarray, right: np.ndarray, count: int) -> np.ndarray:
    return np.minimum(left, right) * count + np.maximum(left, right)
