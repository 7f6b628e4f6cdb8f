"""Checks every upload passes before a parser touches it: it exists, is not too big, is what its
name says, and (for zip-based workbooks) does not inflate into something huge.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from trustfill.config import Limits
from trustfill.errors import InputFileError, LimitExceeded

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def _mb(n: float) -> str:
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB" if n >= 1024 else f"{int(n)} bytes"
    return f"{n / (1024 * 1024):.1f} MB"


def check_file(path: Path, name: str, limits: Limits) -> bytes:
    """Existence and size; returns the first bytes of the file for sniffing."""
    if not path.exists():
        raise InputFileError(name, "file not found")
    if not path.is_file():
        raise InputFileError(name, "is a folder, not a file")
    size = path.stat().st_size
    if size == 0:
        raise InputFileError(name, "the file is empty (0 bytes); upload the questionnaire again")
    if size > limits.max_upload_bytes:
        raise LimitExceeded(name, f"the file is {_mb(size)}, above the {_mb(limits.max_upload_bytes)} upload "
                                  "limit; remove unneeded sheets or images, or raise max_upload_bytes")
    with path.open("rb") as fh:
        return fh.read(8)


def refuse_ole2(path: Path, name: str) -> None:
    """An OLE2 container is a legacy .xls or a password-encrypted workbook: say which, and what to do."""
    data = path.read_bytes()
    if _ENCRYPTED_STREAM in data:
        raise InputFileError(name, "the workbook is password-protected (encrypted), so it cannot be read. "
                                   "Open it in Excel, remove the password (File > Info > Protect Workbook > "
                                   "Encrypt with Password, clear it), save, and upload it again")
    raise InputFileError(name, "this is a legacy Excel 97-2003 (.xls) file, which Trustfill does not read. "
                               "Open it in Excel and save it as .xlsx (File > Save As > Excel Workbook), "
                               "then upload the .xlsx")


def describe_non_workbook(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "this is a PDF, not a spreadsheet; ask for the questionnaire as an Excel file (.xlsx)"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:3] == b"\xef\xbb\xbf" or all(
            32 <= b < 127 or b in (9, 10, 13) for b in head):
        return ("this is a text file, not an Excel workbook; if it is comma-separated, rename it to .csv, "
                "otherwise save the questionnaire as .xlsx")
    return "this is not an Excel workbook (.xlsx/.xlsm); open it in Excel and save it as .xlsx"


def check_zip(path: Path, name: str, limits: Limits) -> None:
    """Zip-bomb guard: entry count, total inflated size and per-entry compression ratio, from the
    sizes the archive declares, before anything is inflated."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
    except zipfile.BadZipFile:
        raise InputFileError(name, "the workbook is damaged or incomplete (the upload may have been cut "
                                   "off); "
                                   "save it again in Excel and upload it again") from None
    except OSError as exc:
        raise InputFileError(name, f"could not be read: {exc.strerror or exc}") from None
    if len(names) != len(infos):
        raise InputFileError(name, "the workbook has duplicate parts and is damaged; open and re-save it in Excel")
    if len(infos) > limits.max_zip_entries:
        raise LimitExceeded(name, f"the workbook has {len(infos)} parts, above the limit of "
                                  f"{limits.max_zip_entries}; it is not an ordinary questionnaire")
    total = sum(i.file_size for i in infos)
    if total > limits.max_inflated_bytes:
        raise LimitExceeded(name, f"the workbook unpacks to {_mb(total)}, above the "
                                  f"{_mb(limits.max_inflated_bytes)} limit; remove unneeded sheets or images")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
            raise LimitExceeded(name, f"part '{info.filename}' expands {ratio:.0f} times, above the limit of "
                                      f"{limits.max_compression_ratio:.0f}; the file looks like a zip bomb")
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") for n in names):
        hint = " (it looks like a Word document)" if "word/document.xml" in names else ""
        raise InputFileError(name, f"this zip file is not an Excel workbook{hint}; save the questionnaire "
                                   "as .xlsx in Excel")


def check_package(path: Path, name: str, limits: Limits) -> None:
    """What an .xlsx/.xlsm must pass before any part is parsed: size, kind, zip sizes, no DTD. The
    streaming reader counts everything else (cells, rows, merges, inflated bytes) as it parses."""
    head = check_file(path, name, limits)
    if head.startswith(OLE2_MAGIC):
        refuse_ole2(path, name)
    if not head.startswith(ZIP_MAGIC):
        raise InputFileError(name, describe_non_workbook(head))
    check_zip(path, name, limits)
    check_no_dtd(path, name)


def check_workbook(path: Path, name: str, limits: Limits) -> None:
    """Everything an .xlsx must pass before openpyxl opens it (knowledge-base imports still use it)."""
    check_package(path, name, limits)
    check_merged_ranges(path, name, limits)


def check_no_dtd(path: Path, name: str) -> None:
    """Excel never writes a DTD; one in a workbook part can only be an entity-expansion (XML bomb)
    or external-entity attack, so refuse it before any XML parser sees it."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with zf.open(info) as fh:
                    head = fh.read(4096)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                raise InputFileError(name, f"the workbook is damaged (part '{info.filename}': {exc}); open it in "
                                           "Excel, save it again as .xlsx and upload it again") from None
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise InputFileError(name, f"part '{info.filename}' declares XML entities (a DTD), which Excel "
                                           "never writes: refusing a possible XML bomb. Ask the sender for a "
                                           "copy saved by Excel.")


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Za-z]{1,3}\d{1,7}(?::[A-Za-z]{1,3}\d{1,7})?)"')
MAX_MERGED_CELLS = 2_000_000


def check_merged_ranges(path: Path, name: str, limits: Limits) -> None:
    """openpyxl makes one object per cell of a merged range: a merge over a whole sheet
    (A1:XFD1048576) would take gigabytes. Sum the merged areas from the raw XML first."""
    from openpyxl.utils.cell import range_boundaries  # only knowledge-base imports (openpyxl) come here

    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            total, tail = 0, b""
            with zf.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    data = tail + chunk
                    for match in _MERGE.finditer(data):
                        if match.end() <= len(tail):
                            continue  # wholly inside the overlap: counted with the previous chunk
                        ref = match.group(1).decode()
                        min_col, min_row, max_col, max_row = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
                        rows, cols = max_row - min_row + 1, max_col - min_col + 1
                        if rows > limits.max_rows or cols > limits.max_columns:
                            raise LimitExceeded(name, f"a merged range ({ref}) spans {rows:,} rows and {cols:,} "
                                                      "columns, beyond the row/column limits; unmerge it in Excel "
                                                      "and save again")
                        total += rows * cols
                    tail = data[-200:]
            if total > MAX_MERGED_CELLS:
                raise LimitExceeded(name, f"merged ranges in part '{info.filename}' cover {total:,} cells, above "
                                          f"the limit of {MAX_MERGED_CELLS:,}; unmerge them in Excel and save again")
