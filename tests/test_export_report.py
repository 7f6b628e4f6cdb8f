"""The review report, as CSV and as XLSX."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from exports import ReportRow, write_review_report
from trustfill.errors import InputFileError

ROWS = [
    ReportRow(sheet="Security", row=10, question="Do you encrypt data at rest?", answer="Yes",
              comment="AES-256", fact_id="encryption-at-rest", confidence=0.9312, status="approved",
              reviewer="ana", time="2025-01-02T10:00:00Z"),
    ReportRow(sheet="Security", row=11, question="=HYPERLINK(\"http://x\")", answer="-1",
              comment="@risk", fact_id="", confidence=0.0, status="unanswered"),
]


def test_csv_report_has_every_column_and_neutralised_cells(tmp_path):
    dest = tmp_path / "review.csv"
    write_review_report(ROWS, dest)
    assert dest.read_bytes().startswith(b"\xef\xbb\xbf")
    with dest.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Sheet", "Row", "Question", "Answer", "Comment", "Fact", "Confidence", "Status",
                       "Reviewer", "Time"]
    assert rows[1] == ["Security", "10", "Do you encrypt data at rest?", "Yes", "AES-256", "encryption-at-rest",
                       "0.931", "approved", "ana", "2025-01-02T10:00:00Z"]
    assert rows[2][2:5] == ["'=HYPERLINK(\"http://x\")", "'-1", "'@risk"]
    assert dest.read_bytes().count(b'"') == 2 * 10 * 3 + 4  # every field quoted (plus the two escaped quotes)


def test_xlsx_report_holds_text_not_formulas(tmp_path):
    dest = tmp_path / "review.xlsx"
    write_review_report(ROWS, dest)
    ws = openpyxl.load_workbook(dest)["Review"]
    assert [c.value for c in ws[2]] == ["Security", 10, "Do you encrypt data at rest?", "Yes", "AES-256",
                                        "encryption-at-rest", 0.931, "approved", "ana", "2025-01-02T10:00:00Z"]
    # Exact text, kept text by the quotePrefix style (no apostrophe to show).
    assert ws["C3"].value == "=HYPERLINK(\"http://x\")" and ws["C3"].data_type == "s" and ws["C3"].quotePrefix
    assert ws["D3"].value == "-1" and ws["D3"].quotePrefix and ws.max_row == 3
    assert not ws["C2"].quotePrefix


def test_other_extensions_and_missing_folders_are_refused(tmp_path):
    with pytest.raises(InputFileError, match=".csv or .xlsx"):
        write_review_report(ROWS, tmp_path / "review.pdf")
    with pytest.raises(InputFileError, match="folder does not exist"):
        write_review_report(ROWS, tmp_path / "nope" / "review.csv")
    assert list(tmp_path.iterdir()) == []
