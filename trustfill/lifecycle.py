"""Data lifecycle of the service layer: limits and retention settings, purge, backup and restore.

Mixed into ``trustfill.service.Service`` (``LifecycleOps``). What Trustfill stores, where, for how
long and how to delete it is written down in docs/SECURITY.md; this module is what makes it true.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from trustfill import __version__, config
from trustfill.config import LIMITS_SETTING, Limits
from trustfill.db import SCHEMA_VERSION, audit_log, metadata, utcnow
from trustfill.db import questionnaires as q_table
from trustfill.db import questions as questions_table
from trustfill.db import settings as settings_table
from trustfill.errors import ConfigError, InputFileError, TrustfillError

RETENTION_SETTING = "retention_days"
BACKUP_FORMAT = "trustfill-backup"
BACKUP_FORMAT_VERSION = 1
_SAFE_UPLOAD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")  # a stored name, never a path
INCOMING_MAX_AGE = dt.timedelta(days=1)  # an app upload staged but never submitted is dropped after this
_LIMITS_TTL = 10.0  # seconds a service trusts the limits it read from the settings table


@dataclass
class PurgeResult:
    cutoff: dt.datetime
    questionnaires: list[dict] = field(default_factory=list)  # id, name, last_activity
    dry_run: bool = False
    abandoned_uploads: list[str] = field(default_factory=list)  # staged by the app, never submitted


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


def _data_tables() -> list[sa.Table]:
    """Every table holding the team's data, parents before children (schema_version is not data)."""
    return [t for t in metadata.sorted_tables if t.name != "schema_version"]


def _count(conn, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)


class LifecycleOps:
    # ---------------------------------------------------------------- limits (a setting)
    # ServiceBase assigns ``self.limits``; this property keeps what was given and merges in the
    # settings table, so every reader of ``self.limits`` sees the admin's limits.
    @property
    def limits(self) -> Limits:
        given: Limits = self.__dict__.get("_limits_given") or Limits()
        cached = self.__dict__.get("_limits_cache")
        if cached and time.monotonic() - cached[0] < _LIMITS_TTL:
            return cached[1]
        merged = Limits.from_sources(self._stored_setting(LIMITS_SETTING) or {},
                                     **given.model_dump(include=given.model_fields_set))
        self.__dict__["_limits_cache"] = (time.monotonic(), merged)
        return merged

    @limits.setter
    def limits(self, value: Limits | None) -> None:
        self.__dict__["_limits_given"] = value
        self.__dict__.pop("_limits_cache", None)

    def _stored_setting(self, key: str) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(settings_table.c.value).where(settings_table.c.key == key)).first()
        return row[0] if row else None

    def _store_setting(self, conn, key: str, value: Any) -> None:
        conn.execute(settings_table.delete().where(settings_table.c.key == key))
        if value is not None:
            conn.execute(settings_table.insert().values(key=key, value=value))

    def stored_limits(self) -> dict:
        """The limits an admin changed (the settings table), without environment or defaults."""
        self.require("read")
        return dict(self._stored_setting(LIMITS_SETTING) or {})

    def set_limits(self, **values: Any) -> Limits:
        """Change limits in the settings table; a value of None goes back to the default."""
        self.require("settings", "change settings")
        unknown = sorted(set(values) - set(Limits.model_fields))
        if unknown:
            raise ConfigError(f"Unknown limit {', '.join(unknown)}. "
                              f"Limits: {', '.join(Limits.model_fields)}.")
        stored = self.stored_limits()
        stored.update(values)
        stored = {k: v for k, v in stored.items() if v is not None}
        checked = Limits.from_sources(stored)  # raises ConfigError on a bad value
        stored = {k: getattr(Limits.model_validate({k: v}), k) for k, v in stored.items()}
        with self.tx() as conn:
            self._store_setting(conn, LIMITS_SETTING, stored or None)
            self.audit(conn, "settings_change", "settings", LIMITS_SETTING, values=values)
        self.__dict__.pop("_limits_cache", None)
        return checked

    # ---------------------------------------------------------------- retention
    def retention_days(self) -> int | None:
        self.require("read")
        value = self._stored_setting(RETENTION_SETTING)
        return int(value) if value is not None else None

    def set_retention_days(self, days: int | None) -> None:
        """Questionnaires untouched for this many days are purged by `trustfill purge`; None: keep them."""
        self.require("settings", "change settings")
        if days is not None and days < 1:
            raise ConfigError(f"The retention period must be at least 1 day, not {days}.")
        with self.tx() as conn:
            self._store_setting(conn, RETENTION_SETTING, days)
            self.audit(conn, "settings_change", "settings", RETENTION_SETTING, values={"days": days})

    def purge(self, *, older_than_days: int | None = None, dry_run: bool = False) -> PurgeResult:
        """Delete every questionnaire with no activity (upload, matching, review) for N days.

        N is ``older_than_days`` or the retention setting. Everything derived goes with it, as in
        ``delete_questionnaire``; the audit keeps which IDs went, by whom and when, never content.
        """
        self.require("purge", "purge questionnaires")
        days = older_than_days if older_than_days is not None else self.retention_days()
        if days is None:
            raise ConfigError("No retention period is set: give --older-than DAYS, or set one with "
                              "`trustfill retention DAYS`.")
        if days < 0:
            raise ConfigError(f"--older-than must be 0 days or more, not {days}.")
        cutoff = utcnow() - dt.timedelta(days=days)
        result = PurgeResult(cutoff=cutoff, dry_run=dry_run)
        result.abandoned_uploads = self._abandoned_uploads(remove=not dry_run)
        with self.tx() as conn:
            latest_review = dict(conn.execute(
                sa.select(questions_table.c.questionnaire_id, sa.func.max(questions_table.c.updated_at))
                .group_by(questions_table.c.questionnaire_id)).all())
            rows = conn.execute(sa.select(q_table.c.id, q_table.c.name, q_table.c.stored_file,
                                          q_table.c.created_at, q_table.c.matched_at)).all()
            doomed = []
            for row in rows:
                last = max(d for d in (row.created_at, row.matched_at, latest_review.get(row.id)) if d)
                if last < cutoff:
                    doomed.append(row)
                    result.questionnaires.append({"id": row.id, "name": row.name, "last_activity": last})
            if dry_run or not doomed:
                return result
            ids = [r.id for r in doomed]
            conn.execute(questions_table.delete().where(questions_table.c.questionnaire_id.in_(ids)))
            conn.execute(q_table.delete().where(q_table.c.id.in_(ids)))
            for qid in ids:
                self.audit(conn, "questionnaire_delete", "questionnaire", qid, via="purge")
            self.audit(conn, "purge", "questionnaire", "", days=days, cutoff=cutoff, questionnaires=ids)
        for row in doomed:
            self._remove_files(row.id, row.stored_file)
        return result

    @staticmethod
    def _abandoned_uploads(*, remove: bool) -> list[str]:
        """Files the app staged in incoming/ while a user looked at the layout, then left behind."""
        folder = config.home() / "incoming"
        if not folder.is_dir():
            return []
        too_old = time.time() - INCOMING_MAX_AGE.total_seconds()
        stale = [p for p in folder.iterdir() if p.is_file() and p.stat().st_mtime < too_old]
        if remove:
            for p in stale:
                p.unlink(missing_ok=True)
        return sorted(p.name for p in stale)

    def _remove_files(self, qid: int, stored_file: str) -> None:
        if stored_file and _SAFE_UPLOAD.match(stored_file):
            (config.uploads_dir() / stored_file).unlink(missing_ok=True)
        for f in config.exports_dir().glob(f"q{qid}-*"):
            f.unlink(missing_ok=True)

    # ---------------------------------------------------------------- backup
    def backup(self, dest: str | os.PathLike) -> BackupResult:
        """Everything the team holds, in one zip: every table as JSON, plus the uploaded files.

        Written to a temporary file beside ``dest`` and renamed at the end, so a failed backup
        leaves nothing behind. The backup includes its own audit row.
        """
        self.require("backup", "back up Trustfill")
        dest = Path(dest)
        if not dest.parent.is_dir():
            raise InputFileError(dest, f"folder {dest.parent} does not exist.")
        if dest.is_dir():
            raise InputFileError(dest, "is a folder; give a file name such as trustfill-backup.zip.")
        fd, tmp_name = tempfile.mkstemp(prefix=".tf-backup-", suffix=".zip", dir=dest.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        counts: dict[str, int] = {}
        stored_files: list[str] = []
        try:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf, self._snapshot() as conn:
                self.audit(conn, "backup", "database", "", file=dest.name)
                for table in _data_tables():
                    counts[table.name] = self._dump_table(conn, table, zf)
                stored_files = [r[0] for r in conn.execute(sa.select(q_table.c.stored_file))]
                missing = []
                for name in stored_files:
                    src = config.uploads_dir() / name
                    if _SAFE_UPLOAD.match(name) and src.is_file():
                        zf.write(src, f"uploads/{name}")
                    else:
                        missing.append(name)
                zf.writestr("manifest.json", json.dumps({
                    "format": BACKUP_FORMAT, "format_version": BACKUP_FORMAT_VERSION,
                    "schema_version": SCHEMA_VERSION, "trustfill_version": __version__,
                    "created_at": utcnow().isoformat(), "created_by": self.actor.username,
                    "tables": counts, "missing_files": missing}, indent=2))
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
    def _dump_table(conn, table: sa.Table, zf: zipfile.ZipFile) -> int:
        columns = [c.name for c in table.columns]
        order = list(table.primary_key.columns) or list(table.columns)
        n = 0
        with zf.open(f"tables/{table.name}.json", "w") as raw:
            raw.write(json.dumps({"table": table.name, "columns": columns})[:-1].encode() + b', "rows": [\n')
            for row in conn.execution_options(yield_per=1000).execute(sa.select(table).order_by(*order)):
                line = json.dumps([_to_json(v) for v in row], ensure_ascii=False)
                raw.write(((",\n" if n else "") + line).encode("utf-8"))
                n += 1
            raw.write(b"\n]}\n")
        return n

    # ---------------------------------------------------------------- restore
    def restore(self, src: str | os.PathLike, *, force: bool = False) -> RestoreResult:
        """Load a backup into this database: an empty one, or (``force``) replacing all it holds."""
        self.require("backup", "restore Trustfill from a backup")
        src = Path(src)
        if not src.is_file():
            raise InputFileError(src, "file not found. Check the path.")
        try:
            zf = zipfile.ZipFile(src)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputFileError(src, f"not a Trustfill backup (not a readable zip: {exc}).") from exc
        with zf:
            manifest, tables = self._read_backup(src, zf)
            uploads = self._extract_uploads(src, zf)
            try:
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
                        if table is audit_log:
                            self._append_audit(conn, tables.get(table.name))
                        else:
                            self._load_table(conn, table, tables.get(table.name))
                    self._reset_sequences(conn)
                    self.audit(conn, "restore", "database", "", file=src.name,
                               backup_created_at=manifest.get("created_at"),
                               tables={t: len(tables[t]["rows"]) for t in tables}, replaced=held)
            except BaseException:
                for tmp in uploads.values():
                    tmp.unlink(missing_ok=True)
                raise
        for name, tmp in uploads.items():
            os.replace(tmp, config.uploads_dir() / name)
        for name in set(old_files) - set(uploads):
            if _SAFE_UPLOAD.match(name or ""):
                (config.uploads_dir() / name).unlink(missing_ok=True)
        return RestoreResult(src, {t: len(tables[t]["rows"]) for t in tables}, len(uploads), held)

    @staticmethod
    def _read_backup(src: Path, zf: zipfile.ZipFile) -> tuple[dict, dict[str, dict]]:
        def bad(problem: str) -> InputFileError:
            return InputFileError(src, f"not a usable Trustfill backup: {problem}.")

        try:
            manifest = json.loads(zf.read("manifest.json"))
        except KeyError:
            raise bad("no manifest.json (was it made by `trustfill backup`?)") from None
        except (ValueError, zipfile.BadZipFile, OSError) as exc:
            raise bad(f"manifest.json is unreadable ({exc})") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
            raise bad("manifest.json does not name the trustfill-backup format")
        version = manifest.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise bad(f"it was made by a newer Trustfill (schema {version}, this one has {SCHEMA_VERSION}); "
                      "upgrade Trustfill first")
        known = {t.name: t for t in _data_tables()}
        tables: dict[str, dict] = {}
        for info in zf.infolist():
            name = info.filename
            if name == "manifest.json" or (name.startswith("uploads/") and not info.is_dir()):
                continue
            match = re.fullmatch(r"tables/([a-z_][a-z0-9_]*)\.json", name)
            if not match:
                raise bad(f"unexpected entry '{name}'")
            table = known.get(match.group(1))
            if table is None:
                raise bad(f"unknown table '{match.group(1)}' (made by a newer Trustfill?)")
            try:
                data = json.loads(zf.read(info))
            except (ValueError, zipfile.BadZipFile, OSError) as exc:
                raise bad(f"{name} is unreadable ({exc})") from exc
            if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
                raise bad(f"{name} has no rows list")
            extra = set(data.get("columns") or []) - set(table.columns.keys())
            if extra:
                raise bad(f"table {table.name} has columns this Trustfill does not know: {sorted(extra)}")
            tables[table.name] = data
        for name, n in (manifest.get("tables") or {}).items():
            if name not in tables or len(tables[name]["rows"]) != n:
                raise bad(f"table {name} should have {n} rows (the backup is incomplete)")
        return manifest, tables

    @staticmethod
    def _extract_uploads(src: Path, zf: zipfile.ZipFile) -> dict[str, Path]:
        """Copy uploaded files to hidden temporary names in uploads/; renamed once the database commits."""
        out: dict[str, Path] = {}
        try:
            for info in zf.infolist():
                if not info.filename.startswith("uploads/") or info.is_dir():
                    continue
                name = info.filename[len("uploads/"):]
                if not _SAFE_UPLOAD.match(name):  # never let a backup write outside uploads/
                    raise InputFileError(src, f"not a usable Trustfill backup: unsafe file name "
                                              f"'{info.filename}'.")
                tmp = config.uploads_dir() / f".restore-{uuid.uuid4().hex}"
                out[name] = tmp
                with zf.open(info) as fin, tmp.open("wb") as fout:
                    shutil.copyfileobj(fin, fout, 1 << 20)
        except BaseException:
            for tmp in out.values():
                tmp.unlink(missing_ok=True)
            raise
        return out

    @staticmethod
    def _load_table(conn, table: sa.Table, data: dict | None) -> None:
        if not data or not data["rows"]:
            return
        columns = [table.c[name] for name in data["columns"]]
        batch = []
        for row in data["rows"]:
            batch.append({c.name: _from_json(c, v) for c, v in zip(columns, row, strict=True)})
            if len(batch) >= 1000:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)

    @classmethod
    def _append_audit(cls, conn, data: dict | None) -> None:
        """Restore the backup's audit history without rewriting the one already here.

        Into an empty trail the rows go back with their IDs (an exact round trip). Rows already
        present (same ID and content: a backup of this very database) are skipped; any other
        row is appended after the existing ones with a new ID, in the backup's order.
        """
        if not data or not data["rows"]:
            return
        columns = [audit_log.c[name] for name in data["columns"]]
        rows = [{c.name: _from_json(c, v) for c, v in zip(columns, row, strict=True)} for row in data["rows"]]
        key = ("at", "actor", "action", "object_type", "object_id")
        existing = {r.id: tuple(getattr(r, k) for k in key)
                    for r in conn.execute(sa.select(audit_log.c.id, *(audit_log.c[k] for k in key)))}
        if not existing:
            cls._load_table(conn, audit_log, data)
            return
        fresh = [{k: v for k, v in r.items() if k != "id"} for r in rows
                 if existing.get(r.get("id")) != tuple(r.get(k) for k in key)]
        for start in range(0, len(fresh), 1000):
            conn.execute(audit_log.insert(), fresh[start:start + 1000])

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
