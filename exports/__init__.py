"""Lossless export: answers written into the customer's own file, plus a review report."""

from exports.fit import fit_answer
from exports.model import CellWrite, FitResult, ReportRow, SkippedWrite, WriteResult
from exports.report import write_review_report
from exports.safe_csv import neutralise, unneutralise, write_csv
from exports.tabular import write_csv_cells
from exports.xlsx import write_cells

__all__ = ["CellWrite", "FitResult", "ReportRow", "SkippedWrite", "WriteResult", "fit_answer", "neutralise",
           "unneutralise", "write_cells", "write_csv", "write_csv_cells", "write_review_report"]
