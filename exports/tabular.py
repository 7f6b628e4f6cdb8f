"""Filling a CSV questionnaire: same encoding, delimiter, quoting and line endings as the original.

Cells are addressed as in a spreadsheet that opened the CSV: "C10" is the third field of the tenth
record (records, not lines: a quoted field may span lines). Records that receive no answer are copied
byte for byte; a changed record is re-written with the file's own delimiter by the one safe CSV writer
(exports.safe_csv): every field quoted, and the answers neutralised against formula injection.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from exports.atomic import atomic_output, check_paths
from exports.cells import parse_ref
from exports.model import CellWrite, SkippedWrite, WriteResult
from exports.safe_csv import neutralise, record
from exports.text import strip_illegal
from trustfill.config import Limits
from trustfill.errors import InputFileError, LimitExceeded
from trustfill.intake.csv_reader import sniff_delimiter

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r|$)")


def _decode(path: Path, raw: bytes) -> tuple[str, str, bytes]:
    """Text, codec and byte-order mark, decoded the way intake read it so cell addresses agree."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(codec), codec, bom
            except UnicodeDecodeError as exc:
                raise InputFileError(path, f"the CSV is not valid {codec} text. Save it as CSV UTF-8 "
                                           "and try again.") from exc
    try:
        return raw.decode("utf-8"), "utf-8", b""
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252", b""
    except UnicodeDecodeError:
        # Bytes cp1252 leaves undefined: latin-1 maps every byte, so unchanged records survive exactly.
        return raw.decode("latin-1"), "latin-1", b""


def _dialect(text: str) -> type[csv.excel]:
    """The excel dialect with the delimiter intake detected (intake reads with that and nothing else)."""
    return type("QuestionnaireDialect", (csv.excel,), {"delimiter": sniff_delimiter(text)})


def _records(text: str, dialect) -> list[tuple[list[str], str]]:
    """Each record's fields and its exact source text (line ending included)."""
    lines = [m.group(0) for m in _LINE.finditer(text) if m.group(0)]
    reader = csv.reader(iter(lines), dialect)
    out = []
    used = 0
    for fields in reader:
        out.append((fields, "".join(lines[used:reader.line_num])))
        used = reader.line_num
    return out


def _line_ending(raw: str, default: str) -> str:
    for end in ("\r\n", "\n", "\r"):
        if raw.endswith(end):
            return end
    return default


def write_csv_cells(src: Path, dest: Path, writes: Sequence[CellWrite], *,
                    limits: Limits | None = None) -> WriteResult:
    """Copy a CSV questionnaire with ``writes`` made (their sheet names are ignored); atomic."""
    src, dest = Path(src), Path(dest)
    check_paths(src, dest)
    limits = limits or Limits()
    size = src.stat().st_size
    if size > limits.max_upload_bytes:
        raise LimitExceeded(src, f"file is {size:,} bytes, over the upload limit of "
                                 f"{limits.max_upload_bytes:,} bytes (setting max_upload_bytes).")
    text, encoding, bom = _decode(src, src.read_bytes())
    dialect = _dialect(text)
    try:
        records = _records(text, dialect)
    except csv.Error as exc:
        raise InputFileError(src, f"the CSV cannot be read ({exc}). Open it in a spreadsheet and save it "
                                  "as CSV again.") from exc
    default_end = _line_ending(records[0][1], "\r\n") if records else "\r\n"

    result = WriteResult(dest=dest)
    changes: dict[int, dict[int, tuple[CellWrite, str]]] = {}
    for w in writes:
        pos = parse_ref(w.cell)
        value = neutralise(strip_illegal(w.value))
        why = None
        if pos is None:
            why = "not a cell reference such as C10"
        elif pos[0] > limits.max_rows or pos[1] > limits.max_columns:
            why = "beyond the row/column limits (settings max_rows, max_columns)"
        else:
            try:
                value.encode(encoding)
            except UnicodeEncodeError:
                why = f"contains characters the file's encoding ({encoding}) cannot store"
        if why:
            result.skipped.append(SkippedWrite(sheet=w.sheet, cell=w.cell, value=w.value, reason=why))
            continue
        row_changes = changes.setdefault(pos[0], {})
        if pos[1] in row_changes:
            old = row_changes[pos[1]][0]
            result.skipped.append(SkippedWrite(sheet=old.sheet, cell=old.cell, value=old.value,
                                               reason="replaced by a later write to the same cell"))
        row_changes[pos[1]] = (w, value)

    width = max((len(f) for f, _ in records), default=0)
    original = len(records)
    records += [([""] * width, "") for _ in range(original, max(changes, default=0))]
    final_newline = text.endswith(("\n", "\r"))
    pieces = []
    for index, (fields, raw) in enumerate(records, start=1):
        row_changes = changes.get(index, {})
        if not row_changes and index <= original:
            pieces.append(raw)
            continue
        fields = list(fields)
        for col, (w, value) in sorted(row_changes.items()):
            fields += [""] * (col - len(fields))
            fields[col - 1] = value
            result.written.append(CellWrite(sheet=w.sheet, cell=w.cell, value=value))
        if pieces and not _line_ending(pieces[-1], ""):  # the old last line now has a successor
            pieces[-1] += default_end
        pieces.append(record(fields, dialect, _line_ending(raw, default_end)))
        if index == len(records) and not final_newline:
            pieces[-1] = pieces[-1].rstrip("\r\n")
    data = bom + "".join(pieces).encode(encoding)
    with atomic_output(dest) as fh:
        fh.write(data)
    return result
