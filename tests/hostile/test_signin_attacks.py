"""Issue #17 item 6: sign-in abuse by someone with no account.

Ten wrong passwords in a row locked the admin out for 15 minutes (anyone could lock out anyone);
while locked, each attempt skipped bcrypt and wrote an audit row (about 159 a second, forever);
and a password typed into the user-name box was stored verbatim as the audit actor.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from test_team_support import PASSWORD, fast_hashes, make_team  # noqa: F401

from db_fixtures import database_snapshot
from trustfill import signin_throttle as throttle
from trustfill import team
from trustfill.db import utcnow
from trustfill.errors import PermissionDenied
from trustfill.roles import ANONYMOUS, Actor
from trustfill.service import Service

ATTACKER = "web:203.0.113.66"


def _try(svc: Service, user: str, password: str, client: str = ATTACKER) -> str:
    try:
        svc.authenticate(user, password, client=client)
    except PermissionDenied as exc:
        return str(exc)
    return "signed in"


def _failed_rows(admin: Service) -> list[dict]:
    return admin.audit_log(action="sign_in_failed")


def test_nobody_can_lock_the_admin_out(db_url):
    make_team()
    anon = Service(actor=ANONYMOUS)
    for _ in range(10):
        _try(anon, "admin1", "not the password")
    # From anywhere else the admin signs in at once; from the attacker's address, only after a delay.
    assert _try(anon, "admin1", PASSWORD, client="web:10.1.1.1") == "signed in"
    assert _try(anon, "admin1", PASSWORD, client="cli") == "signed in"
    assert "wait" in _try(anon, "admin1", PASSWORD)


def test_the_delay_grows_and_is_capped(db_url, monkeypatch):
    make_team()
    anon = Service(actor=ANONYMOUS)
    clock = [utcnow()]
    monkeypatch.setattr(team, "utcnow", lambda: clock[0])
    waits = []
    for _ in range(12):
        _try(anon, "viewer1", "guess guess guess")
        with anon.tx() as conn:
            waits.append(throttle.wait_seconds(conn, "viewer1", ATTACKER, clock[0]))
        clock[0] += dt.timedelta(seconds=waits[-1])  # the attacker waits exactly as long as told
    assert waits[:throttle.FREE_FAILURES] == [0.0] * throttle.FREE_FAILURES
    assert waits[throttle.FREE_FAILURES:throttle.FREE_FAILURES + 4] == [1.0, 2.0, 4.0, 8.0]
    assert max(waits) == throttle.MAX_DELAY.total_seconds()
    assert _try(anon, "viewer1", PASSWORD) == "signed in"  # the right password after the wait


def test_a_flood_of_attempts_costs_no_bcrypt_and_one_audit_row_per_burst(db_url, monkeypatch):
    make_team()
    admin = Service(actor=Actor("admin1", "admin"))
    anon = Service(actor=ANONYMOUS)
    before = len(_failed_rows(admin))
    started = time.monotonic()
    answers = [_try(anon, "approver1", f"guess {i}") for i in range(300)]
    elapsed = time.monotonic() - started
    assert sum("wait" in a for a in answers) >= 290  # refused unchecked
    assert elapsed < 30
    rows = _failed_rows(admin)[before:]
    assert len(rows) == 1 and rows[0]["details"]["burst"] == "started"  # the first, at once

    # Fifteen quiet minutes later the burst is over: one more row counts all of it.
    later = utcnow() + throttle.BURST_GAP + dt.timedelta(seconds=1)
    monkeypatch.setattr(team, "utcnow", lambda: later)
    rows = _failed_rows(admin)[before:]
    assert len(rows) == 2
    ended = rows[1]["details"]
    assert ended["burst"] == "ended" and 1 + ended["count"] == 300
    assert ended["reasons"][throttle.REFUSED] >= 290 and ended["client"] == ATTACKER


def test_a_long_attack_shows_in_the_trail_while_it_lasts(db_url, monkeypatch):
    make_team()
    admin = Service(actor=Actor("admin1", "admin"))
    anon = Service(actor=ANONYMOUS)
    clock = [utcnow()]
    monkeypatch.setattr(team, "utcnow", lambda: clock[0])
    for _ in range(40):  # one attempt every two minutes for 80 minutes: never a quiet gap
        _try(anon, "approver1", "guess guess guess")
        clock[0] += dt.timedelta(minutes=2)
    rows = [r for r in _failed_rows(admin) if r["details"].get("client") == ATTACKER]
    assert [r["details"]["burst"] for r in rows][:2] == ["started", "ongoing"]
    assert 4 <= len(rows) <= 7  # about one per REPORT_EVERY, not one per attempt
    assert sum(r["details"]["count"] for r in rows) <= 40


def test_an_unknown_user_name_is_never_stored(db_url):
    make_team()
    admin = Service(actor=Actor("admin1", "admin"))
    secret = "Tr0ub4dor&3-typed-in-the-wrong-box"
    anon = Service(actor=ANONYMOUS)
    for _ in range(6):
        _try(anon, secret, "")
    later = utcnow() + throttle.BURST_GAP * 2
    with anon.tx() as conn:
        throttle.flush_ended(conn, later)
    rows = _failed_rows(admin)
    assert {r["actor"] for r in rows} == {"(unknown)"} and {r["object_id"] for r in rows} == {"(unknown)"}
    assert secret.lower() not in json.dumps(database_snapshot(), default=str).lower()


@pytest.mark.parametrize("guess", ["admin1", "no-such-user"])
def test_throttling_does_not_tell_which_names_exist(db_url, guess):
    """An unknown name is throttled on its own, exactly like an account: the answers are the same."""
    make_team()
    anon = Service(actor=ANONYMOUS)
    answers = [_try(anon, guess, "wrong wrong wrong") for _ in range(throttle.FREE_FAILURES + 2)]
    assert answers[:throttle.FREE_FAILURES + 1] == ["Wrong username or password."] * (throttle.FREE_FAILURES + 1)
    assert answers[-1].startswith("Too many failed sign-ins from here")
    assert _try(anon, "other-name", "wrong wrong wrong") == "Wrong username or password."
