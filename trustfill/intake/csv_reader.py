"""Read CSV questionnaires: sniff the delimiter, decode UTF-8 (with or without BOM), UTF-16 with a BOM,
else Windows-1252 with a note saying so. Cells are text: nothing starting with ``=`` is evaluated."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from trustfill.config import Limits
from trustfill.errors import InputFileError, LimitExceeded
from trustfill.intake.assemble import analyse, resolve_overrides
from trustfill.intake.grid import Grid
from trustfill.intake.model import Intake, LayoutOverrides
from trustfill.intake.safety import OLE2_MAGIC, ZIP_MAGIC, check_file

_DELIMITERS = ",;\t|"


def decode(data: bytes) -> tuple[str, str | None]:
    """Text and a note when the encoding had to be guessed."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), (
            "the file is not UTF-8: read as Windows-1252 (cp1252); check accented characters, or save it "
            "as 'CSV UTF-8' in Excel")


def sniff_delimiter(text: str) -> str:
    sample = text[:64 * 1024]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        lines = [ln for ln in sample.splitlines()[:20] if ln.strip()]
        counts = {d: sum(ln.count(d) for ln in lines) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


class CsvReader:
    formats = ("csv",)
    extensions = (".csv", ".tsv", ".txt")

    def read(self, path: Path, overrides: list[LayoutOverrides], limits: Limits, *,
             display_name: str | None = None) -> Intake:
        name = display_name or path.name
        head = check_file(path, name, limits)
        if head.startswith(ZIP_MAGIC) or head.startswith(OLE2_MAGIC):
            raise InputFileError(name, "this is an Excel workbook, not a CSV file; give it the .xlsx "
                                       "extension "
                                       "(or .xls: save it as .xlsx in Excel) and upload it again")
        data = path.read_bytes()
        if head.startswith(b"%PDF"):
            raise InputFileError(name, "this is a PDF, not a CSV file; ask for the questionnaire as .xlsx "
                                       "or .csv")
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputFileError(name, "this is a binary file, not a CSV text file")
        text, note = decode(data)
        delimiter = sniff_delimiter(text)
        sheet = Path(name).stem or "CSV"
        grid = Grid(name=sheet)
        try:
            for r, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1):
                if r > limits.max_rows:
                    raise LimitExceeded(name, f"more than {limits.max_rows} rows, above the row limit")
                if len(record) > limits.max_columns:
                    raise LimitExceeded(name, f"{len(record):,} columns, above the limit of "
                                              f"{limits.max_columns:,}; remove the extra columns, or raise "
                                              "the max_columns setting",
                                        row=r)
                values = {c: v.strip() for c, v in enumerate(record, 1) if v.strip()}
                if values:
                    grid.cells[r] = values
                grid.max_row = r
                grid.max_col = max(grid.max_col, len(record))
        except csv.Error as exc:
            raise InputFileError(name, f"not a readable CSV file ({exc})") from None
        if note:
            grid.notes.append(note)
        if delimiter != ",":
            grid.notes.append(f"delimiter detected: {'TAB' if delimiter == chr(9) else repr(delimiter)}")
        per_sheet, forced = resolve_overrides(name, [sheet], overrides)
        return analyse([grid], {}, per_sheet, forced, path=name, fmt="csv")
