"""Load interaction rows: upserted by (source, external id), on the customer of the source's
record they name, with the source's channel."""

from crm.imports.orders import associate_codes, customer_records, store_codes
from crm.imports.outcome import Outcome
from crm.imports.validate import InteractionRow
from crm.models import ImportBatch, Interaction

FIELDS = (
    *("customer_id", "source_record_id", "kind", "channel", "store_id", "associate_id"),
    *("occurred_at", "text", "payload", "value"),
)


def load_interactions(*, batch: ImportBatch, rows: list[InteractionRow], outcome: Outcome) -> None:
    """Create or update the rows' interactions; an interaction stored with the same values is
    unchanged. Runs in the caller's transaction; idempotent."""
    source = batch.source
    records = customer_records(source, {row.customer_external_id for row in rows})
    stores = store_codes()
    associates = associate_codes({row.associate_code for row in rows})
    existing = {
        interaction.external_id: interaction
        for interaction in Interaction.objects.filter(
            source=source, external_id__in=[row.external_id for row in rows]
        )
    }
    created: dict[str, Interaction] = {}
    changed: dict[str, Interaction] = {}
    for row in rows:
        record = records.get(row.customer_external_id)
        if record is None or record[1] is None:
            outcome.reject(
                row.number,
                "customer_external_id",
                f"Customer “{row.customer_external_id}” is not among {source.name}'s people: "
                "import the people file first.",
                row.raw,
            )
            continue
        store_pk = stores.get(row.store_code) if row.store_code else source.store_id
        if row.store_code and store_pk is None:
            outcome.reject(
                row.number,
                "store_code",
                f"Store “{row.store_code}” is not a store we know.",
                row.raw,
            )
            continue
        wanted = {
            "customer_id": record[1],
            "source_record_id": record[0],
            "kind": row.kind,
            "channel": source.channel,
            "store_id": store_pk,
            "associate_id": associates.get(row.associate_code),
            "occurred_at": row.occurred_at,
            "text": row.text,
            "payload": row.payload,
            "value": row.value,
        }
        interaction = existing.get(row.external_id) or created.get(row.external_id)
        if interaction is None:
            created[row.external_id] = Interaction(
                source=source, external_id=row.external_id, import_batch=batch, **wanted
            )
        elif all(getattr(interaction, name) == value for name, value in wanted.items()):
            outcome.rows_unchanged += 1
            continue
        else:
            for name, value in wanted.items():
                setattr(interaction, name, value)
            interaction.import_batch = batch
            if interaction.pk:
                changed[row.external_id] = interaction
        outcome.touched_customers.add(record[1])
    Interaction.objects.bulk_create(created.values())
    if changed:
        Interaction.objects.bulk_update(
            changed.values(),
            [name.removesuffix("_id") for name in FIELDS] + ["import_batch"],
        )
