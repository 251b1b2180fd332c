"""Identity resolution measured the way a deployment lives it: through the import pipeline.

    .venv/bin/python manage.py seed_demo --files-only --people 20000 --seed 7 \
        --output-dir /tmp/demo20k
    .venv/bin/python -m bench.identity.end_to_end /tmp/demo20k
    .venv/bin/python -m bench.identity.end_to_end /tmp/demo20k \
        --database-url postgres://postgres@127.0.0.1:5432/bottega_e2e

A fresh database (a SQLite file under a temporary ``BOTTEGA_VAR_DIR``, or the PostgreSQL
database named by ``--database-url``, dropped and created again) is migrated; every
``<source>_people.csv`` of the folder is imported with ``import_channel`` in the foreground, in
file-name order; ``export_identity_map`` writes the map, whose rows become
``<source>:<external_id>,customer_id`` and are scored against ``truth.csv`` by the pairwise
precision, recall and F1 of ``shared/eval/pairwise.py``. Prints one JSON line, and a readable
summary on standard error.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from bench.identity.tools import score_identity_map

REPO = Path(__file__).resolve().parents[2]


def fresh_postgres(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    for statement in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-q", "-c", statement], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="A folder of demo channel files and truth.csv")
    parser.add_argument("--database-url", default="", help="PostgreSQL; default a fresh SQLite")
    parser.add_argument("--var-dir", type=Path, help="Keep the database here (default: temp)")
    arguments = parser.parse_args()

    folder = arguments.folder.resolve()
    var_dir = arguments.var_dir or Path(tempfile.mkdtemp(prefix="bottega-e2e-"))
    os.environ["BOTTEGA_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if arguments.database_url:
        fresh_postgres(arguments.database_url)
        os.environ["DATABASE_URL"] = arguments.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        (var_dir / "bottega.sqlite3").unlink(missing_ok=True)
    os.chdir(REPO)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from crm.models import ImportBatch, MatchCandidate, SourceRecord

    call_command("migrate", verbosity=0)
    files = sorted(folder.glob("*_people.csv"))
    rows = 0
    seconds = 0.0
    per_file = []
    for path in files:
        source = path.name.removesuffix("_people.csv")
        started = time.perf_counter()
        call_command(
            "import_channel", str(path), source=source, kind="people", stdout=io.StringIO()
        )
        elapsed = time.perf_counter() - started
        batch = ImportBatch.objects.filter(source__code=source, kind="people").latest("pk")
        rows += batch.rows_read
        seconds += elapsed
        per_file.append({"source": source, "rows": batch.rows_read, "seconds": round(elapsed, 1)})
        print(f"  {source:<15} {batch.rows_read:>8,} rows {elapsed:8.1f} s", file=sys.stderr)

    map_path = var_dir / "identity_map.csv"
    call_command("export_identity_map", output=map_path, stderr=io.StringIO())
    scores = score_identity_map(map_path, folder / "truth.csv")
    batches = ImportBatch.objects.filter(kind="people")
    rules = {}
    for rule in SourceRecord.MatchRule.values:
        rules[rule] = SourceRecord.objects.filter(match_rule=rule).count()
    result = {
        "folder": str(folder),
        "database": connection.vendor,
        **scores,
        "sent_to_review": sum(batch.sent_to_review for batch in batches),
        "review_candidates": MatchCandidate.objects.count(),
        "match_rules": rules,
        "rows": rows,
        "import_seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds) if seconds else None,
        "files": per_file,
    }
    print(
        f"precision {scores['precision']:.4f}  recall {scores['recall']:.4f}  "
        f"F1 {scores['f1']:.4f}  "
        f"review {result['sent_to_review']:,}  {result['rows_per_second']:,} rows/s",
        file=sys.stderr,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
