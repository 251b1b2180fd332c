"""Seeded random choices the demo modules share."""

import itertools
import random
from collections.abc import Sequence
from functools import lru_cache


@lru_cache(maxsize=64)
def _cumulative(table: tuple) -> tuple[list, list[float]]:
    values = [value for value, _ in table]
    weights = list(itertools.accumulate(weight for _, weight in table))
    return values, weights


def weighted_choice(rng: random.Random, table: Sequence[tuple]) -> object:
    """One value of a ``[(value, weight), …]`` table; the tables are module constants."""
    values, cumulative = _cumulative(tuple(table))
    return rng.choices(values, cum_weights=cumulative)[0]


def chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability
