"""write_csv_cells: answers into a CSV questionnaire, keeping its encoding, delimiter and endings; the records
that receive answers are written by the one safe CSV writer (every field quoted, answers neutralised)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from exports import CellWrite, write_csv_cells
from trustfill.errors import InputFileError
from trustfill.intake import read_questionnaire


def fill(tmp_path: Path, raw: bytes, *writes: tuple[str, str]):
    src = tmp_path / "in.csv"
    src.write_bytes(raw)
    dest = tmp_path / "out.csv"
    result = write_csv_cells(src, dest, [CellWrite(sheet="ignored", cell=c, value=v) for c, v in writes])
    return dest.read_bytes(), result


def test_untouched_records_are_byte_identical_and_answers_land_in_place(tmp_path):
    raw = (b'ID,Question,Answer,Comment\r\n'
           b'1,"Do you encrypt data, at rest?",,\r\n'
           b'2,"Multi-line\r\nquestion",,\r\n'
           b'3,Do you have a SOC 2 report?,,\r\n')
    out, result = fill(tmp_path, raw, ("C2", "Yes"), ("D2", "AES-256"), ("C4", "No"))
    assert not result.skipped and len(result.written) == 3
    lines = out.split(b"\r\n")
    assert lines[0] == b"ID,Question,Answer,Comment"
    assert lines[1] == b'"1","Do you encrypt data, at rest?","Yes","AES-256"'
    assert lines[2:4] == [b'2,"Multi-line', b'question",,']  # record 3 spans two lines, unchanged
    assert lines[4] == b'"3","Do you have a SOC 2 report?","No",""'
    assert out.endswith(b"\r\n")


def test_semicolon_cp1252_file_keeps_delimiter_and_encoding(tmp_path):
    raw = "Nr;Frage;Antwort\n1;Verschlüsselung im Ruhezustand?;\n".encode("cp1252")
    out, result = fill(tmp_path, raw, ("C2", "Ja – AES-256"), ("C3", "日本"))
    assert out.decode("cp1252") == 'Nr;Frage;Antwort\n"1";"Verschlüsselung im Ruhezustand?";"Ja – AES-256"\n'
    assert [(s.cell, s.reason) for s in result.skipped] == [
        ("C3", "contains characters the file's encoding (cp1252) cannot store")]


def test_utf8_bom_tabs_and_quote_all_style_are_kept(tmp_path):
    raw = '\ufeff"Q"\t"A"\n"Have you a DPO?"\t""\n'.encode()
    out, _ = fill(tmp_path, raw, ("B2", "Yes, see \"policy\""))
    assert out == '\ufeff"Q"\t"A"\n"Have you a DPO?"\t"Yes, see ""policy"""\n'.encode()


def test_rows_and_columns_beyond_the_end_are_added(tmp_path):
    out, result = fill(tmp_path, b"Q,A\nfirst,", ("C1", "Comment"), ("B4", "late"))
    assert not result.skipped
    assert list(csv.reader(io.StringIO(out.decode(), newline=""))) == [
        ["Q", "A", "Comment"], ["first", ""], ["", ""], ["", "late"]]
    assert not out.endswith(b"\n")  # the original had no final newline


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_text_is_neutralised(tmp_path, text):
    out, _ = fill(tmp_path, b"Q,A\r\nq,\r\n", ("B2", text))
    record = list(csv.reader(io.StringIO(out.decode(), newline="")))[1]
    assert record == ["q", "'" + text]


def test_a_formula_after_a_separator_is_neutralised_too(tmp_path):
    out, _ = fill(tmp_path, b"Q;A\nq;\n", ("B2", "Yes,=HYPERLINK(A1)"), ("C2", "- a\n- b"))
    assert out == b'Q;A\n"q";"Yes,\'=HYPERLINK(A1)";"\'- a\n\'- b"\n'


def test_intake_reads_the_filled_csv_with_the_answers_where_written(tmp_path):
    raw = b"Question;Answer;Comment\nDo you encrypt data at rest?;;\nDo you run annual penetration tests?;;\n"
    src = tmp_path / "q.csv"
    src.write_bytes(raw)
    questions = read_questionnaire(src).questions
    assert len(questions) == 2
    writes = [CellWrite(sheet=q.sheet, cell=q.answer_cell, value=v) for q, v in zip(questions, ["Yes", "No"],
                                                                                   strict=True)]
    dest = tmp_path / "filled.csv"
    write_csv_cells(src, dest, writes)
    again = read_questionnaire(dest).questions
    assert [q.existing_answer for q in again] == ["Yes", "No"]


def test_same_file_and_bad_reference_are_refused(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(b"Q,A\n")
    with pytest.raises(InputFileError, match="original questionnaire"):
        write_csv_cells(src, src, [])
    _, result = fill(tmp_path, b"Q,A\n", ("A0", "x"))
    assert result.skipped[0].reason == "not a cell reference such as C10"
