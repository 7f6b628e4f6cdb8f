"""The Audit trail and Users pages of the app (AppTest), as the roles that may and may not use them."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_team_support import PASSWORD, REPO, fast_hashes, make_team  # noqa: F401

from trustfill import accounts
from trustfill.roles import Actor
from trustfill.service import Service

AUDIT_PAGE = str(REPO / "app_pages" / "audit.py")
USERS_PAGE = str(REPO / "app_pages" / "users.py")


def _as(page: str, username: str | None) -> AppTest:
    at = AppTest.from_file(page, default_timeout=30)
    if username:
        at.session_state["tf_user"] = username  # what the sign-in form stores
    return at.run()


def test_audit_page_lists_filters_and_exports(db_url):
    make_team()
    Service(actor=Actor("admin1", "admin")).set_role("viewer1", "editor")
    at = _as(AUDIT_PAGE, "approver1")
    assert not at.exception
    table = at.dataframe[0].value
    assert {"user_add", "role_change"} <= set(table["Action"])
    at.multiselect(key="audit_actions").select("role_change").run()
    table = at.dataframe[0].value
    assert list(table["Action"]) == ["role_change"] and list(table["User"]) == ["admin1"]
    at.button(key="audit_export").click().run()
    assert not at.exception
    assert at.session_state["audit_csv"].decode().splitlines()[0].startswith("id,at,actor,action")
    exported = Service(actor=Actor("admin1", "admin")).audit_log(action="audit_export")
    assert [r["actor"] for r in exported] == ["approver1"]


def test_audit_page_refuses_editors(db_url):
    make_team()
    at = _as(AUDIT_PAGE, "editor1")
    assert not at.exception and not at.dataframe
    assert "needs the approver role" in at.error[0].value


def test_users_page_creates_the_first_admin_in_local_mode(db_url):
    at = _as(USERS_PAGE, None)
    assert not at.exception
    at.text_input(key="users_new_name").input("boss")
    at.text_input(key="users_new_pw").input(PASSWORD)
    at.text_input(key="users_new_pw2").input(PASSWORD)
    at.button[0].click().run()
    assert accounts.account_count() == 1
    assert Service(actor=Actor("boss", "admin")).list_users()[0]["role"] == "admin"
    fresh = _as(USERS_PAGE, None)  # a new browser session: single-user mode is over, it must sign in
    assert fresh.text_input(key="tf_sign_in_username") and not fresh.dataframe


def test_users_page_changes_roles_for_admins_only(db_url):
    make_team()
    at = _as(USERS_PAGE, "admin1")
    assert not at.exception
    at.selectbox(key="users_pick").select("viewer1").run()
    at.selectbox(key="users_role_viewer1").select("approver").run()
    at.button(key="users_save_role").click().run()
    assert not at.exception
    roles = {u["username"]: u["role"] for u in Service(actor=Actor("admin1", "admin")).list_users()}
    assert roles["viewer1"] == "approver"
    at = _as(USERS_PAGE, "approver1")
    assert "needs the admin role" in at.error[0].value
