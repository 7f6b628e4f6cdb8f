"""The audit trail: an append-only record of every decision and change.

Only ``record`` writes, and it only inserts. Reading is filtered; nothing here updates or
deletes, and the service layer offers no other way in. The database refuses too: migration 2
adds triggers that abort any UPDATE or DELETE on ``audit_log`` (defence in depth).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from exports import safe_csv
from trustfill.db import audit_log, utcnow
from trustfill.errors import InputFileError, TrustfillError

ACTIONS = (
    "upload", "match_run", "approve", "reject", "edit", "bulk_approve", "pick_fact",
    "fact_create", "fact_edit", "fact_retire", "fact_propose", "fact_accept", "kb_import", "kb_export",
    "export", "report_export", "sign_in", "sign_in_failed", "sign_out", "user_add", "role_change",
    "user_disable", "user_enable", "password_change", "audit_export",
    "questionnaire_delete", "purge", "backup", "restore", "layout_change", "settings_change",
    "proposal_add", "proposal_accept", "proposal_discard", "kb_harvest",
)
CSV_COLUMNS = ["id", "at", "actor", "action", "object_type", "object_id", "details"]


def record(conn: Connection, actor: str, action: str, object_type: str = "", object_id: Any = "",
           **details: Any) -> None:
    conn.execute(audit_log.insert().values(
        at=utcnow(), actor=actor, action=action, object_type=object_type,
        object_id=str(object_id), details=_jsonable(details)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def query(conn: Connection, *, actor: str | None = None, action: str | None = None,
          object_type: str | None = None, object_id: str | None = None,
          since: dt.datetime | None = None, until: dt.datetime | None = None,
          actions: list[str] | None = None, limit: int | None = None,
          newest_first: bool = False) -> list[dict]:
    """Audit rows matching every filter given; ``since``/``until`` are UTC, ``until`` exclusive."""
    order = audit_log.c.id.desc() if newest_first else audit_log.c.id
    stmt = sa.select(audit_log).order_by(order)
    if actor:
        stmt = stmt.where(audit_log.c.actor == actor)
    if action:
        stmt = stmt.where(audit_log.c.action == action)
    if actions:
        stmt = stmt.where(audit_log.c.action.in_(list(actions)))
    if object_type:
        stmt = stmt.where(audit_log.c.object_type == object_type)
    if object_id:
        stmt = stmt.where(audit_log.c.object_id == str(object_id))
    if since:
        stmt = stmt.where(audit_log.c.at >= since)
    if until:
        stmt = stmt.where(audit_log.c.at < until)
    if limit:
        stmt = stmt.limit(limit)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def as_csv_row(row: dict) -> list[str]:
    """The row as text; the CSV writer (exports.safe_csv) neutralises customer wording in it."""
    at = row["at"].isoformat(timespec="seconds") + "Z" if row["at"] else ""
    details = json.dumps(row["details"] or {}, ensure_ascii=False, sort_keys=True)
    return [str(row["id"]), at, str(row["actor"] or ""), row["action"], str(row["object_type"] or ""),
            str(row["object_id"] or ""), details]


def write_csv(rows: list[dict], dest: str | os.PathLike) -> Path:
    """Write ``rows`` to ``dest`` atomically (a reader never sees half a file)."""
    dest = Path(dest)
    if not dest.parent.exists():
        raise InputFileError(dest, f"folder {dest.parent} does not exist.")
    if dest.is_dir():
        raise InputFileError(dest, "is a folder; give a file name such as audit.csv.")
    return safe_csv.write_csv(dest, CSV_COLUMNS, (as_csv_row(row) for row in rows))


def parse_when(text: str | None, *, end: bool = False) -> dt.datetime | None:
    """'2024-05-01' or '2024-05-01T10:00' (UTC) as a naive UTC datetime; a day as its start (or end)."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().rstrip("Zz"))
    except ValueError as exc:
        raise TrustfillError(f"'{text}' is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC).") from exc
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    if end and len(text.strip()) <= 10:
        value += dt.timedelta(days=1)
    return value
