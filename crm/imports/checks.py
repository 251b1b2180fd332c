"""Refuse a file before reading it: too big, empty, or not what its name says it is.

These checks look at the size, the first bytes and a sample, never parse the whole file, so a
manager learns at once that a 3 GB export or a PDF renamed ``.csv`` will not be imported.
"""

import json
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

CSV = "csv"
XLSX = "xlsx"
JSONL = "jsonl"
FORMATS_BY_EXTENSION = {
    ".csv": CSV,
    ".txt": CSV,
    ".tsv": CSV,
    ".xlsx": XLSX,
    ".jsonl": JSONL,
    ".ndjson": JSONL,
}
# Overridable in settings; 1 GiB is about ten million people rows.
DEFAULT_MAX_BYTES = 1024**3

# The first bytes of files people upload by mistake, and what they are.
_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive or an Excel workbook"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word document"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SAMPLE_BYTES = 64 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "BOTTEGA_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def file_format(file_name: str) -> str:
    """The format a file's name claims: csv, xlsx or jsonl; ValidationError for anything else."""
    extension = Path(file_name).suffix.lower()
    try:
        return FORMATS_BY_EXTENSION[extension]
    except KeyError:
        raise ValidationError(
            f"“{file_name}” is not a file Bottega imports: send a .csv, .xlsx or .jsonl file."
        )


def check_file(*, path: Path, file_name: str, limit: int | None = None) -> str:
    """Check the file at ``path`` (uploaded as ``file_name``) and return its format.

    Raises ValidationError with a message for the manager when it is empty, larger than
    ``limit`` (by default ``settings.BOTTEGA_IMPORT_MAX_BYTES``), or not what it claims.
    """
    fmt = file_format(file_name)
    limit = max_bytes() if limit is None else limit
    size = path.stat().st_size
    if size == 0:
        raise ValidationError(f"“{file_name}” is empty.")
    if size > limit:
        raise ValidationError(
            f"“{file_name}” is {human_size(size)}; the limit is {human_size(limit)}. "
            "Split it into smaller files and import them one after the other."
        )
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    if fmt == XLSX:
        _check_workbook(path, file_name, sample)
    else:
        _check_text(file_name, sample, fmt)
    return fmt


def _check_workbook(path: Path, file_name: str, sample: bytes) -> None:
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            f"“{file_name}” is an old Excel (.xls) file: open it in Excel and save it as .xlsx."
        )
    if not sample.startswith(b"PK\x03\x04") or not zipfile.is_zipfile(path):
        raise ValidationError(f"“{file_name}” is not an Excel workbook, whatever its name says.")
    with zipfile.ZipFile(path) as archive:
        if "xl/workbook.xml" not in archive.namelist():
            raise ValidationError(
                f"“{file_name}” is a zip archive but not an Excel workbook (.xlsx)."
            )


def _check_text(file_name: str, sample: bytes, fmt: str) -> None:
    for signature, what in _SIGNATURES:
        if sample.startswith(signature):
            raise ValidationError(
                f"“{file_name}” is {what}, not a {fmt.upper()} text file, whatever its name says."
            )
    if sample.startswith(_UTF16_BOMS):
        text = sample.decode("utf-16", errors="replace")
    else:
        if b"\x00" in sample:
            raise ValidationError(f"“{file_name}” is not a text file (it holds binary data).")
        text = sample.decode("cp1252", errors="replace")
    controls = sum(1 for char in text if char < " " and char not in "\t\r\n\f")
    if controls > len(text) / 100:
        raise ValidationError(f"“{file_name}” does not look like text: is it really a {fmt}?")
    if fmt == JSONL:
        first = next((line for line in text.splitlines() if line.strip()), "")
        try:
            is_object = isinstance(json.loads(first), dict)
        except ValueError:
            # A first line longer than the sample is cut short: only a complete one can fail.
            is_cut_short = len(sample) == _SAMPLE_BYTES and "\n" not in text
            is_object = is_cut_short
        if not is_object:
            raise ValidationError(
                f"“{file_name}” is not JSON Lines: each line must be one JSON object, "
                'like {"external_id": "W1001", "first_name": "Maria"}.'
            )


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
