"""The two yardsticks for a people file, on PostgreSQL; prints one JSON line. Run by run.py.

- django-import-export: what a Django user would pick. A plain ``ModelResource`` over a bare
  table (one text column per column of the file), ``import_data`` with its defaults (one
  transaction, no dry run), on the first ``--import-export-rows`` rows of the file.
- raw ``COPY … FROM STDIN (FORMAT csv)`` of the whole file into a bare table: the limit.
"""

import argparse
import csv
import json
import os
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("--import-export-rows", type=int, default=20000)
    options = parser.parse_args()
    django.setup()
    from django.db import connection, models
    from import_export import resources
    from tablib import Dataset

    with options.file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [row for _, row in zip(range(options.import_export_rows), reader, strict=False)]

    attributes = {name: models.TextField(blank=True) for name in header}
    attributes["__module__"] = __name__
    attributes["Meta"] = type("Meta", (), {"app_label": "crm", "db_table": "bench_import_export"})
    BenchPerson = type("BenchPerson", (models.Model,), attributes)
    with connection.schema_editor() as editor:
        editor.create_model(BenchPerson)

    class PersonResource(resources.ModelResource):
        class Meta:
            model = BenchPerson

    dataset = Dataset(*rows, headers=header)
    started = time.perf_counter()
    result = PersonResource().import_data(dataset, dry_run=False)
    import_export_seconds = time.perf_counter() - started
    assert not result.has_errors(), "django-import-export failed"
    imported = BenchPerson.objects.count()

    columns = ", ".join(f'"{name}" text' for name in header)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_copy ({columns})")
        with (
            cursor.cursor.copy("COPY bench_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
            options.file.open("rb") as handle,
        ):
            while block := handle.read(1024 * 1024):
                copy.write(block)
        cursor.execute("SELECT count(*) FROM bench_copy")
        copied = cursor.fetchone()[0]
    connection.commit() if not connection.get_autocommit() else None
    copy_seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "django-import-export (ModelResource, defaults)": {
                    "rows": imported,
                    "seconds": import_export_seconds,
                },
                "raw COPY into a bare table": {"rows": copied, "seconds": copy_seconds},
            }
        )
    )


if __name__ == "__main__":
    main()
