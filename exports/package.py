"""Reading the structure of an .xlsx package: which zip part holds which sheet, which styles are locked.

Sheet parts are found the way Excel finds them, through the package relationships
(``_rels/.rels`` -> workbook part -> its ``.rels`` -> sheet part), never by guessing ``sheetN.xml``:
the N need not match the tab order, and a workbook may live outside ``xl/``.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree as SafeET

from trustfill.errors import InputFileError

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPES = ("/worksheet",)


@dataclass(frozen=True)
class SheetPart:
    name: str
    part: str  # zip entry name, e.g. "xl/worksheets/sheet1.xml"
    is_worksheet: bool


def _parse(path: Path, zf: zipfile.ZipFile, part: str):
    try:
        return SafeET.fromstring(zf.read(part))
    except KeyError as exc:
        raise InputFileError(path, f"the workbook has no part {part}; it is not a valid .xlsx. "
                                   "Open and re-save it in Excel.") from exc
    except Exception as exc:  # defusedxml raises several types for hostile or broken XML
        raise InputFileError(path, f"part {part} of the workbook is not valid XML ({exc}). "
                                   "Open and re-save it in Excel.") from exc


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _relationships(path: Path, zf: zipfile.ZipFile, rels_part: str,
                   base_part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, resolved part name) for one .rels part."""
    root = _parse(path, zf, rels_part)
    out = {}
    for rel in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        out[rel.get("Id", "")] = (rel.get("Type", ""), _resolve(base_part, rel.get("Target", "")))
    return out


def workbook_part(path: Path, zf: zipfile.ZipFile) -> str:
    for rel_type, target in _relationships(path, zf, "_rels/.rels", "").values():
        if rel_type.endswith("/officeDocument"):
            return target
    raise InputFileError(path, "the file has no workbook part; it is not an Excel workbook.")


def sheet_parts(path: Path, zf: zipfile.ZipFile) -> tuple[str, list[SheetPart]]:
    """The workbook part name and its sheets in tab order."""
    wb_part = workbook_part(path, zf)
    rels = _relationships(path, zf, _rels_path(wb_part), wb_part)
    root = _parse(path, zf, wb_part)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    sheets = []
    for el in root.iter(f"{{{ns}}}sheet" if ns else "sheet"):
        rid = el.get(f"{{{REL_NS}}}id") or el.get("{http://purl.oclc.org/ooxml/officeDocument/relationships}id")
        if rid not in rels:
            continue
        rel_type, target = rels[rid]
        sheets.append(SheetPart(el.get("name", ""), target, rel_type.endswith(WORKSHEET_TYPES)))
    return wb_part, sheets


def styles_part(path: Path, zf: zipfile.ZipFile, wb_part: str) -> str | None:
    """The zip entry holding the workbook's cell styles (xl/styles.xml as a rule); None if it has none."""
    rels = _relationships(path, zf, _rels_path(wb_part), wb_part)
    styles = next((t for ty, t in rels.values() if ty.endswith("/styles")), None)
    return styles if styles in zf.namelist() else None


def locked_styles(path: Path, zf: zipfile.ZipFile, wb_part: str) -> list[bool]:
    """For each cell style index (the ``s`` of a cell): is the cell locked when its sheet is protected?

    Cells are locked unless their style says ``<protection locked="0"/>``, as in Excel.
    """
    styles = styles_part(path, zf, wb_part)
    if styles is None:
        return []
    root = _parse(path, zf, styles)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    q = (lambda n: f"{{{ns}}}{n}") if ns else (lambda n: n)
    cell_xfs = root.find(q("cellXfs"))
    if cell_xfs is None:
        return []
    out = []
    for xf in cell_xfs.findall(q("xf")):
        prot = xf.find(q("protection"))
        locked = prot.get("locked", "1") if prot is not None else "1"
        out.append(locked not in ("0", "false"))
    return out
