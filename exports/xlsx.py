"""Filling a customer's .xlsx/.xlsm without losing anything of it.

openpyxl cannot be used to save a customer's workbook: it drops what it does not model (x14 drop-downs,
extension conditional formats, threaded comments, in-cell checkboxes, images without Pillow, cached
formula values, rich text). Here the zip is rewritten entry by entry in the original order, names and
compression, and only the worksheet parts that receive answers are changed (see sheet_edit), plus
styles.xml when an answer needs a quotePrefix style (see exports.styles). Untouched parts are copied
with their original compressed bytes (see zipcopy), so each entry can be compared with the original's.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from defusedxml import ElementTree as SafeET

from exports.atomic import atomic_output, check_paths
from exports.cells import parse_ref, ref
from exports.model import CellWrite, SkippedWrite, WriteResult
from exports.package import PKG_REL_NS, SheetPart, locked_styles, sheet_parts, styles_part
from exports.sheet_edit import SheetProblem, edit_sheet
from exports.styles import QuotePrefixStyles
from exports.text import strip_illegal
from exports.zipcopy import can_copy, compressed_bytes, copy_compressed, verify
from trustfill.config import Limits
from trustfill.errors import InputFileError
from trustfill.intake.safety import check_zip

EXCEL_CELL_LIMIT = 32_767


class _NullTarget:
    """Parser target that builds nothing: we only want to know the XML is well-formed."""

    def close(self) -> None:
        return None


def _well_formed(data: bytes) -> bool:
    parser = SafeET.DefusedXMLParser(target=_NullTarget())
    try:
        parser.feed(data)
        parser.close()
    except Exception:  # noqa: BLE001 - any parser complaint means "do not ship this part"
        return False
    return True


def _decode(data: bytes) -> tuple[str, str] | None:
    """Sheet part text and its codec; None for an encoding other than UTF-8 (Excel writes UTF-8)."""
    head = data[:100].lower()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"encoding=" in head and b"utf-8" not in head):
        return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return None


def _table_headers(zf: zipfile.ZipFile, part: str) -> list[str]:
    """Header-row ranges of the sheet's tables: their text must match the table's column names."""
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", name + ".rels")
    if rels_part not in zf.namelist():
        return []
    out = []
    try:
        rels = SafeET.fromstring(zf.read(rels_part))
        for rel in rels.iter(f"{{{PKG_REL_NS}}}Relationship"):
            if not rel.get("Type", "").endswith("/table") or rel.get("TargetMode") == "External":
                continue
            target = posixpath.normpath(posixpath.join(folder, rel.get("Target", "")))
            table = SafeET.fromstring(zf.read(target.lstrip("/")))
            rng, headers = table.get("ref", ""), table.get("headerRowCount", "1")
            if ":" in rng and headers != "0":
                first, last = rng.split(":")
                a, b = parse_ref(first), parse_ref(last)
                if a and b:
                    out.append(f"{ref(a[0], a[1])}:{ref(a[0], b[1])}")
    except Exception:  # noqa: BLE001 - a broken table part only means we cannot protect its header
        return out
    return out


_DAMAGE = (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError)


def _damaged(src: Path, name: str, exc: Exception) -> InputFileError:
    return InputFileError(src, f"part {name} of the workbook is damaged ({exc}). Ask the sender for a "
                               "new copy, or open and re-save it in Excel.")


def _read(src: Path, zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        return zf.read(name)
    except _DAMAGE as exc:
        raise _damaged(src, name, exc) from exc


def _copy_untouched(src: Path, zf: zipfile.ZipFile, raw: BinaryIO, info: zipfile.ZipInfo,
                    out: zipfile.ZipFile) -> None:
    """Copy an entry with its original compressed bytes, once zipfile has read it whole and CRC-checked it."""
    if not can_copy(out):  # a future zipfile without the internals: same content, re-deflated
        out.writestr(_entry(info), _read(src, zf, info.filename))
        return
    try:
        verify(zf, info)
        data = compressed_bytes(raw, info)
    except _DAMAGE as exc:
        raise _damaged(src, info.filename, exc) from exc
    copy_compressed(out, info, data)


def _entry(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A new entry like ``info``: same name, date, compression, attributes and comment."""
    zi = zipfile.ZipInfo(info.filename, info.date_time)
    zi.compress_type = info.compress_type
    zi.external_attr = info.external_attr
    zi.create_system = info.create_system
    zi.comment = info.comment
    return zi


def _quote_prefix_styles(src: Path, zf: zipfile.ZipFile, part: str | None) -> QuotePrefixStyles:
    if part is None:
        return QuotePrefixStyles(None)
    decoded = _decode(_read(src, zf, part))
    return QuotePrefixStyles(decoded[0] if decoded else None)


_CALC_PR = re.compile(r"<((?:\w+:)?)calcPr\b[^>]*?(/?)>")
# Elements that follow calcPr in CT_Workbook; a missing calcPr goes before the first of them.
_AFTER_CALC_PR = ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                  "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")


def full_calc_on_load(xml: str) -> str:
    """workbook.xml asking Excel/LibreOffice to recalculate every formula when the file is opened.

    Without it, formulas that depend on the answers (HECVAT guidance and scoring) show the values
    cached before filling until someone recalculates.
    """
    m = _CALC_PR.search(xml)
    if m:
        tag = m.group(0)
        if re.search(r"\sfullCalcOnLoad=", tag):
            new = re.sub(r"""\sfullCalcOnLoad=("[^"]*"|'[^']*')""", ' fullCalcOnLoad="1"', tag)
        else:
            new = re.sub(r"\s*(/?)>$", r' fullCalcOnLoad="1"\1>', tag)
        return xml[:m.start()] + new + xml[m.end():]
    root = re.search(r"<((?:\w+:)?)workbook[\s>]", xml)
    p = root.group(1) if root else ""
    for name in _AFTER_CALC_PR:
        i = xml.find(f"<{p}{name}")
        if i >= 0:
            break
    else:
        i = xml.rfind(f"</{p}workbook>")
    return xml[:i] + f'<{p}calcPr fullCalcOnLoad="1"/>' + xml[i:]


def _find_sheet(sheets: list[SheetPart], name: str) -> SheetPart | None:
    for s in sheets:
        if s.name == name:
            return s
    folded = name.casefold()  # Excel sheet names are unique regardless of case
    return next((s for s in sheets if s.name.casefold() == folded), None)


def write_cells(src: Path, dest: Path, writes: Sequence[CellWrite], *, limits: Limits | None = None,
                recalculate_on_open: bool = False) -> WriteResult:
    """Copy ``src`` to ``dest`` with ``writes`` made, losing nothing else; atomic; ``src`` is never changed.

    Values are written exactly (less characters XML cannot hold); one that starts like a formula gets a
    quotePrefix variant of its cell's style, never an apostrophe. Writes that cannot be made safely
    (formula cells, locked cells of protected sheets, cells hidden in merged ranges, unknown sheets)
    are listed in ``WriteResult.skipped`` with the reason. ``recalculate_on_open`` also sets ``fullCalcOnLoad`` in
    workbook.xml (the one change outside the sheets), so formulas fed by the answers are refreshed.
    """
    src, dest = Path(src), Path(dest)
    check_paths(src, dest)
    limits = limits or Limits()
    result = WriteResult(dest=dest)
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(src, "not an .xlsx/.xlsm workbook (or damaged). Save it from Excel as .xlsx "
                                  "and try again.") from exc
    with zf:
        check_zip(src, str(src), limits)  # the same zip-bomb guard as intake, before anything inflates
        wb_part, sheets = sheet_parts(src, zf)
        styles = None
        styles_name = styles_part(src, zf, wb_part)
        quote_styles: QuotePrefixStyles | None = None
        unprefixed = 0

        # Last write to a cell wins; the earlier one is reported.
        per_part: dict[str, dict[tuple[int, int], tuple[CellWrite, str]]] = {}
        sheet_of_part: dict[str, SheetPart] = {}
        for w in writes:
            sheet = _find_sheet(sheets, w.sheet)
            pos = parse_ref(w.cell)
            value = strip_illegal(w.value)
            why = None
            if sheet is None:
                why = "no sheet of that name in the workbook"
            elif not sheet.is_worksheet:
                why = "that sheet is a chart or dialog sheet, not a worksheet"
            elif pos is None:
                why = "not a cell reference such as C10"
            elif len(value) > EXCEL_CELL_LIMIT:
                why = f"longer than Excel's limit of {EXCEL_CELL_LIMIT:,} characters in a cell"
            if why:
                result.skipped.append(SkippedWrite(sheet=w.sheet, cell=w.cell, value=w.value, reason=why))
                continue
            cells = per_part.setdefault(sheet.part, {})
            if pos in cells:
                old = cells[pos][0]
                result.skipped.append(SkippedWrite(sheet=old.sheet, cell=old.cell, value=old.value,
                                                   reason="replaced by a later write to the same cell"))
            cells[pos] = (w, value)
            sheet_of_part[sheet.part] = sheet

        new_parts: dict[str, bytes] = {}
        for part, cells in per_part.items():
            sheet = sheet_of_part[part]
            targets = {pos: value for pos, (_w, value) in cells.items()}

            def skip_all(reason: str, cells=cells, sheet=sheet) -> None:
                for w, _value in cells.values():
                    result.skipped.append(SkippedWrite(sheet=w.sheet, cell=w.cell, value=w.value,
                                                       reason=reason))

            if part not in zf.namelist():
                skip_all("the workbook names a sheet part that is missing")
                continue
            data = _read(src, zf, part)
            decoded = _decode(data)
            if decoded is None:
                skip_all("the sheet part is not UTF-8 encoded")
                continue
            if styles is None:
                styles = locked_styles(src, zf, wb_part)
                quote_styles = _quote_prefix_styles(src, zf, styles_name)
            try:
                edit = edit_sheet(decoded[0], targets, locked_styles=styles,
                                  table_headers=_table_headers(zf, part), quote_style=quote_styles.variant)
            except SheetProblem as exc:
                skip_all(str(exc))
                continue
            new = edit.xml.encode(decoded[1])
            if new != data:
                if not _well_formed(new):  # never hand a customer a file Excel would "repair"
                    skip_all("internal check failed: the edited sheet would not be valid XML")
                    continue
                new_parts[part] = new
                unprefixed += len(edit.unprefixed)
            for row, col, value in edit.written:
                result.written.append(CellWrite(sheet=sheet.name, cell=ref(row, col), value=value))
            for row, col, value, why in edit.skipped:
                result.skipped.append(SkippedWrite(sheet=sheet.name, cell=ref(row, col), value=value,
                                                   reason=why))

        new_styles = quote_styles.xml() if quote_styles else None
        if new_styles is not None:
            data = new_styles.encode("utf-8")
            if not _well_formed(data):  # the sheets already name the new styles: never ship without them
                raise InputFileError(src, "internal check failed: the workbook's styles could not be extended. "
                                          "Open and re-save it in Excel, then export again.")
            new_parts[styles_name] = data
        if unprefixed:
            result.notes.append(f"{unprefixed} answer(s) start with =, +, - or @ but the workbook's styles could "
                                "not mark them as text (quotePrefix); they are stored as text all the same, "
                                "and Excel would read them as formulas only if someone re-types those cells.")

        if recalculate_on_open and result.written:
            try:
                text = _read(src, zf, wb_part).decode("utf-8")
                new_parts[wb_part] = full_calc_on_load(text).encode("utf-8")
            except UnicodeDecodeError:
                result.notes.append("workbook.xml is not UTF-8: recalculation on open was not requested")

        with (atomic_output(dest) as fh, zipfile.ZipFile(fh, "w", allowZip64=True) as out,
              src.open("rb") as raw):
            for info in zf.infolist():
                data = new_parts.get(info.filename)
                if data is None:
                    _copy_untouched(src, zf, raw, info, out)
                    continue
                out.writestr(_entry(info), data)
    return result
