"""Sign-in: local accounts with bcrypt hashes, single sign-on by email, the sign-in form of the app
(AppTest), and the single-user local mode that only exists on localhost before any account.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_team_support import PASSWORD, fast_hashes, make_team  # noqa: F401

from trustfill import accounts
from trustfill import signin_throttle as throttle
from trustfill.app_pages.auth import is_local_request
from trustfill.db import get_engine, users
from trustfill.errors import NotFound, PermissionDenied, TrustfillError
from trustfill.roles import ANONYMOUS, Actor
from trustfill.service import Service


def _audit(action: str) -> list[dict]:
    return Service(actor=Actor("auditor", "admin")).audit_log(action=action)


def test_passwords_are_stored_as_salted_bcrypt_hashes(db_url):
    make_team()
    with get_engine().begin() as conn:
        hashes = [r.password_hash for r in conn.execute(users.select())]
    assert all(h.startswith("$2b$") and PASSWORD not in h for h in hashes)
    assert len(set(hashes)) == len(hashes)  # same password, different salts
    assert accounts.verify_password(PASSWORD, hashes[0])
    assert not accounts.verify_password(PASSWORD + "x", hashes[0])
    with pytest.raises(TrustfillError, match="too short"):
        accounts.hash_password("short")
    with pytest.raises(TrustfillError, match="too long"):
        accounts.hash_password("x" * 73)


def test_authenticate(db_url):
    make_team()
    anon = Service(actor=ANONYMOUS)
    actor = anon.authenticate("approver1", PASSWORD)
    assert (actor.username, actor.role) == ("approver1", "approver")
    for user, password in (("approver1", "wrong password!"), ("nobody", PASSWORD), ("", "")):
        with pytest.raises(PermissionDenied) as err:
            anon.authenticate(user, password)
        assert str(err.value) == "Wrong username or password."  # never says which part was wrong
    assert [r["actor"] for r in _audit("sign_in")] == ["approver1"]
    failed = _audit("sign_in_failed")
    assert [r["details"]["reason"] for r in failed] == ["wrong password", "unknown user", "unknown user"]
    Service(actor=Actor("admin1", "admin")).disable_user("approver1")
    with pytest.raises(PermissionDenied, match="disabled"):
        anon.authenticate("approver1", PASSWORD)


def test_sso_only_account_has_no_password(db_url):
    make_team()
    Service(actor=Actor("admin1", "admin")).add_user("sue", "editor", email="Sue@Example.com")
    with pytest.raises(PermissionDenied, match="Wrong username or password"):
        Service(actor=ANONYMOUS).authenticate("sue", "")
    actor = Service(actor=ANONYMOUS).sign_in_sso("sue@example.COM")  # matched by email, any case
    assert (actor.username, actor.role) == ("sue", "editor")
    assert _audit("sign_in")[-1]["details"] == {"method": "sso", "email": "sue@example.com"}
    with pytest.raises(NotFound, match="Ask an admin"):
        Service(actor=ANONYMOUS).sign_in_sso("stranger@example.com")
    assert _audit("sign_in_failed")[-1]["details"]["reason"] == "no account with this email"


def test_repeated_failures_slow_that_client_down_without_locking_anyone_out(db_url):
    make_team()
    anon = Service(actor=ANONYMOUS)
    for _ in range(throttle.FREE_FAILURES + 1):
        with pytest.raises(PermissionDenied, match="Wrong username"):
            anon.authenticate("viewer1", "guess guess guess", client="web:203.0.113.9")
    with pytest.raises(PermissionDenied, match=r"wait \d+ seconds"):
        anon.authenticate("viewer1", PASSWORD, client="web:203.0.113.9")  # too soon: not even checked
    assert anon.authenticate("viewer1", PASSWORD, client="web:10.0.0.5").role == "viewer"  # another client
    assert anon.authenticate("editor1", PASSWORD, client="web:203.0.113.9").role == "editor"  # another account


def test_local_request_detection():
    assert is_local_request({}, None)  # no HTTP client at all: in-process
    assert is_local_request({"host": "localhost:8501"}, None)
    assert is_local_request({"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501"}, None)
    assert is_local_request({"host": "[::1]:8501"}, None)
    assert not is_local_request({"host": "localhost:8501"}, "10.0.0.7")  # a remote peer
    assert not is_local_request({"host": "trustfill.example.com"}, None)  # DNS rebinding / public name
    assert not is_local_request({"host": "localhost:8501", "x-forwarded-for": "203.0.113.9"}, None)  # proxy
    assert not is_local_request({"host": "localhost:8501", "origin": "http://evil.example"}, None)


def _app():
    import streamlit as st

    from trustfill.app_pages.auth import signed_in_actor

    actor = signed_in_actor()
    st.markdown(f"ACTOR {actor.username} {actor.role} local={actor.local_mode}")


def _actor_line(at: AppTest) -> str | None:
    return next((m.value for m in at.markdown if m.value.startswith("ACTOR")), None)


def test_app_single_user_mode_before_any_account(db_url):
    at = AppTest.from_function(_app).run()
    assert not at.exception
    assert _actor_line(at) == "ACTOR local admin local=True"
    assert any("Single-user local mode" in w.value for w in at.sidebar.warning)
    Service().add_user("boss", "admin", password=PASSWORD)
    at.run()
    assert _actor_line(at) is None  # the mode is off: now it is the sign-in form
    assert at.text_input(key="tf_sign_in_username")


def test_app_sign_in_form(db_url):
    make_team()
    at = AppTest.from_function(_app).run()
    assert not at.exception and _actor_line(at) is None
    at.text_input(key="tf_sign_in_username").input("editor1")
    at.text_input(key="tf_sign_in_password").input("not my password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong username or password."]
    assert _actor_line(at) is None
    at.text_input(key="tf_sign_in_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert _actor_line(at) == "ACTOR editor1 editor local=False"
    assert at.session_state["tf_user"] == "editor1"
    assert "tf_sign_in_password" not in at.session_state  # only the username stays in the session
    assert [r["actor"] for r in _audit("sign_in")] == ["editor1"]
    assert [r["actor"] for r in _audit("sign_in_failed")] == ["editor1"]
    # a role change shows on the next run; a disabled account is signed out
    Service(actor=Actor("admin1", "admin")).set_role("editor1", "approver")
    at.run()
    assert _actor_line(at) == "ACTOR editor1 approver local=False"
    Service(actor=Actor("admin1", "admin")).disable_user("editor1")
    at.run()
    assert _actor_line(at) is None and any("disabled or removed" in w.value for w in at.warning)


def test_app_sign_out(db_url):
    make_team()
    at = AppTest.from_function(_app).run()
    at.text_input(key="tf_sign_in_username").input("viewer1")
    at.text_input(key="tf_sign_in_password").input(PASSWORD)
    at.button[0].click().run()
    assert _actor_line(at) == "ACTOR viewer1 viewer local=False"
    at.sidebar.button(key="tf_sign_out").click().run()
    assert _actor_line(at) is None and "tf_user" not in at.session_state
    assert [r["actor"] for r in _audit("sign_out")] == ["viewer1"]
