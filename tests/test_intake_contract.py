"""Contract every reader keeps, run for each registered built-in reader on every fixture.

The same questionnaire content, written in each reader's format, must give the same questions;
every Intake must be internally consistent; and any reader given a file it cannot read raises an
InputFileError (never a traceback).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from test_intake_helpers import (
    SIMPLE_QUESTION_ROWS,
    SIMPLE_ROWS,
    control_list_workbook,
    formula_workbook,
    multi_sheet_workbook,
    protected_workbook,
    simple_csv,
    simple_xlsx,
    split_workbook,
    vendor_workbook,
)

from trustfill.config import Limits
from trustfill.errors import InputFileError
from trustfill.intake.csv_reader import CsvReader
from trustfill.intake.model import Intake, LayoutOverrides
from trustfill.intake.readers import reader_for
from trustfill.intake.xlsx_reader import XlsxReader

READERS = {"xlsx": XlsxReader(), "csv": CsvReader()}

TABLES = {
    "simple": (SIMPLE_ROWS, SIMPLE_QUESTION_ROWS),
    "no-title": ([["Question", "Response", "Explanation"], ["Do you encrypt data at rest?", "Yes", ""],
                  ["Describe your backup schedule.", "", ""]], [2, 3]),
    "statements": ([["Control", "Compliant (Y/N)"], ["Data is encrypted at rest with AES-256.", ""],
                    ["Administrative access requires MFA.", "Y"]], [2, 3]),
}
WORKBOOKS = [vendor_workbook, split_workbook, multi_sheet_workbook, protected_workbook, formula_workbook,
             control_list_workbook]


def write(fmt: str, rows, path: Path) -> Path:
    if fmt == "csv":
        return simple_csv(path.with_suffix(".csv"), rows)
    target = simple_xlsx(path.with_suffix(".xlsx"), rows)
    if fmt == "xlsm":
        target = target.rename(path.with_suffix(".xlsm"))
    return target


def check_consistent(intake: Intake) -> None:
    order = {s.sheet: i for i, s in enumerate(intake.layout.sheets)}
    keys = [(order[q.sheet], q.row) for q in intake.questions]
    assert keys == sorted(keys), "questions are in sheet order, then row order"
    for sheet in intake.layout.sheets:
        qs = [q for q in intake.questions if q.sheet == sheet.sheet]
        assert sheet.question_count == len(qs)
        if qs:
            assert (sheet.first_row, sheet.last_row) == (qs[0].row, qs[-1].row)
        for q in qs:
            assert q.question_cell == f"{sheet.question_col}{q.row}"
            assert q.text.strip()
            assert q.prefilled == bool(q.existing_answer)
            if q.answer_kind == "split":
                assert q.split_cells and q.answer_cell is None and set(q.choices) == set(q.split_cells)
            elif q.answer_kind == "none":
                assert q.answer_cell is None
            else:
                assert q.answer_cell and q.answer_cell.startswith(sheet.answer_col or "?")
            if q.answer_kind == "choice":
                assert q.choices


@pytest.mark.parametrize("table", sorted(TABLES))
@pytest.mark.parametrize("fmt", ["xlsx", "xlsm", "csv"])
def test_same_content_same_questions_in_every_format(tmp_path, fmt, table):
    rows, expected = TABLES[table]
    path = write(fmt, rows, tmp_path / table)
    reader = reader_for(path)
    intake = reader.read(path, [], Limits())
    check_consistent(intake)
    assert intake.layout.format == fmt
    assert [q.row for q in intake.questions] == expected
    reference = XlsxReader().read(write("xlsx", rows, tmp_path / f"ref-{table}"), [], Limits())
    strip = [(q.row, q.ref, q.text, q.existing_answer, q.existing_comment, q.answer_cell, q.comment_cell)
             for q in reference.questions]
    assert [(q.row, q.ref, q.text, q.existing_answer, q.existing_comment, q.answer_cell, q.comment_cell)
            for q in intake.questions] == strip


@pytest.mark.parametrize("build", WORKBOOKS, ids=lambda f: f.__name__)
def test_every_workbook_fixture_gives_a_consistent_intake(tmp_path, build):
    intake = READERS["xlsx"].read(build(tmp_path / "w.xlsx"), [], Limits())
    check_consistent(intake)
    assert intake.questions


@pytest.mark.parametrize("build", WORKBOOKS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_reader_on_every_fixture_reads_or_refuses_cleanly(tmp_path, reader, build):
    path = build(tmp_path / "w.xlsx")
    try:
        intake = READERS[reader].read(path, [LayoutOverrides()], Limits())
    except InputFileError as exc:
        assert reader == "csv" and "Excel workbook" in str(exc)
    else:
        assert reader == "xlsx"
        check_consistent(intake)


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("junk", [b"", b"%PDF-1.4 junk", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
                                  b"PK\x03\x04broken", bytes(range(256)) * 4])
def test_every_reader_refuses_junk_with_input_file_error(tmp_path, reader, junk):
    path = tmp_path / ("junk.csv" if reader == "csv" else "junk.xlsx")
    path.write_bytes(junk)
    with pytest.raises(InputFileError):
        READERS[reader].read(path, [], Limits())


def test_zip_without_workbook_part_is_refused(tmp_path):
    path = tmp_path / "z.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(InputFileError, match="not an Excel workbook"):
        XlsxReader().read(path, [], Limits())
