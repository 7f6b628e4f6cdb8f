"""Read .xlsx/.xlsm questionnaires with openpyxl: cached values (data_only), never formulas run,
macros neither run nor needed. A second, streaming pass reads formulas in the few columns that
matter (to skip answer cells filled in by formula, and to recover question text whose cached
value is gone)."""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

from trustfill.config import Limits
from trustfill.errors import InputFileError, LimitExceeded
from trustfill.intake.assemble import analyse, resolve_overrides
from trustfill.intake.columns import Plan
from trustfill.intake.grid import Grid
from trustfill.intake.model import Intake, LayoutOverrides
from trustfill.intake.safety import check_workbook
from trustfill.intake.validations import (
    cell_text,
    resolve_ref,
    sheet_formulas,
    sheet_parts,
    sheet_validations,
    x14_lists,
)


class XlsxReader:
    formats = ("xlsx", "xlsm")
    extensions = (".xlsx", ".xlsm")

    def read(self, path: Path, overrides: list[LayoutOverrides], limits: Limits, *,
             display_name: str | None = None) -> Intake:
        name = display_name or path.name
        check_workbook(path, name, limits)
        fmt = "xlsm" if Path(name).suffix.lower() == ".xlsm" or path.suffix.lower() == ".xlsm" else "xlsx"
        wb = _load(path, name, data_only=True, read_only=False)
        try:
            return _read_workbook(path, name, fmt, wb, overrides, limits)
        finally:
            wb.close()


def _load(path: Path, name: str, *, data_only: bool, read_only: bool) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension is not supported": we read x14 ourselves
            return openpyxl.load_workbook(path, data_only=data_only, read_only=read_only, keep_vba=False,
                                          keep_links=False)
    except (zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise InputFileError(name, f"the workbook is damaged or incomplete ({exc}); open it in Excel, "
                                   "save it again as .xlsx and upload it again") from None
    except Exception as exc:  # openpyxl raises many types on malformed parts
        raise InputFileError(name, f"could not be read as an Excel workbook ({type(exc).__name__}: {exc}); "
                                   "open it in Excel, save it again as .xlsx and upload it again") from None


def _read_workbook(path: Path, name: str, fmt: str, wb: Any, overrides: list[LayoutOverrides],
                   limits: Limits) -> Intake:
    sheets = wb.worksheets
    if len(wb.sheetnames) > limits.max_sheets:
        raise LimitExceeded(name, f"the workbook has {len(wb.sheetnames)} sheets, above the limit of "
                                  f"{limits.max_sheets}")
    per_sheet, forced = resolve_overrides(name, [ws.title for ws in sheets], overrides)
    skipped: dict[str, str] = {}
    grids: list[Grid] = []
    with zipfile.ZipFile(path) as zf:
        parts = _safe_parts(zf)
        for ws in sheets:
            if ws.sheet_state != "visible" and ws.title not in forced:
                skipped[ws.title] = "hidden sheet"
                continue
            if ws.max_row > limits.max_rows:
                raise LimitExceeded(name, f"{ws.max_row:,} rows, above the limit of {limits.max_rows:,}; delete the "
                                          "unused rows in Excel, or raise the max_rows setting",
                                    sheet=ws.title)
            if ws.max_column > limits.max_columns:
                raise LimitExceeded(name, f"{ws.max_column:,} columns, above the limit of {limits.max_columns:,}; "
                                          "delete the unused columns in Excel, or raise the max_columns setting",
                                    sheet=ws.title)
            x14 = x14_lists(zf, parts[ws.title]) if ws.title in parts else []
            grids.append(build_grid(wb, ws, x14))
    hook = _FormulaPass(path, name, wb, parts)
    try:
        return analyse(grids, skipped, per_sheet, forced, path=name, fmt=fmt, before_extract=hook)
    finally:
        hook.close()


def _safe_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    try:
        return sheet_parts(zf)
    except Exception:  # noqa: BLE001 - x14 lists are a bonus; openpyxl already read the workbook
        return {}


def build_grid(wb: Any, ws: Any, x14: list[tuple[str, str]]) -> Grid:
    grid = Grid(name=ws.title, max_row=ws.max_row, max_col=ws.max_column)
    grid.protected = bool(ws.protection.sheet)
    for (row, col), cell in ws._cells.items():  # existing cells only: iter_rows would create the rest
        text = cell_text(cell.value)
        if text:
            grid.cells.setdefault(row, {})[col] = text
            if cell.font is not None and cell.font.b:
                grid.bold.add((row, col))
        if grid.protected and cell.has_style and cell.protection is not None and not cell.protection.locked:
            grid.unlocked.add((row, col))
    for idx, dim in ws.row_dimensions.items():
        if dim.hidden:
            grid.hidden_rows.add(idx)
    for dim in ws.column_dimensions.values():
        lo, hi = dim.min or 0, dim.max or 0
        if dim.hidden and lo and hi:
            grid.hidden_cols.update(range(lo, min(hi, grid.max_col + 1, 16_384) + 1))
        if grid.protected and lo and hi and dim.protection is not None and not dim.protection.locked:
            grid.unlocked_cols.update(range(lo, min(hi, 16_384) + 1))
    grid.merged = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    grid.validations, notes = sheet_validations(wb, ws, x14)
    grid.notes.extend(notes)
    grid.index_merges()
    return grid


_VLOOKUP = re.compile(
    r"^VLOOKUP\(\s*(?P<key>[^,]+?)\s*,\s*(?P<range>[^,]+?)\s*,\s*(?P<idx>\d+)\s*"
    r"(?:,\s*(?:0|FALSE)\s*)?\)$", re.I)


class _FormulaPass:
    """Reads formulas of the planned columns straight from the sheet XML (nothing is evaluated) into
    the grid: cheaper than a second openpyxl load, and it sees every cell in one pass."""

    def __init__(self, path: Path, name: str, wb: Any, parts: dict[str, str]):
        self.path, self.name, self.wb, self.parts = path, name, wb, parts
        self._zip: zipfile.ZipFile | None = None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

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
        part = self.parts.get(grid.name)
        if part is None:
            return
        if self._zip is None:
            self._zip = zipfile.ZipFile(self.path)
        try:
            grid.formulas.update(sheet_formulas(self._zip, part, set(cols)))
        except Exception as exc:  # noqa: BLE001 - a malformed part: say so rather than guess
            raise InputFileError(self.name, f"the sheet XML could not be read ({type(exc).__name__})",
                                 sheet=grid.name) from None

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
        found = resolve_ref(self.wb, sheet, m.group("range"))
        if not key_text or found is None:
            return ""
        target, (r1, c1, r2, _c2) = found
        ws = self.wb[target]
        col = c1 + int(m.group("idx")) - 1
        for r in range(r1, min(r2, ws.max_row) + 1):
            cell = ws._cells.get((r, c1))
            if cell is not None and cell_text(cell.value).lower() == key_text.lower():
                hit = ws._cells.get((r, col))
                return cell_text(hit.value) if hit is not None else ""
        return ""

    def _ref_value(self, sheet: str, ref: str) -> str:
        found = resolve_ref(self.wb, sheet, ref)
        if found is None:
            return ""
        target, (r1, c1, r2, c2) = found
        if (r1, c1) != (r2, c2):
            return ""
        cell = self.wb[target]._cells.get((r1, c1))
        return cell_text(cell.value) if cell is not None else ""
