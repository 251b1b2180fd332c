"""The matching model the database uses: trained on its own source records, stored, reused.

A model (``scoring.FellegiSunterModel``: m and u per field and level, name frequencies) is
trained by EM on the source records (``train_from_records``) and saved as a ``MatchModel`` row,
so every import, web process and worker reads the same one. Until there are records enough to
learn from (``TRAIN_MIN_RECORDS``), ``prior_model`` stands in: m and u written down from what
channel data usually looks like (see the values below).

Imports retrain on their own (``model_for_population``): the first time the records reach
``TRAIN_MIN_RECORDS``, then each time they have doubled since the last training, so the cost of
training stays a small multiple of the data and the name frequencies follow the customer base.
``manage.py train_identity_model`` retrains on demand.

The prior (how likely two records picked at random are one person) is not frozen with the model:
it is stored as *matches per record* and turned into odds for the population being matched
(``prior_weight``): among 200,000 records there are several "Fabio Russo", among 2,000 one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

from crm.identity import match, scoring
from crm.identity.scoring import FellegiSunterModel, FieldSpec
from crm.models import MatchModel

TRAIN_MIN_RECORDS = 2_000
# Training reads at most this many records (the most recent): enough for m, u and frequencies.
TRAIN_MAX_RECORDS = 400_000
# A small database is a sample of a larger customer base: the prior never assumes fewer people.
MIN_POPULATION = 10_000
# Pairs of records of one person per record, when nothing better is known: a customer known to
# two or three channels has one or two other records.
DEFAULT_MATCHES_PER_RECORD = 0.5
# How long a process keeps the stored model before looking for a newer one.
CACHE_SECONDS = 60


@dataclass
class StoredModel:
    model: FellegiSunterModel
    matches_per_record: float
    records: int  # how many records it was trained on (0: the prior model)
    pk: int | None = None
    population: int = 0  # source records in the database when it was trained


# m and u of the prior model, per field kind and level (see scoring.LEVELS for the level names).
# u: how often two different people's values compare at that level (a birth date is shared by
# about one pair in 20,000; a mailbox almost never); m: how often one person's two records do
# (clerks mistype, people move and change phone).
_PRIOR_M = {
    "name": (0.0, 0.85, 0.05, 0.03, 0.02, 0.03, 0.02),
    "date": (0.0, 0.9, 0.05, 0.02, 0.03),
    "email": (0.0, 0.85, 0.05, 0.10),
    "phone": (0.0, 0.8, 0.05, 0.15),
    "code": (0.0, 0.8, 0.05, 0.15),
    "address": (0.0, 0.6, 0.15, 0.1, 0.15),
    "place": (0.0, 0.85, 0.05, 0.10),
}
_PRIOR_U = {
    "first_name": (0.0, 0.02, 0.005, 0.01, 0.001, 0.04, 0.924),
    "last_name": (0.0, 0.005, 0.002, 0.005, 0.0005, 0.04, 0.9475),
    "birth_date": (0.0, 0.00005, 0.0008, 0.014, 0.98515),
    "email": (0.0, 0.00001, 0.0001, 0.99989),
    "phone": (0.0, 0.00002, 0.0002, 0.99978),
    "postcode": (0.0, 0.01, 0.03, 0.96),
    "street": (0.0, 0.0001, 0.0003, 0.001, 0.9986),
    "city": (0.0, 0.05, 0.01, 0.94),
}
# The chance that two different people share an exact value, when the value's own frequency is
# unknown: a first name is more common than a surname.
_PRIOR_FREQUENCY = {"first_name": 0.02, "last_name": 0.005, "city": 0.05}

_cache: dict[str, tuple[float, Any]] = {}


def prior_model(fields: tuple[FieldSpec, ...] = scoring.DEFAULT_FIELDS) -> StoredModel:
    """The model used before any training: sensible m and u, no name frequencies."""
    model = FellegiSunterModel(fields=fields)
    for spec in fields:
        model.m[spec.name] = list(_PRIOR_M[spec.kind])
        u = _PRIOR_U.get(spec.name) or (0.0, *([1.0 / (len(_PRIOR_M[spec.kind]) - 1)] * 3))
        model.u[spec.name] = list(u)
        if spec.term_frequency:
            model.term_frequencies[spec.name] = {}
            model.default_frequency[spec.name] = _PRIOR_FREQUENCY.get(spec.name, u[scoring.EXACT])
    return StoredModel(model, DEFAULT_MATCHES_PER_RECORD, records=0)


def stored_model() -> StoredModel | None:
    """The newest trained model, read at most once a minute per process."""
    now = time.monotonic()
    cached = _cache.get("model")
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    row = MatchModel.objects.order_by("-trained_at", "-pk").first()
    if cached is not None and cached[1] is not None and row is not None and row.pk == cached[1].pk:
        stored = cached[1]
    else:
        stored = _from_row(row) if row is not None else None
    _cache["model"] = (now, stored)
    return stored


def cached(compute, **arguments):
    """``compute(**arguments)``, remembered for ``CACHE_SECONDS``: for figures such as the
    number of records, which real-time matching needs roughly, not to the row."""
    key = f"{compute.__module__}.{compute.__qualname__}:{sorted(arguments.items())}"
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is None or now - hit[0] >= CACHE_SECONDS:
        hit = (now, compute(**arguments))
        _cache[key] = hit
    return hit[1]


def current_model() -> StoredModel:
    return stored_model() or prior_model()


def forget_cached_model() -> None:
    _cache.clear()


def _from_row(row: MatchModel) -> StoredModel:
    data = row.parameters
    return StoredModel(
        FellegiSunterModel.from_dict(data["model"]),
        float(data["matches_per_record"]),
        records=row.records,
        pk=row.pk,
        population=row.population,
    )


def prior_weight(stored: StoredModel, population: int) -> float:
    """log2 of the prior odds that two records of a population of this size are one person."""
    population = max(population, MIN_POPULATION)
    share = min(2 * stored.matches_per_record / (population - 1), 0.5)
    return math.log2(share / (1 - share))


def auto_training_enabled() -> bool:
    return bool(getattr(settings, "BOTTEGA_MATCH_AUTO_TRAIN", True))


def needs_training(population: int) -> bool:
    """Whether the records have grown enough since the last training to train again."""
    if not auto_training_enabled() or population < TRAIN_MIN_RECORDS:
        return False
    stored = stored_model()
    # Against the population it was trained at, not the records it read: past twice
    # TRAIN_MAX_RECORDS, the capped count would ask for training again at every batch.
    return stored is None or population >= 2 * stored.population


def train_from_records(
    records: Sequence[scoring.PersonRecord],
    config: match.MatchConfig | None = None,
    *,
    population: int | None = None,
) -> StoredModel:
    """Train a model by EM on these records and store it as the newest. Many records are
    best given as ``scoring.RecordColumns`` (see ``match.train_model``). ``population`` is how
    many records the database holds (by default as many as were given): the next automatic
    training waits until it has doubled."""
    config = config or match.MatchConfig()
    if config.fallback_m is None:
        # A model trained where EM finds no people (``match.plausible_m``) keeps the prior m.
        config = replace(config, fallback_m=prior_model(config.fields).model.m)
    model = match.train_model(records, config)
    count = max(len(records), 2)
    odds = 2.0**model.prior_weight
    share = odds / (1 + odds)
    matches_per_record = min(max(share * (count - 1) / 2, 0.05), 2.0)
    population = max(population or 0, len(records))
    row = MatchModel.objects.create(
        parameters={"model": model.to_dict(), "matches_per_record": matches_per_record},
        records=len(records),
        population=population,
    )
    forget_cached_model()
    return StoredModel(
        model, matches_per_record, records=len(records), pk=row.pk, population=population
    )
