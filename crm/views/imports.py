"""Channel imports in the browser: upload, map the columns with a dry-run preview, confirm,
follow the progress, download the rejected rows. For the CRM manager (crm.add_importbatch).

An uploaded file waits under MEDIA_ROOT/imports/uploads/<token>/ until the manager confirms
it; the token is kept in the manager's session, so nobody else can confirm or preview it. The
import itself runs on the workers, enqueued once the confirming transaction commits.
"""

import secrets
import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_GET, require_http_methods

from crm.forms import ColumnMappingForm, ImportUploadForm
from crm.imports import formats, pipeline, reports
from crm.models import ImportBatch, Source

DRY_RUN_ROWS = 1000
PREVIEW_ROWS = 10
SESSION_KEY = "crm_import_uploads"


@require_http_methods(["GET", "POST"])
@permission_required("crm.add_importbatch", raise_exception=True)
def import_list(request: HttpRequest) -> HttpResponse:
    """The imports, newest first, and the upload form; a good upload goes to its preview."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = _keep_upload(request, form)
        try:
            pipeline.check_not_imported(source=upload.source, kind=upload.kind, path=upload.path)
            header = _read_header(upload, mapping=None)
        except ValidationError as refusal:
            _forget_upload(request, upload.token)
            form.add_error("file", refusal.messages)
        else:
            return _render_preview(request, upload, header)
    batches = ImportBatch.objects.filter(is_dry_run=False).select_related("source", "created_by")
    return render(request, "crm/import_list.html", {"form": form, "batches": batches[:50]})


@require_http_methods(["GET", "POST"])
@permission_required("crm.add_importbatch", raise_exception=True)
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    """The dry run of an uploaded file with its column mapping; "preview" runs it again with
    the mapping chosen, "import" confirms it."""
    upload = _upload(request, token)
    header = _read_header(upload, mapping=upload.mapping)
    if request.method == "GET":
        return _render_preview(request, upload, header)
    form = _mapping_form(upload, header, data=request.POST)
    if not form.is_valid():
        return _render_preview(request, upload, header, form=form)
    mapping = form.mapping()
    _remember_mapping(request, upload, mapping)
    header = _read_header(upload, mapping=mapping)
    if request.POST.get("action") != "import" or header.missing:
        return _render_preview(request, upload, header, form=form)
    try:
        with transaction.atomic():
            if form.cleaned_data["save_mapping"]:
                pipeline.save_column_mapping(
                    source=upload.source, kind=upload.kind, mapping=mapping
                )
            batch = pipeline.create_import(
                source=upload.source,
                kind=upload.kind,
                path=upload.path,
                file_name=upload.file_name,
                mapping=mapping,
                created_by=request.user,
            )
            pipeline.enqueue_import(batch=batch)
    except ValidationError as refusal:
        form.add_error(None, refusal.messages)
        return _render_preview(request, upload, header, form=form)
    _forget_upload(request, token)
    return redirect("crm:import-detail", pk=batch.pk)


@require_GET
@permission_required("crm.add_importbatch", raise_exception=True)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One import and its progress; htmx polls the progress partial until it is finished."""
    batch = get_object_or_404(ImportBatch.objects.select_related("source"), pk=pk)
    template = "crm/import_detail.html"
    if request.htmx:
        template += "#progress"
    context = {
        "batch": batch,
        "is_finished": batch.status in pipeline.FINISHED,
        "rejections": batch.rejected_rows.order_by("row_number", "pk")[:20],
    }
    return render(request, template, context)


@require_GET
@permission_required("crm.add_importbatch", raise_exception=True)
def import_rejected_rows(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    batch = get_object_or_404(ImportBatch, pk=pk)
    response = StreamingHttpResponse(
        reports.rejected_rows_csv(batch=batch), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-rejected.csv"'
    return response


# --- the uploaded file, between upload and confirmation ----------------------------------------


class _Upload:
    def __init__(self, token: str, data: dict) -> None:
        self.token = token
        self.source = Source.objects.get(pk=data["source"])
        self.kind = data["kind"]
        self.file_name = data["file_name"]
        self.path = Path(data["path"])
        self.mapping = data.get("mapping")


def _uploads_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "uploads"


def _keep_upload(request: HttpRequest, form: ImportUploadForm) -> _Upload:
    token = secrets.token_hex(16)
    upload = form.cleaned_data["file"]
    directory = _uploads_dir() / token
    directory.mkdir(parents=True)
    path = directory / get_valid_filename(Path(upload.name).name)
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    data = {
        "source": form.cleaned_data["source"].pk,
        "kind": form.cleaned_data["kind"],
        "file_name": upload.name[:255],
        "path": str(path),
    }
    request.session[SESSION_KEY] = {**request.session.get(SESSION_KEY, {}), token: data}
    return _Upload(token, data)


def _upload(request: HttpRequest, token: str) -> _Upload:
    data = request.session.get(SESSION_KEY, {}).get(token)
    if data is None or not Path(data["path"]).is_file():
        raise Http404("This upload is gone: upload the file again.")
    return _Upload(token, data)


def _remember_mapping(request: HttpRequest, upload: _Upload, mapping: dict) -> None:
    uploads = request.session.get(SESSION_KEY, {})
    uploads[upload.token] = {**uploads[upload.token], "mapping": mapping}
    request.session[SESSION_KEY] = uploads
    upload.mapping = mapping


def _forget_upload(request: HttpRequest, token: str) -> None:
    uploads = request.session.get(SESSION_KEY, {})
    uploads.pop(token, None)
    request.session[SESSION_KEY] = uploads
    shutil.rmtree(_uploads_dir() / token, ignore_errors=True)


def _read_header(upload: _Upload, *, mapping: dict | None) -> pipeline.FileHeader:
    return pipeline.read_header(
        source=upload.source,
        kind=upload.kind,
        path=upload.path,
        file_name=upload.file_name,
        mapping=mapping,
    )


def _mapping_form(upload: _Upload, header: pipeline.FileHeader, data=None) -> ColumnMappingForm:
    return ColumnMappingForm(
        data, headers=header.headers, kind=upload.kind, initial_mapping=header.columns
    )


def _render_preview(
    request: HttpRequest,
    upload: _Upload,
    header: pipeline.FileHeader,
    *,
    form: ColumnMappingForm | None = None,
) -> HttpResponse:
    """The preview page: the mapping form, and (when every required field has a column) the
    dry run's counts and its first rows as the import will read them."""
    form = form or _mapping_form(upload, header)
    report, fields, preview = None, [], []
    if not header.missing:
        report = pipeline.dry_run_import(
            source=upload.source,
            kind=upload.kind,
            path=upload.path,
            file_name=upload.file_name,
            rows=DRY_RUN_ROWS,
            mapping=upload.mapping,
            preview_rows=PREVIEW_ROWS,
        )
        mapped = set(report.columns.values())
        fields = [field for field in formats.COLUMNS[upload.kind] if field in mapped]
        preview = [(number, [row.get(f, "") for f in fields]) for number, row in report.preview]
    context = {
        "upload": upload,
        "header": header,
        "report": report,
        "form": form,
        "fields": fields,
        "preview": preview,
        "dry_run_rows": DRY_RUN_ROWS,
    }
    return render(request, "crm/import_preview.html", context)
