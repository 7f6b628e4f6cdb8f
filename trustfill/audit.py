"""The audit trail: an append-only record of every decision and change.

Only ``record`` writes, and it only inserts. Reading is filtered; nothing here updates or
deletes, and the service layer offers no other way in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trustfill.db import audit_log, utcnow

ACTIONS = (
    "upload", "match_run", "approve", "reject", "edit", "bulk_approve", "pick_fact",
    "fact_create", "fact_edit", "fact_retire", "fact_propose", "fact_accept", "kb_import", "kb_export",
    "export", "report_export", "sign_in", "sign_in_failed", "user_add", "role_change", "user_disable",
    "questionnaire_delete", "purge", "backup", "restore", "layout_change", "settings_change",
)


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
          since: dt.datetime | None = None, limit: int | None = None) -> list[dict]:
    stmt = sa.select(audit_log).order_by(audit_log.c.id)
    if actor:
        stmt = stmt.where(audit_log.c.actor == actor)
    if action:
        stmt = stmt.where(audit_log.c.action == action)
    if object_type:
        stmt = stmt.where(audit_log.c.object_type == object_type)
    if object_id:
        stmt = stmt.where(audit_log.c.object_id == str(object_id))
    if since:
        stmt = stmt.where(audit_log.c.at >= since)
    if limit:
        stmt = stmt.limit(limit)
    return [dict(r._mapping) for r in conn.execute(stmt)]
