"""Write which customer every channel record belongs to: ``source,external_id,customer_id``.

python manage.py export_identity_map                      # to standard output
python manage.py export_identity_map --output map.csv

Channels use it to sync Bottega's customer ids back into their own systems. The customer is
the record's *active* customer: a record of a customer merged into another is reported with the
customer it was merged into. Records are streamed in primary-key order, so the map of millions
of records never sits in memory.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand

from crm.models import Customer, SourceRecord

CHUNK = 5000


class Command(BaseCommand):
    help = "Write the CSV map source,external_id,customer_id of every channel record."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Write to this file (default: stdout).")

    def handle(self, *args, **options):
        path: Path | None = options["output"]
        if path is None:
            written = write_identity_map(self.stdout)
        else:
            with path.open("w", newline="", encoding="utf-8") as handle:
                written = write_identity_map(handle)
            self.stderr.write(f"{written:,} records written to {path}.")


def write_identity_map(handle) -> int:
    """Write the map to an open text file; return the number of records written."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["source", "external_id", "customer_id"])
    active = _active_customer()
    rows = (
        SourceRecord.objects.order_by("pk")
        .values_list("source__code", "external_id", "customer_id")
        .iterator(chunk_size=CHUNK)
    )
    written = 0
    for source, external_id, customer_id in rows:
        writer.writerow([source, external_id, "" if customer_id is None else active(customer_id)])
        written += 1
    return written


def _active_customer():
    """customer id → the id of the active customer it is (itself, or where it was merged).

    Only merged customers are held in memory, and source records normally sit on active
    customers already (a merge moves them), so this is a safety net for records that don't."""
    merged_into = dict(
        Customer.objects.filter(status=Customer.Status.MERGED).values_list("pk", "merged_into")
    )

    def active(customer_id: int) -> int:
        seen = set()
        while customer_id in merged_into and customer_id not in seen:
            seen.add(customer_id)
            customer_id = merged_into[customer_id]
        return customer_id

    return active
