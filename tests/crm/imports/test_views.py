"""The imports pages: upload, dry-run preview and column mapping, confirm, progress, download."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.imports import pipeline
from crm.models import Customer, ImportBatch, SourceRecord
from tests import factories
from tests.crm.imports.conftest import PEOPLE_HEADER, person, write_csv

pytestmark = pytest.mark.django_db


def people_file(tmp_path, rows, name="people.csv", header=PEOPLE_HEADER, **options):
    path = write_csv(tmp_path / name, header, rows, **options)
    return SimpleUploadedFile(name, path.read_bytes(), content_type="text/csv")


def upload(client, file, *, kind="people", source="pos"):
    return client.post(
        reverse("crm:import-list"),
        {"source": factories.source(source).pk, "kind": kind, "file": file},
    )


def preview_url(response) -> str:
    return reverse("crm:import-preview", args=[response.context["upload"].token])


def mapping_data(response, **overrides) -> dict:
    form = response.context["form"]
    data = {bound.html_name: bound.initial or "" for bound in form.column_fields()}
    data.update(overrides)
    return data


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.mark.parametrize("persona", ["staff", "agent"])
def test_only_crm_managers_may_use_the_imports_pages(client, persona, request, tmp_path):
    client.force_login(request.getfixturevalue(persona))
    batch = ImportBatch.objects.create(
        source=factories.source("pos"), kind="people", content_hash="x"
    )

    for url in (
        reverse("crm:import-list"),
        reverse("crm:import-detail", args=[batch.pk]),
        reverse("crm:import-rejected", args=[batch.pk]),
        reverse("crm:import-preview", args=["a" * 32]),
    ):
        assert client.get(url).status_code == 403
    assert upload(client, people_file(tmp_path, [person("P1")])).status_code == 403


def test_the_imports_page_lists_the_imports_with_their_counts(manager_client):
    ImportBatch.objects.create(
        source=factories.source("web"),
        kind="people",
        content_hash="x",
        file_name="web_people.csv",
        rows_read=1234,
        status=ImportBatch.Status.DONE,
    )

    response = manager_client.get(reverse("crm:import-list"))

    assert response.status_code == 200
    assert "web_people.csv" in response.text
    assert "1,234" in response.text


def test_an_upload_shows_the_dry_run_counts_and_the_mapped_rows_and_writes_nothing(
    manager_client, tmp_path
):
    rows = [person("P1"), person("P2", email="p1@example.it"), person("", first_name="X")]

    response = upload(manager_client, people_file(tmp_path, rows))

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.rows_read, report.customers_created, report.records_linked) == (3, 1, 1)
    assert (report.sent_to_review, report.rows_rejected) == (0, 1)
    assert response.context["preview"][0] == (
        2,
        ["P1", "Maria", "Rossi", "p1@example.it", *[""] * 7, "2025-02-25 17:18", "", "", ""],
    )
    assert not ImportBatch.objects.exists()
    assert not SourceRecord.objects.exists()


def test_confirming_creates_the_import_and_enqueues_it_once_committed(
    manager_client, manager, tmp_path, django_capture_on_commit_callbacks
):
    first = upload(manager_client, people_file(tmp_path, [person("P1"), person("P2")]))

    with django_capture_on_commit_callbacks() as callbacks:
        response = manager_client.post(preview_url(first), mapping_data(first, action="import"))

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("crm:import-detail", args=[batch.pk])
    assert (batch.status, batch.created_by, batch.file_name) == ("pending", manager, "people.csv")
    assert len(callbacks) == 1
    enqueue = callbacks[0]  # Celery's delay_on_commit: partial(task.delay, *args)
    assert (enqueue.func.__self__.name, enqueue.args) == ("crm.tasks.run_import", (batch.pk,))
    assert not SourceRecord.objects.exists()  # the workers do the import

    pipeline.run_import(batch=batch)  # what the enqueued task runs
    assert SourceRecord.objects.count() == 2


def test_unfamiliar_columns_are_mapped_with_selects_and_the_mapping_saved_on_the_source(
    manager_client, tmp_path
):
    file = people_file(
        tmp_path,
        [{"Codice": "X1", "Nome": "Anna", "Cognome": "Neri", "Note": "VIP"}],
        header=["Codice", "Nome", "Cognome", "Note"],
        delimiter=";",
    )
    first = upload(manager_client, file)
    assert first.context["header"].missing == ["external_id"]
    assert "No column is mapped to external_id" in first.text
    chosen = mapping_data(
        first, column_0="external_id", column_1="first_name", column_2="last_name"
    )

    again = manager_client.post(preview_url(first), {**chosen, "action": "preview"})
    assert again.context["report"].customers_created == 1
    assert again.context["preview"] == [(2, ["X1", "Anna", "Neri"])]

    manager_client.post(preview_url(first), {**chosen, "save_mapping": "on", "action": "import"})

    batch = ImportBatch.objects.get()
    pipeline.run_import(batch=batch)
    record = SourceRecord.objects.get(external_id="X1")
    assert (record.first_name, record.last_name, record.raw["Note"]) == ("Anna", "Neri", "VIP")
    assert factories.source("pos").column_mapping["people"] == {
        "Codice": "external_id",
        "Nome": "first_name",
        "Cognome": "last_name",
    }


def test_an_oversized_file_is_refused_with_its_size_and_the_limit(
    manager_client, tmp_path, settings
):
    settings.BOTTEGA_IMPORT_MAX_BYTES = 100

    response = upload(manager_client, people_file(tmp_path, [person(f"P{n}") for n in range(5)]))

    assert response.status_code == 200
    assert "the limit is 100 bytes" in response.text
    assert not ImportBatch.objects.exists()


def test_a_file_that_is_not_what_its_name_says_is_refused(manager_client):
    fake = SimpleUploadedFile("people.csv", b"%PDF-1.7\n...", content_type="text/csv")

    response = upload(manager_client, fake)

    assert response.status_code == 200
    assert "is a PDF document, not a CSV text file" in response.text


def test_the_same_file_again_is_refused_naming_the_earlier_import(manager_client, tmp_path):
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, [person("P1")])
    earlier = pipeline.create_import(source=factories.source("pos"), kind="people", path=path)
    pipeline.run_import(batch=earlier)

    response = upload(
        manager_client, SimpleUploadedFile("again.csv", path.read_bytes(), content_type="text/csv")
    )

    assert response.status_code == 200
    assert f"already as import #{earlier.pk}" in response.text
    assert ImportBatch.objects.count() == 1


def test_the_progress_partial_shows_the_counts_and_polls_only_while_running(manager_client):
    batch = ImportBatch.objects.create(
        source=factories.source("pos"),
        kind="people",
        content_hash="x",
        status=ImportBatch.Status.LOADING,
        rows_total=1000,
        checkpoint=400,
        rows_read=400,
        rows_rejected=7,
        customers_created=350,
        records_linked=40,
        sent_to_review=3,
    )
    url = reverse("crm:import-detail", args=[batch.pk])

    running = manager_client.get(url, headers={"HX-Request": "true"})
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.DONE)
    done = manager_client.get(url, headers={"HX-Request": "true"})

    assert running.status_code == 200
    assert "<html" not in running.text
    assert '<progress max="1000" value="400"' in running.text
    for count, value in (("read", 400), ("rejected", 7), ("new", 350), ("linked", 40)):
        assert f'data-count="{count}">{value}<' in running.text
    assert 'data-count="review">3<' in running.text
    assert 'hx-trigger="every 2s"' in running.text
    assert "hx-trigger" not in done.text


def test_rejected_rows_download_as_csv_with_formulas_neutralized(manager_client, tmp_path):
    rows = [person("P1"), person("", first_name='=HYPERLINK("http://x")')]
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, rows)
    batch = pipeline.create_import(source=factories.source("pos"), kind="people", path=path)
    pipeline.run_import(batch=batch)

    response = manager_client.get(reverse("crm:import-rejected", args=[batch.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"import-{batch.pk}-rejected.csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[1].startswith("3,external_id,")
    assert "'=HYPERLINK" in text
    assert Customer.objects.count() == 1
