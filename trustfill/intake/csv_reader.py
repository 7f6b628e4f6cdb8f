"""Read CSV questionnaires: sniff the delimiter, decode UTF-8 (with or without BOM), UTF-16 with a BOM,
else Windows-1252 with a note saying so. Cells are text: nothing starting with ``=`` is evaluated."""

from __future__ import annotations

import codecs
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


def sniff_delimiter(text: str) -> str:
    sample = text[:64 * 1024]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        lines = [ln for ln in sample.splitlines()[:20] if ln.strip()]
        counts = {d: sum(ln.count(d) for ln in lines) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


# A physical line, and one record however many lines its quoted fields span, are bounded so a
# hostile file (one line of 26 million cells) is refused before the csv module holds it as a list.
MAX_LINE_CHARS = 8 * 1024 * 1024
MAX_RECORD_CHARS = 16 * 1024 * 1024


def _encoding(path: Path, head: bytes) -> tuple[str, str | None]:
    """The file's encoding without holding it in memory: a BOM says; else UTF-8 if every byte
    decodes (checked in one streaming pass), else Windows-1252 with a note."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", None
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8", None
    except UnicodeDecodeError:
        return "cp1252", ("the file is not UTF-8: read as Windows-1252 (cp1252); check accented characters, or "
                          "save it as 'CSV UTF-8' in Excel")


class _Lines:
    """The file's lines for csv.reader, refusing an over-long line or record as it streams."""

    def __init__(self, fh: io.TextIOBase, name: str, delimiter: str, max_columns: int):
        self.fh, self.name, self.delimiter = fh, name, delimiter
        # separators (or line breaks) seen in the current record: an upper bound of its fields
        self.max_marks = max(4 * max_columns, 10_000)
        self.record = 1
        self.reset()

    def reset(self) -> None:
        self.chars = self.marks = 0

    def __iter__(self):
        while line := self.fh.readline(MAX_LINE_CHARS + 1):
            self.chars += len(line)
            self.marks += line.count(self.delimiter) + 1
            if len(line) > MAX_LINE_CHARS or self.chars > MAX_RECORD_CHARS or self.marks > self.max_marks:
                raise LimitExceeded(self.name, "a record is too long (more than "
                                               f"{MAX_RECORD_CHARS // (1024 * 1024)} MB or {self.max_marks:,} fields); "
                                               "this is not a questionnaire table", row=self.record)
            yield line


class CsvReader:
    formats = ("csv",)
    extensions = (".csv", ".tsv", ".txt")

    def read(self, path: Path, overrides: list[LayoutOverrides], limits: Limits, *,
             display_name: str | None = None, progress=None) -> Intake:
        name = display_name or path.name
        head = check_file(path, name, limits)
        if head.startswith(ZIP_MAGIC) or head.startswith(OLE2_MAGIC):
            raise InputFileError(name, "this is an Excel workbook, not a CSV file; give it the .xlsx "
                                       "extension "
                                       "(or .xls: save it as .xlsx in Excel) and upload it again")
        with path.open("rb") as fh:
            sample = fh.read(64 * 1024)
        if head.startswith(b"%PDF"):
            raise InputFileError(name, "this is a PDF, not a CSV file; ask for the questionnaire as .xlsx "
                                       "or .csv")
        if b"\x00" in sample[:4096] and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputFileError(name, "this is a binary file, not a CSV text file")
        encoding, note = _encoding(path, sample)
        text_head = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
        delimiter = sniff_delimiter(text_head)
        sheet = Path(name).stem or "CSV"
        grid = Grid(name=sheet)
        cells = 0
        with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
            lines = _Lines(fh, name, delimiter, limits.max_columns)
            try:
                for r, record in enumerate(csv.reader(lines, delimiter=delimiter), 1):
                    lines.reset()
                    lines.record = r + 1
                    if r > limits.max_rows:
                        raise LimitExceeded(name, f"more than {limits.max_rows} rows, above the row limit")
                    if len(record) > limits.max_columns:
                        raise LimitExceeded(name, f"{len(record):,} columns, above the limit of "
                                                  f"{limits.max_columns:,}; remove the extra columns, or raise "
                                                  "the max_columns setting",
                                            row=r)
                    cells += len(record)
                    if cells > limits.max_cells:
                        raise LimitExceeded(name, f"more than {limits.max_cells:,} cells, above the limit of "
                                                  f"{limits.max_cells:,}; remove unused rows and columns, or raise "
                                                  "the max_cells setting", row=r)
                    values = {c: v.strip() for c, v in enumerate(record, 1) if v.strip()}
                    if values:
                        grid.cells[r] = values
                    grid.max_row = r
                    grid.max_col = max(grid.max_col, len(record))
            except csv.Error as exc:
                raise InputFileError(name, f"not a readable CSV file ({exc})") from None
        if progress:
            progress("reading workbook", 1.0)
        if note:
            grid.notes.append(note)
        if delimiter != ",":
            grid.notes.append(f"delimiter detected: {'TAB' if delimiter == chr(9) else repr(delimiter)}")
        per_sheet, forced = resolve_overrides(name, [sheet], overrides)
        return analyse([grid], {}, per_sheet, forced, path=name, fmt="csv")
