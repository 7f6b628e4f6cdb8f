"""The review report: one line per question with the answer given, its source fact and its review state.

This is our own file, so openpyxl may write it. Answers and questions come from customers and from the
knowledge base, and the report is opened in spreadsheets: the CSV goes through the one safe CSV writer
(exports.safe_csv); in the .xlsx every text cell is a string cell holding the exact text, and text that
starts like a formula gets the quotePrefix style, so it stays text even when someone edits the cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from exports.atomic import atomic_output
from exports.model import ReportRow
from exports.safe_csv import write_csv
from exports.text import needs_quote_prefix, strip_illegal
from trustfill.errors import InputFileError

HEADERS = ["Sheet", "Row", "Question", "Answer", "Comment", "Fact", "Confidence", "Status", "Reviewer",
           "Time"]
WIDTHS = [18, 6, 60, 40, 50, 22, 11, 12, 16, 20]


def _values(row: ReportRow) -> list[object]:
    return [row.sheet, row.row, row.question, row.answer, row.comment, row.fact_id,
            round(row.confidence, 3), row.status, row.reviewer, row.time]


def _xlsx(rows: Sequence[ReportRow], fh) -> None:
    # openpyxl loads only when an .xlsx report is written: `trustfill answer` and the CSV reports do not pay
    # the 0.1 s it takes to import.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Review"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([strip_illegal(v) if isinstance(v, str) else v for v in _values(row)])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
                if needs_quote_prefix(cell.value):
                    cell.quotePrefix = True
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
    if suffix == ".csv":
        # UTF-8 with BOM: Excel opens it with the right characters when double-clicked.
        write_csv(dest, HEADERS, (_values(row) for row in rows), bom=True)
        return
    with atomic_output(dest) as fh:
        _xlsx(rows, fh)
