"""How right the imports' merges are: the database's identity map scored against truth.csv.

    .venv/bin/python bench/imports/quality.py FOLDER \
        --database-url postgres://postgres@127.0.0.1:5432/bottega_bench_1m

``run.py`` calls it after the people files when the folder holds the demo generator's
``truth.csv``, so that a change made for speed shows its cost in precision and recall in the same
table; alone, it scores a database imported earlier. ``manage.py export_identity_map`` writes
the map (every source record and its customer), whose rows are scored pair by pair against
the generator's truth (``shared/eval/pairwise.py``: precision, recall and F1 over the pairs of
records put together). Prints one JSON line.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.identity.tools import score_identity_map  # noqa: E402


def score(folder: Path, env: dict, code_dir: Path = ROOT) -> dict:
    """Precision, recall and F1 of the database ``env`` points at, against ``folder``'s truth."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch, "identity_map.csv")
        subprocess.run(
            [sys.executable, "manage.py", "export_identity_map", "--output", str(path)],
            env=env, cwd=code_dir, check=True, capture_output=True,
        )  # fmt: skip
        return score_identity_map(path, folder / "truth.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="The demo files' folder, with truth.csv")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--code-dir", type=Path, default=ROOT, help="Bottega checkout to use.")
    options = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": options.database_url, "PYTHONPATH": str(options.code_dir)}
    env.setdefault("BOTTEGA_VAR_DIR", str(options.folder / "var"))
    print(json.dumps(score(options.folder, env, options.code_dir)))


if __name__ == "__main__":
    main()
