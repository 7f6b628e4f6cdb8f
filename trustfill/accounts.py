"""Who is acting: local accounts, and the single-user mode before any account exists.

Passwords are stored only as bcrypt hashes (salted, deliberately slow). The CLI runs with file
access to the database, so TRUSTFILL_USER names the acting account rather than proving it; set
TRUSTFILL_PASSWORD as well and the CLI verifies it. Whoever can write the database file (or holds
its PostgreSQL credentials) can do anything: protect it like the data it holds.
"""

from __future__ import annotations

import os
import re

import bcrypt
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trustfill.db import get_engine, users
from trustfill.errors import NotFound, PermissionDenied, TrustfillError
from trustfill.roles import LOCAL_ADMIN, Actor

BCRYPT_ROUNDS = 12  # ~0.25 s per hash on a laptop; tests lower it to keep the suite fast
MIN_PASSWORD = 10
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (newer versions refuse) anything longer
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_dummy_hash: bytes | None = None


def check_username(username: str) -> str:
    name = (username or "").strip()
    if not _USERNAME.match(name):
        raise TrustfillError(f"Invalid username '{username}': use 1-64 letters, digits, '.', '_', '-' "
                             "or '@', starting with a letter or digit.")
    return name


def check_email(email: str) -> str:
    value = (email or "").strip().lower()
    if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise TrustfillError(f"Invalid email address '{email}'.")
    return value


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise TrustfillError(f"The password is too short: use at least {MIN_PASSWORD} characters.")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise TrustfillError(f"The password is too long: bcrypt uses at most {MAX_PASSWORD_BYTES} bytes.")


def hash_password(password: str) -> str:
    check_password(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def verify_password(password: str, hashed: str | None) -> bool:
    """True when ``password`` matches; an account without a hash (SSO only) never matches."""
    global _dummy_hash
    raw = (password or "").encode("utf-8")
    if not hashed or len(raw) > MAX_PASSWORD_BYTES:
        # Spend the same time as a real check so a wrong username is not faster than a wrong password.
        if _dummy_hash is None:
            _dummy_hash = bcrypt.hashpw(b"not a password", bcrypt.gensalt(BCRYPT_ROUNDS))
        bcrypt.checkpw(raw[:MAX_PASSWORD_BYTES], _dummy_hash)
        return False
    try:
        return bcrypt.checkpw(raw, hashed.encode("ascii"))
    except ValueError:  # a corrupt hash in the database
        return False


# ---- reading accounts
def get_user(conn: Connection, username: str) -> dict | None:
    row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    return dict(row._mapping) if row else None


def get_user_by_email(conn: Connection, email: str) -> dict | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    row = conn.execute(sa.select(users).where(sa.func.lower(users.c.email) == email)).first()
    return dict(row._mapping) if row else None


def count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar() or 0)


def active_admins(conn: Connection) -> list[str]:
    rows = conn.execute(sa.select(users.c.username).where(users.c.role == "admin",
                                                          users.c.disabled.is_(False)))
    return [r[0] for r in rows]


def actor_of(row: dict) -> Actor:
    return Actor(row["username"], row["role"], row["email"] or "")


def account_count(database_url: str | None = None) -> int:
    with get_engine(database_url).begin() as conn:
        return count(conn)


def actor_for_cli(username: str | None, database_url: str | None = None,
                  password: str | None = None) -> Actor:
    """Before any account exists the CLI acts in single-user mode; after, TRUSTFILL_USER must name one.

    With ``password`` (default: TRUSTFILL_PASSWORD when set) the account's password is checked too.
    """
    if password is None:
        password = os.environ.get("TRUSTFILL_PASSWORD") or None
    with get_engine(database_url).begin() as conn:
        if count(conn) == 0:
            return LOCAL_ADMIN
        if not username:
            raise PermissionDenied("Accounts exist, so the CLI needs to know who you are: "
                                   "set TRUSTFILL_USER to your username.")
        row = get_user(conn, username)
    if row is None:
        raise NotFound(f"No account '{username}'. `trustfill users list` shows them.")
    if row["disabled"]:
        raise PermissionDenied(f"Account '{username}' is disabled.")
    if password is not None and not verify_password(password, row["password_hash"]):
        raise PermissionDenied(f"TRUSTFILL_PASSWORD is not the password of '{username}'.")
    return actor_of(row)
