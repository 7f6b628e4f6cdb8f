"""The streaming reader reads only what it needs and counts what it reads (#18)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from hostile.corpus import rewrite_zip
from trustfill.config import Limits
from trustfill.errors import InputFileError, LimitExceeded
from trustfill.intake import read_questionnaire

QUESTIONS = ["Do you encrypt customer data at rest?", "Is MFA enforced for administrators?",
             "Do you have an incident response plan?"]


def _workbook(path: Path, *, hidden_lists: bool = False, padding: int = 0) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Questions"
    ws.append(["Question", "Answer", "Comment"])
    for q in QUESTIONS:
        ws.append([q, None, None])
    for r in range(10, 10 + padding):  # formatted but empty cells, as templates carry
        for c in range(1, 11):
            ws.cell(row=r, column=c).font = Font(italic=True)
    lists = wb.create_sheet("Lists")
    for v in ("Yes", "No", "N/A"):
        lists.append([v])
    lists.sheet_state = "hidden"
    if hidden_lists:
        dv = DataValidation(type="list", formula1="=Lists!$A$1:$A$3")
        dv.add("B2:B4")
        ws.add_data_validation(dv)
    junk = wb.create_sheet("Scoring")
    junk.append(["x"])
    junk.sheet_state = "hidden"
    wb.save(path)
    return path


def _part(path: Path, sheet_index: int) -> str:
    return f"xl/worksheets/sheet{sheet_index}.xml"


def test_a_hidden_sheet_nothing_points_at_is_never_parsed(tmp_path):
    src = _workbook(tmp_path / "w.xlsx")
    broken = rewrite_zip(src, tmp_path / "broken-hidden.xlsx", replace={_part(src, 3): b"<worksheet><sheetData><row"})
    intake = read_questionnaire(broken)
    assert [q.text for q in intake.questions] == QUESTIONS
    assert intake.layout.skipped["Scoring"] == "hidden sheet"


def test_a_hidden_list_sheet_is_read_when_a_drop_down_points_at_it(tmp_path):
    intake = read_questionnaire(_workbook(tmp_path / "w.xlsx", hidden_lists=True))
    assert [q.choices for q in intake.questions] == [["Yes", "No", "N/A"]] * 3
    assert all(q.answer_kind == "choice" for q in intake.questions)


def test_empty_formatted_cells_count_against_max_cells(tmp_path):
    path = _workbook(tmp_path / "w.xlsx", padding=200)  # 2,000 empty cells with a format
    assert len(read_questionnaire(path, limits=Limits(max_cells=3_000)).questions) == 3
    with pytest.raises(LimitExceeded, match=r"sheet 'Questions': more than 1,000 cells, above the limit of 1,000"):
        read_questionnaire(path, limits=Limits(max_cells=1_000))


def test_inflated_size_over_the_limit_is_refused(tmp_path):
    """Declared sizes are checked first; the reader also counts inflated bytes as they arrive."""
    src = _workbook(tmp_path / "w.xlsx")
    big = tmp_path / "big.xlsx"
    sheet = zipfile.ZipFile(src).read(_part(src, 1))
    padded = sheet.replace(b"</sheetData>", b"</sheetData>" + b"<!--" + b" " * 3_000_000 + b"-->", 1)
    rewrite_zip(src, big, replace={_part(src, 1): padded})
    with pytest.raises(LimitExceeded, match="unpacks to"):
        read_questionnaire(big, limits=Limits(max_inflated_bytes=2_000_000))


def test_the_cell_limit_refuses_a_big_sheet_before_parsing_it(tmp_path):
    src = _workbook(tmp_path / "w.xlsx")
    sheet = zipfile.ZipFile(src).read(_part(src, 1))
    rows = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>1</v></c>' % (c, r) for c in (b"D", b"E", b"F"))
                    + b"</row>" for r in range(20, 2020))
    dst = rewrite_zip(src, tmp_path / "cells.xlsx", replace={_part(src, 1): sheet.replace(b"</sheetData>",
                                                                                          rows + b"</sheetData>")})
    with pytest.raises(LimitExceeded, match="more than 5,000 cells"):
        read_questionnaire(dst, limits=Limits(max_cells=5_000))
    assert len(read_questionnaire(dst, limits=Limits(max_cells=7_000)).questions) == 3


def _sheet_entry(data: bytearray, name: bytes) -> int:
    """Offset of a part's central-directory entry."""
    cd = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    assert data[cd:cd + 4] == b"PK\x01\x02"
    return cd


def test_a_part_longer_than_its_declared_size_is_a_clear_error(tmp_path):
    data = bytearray(_workbook(tmp_path / "w.xlsx").read_bytes())
    cd = _sheet_entry(data, b"xl/worksheets/sheet1.xml")
    data[cd + 24:cd + 28] = (100).to_bytes(4, "little")  # declared uncompressed size: 100 bytes
    (tmp_path / "lying.xlsx").write_bytes(bytes(data))
    with pytest.raises(InputFileError, match=r"the workbook is damaged \(part 'xl/worksheets/sheet1\.xml'"):
        read_questionnaire(tmp_path / "lying.xlsx")


def test_a_corrupt_deflate_stream_is_a_clear_error(tmp_path):
    data = bytearray(_workbook(tmp_path / "w.xlsx").read_bytes())
    local = data.find(b"PK\x03\x04" + data[_sheet_entry(data, b"xl/worksheets/sheet1.xml") + 6:][:2])
    start = data.find(b"xl/worksheets/sheet1.xml", local) + len(b"xl/worksheets/sheet1.xml")
    for i in range(start + 20, start + 60):
        data[i] ^= 0x5A
    (tmp_path / "corrupt.xlsx").write_bytes(bytes(data))
    with pytest.raises(InputFileError, match="damaged"):
        read_questionnaire(tmp_path / "corrupt.xlsx")
