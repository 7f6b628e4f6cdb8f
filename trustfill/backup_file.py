"""The backup file: its layout, its signature, and reading it back with bounded memory.

A backup is a zip of

* ``tables/<table>.jsonl``: a header line ``{"table": ..., "columns": [...]}`` then one JSON array
  per row, one row per line (read back line by line, each line capped: a table of any size never
  sits in memory, and a 600 KB zip that inflates to gigabytes is refused at the cap, not loaded);
* ``uploads/<stored name>``: the customer files, byte for byte;
* ``manifest.json``: who made it and when, row counts, and the SHA-256 and size of every entry;
* ``manifest.sig``: HMAC-SHA256 of ``manifest.json`` under the backup key.

The backup key never travels in the backup. It is ``TRUSTFILL_BACKUP_KEY`` when set, else
``<home>/backup.key``, generated (0600) the first time a backup is made or checked. A restore on
another machine needs that key (copy the file, or set the variable); a backup whose manifest was
edited, or whose entries do not match their digests, is refused (``--trust-unsigned`` accepts a
missing or foreign signature, never a broken digest). Backups made before signing
(format version 1, ``tables/<table>.json``) restore only with ``--trust-unsigned``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import secrets
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from trustfill import config
from trustfill.errors import ConfigError, InputFileError

FORMAT = "trustfill-backup"
FORMAT_VERSION = 2
KEY_ENV = "TRUSTFILL_BACKUP_KEY"
KEY_FILE = "backup.key"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
MAX_MANIFEST_BYTES = 16 << 20  # the manifest lists one digest per entry; 16 MB is ~100,000 entries
MAX_LINE_BYTES = 16 << 20  # one row as JSON: a question's text, answer and layout are far below this
_V1_ROWS_OPENER = ', "rows": ['  # version 1 wrote `{"table": .., "columns": [..], "rows": [` then a row per line


class BadBackup(InputFileError):
    """The file is not a backup this Trustfill can restore (corrupt, tampered, too large)."""

    def __init__(self, path: object, problem: str):
        super().__init__(path, f"not a usable Trustfill backup: {problem}.")


# ---------------------------------------------------------------- the key and the signature

def backup_key() -> bytes:
    """TRUSTFILL_BACKUP_KEY, else the key file in the home, created (0600) on first use."""
    given = os.environ.get(KEY_ENV, "").strip()
    if given:
        if len(given) < 16:
            raise ConfigError(f"{KEY_ENV} is too short to sign backups: use at least 16 characters "
                              "(e.g. the contents of another Trustfill's backup.key).")
        return given.encode("utf-8")
    path = config.home() / KEY_FILE
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: read theirs
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the backup key {path}: {exc}. Restore that file, or set {KEY_ENV}.") from exc
    if len(key) < 16:
        raise ConfigError(f"The backup key {path} is empty or damaged. Restore it from your copy, or set {KEY_ENV}.")
    return key.encode("utf-8")


def key_id(key: bytes) -> str:
    """A short public name for a key, so an error can say a backup was signed with another one."""
    return hashlib.sha256(b"trustfill backup key id:" + key).hexdigest()[:16]


def sign(manifest: bytes, key: bytes) -> str:
    return hmac.new(key, manifest, hashlib.sha256).hexdigest()


def signature_status(zf: zipfile.ZipFile, manifest: bytes, key: bytes) -> str:
    """'valid', 'missing' or 'mismatch'."""
    try:
        given = read_small(zf, SIGNATURE, 1024).decode("ascii", "replace").strip()
    except KeyError:
        return "missing"
    return "valid" if hmac.compare_digest(given, sign(manifest, key)) else "mismatch"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_small(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """An entry known to be small, read whole but never beyond ``limit`` bytes (KeyError if absent)."""
    with zf.open(name) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{name} is larger than {limit} bytes")
    return data


# ---------------------------------------------------------------- writing

class HashingWriter(io.RawIOBase):
    """Passes bytes to a zip entry while counting and hashing them for the manifest."""

    def __init__(self, raw: IO[bytes]):
        self.raw, self.digest, self.size = raw, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.raw.write(data)
        return len(data)


# ---------------------------------------------------------------- reading, bounded

class EntryReader:
    """Lines of one zip entry, each capped, with the entry's digest and size checked at the end."""

    def __init__(self, src: Path, zf: zipfile.ZipFile, name: str, *, expected: dict | None,
                 max_bytes: int):
        self.src, self.name, self.expected, self.max_bytes = src, name, expected, max_bytes
        self.fh = io.BufferedReader(zf.open(name), 1 << 20)
        self.digest, self.size = hashlib.sha256(), 0

    def lines(self) -> Iterator[bytes]:
        with self.fh:
            while True:
                line = self.fh.readline(MAX_LINE_BYTES + 1)
                if not line:
                    break
                self.digest.update(line)
                self.size += len(line)
                if len(line) > MAX_LINE_BYTES:
                    raise BadBackup(self.src, f"{self.name} has a line longer than {MAX_LINE_BYTES:,} bytes")
                if self.size > self.max_bytes:
                    raise BadBackup(self.src, f"{self.name} unpacks to more than {self.max_bytes:,} bytes (the "
                                              "max_backup_table_bytes limit)")
                yield line
        self.check()

    def check(self) -> None:
        if self.expected is None:
            return
        if self.size != self.expected.get("bytes") or self.digest.hexdigest() != self.expected.get("sha256"):
            raise BadBackup(self.src, f"{self.name} does not match its SHA-256 digest in the manifest "
                                      "(the backup was changed or damaged)")


def table_rows(reader: EntryReader, table: str, version: int) -> tuple[list[str], Iterator[list]]:
    """The column names of a table entry, and an iterator over its rows (JSON arrays)."""
    lines = reader.lines()
    first = next(lines, b"").strip()
    if version == 1:
        if not first.endswith(_V1_ROWS_OPENER.encode()):
            raise BadBackup(reader.src, f"{reader.name} is not laid out as `trustfill backup` writes it")
        first = first[:-len(_V1_ROWS_OPENER)] + b"}"
    header = json.loads(first) if first else None
    if not isinstance(header, dict) or header.get("table") != table or not isinstance(header.get("columns"), list) \
            or not all(isinstance(c, str) for c in header["columns"]):
        raise BadBackup(reader.src, f"{reader.name} does not start with the table's name and columns")
    columns = header["columns"]

    def rows() -> Iterator[list]:
        ended = False
        for number, line in enumerate(lines, start=2):
            text = line.strip()
            if version == 1:
                if text == b"]}":
                    ended = True
                    continue
                text = text.removesuffix(b",")
            if not text:
                continue
            if ended:
                raise BadBackup(reader.src, f"{reader.name} line {number}: data after the end of the rows")
            try:
                row = json.loads(text)
            except ValueError as exc:
                raise BadBackup(reader.src, f"{reader.name} line {number} is not JSON ({exc})") from exc
            if not isinstance(row, list) or len(row) != len(columns):
                raise BadBackup(reader.src, f"{reader.name} line {number} is not a row of {len(columns)} values")
            yield row
        if version == 1 and not ended:
            raise BadBackup(reader.src, f"{reader.name} is cut short")

    return columns, rows()
