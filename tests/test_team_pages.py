"""The Audit trail and Users pages of the app (AppTest), as the roles that may and may not use them."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_team_support import PASSWORD, REPO, fast_hashes, make_team  # noqa: F401

from trustfill import accounts
from trustfill.roles import Actor
from trustfill.service import Service

AUDIT_PAGE = str(REPO / "trustfill" / "app_pages" / "audit.py")
USERS_PAGE = str(REPO / "trustfill" / "app_pages" / "users.py")


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
    assert at.session_state["audit_csv"].decode().splitlines()[0].startswith('"id","at","actor","action"')
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


APP = str(REPO / "app.py")
ADMIN_PAGES = {"audit": "trustfill/app_pages/audit.py", "users": "trustfill/app_pages/users.py"}


def _sign_in(username: str, password: str = PASSWORD) -> AppTest:
    """A new browser session of the whole app, signed in through its form."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and at.title[0].value == "Sign in to Trustfill"
    at.text_input(key="tf_sign_in_username").input(username)
    at.text_input(key="tf_sign_in_password").input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def _opens(at: AppTest, page: str) -> bool:
    """True when the navigation offers ``page``; AppTest refuses to switch to a page it does not list."""
    try:
        at.switch_page(page)
    except ValueError:
        return False
    at.run()
    assert not at.exception, at.exception
    return True


def test_sign_in_form_and_admin_pages_in_the_navigation_by_role(db_url):
    make_team()
    wrong = _sign_in("approver1", "not the password")
    assert "Wrong username or password" in wrong.error[0].value
    assert "tf_user" not in wrong.session_state
    wrong.switch_page(ADMIN_PAGES["audit"]).run()  # a page's URL without signing in: still the form
    assert wrong.title[0].value == "Sign in to Trustfill" and not wrong.dataframe
    for username, audit_page, users_page in (("viewer1", False, False), ("editor1", False, False),
                                             ("approver1", True, False), ("admin1", True, True)):
        at = _sign_in(username)
        assert at.session_state["tf_user"] == username
        assert at.title[0].value == "Questionnaires" and not at.error
        assert any(f"Signed in as **{username}**" in c.value for c in at.sidebar.caption)
        assert _opens(at, ADMIN_PAGES["audit"]) is audit_page
        if audit_page:
            assert at.title[0].value == "Audit trail" and at.dataframe and not at.error
        assert _opens(at, ADMIN_PAGES["users"]) is users_page
        if users_page:
            assert at.title[0].value == "Users" and not at.error
    signed_in = Service(actor=Actor("admin1", "admin")).audit_log(action="sign_in")
    assert [r["actor"] for r in signed_in] == ["viewer1", "editor1", "approver1", "admin1"]


def test_editor_sees_own_proposal_as_pending_approver_accepts_it(db_url):
    team = make_team()
    Service(actor=team["admin"]).ensure_sample_loaded()
    fact = Service(actor=team["admin"]).facts()[0]
    editor = Service(actor=team["editor"])
    mine = editor.save_fact(fact.model_copy(update={"id": "editors-idea", "version": 1}), expected_version=None)
    assert mine.status == "proposed"
    at = _sign_in("editor1")
    at.switch_page("trustfill/app_pages/knowledge.py").run()
    assert not at.exception
    assert any("Proposals (1 pending)" in h.value for h in at.subheader)  # a `fact` proposal in the one queue
    assert not any(b.key == "kb_prop_accept" for b in at.button) and not at.data_editor  # read-only for editors
    assert "editors-idea" in at.dataframe[1].value["Fact"].tolist()
    at = _sign_in("approver1")
    at.switch_page("trustfill/app_pages/knowledge.py").run()
    at.session_state[at.session_state["kb_prop_table_key"]] = {"edited_rows": {0: {"Pick": True}},
                                                               "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="kb_prop_accept").click().run()
    assert not at.exception and not at.error
    accepted = editor.fact("editors-idea")
    assert (accepted.status, accepted.owner) == ("active", "approver1")
