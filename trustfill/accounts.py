"""Who is acting: local accounts, and the single-user mode before any account exists."""

from __future__ import annotations

import sqlalchemy as sa

from trustfill.db import get_engine, users
from trustfill.errors import NotFound, PermissionDenied
from trustfill.roles import LOCAL_ADMIN, Actor


def account_count(database_url: str | None = None) -> int:
    with get_engine(database_url).begin() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar() or 0)


def actor_for_cli(username: str | None, database_url: str | None = None) -> Actor:
    """Before any account exists the CLI acts in single-user mode; after, TRUSTFILL_USER must name one."""
    if account_count(database_url) == 0:
        return LOCAL_ADMIN
    if not username:
        raise PermissionDenied("Accounts exist, so the CLI needs to know who you are: "
                               "set TRUSTFILL_USER to your username.")
    with get_engine(database_url).begin() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    if row is None:
        raise NotFound(f"No account '{username}'. `trustfill users list` shows them.")
    if row.disabled:
        raise PermissionDenied(f"Account '{username}' is disabled.")
    return Actor(row.username, row.role, row.email)
