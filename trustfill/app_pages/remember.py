"""Keep a password sign-in across a reload (F5): a signed, expiring cookie, never a token in the URL.

Streamlit keeps session state per connection, and a reload opens a new one, so without this F5 signs
the reviewer out. Streamlit reads cookies (``st.context.cookies``: those the browser sent when the
page connected) but has no call to set one except through its OIDC ``st.login``, which needs an
identity provider. So the cookie is written by a line of JavaScript in the page
(``st.html(..., unsafe_allow_javascript=True)``; no component, no network call) and read back on
the next connection.

The cookie is ``trustfill_session=<user>.<expiry>.<nonce>.<signature>``: HMAC-SHA256 under
Streamlit's ``server.cookieSecret`` (random per server start unless set, so a restart signs everyone
out; replicas share ``STREAMLIT_SERVER_COOKIE_SECRET``), valid ``LIFETIME`` seconds, SameSite=Strict,
Secure over HTTPS. It names who signed in; the role is still read from the database on every action
and a disabled account is refused (auth.py). Signing out deletes it in the browser and revokes its
nonce in this server process. What it cannot be: HttpOnly (script-written cookies never are), so it
relies on the app never running script from customer content (it does not: uploaded text is shown
as text).

SSO sign-ins need none of this: Streamlit's own identity cookie already survives a reload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import streamlit as st

from trustfill.roles import Actor

COOKIE = "trustfill_session"
LIFETIME = 8 * 3600  # one working day; then sign in again
SESSION_USER, SESSION_METHOD = "tf_user", "tf_auth_method"  # auth.py's keys
_REMEMBERED, _NONCE, _CHECKED = "tf_remember_user", "tf_remember_nonce", "tf_cookie_checked"
_REVOKED: set[str] = set()  # nonces of cookies signed out in this process


def _secret() -> bytes:
    return str(st.get_option("server.cookieSecret")).encode()


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def _sign(payload: str, secret: bytes) -> str:
    return _b64_bytes(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def _b64_bytes(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_token(username: str, *, secret: bytes, now: float | None = None, lifetime: int = LIFETIME,
               nonce: str | None = None) -> str:
    expires = int((now if now is not None else time.time()) + lifetime)
    payload = f"{_b64(username)}.{expires}.{nonce or secrets.token_urlsafe(12)}"
    return f"{payload}.{_sign(payload, secret)}"


def read_token(token: str, *, secret: bytes, now: float | None = None) -> tuple[str, str] | None:
    """(username, nonce) of a genuine, unexpired, unrevoked token; None for anything else."""
    try:
        user, expires, nonce, signature = token.split(".")
        payload = f"{user}.{expires}.{nonce}"
        if not hmac.compare_digest(signature, _sign(payload, secret)):
            return None
        if int(expires) < (now if now is not None else time.time()) or nonce in _REVOKED:
            return None
        return _unb64(user), nonce
    except (ValueError, UnicodeDecodeError):
        return None


def _set_cookie(value: str, max_age: int) -> None:
    # Only our own token's characters (base64url and dots) reach the script: nothing to escape.
    script = (f"<script>document.cookie = '{COOKIE}={value}; Max-Age={max_age}; Path=/; SameSite=Strict'"
              " + (location.protocol === 'https:' ? '; Secure' : '');</script>")
    with st.sidebar:
        st.html(script, unsafe_allow_javascript=True)


def restore() -> None:
    """Before sign-in is checked: a fresh connection with a valid cookie is signed in as its user; a
    session that has just signed out deletes its cookie (in the browser, and its nonce here)."""
    ss = st.session_state
    if ss.get(_REMEMBERED) and not ss.get(SESSION_USER):  # signed out (or refused) since the last run
        ss.pop(_REMEMBERED, None)
        _REVOKED.add(ss.pop(_NONCE, ""))
        _set_cookie("", 0)
        return
    if ss.get(_CHECKED):
        return
    ss[_CHECKED] = True  # st.context.cookies are those of the connection: read them once per session
    token = st.context.cookies.get(COOKIE) if not ss.get(SESSION_USER) else None
    found = read_token(token, secret=_secret()) if token else None
    if found:
        ss[SESSION_USER], ss[SESSION_METHOD] = found[0], "password"
        ss[_REMEMBERED], ss[_NONCE] = found[0], found[1]


def persist(actor: Actor) -> None:
    """After sign-in is checked: a password sign-in not yet in a cookie gets one."""
    ss = st.session_state
    if ss.get(SESSION_METHOD) != "password" or ss.get(SESSION_USER) != actor.username:
        return
    if ss.get(_REMEMBERED) == actor.username:
        return
    nonce = secrets.token_urlsafe(12)
    _set_cookie(make_token(actor.username, secret=_secret(), nonce=nonce), LIFETIME)
    ss[_REMEMBERED], ss[_NONCE] = actor.username, nonce
