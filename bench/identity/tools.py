"""Run one tool on one data set and measure it: ``python -m bench.identity.tools TOOL DATASET``.

Prints one JSON line: precision, recall, F1 (``shared/eval/pairwise.py``'s definition), seconds
end to end (normalize → block → train → score → cluster; loading the files is not timed), records
per second and the process's peak resident memory. Each run is its own process, so the memory
figures of the two tools do not mix.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import sys
import time
from pathlib import Path

from bench.identity import datasets

REPO = Path(__file__).resolve().parents[2]


def pairwise_score(predicted: dict[str, str], truth: dict[str, str]):
    """The metric of ``shared/eval/pairwise.py``, imported from there when it is beside us."""
    for candidate in (REPO.parent / "shared" / "eval", REPO / "shared" / "eval"):
        if (candidate / "pairwise.py").exists():
            sys.path.insert(0, str(candidate))
            from pairwise import score

            return score(predicted, truth)
    raise SystemExit("shared/eval/pairwise.py not found beside the repository")


def score_identity_map(map_path: Path, truth_path: Path) -> dict:
    """The records ``export_identity_map`` wrote to ``map_path``, scored against the
    generator's ``truth.csv`` (``pairwise_score``): a dict ready for a JSON line."""
    with map_path.open(newline="", encoding="utf-8") as handle:
        predicted = {
            f"{row['source']}:{row['external_id']}": row["customer_id"]
            for row in csv.DictReader(handle)
        }
    with truth_path.open(newline="", encoding="utf-8") as handle:
        truth = {row["record_id"]: row["cluster_id"] for row in csv.DictReader(handle)}
    precision, recall, f1, predicted_pairs, true_pairs, correct = pairwise_score(predicted, truth)
    return {
        "records": len(predicted),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "predicted_pairs": predicted_pairs,
        "true_pairs": true_pairs,
        "correct_pairs": correct,
    }


def load(dataset: str):
    if dataset.startswith("febrl"):
        return datasets.load_febrl(int(dataset[-1]))
    return datasets.load_demo(Path(os.environ[f"BENCH_{dataset.upper()}_DIR"]))


# --- Bottega ----------------------------------------------------------------------------------


def run_bottega(dataset: str, rows: list[dict]) -> list[str]:
    from crm.identity import blocking, match
    from crm.identity.scoring import FieldSpec, PersonRecord

    if dataset.startswith("febrl"):
        # FEBRL has no e-mail or phone but a social security number: a personal id.
        fields = (
            FieldSpec("first_name", "name", term_frequency=True),
            FieldSpec("last_name", "name", term_frequency=True),
            FieldSpec("birth_date", "date"),
            FieldSpec("postcode", "code"),
            FieldSpec("street", "address"),
            FieldSpec("city", "place", term_frequency=True),
            FieldSpec("soc_sec_id", "code"),
            FieldSpec("address_2", "address"),
        )
        config = match.MatchConfig(
            fields=fields,
            blocking_rules=blocking.DEFAULT_RULES + blocking.LOOSE_RULES,
            blocking_identifiers=("soc_sec_id",),
            personal_fields=("soc_sec_id",),
            link_only=dataset == "febrl4",
        )
        records = [
            PersonRecord(
                row["unique_id"],
                first_name=row["first_name"],
                last_name=row["surname"],
                birth_date=row["dob"],
                street=row["street"],
                postcode=row["postcode"],
                city=row["city"],
                source=row["source_dataset"],
                extra_ids={"soc_sec_id": row["soc_sec_id"], "address_2": row["address_2"]},
            )
            for row in rows
        ]
    else:
        config = match.MatchConfig()
        records = datasets.demo_person_records(rows)
    result = match.resolve_batch(records, config)
    return result.cluster_ids


# --- Splink -----------------------------------------------------------------------------------

SPLINK_THRESHOLD = 0.99


def splink_frame(dataset: str, rows: list[dict]):
    import pandas as pd

    if dataset.startswith("febrl"):
        frame = pd.DataFrame(rows)
    else:
        # Splink gets the same cleaned values as Bottega: normalizing is not what we compare.
        records = datasets.demo_person_records(rows)
        frame = pd.DataFrame(
            {
                "unique_id": [r.record_id for r in records],
                "source_dataset": [r.source for r in records],
                "first_name": [r.first_name for r in records],
                "surname": [r.last_name for r in records],
                "dob": [r.birth_date for r in records],
                "email": [r.email for r in records],
                "phone": [r.phone for r in records],
                "street": [r.street for r in records],
                "postcode": [r.postcode for r in records],
                "city": [r.city for r in records],
            }
        )
    return frame.replace("", None)


def splink_settings(dataset: str):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    comparisons = [
        cl.ForenameSurnameComparison("first_name", "surname"),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.PostcodeComparison("postcode")
        if not dataset.startswith("febrl")
        else cl.LevenshteinAtThresholds("postcode", [1, 2]),
        cl.LevenshteinAtThresholds("street", [2, 5]),
        cl.JaroWinklerAtThresholds("city", [0.9]).configure(term_frequency_adjustments=True),
    ]
    blocking = [
        block_on("substr(surname, 1, 3)", "substr(dob, 1, 4)"),
        block_on("postcode", "substr(first_name, 1, 1)"),
        block_on("dob", "substr(first_name, 1, 1)"),
        block_on("first_name", "surname"),
        block_on("surname", "first_name"),  # swapped, below with the columns crossed
        "l.first_name = r.surname and l.surname = r.first_name",
    ]
    if dataset.startswith("febrl"):
        comparisons.append(cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]))
        comparisons.append(cl.LevenshteinAtThresholds("address_2", [2]))
        blocking.append(block_on("soc_sec_id"))
    else:
        comparisons.append(cl.EmailComparison("email"))
        comparisons.append(cl.LevenshteinAtThresholds("phone", [1]))
        blocking.append(block_on("email"))
        blocking.append(block_on("phone"))
    return SettingsCreator(
        link_type="link_only" if dataset == "febrl4" else "dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )


def run_splink(dataset: str, rows: list[dict]) -> list[str]:
    from splink import DuckDBAPI, Linker, block_on

    frame = splink_frame(dataset, rows)
    db_api = DuckDBAPI()
    if dataset == "febrl4":
        tables = [
            db_api.register(frame[frame.source_dataset == s].copy(), dataset_display_name=s)
            for s in ("a", "b")
        ]
    else:
        tables = db_api.register(frame, dataset_display_name=dataset)
    linker = Linker(tables, splink_settings(dataset), log_level="ERROR")
    # Prior from a near-certain rule (full name and birth date), recall guessed at 0.6.
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    # m by EM, in two sessions that each leave some fields free (Splink's usual recipe).
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname"), record_sample_proportion=1.0
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), record_sample_proportion=1.0
    )
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=SPLINK_THRESHOLD
    )
    table = clusters.as_pandas_dataframe()
    by_id = dict(zip(table["unique_id"].astype(str), table["cluster_id"].astype(str), strict=True))
    return [by_id.get(row["unique_id"], row["unique_id"]) for row in rows]


def main(tool: str, dataset: str) -> dict:
    rows, truth = load(dataset)
    started = time.perf_counter()
    run = run_bottega if tool == "bottega" else run_splink
    clusters = run(dataset, rows)
    seconds = time.perf_counter() - started
    predicted = {row["unique_id"]: cluster for row, cluster in zip(rows, clusters, strict=True)}
    precision, recall, f1, predicted_pairs, true_pairs, correct = pairwise_score(predicted, truth)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "tool": tool,
        "dataset": dataset,
        "records": len(rows),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "predicted_pairs": predicted_pairs,
        "true_pairs": true_pairs,
        "correct_pairs": correct,
        "seconds": seconds,
        "records_per_second": len(rows) / seconds if seconds else 0.0,
        "peak_memory_mib": peak_kib / 1024,
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
