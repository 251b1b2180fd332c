import datetime as dt
import json

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from crm.imports import checks, readers


def read_all(path, fmt="csv", encoding=None) -> tuple[readers.ReadOptions, list[readers.Row]]:
    options = readers.detect_options(path, fmt, encoding)
    return options, list(readers.read_rows(path, options))


def test_it_reads_utf8_with_a_bom_and_keeps_the_header_clean(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("\ufeffexternal_id,first_name\nP1,Niccolò\n".encode())

    options, rows = read_all(path)

    assert options.encoding == "utf-8-sig"
    assert readers.headers(path, options) == ["external_id", "first_name"]
    assert rows[0].values == {"external_id": "P1", "first_name": "Niccolò"}
    assert rows[0].number == 2


def test_it_falls_back_to_windows_1252_for_an_italian_excel_export(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("external_id;first_name;city\nP1;Niccolò;Forlì €\n".encode("cp1252"))

    options, rows = read_all(path)

    assert (options.encoding, options.delimiter) == ("cp1252", ";")
    assert rows[0].values["first_name"] == "Niccolò"
    assert rows[0].values["city"] == "Forlì €"


def test_it_detects_semicolons_but_not_inside_quotes(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text('external_id,"name; with semicolon",city\nP1,"a;b",Milano\n')

    options, rows = read_all(path)

    assert options.delimiter == ","
    assert rows[0].values["name; with semicolon"] == "a;b"


def test_it_skips_blank_rows_but_counts_them_and_keeps_unknown_columns(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("external_id,first_name\nP1,Maria\n,\nP2,Anna,extra\n")

    options, rows = read_all(path)

    assert [(row.index, row.number) for row in rows] == [(0, 2), (2, 4)]
    assert rows[1].values == {"external_id": "P2", "first_name": "Anna", "column_3": "extra"}
    assert readers.count_records(path, options) == 3
    assert [row.index for row in readers.read_rows(path, options, start=1)] == [2]


def test_it_streams_an_xlsx_workbook_with_numbers_and_dates_as_text(tmp_path):
    path = tmp_path / "people.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["external_id", "phone", "birth_date", "postcode"])
    sheet.append(["P1", 3471234567, dt.datetime(1985, 5, 17), 20121])
    sheet.append([None, None, None, None])
    sheet.append(["P2", "02 1234 5678", "17/05/1985", "00100"])
    workbook.save(path)

    assert checks.check_file(path=path, file_name="people.xlsx") == "xlsx"
    options, rows = read_all(path, "xlsx")

    assert rows[0].values == {
        "external_id": "P1",
        "phone": "3471234567",
        "birth_date": "1985-05-17",
        "postcode": "20121",
    }
    assert (rows[1].index, rows[1].number, rows[1].values["postcode"]) == (2, 4, "00100")
    assert [row.index for row in readers.read_rows(path, options, start=1)] == [2]


def test_it_reads_json_lines_and_flags_a_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "people.jsonl"
    lines = [json.dumps({"external_id": "P1", "quantity": 2, "tags": ["a"]}), "[1, 2]", ""]
    path.write_text("\n".join(lines) + "\n")

    options, rows = read_all(path, "jsonl")

    assert rows[0].values == {"external_id": "P1", "quantity": "2", "tags": '["a"]'}
    assert (rows[1].number, rows[1].error) == (2, "not a JSON object")
    assert readers.headers(path, options) == ["external_id", "quantity", "tags"]


def test_an_oversized_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("external_id\n" + "P1\n" * 1000)

    with pytest.raises(ValidationError, match="the limit is 1.0 KB"):
        checks.check_file(path=path, file_name="people.csv", limit=1024)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("people.csv", b"%PDF-1.4 binary", "is a PDF document"),
        ("people.csv", b"PK\x03\x04zipped", "is a zip archive"),
        ("people.csv", b"external_id\x00\x01\x02", "not a text file"),
        ("people.xlsx", b"external_id,first_name\nP1,Maria\n", "not an Excel workbook"),
        ("people.xlsx", b"\xd0\xcf\x11\xe0old excel", "old Excel"),
        ("people.jsonl", b"external_id,first_name\n", "not JSON Lines"),
        ("people.pdf", b"%PDF", "send a .csv, .xlsx or .jsonl"),
        ("people.csv", b"", "is empty"),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(ValidationError, match=message):
        checks.check_file(path=path, file_name=name)
