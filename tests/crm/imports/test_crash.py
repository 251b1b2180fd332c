"""kill -9 in the middle of an import: a real worker process, killed, and the import resumed."""

import csv
import os
import signal
from datetime import timedelta

import pytest

from crm.imports import pipeline
from crm.models import Customer, ImportBatch, SourceRecord
from tests import factories
from tests.celery_worker import running_worker, wait_for

ROWS = 20_000
BATCH_ROWS = 500


def write_people(path) -> None:
    """Every tenth row is the person of the row before, by e-mail: 18,000 people."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "first_name", "last_name", "email"])
        for n in range(ROWS):
            person = n - 1 if n % 10 == 9 else n
            writer.writerow([f"K{n:06d}", "Maria", f"Rossi{person}", f"p{person}@example.it"])


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_import_is_resumed_and_nothing_is_lost_or_doubled(tmp_path):
    path = tmp_path / "people.csv"
    write_people(path)
    batch = pipeline.create_import(
        source=factories.source("pos"), kind="people", path=path, batch_rows=BATCH_ROWS
    )

    def checkpoint() -> int:
        return ImportBatch.objects.get(pk=batch.pk).checkpoint

    with running_worker() as worker:
        pipeline.enqueue_import(batch=batch)
        started = wait_for(lambda: checkpoint() >= 4 * BATCH_ROWS, timeout=240)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()

    assert started, "the worker never got going"
    killed_at = ImportBatch.objects.get(pk=batch.pk)
    assert 0 < killed_at.checkpoint < ROWS
    assert killed_at.status == ImportBatch.Status.LOADING

    assert pipeline.resume_stalled_imports(older_than=timedelta(0)) == [batch.pk]
    with running_worker() as worker:
        done = wait_for(
            lambda: ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.DONE,
            timeout=600,
        )
        assert worker.poll() is None, "the second worker died"

    assert done, "the resumed import did not finish"
    batch.refresh_from_db()
    assert SourceRecord.objects.count() == ROWS
    assert SourceRecord.objects.values("external_id").distinct().count() == ROWS
    assert Customer.objects.count() == 18_000
    assert (batch.checkpoint, batch.rows_total, batch.rows_read) == (ROWS, ROWS, ROWS)
    assert (batch.customers_created, batch.records_linked) == (18_000, 2_000)
    assert (batch.rows_rejected, batch.rows_unchanged) == (0, 0)
