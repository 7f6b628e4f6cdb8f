"""Drop-down lists of a sheet, including the x14 extension form openpyxl drops (HECVAT 4 uses it).

List sources are resolved to their values: a literal ``"Yes,No,N/A"``, a range on any sheet
(``=Lists!$A$1:$A$4``, ``'Auto Responses'!$J$3:$J$5``) or a defined name pointing at one. Anything
else (INDIRECT, OFFSET) is kept with no values and a note.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from defusedxml import ElementTree as DET

from trustfill.intake.grid import Validation, parse_rect, parse_sqref
from trustfill.intake.text import ERROR_VALUES

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
NS_XM = "http://schemas.microsoft.com/office/excel/2006/main"
MAX_LIST_CELLS = 500
_QUALIFIED = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(.+)$")


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip part holding its XML."""
    book = DET.fromstring(zf.read("xl/workbook.xml"))
    rels = DET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{NS_PKG_REL}}}Relationship")}
    parts = {}
    for sheet in book.iter(f"{{{NS_MAIN}}}sheet"):
        target = targets.get(sheet.get(f"{{{NS_REL}}}id"), "")
        if target:
            parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def x14_lists(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    """(formula, sqref) of each x14 list validation in a sheet part, parsed with defusedxml."""
    try:
        data = zf.read(part)
    except KeyError:
        return []
    if b"dataValidation" not in data or NS_X14.encode() not in data:
        return []
    found = []
    for _, el in DET.iterparse(io.BytesIO(data), events=("end",)):
        if el.tag == f"{{{NS_X14}}}dataValidation":
            if el.get("type") == "list":
                f = el.find(f"{{{NS_X14}}}formula1/{{{NS_XM}}}f")
                sq = el.find(f"{{{NS_XM}}}sqref")
                if f is not None and sq is not None and f.text and sq.text:
                    found.append((f.text, sq.text))
            el.clear()
        elif el.tag == f"{{{NS_MAIN}}}row":
            el.clear()  # keep memory flat on big sheets
    return found


def cell_text(value: Any) -> str:
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


def resolve_ref(wb: Any, sheet: str, ref: str) -> tuple[str, tuple[int, int, int, int]] | None:
    """``Lists!$A$1:$A$4`` / ``$A$1:$A$4`` / a defined name -> (sheet, rectangle)."""
    ref = ref.strip().lstrip("=").strip()
    for _ in range(3):  # a defined name may point at another name
        if parse_rect(ref) is not None or _QUALIFIED.match(ref):
            break
        dn = _defined_name(wb, sheet, ref)
        if dn is None:
            return None
        ref = dn
    m = _QUALIFIED.match(ref)
    if m:
        sheet = (m.group(1) or "").replace("''", "'") or (m.group(2) or "").strip()
        ref = m.group(3)
    rect = parse_rect(ref)
    if rect is None or sheet not in wb.sheetnames:
        return None
    return sheet, rect


def _defined_name(wb: Any, sheet: str, name: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z_\\][\w.\\]*", name):
        return None
    scopes = []
    if sheet in wb.sheetnames:
        scopes.append(getattr(wb[sheet], "defined_names", {}))
    scopes.append(wb.defined_names)
    for scope in scopes:
        for key in (name, name.lower(), name.upper()):
            dn = scope.get(key) if hasattr(scope, "get") else None
            if dn is not None and dn.attr_text:
                return dn.attr_text
        for key, dn in getattr(scope, "items", lambda: [])():
            if key.lower() == name.lower() and dn.attr_text:
                return dn.attr_text
    return None


def range_values(wb: Any, sheet: str, rect: tuple[int, int, int, int]) -> list[str]:
    """The non-empty values of a range, clamped to the used area and capped: never cell by cell over
    a whole-column reference."""
    ws = wb[sheet]
    r1, c1, r2, c2 = rect
    r2, c2 = min(r2, ws.max_row), min(c2, ws.max_column)
    if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_LIST_CELLS:
        r2 = r1 + max(MAX_LIST_CELLS // max(c2 - c1 + 1, 1), 1) - 1
    out: list[str] = []
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            cell = ws._cells.get((r, c))  # no cell creation for empty coordinates
            text = cell_text(cell.value) if cell is not None else ""
            if text and text not in out:
                out.append(text)
    return out


def list_choices(wb: Any, sheet: str, formula: str) -> list[str]:
    f = (formula or "").strip().lstrip("=").strip()
    if len(f) >= 2 and f[0] == '"' and f[-1] == '"':
        return [x.strip() for x in f[1:-1].split(",") if x.strip()]
    found = resolve_ref(wb, sheet, f)
    if found is None:
        return []
    return range_values(wb, *found)


def sheet_validations(wb: Any, ws: Any, x14: list[tuple[str, str]]) -> tuple[list[Validation], list[str]]:
    """All list validations of a sheet, resolved; plus notes on any that could not be resolved."""
    out, notes = [], []
    entries = [(dv.formula1 or "", str(dv.sqref)) for dv in ws.data_validations.dataValidation
               if dv.type == "list"]
    for formula, sqref in [*entries, *x14]:
        rects = parse_sqref(sqref)
        if not rects:
            continue
        choices = list_choices(wb, ws.title, formula)
        if not choices:
            notes.append(f"drop-down list '{formula}' on {sqref[:40]} could not be resolved to values")
        out.append(Validation(rects=rects, choices=choices, source=formula))
    return out, notes


def sheet_formulas(zf: zipfile.ZipFile, part: str, cols: set[int] | None) -> dict[tuple[int, int], str]:
    """Formulas of a sheet part (only ``cols`` when given), as ``=...`` text, parsed with defusedxml.

    Shared formulas are stored once on their first cell; the others get that formula moved to their
    own position, as Excel shows them.
    """
    from openpyxl.formula.translate import Translator
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    try:
        data = zf.read(part)
    except KeyError:
        return {}
    if b"<f" not in data:
        return {}
    out: dict[tuple[int, int], str] = {}
    masters: dict[str, tuple[str, str]] = {}  # shared index -> (formula, its cell)
    followers: list[tuple[tuple[int, int], str, str]] = []
    tag_c, tag_f, tag_row = f"{{{NS_MAIN}}}c", f"{{{NS_MAIN}}}f", f"{{{NS_MAIN}}}row"
    for _, el in DET.iterparse(io.BytesIO(data), events=("end",)):
        if el.tag == tag_c:
            f = el.find(tag_f)
            ref = el.get("r", "")
            if f is not None and ref:
                letters, row = coordinate_from_string(ref)
                col = column_index_from_string(letters)
                text = f.text or ""
                if f.get("t") == "shared" and f.get("si") is not None:
                    if text:
                        masters[f.get("si", "")] = (text, ref)
                    else:
                        followers.append(((row, col), f.get("si", ""), ref))
                if (cols is None or col in cols) and text:
                    out[(row, col)] = "=" + text
            el.clear()
        elif el.tag == tag_row:
            el.clear()
    for key, si, ref in followers:
        if (cols is None or key[1] in cols) and si in masters:
            text, origin = masters[si]
            try:
                out[key] = Translator("=" + text, origin=origin).translate_formula(ref)
            except Exception:  # noqa: BLE001 - an untranslatable formula is still a formula
                out[key] = "=" + text
    return out
