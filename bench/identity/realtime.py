"""Real-time identity resolution: how long ``resolve.resolve_one`` takes for one record.

    .venv/bin/python manage.py seed_demo --files-only --people 100000 --seed 5 \
        --output-dir /tmp/demo100k
    .venv/bin/python -m bench.identity.realtime /tmp/demo100k \
        --database-url postgres://postgres@127.0.0.1:5432/bottega_realtime
    .venv/bin/python -m bench.identity.realtime --people 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/bottega_realtime

A fresh database (PostgreSQL when ``--database-url`` is given, dropped and created again) is
migrated and loaded with every person record of the folder's ``<source>_people.csv`` except a
held-out sample: one customer per true person (``truth.csv``), each record normalized as an
import normalizes it, its blocking keys written, and a model trained on the records. Loading
goes straight to the tables: it is the state after imports, not the import, that is measured.
Then each held-out record is resolved with ``resolve_one`` (indexed blocking lookups, scoring,
decision; nothing written), and the median, 95th percentile and share of correct decisions are
printed as one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.identity.end_to_end import REPO, fresh_postgres

RECORD_FIELDS = (
    *("first_name", "last_name", "email", "phone", "birth_date", "street", "postcode", "city"),
    "loyalty_card",
)


def read_records(folder: Path) -> tuple[list[tuple[str, str, dict]], dict[str, str]]:
    with (folder / "truth.csv").open(newline="", encoding="utf-8") as handle:
        truth = {row["record_id"]: row["cluster_id"] for row in csv.DictReader(handle)}
    rows = []
    for path in sorted(folder.glob("*_people.csv")):
        source = path.name.removesuffix("_people.csv")
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if f"{source}:{row['external_id']}" in truth:
                    rows.append((source, row["external_id"], row))
    return rows, truth


def generated_records(people: int, seed: int) -> tuple[list[tuple[str, str, dict]], dict[str, str]]:
    """The demo generator's people rows, made in memory: at a million people the channel
    files and their order history would take most of an hour to write and are not needed."""
    import datetime as dt

    from crm.demo.catalogue import build_catalogue
    from crm.demo.people import generate_people

    rng = random.Random(f"{seed}:people")
    rows, truth = [], {}
    for person in generate_people(rng, people, build_catalogue(seed), dt.date(2025, 6, 30)):
        for record in person.records:
            rows.append((record.source, record.row["external_id"], record.row))
            truth[record.record_id] = str(person.id)
    return rows, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", help="A seed_demo --files-only folder")
    parser.add_argument("--people", type=int, default=0, help="Generate this many people instead")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--sample", type=int, default=1000, help="Records resolved one by one")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Keep the database of an earlier run with the same data and only time the lookups",
    )
    arguments = parser.parse_args()

    if not arguments.folder and not arguments.people:
        parser.error("give a folder of channel files or --people")
    os.environ["BOTTEGA_VAR_DIR"] = tempfile.mkdtemp(prefix="bottega-realtime-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if arguments.database_url:
        if not arguments.reuse:
            fresh_postgres(arguments.database_url)
        os.environ["DATABASE_URL"] = arguments.database_url
    os.chdir(REPO)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from crm.identity import normalize, resolve
    from crm.models import Customer, Source, SourceRecord

    call_command("migrate", verbosity=0)
    if arguments.people:
        rows, truth = generated_records(arguments.people, arguments.seed)
    else:
        rows, truth = read_records(arguments.folder.resolve())
    random.Random(1).shuffle(rows)
    held_out, stored = rows[: arguments.sample], rows[arguments.sample :]
    sources = {source.code: source for source in Source.objects.all()}

    started = time.perf_counter()
    clusters = sorted({truth[f"{source}:{external_id}"] for source, external_id, _ in stored})
    customer_of = {}
    if arguments.reuse and SourceRecord.objects.exists():
        # The held-out records were never stored, so the stored ones name each customer.
        for code, external_id, customer in SourceRecord.objects.values_list(
            "source__code", "external_id", "customer_id"
        ).iterator(chunk_size=20_000):
            customer_of[truth[f"{code}:{external_id}"]] = customer
        clusters = []
    for start in range(0, len(clusters), 5000):
        chunk = clusters[start : start + 5000]
        created = Customer.objects.bulk_create([Customer() for _ in chunk])
        customer_of.update({c: customer.pk for c, customer in zip(chunk, created, strict=True)})
    cluster_of_customer = {pk: cluster for cluster, pk in customer_of.items()}

    def source_record(source: str, external_id: str, raw: dict) -> SourceRecord:
        person = normalize.normalize_person(raw, region="IT")
        return SourceRecord(
            source=sources[source],
            external_id=external_id,
            **{name: getattr(person, name) or ("" if name != "birth_date" else None)
               for name in RECORD_FIELDS},
        )  # fmt: skip

    for start in range(0, len(stored) if clusters else 0, 5000):
        chunk = []
        for source, external_id, raw in stored[start : start + 5000]:
            record = source_record(source, external_id, raw)
            record.customer_id = customer_of[truth[f"{source}:{external_id}"]]
            chunk.append(record)
        SourceRecord.objects.bulk_create(chunk)
        resolve.write_match_keys(records=chunk)
    if clusters:
        resolve.train_on_database()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a load this size
    loaded = time.perf_counter() - started
    print(f"loaded {len(stored):,} records, {len(customer_of):,} customers in {loaded:.0f} s",
          file=sys.stderr)  # fmt: skip

    timings, correct, actions = [], 0, {"link": 0, "review": 0, "new": 0}
    for source, external_id, raw in held_out:
        record = source_record(source, external_id, raw)
        began = time.perf_counter()
        decision = resolve.resolve_one(record=record)
        timings.append((time.perf_counter() - began) * 1000)
        actions[decision.action] += 1
        cluster = truth[f"{source}:{external_id}"]
        known = cluster in customer_of
        if decision.action == "link":
            correct += cluster_of_customer.get(decision.customer_id) == cluster
        else:
            correct += not known
    timings.sort()
    result = {
        "database": connection.vendor,
        "customers": len(customer_of),
        "records": len(stored),
        "resolved": len(held_out),
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
        "max_ms": round(timings[-1], 1),
        "decisions": actions,
        "correct_share": round(correct / len(held_out), 4),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
