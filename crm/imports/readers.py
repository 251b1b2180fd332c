"""Read channel files row by row, without loading them whole.

CSV (UTF-8 with or without BOM, UTF-16 with BOM, else cp1252, else Latin-1; delimiter ``,``,
``;`` or tab detected from the header), XLSX (openpyxl in read-only, streaming mode: the first
sheet) and JSON Lines. The first row of CSV and XLSX is the header.

Every row comes with its *index* (0-based position among the file's records, blank ones
included, which is what an import's checkpoint counts) and its *number* as the manager's own tool
shows it: the spreadsheet row (the header is row 1) or the line of a JSON Lines file. Every value
is text: spreadsheet numbers and dates are written the way a CSV export would write them.
"""

import codecs
import csv
import datetime as dt
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from crm.imports import checks

_BLOCK = 1024 * 1024
JSONL_HEADER_SAMPLE = 1000


@dataclass(frozen=True)
class ReadOptions:
    format: str
    encoding: str = "utf-8-sig"
    delimiter: str = ","

    def as_dict(self) -> dict:
        return {"format": self.format, "encoding": self.encoding, "delimiter": self.delimiter}


@dataclass(frozen=True)
class Row:
    index: int
    number: int
    values: dict[str, str]
    error: str = ""  # a record that could not be read at all (a JSON line that is not an object)


class UnreadableFile(Exception):
    """The file broke in the middle (a CSV cell over the size limit, a corrupt workbook)."""


def detect_encoding(path: Path) -> str:
    """The encoding of a text file: UTF-16 when it starts with its BOM; UTF-8 (BOM or not) when
    every byte decodes as UTF-8; else Windows-1252 (what Excel on an Italian PC writes), and
    Latin-1 when even that fails (it decodes any byte). Reads the whole file once."""
    with path.open("rb") as handle:
        start = handle.read(2)
        if start in (b"\xff\xfe", b"\xfe\xff"):
            return "utf-16"
        handle.seek(0)
        for encoding in ("utf-8", "cp1252"):
            decoder = codecs.getincrementaldecoder(encoding)()
            handle.seek(0)
            try:
                while block := handle.read(_BLOCK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            return "utf-8-sig" if encoding == "utf-8" else encoding
    return "latin-1"


def detect_delimiter(header_line: str) -> str:
    """``;`` (Italian Excel), tab, or ``,``: whichever the header holds most of, outside quotes."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda delimiter: (counts[delimiter], delimiter == ","))
    return best if counts[best] else ","


def detect_options(path: Path, fmt: str, encoding: str | None = None) -> ReadOptions:
    """How to read this file: its encoding and delimiter, unless ``encoding`` is given."""
    if fmt != checks.CSV:
        return ReadOptions(format=fmt, encoding="utf-8")
    encoding = encoding or detect_encoding(path)
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        header_line = handle.readline()
    return ReadOptions(format=fmt, encoding=encoding, delimiter=detect_delimiter(header_line))


def headers(path: Path, options: ReadOptions) -> list[str]:
    """The file's column names, in order."""
    if options.format == checks.CSV:
        with _open_text(path, options) as handle:
            return _csv_header(csv.reader(handle, delimiter=options.delimiter))
    if options.format == checks.XLSX:
        with _Workbook(path) as sheet_rows:
            return _xlsx_header(sheet_rows)
    return _jsonl_header(path)


def read_rows(path: Path, options: ReadOptions, *, start: int = 0) -> Iterator[Row]:
    """The file's rows from index ``start`` on; blank rows are skipped (their index counts)."""
    if options.format == checks.CSV:
        yield from _csv_rows(path, options, start)
    elif options.format == checks.XLSX:
        yield from _xlsx_rows(path, start)
    else:
        yield from _jsonl_rows(path, start)


def count_records(path: Path, options: ReadOptions) -> int:
    """How many records the file holds after its header (blank ones included)."""
    if options.format == checks.JSONL:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    count = 0
    for row in read_rows(path, options):
        count = row.index + 1
    return count


# --- CSV ------------------------------------------------------------------------------------


def _open_text(path: Path, options: ReadOptions):
    return path.open(encoding=options.encoding, errors="replace", newline="")


def _csv_header(reader) -> list[str]:
    header = next(reader, [])
    return _unique_names([cell.strip().lstrip("\ufeff") for cell in header])


def _csv_rows(path: Path, options: ReadOptions, start: int) -> Iterator[Row]:
    with _open_text(path, options) as handle:
        reader = csv.reader(handle, delimiter=options.delimiter)
        try:
            header = _csv_header(reader)
            for index, cells in enumerate(reader):
                if index < start or not any(cell.strip() for cell in cells):
                    continue
                # A CSV cell is text already: a full row needs no conversion (the common case).
                if len(cells) == len(header):
                    yield Row(index, index + 2, dict(zip(header, cells, strict=True)))
                else:
                    yield Row(index, index + 2, _as_dict(header, cells))
        except csv.Error as error:
            raise UnreadableFile(f"row {reader.line_num}: {error}") from error


def _as_dict(header: list[str], cells: list) -> dict[str, str]:
    values = dict(zip(header, (_text(cell) for cell in cells), strict=False))
    for position in range(len(header), len(cells)):  # cells beyond the header keep a name
        if (value := _text(cells[position])) != "":
            values[f"column_{position + 1}"] = value
    for name in header[len(cells) :]:
        values[name] = ""
    return values


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for position, name in enumerate(names, start=1):
        name = name or f"column_{position}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        unique.append(name)
    return unique


# --- XLSX -----------------------------------------------------------------------------------


class _Workbook:
    """The first worksheet's rows (as value tuples), read-only and streaming."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.workbook = None

    def __enter__(self) -> Iterator[tuple]:
        import openpyxl  # only imports of workbooks pay for loading it

        try:
            self.workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise UnreadableFile(f"the workbook cannot be opened: {error}") from error
        return self.workbook.worksheets[0].iter_rows(values_only=True)

    def __exit__(self, *exc_info) -> None:
        if self.workbook is not None:
            self.workbook.close()


def _xlsx_header(sheet_rows: Iterator[tuple]) -> list[str]:
    first = next(sheet_rows, ())
    return _unique_names([_text(cell).strip() for cell in first])


def _xlsx_rows(path: Path, start: int) -> Iterator[Row]:
    with _Workbook(path) as sheet_rows:
        header = _xlsx_header(sheet_rows)
        for index, cells in enumerate(itertools.islice(sheet_rows, start, None), start=start):
            if all(cell is None or _text(cell).strip() == "" for cell in cells):
                continue
            yield Row(index, index + 2, _as_dict(header, list(cells)))


# --- JSON Lines -----------------------------------------------------------------------------


def _jsonl_header(path: Path) -> list[str]:
    names: dict[str, None] = {}
    for row in itertools.islice(_jsonl_rows(path, 0), JSONL_HEADER_SAMPLE):
        if not row.error:
            names.update(dict.fromkeys(row.values))
    return list(names)


def _jsonl_rows(path: Path, start: int) -> Iterator[Row]:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        for index, line in enumerate(itertools.islice(handle, start, None), start=start):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                yield Row(index, index + 1, {"line": line.strip()[:1000]}, "not valid JSON")
                continue
            if not isinstance(value, dict):
                yield Row(index, index + 1, {"line": line.strip()[:1000]}, "not a JSON object")
                continue
            yield Row(index, index + 1, {str(key): _text(cell) for key, cell in value.items()})


# --- cells ----------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as text, the way a CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
