"""Who is using the app: local accounts, single sign-on, and the single-user local mode.

``signed_in_actor()`` is called at the top of app.py on every run. It returns the signed-in
actor, or renders the sign-in page (or a refusal) and calls ``st.stop()``.

* No account exists yet: single-user local mode, but only when the browser talks to this
  computer (loopback address, no proxy in between); the app says so on screen. From anywhere
  else nothing is served until an admin account exists (`trustfill users add NAME --role admin`).
  The mode ends the moment the first account is created, in every open session too (the
  service layer refuses the local actor once accounts exist).
* Accounts exist: a username/password form for local accounts, and a "Sign in with single
  sign-on" button when an ``[auth]`` section is configured in ``.streamlit/secrets.toml``
  (Streamlit's OIDC ``st.login``). SSO users are matched to accounts by email; an email with no
  account gets a clear "ask an admin" page. Every attempt is audited (sign_in / sign_in_failed).

Only the username lives in session state; the role is read from the database on every action.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from trustfill import accounts
from trustfill.app_pages.common import plain
from trustfill.app_server import switch_off_network_lookups
from trustfill.errors import NotFound, PermissionDenied, TrustfillError
from trustfill.roles import ANONYMOUS, LOCAL_ADMIN, Actor
from trustfill.service import Service

switch_off_network_lookups()  # a plain `streamlit run app.py` too: see trustfill.app_server

SESSION_USER = "tf_user"
SESSION_METHOD = "tf_auth_method"  # "password" or "sso"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
# A reverse proxy on this machine connects from loopback on behalf of a remote browser; these
# headers give it away, and then the request is not local.
PROXY_HEADERS = ("x-forwarded-for", "x-forwarded-host", "x-real-ip", "forwarded", "via")


def _hostname(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    try:
        return urlsplit(value if "://" in value else f"//{value}").hostname
    except ValueError:
        return None


def is_local_request(headers: dict[str, str], remote_ip: str | None) -> bool:
    """True when the browser connects to this computer over loopback, with no proxy in between.

    ``headers`` are the request's (keys lower-case); ``remote_ip`` is st.context.ip_address, which
    Streamlit reports as None for a loopback peer. No headers at all means there is no HTTP
    client: the script runs in-process (AppTest, bare mode), which is local by definition.
    """
    if not headers:
        return True
    if remote_ip not in (None, "127.0.0.1", "::1"):
        return False
    if any(h in headers for h in PROXY_HEADERS):
        return False
    if _hostname(headers.get("host")) not in LOOPBACK_HOSTS:
        return False
    origin = headers.get("origin")
    return origin is None or _hostname(origin) in LOOPBACK_HOSTS


def _request_is_local() -> bool:
    headers = {k.lower(): v for k, v in st.context.headers.items()}
    ip = st.context.ip_address
    return is_local_request(headers, ip if isinstance(ip, str) or ip is None else "unknown")


def _client() -> str:
    """Where a sign-in comes from, for throttling: the browser's address (a proxy's, behind one)."""
    ip = st.context.ip_address
    return f"web:{ip}" if isinstance(ip, str) and ip else "web:local"


def sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all (Streamlit raises its own error type)
        return False


def _sso_logged_in() -> bool:
    return bool(getattr(st.user, "is_logged_in", False))


def _stored_actor(username: str) -> Actor | None:
    """The account as stored now; None when it was removed or disabled since sign-in."""
    with Service(actor=ANONYMOUS).tx() as conn:
        row = accounts.get_user(conn, username)
    if row is None or row["disabled"]:
        return None
    return accounts.actor_of(row)


def sign_out() -> None:
    username = st.session_state.pop(SESSION_USER, None)
    method = st.session_state.pop(SESSION_METHOD, None)
    for key in ("tf_service",):
        st.session_state.pop(key, None)
    if username:
        actor = _stored_actor(username)
        if actor:
            Service(actor=actor).record_sign_out()
    if method == "sso" and _sso_logged_in():
        st.logout()  # clears Streamlit's identity cookie and starts a new session
    else:
        st.rerun()


def _user_box(actor: Actor) -> None:
    with st.sidebar:
        if st.button("Sign out", key="tf_sign_out", icon=":material/logout:"):
            sign_out()


def _local_mode_notice() -> None:
    st.sidebar.warning(
        "**Single-user local mode.** No accounts exist yet, so whoever uses this computer acts as "
        "admin, and the app only answers on this computer (localhost). Create the first admin account "
        "(Users page, or `trustfill users add NAME --role admin`) to require sign-in.",
        icon=":material/person_alert:")


def _refuse_remote_without_accounts() -> None:
    st.title("Trustfill")
    st.error(
        "This Trustfill has no accounts yet, and you are not connecting from the computer it runs on. "
        "Single-user mode is only available on that computer (http://localhost:8501).\n\n"
        "An administrator must first create an admin account on the server: "
        "`trustfill users add NAME --role admin`.")
    st.stop()


def _ask_an_admin(email: str, message: str) -> None:
    st.title("Trustfill")
    st.error(message)
    st.info(f"You signed in as **{plain(email) or 'an account without an email'}**. Ask a Trustfill admin to add "
            f"an account with this email and a role (`trustfill users add NAME --email {email or 'EMAIL'} "
            "--role viewer --sso-only`), then sign in again.")
    if st.button("Sign out of single sign-on"):
        st.logout()
    st.stop()


def _sign_in_page(sso: bool) -> None:
    st.title("Sign in to Trustfill")
    if sso:
        if st.button("Sign in with single sign-on", type="primary", icon=":material/login:"):
            st.login()
        st.caption("Or with a local account:")
    with st.form("tf_sign_in"):
        username = st.text_input("Username", key="tf_sign_in_username")
        password = st.text_input("Password", type="password", key="tf_sign_in_password")
        submitted = st.form_submit_button("Sign in", type="secondary" if sso else "primary")
    if submitted:
        try:
            actor = Service(actor=ANONYMOUS).authenticate(username, password, client=_client())
        except (PermissionDenied, NotFound) as exc:
            st.error(str(exc))
        else:
            st.session_state[SESSION_USER] = actor.username
            st.session_state[SESSION_METHOD] = "password"
            st.session_state.pop("tf_service", None)
            st.rerun()
    st.stop()


def signed_in_actor() -> Actor:
    """Return the signed-in actor, rendering a sign-in form and calling st.stop() when there is none."""
    try:
        count = accounts.account_count()
    except TrustfillError as exc:  # an unusable database: say so, no traceback
        st.error(str(exc))
        st.stop()
    if count == 0:
        st.session_state.pop(SESSION_USER, None)
        if not _request_is_local():
            _refuse_remote_without_accounts()
        _local_mode_notice()
        return LOCAL_ADMIN

    username = st.session_state.get(SESSION_USER)
    if username:
        actor = _stored_actor(username)
        if actor is not None:
            _user_box(actor)
            return actor
        st.session_state.pop(SESSION_USER, None)
        st.warning(f"The account '{plain(username)}' was disabled or removed; sign in again.")

    sso = sso_configured()
    if sso and _sso_logged_in():
        email = str(getattr(st.user, "email", "") or "")
        try:
            actor = Service(actor=ANONYMOUS).sign_in_sso(email)
        except (NotFound, PermissionDenied) as exc:
            _ask_an_admin(email, str(exc))
        st.session_state[SESSION_USER] = actor.username
        st.session_state[SESSION_METHOD] = "sso"
        _user_box(actor)
        return actor
    _sign_in_page(sso)
    raise AssertionError("unreachable: the sign-in page stops the script")
