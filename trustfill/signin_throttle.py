"""Sign-in throttling: growing delays per (account, client), failures aggregated into bursts.

Failed password sign-ins slow down the one (account, client) pair they come from: the first
FREE_FAILURES are free, then each wrong password makes that pair wait twice as long before the
next password is even checked (1 s, 2 s, 4 s ... at most MAX_DELAY). An attempt made too soon is
refused without running bcrypt. Nobody is locked out: the same account from another client
(another browser address; the CLI is "cli") signs in at once, so a stranger hammering the admin's
name cannot keep the admin out.

The audit trail gets one row per burst, not one per attempt. A burst is the failures of one pair
with less than BURST_GAP between them. Its first failure is written at once (count 1); the rest
are counted here and written as one row when the burst ends: a successful sign-in of that pair,
or BURST_GAP of quiet (noticed by the next sign-in or by a read of the trail). A burst still
going on after REPORT_EVERY writes a row with its count so far, so a long attack shows in the
trail while it lasts. An attacker gets at most one row per pair per REPORT_EVERY, not 159 a second.

A user name that has no account is never stored: in the trail it is "(unknown)"; here it is
keyed by an HMAC of the name (under the backup key, kept in the home), so unknown names are
throttled one by one and a throttled name tells nothing about which names exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trustfill import audit
from trustfill.db import sign_in_throttle as table

UNKNOWN_USER = "(unknown)"
REFUSED = "too soon (not checked)"
FREE_FAILURES = 3
MAX_DELAY = dt.timedelta(seconds=60)
BURST_GAP = dt.timedelta(minutes=15)
REPORT_EVERY = dt.timedelta(minutes=15)


def unknown_key(name: str) -> str:
    """The throttling key of a user name with no account: never the name itself."""
    from trustfill.backup_file import backup_key

    digest = hmac.new(backup_key(), b"sign-in name:" + name.strip().lower().encode("utf-8"), hashlib.sha256)
    return f"{UNKNOWN_USER}:{digest.hexdigest()[:24]}"


def actor_name(key: str) -> str:
    return UNKNOWN_USER if key.startswith(UNKNOWN_USER) else key


def delay_after(failures: int) -> dt.timedelta:
    if failures <= FREE_FAILURES:
        return dt.timedelta(0)
    return min(dt.timedelta(seconds=2 ** (failures - FREE_FAILURES - 1)), MAX_DELAY)


def _row(conn: Connection, key: str, client: str):
    return conn.execute(sa.select(table).where(table.c.username == key, table.c.client == client)).first()


def wait_seconds(conn: Connection, key: str, client: str, now: dt.datetime) -> float:
    """How long this pair must still wait before a password is checked (0: go ahead)."""
    row = _row(conn, key, client)
    if row is None or row.last_at < now - BURST_GAP or now >= row.next_allowed_at:
        return 0.0
    return (row.next_allowed_at - now).total_seconds()


def _report(conn: Connection, row, pending: dict[str, int], state: str, last: dt.datetime) -> None:
    if not pending:
        return
    who = actor_name(row.username)
    audit.record(conn, who, "sign_in_failed", "user", who, method="password", client=row.client,
                 count=sum(pending.values()), reason=max(pending, key=pending.get), reasons=pending,
                 first=row.first_at, last=last, burst=state)


def _end(conn: Connection, row) -> None:
    _report(conn, row, dict(row.pending or {}), "ended", row.last_at)
    conn.execute(table.delete().where(table.c.username == row.username, table.c.client == row.client))


def note_failure(conn: Connection, key: str, client: str, reason: str, now: dt.datetime, *,
                 checked: bool = True) -> None:
    """Count one failed attempt (``checked``: a password was verified and wrong, which grows the delay)."""
    row = _row(conn, key, client)
    if row is not None and row.last_at < now - BURST_GAP:
        _end(conn, row)
        row = None
    if row is None:  # a new burst: its first failure goes to the trail at once
        failures = int(checked)
        conn.execute(table.insert().values(username=key, client=client, failures=failures, pending={},
                                           first_at=now, last_at=now, reported_at=now,
                                           next_allowed_at=now + delay_after(failures)))
        who = actor_name(key)
        audit.record(conn, who, "sign_in_failed", "user", who, method="password", client=client, count=1,
                     reason=reason, reasons={reason: 1}, first=now, last=now, burst="started")
        return
    failures = row.failures + int(checked)
    pending = dict(row.pending or {})
    pending[reason] = pending.get(reason, 0) + 1
    values = dict(failures=failures, last_at=now, pending=pending)
    if checked:
        values["next_allowed_at"] = now + delay_after(failures)
    if now - row.reported_at >= REPORT_EVERY:
        _report(conn, row, pending, "ongoing", now)
        values.update(pending={}, reported_at=now)
    conn.execute(table.update().where(table.c.username == key, table.c.client == client).values(**values))


def note_success(conn: Connection, key: str, client: str) -> None:
    """The pair signed in: its burst, if any, ends and is written to the trail."""
    row = _row(conn, key, client)
    if row is not None:
        _end(conn, row)


def flush_ended(conn: Connection, now: dt.datetime) -> None:
    """Write every burst that has gone quiet for BURST_GAP to the trail."""
    for row in conn.execute(sa.select(table).where(table.c.last_at < now - BURST_GAP)).all():
        _end(conn, row)
