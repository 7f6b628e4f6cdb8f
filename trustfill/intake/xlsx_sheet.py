"""One streaming pass over a worksheet part: cell text (cached formula results), the formulas,
merged ranges, drop-down lists (including the x14 form), hidden rows and columns, bold and
protection, into a Grid. Limits are counted as the parser goes: the file is refused at the first
cell over a limit, never after a sheet has been loaded.

What a cell shows follows openpyxl's ``data_only`` reading (the reader it replaces): shared and
inline strings, numbers (3.0 as 3), dates by their cell format, TRUE/FALSE, error values as empty;
a cell under a merged range that starts elsewhere shows nothing.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from trustfill.config import Limits
from trustfill.errors import LimitExceeded
from trustfill.intake.grid import MAX_COL, MAX_ROW, Grid, Rect, get_column_letter, parse_rect
from trustfill.intake.text import ERROR_VALUES
from trustfill.intake.xlsx_package import Package, SheetEntry, Styles, local, true

MAX_MERGED_CELLS = 2_000_000  # summed area of a sheet's merged ranges
MAX_MERGED_RANGES = 200_000  # a 100,000-row questionnaire with two merged cells a row
MAX_VALIDATIONS = 50_000
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_COLUMNS: dict[str, int] = {}
# How a cell / merged range tag starts, with or without a namespace prefix (x:c): counted before parsing
# (a quick early refusal; a tag written another way is still counted by the parser as it goes).
_CELL_TAG = (b"<c ", b"<c>", b":c ")
_MERGE_TAG = (b"<mergeCell ", b":mergeCell ")


def column_index(letters: str) -> int:
    """Column number of a cell reference's letters, remembered (the hot path meets the same few often)."""
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for ch in letters.upper():
            index = index * 26 + ord(ch) - 64
        _COLUMNS[letters] = index
    return index


@dataclass
class CellBudget:
    """Cells read so far across the whole workbook, against ``max_cells``."""

    limit: int
    used: int = 0


@dataclass
class SheetData:
    """A parsed sheet: its grid, and what is resolved once every sheet is known."""

    grid: Grid
    lists: list[tuple[str, str]] = field(default_factory=list)  # (formula1, sqref) of list validations, x14 last
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # own text, without '='
    shared_masters: dict[str, tuple[str, str]] = field(default_factory=dict)  # si -> (text, its cell)
    shared_followers: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> si


def _cell_value(t: str, v: str | None, s: int, styles: Styles, sst: list[str], date1904: bool) -> object:
    """The value openpyxl (data_only) would give the cell."""
    if v is None:
        return None
    if t == "n":
        try:
            number: int | float = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
        except ValueError:
            return v
        if styles.at(styles.date, s):
            try:
                return from_excel(number, MAC_EPOCH if date1904 else WINDOWS_EPOCH,
                                  timedelta=styles.at(styles.timedelta, s))
            except (OverflowError, ValueError):
                return None
        return number
    if t == "s":
        try:
            return sst[int(v)]
        except (ValueError, IndexError):
            return None
    if t == "b":
        return v.strip() not in ("0", "", "false")
    if t == "d":
        from openpyxl.utils.datetime import from_ISO8601

        try:
            return from_ISO8601(v)
        except ValueError:
            return v
    return v  # str, e (error text), inlineStr handled by the caller


WINDOWS_EPOCH = datetime.datetime(1899, 12, 30)
MAC_EPOCH = datetime.datetime(1904, 1, 1)


def from_excel(value: float, epoch: datetime.datetime = WINDOWS_EPOCH,
               timedelta: bool = False) -> datetime.datetime | datetime.time | datetime.timedelta:
    """An Excel serial date as openpyxl reads it (openpyxl.utils.datetime.from_excel, the same rules:
    the 1900 leap-year bug, times of day under 1, milliseconds rounded), without importing openpyxl."""
    if timedelta:
        td = datetime.timedelta(days=value)
        if td.microseconds:
            td = datetime.timedelta(seconds=td.total_seconds() // 1, microseconds=round(td.microseconds, -3))
        return td
    day, fraction = divmod(value, 1)
    diff = datetime.timedelta(milliseconds=round(fraction * 86_400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        mins, seconds = divmod(diff.seconds, 60)
        hours, mins = divmod(mins, 60)
        return datetime.time(hours, mins, seconds, diff.microseconds)
    if 0 < value < 60 and epoch == WINDOWS_EPOCH:
        day += 1
    return epoch + datetime.timedelta(days=day) + diff


def value_text(value: object) -> str:
    """A cell value as the text a person sees (dates as ISO dates, 3.0 as 3)."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        return "" if text in ERROR_VALUES else text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        midnight = hasattr(value, "hour") and (value.hour, value.minute, value.second) == (0, 0, 0)
        if midnight and hasattr(value, "date"):
            return value.date().isoformat()
        return value.isoformat()
    return str(value)


def read_sheet(pkg: Package, entry: SheetEntry, styles: Styles, sst: list[str], date1904: bool,
               limits: Limits, budget: CellBudget, *, lookup: bool = False) -> SheetData:
    """Parse one worksheet. ``lookup``: a sheet read only for the values a drop-down list or a
    formula points at; cells beyond the row/column limits are skipped there instead of refused."""
    name, sheet = pkg.name, entry.name
    grid = Grid(name=sheet)
    data = SheetData(grid)
    cells = grid.cells
    bold_of, unlocked_of = styles.bold, styles.unlocked
    n_styles = len(bold_of)
    max_rows, max_cols = limits.max_rows, limits.max_columns
    bold, unlocked = grid.bold, set()
    merges: list[Rect] = []
    cols: list[tuple[int, int, bool, int]] = []  # min, max, hidden, style
    hidden_rows = grid.hidden_rows
    formulas, masters, followers = data.formulas, data.shared_masters, data.shared_followers
    # Sheet-wide counters, and the cell being read (plain locals: this is the hot path, ~1 µs a cell).
    row = col = rows_seen = max_row = max_col = merged_area = 0
    protected = in_cell = has_content = False
    ref: str | None = None
    cell_t: str | None = None
    cell_s: str | None = None
    value: str | None = None
    formula: str | None = None
    f_t: str | None = None
    f_si: str | None = None
    inline: list[str] | None = None
    pending: str | None = None  # the reference of the row's last empty cell, placed once per row
    collect = ""  # "" | v | f | t | dv | sq
    phonetic = 0  # depth inside a phonetic run of an inline string
    buf: list[str] = []
    dv: list[dict] = []
    main_lists: list[tuple[str, str]] = []
    x14_lists: list[tuple[str, str]] = []

    def place(cell_ref: str | None) -> tuple[int, int] | None:
        """Row and column of a cell, counted into the sheet's extent; None for a lookup cell past the limits."""
        nonlocal col, max_row, max_col
        m = _CELL_REF.match(cell_ref) if cell_ref else None
        if m:
            r, c = int(m.group(2)), column_index(m.group(1))
        else:
            r, c = row, col + 1
        col = c
        if r > max_rows or c > max_cols:
            if lookup:
                return None
            if r > max_rows:
                raise LimitExceeded(name, f"{r:,} rows, above the limit of {max_rows:,}; delete the unused rows "
                                          "in Excel, or raise the max_rows setting", sheet=sheet)
            raise LimitExceeded(name, f"{c:,} columns, above the limit of {max_cols:,}; delete the unused "
                                      "columns in Excel, or raise the max_columns setting", sheet=sheet)
        if r > max_row:
            max_row = r
        if c > max_col:
            max_col = c
        return r, c

    def start(tag: str, attrs: dict) -> None:
        nonlocal in_cell, has_content, ref, cell_t, cell_s, value, formula, f_t, f_si, inline, collect
        nonlocal phonetic, row, col, rows_seen, pending, protected
        if ":" in tag:
            tag = local(tag)
        if tag == "c":
            budget.used += 1
            if budget.used > budget.limit:
                raise LimitExceeded(name, f"more than {budget.limit:,} cells, above the limit of {budget.limit:,}; "
                                          "delete the unused rows and columns in Excel, or raise the max_cells "
                                          "setting", sheet=sheet)
            ref, cell_t, cell_s = attrs.get("r"), attrs.get("t"), attrs.get("s")
            in_cell, has_content = True, False
            value = formula = f_t = f_si = None
            inline = None
            collect = ""
        elif in_cell:
            if tag == "v":
                has_content = True
                buf.clear()
                collect = "v"
            elif tag == "f":
                has_content = True
                f_t, f_si = attrs.get("t"), attrs.get("si")
                buf.clear()
                collect = "f"
            elif tag == "is":
                has_content = True
                inline = []
            elif tag == "t":
                if inline is not None and not phonetic:
                    buf.clear()
                    collect = "t"
            elif tag == "rPh":
                phonetic += 1
        elif tag == "row":
            if pending is not None:
                place(pending)
                pending = None
            rows_seen += 1
            if rows_seen + empties.rows > MAX_ROW:
                raise LimitExceeded(name, f"more than {MAX_ROW:,} <row> elements, more than Excel allows; the file "
                                          "is damaged or hostile", sheet=sheet)
            r = attrs.get("r")
            try:
                row = int(r) if r else row + 1
            except ValueError:
                row += 1
            col = 0
            if attrs.get("hidden") and true(attrs.get("hidden")) and row <= max_rows:
                hidden_rows.add(row)
        elif tag == "mergeCell":
            merge(attrs.get("ref", ""))
        elif tag == "col":
            if len(cols) < 20_000:
                lo, hi = _int(attrs.get("min")), _int(attrs.get("max"))
                cols.append((lo, hi, true(attrs.get("hidden")), _int(attrs.get("style"))))
        elif tag == "sheetProtection":
            protected = true(attrs.get("sheet"))
        elif tag == "dataValidation":
            if len(main_lists) + len(x14_lists) >= MAX_VALIDATIONS:
                raise LimitExceeded(name, f"more than {MAX_VALIDATIONS:,} data validations on one sheet; it is not "
                                          "an ordinary questionnaire", sheet=sheet)
            dv.append({"type": attrs.get("type"), "sqref": attrs.get("sqref", ""), "formula": [], "sq": [],
                       "x14": "sqref" not in attrs})
        elif tag == "formula1" and dv:
            collect = "dv"
        elif tag == "sqref" and dv:
            collect = "sq"

    def text(chunk: str) -> None:
        if collect == "dv":
            dv[-1]["formula"].append(chunk)
        elif collect == "sq":
            dv[-1]["sq"].append(chunk)
        elif collect:
            buf.append(chunk)

    def end(tag: str) -> None:
        nonlocal in_cell, value, formula, collect, phonetic, pending
        if ":" in tag:
            tag = local(tag)
        if in_cell:
            if tag == "c":
                in_cell = False
                collect = ""
                if has_content or (cell_s and cell_s.isdigit() and int(cell_s) < n_styles
                                   and unlocked_of[int(cell_s)] and not lookup):
                    finish_cell()
                elif ref:
                    pending = ref  # an empty cell only widens the sheet: place the row's last one
                else:
                    place(None)
            elif tag == "v":
                value = "".join(buf)
                collect = ""
            elif tag == "f":
                formula = "".join(buf)
                collect = ""
            elif tag == "t":
                if collect == "t" and inline is not None:
                    inline.append("".join(buf))
                    collect = ""
            elif tag == "rPh":
                phonetic -= 1
        elif tag == "row":
            if pending is not None:
                place(pending)
                pending = None
        elif tag in ("formula1", "sqref"):
            collect = ""
        elif tag == "dataValidation" and dv:
            entry_dv = dv.pop()
            source, sqref = "".join(entry_dv["formula"]).strip(), entry_dv["sqref"] or "".join(entry_dv["sq"])
            if entry_dv["type"] == "list":
                if entry_dv["x14"]:
                    if source and sqref.strip():
                        x14_lists.append((source, sqref.strip()))
                else:
                    main_lists.append((source, sqref))

    def finish_cell() -> None:
        at = place(ref)
        if at is None:
            return
        r, c = at
        t = cell_t or "n"
        s = int(cell_s) if cell_s and cell_s.isdigit() else 0
        if t == "inlineStr":
            shown: object = "".join(inline) if inline is not None else None
        else:
            v = value or None
            shown = v if t in ("str", "e") or v is None else _cell_value(t, v, s, styles, sst, date1904)
        text_value = value_text(shown)
        if text_value:
            row_cells = cells.get(r)
            if row_cells is None:
                cells[r] = {c: text_value}
            else:
                row_cells[c] = text_value
            if s < n_styles and bold_of[s] and not lookup:
                bold.add((r, c))
        if lookup:
            return
        if s < n_styles and unlocked_of[s]:
            unlocked.add((r, c))
        if f_t is not None or formula is not None:
            if f_t == "shared" and f_si is not None:
                if formula:
                    masters[f_si] = (formula, f"{get_column_letter(c)}{r}")
                else:
                    followers[(r, c)] = f_si
            if formula:
                formulas[(r, c)] = formula

    def merge(cell_range: str) -> None:
        nonlocal merged_area
        rect = parse_rect(cell_range) if _is_range(cell_range) else None
        if rect is None:
            return
        r1, c1, r2, c2 = rect
        rows, width = r2 - r1 + 1, c2 - c1 + 1
        if rows > max_rows or width > max_cols:
            if lookup:
                return
            raise LimitExceeded(name, f"a merged range ({cell_range}) spans {rows:,} rows and {width:,} columns, "
                                      "beyond the row/column limits; unmerge it in Excel and save again")
        merged_area += rows * width
        if merged_area > MAX_MERGED_CELLS:
            raise LimitExceeded(name, f"merged ranges in part '{entry.part}' cover more than {MAX_MERGED_CELLS:,} "
                                      "cells, above the limit; unmerge them in Excel and save again")
        if len(merges) >= MAX_MERGED_RANGES:
            raise LimitExceeded(name, f"more than {MAX_MERGED_RANGES:,} merged ranges on one sheet, above the "
                                      "limit; unmerge them in Excel and save again", sheet=sheet)
        merges.append(rect)

    assert entry.part is not None
    # A part too small to hold more cells or merges than allowed (4 bytes is the shortest cell, <c/>;
    # 20 the shortest merged range) is not counted first: HECVAT's largest sheet could hold 570,000.
    size = pkg.zf.getinfo(entry.part).file_size  # an upper bound: zipfile never inflates past it
    if budget.used + size // 4 <= budget.limit and size // 20 <= MAX_MERGED_RANGES:
        n_cells = n_merges = 0
    else:
        n_cells, n_merges = pkg.count(entry.part, _CELL_TAG, _MERGE_TAG)  # refused in a fraction of a second
    if budget.used + n_cells > budget.limit:
        raise LimitExceeded(name, f"more than {budget.limit:,} cells, above the limit of {budget.limit:,}; "
                                  "delete the unused rows and columns in Excel, or raise the max_cells setting",
                            sheet=sheet)
    if n_merges > MAX_MERGED_RANGES and not lookup:
        raise LimitExceeded(name, f"more than {MAX_MERGED_RANGES:,} merged ranges on one sheet, above the "
                                  "limit; unmerge them in Excel and save again", sheet=sheet)
    empties = _EmptyRuns(budget, styles, name, sheet)
    pkg.parse(entry.part, start, end, text, sheet=sheet, transform=empties)
    if pending is not None:  # an empty cell outside any <row>
        place(pending)

    used_rows = max_row
    for r1, c1, r2, c2 in merges:  # cells under a merge show nothing (Excel keeps only the first)
        max_row, max_col = max(max_row, r2), max(max_col, c2)
        for r in range(r1, min(r2, used_rows) + 1):
            row_cells = cells.get(r)
            if not row_cells:
                continue
            for c in [c for c in row_cells if c1 <= c <= c2 and (r != r1 or c != c1)]:
                del row_cells[c]
                bold.discard((r, c))
            if not row_cells:
                del cells[r]
    grid.max_row, grid.max_col = max_row or 1, max_col or 1
    grid.merged = merges
    grid.protected = protected
    grid.index_merges()
    if grid.protected:  # a cell under a merge is not writable, whatever its own format says
        grid.unlocked = {rc for rc in unlocked if not grid.is_covered(*rc)}
    for lo, hi in _spans([(lo, hi) for lo, hi, hidden, _ in cols if hidden and lo and hi]):
        grid.hidden_cols.update(range(lo, min(hi, grid.max_col + 1, MAX_COL) + 1))
    if grid.protected:
        open_cols = [(lo, hi) for lo, hi, _, style in cols
                     if lo and hi and style < n_styles and unlocked_of[style]]
        for lo, hi in _spans(open_cols):
            grid.unlocked_cols.update(range(lo, min(hi, MAX_COL) + 1))
    data.lists = [*main_lists, *x14_lists]
    return data


# A run of consecutive empty cells written as self-closing tags, each with its reference (Excel writes
# thousands of them for formatted but empty areas: HECVAT's High-Risk Evaluation has 119,000).
_EMPTY_RUN = re.compile(rb'(?:<c\s[^<>]*?\br="[A-Za-z]{1,3}\d{1,7}"[^<>]*/>)+|(?:<row(?:\s[^<>]*)?/>)+')
_STYLE_ATTR = re.compile(rb'\ss="(\d+)"')


class _EmptyRuns:
    """Collapses each run of empty cells to its last cell before expat sees it: the others hold no value
    and, sitting before the last one in their row, cannot widen the sheet. They are still counted against
    max_cells; a run holding an unlocked format (a writable cell on a protected sheet) is kept whole.
    Runs of cell-less, visible <row/> elements are dropped (and counted)."""

    def __init__(self, budget: CellBudget, styles: Styles, name: str, sheet: str):
        self.budget, self.name, self.sheet = budget, name, sheet
        self.rows = 0  # cell-less <row> elements dropped (they count towards Excel's row maximum)
        self.unlocked = {str(i).encode() for i, u in enumerate(styles.unlocked) if u}

    def __call__(self, data: bytes) -> bytes:
        return _EMPTY_RUN.sub(self._collapse, data)

    def _collapse(self, m: re.Match[bytes]) -> bytes:
        run = m.group(0)
        if run.startswith(b"<row"):  # rows with no cells: nothing to read unless one is hidden
            if b"hidden" in run or run.count(b"<row") != run.count(b' r="'):
                return run  # a hidden row matters; a row without r="" numbers the next one
            self.rows += run.count(b"<row")
            if self.rows > MAX_ROW:
                raise LimitExceeded(self.name, f"more than {MAX_ROW:,} <row> elements, more than Excel allows; the "
                                               "file is damaged or hostile", sheet=self.sheet)
            return b""
        n = run.count(b"<c")
        if n == 1 or (self.unlocked and any(s in self.unlocked for s in _STYLE_ATTR.findall(run))):
            return run
        self.budget.used += n - 1
        if self.budget.used > self.budget.limit:
            raise LimitExceeded(self.name, f"more than {self.budget.limit:,} cells, above the limit of "
                                           f"{self.budget.limit:,}; delete the unused rows and columns in Excel, or "
                                           "raise the max_cells setting", sheet=self.sheet)
        return run[run.rindex(b"<c"):]


def _spans(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping column ranges joined, so thousands of <col> entries cost no more than one."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _is_range(ref: str) -> bool:
    return bool(ref) and all(_CELL_REF.match(p) for p in ref.split(":")) and ref.count(":") <= 1


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


__all__ = ["MAX_MERGED_CELLS", "MAX_ROW", "CellBudget", "SheetData", "read_sheet", "value_text"]
