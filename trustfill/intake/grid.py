"""A format-neutral view of one sheet: the text of each visible cell and the facts detection needs.

Readers (xlsx, csv) build a Grid; detection only ever looks at Grids, so a new format only has to
fill one in. Ranges are kept as rectangles and tested by arithmetic: a validation over
``A1:XFD1048576`` costs the same as one over ``C5``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Rect = tuple[int, int, int, int]  # min_row, min_col, max_row, max_col

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
_COL = re.compile(r"^\$?([A-Za-z]{1,3})$")
_ROW = re.compile(r"^\$?(\d+)$")
MAX_ROW, MAX_COL = 1_048_576, 16_384


def column_index_from_string(letters: str) -> int:
    """``A`` -> 1, ``XFD`` -> 16,384 (what openpyxl's function of that name does, without importing openpyxl
    into intake: `trustfill inspect` and the app's upload preview start faster)."""
    if not 1 <= len(letters) <= 3 or not letters.isascii() or not letters.isalpha() or not letters.isupper():
        raise ValueError(f"{letters} is not a valid column name")
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index


def get_column_letter(index: int) -> str:
    """1 -> ``A``, 16,384 -> ``XFD``."""
    if not 1 <= index <= 18_278:
        raise ValueError(f"Invalid column index {index}")
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def parse_rect(ref: str) -> Rect | None:
    """``B3``, ``$A$1:$A$4``, ``C:C`` or ``2:2`` as a rectangle; None if it is not a plain reference."""
    parts = ref.strip().split(":")
    if len(parts) == 1:
        if not _CELL.match(parts[0]):
            return None  # "yes" is a defined name, not column YES
        parts = parts * 2
    if len(parts) != 2:
        return None
    a, b = parts
    ma, mb = _CELL.match(a), _CELL.match(b)
    if ma and mb:
        r1, c1 = int(ma.group(2)), column_index_from_string(ma.group(1).upper())
        r2, c2 = int(mb.group(2)), column_index_from_string(mb.group(1).upper())
        return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)
    ca, cb = _COL.match(a), _COL.match(b)
    if ca and cb:
        c1, c2 = column_index_from_string(ca.group(1).upper()), column_index_from_string(cb.group(1).upper())
        return 1, min(c1, c2), MAX_ROW, max(c1, c2)
    ra, rb = _ROW.match(a), _ROW.match(b)
    if ra and rb:
        r1, r2 = int(ra.group(1)), int(rb.group(1))
        return min(r1, r2), 1, max(r1, r2), MAX_COL
    return None


def parse_sqref(sqref: str) -> list[Rect]:
    return [r for r in (parse_rect(p) for p in str(sqref).split()) if r is not None]


def in_rects(rects: list[Rect], row: int, col: int) -> bool:
    return any(r1 <= row <= r2 and c1 <= col <= c2 for r1, c1, r2, c2 in rects)


def coord(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


@dataclass
class Validation:
    """A list drop-down: the cells it covers and its allowed values ([] when they could not be resolved)."""

    rects: list[Rect]
    choices: list[str]
    source: str = ""


@dataclass
class Grid:
    name: str
    cells: dict[int, dict[int, str]] = field(default_factory=dict)  # row -> col -> text (non-empty only)
    max_row: int = 0
    max_col: int = 0
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    merged: list[Rect] = field(default_factory=list)
    bold: set[tuple[int, int]] = field(default_factory=set)
    validations: list[Validation] = field(default_factory=list)
    protected: bool = False
    unlocked: set[tuple[int, int]] = field(default_factory=set)  # on a protected sheet, writable cells
    unlocked_cols: set[int] = field(default_factory=set)  # columns whose default style is unlocked
    # Filled after the layout is known (only for the columns that matter): formula text by cell.
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    recovered: set[tuple[int, int]] = field(default_factory=set)  # text looked up for uncached formulas
    notes: list[str] = field(default_factory=list)

    def text(self, row: int, col: int | None) -> str:
        if col is None:
            return ""
        return self.cells.get(row, {}).get(col, "")

    def row_cells(self, row: int) -> dict[int, str]:
        """Visible non-empty cells of a row."""
        return {c: v for c, v in self.cells.get(row, {}).items() if c not in self.hidden_cols}

    _merge_rows: dict[int, list[Rect]] | None = None

    def index_merges(self) -> None:
        """Bucket merges by row so lookups stay cheap on sheets with thousands of merges."""
        index: dict[int, list[Rect]] = {}
        for rect in self.merged:
            for row in range(rect[0], min(rect[2], self.max_row) + 1):
                index.setdefault(row, []).append(rect)
        self._merge_rows = index

    def merge_at(self, row: int, col: int) -> Rect | None:
        if self._merge_rows is None:
            self.index_merges()
        assert self._merge_rows is not None
        for rect in self._merge_rows.get(row, ()):
            if rect[1] <= col <= rect[3]:
                return rect
        return None

    def is_covered(self, row: int, col: int) -> bool:
        """True for a cell hidden under a merge that starts elsewhere (it can hold no value)."""
        rect = self.merge_at(row, col)
        return rect is not None and (rect[0], rect[1]) != (row, col)

    def validation_at(self, row: int, col: int) -> Validation | None:
        for v in self.validations:
            if in_rects(v.rects, row, col):
                return v
        return None

    def is_locked(self, row: int, col: int) -> bool:
        if not self.protected:
            return False
        return (row, col) not in self.unlocked and col not in self.unlocked_cols
