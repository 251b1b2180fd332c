"""Import a channel file: people, orders or interactions of one source.

python manage.py import_channel --source pos --kind people var/demo/channels/pos_people.csv
python manage.py import_channel --source web --kind orders web_orders.csv --background
python manage.py import_channel --source pos --kind people export.csv --dry-run --rows 500
python manage.py import_channel --source pos --kind people export.csv \
    --mapping '{"Cognome": "last_name", "Nome": "first_name", "Codice": "external_id"}'

By default the import runs here, in the foreground, through the same pipeline the workers run,
printing progress per batch and a summary. It exits with status 1 only when the import itself
failed or the file was refused; rejected rows are reported, not failures. ``--background`` hands
the import to the workers and prints its id.
"""

import json
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm.imports import pipeline
from crm.models import ImportBatch, Source


class Command(BaseCommand):
    help = "Import a channel file (CSV, XLSX or JSON Lines) of people, orders or interactions."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", required=True, help="The source's code: pos, web, app…")
        parser.add_argument("--kind", required=True, choices=ImportBatch.Kind.values)
        parser.add_argument(
            "--mapping",
            default="",
            help='File column → field, as JSON or a JSON file: {"Cognome": "last_name"}.',
        )
        parser.add_argument("--encoding", default="", help="Read a CSV file in this encoding.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Load the first rows, report, write nothing."
        )
        parser.add_argument("--rows", type=int, default=1000, help="Rows a dry run reads (1000).")
        parser.add_argument(
            "--background", action="store_true", help="Hand the import to the workers."
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"There is no file at {path}.")
        source = Source.objects.filter(code=options["source"]).first()
        if source is None:
            codes = ", ".join(Source.objects.values_list("code", flat=True))
            raise CommandError(f"There is no source “{options['source']}” (sources: {codes}).")
        arguments = {
            "source": source,
            "kind": options["kind"],
            "path": path,
            "file_name": path.name,
            "mapping": _mapping(options["mapping"]),
            "encoding": options["encoding"],
        }
        if options["dry_run"]:
            self._dry_run(arguments, options["rows"])
            return
        try:
            batch = pipeline.create_import(**arguments)
        except pipeline.AlreadyImported as refusal:
            self.stdout.write(refusal.messages[0])
            return
        except ValidationError as refusal:
            raise CommandError(" ".join(refusal.messages))
        if options["background"]:
            pipeline.enqueue_import(batch=batch)
            self.stdout.write(f"Import #{batch.pk} handed to the workers.")
            return
        self._run(batch)

    def _run(self, batch: ImportBatch) -> None:
        self.stdout.write(
            f"Import #{batch.pk}: {batch.source.code} {batch.kind} “{batch.file_name}”"
        )
        started = time.monotonic()
        try:
            status = pipeline.run_import(batch=batch, on_progress=self._progress(started))
        except Exception as error:
            raise CommandError(f"Import #{batch.pk} failed: {error}")
        batch.refresh_from_db()
        elapsed = time.monotonic() - started
        self.stdout.write(_summary(batch, elapsed))
        if status != ImportBatch.Status.DONE:
            raise CommandError(f"Import #{batch.pk} failed: {batch.error or status}")

    def _progress(self, started: float):
        def show(batch: ImportBatch) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            total = f"{batch.rows_total:,}" if batch.rows_total is not None else "?"
            self.stdout.write(
                f"  {batch.checkpoint:,} / {total} rows · {batch.rows_rejected:,} rejected · "
                f"{batch.customers_created:,} new · {batch.records_linked:,} linked · "
                f"{batch.sent_to_review:,} to review · {batch.rows_read / elapsed:,.0f} rows/s"
            )

        return show

    def _dry_run(self, arguments: dict, rows: int) -> None:
        try:
            report = pipeline.dry_run_import(**arguments, rows=rows)
        except ValidationError as refusal:
            raise CommandError(" ".join(refusal.messages))
        columns = ", ".join(f"{column} → {field}" for column, field in report.columns.items())
        self.stdout.write(f"Dry run (nothing written). Columns: {columns}")
        self.stdout.write(
            f"{report.rows_read:,} rows read: {report.rows_rejected:,} rejected, "
            f"{report.rows_unchanged:,} unchanged, {report.customers_created:,} new customers, "
            f"{report.records_linked:,} linked, {report.sent_to_review:,} to review."
        )
        for number, column, reason in report.rejections[:20]:
            self.stdout.write(f"  row {number}{f' ({column})' if column else ''}: {reason}")


def _mapping(text: str) -> dict:
    if not text:
        return {}
    if not text.lstrip().startswith("{") and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8")
    try:
        mapping = json.loads(text)
    except ValueError as error:
        raise CommandError(f"--mapping is not JSON: {error}")
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise CommandError(
            '--mapping must be an object of column → field: {"Cognome": "last_name"}'
        )
    return mapping


def _summary(batch: ImportBatch, elapsed: float) -> str:
    updated = (
        batch.rows_read
        - batch.rows_rejected
        - batch.rows_unchanged
        - (batch.customers_created + batch.records_linked if batch.kind == "people" else 0)
    )
    lines = [
        f"Import #{batch.pk} {batch.get_status_display().lower()} in {elapsed:,.1f} s "
        f"({batch.rows_read / max(elapsed, 1e-6):,.0f} rows/s):",
        f"  rows read        {batch.rows_read:>10,}",
        f"  rejected         {batch.rows_rejected:>10,}",
        f"  unchanged        {batch.rows_unchanged:>10,}",
    ]
    if batch.kind == ImportBatch.Kind.PEOPLE:
        lines += [
            f"  new customers    {batch.customers_created:>10,}",
            f"  linked           {batch.records_linked:>10,}",
            f"  sent to review   {batch.sent_to_review:>10,}",
            f"  updated          {updated:>10,}",
        ]
    else:
        lines.append(f"  loaded           {updated:>10,}")
    if batch.rows_rejected:
        lines.append(f"  the rejected rows are listed on import #{batch.pk}")
    return "\n".join(lines)
