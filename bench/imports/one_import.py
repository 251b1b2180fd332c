"""One channel import in this process, timed per stage; prints one JSON line. Run by run.py.

    python bench/imports/one_import.py --source pos --kind people FILE

It runs the pipeline the Celery worker runs (``pipeline.stage_import`` then
``pipeline.run_import``), in the foreground, and wraps the stages' entry points with timers:
validate + normalize, resolve identities (with the golden-record recompute inside it), and
inside it the model's training, the matching (blocking, scoring, joining) and the
golden-record recompute, the loaders' writes, and the score refresh.
"""

import argparse
import json
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[2]
CODE = Path(os.environ.get("BENCH_CODE_DIR", ROOT))
sys.path.insert(0, str(CODE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TIMES: dict[str, float] = defaultdict(float)
CPU_TIMES: dict[str, float] = defaultdict(float)


def timed(module, name: str, label: str) -> None:
    function = getattr(module, name)

    def wrapper(*args, **kwargs):
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            TIMES[label] += time.perf_counter() - started
            CPU_TIMES[label] += time.process_time() - cpu_started

    setattr(module, name, wrapper)


def database_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend so far, when the server runs on this
    machine and its /proc entry is readable (else None): with the process's own CPU time, a
    measure that stays put when other work shares the machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("--source", required=True)
    parser.add_argument("--kind", required=True)
    parser.add_argument("--batch-rows", type=int, default=None)
    options = parser.parse_args()
    django.setup()
    from crm.identity import resolve, survivorship
    from crm.imports import people, pipeline, validate
    from crm.models import Source

    for function in ("validate_person", "validate_order_line", "validate_interaction"):
        timed(validate, function, "validate")
    pipeline.VALIDATORS = {
        kind: getattr(validate, validator.__name__)
        for kind, validator in pipeline.VALIDATORS.items()
    }
    timed(resolve, "resolve_records", "resolve")
    if hasattr(resolve, "_Plan"):  # the resolver's parts: training, then blocking and scoring
        timed(resolve, "_train", "training")
        timed(resolve._Plan, "build", "matching")
    timed(survivorship, "recompute_golden_records", "golden_records")
    timed(people, "_record_consents", "consents")
    timed(pipeline, "load_people", "load_people")
    timed(pipeline, "load_orders", "load_orders")
    timed(pipeline, "refresh_scores", "scores")

    source = Source.objects.get(code=options.source)
    arguments = {"source": source, "kind": options.kind, "path": options.file}
    try:
        batch = pipeline.create_import(**arguments, batch_rows=options.batch_rows)
    except TypeError:  # an older pipeline, without batch_rows
        batch = pipeline.create_import(**arguments)
    started = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_at_start = usage.ru_utime + usage.ru_stime
    database_at_start = database_cpu_seconds()
    if hasattr(pipeline, "stage_import"):
        pipeline.stage_import(batch=batch)
    staged = time.perf_counter()
    pipeline.run_import(batch=batch)
    finished = time.perf_counter()
    batch.refresh_from_db()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    database_at_end = database_cpu_seconds()
    print(
        json.dumps(
            {
                "file": options.file.name,
                "kind": options.kind,
                "status": batch.status,
                "error": batch.error[:300],
                "rows": batch.rows_read,
                "rejected": batch.rows_rejected,
                "new": batch.customers_created,
                "linked": batch.records_linked,
                "review": batch.sent_to_review,
                "stage_seconds": staged - started,
                "batches_seconds": finished - staged,
                "total_seconds": finished - started,
                "stages": dict(TIMES),
                "stages_cpu": dict(CPU_TIMES),
                "peak_rss_mb": usage.ru_maxrss / 1024,
                # This process's own CPU time (not the database's): steadier than the clock
                # on a shared machine.
                "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_at_start,
                "database_cpu_seconds": None
                if database_at_start is None or database_at_end is None
                else database_at_end - database_at_start,
            }
        )
    )


if __name__ == "__main__":
    main()
