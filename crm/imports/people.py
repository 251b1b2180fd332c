"""Load people rows: upsert source records by (source, external id), resolve them to customers,
and add the consents they state to the ledger."""

from django.utils import timezone

from crm import name_vocabulary
from crm.identity import resolve
from crm.imports import bulk
from crm.imports.outcome import Outcome
from crm.imports.validate import PersonRow
from crm.models import Consent, ImportBatch, SourceRecord

RECORD_FIELDS = (
    *("first_name", "last_name", "email", "phone", "birth_date", "street", "postcode", "city"),
    *("country", "loyalty_card", "seen_at", "phone_kind"),
)

CONSENT_FIELDS = (
    *("customer_id", "purpose", "channel", "is_granted", "recorded_at", "source_id"),
    *("source_record_id", "proof", "created_at"),
)


def load_people(*, batch: ImportBatch, rows: list[PersonRow], outcome: Outcome) -> None:
    """Upsert the rows' source records, link them, and record their consents.

    A row whose raw content equals the stored record's is unchanged and writes nothing. A
    changed row updates its record, which keeps its customer. Idempotent: loading the same rows
    twice changes nothing the second time. Runs in the caller's transaction.
    """
    rows = _first_of_each_external_id(batch, rows, outcome)
    existing = {
        record.external_id: record
        for record in SourceRecord.objects.filter(
            source=batch.source, external_id__in=[row.external_id for row in rows]
        )
    }
    created, changed, to_consent = [], [], []
    for row in rows:
        record = existing.get(row.external_id)
        if record is not None and record.raw == row.raw:
            outcome.rows_unchanged += 1
            continue
        if record is None:
            record = SourceRecord(source=batch.source, external_id=row.external_id)
            created.append(record)
        else:
            changed.append(record)
        for name, value in row.fields.items():
            setattr(record, name, value)
        record.phone_kind = resolve.phone_kind_of(record.phone)
        record.raw = row.raw
        record.import_batch = batch
        record.row_number = row.number
        to_consent.append((record, row))
    if changed:
        fields = [*RECORD_FIELDS, "raw", "import_batch_id", "row_number"]
        bulk.update_rows(
            SourceRecord,
            fields,
            ((record.pk, *(getattr(record, name) for name in fields)) for record in changed),
        )
    # New records are inserted by the resolver, once it knows their customer.
    counts = resolve.resolve_records(records=created + changed, batch=batch)
    outcome.customers_created += counts.new
    outcome.records_linked += counts.linked
    outcome.sent_to_review += counts.review
    outcome.touched_customers.update(record.customer_id for record in created + changed)
    # Search finds a mistyped name through the vocabulary: the batch's names go in with it,
    # so customers imported a minute ago are found with a typo too.
    name_vocabulary.add_names(
        names={name for r in created + changed for name in (r.first_name, r.last_name)}
    )
    _record_consents(batch, to_consent)


def _first_of_each_external_id(
    batch: ImportBatch, rows: list[PersonRow], outcome: Outcome
) -> list[PersonRow]:
    """Rows whose external id came earlier in the same file are rejected: which of two
    different rows is the person cannot be guessed."""
    first_row: dict[str, int] = dict(
        SourceRecord.objects.filter(
            source=batch.source,
            import_batch=batch,
            external_id__in=[row.external_id for row in rows],
        ).values_list("external_id", "row_number")
    )
    kept = []
    for row in rows:
        earlier = first_row.get(row.external_id)
        if earlier is not None and earlier != row.number:
            outcome.reject(
                row.number,
                "external_id",
                f"External id “{row.external_id}” is already on row {earlier} of this file.",
                row.raw,
            )
            continue
        first_row[row.external_id] = row.number
        kept.append(row)
    return kept


def _record_consents(batch: ImportBatch, pairs: list[tuple[SourceRecord, PersonRow]]) -> None:
    """A consent stated by a row is added to the ledger unless the same record's latest entry
    for that purpose and medium already says the same: the ledger records changes of mind."""
    pairs = [(record, row) for record, row in pairs if row.consents]
    if not pairs:
        return
    latest: dict[tuple[int, str, str], bool] = {}
    for record_pk, purpose, channel, is_granted in (
        Consent.objects.filter(source_record__in=[record.pk for record, _ in pairs])
        .order_by("recorded_at", "pk")
        .values_list("source_record", "purpose", "channel", "is_granted")
    ):
        latest[(record_pk, purpose, channel)] = is_granted
    now = timezone.now()
    entries = []
    for record, row in pairs:
        for (purpose, medium), is_granted in row.consents.items():
            key = (record.pk, str(purpose), str(medium))
            if latest.get(key) == is_granted:
                continue
            entries.append(
                (
                    record.customer_id,
                    purpose,
                    medium,
                    is_granted,
                    # A first statement dates from the record; a change of mind from now, so it
                    # is newer than what it replaces.
                    now if key in latest else (row.seen_at or now),
                    batch.source_id,
                    record.pk,
                    f"{batch.source.code} file “{batch.file_name}”, row {row.number}"[:255],
                    now,
                )
            )
    bulk.insert_rows(Consent, CONSENT_FIELDS, entries)
