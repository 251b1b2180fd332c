import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crm.models import ImportBatch, SourceRecord
from tests.crm.imports.conftest import PEOPLE_HEADER, person, write_csv

pytestmark = pytest.mark.django_db


def test_it_imports_in_the_foreground_and_prints_progress_and_a_summary(tmp_path, capsys):
    rows = [person(f"P{n}") for n in range(1, 7)] + [person("")]
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, rows)

    call_command("import_channel", str(path), source="pos", kind="people")

    out = capsys.readouterr().out
    assert "4 / 7 rows" in out
    assert "7 / 7 rows" in out
    assert re.search(r"rejected +1\n", out)
    assert re.search(r"new customers +6\n", out)
    assert ImportBatch.objects.get().status == ImportBatch.Status.DONE


def test_the_same_file_twice_says_so_and_succeeds(tmp_path, capsys):
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, [person("P1")])
    call_command("import_channel", str(path), source="pos", kind="people")

    call_command("import_channel", str(path), source="pos", kind="people")

    assert "nothing was changed" in capsys.readouterr().out
    assert SourceRecord.objects.count() == 1


def test_a_refused_file_or_unknown_source_exits_non_zero(tmp_path):
    fake = tmp_path / "people.xlsx"
    fake.write_text("external_id\nP1\n")

    with pytest.raises(CommandError, match="not an Excel workbook"):
        call_command("import_channel", str(fake), source="pos", kind="people")
    with pytest.raises(CommandError, match="no source “till”"):
        call_command("import_channel", str(fake), source="till", kind="people")


def test_a_dry_run_prints_counts_and_writes_nothing(tmp_path, capsys):
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, [person("P1"), person("")])

    call_command("import_channel", str(path), source="pos", kind="people", dry_run=True)

    out = capsys.readouterr().out
    assert "2 rows read: 1 rejected, 0 unchanged, 1 new customers" in out
    assert "row 3 (external_id): The external id is empty" in out
    assert not ImportBatch.objects.exists()


def test_background_hands_the_import_to_the_workers(
    tmp_path, capsys, django_capture_on_commit_callbacks
):
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, [person("P1")])

    with django_capture_on_commit_callbacks() as callbacks:
        call_command("import_channel", str(path), source="pos", kind="people", background=True)

    batch = ImportBatch.objects.get()
    assert f"Import #{batch.pk} handed to the workers." in capsys.readouterr().out
    assert len(callbacks) == 1
    assert batch.status == ImportBatch.Status.PENDING
