"""The review report: one line per question with the answer given, its source fact and its review state.

This is our own file, so openpyxl may write it. Every text cell is neutralised all the same: answers and
questions come from customers and from the knowledge base, and the report is opened in spreadsheets.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from exports.atomic import atomic_output
from exports.model import ReportRow
from exports.text import neutralise
from trustfill.errors import InputFileError

HEADERS = ["Sheet", "Row", "Question", "Answer", "Comment", "Fact", "Confidence", "Status", "Reviewer",
           "Time"]
WIDTHS = [18, 6, 60, 40, 50, 22, 11, 12, 16, 20]


def _values(row: ReportRow) -> list[object]:
    n = neutralise
    return [n(row.sheet), row.row, n(row.question), n(row.answer), n(row.comment), n(row.fact_id),
            round(row.confidence, 3), n(row.status), n(row.reviewer), n(row.time)]


def _csv_bytes(rows: Sequence[ReportRow]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(_values(row))
    # UTF-8 with BOM: Excel opens it with the right characters when double-clicked.
    return buf.getvalue().encode("utf-8-sig")


def _xlsx(rows: Sequence[ReportRow], fh) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Review"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(_values(row))
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(65 + i)].width = width
    for row_cells in ws.iter_rows(min_row=2, min_col=3, max_col=5):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.save(fh)


def write_review_report(rows: Sequence[ReportRow], dest: Path) -> None:
    """Write the report as .csv or .xlsx, chosen by ``dest``'s extension; atomic."""
    dest = Path(dest)
    suffix = dest.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputFileError(dest, "the review report can be written as .csv or .xlsx; choose one of those.")
    if not dest.parent.is_dir():
        raise InputFileError(dest, "the destination folder does not exist. Create it or choose another.")
    with atomic_output(dest) as fh:
        if suffix == ".csv":
            fh.write(_csv_bytes(rows))
        else:
            _xlsx(rows, fh)
