"""Changing a few cells of a worksheet part and nothing else.

The sheet XML is not parsed into a tree and serialised again: that would reorder attributes, change
namespace prefixes and quoting, and could drop what the parser does not model. Instead the rows and
cells are located with tag patterns that understand attributes and quoting, and only the target
``<c>`` elements (plus, when a cell or row has to be created, its row tag's ``spans`` and the sheet's
``<dimension>``) are rewritten; every other byte is copied. The result is checked to be well-formed XML
by the caller before it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from exports.cells import parse_range, parse_ref, ref
from exports.text import needs_quote_prefix, xml_text

# Attribute list of a start tag; values may be quoted either way and contain '>'.
_ATTRS = r"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*"""
_ATTR_ITEM = re.compile(r"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ROOT = re.compile(r"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>/]")
_WS = " \t\r\n"


class SheetProblem(Exception):
    """The sheet part cannot be edited safely; every write to it is skipped with this reason."""


@dataclass
class SheetEdit:
    xml: str
    written: list[tuple[int, int, str]] = field(default_factory=list)
    skipped: list[tuple[int, int, str, str]] = field(default_factory=list)
    unprefixed: list[tuple[int, int]] = field(default_factory=list)  # formula-like text left without quotePrefix


def _attrs(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _ATTR_ITEM.finditer(text)}


@dataclass(frozen=True)
class _Tags:
    p: str
    sheet_data: re.Pattern
    row: re.Pattern
    cell: re.Pattern
    formula: re.Pattern
    merge: re.Pattern
    f_tag: re.Pattern
    protection: re.Pattern
    col: re.Pattern
    dimension: re.Pattern


@lru_cache(maxsize=8)
def _tags(prefix: str) -> _Tags:
    p = re.escape(prefix)
    return _Tags(
        p=prefix,
        sheet_data=re.compile(rf"<{p}sheetData({_ATTRS})\s*(/?)>"),
        row=re.compile(rf"<{p}row({_ATTRS})\s*(/?)>"),
        cell=re.compile(rf"<{p}c({_ATTRS})\s*(/?)>"),
        formula=re.compile(rf"<{p}f[\s/>]"),
        merge=re.compile(rf"<{p}mergeCell({_ATTRS})\s*/?>"),
        f_tag=re.compile(rf"<{p}f({_ATTRS})\s*/?>"),
        protection=re.compile(rf"<{p}sheetProtection({_ATTRS})\s*/?>"),
        col=re.compile(rf"<{p}col({_ATTRS})\s*/?>"),
        dimension=re.compile(rf"<{p}dimension({_ATTRS})\s*/?>"),
    )


@dataclass
class _Cell:
    start: int
    end: int
    col: int
    attrs: str
    has_content: bool
    is_formula: bool


@dataclass
class _Context:
    """What decides whether a cell may be written: protection, merges, array formulas, table headers."""

    t: _Tags
    locked_styles: list[bool] | None  # None: the sheet is not protected
    col_styles: list[tuple[int, int, int]]
    blocked: list[tuple[tuple[int, int, int, int], str]]
    quote_style: Callable[[int], int | None] | None = None  # style -> its quotePrefix variant

    def inherited_style(self, col: int, row_attrs: dict[str, str] | None) -> int:
        """The style Excel shows for a cell that has no <c> element: the row's, else the column's."""
        if row_attrs and row_attrs.get("customFormat") in ("1", "true") and row_attrs.get("s"):
            return int(row_attrs["s"])
        for lo, hi, style in self.col_styles:
            if lo <= col <= hi:
                return style
        return 0

    def refusal(self, row: int, col: int, style: int) -> str | None:
        for (r1, c1, r2, c2), why in self.blocked:
            if r1 <= row <= r2 and c1 <= col <= c2:
                if why == "merged" and (row, col) == (r1, c1):
                    continue
                rng = f"{ref(r1, c1)}:{ref(r2, c2)}"
                if why == "merged":
                    return f"inside merged range {rng}; only its first cell {ref(r1, c1)} shows a value"
                return f"part of {why} {rng}"
        if self.locked_styles is not None and (style >= len(self.locked_styles) or self.locked_styles[style]):
            return "locked cell on a protected sheet"
        return None


def _context(xml: str, t: _Tags, locked_styles: list[bool], table_headers: list[str],
             quote_style: Callable[[int], int | None] | None) -> _Context:
    blocked = []
    for m in t.merge.finditer(xml):
        rng = parse_range(_attrs(m.group(1)).get("ref", ""))
        if rng:
            blocked.append((rng, "merged"))
    for m in t.f_tag.finditer(xml):
        a = _attrs(m.group(1))
        if a.get("t") in ("array", "dataTable") and a.get("ref"):
            rng = parse_range(a["ref"])
            if rng:
                blocked.append((rng, "an array formula" if a["t"] == "array" else "a data table"))
    for header in table_headers:
        rng = parse_range(header)
        if rng:
            blocked.append((rng, "the header row of a table"))
    prot = t.protection.search(xml)
    protected = bool(prot) and _attrs(prot.group(1)).get("sheet") in ("1", "true")
    col_styles = []
    for m in t.col.finditer(xml):
        a = _attrs(m.group(1))
        if a.get("style", "0") != "0" and a.get("min", "").isdigit() and a.get("max", "").isdigit():
            col_styles.append((int(a["min"]), int(a["max"]), int(a["style"])))
    return _Context(t, locked_styles if protected else None, col_styles, blocked, quote_style)


def _cell_xml(t: _Tags, row: int, col: int, attrs: str, value: str) -> str:
    p = t.p
    if not value:
        return f'<{p}c r="{ref(row, col)}"{attrs}/>'
    return (f'<{p}c r="{ref(row, col)}"{attrs} t="inlineStr"><{p}is><{p}t xml:space="preserve">'
            f"{xml_text(value)}</{p}t></{p}is></{p}c>")


def _kept_attrs(attrs: str, style: int | None = None) -> str:
    """Attributes of an overwritten cell that stay: its style (or ``style`` instead) and anything unknown;
    not its old type or value/cell metadata (cm, vm), which described the old value."""
    out = []
    for m in _ATTR_ITEM.finditer(attrs):
        if m.group(1) in ("r", "t", "cm", "vm"):
            continue
        value = m.group(2) if m.group(2) is not None else m.group(3).replace('"', "&quot;")
        if m.group(1) == "s" and style is not None:
            value, style = str(style), None
        out.append(f' {m.group(1)}="{value}"')
    if style:
        out.append(f' s="{style}"')
    return "".join(out)


def _widen_spans(row_tag: str, cols: list[int]) -> str:
    """Keep a row's ``spans`` hint true after cells were added to it."""
    m = re.search(r"""(\sspans\s*=\s*)(["'])([^"']*)\2""", row_tag)
    if not m:
        return row_tag
    ranges = []
    for part in m.group(3).split():
        lo, _, hi = part.partition(":")
        if lo.isdigit() and hi.isdigit():
            ranges.append((int(lo), int(hi)))
    if not ranges or all(any(lo <= c <= hi for lo, hi in ranges) for c in cols):
        return row_tag
    lo = min([r[0] for r in ranges] + cols)
    hi = max([r[1] for r in ranges] + cols)
    return row_tag[:m.start(3)] + f"{lo}:{hi}" + row_tag[m.end(3):]


def _parse_cells(xml: str, t: _Tags, start: int, end: int) -> tuple[list[_Cell], int]:
    """The <c> children of a row body xml[start:end], and the offset just after the last one."""
    cells: list[_Cell] = []
    q = after = start
    close = f"</{t.p}c>"
    while True:
        while q < end and xml[q] in _WS:
            q += 1
        m = t.cell.match(xml, q, end)
        if not m:
            if q < end and not xml.startswith(f"<{t.p}extLst", q):
                raise ValueError("this row holds something other than cells")
            return cells, after
        a = _attrs(m.group(1))
        pos = parse_ref(a.get("r", ""))
        if pos is None:
            raise ValueError("a cell in this row has no reference")
        if m.group(2):
            c_end, body = m.end(), ""
        else:
            c_close = xml.find(close, m.end(), end)
            if c_close < 0:
                raise ValueError("a cell in this row is not closed")
            c_end, body = c_close + len(close), xml[m.end():c_close]
        cells.append(_Cell(m.start(), c_end, pos[1], m.group(1), bool(body.strip()),
                           bool(t.formula.search(body))))
        q = after = c_end


class _Sheet:
    def __init__(self, xml: str, ctx: _Context, edit: SheetEdit):
        self.xml, self.ctx, self.t, self.edit = xml, ctx, ctx.t, edit
        self.box: tuple[int, int, int, int] | None = None  # cells given a value: r1, c1, r2, c2

    def _style(self, row: int, col: int, style: int, value: str) -> int:
        """The style a cell gets with ``value``: its own, or its quotePrefix variant for formula-like text."""
        if not needs_quote_prefix(value):
            return style
        variant = self.ctx.quote_style(style) if self.ctx.quote_style else None
        if variant is None:
            self.edit.unprefixed.append((row, col))
            return style
        return variant

    def _note_cell(self, row: int, col: int) -> None:
        b = self.box or (row, col, row, col)
        self.box = (min(b[0], row), min(b[1], col), max(b[2], row), max(b[3], col))

    def new_row(self, row: int, wanted: dict[int, str]) -> str:
        cells = []
        for col in sorted(wanted):
            value = wanted[col]
            style = self.ctx.inherited_style(col, None)
            why = self.ctx.refusal(row, col, style)
            if why:
                self.edit.skipped.append((row, col, value, why))
                continue
            self.edit.written.append((row, col, value))
            if value:
                style = self._style(row, col, style, value)
                cells.append(_cell_xml(self.t, row, col, f' s="{style}"' if style else "", value))
                self._note_cell(row, col)
        if not cells:
            return ""
        return f'<{self.t.p}row r="{row}">{"".join(cells)}</{self.t.p}row>'

    def edit_row(self, row: int, tag: re.Match, body_end: int | None, wanted: dict[int, str]) -> str:
        """The new text of an existing row; body_end is None for a self-closing <row/>."""
        xml, t = self.xml, self.t
        row_attrs = _attrs(tag.group(1))
        body_start = tag.end()
        try:
            cells, cells_end = _parse_cells(xml, t, body_start, body_end) if body_end is not None else ([], 0)
        except ValueError as exc:
            for col, value in wanted.items():
                self.edit.skipped.append((row, col, value, f"{exc}; the row was left as it is"))
            return xml[tag.start():(body_end + len(f"</{t.p}row>")) if body_end is not None else tag.end()]
        by_col = {c.col: c for c in cells}
        replace: dict[int, str] = {}   # col -> new <c> text for an existing cell
        insert: dict[int, str] = {}    # col -> <c> text for a cell that did not exist
        for col in sorted(wanted):
            value = wanted[col]
            cell = by_col.get(col)
            if cell is not None:
                s = _attrs(cell.attrs).get("s", "0")
                style = int(s) if s.isdigit() else 0
            else:
                style = self.ctx.inherited_style(col, row_attrs)
            why = "holds a formula; formula cells are never overwritten" if cell and cell.is_formula else None
            why = why or self.ctx.refusal(row, col, style)
            if why:
                self.edit.skipped.append((row, col, value, why))
                continue
            self.edit.written.append((row, col, value))
            new_style = self._style(row, col, style, value) if value else style
            if cell is not None:
                if value or cell.has_content:
                    kept = _kept_attrs(cell.attrs, new_style if new_style != style else None)
                    replace[col] = _cell_xml(t, row, col, kept, value)
            elif value:
                insert[col] = _cell_xml(t, row, col, f' s="{new_style}"' if new_style else "", value)
            if value:
                self._note_cell(row, col)
        if not replace and not insert:
            end = body_end + len(f"</{t.p}row>") if body_end is not None else tag.end()
            return xml[tag.start():end]

        start_tag = xml[tag.start():tag.end()]
        if insert:
            start_tag = _widen_spans(start_tag, list(insert))
        if body_end is None:  # <row .../> becomes <row ...>cells</row>
            start_tag = re.sub(r"\s*/>$", ">", start_tag)
            return start_tag + "".join(insert[c] for c in sorted(insert)) + f"</{t.p}row>"

        pieces = [start_tag]
        cursor = body_start
        pending = sorted(insert)
        for cell in cells:
            while pending and pending[0] < cell.col:
                pieces += [xml[cursor:cell.start], insert[pending.pop(0)]]
                cursor = cell.start
            if cell.col in replace:
                pieces += [xml[cursor:cell.start], replace[cell.col]]
                cursor = cell.end
        pieces.append(xml[cursor:cells_end])
        pieces += [insert[c] for c in pending]
        pieces.append(xml[cells_end:body_end + len(f"</{t.p}row>")])
        return "".join(pieces)


def _widen_dimension(head: str, t: _Tags, box: tuple[int, int, int, int] | None) -> str:
    """Keep the sheet's <dimension> (the used range, which some readers trust) covering new cells."""
    m = t.dimension.search(head)
    if not m or box is None:
        return head
    rng = parse_range(_attrs(m.group(1)).get("ref", ""))
    if rng is None:
        return head
    new = (min(rng[0], box[0]), min(rng[1], box[1]), max(rng[2], box[2]), max(rng[3], box[3]))
    if new == rng:
        return head
    new_ref = f"{ref(new[0], new[1])}:{ref(new[2], new[3])}"
    tag = re.sub(r"""(\sref\s*=\s*)(["'])[^"']*\2""", lambda x: f'{x.group(1)}"{new_ref}"', m.group(0))
    return head[:m.start()] + tag + head[m.end():]


def edit_sheet(xml: str, targets: dict[tuple[int, int], str], *, locked_styles: list[bool],
               table_headers: list[str] = (),
               quote_style: Callable[[int], int | None] | None = None) -> SheetEdit:
    """Write ``targets`` ((row, col) -> text; "" clears) into a worksheet part's XML.

    Text that starts like a formula gets the cell's style swapped for ``quote_style(style)``, its
    quotePrefix variant (see exports.styles); cells it cannot give one are listed in ``unprefixed``.

    Raises SheetProblem when the part is not one this editor can change without risk.
    """
    if "<!DOCTYPE" in xml or "<![CDATA[" in xml:
        raise SheetProblem("the sheet part uses XML features Excel never writes (DTD or CDATA)")
    root = _ROOT.search(xml)
    if not root:
        raise SheetProblem("the part is not a worksheet")
    t = _tags(f"{root.group(1)}:" if root.group(1) else "")
    sd = t.sheet_data.search(xml)
    if not sd:
        raise SheetProblem("the sheet has no cell data section")
    edit = SheetEdit(xml)
    sheet = _Sheet(xml, _context(xml, t, locked_styles, list(table_headers), quote_style), edit)

    by_row: dict[int, dict[int, str]] = {}
    for (row, col), value in targets.items():
        by_row.setdefault(row, {})[col] = value
    pending = sorted(by_row)

    row_close = f"</{t.p}row>"
    if sd.group(2):  # <sheetData/>: no rows at all
        rows = "".join(sheet.new_row(r, by_row[r]) for r in pending)
        if not rows:
            return edit
        head = _widen_dimension(xml[:sd.start()], t, sheet.box)
        edit.xml = f"{head}<{t.p}sheetData{sd.group(1)}>{rows}</{t.p}sheetData>{xml[sd.end():]}"
        return edit

    body_end = xml.find(f"</{t.p}sheetData>", sd.end())
    if body_end < 0:
        raise SheetProblem("the sheet's cell data section is not closed")
    if xml.find("<!--", sd.end(), body_end) >= 0 or xml.find("<?", sd.end(), body_end) >= 0:
        raise SheetProblem("the sheet's cell data holds XML comments or instructions Excel never writes")
    chunks: list[str] = []
    last = pos = sd.end()
    prev = 0
    i = 0
    while i < len(pending):
        rm = t.row.search(xml, pos, body_end)
        if not rm:
            break
        r_attr = _attrs(rm.group(1)).get("r")
        r = int(r_attr) if r_attr and r_attr.isdigit() else prev + 1
        if r <= prev:
            raise SheetProblem(f"rows are out of order (row {r} after row {prev})")
        if rm.group(2):
            row_end, inner_end = rm.end(), None
        else:
            inner_end = xml.find(row_close, rm.end(), body_end)
            if inner_end < 0:
                raise SheetProblem(f"row {r} is not closed")
            row_end = inner_end + len(row_close)
        while i < len(pending) and pending[i] < r:
            chunks += [xml[last:rm.start()], sheet.new_row(pending[i], by_row[pending[i]])]
            last = rm.start()
            i += 1
        if i < len(pending) and pending[i] == r:
            chunks += [xml[last:rm.start()], sheet.edit_row(r, rm, inner_end, by_row[r])]
            last = row_end
            i += 1
        prev, pos = r, row_end
    chunks.append(xml[last:body_end])
    chunks += [sheet.new_row(r, by_row[r]) for r in pending[i:]]
    body = "".join(chunks)
    if body == xml[sd.end():body_end]:
        return edit
    head = _widen_dimension(xml[:sd.end()], t, sheet.box)
    edit.xml = head + body + xml[body_end:]
    return edit
