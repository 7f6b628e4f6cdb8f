"""Backup and restore, of the service layer (``BackupOps``, mixed into ``trustfill.service.Service``).

The file's layout, its signature and the bounded reading of it are in ``trustfill.backup_file``;
here is what goes in (one consistent snapshot) and how it comes back (checked, then loaded in one
transaction, so a refused backup leaves the database exactly as it was).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from trustfill import __version__, backup_file, config
from trustfill.db import SCHEMA_VERSION, audit_log, utcnow
from trustfill.db import questionnaires as q_table
from trustfill.errors import InputFileError, TrustfillError
from trustfill.lifecycle import _SAFE_UPLOAD, _count, _data_tables


@dataclass
class BackupResult:
    path: Path
    tables: dict[str, int]
    files: int
    missing_files: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    path: Path
    tables: dict[str, int]
    files: int
    replaced: dict[str, int] = field(default_factory=dict)  # rows that were there before (--force)
    signature: str = "valid"  # valid | missing | mismatch (the last two only with trust_unsigned)
    sha256: str = ""  # of the backup file, as recorded in the restore's audit row


@dataclass
class _RestorePlan:
    manifest: dict
    version: int  # backup format version
    signature: str
    tables: dict[str, str]  # table -> zip entry
    counts: dict[str, int]  # table -> rows, from the manifest
    uploads: dict[str, zipfile.ZipInfo]  # stored name -> zip entry
    files: dict[str, dict] | None  # entry -> {"sha256", "bytes"}; None for format 1


# ---------------------------------------------------------------- JSON in and out of table rows

def _to_json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _from_json(column: sa.Column, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, sa.DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, sa.Date):
        return dt.date.fromisoformat(value)
    return value


def _insert_rows(conn, table: sa.Table, rows) -> int:
    """Insert in batches of 1,000 rows or 16 MB, whichever comes first; returns the count."""
    batch, size, n = [], 0, 0
    for row in rows:
        batch.append(row)
        size += sum(len(v) for v in row.values() if isinstance(v, str))
        n += 1
        if len(batch) >= 1000 or size > 16 << 20:
            conn.execute(table.insert(), batch)
            batch, size = [], 0
    if batch:
        conn.execute(table.insert(), batch)
    return n


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


class BackupOps:
    def backup(self, dest: str | os.PathLike) -> BackupResult:
        """Everything the team holds, in one signed zip: every table as JSON Lines, plus the uploaded files.

        Written to a temporary file beside ``dest`` and renamed at the end, so a failed backup
        leaves nothing behind. The backup includes its own audit row. The layout and the
        signature are described in ``trustfill.backup_file``.
        """
        self.require("backup", "back up Trustfill")
        dest = Path(dest)
        if not dest.parent.is_dir():
            raise InputFileError(dest, f"folder {dest.parent} does not exist.")
        if dest.is_dir():
            raise InputFileError(dest, "is a folder; give a file name such as trustfill-backup.zip.")
        key = backup_file.backup_key()
        fd, tmp_name = tempfile.mkstemp(prefix=".tf-backup-", suffix=".zip", dir=dest.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        counts: dict[str, int] = {}
        digests: dict[str, dict] = {}
        stored_files: list[str] = []
        missing: list[str] = []
        try:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf, self._snapshot() as conn:
                self.audit(conn, "backup", "database", "", file=dest.name)
                for table in _data_tables():
                    entry = f"tables/{table.name}.jsonl"
                    with zf.open(entry, "w", force_zip64=True) as raw:
                        out = backup_file.HashingWriter(raw)
                        counts[table.name] = self._dump_table(conn, table, out)
                    digests[entry] = {"sha256": out.digest.hexdigest(), "bytes": out.size}
                stored_files = [r[0] for r in conn.execute(sa.select(q_table.c.stored_file))]
                for name in stored_files:
                    try:
                        src = config.upload_path(name)
                    except config.UnsafeStoredPath:
                        src = None
                    if src is None or not src.is_file():
                        missing.append(name)
                        continue
                    zf.write(src, f"uploads/{name}")
                    digests[f"uploads/{name}"] = {"sha256": backup_file.file_sha256(src), "bytes": src.stat().st_size}
                manifest = json.dumps({
                    "format": backup_file.FORMAT, "format_version": backup_file.FORMAT_VERSION,
                    "schema_version": SCHEMA_VERSION, "trustfill_version": __version__,
                    "created_at": utcnow().isoformat(), "created_by": self.actor.username,
                    "tables": counts, "missing_files": missing, "files": digests,
                    "key_id": backup_file.key_id(key)}, indent=2).encode("utf-8")
                zf.writestr(backup_file.MANIFEST, manifest)
                zf.writestr(backup_file.SIGNATURE, backup_file.sign(manifest, key) + "\n")
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return BackupResult(dest, counts, len(stored_files) - len(missing), missing)

    @contextmanager
    def _snapshot(self) -> Iterator[sa.Connection]:
        # One consistent view of every table: REPEATABLE READ on PostgreSQL; on SQLite the audit
        # insert that opens the transaction takes the write lock, so nothing changes meanwhile.
        if self.engine.dialect.name != "postgresql":
            with self.engine.begin() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @staticmethod
    def _dump_table(conn, table: sa.Table, out) -> int:
        columns = [c.name for c in table.columns]
        order = list(table.primary_key.columns) or list(table.columns)
        out.write(json.dumps({"table": table.name, "columns": columns}).encode() + b"\n")
        n = 0
        for row in conn.execution_options(yield_per=1000).execute(sa.select(table).order_by(*order)):
            out.write(json.dumps([_to_json(v) for v in row], ensure_ascii=False).encode("utf-8") + b"\n")
            n += 1
        return n

    # ---------------------------------------------------------------- restore
    def restore(self, src: str | os.PathLike, *, force: bool = False, trust_unsigned: bool = False) -> RestoreResult:
        """Load a backup into this database: an empty one, or (``force``) replacing all it holds.

        The backup must carry a valid signature under this Trustfill's backup key (or
        ``trust_unsigned``) and every entry must match its digest. Tables are streamed row by row
        within the limits; any problem is one error and the database is left exactly as it was.
        """
        self.require("backup", "restore Trustfill from a backup")
        src = Path(src)
        if not src.is_file():
            raise InputFileError(src, "file not found. Check the path.")
        self.sweep_leftovers()
        backup_digest = backup_file.file_sha256(src)
        try:
            zf = zipfile.ZipFile(src)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise InputFileError(src, f"not a Trustfill backup (not a readable zip: {_one_line(exc)}).") from exc
        uploads: dict[str, Path] = {}
        try:
            with zf:
                plan = self._check_backup(src, zf, trust_unsigned)
                uploads = self._extract_uploads(src, zf, plan)
                counts, held, old_files = self._load_backup(src, zf, plan, force=force, backup_digest=backup_digest)
        except BaseException as exc:
            for tmp in uploads.values():
                tmp.unlink(missing_ok=True)
            if isinstance(exc, TrustfillError) or not isinstance(exc, Exception):
                raise
            raise backup_file.BadBackup(src, f"{type(exc).__name__}: {_one_line(exc)}") from exc
        for name, tmp in uploads.items():
            os.replace(tmp, config.upload_path(name))
        for name in set(old_files) - set(uploads):
            config.remove_upload(name)  # never follows a stored path outside uploads/
        return RestoreResult(src, counts, len(uploads), held, signature=plan.signature, sha256=backup_digest)

    def _check_backup(self, src: Path, zf: zipfile.ZipFile, trust_unsigned: bool) -> _RestorePlan:
        """Read the manifest, check the signature and that the entries are exactly those listed."""
        def bad(problem: str) -> backup_file.BadBackup:
            return backup_file.BadBackup(src, problem)

        try:
            raw = backup_file.read_small(zf, backup_file.MANIFEST, backup_file.MAX_MANIFEST_BYTES)
        except KeyError:
            raise bad("no manifest.json (was it made by `trustfill backup`?)") from None
        try:
            manifest = json.loads(raw)
        except ValueError as exc:
            raise bad(f"manifest.json is unreadable ({_one_line(exc)})") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != backup_file.FORMAT:
            raise bad("manifest.json does not name the trustfill-backup format")
        version = manifest.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise bad(f"it was made by a newer Trustfill (schema {version}, this one has {SCHEMA_VERSION}); "
                      "upgrade Trustfill first")
        fmt = manifest.get("format_version", 1)
        if fmt not in (1, backup_file.FORMAT_VERSION):
            raise bad(f"format version {fmt!r} is not one this Trustfill reads (upgrade Trustfill?)")
        key = backup_file.backup_key()
        signature = backup_file.signature_status(zf, raw, key)
        if signature != "valid" and not trust_unsigned:
            if signature == "missing":
                why = "it is not signed (made before backups were signed, or the signature was removed)"
            elif manifest.get("key_id") not in (None, backup_file.key_id(key)):
                why = (f"it was signed with another backup key (id {str(manifest.get('key_id'))[:16]}); set "
                       f"{backup_file.KEY_ENV} to that Trustfill's key (its backup.key)")
            else:
                why = "its signature does not match: the manifest was changed after the backup was made"
            raise bad(f"{why}. Restore it anyway only if you trust where it came from: --trust-unsigned")
        files = manifest.get("files") if fmt > 1 else None
        if fmt > 1 and not (isinstance(files, dict) and all(isinstance(v, dict) for v in files.values())):
            raise bad("manifest.json lists no digests")
        tables_counts = manifest.get("tables") or {}
        if not isinstance(tables_counts, dict) or not all(isinstance(n, int) and n >= 0
                                                          for n in tables_counts.values()):
            raise bad("manifest.json has no usable table counts")
        known = {t.name: t for t in _data_tables()}
        suffix = ".jsonl" if fmt > 1 else ".json"
        tables: dict[str, str] = {}
        uploads: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            name = info.filename
            if name in (backup_file.MANIFEST, backup_file.SIGNATURE) or info.is_dir():
                continue
            if name.startswith("uploads/"):
                stored = name[len("uploads/"):]
                if not _SAFE_UPLOAD.match(stored):  # never let a backup write outside uploads/
                    raise bad(f"unsafe file name '{name}'")
                uploads[stored] = info
            else:
                match = re.fullmatch(r"tables/([a-z_][a-z0-9_]*)" + re.escape(suffix), name)
                if not match:
                    raise bad(f"unexpected entry '{name}'")
                if match.group(1) not in known:
                    raise bad(f"unknown table '{match.group(1)}' (made by a newer Trustfill?)")
                tables[match.group(1)] = name
            if files is not None and name not in files:
                raise bad(f"{name} is not listed in the manifest (added after the backup was made)")
        if files is not None:
            absent = sorted(set(files) - {i.filename for i in zf.infolist()})
            if absent:
                raise bad(f"{absent[0]} is listed in the manifest but missing (the backup is incomplete)")
        for name in tables_counts:
            if name not in tables:
                raise bad(f"table {name} is missing (the backup is incomplete)")
        return _RestorePlan(manifest=manifest, version=fmt, signature=signature, tables=tables,
                            counts=tables_counts, uploads=uploads, files=files)

    def _extract_uploads(self, src: Path, zf: zipfile.ZipFile, plan: _RestorePlan) -> dict[str, Path]:
        """Copy uploaded files to hidden temporary names in uploads/; renamed once the database commits."""
        out: dict[str, Path] = {}
        limit = self.limits.max_upload_bytes
        for name, info in plan.uploads.items():
            tmp = config.staged_upload("restore", name)
            out[name] = tmp
            digest, size = hashlib.sha256(), 0
            with zf.open(info) as fin, tmp.open("wb") as fout:
                for block in iter(lambda fin=fin: fin.read(1 << 20), b""):
                    size += len(block)
                    if size > limit:
                        raise backup_file.BadBackup(src, f"uploads/{name} is larger than the upload limit "
                                                         f"({limit:,} bytes)")
                    digest.update(block)
                    fout.write(block)
            expected = plan.files.get(f"uploads/{name}") if plan.files is not None else None
            if expected is not None and (expected.get("sha256") != digest.hexdigest() or expected.get("bytes") != size):
                raise backup_file.BadBackup(src, f"uploads/{name} does not match its SHA-256 digest in the manifest")
        return out

    def _load_backup(self, src: Path, zf: zipfile.ZipFile, plan: _RestorePlan, *, force: bool,
                     backup_digest: str) -> tuple[dict[str, int], dict[str, int], list[str]]:
        """Replace the database's data with the backup's, in one transaction."""
        counts: dict[str, int] = {}
        with self.tx() as conn:
            before = {t.name: _count(conn, t) for t in _data_tables()}
            old_files = [r[0] for r in conn.execute(sa.select(q_table.c.stored_file))]
            held = {name: n for name, n in before.items() if n and name != audit_log.name}
            if held and not force:
                listed = ", ".join(f"{n} {name}" for name, n in held.items())
                raise TrustfillError(f"The database is not empty ({listed}). Restore into a new "
                                     "database, or use --force to replace everything in it.")
            for table in reversed(_data_tables()):
                if table is not audit_log:  # append-only, even for a restore
                    conn.execute(table.delete())
            for table in _data_tables():
                entry = plan.tables.get(table.name)
                if entry is None:
                    continue
                reader = backup_file.EntryReader(
                    src, zf, entry, expected=plan.files.get(entry) if plan.files is not None else None,
                    max_bytes=self.limits.max_backup_table_bytes)
                columns, rows = backup_file.table_rows(reader, table.name, plan.version)
                unknown = sorted(set(columns) - set(table.columns.keys()))
                if unknown:
                    raise backup_file.BadBackup(src, f"table {table.name} has columns this Trustfill does not "
                                                     f"know: {unknown}")
                rows = self._checked_rows(src, table, columns, rows, plan)
                if table is audit_log:
                    counts[table.name] = self._append_audit(conn, columns, rows)
                else:
                    counts[table.name] = _insert_rows(conn, table, rows)
                if table.name in plan.counts and plan.counts[table.name] != counts[table.name]:
                    raise backup_file.BadBackup(src, f"table {table.name} should have {plan.counts[table.name]} "
                                                     f"rows, it has {counts[table.name]} (the backup is incomplete)")
            self._reset_sequences(conn)
            manifest = plan.manifest
            self.audit(conn, "restore", "database", "", file=src.name, backup_sha256=backup_digest,
                       backup_created_by=str(manifest.get("created_by", ""))[:200],
                       backup_created_at=str(manifest.get("created_at", ""))[:40],
                       signature=plan.signature if plan.signature == "valid" else f"{plan.signature} (trusted)",
                       tables=counts, replaced=held)
        return counts, held, old_files

    def _checked_rows(self, src: Path, table: sa.Table, names: list[str], rows: Iterator[list],
                      plan: _RestorePlan) -> Iterator[dict]:
        """Rows as column dicts, with the row limit, and every stored file name checked."""
        columns = [table.c[name] for name in names]
        limit = self.limits.max_backup_rows
        for n, row in enumerate(rows, start=1):
            if n > limit:
                raise backup_file.BadBackup(src, f"table {table.name} has more than {limit:,} rows "
                                                 "(the max_backup_rows limit)")
            values = {c.name: _from_json(c, v) for c, v in zip(columns, row, strict=True)}
            if table is q_table:
                try:
                    config.upload_path(values.get("stored_file"))
                except config.UnsafeStoredPath:
                    raise backup_file.BadBackup(src, f"questionnaire {values.get('id')} names the stored file "
                                                     f"{str(values.get('stored_file'))[:200]!r}, which is not a "
                                                     "file in the uploads folder") from None
            yield values

    @classmethod
    def _append_audit(cls, conn, columns: list[str], rows: Iterator[dict]) -> int:
        """Restore the backup's audit history without rewriting the one already here.

        Into an empty trail the rows go back with their IDs (an exact round trip). Rows already
        present (same ID and content: a backup of this very database) are skipped; any other
        row is appended after the existing ones with a new ID, in the backup's order.
        """
        key = ("at", "actor", "action", "object_type", "object_id")
        existing = {r.id: tuple(getattr(r, k) for k in key)
                    for r in conn.execute(sa.select(audit_log.c.id, *(audit_log.c[k] for k in key)))}
        if not existing:
            return _insert_rows(conn, audit_log, rows)
        n = 0

        def fresh() -> Iterator[dict]:
            nonlocal n
            for r in rows:
                n += 1
                if existing.get(r.get("id")) != tuple(r.get(k) for k in key):
                    yield {k: v for k, v in r.items() if k != "id"}

        _insert_rows(conn, audit_log, fresh())
        return n

    @staticmethod
    def _reset_sequences(conn) -> None:
        # PostgreSQL hands out serial IDs from a sequence that explicit inserts do not advance;
        # without this the next upload after a restore would collide with a restored ID.
        if conn.dialect.name != "postgresql":
            return
        for table in _data_tables():
            pk = list(table.primary_key.columns)
            if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and pk[0].autoincrement in (True, "auto"):
                conn.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                    f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"))
