"""The import benchmark: Bottega's channel import against django-import-export and raw COPY.

    .venv/bin/python bench/imports/run.py --people 100000 \
        --database-url postgres://postgres@127.0.0.1:5432/bottega_bench_imports

What it does, in one run:

1. writes the demo chain's channel files (``seed_demo --files-only --people N``) into
   ``--output-dir`` (kept and reused when they are there already);
2. creates the database afresh (``--database-url``: PostgreSQL, or ``sqlite:///path``), migrates
   it and saves the demo catalogue (stores and products, which order lines point at);
3. imports every people file, then ``pos_orders.csv``, each in its own process through the
   pipeline the Celery worker runs, in the foreground (``one_import.py``): rows/s per stage and
   in total, and the process's peak RSS;
4. scores the merges against the generator's ``truth.csv`` (``quality.py``: pairwise precision,
   recall and F1), so that speed is never read without what it cost in quality;
5. on PostgreSQL, imports the POS people file with django-import-export (a plain ModelResource
   over a bare table, its defaults) and with raw ``COPY`` into a bare table (the limit).

``--code-dir`` runs the Bottega imports from another checkout (a ``git worktree`` of an older
commit) against the same files: that is how the "before" column was measured. Results are
printed as a Markdown table and written as JSON next to the files.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.imports import quality  # noqa: E402

PEOPLE_FILES = ("loyalty", "web", "app", "pos", "contact_center", "social")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20000, help="Demo people (20000).")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--output-dir", type=Path, default=None)
    parser.add_argument("--code-dir", type=Path, default=ROOT, help="Bottega checkout to time.")
    parser.add_argument(
        "--batch-rows", type=int, default=None, help="Rows per batch (the pipeline's default)."
    )
    parser.add_argument("--no-orders", action="store_true")
    parser.add_argument("--import-export-rows", type=int, default=20000)
    options = parser.parse_args()
    directory = options.output_dir or Path(
        tempfile.gettempdir(), "bottega-bench-imports", str(options.people)
    )
    env = {**os.environ, "DATABASE_URL": options.database_url, "PYTHONPATH": str(options.code_dir)}
    env.setdefault("BOTTEGA_VAR_DIR", str(directory / "var"))

    if not (directory / "pos_people.csv").exists():
        started = time.perf_counter()
        _manage(env, ROOT, "seed_demo", "--files-only", "--people", str(options.people),
                "--output-dir", str(directory))  # fmt: skip
        print(f"files written in {time.perf_counter() - started:.0f}s", flush=True)
    _fresh_database(options.database_url, env, options.code_dir)

    results = []
    kinds = [(code, "people", directory / f"{code}_people.csv") for code in PEOPLE_FILES]
    if not options.no_orders:
        kinds.append(("pos", "orders", directory / "pos_orders.csv"))
    for source, kind, path in kinds:
        command = [
            *(sys.executable, str(ROOT / "bench/imports/one_import.py"), str(path)),
            *("--source", source, "--kind", kind),
        ]
        if options.batch_rows:
            command += ["--batch-rows", str(options.batch_rows)]
        output = subprocess.run(
            command, env={**env, "BENCH_CODE_DIR": str(options.code_dir)}, cwd=options.code_dir,
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        result = json.loads(output.strip().splitlines()[-1])
        results.append(result)
        print(_describe(result), flush=True)

    try:
        merges = quality.score(directory, env, options.code_dir)
    except SystemExit as missing:  # the metric lives beside the repository, not in it
        merges = {"skipped": str(missing)}
    print(f"merges against truth.csv: {json.dumps(merges)}", flush=True)
    comparisons = {}
    if options.database_url.startswith("postgres"):
        comparisons = _comparisons(env, directory / "pos_people.csv", options.import_export_rows)
    (directory / "results.json").write_text(
        json.dumps({"imports": results, "quality": merges, **comparisons})
    )
    print(_table(results, comparisons))
    if "f1" in merges:
        print(
            f"\nmerges: precision {merges['precision']}, recall {merges['recall']}, "
            f"F1 {merges['f1']} over {merges['records']:,} records"
        )


def _manage(env, code_dir: Path, *arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], env=env, cwd=code_dir, check=True)


def _fresh_database(url: str, env: dict, code_dir: Path) -> None:
    parsed = urlparse(url)
    if parsed.scheme.startswith("postgres"):
        import psycopg

        name = parsed.path.lstrip("/")
        admin = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    else:
        Path(parsed.path).unlink(missing_ok=True)
    _manage(env, code_dir, "migrate", "-v0")
    script = (
        "import django; django.setup(); "
        "from crm.demo import database; from crm.demo.catalogue import build_catalogue; "
        "database.save_catalogue(build_catalogue(42))"
    )
    settings = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([sys.executable, "-c", script], env=settings, cwd=code_dir, check=True)


def _comparisons(env: dict, path: Path, import_export_rows: int) -> dict:
    command = [sys.executable, str(ROOT / "bench/imports/baselines.py"), str(path),
               "--import-export-rows", str(import_export_rows)]  # fmt: skip
    output = subprocess.run(
        command, env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds else "–"


def _cpu(result: dict) -> str:
    """The process's CPU seconds, and its database backend's when they could be read."""
    process = result.get("cpu_seconds")
    if process is None:
        return "–"
    database = result.get("database_cpu_seconds")
    return f"{process:.1f}" if database is None else f"{process:.1f} + {database:.1f}"


def _describe(result: dict) -> str:
    return (
        f"{result['file']}: {result['rows']:,} rows in {result['total_seconds']:.1f}s "
        f"({_rate(result['rows'], result['total_seconds'])} rows/s), {result['status']}, "
        f"stages {', '.join(f'{k} {v:.1f}s' for k, v in result['stages'].items())}, "
        f"CPU s (process + database) {_cpu(result)}, peak RSS {result['peak_rss_mb']:.0f} MB"
    )


def _table(results: list[dict], comparisons: dict) -> str:
    people = [r for r in results if r["kind"] == "people"]
    lines = [
        "| what | rows | seconds | rows/s | CPU s (process + database) | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        lines.append(
            f"| {result['file']} | {result['rows']:,} | {result['total_seconds']:.1f} | "
            f"{_rate(result['rows'], result['total_seconds'])} | {_cpu(result)} | "
            f"{result['peak_rss_mb']:.0f} |"
        )
    rows = sum(r["rows"] for r in people)
    seconds = sum(r["total_seconds"] for r in people)
    total = {
        "cpu_seconds": sum(r.get("cpu_seconds") or 0 for r in people) or None,
        "database_cpu_seconds": sum(r.get("database_cpu_seconds") or 0 for r in people) or None,
    }
    lines.append(f"| all people files | {rows:,} | {seconds:.1f} | {_rate(rows, seconds)} | "
                 f"{_cpu(total)} | {max(r['peak_rss_mb'] for r in people):.0f} |")  # fmt: skip
    stages: dict[str, list[float]] = {"stage (read the file into the staging table)": [0.0, 0.0]}
    for result in people:
        stages["stage (read the file into the staging table)"][0] += result["stage_seconds"]
        cpu = result.get("stages_cpu", {})
        for name, value in result["stages"].items():
            stage = stages.setdefault(name, [0.0, 0.0])
            stage[0] += value
            stage[1] += cpu.get(name, 0.0)
    lines += ["", "| people stage | seconds | rows/s | process CPU s |", "|---|---:|---:|---:|"]
    lines += [
        f"| {name} | {wall:.1f} | {_rate(rows, wall)} | {cpu:.1f} |"
        for name, (wall, cpu) in stages.items()
    ]
    for name, result in comparisons.items():
        lines.append(
            f"| {name} | {result['seconds']:.1f} | {_rate(result['rows'], result['seconds'])} | |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
