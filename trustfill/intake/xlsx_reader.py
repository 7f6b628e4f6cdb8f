"""Read .xlsx/.xlsm questionnaires in one streaming pass per sheet (xlsx_sheet.py): cached values,
never formulas run, macros neither run nor needed. Visible sheets are read; a hidden sheet only when
a question sheet's drop-down list or formula points at it. Every limit is counted while parsing, so
a hostile file is refused within seconds at bounded memory."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from trustfill.config import Limits
from trustfill.errors import InputFileError, LimitExceeded
from trustfill.intake.assemble import analyse, resolve_overrides
from trustfill.intake.columns import Plan
from trustfill.intake.grid import Grid
from trustfill.intake.model import Intake, LayoutOverrides
from trustfill.intake.safety import check_package
from trustfill.intake.validations import resolve_ref, sheet_validations
from trustfill.intake.xlsx_package import Package, WorkbookInfo, read_shared_strings, read_styles, read_workbook
from trustfill.intake.xlsx_sheet import CellBudget, SheetData, read_sheet

Progress = Callable[[str, float], None]


class XlsxReader:
    formats = ("xlsx", "xlsm")
    extensions = (".xlsx", ".xlsm")

    def read(self, path: Path, overrides: list[LayoutOverrides], limits: Limits, *,
             display_name: str | None = None, progress: Progress | None = None) -> Intake:
        name = display_name or path.name
        check_package(path, name, limits)
        fmt = "xlsm" if Path(name).suffix.lower() == ".xlsm" or path.suffix.lower() == ".xlsm" else "xlsx"
        try:
            pkg = Package(path, name, limits)
        except Exception as exc:  # noqa: BLE001 - check_package read it; a race or a damaged central directory
            raise InputFileError(name, f"the workbook is damaged or incomplete ({exc}); open it in Excel, "
                                       "save it again as .xlsx and upload it again") from None
        with pkg:
            return _read_workbook(pkg, fmt, overrides, limits, progress)


class StreamBook:
    """The workbook as intake sees it: sheets parsed once, hidden sheets parsed only when asked for."""

    def __init__(self, pkg: Package, info: WorkbookInfo, limits: Limits):
        self.pkg, self.info, self.limits = pkg, info, limits
        self.sheetnames = info.sheetnames
        self.styles = read_styles(pkg)
        self.budget = CellBudget(limits.max_cells)
        self.sst = read_shared_strings(pkg, limits.max_cells)
        self.parsed: dict[str, SheetData] = {}
        self.entries = {e.name: e for e in info.sheets}

    def read(self, sheet: str, *, lookup: bool = False) -> SheetData | None:
        data = self.parsed.get(sheet)
        entry = self.entries.get(sheet)
        if data is None and entry is not None and entry.part is not None:
            data = read_sheet(self.pkg, entry, self.styles, self.sst, self.info.date1904, self.limits,
                              self.budget, lookup=lookup)
            self.parsed[sheet] = data
        return data

    def defined_name(self, sheet: str, name: str) -> str | None:
        return self.info.defined_name(sheet, name)

    def sheet_cells(self, sheet: str) -> tuple[dict[int, dict[int, str]], int, int] | None:
        data = self.read(sheet, lookup=True)
        if data is None:
            return None
        return data.grid.cells, data.grid.max_row, data.grid.max_col


def _read_workbook(pkg: Package, fmt: str, overrides: list[LayoutOverrides], limits: Limits,
                   progress: Progress | None) -> Intake:
    name = pkg.name
    info = read_workbook(pkg)
    if len(info.sheets) > limits.max_sheets:
        raise LimitExceeded(name, f"the workbook has {len(info.sheets)} sheets, above the limit of "
                                  f"{limits.max_sheets}")
    worksheets = [e for e in info.sheets if e.part is not None]
    per_sheet, forced = resolve_overrides(name, [e.name for e in worksheets], overrides)
    book = StreamBook(pkg, info, limits)
    skipped: dict[str, str] = {}
    read: list[SheetData] = []
    wanted = [e for e in worksheets if e.state == "visible" or e.name in forced]
    for e in worksheets:
        if e not in wanted:
            skipped[e.name] = "hidden sheet"
    for i, e in enumerate(wanted):
        data = book.read(e.name)
        assert data is not None
        read.append(data)
        if progress:
            progress("reading workbook", (i + 1) / max(len(wanted), 1))
    for data in read:  # after every visible sheet is in: a list on one sheet may point at another
        validations, notes = sheet_validations(book, data.grid.name, data.lists)
        data.grid.validations = validations
        data.grid.notes.extend(notes)
    hook = _FormulaPass(book)
    return analyse([d.grid for d in read], skipped, per_sheet, forced, path=name, fmt=fmt, before_extract=hook)


_VLOOKUP = re.compile(
    r"^VLOOKUP\(\s*(?P<key>[^,]+?)\s*,\s*(?P<range>[^,]+?)\s*,\s*(?P<idx>\d+)\s*"
    r"(?:,\s*(?:0|FALSE)\s*)?\)$", re.I)


class _FormulaPass:
    """Puts the formulas of the planned columns into the grid (read in the sheet's one pass; nothing
    is evaluated), and recovers question text whose cached value is gone."""

    def __init__(self, book: StreamBook):
        self.book = book

    def __call__(self, grid: Grid, plan: Plan) -> None:
        cols = [c for c in (plan.question, plan.answer, *plan.split.values()) if c]
        if cols:
            self._scan(grid, cols)
            self._fill_lost(grid, {plan.question} if plan.question else set())

    def recover(self, grid: Grid) -> bool:
        """For a sheet where no question column was found: maybe every text cell is a formula whose
        cached value is gone. Look them up and say whether anything was recovered."""
        if grid.max_col < 1 or grid.max_col > 200:
            return False
        cols = list(range(1, grid.max_col + 1))
        self._scan(grid, cols)
        return self._fill_lost(grid, set(cols)) > 0

    def _scan(self, grid: Grid, cols: list[int]) -> None:
        data = self.book.parsed.get(grid.name)
        if data is None:
            return
        wanted = set(cols)
        for key, text in data.formulas.items():
            if key[1] in wanted:
                grid.formulas[key] = "=" + text
        for key, si in data.shared_followers.items():
            if key[1] in wanted and si in data.shared_masters:
                text, origin = data.shared_masters[si]
                grid.formulas[key] = _translate(text, origin, key)

    def _fill_lost(self, grid: Grid, cols: set[int]) -> int:
        lost = 0
        for (row, col), formula in grid.formulas.items():
            if col in cols and not grid.text(row, col) and (row, col) not in grid.recovered:
                text = self.evaluate_lookup(grid.name, formula)
                if text:
                    grid.cells.setdefault(row, {})[col] = text
                    grid.recovered.add((row, col))
                    lost += 1
        if lost:
            grid.notes.append(f"{lost} question cell(s) are formulas with no saved value: text looked up "
                              "from the sheets they reference")
        return lost

    def evaluate_lookup(self, sheet: str, formula: str) -> str:
        """Recover a question cell's text when its cached value is gone (a file saved by a tool that
        does not compute formulas). Only a plain reference or an exact VLOOKUP is understood; this is a
        lookup in values already read, nothing from the file is executed."""
        f = formula.lstrip("=").strip()
        f = re.sub(r'\s*&\s*""\s*$', "", f)
        m = _VLOOKUP.match(f)
        if not m:
            return self._ref_value(sheet, f)
        key = m.group("key").strip()
        key_text = key[1:-1] if key.startswith('"') and key.endswith('"') else self._ref_value(sheet, key)
        found = resolve_ref(self.book, sheet, m.group("range"))
        if not key_text or found is None:
            return ""
        target, (r1, c1, r2, _c2) = found
        cells = self.book.sheet_cells(target)
        if cells is None:
            return ""
        values, max_row, _ = cells
        col = c1 + int(m.group("idx")) - 1
        for r in range(r1, min(r2, max_row) + 1):
            row = values.get(r)
            if row and row.get(c1, "").lower() == key_text.lower():
                return row.get(col, "")
        return ""

    def _ref_value(self, sheet: str, ref: str) -> str:
        found = resolve_ref(self.book, sheet, ref)
        if found is None:
            return ""
        target, (r1, c1, r2, c2) = found
        if (r1, c1) != (r2, c2):
            return ""
        cells = self.book.sheet_cells(target)
        return cells[0].get(r1, {}).get(c1, "") if cells is not None else ""


def _translate(text: str, origin: str, key: tuple[int, int]) -> str:
    """A shared formula moved from its first cell to ``key``, as Excel shows it there."""
    from openpyxl.formula.translate import Translator

    from trustfill.intake.grid import get_column_letter

    try:
        return Translator("=" + text, origin=origin).translate_formula(f"{get_column_letter(key[1])}{key[0]}")
    except Exception:  # noqa: BLE001 - an untranslatable formula is still a formula
        return "=" + text
