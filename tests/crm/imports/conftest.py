"""Helpers for import tests: files written on the fly, the pipeline run to the end."""

import csv
import io
from pathlib import Path

import pytest

from crm.imports import pipeline
from crm.models import ImportBatch
from tests import factories

PEOPLE_HEADER = [
    "external_id", "first_name", "last_name", "email", "phone", "birth_date", "street",
    "postcode", "city", "country", "loyalty_card", "created_at", "consent_email", "consent_sms",
    "consent_profiling",
]  # fmt: skip
ORDERS_HEADER = [
    "external_id", "customer_external_id", "store_code", "associate_code", "ordered_at", "sku",
    "product_name", "category", "brand", "quantity", "unit_price", "currency", "status",
]  # fmt: skip
INTERACTIONS_HEADER = [
    "external_id", "customer_external_id", "kind", "occurred_at", "store_code", "associate_code",
    "channel_detail", "text", "value",
]  # fmt: skip


@pytest.fixture(autouse=True)
def media_root(request, settings, tmp_path):
    settings.BOTTEGA_IMPORT_BATCH_ROWS = 4
    if request.node.get_closest_marker("worker") is None:  # a worker process reads the real one
        settings.MEDIA_ROOT = tmp_path / "media"


def write_csv(
    path: Path, header: list[str], rows: list[dict], *, delimiter=",", encoding="utf-8"
) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in header})
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def person(external_id: str, **values) -> dict:
    row = {
        "external_id": external_id,
        "first_name": "Maria",
        "last_name": "Rossi",
        "email": f"{external_id.lower()}@example.it",
        "created_at": "2025-02-25 17:18",
    }
    row.update(values)
    return row


def run(path: Path, *, source: str = "pos", kind: str = "people", **options) -> ImportBatch:
    batch = pipeline.create_import(source=factories.source(source), kind=kind, path=path, **options)
    pipeline.run_import(batch=batch)
    batch.refresh_from_db()
    return batch
