"""Copying zip entries with their original compressed bytes (exports.zipcopy), and what write_cells does
with an entry that is damaged or lies about itself."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path

import pytest
from test_export_xlsx import build, sheet_xml

from exports import CellWrite, write_cells
from exports.zipcopy import compressed_bytes, copy_compressed, verify
from trustfill.errors import InputFileError


class _NoSeek(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors after each entry (flag bit 3)."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += b
        return len(b)


def _source(path: Path) -> Path:
    blob = os.urandom(3000) + b"x" * 50_000
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("stored.bin", (2020, 1, 2, 3, 4, 6)), blob)
        zf.writestr("deflated-9.xml", b"<a>" + b"text " * 20_000 + b"</a>", zipfile.ZIP_DEFLATED, 9)
        zf.writestr("deflated-1.xml", b"<b>" + b"more " * 20_000 + b"</b>", zipfile.ZIP_DEFLATED, 1)
        zf.writestr("xl/média/ünïcode.txt", "ünïcödé".encode(), zipfile.ZIP_DEFLATED)
        zf.writestr("empty.txt", b"", zipfile.ZIP_DEFLATED)
        zf.writestr("bz.txt", b"bzip2 " * 1000, zipfile.ZIP_BZIP2)
        zf.mkdir("folder")
    stream = _NoSeek()  # and one archive whose entries carry data descriptors
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("described.xml", b"<c>" + b"desc " * 10_000 + b"</c>")
    described = path.with_name("described.zip")
    described.write_bytes(bytes(stream.buf))
    return path


def _raw(path: Path, info: zipfile.ZipInfo) -> bytes:
    with path.open("rb") as fh:
        return compressed_bytes(fh, info)


def test_every_kind_of_entry_is_copied_with_its_compressed_bytes(tmp_path):
    src = _source(tmp_path / "src.zip")
    for archive in (src, tmp_path / "described.zip"):
        dest = tmp_path / f"copy-{archive.name}"
        with zipfile.ZipFile(archive) as zf, dest.open("wb") as out_fh, \
                zipfile.ZipFile(out_fh, "w") as out, archive.open("rb") as raw:
            for info in zf.infolist():
                verify(zf, info)
                copy_compressed(out, info, compressed_bytes(raw, info))
        with zipfile.ZipFile(archive) as a, zipfile.ZipFile(dest) as b:
            assert b.testzip() is None
            assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
            for ia, ib in zip(a.infolist(), b.infolist(), strict=True):
                assert (ib.CRC, ib.file_size, ib.compress_type, ib.date_time) == \
                       (ia.CRC, ia.file_size, ia.compress_type, ia.date_time), ia.filename
                assert _raw(dest, ib) == _raw(archive, ia), ia.filename
                assert b.read(ib) == a.read(ia)
                assert not ib.flag_bits & 0x8  # sizes are in the local header now
        if archive == tmp_path / "described.zip":
            with zipfile.ZipFile(archive) as a:
                assert a.infolist()[0].flag_bits & 0x8  # the case was really exercised


def _workbook_with_media(path: Path) -> Path:
    return build(path, {"S": sheet_xml("")}, parts={"xl/media/image1.bin": "PNG?" + "pixel" * 5000})


def _local_header_offset(path: Path, name: str) -> int:
    with zipfile.ZipFile(path) as zf:
        return zf.getinfo(name).header_offset


def test_a_damaged_untouched_part_is_a_clear_error_and_nothing_is_written(tmp_path):
    src = _workbook_with_media(tmp_path / "in.xlsx")
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo("xl/media/image1.bin")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF  # one flipped byte inside the compressed stream
    src.write_bytes(bytes(data))
    dest = tmp_path / "out.xlsx"
    with pytest.raises(InputFileError, match=r"part xl/media/image1\.bin of the workbook is damaged"):
        write_cells(src, dest, [CellWrite(sheet="S", cell="A1", value="Yes")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]


def test_a_local_header_naming_another_entry_is_refused(tmp_path):
    src = _workbook_with_media(tmp_path / "in.xlsx")
    data = bytearray(src.read_bytes())
    offset = _local_header_offset(src, "xl/media/image1.bin")
    name_len = struct.unpack("<H", data[offset + 26:offset + 28])[0]
    data[offset + 30:offset + 30 + name_len] = b"xl/media/image2.bin"  # same length, another name
    src.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match=r"part xl/media/image1\.bin of the workbook is damaged"):
        write_cells(src, tmp_path / "out.xlsx", [CellWrite(sheet="S", cell="A1", value="Yes")])
    assert not (tmp_path / "out.xlsx").exists()


def test_without_zipfile_internals_untouched_parts_are_re_deflated_with_the_same_content(tmp_path, monkeypatch):
    import exports.xlsx

    src = _workbook_with_media(tmp_path / "in.xlsx")
    monkeypatch.setattr(exports.xlsx, "can_copy", lambda out: False)
    dest = tmp_path / "out.xlsx"
    result = write_cells(src, dest, [CellWrite(sheet="S", cell="A1", value="Yes")])
    assert [w.cell for w in result.written] == ["A1"]
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dest) as b:
        assert b.testzip() is None
        assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
        assert b.read("xl/media/image1.bin") == a.read("xl/media/image1.bin")
