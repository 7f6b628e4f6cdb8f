"""Copying a zip entry with its original compressed bytes.

Re-deflating an untouched part gives the same content but other compressed bytes, so nobody could
compare the filled workbook's entries with the original's. Python's zipfile has no public way to
write an already-compressed stream, so this reads the entry's compressed bytes from the source file
(local header at ``header_offset``, then exactly ``compress_size`` bytes) and appends them to the
output the way ``ZipFile.mkdir`` appends an entry (same header writer, same central directory).

The bytes are trusted only after zipfile itself has read the same entry through to its CRC check
(``verify``): that read goes through the same local header, so a damaged or lying entry fails there.
"""

from __future__ import annotations

import struct
import zipfile
from typing import BinaryIO

_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # signature ... file name length, extra field length
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED = 0x1
_UTF8_NAME = 0x800
_CHUNK = 1 << 20


def verify(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Inflate the entry to its end (zipfile checks the CRC there); raises what zipfile raises."""
    with zf.open(info) as fh:
        while fh.read(_CHUNK):
            pass


def compressed_bytes(src: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """The entry's compressed data exactly as stored in ``src``."""
    src.seek(info.header_offset)
    header = src.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[2] & _ENCRYPTED:
        raise zipfile.BadZipFile(f"{info.filename} is encrypted")
    src.seek(fields[9] + fields[10], 1)  # the name and extra field
    data = src.read(info.compress_size)
    if len(data) != info.compress_size:
        raise zipfile.BadZipFile(f"{info.filename} is truncated")
    return data


_WRITER_PARTS = ("_lock", "_seekable", "_writecheck", "_didModify", "fp", "start_dir", "filelist", "NameToInfo")


def can_copy(out: zipfile.ZipFile) -> bool:
    """Does this Python's ZipFile have the internals ``copy_compressed`` uses (3.11 to 3.14 do)?"""
    return all(hasattr(out, name) for name in _WRITER_PARTS)


def copy_compressed(out: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes) -> None:
    """Append an entry to ``out`` (open for writing) whose compressed bytes are ``data``, as in ``info``."""
    zi = zipfile.ZipInfo(info.filename, info.date_time)
    zi.compress_type = info.compress_type
    zi.external_attr = info.external_attr
    zi.create_system = info.create_system
    zi.comment = info.comment
    # Bits about the data itself (deflate level hints, LZMA end marker) stay; the data-descriptor bit
    # does not: sizes and CRC go in the local header, as zipfile writes them.
    zi.flag_bits = info.flag_bits & ~(0x8 | _ENCRYPTED | _UTF8_NAME)
    zi.CRC = info.CRC
    zi.compress_size = len(data)
    zi.file_size = info.file_size
    zip64 = zi.file_size > zipfile.ZIP64_LIMIT or zi.compress_size > zipfile.ZIP64_LIMIT
    with out._lock:  # what ZipFile.mkdir does for an entry it writes whole
        if out._seekable:
            out.fp.seek(out.start_dir)
        zi.header_offset = out.fp.tell()
        out._writecheck(zi)
        out._didModify = True
        out.fp.write(zi.FileHeader(zip64))
        out.fp.write(data)
        out.filelist.append(zi)
        out.NameToInfo[zi.filename] = zi
        out.start_dir = out.fp.tell()
