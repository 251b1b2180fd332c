"""The import pipeline: one channel file, in batches of rows, each committed with its checkpoint.

    create_import   check the file (size, what it is), refuse a file already imported, work out
                    its encoding, delimiter and column mapping, store it under MEDIA_ROOT
    run_import      stage (read the file once into its staging table), then batch after batch
                    from the checkpoint:
                    validate + normalize → resolve identities → upsert → refresh scores,
                    each batch in one transaction with its counters, checkpoint and heartbeat
    resume_stalled_imports
                    re-enqueue imports whose heartbeat stopped (their worker died)

Nothing lost, nothing doubled: a batch's rows, rejections, counters and the checkpoint after it
are committed together, so a worker killed at any moment leaves the import exactly at the end
of its last committed batch, and the next run starts there. Two runs of the same import at once
(a resumed one and a late redelivery) are safe too: each batch's transaction first locks the
import and checks that the checkpoint is still where this run read from; the run that finds it
moved stops.

The file is read once, into the import's staging table (``staging.py``: COPY on PostgreSQL,
bulk inserts on SQLite); every run reads its batches back from there, from the checkpoint on.
"""

import contextlib
import dataclasses
import gc
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from crm import services, tasks
from crm.imports import bulk, checks, formats, readers, staging, validate
from crm.imports.interactions import load_interactions
from crm.imports.orders import load_orders
from crm.imports.outcome import Outcome
from crm.imports.people import load_people
from crm.models import Customer, ImportBatch, Interaction, Order, RejectedRow, Source

logger = logging.getLogger(__name__)

Status = ImportBatch.Status
FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)
DEFAULT_BATCH_ROWS = 5000
# Order lines are cheap to check and an order's lines travel together, so a batch's fixed costs
# (its lookups, the scores of the customers it touched, the commit) are spread over more rows:
# at 20,000 lines a batch holds about 200 MB at peak, inside a worker's 500 MB.
DEFAULT_BATCH_ROWS_BY_KIND = {ImportBatch.Kind.ORDERS: 20_000}
# A run hands over to a fresh task after this long, well inside Celery's time limit.
DEFAULT_TIME_BUDGET = timedelta(minutes=20)
DEFAULT_STALL_AFTER = timedelta(minutes=10)


def default_batch_rows(kind: str = "") -> int:
    """``settings.BOTTEGA_IMPORT_BATCH_ROWS`` when set, else the kind's own default."""
    configured = getattr(settings, "BOTTEGA_IMPORT_BATCH_ROWS", None)
    if configured:
        return int(configured)
    return DEFAULT_BATCH_ROWS_BY_KIND.get(kind, DEFAULT_BATCH_ROWS)


class AlreadyImported(ValidationError):
    """The same file (same bytes) from the same source, for the same kind, was imported."""

    def __init__(self, message: str, batch: ImportBatch) -> None:
        super().__init__(message)
        self.batch = batch


# --- creating an import -----------------------------------------------------------------------


@dataclasses.dataclass
class _Prepared:
    fmt: str
    options: readers.ReadOptions
    columns: dict[str, str]
    content_hash: str
    size: int


@dataclasses.dataclass
class FileHeader:
    """What a file's first lines say: how to read it, its columns and how they map."""

    fmt: str
    options: readers.ReadOptions
    headers: list[str]
    columns: dict[str, str]  # file column → Bottega field
    missing: list[str]  # required fields no column maps to


def read_header(
    *,
    source: Source,
    kind: str,
    path: Path,
    file_name: str,
    mapping: dict | None = None,
    encoding: str = "",
) -> FileHeader:
    """Check the file (ValidationError when it is refused) and read its columns and their
    mapping: this import's ``mapping``, then the source's saved one, then the canonical names."""
    if kind not in formats.COLUMNS:
        raise ValidationError(f"“{kind}” is not a kind of import: people, orders or interactions.")
    fmt = checks.check_file(path=path, file_name=file_name)
    options = readers.detect_options(path, fmt, encoding or None)
    try:
        header = readers.headers(path, options)
    except readers.UnreadableFile as error:
        raise ValidationError(f"“{file_name}” cannot be read: {error}.")
    columns = formats.effective_mapping(
        kind=kind, headers=header, saved=(source.column_mapping or {}).get(kind), given=mapping
    )
    missing = formats.missing_required(kind=kind, mapping=columns)
    return FileHeader(fmt, options, header, columns, missing)


def _prepare(
    *, source: Source, kind: str, path: Path, file_name: str, mapping: dict | None, encoding: str
) -> _Prepared:
    header = read_header(
        source=source, kind=kind, path=path, file_name=file_name, mapping=mapping, encoding=encoding
    )
    if header.missing:
        raise ValidationError(
            f"“{file_name}” has no column for {', '.join(header.missing)}. Its columns are: "
            f"{', '.join(header.headers) or 'none'}. Map a column to each of these fields and "
            "try again."
        )
    return _Prepared(
        header.fmt, header.options, header.columns, file_sha256(path), path.stat().st_size
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def create_import(
    *,
    source: Source,
    kind: str,
    path: Path,
    file_name: str = "",
    mapping: dict | None = None,
    encoding: str = "",
    created_by=None,
    batch_rows: int | None = None,
) -> ImportBatch:
    """Check the file and register it as an import waiting to run; the file is copied under
    MEDIA_ROOT, so the import can run (and resume) on any worker.

    Raises ValidationError when the file is refused, and AlreadyImported when the same file was
    imported before (a failed import of it is set to resume from its checkpoint instead, and
    returned). ``batch_rows`` (by default ``default_batch_rows(kind)``) is how many
    rows each transaction loads; it is kept on the import, so every worker uses the same.
    """
    file_name = file_name or path.name
    prepared = _prepare(
        source=source, kind=kind, path=path, file_name=file_name, mapping=mapping, encoding=encoding
    )
    earlier = ImportBatch.objects.filter(
        source=source, kind=kind, content_hash=prepared.content_hash, is_dry_run=False
    ).first()
    if earlier is not None:
        return _earlier_import(earlier)
    batch = ImportBatch(
        source=source,
        kind=kind,
        file_name=file_name[:255],
        content_hash=prepared.content_hash,
        size_bytes=prepared.size,
        column_mapping={
            "columns": prepared.columns,
            "read": prepared.options.as_dict(),
            "batch_rows": batch_rows or default_batch_rows(kind),
        },
        created_by=created_by,
    )
    with path.open("rb") as handle:
        batch.file.save(Path(file_name).name, File(handle), save=False)
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError:  # the same file registered a moment ago by someone else
        batch.file.delete(save=False)
        earlier = ImportBatch.objects.get(
            source=source, kind=kind, content_hash=prepared.content_hash, is_dry_run=False
        )
        return _earlier_import(earlier)
    return batch


def _earlier_import(earlier: ImportBatch) -> ImportBatch:
    if earlier.status in (Status.FAILED, Status.CANCELLED):
        ImportBatch.objects.filter(pk=earlier.pk).update(
            status=Status.PENDING, error="", finished_at=None
        )
        earlier.refresh_from_db()
        return earlier
    raise _already_imported(earlier)


def _already_imported(earlier: ImportBatch) -> AlreadyImported:
    when = timezone.localtime(earlier.created_at).strftime("%Y-%m-%d %H:%M")
    state = "was imported" if earlier.status == Status.DONE else "is being imported"
    return AlreadyImported(
        f"This file {state} already as import #{earlier.pk} (“{earlier.file_name}”, {when}, "
        f"{earlier.get_status_display().lower()}); nothing was changed.",
        earlier,
    )


def check_not_imported(*, source: Source, kind: str, path: Path) -> None:
    """Raise AlreadyImported when this file (same bytes) from this source, for this kind, was
    imported or is being imported: what an upload says before its dry run. A failed import of
    it is no refusal (importing it again resumes that one)."""
    earlier = (
        ImportBatch.objects.filter(
            source=source, kind=kind, content_hash=file_sha256(path), is_dry_run=False
        )
        .exclude(status__in=(Status.FAILED, Status.CANCELLED))
        .first()
    )
    if earlier is not None:
        raise _already_imported(earlier)


def file_path(batch: ImportBatch) -> Path:
    return Path(batch.file.path)


def read_options(batch: ImportBatch) -> readers.ReadOptions:
    return readers.ReadOptions(**batch.column_mapping["read"])


# --- running an import -----------------------------------------------------------------------

CONTINUE = "continue"
ELSEWHERE = "elsewhere"


def run_import(
    *,
    batch: ImportBatch,
    time_budget: timedelta | None = None,
    on_progress: Callable[[ImportBatch], None] | None = None,
) -> str:
    """Run the import from its checkpoint until it is done, fails, or ``time_budget`` is used
    up (then "continue" is returned and the caller hands over to a fresh run).

    Returns the import's status, "continue", or "elsewhere" when another run is moving the
    checkpoint: safe to run twice at once, the second run stops at its first batch. An error
    that is not the file's fault marks the import failed, and is re-raised.
    """
    started = time.monotonic()
    batch.refresh_from_db()
    if batch.status in FINISHED:
        return batch.status
    try:
        if batch.rows_total is None or not staging.exists(batch.pk):
            stage_import(batch=batch)
        columns = batch.column_mapping["columns"]
        rows = staging.read_staged(batch_pk=batch.pk, start=batch.checkpoint)
        size = batch.column_mapping.get("batch_rows") or default_batch_rows(batch.kind)
        for chunk in _chunks(rows, size, _group_key(batch.kind, columns)):
            start = batch.checkpoint
            with _collector_paused():
                loaded = process_rows(batch=batch, start=start, rows=chunk, end=chunk[-1].index + 1)
            if not loaded:
                batch.refresh_from_db()
                return batch.status if batch.status in FINISHED else ELSEWHERE
            batch.refresh_from_db()
            if on_progress:
                on_progress(batch)
            if time_budget and time.monotonic() - started > time_budget.total_seconds():
                return CONTINUE
        finish_import(batch=batch)
    except readers.UnreadableFile as error:
        fail_import(batch=batch, error=f"The file cannot be read past this point: {error}")
    except Exception as error:
        fail_import(batch=batch, error=f"{type(error).__name__}: {error}")
        raise
    batch.refresh_from_db()
    return batch.status


def stage_import(*, batch: ImportBatch) -> None:
    """Read the file once into the import's staging table, count its records (the progress
    bar's 100%) and mark the import started; table, rows and count are committed together.
    Two runs staging at once queue on the import's row lock, and the second finds it done."""
    now = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk, started_at=None).update(started_at=now)
    ImportBatch.objects.filter(pk=batch.pk, rows_total=None).update(
        status=Status.STAGING, heartbeat_at=now
    )
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.rows_total is None or not staging.exists(batch.pk):
            total = staging.stage_rows(
                batch_pk=batch.pk, path=file_path(batch), options=read_options(batch)
            )
            ImportBatch.objects.filter(pk=batch.pk).update(
                rows_total=total, status=Status.LOADING, heartbeat_at=timezone.now()
            )
    batch.refresh_from_db()


def finish_import(*, batch: ImportBatch) -> None:
    now = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk).exclude(status__in=FINISHED).update(
        status=Status.DONE, finished_at=now, heartbeat_at=now
    )
    staging.drop(batch_pk=batch.pk)
    batch.refresh_from_db()


def fail_import(*, batch: ImportBatch, error: str) -> None:
    logger.exception("Import #%s failed: %s", batch.pk, error)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )
    batch.refresh_from_db()


def _group_key(kind: str, columns: dict[str, str]) -> Callable[[readers.Row], str] | None:
    group_field = formats.GROUP_COLUMN[kind]
    column = next((c for c, field in columns.items() if field == group_field), None)
    if group_field is None or column is None:
        return None
    return lambda row: row.values.get(column, "").strip()


def _chunks(
    rows: Iterator[readers.Row], size: int, group_key: Callable | None
) -> Iterator[list[readers.Row]]:
    """Batches of ``size`` rows, stretched so the rows of one group (an order's lines, when
    they are together in the file) are not cut apart; never more than ten times ``size``."""
    chunk: list[readers.Row] = []
    for row in rows:
        if len(chunk) >= size and (
            group_key is None or len(chunk) >= size * 10 or group_key(row) != group_key(chunk[-1])
        ):
            yield chunk
            chunk = []
        chunk.append(row)
    if chunk:
        yield chunk


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for one batch. A batch holds tens of thousands of rows,
    each a few small objects, and the collector walked all of them again and again while they
    were built (a sixth of an orders import's CPU); they hold no cycles, and reference counting
    frees them when the batch is done. Whatever cyclic garbage the batch leaves is collected
    after it, as usual."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def process_rows(*, batch: ImportBatch, start: int, rows: list[readers.Row], end: int) -> bool:
    """Load one batch of rows and move the checkpoint from ``start`` to ``end``, all in one
    transaction. False (and nothing written) when the checkpoint is no longer ``start``:
    another run got there first."""
    with transaction.atomic():
        current = (
            ImportBatch.objects.select_for_update()
            .filter(pk=batch.pk)
            .values_list("checkpoint", "status")
            .first()
        )
        if current is None or current[0] != start or current[1] in FINISHED:
            return False
        outcome = load_rows(batch=batch, rows=rows)
        _save_outcome(batch, outcome, end=end)
    return True


def load_rows(*, batch: ImportBatch, rows: list[readers.Row]) -> Outcome:
    """Validate, normalize and load rows of the import's kind; what happened, counted."""
    outcome = Outcome(rows_read=len(rows))
    columns = batch.column_mapping["columns"]
    valid = []
    rejected_orders: dict[str, int] = {}
    validator = VALIDATORS[batch.kind]
    zone = timezone.get_current_timezone()  # once: the lookup costs more than a row's checks
    for row in rows:
        if row.error:
            outcome.reject(row.number, "", f"This line is {row.error}.", row.values)
            continue
        fields, extra = formats.split_row(row.values, columns)
        result = validator(row.number, fields, row.values, zone=zone)
        if isinstance(result, list):
            for rejection in result:
                outcome.reject(row.number, rejection.column, rejection.reason, row.values)
            if batch.kind == ImportBatch.Kind.ORDERS and fields.get("external_id", "").strip():
                rejected_orders.setdefault(" ".join(fields["external_id"].split()), row.number)
            continue
        if batch.kind == ImportBatch.Kind.INTERACTIONS and extra:
            result.payload.update(extra)
        valid.append(result)
    if batch.kind == ImportBatch.Kind.PEOPLE:
        load_people(batch=batch, rows=valid, outcome=outcome)
    elif batch.kind == ImportBatch.Kind.ORDERS:
        load_orders(batch=batch, rows=valid, rejected_orders=rejected_orders, outcome=outcome)
    else:
        load_interactions(batch=batch, rows=valid, outcome=outcome)
    refresh_scores(customer_ids=outcome.touched_customers - {None})
    return outcome


VALIDATORS = {
    ImportBatch.Kind.PEOPLE: validate.validate_person,
    ImportBatch.Kind.ORDERS: validate.validate_order_line,
    ImportBatch.Kind.INTERACTIONS: validate.validate_interaction,
}


def _save_outcome(batch: ImportBatch, outcome: Outcome, *, end: int) -> None:
    RejectedRow.objects.bulk_create(
        [
            RejectedRow(
                batch=batch,
                row_number=rejection.number,
                column=rejection.column[:80],
                reason=rejection.reason,
                raw=rejection.raw,
            )
            for rejection in outcome.rejected
        ],
        ignore_conflicts=True,  # two reasons for one cell: the first is enough
    )
    ImportBatch.objects.filter(pk=batch.pk).update(
        checkpoint=end,
        rows_read=F("rows_read") + outcome.rows_read,
        rows_rejected=F("rows_rejected") + outcome.rows_rejected,
        rows_unchanged=F("rows_unchanged") + outcome.rows_unchanged,
        customers_created=F("customers_created") + outcome.customers_created,
        records_linked=F("records_linked") + outcome.records_linked,
        sent_to_review=F("sent_to_review") + outcome.sent_to_review,
        heartbeat_at=timezone.now(),
    )


def refresh_scores(*, customer_ids: set[int]) -> None:
    """The scores an import changes at once: profile completeness, last purchase and last seen.
    The nightly jobs refresh the rest (RFM, lifetime value, churn)."""
    if not customer_ids:
        return
    last_purchase: dict[int, object] = {}
    last_interaction: dict[int, object] = {}
    customers: list[Customer] = []
    weighted = [name.removesuffix("_id") for name in services.COMPLETENESS_WEIGHTS]
    for condition in bulk.matching("customer_id", customer_ids):
        last_purchase.update(
            Order.objects.filter(condition)
            .exclude(status=Order.Status.CANCELLED)
            .values("customer")
            .annotate(last=Max("ordered_at"))
            .values_list("customer", "last")
        )
        last_interaction.update(
            Interaction.objects.filter(condition)
            .values("customer")
            .annotate(last=Max("occurred_at"))
            .values_list("customer", "last")
        )
    for condition in bulk.matching("id", customer_ids):
        customers += (
            Customer.objects.filter(condition)
            .order_by()
            .only(*weighted, "profile_completeness", "last_purchase_at", "last_seen_at")
        )
    changed = []
    for customer in customers:
        seen = [m for m in (last_purchase.get(customer.pk), last_interaction.get(customer.pk)) if m]
        wanted = (
            services.profile_completeness(customer),
            last_purchase.get(customer.pk),
            max(seen) if seen else customer.last_seen_at,
        )
        current = (customer.profile_completeness, customer.last_purchase_at, customer.last_seen_at)
        if wanted != current:
            changed.append((customer.pk, *wanted))
    bulk.update_rows(
        Customer, ["profile_completeness", "last_purchase_at", "last_seen_at"], changed
    )


# --- stalled imports --------------------------------------------------------------------------


def stall_after() -> timedelta:
    minutes = getattr(settings, "BOTTEGA_IMPORT_STALL_MINUTES", None)
    return timedelta(minutes=minutes) if minutes else DEFAULT_STALL_AFTER


def resume_stalled_imports(*, older_than: timedelta | None = None) -> list[int]:
    """Re-enqueue every import that is not finished and whose heartbeat is older than
    ``older_than``: its worker died. Each is claimed by moving its heartbeat to now, so the next
    sweep leaves it alone unless it stalls again. Returns the ids re-enqueued."""
    cutoff = timezone.now() - (stall_after() if older_than is None else older_than)
    stalled = (
        ImportBatch.objects.filter(is_dry_run=False)
        .exclude(status__in=FINISHED)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at=None, created_at__lt=cutoff))
        .values_list("pk", flat=True)
    )
    resumed = []
    for pk in stalled:
        claimed = (
            ImportBatch.objects.filter(pk=pk)
            .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at=None))
            .update(heartbeat_at=timezone.now())
        )
        if claimed:
            tasks.run_import.delay_on_commit(pk)
            resumed.append(pk)
    if resumed:
        logger.warning("Resumed stalled imports: %s", resumed)
    return resumed


def save_column_mapping(*, source: Source, kind: str, mapping: dict[str, str]) -> None:
    """Remember a file's column → field mapping on the source, for its next files of ``kind``
    (the columns mapped to nothing are left out). Other kinds' mappings are kept."""
    kept = {column: field for column, field in mapping.items() if field in formats.COLUMNS[kind]}
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        locked.column_mapping = {**(locked.column_mapping or {}), kind: kept}
        locked.save(update_fields=["column_mapping"])
    source.column_mapping = locked.column_mapping


def enqueue_import(*, batch: ImportBatch) -> None:
    """Hand the import to the workers (on the imports queue), once the transaction commits."""
    tasks.run_import.delay_on_commit(batch.pk)


# --- dry run ----------------------------------------------------------------------------------


@dataclasses.dataclass
class DryRunReport:
    rows_read: int
    rows_rejected: int
    rows_unchanged: int
    customers_created: int
    records_linked: int
    sent_to_review: int
    rejections: list  # the first rejected rows: (row number, column, reason)
    columns: dict[str, str]
    # The first rows as the import will read them: (row number, {field: value}).
    preview: list[tuple[int, dict[str, str]]] = dataclasses.field(default_factory=list)


class _RollBack(Exception):
    pass


def dry_run_import(
    *,
    source: Source,
    kind: str,
    path: Path,
    file_name: str = "",
    rows: int = 1000,
    mapping: dict | None = None,
    encoding: str = "",
    preview_rows: int = 10,
) -> DryRunReport:
    """Map and load the file's first ``rows`` rows inside a transaction that is rolled back:
    the counts the import would produce, and nothing written. A file already imported is
    reported like any other (its rows then count as unchanged)."""
    file_name = file_name or path.name
    prepared = _prepare(
        source=source, kind=kind, path=path, file_name=file_name, mapping=mapping, encoding=encoding
    )
    report = None
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                source=source,
                kind=kind,
                file_name=file_name[:255],
                content_hash=prepared.content_hash,
                size_bytes=prepared.size,
                column_mapping={"columns": prepared.columns, "read": prepared.options.as_dict()},
                is_dry_run=True,
                status=Status.LOADING,
            )
            chunk = []
            for row in readers.read_rows(path, prepared.options):
                if len(chunk) >= rows:
                    break
                chunk.append(row)
            outcome = load_rows(batch=batch, rows=chunk) if chunk else Outcome()
            report = DryRunReport(
                rows_read=outcome.rows_read,
                rows_rejected=outcome.rows_rejected,
                rows_unchanged=outcome.rows_unchanged,
                customers_created=outcome.customers_created,
                records_linked=outcome.records_linked,
                sent_to_review=outcome.sent_to_review,
                rejections=[(r.number, r.column, r.reason) for r in outcome.rejected[:50]],
                columns=prepared.columns,
                preview=[
                    (row.number, formats.split_row(row.values, prepared.columns)[0])
                    for row in chunk[:preview_rows]
                ],
            )
            raise _RollBack
    except _RollBack:
        pass
    return report
