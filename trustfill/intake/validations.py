"""Drop-down lists of a sheet, including the x14 extension form (HECVAT 4 uses it).

List sources are resolved to their values: a literal ``"Yes,No,N/A"``, a range on any sheet
(``=Lists!$A$1:$A$4``, ``'Auto Responses'!$J$3:$J$5``) or a defined name pointing at one. Anything
else (INDIRECT, OFFSET) is kept with no values and a note. Ranges are looked up in a ``Book``: the
sheets already read, and any other sheet read on demand (a hidden list sheet is read only when a
question sheet points at it).
"""

from __future__ import annotations

import re
from typing import Protocol

from trustfill.intake.grid import Validation, parse_rect, parse_sqref
from trustfill.intake.xlsx_sheet import value_text

MAX_LIST_CELLS = 500
_QUALIFIED = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(.+)$")
cell_text = value_text  # the name the rest of intake knew it by


class Book(Protocol):
    """What resolving a reference needs from a workbook."""

    sheetnames: list[str]

    def defined_name(self, sheet: str, name: str) -> str | None: ...

    def sheet_cells(self, sheet: str) -> tuple[dict[int, dict[int, str]], int, int] | None:
        """(row -> col -> text, max row, max column) of a worksheet; None for a chartsheet."""
        ...


def resolve_ref(book: Book, sheet: str, ref: str) -> tuple[str, tuple[int, int, int, int]] | None:
    """``Lists!$A$1:$A$4`` / ``$A$1:$A$4`` / a defined name -> (sheet, rectangle)."""
    ref = ref.strip().lstrip("=").strip()
    for _ in range(3):  # a defined name may point at another name
        if parse_rect(ref) is not None or _QUALIFIED.match(ref):
            break
        if not re.fullmatch(r"[A-Za-z_\\][\w.\\]*", ref):
            return None
        dn = book.defined_name(sheet, ref)
        if not dn:
            return None
        ref = dn.strip().lstrip("=").strip()
    m = _QUALIFIED.match(ref)
    if m:
        sheet = (m.group(1) or "").replace("''", "'") or (m.group(2) or "").strip()
        ref = m.group(3)
    rect = parse_rect(ref)
    if rect is None or sheet not in book.sheetnames:
        return None
    return sheet, rect


def range_values(book: Book, sheet: str, rect: tuple[int, int, int, int]) -> list[str]:
    """The non-empty values of a range, clamped to the used area and capped: never cell by cell over
    a whole-column reference."""
    found = book.sheet_cells(sheet)
    if found is None:
        return []
    cells, max_row, max_col = found
    r1, c1, r2, c2 = rect
    r2, c2 = min(r2, max_row), min(c2, max_col)
    if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_LIST_CELLS:
        r2 = r1 + max(MAX_LIST_CELLS // max(c2 - c1 + 1, 1), 1) - 1
    out: list[str] = []
    for r in range(r1, r2 + 1):
        row = cells.get(r)
        if not row:
            continue
        for c in range(c1, c2 + 1):
            text = row.get(c, "")
            if text and text not in out:
                out.append(text)
    return out


def list_choices(book: Book, sheet: str, formula: str) -> list[str]:
    f = (formula or "").strip().lstrip("=").strip()
    if len(f) >= 2 and f[0] == '"' and f[-1] == '"':
        return [x.strip() for x in f[1:-1].split(",") if x.strip()]
    found = resolve_ref(book, sheet, f)
    if found is None:
        return []
    return range_values(book, *found)


def sheet_validations(book: Book, sheet: str, lists: list[tuple[str, str]]) -> tuple[list[Validation], list[str]]:
    """All list validations of a sheet, resolved; plus notes on any that could not be resolved."""
    out, notes = [], []
    for formula, sqref in lists:
        rects = parse_sqref(sqref)
        if not rects:
            continue
        choices = list_choices(book, sheet, formula)
        if not choices:
            notes.append(f"drop-down list '{formula}' on {sqref[:40]} could not be resolved to values")
        out.append(Validation(rects=rects, choices=choices, source=formula))
    return out, notes
