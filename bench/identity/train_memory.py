"""The matching model's training, measured alone: peak memory and time on the demo files.

    .venv/bin/python manage.py seed_demo --files-only --people 200000 --seed 42 \
        --output-dir var/bench/demo200k
    .venv/bin/python -m bench.identity.train_memory var/bench/demo200k --model var/bench/model.json

The people files of the folder are normalized as the import stores them and turned into the
comparison forms the import trains on (``resolve._person``, in the order of the stored rows:
most recent first), at most ``model_store.TRAIN_MAX_RECORDS`` of them. The normalized rows are
written once to ``training_rows.csv`` in the folder and read back streaming, as training reads
the database, so what is measured is training, not the CSV reader. They are read into
``scoring.RecordColumns`` as ``resolve.train_on_database`` reads them (``--objects``: into a list
of ``PersonRecord``, as it did before), and trained on as an import trains
(``match.train_model``, as ``model_store.train_from_records`` calls it, without storing the row).

Prints one JSON line: records, peak RSS of the process (``ru_maxrss``) before and after
training, wall and CPU seconds of reading the records and training, and the load average.
``--model`` writes the trained model's parameters as JSON, to compare two versions of the code.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROWS_FILE = "training_rows.csv"
COLUMNS = ("source_id", "external_id", "first_name", "last_name", "email", "phone",
           "birth_date", "street", "postcode", "city", "loyalty_card")  # fmt: skip


def write_rows(folder: Path) -> None:
    """The people files' rows, normalized as the import stores them, most recent first."""
    from crm.identity.normalize import normalize_person

    stored = []
    for number, path in enumerate(sorted(folder.glob("*_people.csv")), start=1):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                person = normalize_person(row, region="IT")
                birth = person.birth_date.isoformat() if person.birth_date else ""
                stored.append(
                    (
                        number,
                        row["external_id"],
                        person.first_name,
                        person.last_name,
                        person.email,
                        person.phone,
                        birth,
                        person.street,
                        person.postcode,
                        person.city,
                        person.loyalty_card,
                    )  # fmt: skip
                )
    with (folder / ROWS_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(reversed(stored))


def stored_people(folder: Path, limit: int):
    """The comparison forms of the stored rows, one at a time, as the database gives them."""
    import datetime

    from crm.identity import resolve

    with (folder / ROWS_FILE).open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for number, values in enumerate(reader):
            if number >= limit:
                return
            birth = datetime.date.fromisoformat(values[6]) if values[6] else None
            yield resolve._person(*values[:6], birth, *values[7:])


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="A folder of demo channel files")
    parser.add_argument("--limit", type=int, default=0, help="Records (TRAIN_MAX_RECORDS)")
    parser.add_argument("--model", type=Path, help="Write the trained model here (JSON)")
    parser.add_argument(
        "--objects", action="store_true", help="Train on a list of PersonRecord, not columns"
    )
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.chdir(REPO)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from crm.identity import match, model_store, resolve, scoring

    folder = arguments.folder.resolve()
    if not (folder / ROWS_FILE).exists():
        write_rows(folder)
    limit = arguments.limit or model_store.TRAIN_MAX_RECORDS
    before = peak_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    people = stored_people(folder, limit)
    read = list if arguments.objects else scoring.RecordColumns.from_records
    records = read(people)
    model = match.train_model(records, resolve.match_config())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if arguments.model:
        arguments.model.write_text(json.dumps(model.to_dict(), sort_keys=True), encoding="utf-8")
    result = {
        "folder": str(folder),
        "records": len(records),
        "as": "objects" if arguments.objects else "columns",
        "peak_rss_mb_before": round(before),
        "peak_rss_mb": round(peak_mb()),
        "train_wall_s": round(wall, 1),
        "train_cpu_s": round(cpu, 1),
        "em_iterations": model.em_iterations,
        "load": os.getloadavg(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
