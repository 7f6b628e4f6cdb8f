"""Checks every uploaded spreadsheet passes before any parser touches it.

A hostile workbook can be a zip bomb (parts that inflate to gigabytes), a legacy or encrypted
OLE2 container, or not a spreadsheet at all. We read only the zip's central directory here:
declared sizes are summed and ratios checked before a single byte is inflated.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from trustfill.config import Limits
from trustfill.errors import InputFileError, LimitExceeded

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def check_size(path: Path, limits: Limits, name: str | None = None) -> None:
    name = name or str(path)
    if not path.exists():
        raise InputFileError(name, "file not found. Check the path.")
    if not path.is_file():
        raise InputFileError(name, "is not a file.")
    size = path.stat().st_size
    if size == 0:
        raise InputFileError(name, "the file is empty.")
    if size > limits.max_upload_bytes:
        raise LimitExceeded(name, f"file is {size:,} bytes, over the upload limit of "
                                  f"{limits.max_upload_bytes:,} bytes (setting max_upload_bytes).")


def check_zip(path: str | os.PathLike, limits: Limits, name: str | None = None) -> None:
    """Refuse anything that is not a plausible, bounded OOXML zip."""
    path = Path(path)
    name = name or str(path)
    check_size(path, limits, name)
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE2_MAGIC):
        if _is_encrypted_ooxml(path):
            raise InputFileError(name, "the workbook is password-protected (encrypted). Open it in Excel, "
                                       "remove the password (File > Info > Protect Workbook), save, and upload again.")
        raise InputFileError(name, "this is a legacy Excel 97-2003 (.xls) file. Open it in Excel or LibreOffice "
                                   "and save it as .xlsx, then upload again.")
    if not head.startswith(ZIP_MAGIC):
        raise InputFileError(name, "not an Excel workbook (.xlsx/.xlsm). Check you chose the right file, "
                                   "or save it from Excel as .xlsx.")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputFileError(name, f"the workbook is damaged or truncated ({exc}). Ask the sender for a new "
                                   "copy, or open and re-save it in Excel.") from exc
    if len(infos) > limits.max_zip_entries:
        raise LimitExceeded(name, f"the workbook has {len(infos):,} parts, over the limit of "
                                  f"{limits.max_zip_entries:,} (setting max_zip_entries).")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1_000_000 and ratio > limits.max_compression_ratio:
            raise LimitExceeded(name, f"part '{info.filename}' would inflate {ratio:,.0f}-fold "
                                      f"(limit {limits.max_compression_ratio:,.0f}): refusing a possible zip bomb.")
    if total > limits.max_inflated_bytes:
        raise LimitExceeded(name, f"the workbook would inflate to {total:,} bytes, over the limit of "
                                  f"{limits.max_inflated_bytes:,} (setting max_inflated_bytes).")
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise InputFileError(name, "this zip file is not an Excel workbook. Save it from Excel as .xlsx.")


def _is_encrypted_ooxml(path: Path) -> bool:
    # Encrypted OOXML is an OLE2 compound file whose directory holds "EncryptedPackage" (UTF-16LE).
    with path.open("rb") as fh:
        data = fh.read(1 << 20)
    return "EncryptedPackage".encode("utf-16-le") in data
