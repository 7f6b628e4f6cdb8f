"""A1 cell references."""

from __future__ import annotations

import re

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})")
MAX_ROW = 1_048_576
MAX_COL = 16_384


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def parse_ref(ref: str) -> tuple[int, int] | None:
    """"C10" -> (10, 3); None when it is not a single cell inside Excel's grid."""
    m = _REF.fullmatch(ref.strip())
    if not m:
        return None
    row, col = int(m.group(2)), col_index(m.group(1))
    if row > MAX_ROW or col > MAX_COL:
        return None
    return row, col


def parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """"A1:C3" or "B2" -> (row1, col1, row2, col2); None when unreadable."""
    first, _, last = ref.strip().partition(":")
    a = parse_ref(first)
    b = parse_ref(last) if last else a
    if a is None or b is None:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


def ref(row: int, col: int) -> str:
    return f"{col_letters(col)}{row}"
