"""Data lifecycle of the service layer: limits and retention settings, purge, and sweeping what
killed processes left in uploads/. Backup and restore are in ``trustfill.backups``.

Mixed into ``trustfill.service.Service`` (``LifecycleOps``). What Trustfill stores, where, for how
long and how to delete it is written down in docs/SECURITY.md; this module is what makes it true.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from trustfill import config
from trustfill.config import LIMITS_SETTING, Limits
from trustfill.db import metadata, utcnow
from trustfill.db import questionnaires as q_table
from trustfill.db import questions as questions_table
from trustfill.db import settings as settings_table
from trustfill.errors import ConfigError

RETENTION_SETTING = "retention_days"
_SAFE_UPLOAD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")  # a stored name, never a path
INCOMING_MAX_AGE = dt.timedelta(days=1)  # an app upload staged but never submitted is dropped after this
_LIMITS_TTL = 10.0  # seconds a service trusts the limits it read from the settings table
_OTHER_HOST_GRACE = dt.timedelta(days=1)  # another replica's staged file: its process is not visible here


@dataclass
class PurgeResult:
    cutoff: dt.datetime
    questionnaires: list[dict] = field(default_factory=list)  # id, name, last_activity
    dry_run: bool = False
    abandoned_uploads: list[str] = field(default_factory=list)  # staged by the app, never submitted


def _data_tables() -> list[sa.Table]:
    """Every table holding the team's data, parents before children (schema_version is not data,
    nor the throttling state of sign-ins in progress)."""
    return [t for t in metadata.sorted_tables if t.name not in ("schema_version", "sign_in_throttle")]


def _process_gone(host: str, pid: int, path: Path) -> bool:
    """True when the process that wrote ``path`` no longer runs (another host's: when it is old)."""
    if host != config.HOST:
        return time.time() - path.stat().st_mtime > _OTHER_HOST_GRACE.total_seconds()
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


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
        result.abandoned_uploads += self.sweep_leftovers(remove=not dry_run)
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
        config.remove_upload(stored_file)  # never follows a stored path outside uploads/
        for f in config.exports_dir().glob(f"q{qid}-*"):
            f.unlink(missing_ok=True)

    # ---------------------------------------------------------------- leftovers of killed runs
    def sweep_leftovers(self, *, remove: bool = True) -> list[str]:
        """Clear what a killed restore, upload or `answer` left in uploads/; returns the names removed
        (with ``remove=False``: the names that would be).

        Files bound for uploads/ wait under ``.restore-`` or ``.upload-<host>-<pid>-<name>`` until
        the database commits (``config.staged_upload``). When the process that wrote one is gone:
        if the database names ``<name>`` and that file is missing, the commit happened and the
        rename did not, so it is finished; otherwise the commit never happened and it is removed.
        Nothing else in uploads/ is touched: a file this database does not name may belong to
        another database sharing the home.
        """
        self.require("upload", "clean up after interrupted uploads and restores")
        folder = config.uploads_dir()
        with self.engine.connect() as conn:
            named = {r[0] for r in conn.execute(sa.select(q_table.c.stored_file))}
        removed = []
        for path in folder.iterdir():
            match = config.STAGED.fullmatch(path.name)
            if not match or not path.is_file() or path.is_symlink():
                continue
            if not _process_gone(match.group("host"), int(match.group("pid")), path):
                continue
            final = folder / match.group("name")
            if match.group("name") in named and not final.exists():
                if remove:
                    os.replace(path, final)
                continue
            if remove:
                path.unlink(missing_ok=True)
            removed.append(path.name)
        return removed
