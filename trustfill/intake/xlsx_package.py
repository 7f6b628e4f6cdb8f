"""The workbook-level parts of an .xlsx, streamed with expat and counted as they are read.

Every part goes through ``Package.parse``: the zip member is inflated in chunks, the inflated bytes
are counted against the limits as they arrive (never trusting the sizes the archive declares), and
expat refuses any DTD or entity (an XML bomb or external entity can never expand). Nothing is
built into a tree: handlers keep only what intake needs.
"""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from pyexpat import ExpatError, ParserCreate
from typing import Any

from trustfill.config import Limits
from trustfill.errors import InputFileError, LimitExceeded

CHUNK = 1 << 16
REL_CHARTSHEET = "chartsheet"
# Shared strings: the text of every string cell of every sheet (read or not). A real questionnaire's
# table is a few MB; 64 MB of it is 100,000 questions of 600 characters.
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
MAX_STYLES = 200_000  # Excel's own maximum is 64,000 cell formats
_DATE_IDS = set(range(14, 23)) | {45, 46, 47}  # built-in date/time formats (ECMA-376 18.8.30)
_TIMEDELTA_IDS = {46}


def local(name: str) -> str:
    """``x14:dataValidation`` -> ``dataValidation``: parts are parsed without namespace processing."""
    return name[name.index(":") + 1:] if ":" in name else name


def true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "true")


def _refuse_dtd(*_args: Any) -> None:
    raise InputFileError("", "declares XML entities (a DTD)")


class Package:
    """An open .xlsx: its parts by name, with inflated bytes counted across every part read."""

    def __init__(self, path: Path, name: str, limits: Limits):
        self.path, self.name, self.limits = path, name, limits
        self.zf = zipfile.ZipFile(path)
        self.names = set(self.zf.namelist())
        self.inflated = 0

    def close(self) -> None:
        self.zf.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, part: str, cap: int = 16 * 1024 * 1024) -> bytes:
        """A small part whole (workbook.xml, rels), refused above ``cap`` bytes."""
        out = bytearray()
        for chunk in self._chunks(part):
            out += chunk
            if len(out) > cap:
                raise LimitExceeded(self.name, f"part '{part}' is larger than {cap // (1024 * 1024)} MB; it is "
                                               "not an ordinary workbook part")
        return bytes(out)

    def _chunks(self, part: str):
        try:
            fh = self.zf.open(part)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:  # bad header, method, encrypted
            raise InputFileError(self.name, f"the workbook is damaged or unreadable ({exc}); open it in Excel, "
                                            "save it again as .xlsx and upload it again") from None
        except KeyError:
            raise InputFileError(self.name, f"the workbook is damaged: part '{part}' is missing; open it in "
                                            "Excel, save it again as .xlsx and upload it again") from None
        with fh:
            while True:
                try:
                    chunk = fh.read(CHUNK)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
                    raise InputFileError(self.name, f"the workbook is damaged or incomplete ({exc}); open it "
                                                    "in Excel, save it again as .xlsx and upload it again") from None
                if not chunk:
                    return
                self.inflated += len(chunk)
                if self.inflated > self.limits.max_inflated_bytes:
                    raise LimitExceeded(self.name, "the workbook unpacks to more than "
                                                   f"{self.limits.max_inflated_bytes / (1024 * 1024):.1f} MB, "
                                                   "above the limit; remove unneeded sheets or images")
                yield chunk

    def count(self, part: str, *needles: tuple[bytes, ...]) -> list[int]:
        """Occurrences of each group of byte strings in a part, at inflate speed (no XML parsing, not even
        a regular expression: 78 MB in a fraction of a second): lets a reader refuse
        a part with millions of cells in a fraction of a second instead of parsing up to the limit.
        A UTF-16 part (Excel never writes one) is transcoded first so the count cannot be dodged."""
        totals, tail = [0] * len(needles), b""
        decoder = None
        transcode = False
        for chunk in self._chunks(part):
            if decoder is None:
                transcode = chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(chunk) > 1 and b"\x00" in chunk[:4])
                decoder = codecs.getincrementaldecoder("utf-16" if transcode else "utf-8")(errors="replace")
            if transcode:
                chunk = decoder.decode(chunk).encode("utf-8")
            data = tail + chunk
            # counted up to the last '>': a tag that starts after it is counted with the next chunk
            cut = data.rfind(b">") + 1
            if len(data) - cut > CHUNK * 16:
                cut = len(data)
            for i, group in enumerate(needles):
                totals[i] += sum(data.count(n, 0, cut) for n in group)
            tail = data[cut:]
        return [total + sum(tail.count(n) for n in group) for total, group in zip(totals, needles, strict=True)]

    def parse(self, part: str, start: Callable, end: Callable | None = None, text: Callable | None = None,
              *, sheet: str | None = None, transform: Callable[[bytes], bytes] | None = None) -> None:
        """Stream ``part`` through expat with the given handlers (names without namespace processing).
        ``transform`` rewrites the raw bytes first, in
        pieces that end at a tag's closing ``>`` (so no tag is ever split between two pieces)."""
        parser = ParserCreate()
        parser.buffer_text = True
        parser.buffer_size = CHUNK
        parser.StartElementHandler = start
        if end is not None:
            parser.EndElementHandler = end
        if text is not None:
            parser.CharacterDataHandler = text
        # Excel never writes a DTD: any declaration is an XML bomb or external-entity attempt.
        parser.StartDoctypeDeclHandler = _refuse_dtd
        parser.EntityDeclHandler = _refuse_dtd
        parser.ExternalEntityRefHandler = _refuse_dtd
        try:
            carry = b""
            for chunk in self._chunks(part):
                if transform is not None:
                    data = carry + chunk
                    cut = data.rfind(b">") + 1
                    if len(data) - cut > CHUNK * 16:  # no '>' for a megabyte: not a spreadsheet part
                        cut = len(data)
                    chunk, carry = transform(data[:cut]), data[cut:]
                parser.Parse(chunk, False)
            parser.Parse(transform(carry) if transform is not None else b"", True)
        except InputFileError as exc:
            if exc.path == "":  # from _refuse_dtd: say which part
                raise InputFileError(self.name, f"part '{part}' declares XML entities (a DTD), which Excel never "
                                                "writes: refusing a possible XML bomb. Ask the sender for a copy "
                                                "saved by Excel.") from None
            raise
        except ExpatError as exc:
            raise InputFileError(self.name, f"part '{part}' is not well-formed XML ({exc}); open the workbook "
                                            "in Excel, save it again as .xlsx and upload it again",
                                 sheet=sheet) from None


# ------------------------------------------------------------------ workbook.xml and its relationships

@dataclass
class SheetEntry:
    name: str
    state: str  # visible | hidden | veryHidden
    part: str | None  # zip member of a worksheet; None for chartsheets and missing targets


@dataclass
class WorkbookInfo:
    sheets: list[SheetEntry]
    names: dict[str | None, dict[str, str]]  # scope (sheet name or None) -> lower-case name -> reference
    date1904: bool = False

    @property
    def sheetnames(self) -> list[str]:
        return [s.name for s in self.sheets]

    def defined_name(self, sheet: str, name: str) -> str | None:
        key = name.lower()
        for scope in (sheet, None):
            found = self.names.get(scope, {}).get(key)
            if found:
                return found
        return None


def _target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = base.split("/")[:-1]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def workbook_part(pkg: Package) -> str:
    """The main workbook part, from the package relationships (``xl/workbook.xml`` in practice)."""
    found: list[str] = []

    def start(name: str, attrs: dict) -> None:
        if local(name) == "Relationship" and attrs.get("Type", "").endswith("/officeDocument"):
            found.append(_target("", attrs.get("Target", "")))

    if "_rels/.rels" in pkg.names:
        pkg.parse("_rels/.rels", start)
    for part in [*found, "xl/workbook.xml"]:
        if part in pkg.names:
            return part
    return next((n for n in sorted(pkg.names) if n.endswith("workbook.xml")), "xl/workbook.xml")


def read_workbook(pkg: Package) -> WorkbookInfo:
    book = workbook_part(pkg)
    rels_part = "/".join([*book.split("/")[:-1], "_rels", book.split("/")[-1] + ".rels"])
    targets: dict[str, tuple[str, str]] = {}

    def rel_start(name: str, attrs: dict) -> None:
        if local(name) == "Relationship":
            targets[attrs.get("Id", "")] = (attrs.get("Type", ""), _target(book, attrs.get("Target", "")))

    if rels_part in pkg.names:
        pkg.parse(rels_part, rel_start)
    sheets: list[SheetEntry] = []
    defined: list[tuple[str, str | None, list[str]]] = []  # name, localSheetId, text pieces
    info = WorkbookInfo(sheets=sheets, names={})
    inside = [False]  # within a definedName: its text is the reference

    def start(name: str, attrs: dict) -> None:
        tag = local(name)
        if tag == "sheet":
            rid = next((v for k, v in attrs.items() if local(k) == "id" and k != "sheetId"), "")
            kind, target = targets.get(rid, ("", ""))
            part = target if target in pkg.names and REL_CHARTSHEET not in kind else None
            sheets.append(SheetEntry(attrs.get("name", ""), attrs.get("state", "visible"), part))
        elif tag == "definedName":
            defined.append((attrs.get("name", ""), attrs.get("localSheetId"), []))
            inside[0] = True
        elif tag == "workbookPr":
            info.date1904 = true(attrs.get("date1904"))

    def end(name: str) -> None:
        if local(name) == "definedName":
            inside[0] = False

    def text(data: str) -> None:
        if inside[0]:
            defined[-1][2].append(data)

    pkg.parse(book, start, end, text)
    for dn_name, scope_id, pieces in defined:
        scope: str | None = None
        if scope_id is not None:
            try:
                scope = sheets[int(scope_id)].name
            except (ValueError, IndexError):
                continue
        info.names.setdefault(scope, {}).setdefault(dn_name.lower(), "".join(pieces).strip())
    return info


# ------------------------------------------------------------------ styles.xml: the little intake uses

@dataclass
class Styles:
    """Per cell format (the ``s`` of a cell): bold, shows a date, shows a duration, unlocked."""

    bold: list[bool] = field(default_factory=lambda: [False])
    date: list[bool] = field(default_factory=lambda: [False])
    timedelta: list[bool] = field(default_factory=lambda: [False])
    unlocked: list[bool] = field(default_factory=lambda: [False])

    def at(self, values: list[bool], index: int) -> bool:
        return values[index] if 0 <= index < len(values) else False


def read_styles(pkg: Package) -> Styles:
    part = "xl/styles.xml"
    if part not in pkg.names:
        return Styles()
    formats: dict[int, str] = {}
    fonts: list[bool] = []
    xfs: list[tuple[int, int, bool]] = []  # fontId, numFmtId, unlocked
    where: list[str] = []  # the open collection element: fonts | cellXfs | other

    def start(name: str, attrs: dict) -> None:
        tag = local(name)
        if tag in ("fonts", "cellXfs", "cellStyleXfs", "dxfs"):
            where.append(tag)
        elif tag == "numFmt" and attrs.get("numFmtId", "").isdigit():
            formats[int(attrs["numFmtId"])] = attrs.get("formatCode", "")
        elif not where:
            return
        elif where[-1] == "fonts":
            if tag == "font":
                fonts.append(False)
            elif tag == "b" and fonts:
                fonts[-1] = attrs.get("val", "1").strip().lower() not in ("0", "false")
        elif where[-1] == "cellXfs":
            if tag == "xf":
                if len(xfs) >= MAX_STYLES:
                    raise LimitExceeded(pkg.name, f"the workbook declares more than {MAX_STYLES:,} cell formats; "
                                                  "it is not an ordinary workbook")
                xfs.append((_int(attrs.get("fontId")), _int(attrs.get("numFmtId")), False))
            elif tag == "protection" and xfs:
                font, fmt, _ = xfs[-1]
                xfs[-1] = (font, fmt, attrs.get("locked", "1").strip().lower() in ("0", "false"))

    def end(name: str) -> None:
        if where and local(name) == where[-1]:
            where.pop()

    pkg.parse(part, start, end)
    styles = Styles(bold=[], date=[], timedelta=[], unlocked=[])
    for font, fmt_id, unlocked in xfs or [(0, 0, False)]:
        code = formats.get(fmt_id)  # a format the workbook defines wins over the built-in of that number
        styles.bold.append(fonts[font] if 0 <= font < len(fonts) else False)
        styles.date.append(is_date_format(code) if code is not None else fmt_id in _DATE_IDS)
        styles.timedelta.append(is_timedelta_format(code) if code is not None else fmt_id in _TIMEDELTA_IDS)
        styles.unlocked.append(unlocked)
    return styles


# Number formats that show a date or a duration: openpyxl's rules (openpyxl.styles.numbers), which the
# reader this one replaced applied, so dates read as the same text. Quoted text and [locale] or [colour]
# sections are ignored; a d, m, y, h or s not escaped with \\ or _ makes a date.
_STRIP_FORMAT = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CHARS = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA_FORMAT = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)


def is_date_format(code: str | None) -> bool:
    if code is None:
        return False
    return _DATE_CHARS.search(_STRIP_FORMAT.sub("", code.split(";")[0])) is not None


def is_timedelta_format(code: str | None) -> bool:
    return code is not None and _TIMEDELTA_FORMAT.search(code.split(";")[0]) is not None


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


# ------------------------------------------------------------------ sharedStrings.xml

def read_shared_strings(pkg: Package, max_strings: int) -> list[str]:
    """The shared string table, refused as soon as it holds more text or more strings than any
    questionnaire needs (a 130 MB table of one-character strings would take gigabytes as objects)."""
    part = next((n for n in ("xl/sharedStrings.xml", "xl/SharedStrings.xml") if n in pkg.names), None)
    if part is None:
        return []
    declared = pkg.zf.getinfo(part).file_size  # an upper bound: zipfile never inflates a part past it
    if declared > MAX_SHARED_STRINGS_BYTES:
        raise LimitExceeded(pkg.name, f"the shared string table is {declared / (1024 * 1024):.0f} MB, above the "
                                      f"{MAX_SHARED_STRINGS_BYTES // (1024 * 1024)} MB limit; it is not an ordinary "
                                      "questionnaire")
    strings: list[str] = []
    pieces: list[str] = []
    state = {"depth_skip": 0, "in_t": False, "chars": 0}

    def start(name: str, attrs: dict) -> None:
        tag = local(name)
        if tag == "si":
            pieces.clear()
        elif tag in ("rPh", "phoneticPr"):
            state["depth_skip"] += 1  # phonetic guides are not part of the text
        elif tag == "t" and not state["depth_skip"]:
            state["in_t"] = True

    def end(name: str) -> None:
        tag = local(name)
        if tag == "si":
            if len(strings) >= max_strings:
                raise LimitExceeded(pkg.name, f"the shared string table holds more than {max_strings:,} strings, "
                                              f"above the cell limit of {max_strings:,} (max_cells); it is not an "
                                              "ordinary questionnaire")
            strings.append("".join(pieces).replace("x005F_", ""))
        elif tag in ("rPh", "phoneticPr"):
            state["depth_skip"] -= 1
        elif tag == "t":
            state["in_t"] = False

    def text(data: str) -> None:
        if state["in_t"]:
            pieces.append(data)
            state["chars"] += len(data)
            if state["chars"] > MAX_SHARED_STRINGS_BYTES:
                raise LimitExceeded(pkg.name, "the shared string table holds more than "
                                              f"{MAX_SHARED_STRINGS_BYTES // (1024 * 1024)} MB of text; it is not "
                                              "an ordinary questionnaire")

    pkg.parse(part, start, end, text)
    return strings

