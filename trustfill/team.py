"""Team actions of the service layer: accounts, sign-in, the audit export, KB freshness.

Mixed into ``trustfill.service.Service`` *first*, so its ``require`` replaces the base one: the
role checked is the account's role as stored now (a role change or a disabled account takes
effect at once, even in a session that signed in earlier), and the single-user local mode stops
working the moment the first account exists.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import sqlalchemy as sa

from knowledge import learning, lint, store
from knowledge.model import Fact
from trustfill import accounts, audit
from trustfill import signin_throttle as throttle
from trustfill.db import users as users_table
from trustfill.db import utcnow
from trustfill.errors import Conflict, NotFound, PermissionDenied, TrustfillError
from trustfill.roles import Actor, check_role

RESERVED_USERNAMES = {"local", "anonymous", "system"}
_PUBLIC_USER_FIELDS = ("id", "username", "email", "display_name", "role", "disabled", "created_at")


class TeamOps:
    # ---- who is acting, checked against the accounts as they are now
    def current_actor(self) -> Actor:
        actor: Actor = self.actor
        if not actor.local_mode and actor.role == "":
            return actor  # anonymous: may only authenticate
        with self.tx() as conn:
            if actor.local_mode:
                if accounts.count(conn):
                    raise PermissionDenied("Single-user local mode ended when the first account was created: "
                                           "sign in (CLI: set TRUSTFILL_USER).")
                return actor
            row = accounts.get_user(conn, actor.username)
        if row is None:
            return actor  # an actor built in code (scripts, tests) without an account keeps its role
        if row["disabled"]:
            raise PermissionDenied(f"Account '{actor.username}' is disabled. Ask an admin.")
        return accounts.actor_of(row)

    def require(self, permission: str, what: str = "") -> None:
        self.current_actor().require(permission, what)

    # ---- accounts
    def list_users(self) -> list[dict]:
        self.require("manage_users", "list users")
        with self.tx() as conn:
            rows = conn.execute(sa.select(users_table).order_by(users_table.c.username))
            return [{k: r._mapping[k] for k in _PUBLIC_USER_FIELDS} | {"sso_only": not r.password_hash}
                    for r in rows]

    def add_user(self, username: str, role: str, *, password: str | None = None, email: str = "",
                 display_name: str = "") -> dict:
        """Create an account; without a password it can sign in only by single sign-on (its email)."""
        self.require("manage_users", "add users")
        username = accounts.check_username(username)
        if username.lower() in RESERVED_USERNAMES:
            raise TrustfillError(f"'{username}' is reserved; choose another username.")
        role, email = check_role(role), accounts.check_email(email)
        if password is None and not email:
            raise TrustfillError("Give a password, or an email for single sign-on: an account needs a "
                                 "way to sign in.")
        hashed = accounts.hash_password(password) if password is not None else None
        with self.tx() as conn:
            if accounts.count(conn) == 0 and role != "admin" and self.actor.local_mode:
                raise PermissionDenied("The first account must be an admin (role 'admin'): once an account "
                                       "exists, single-user mode ends and only an admin can manage users.")
            if accounts.get_user(conn, username) is not None:
                raise Conflict(f"An account '{username}' already exists.")
            if email and accounts.get_user_by_email(conn, email) is not None:
                raise Conflict(f"Another account already has the email {email}.")
            conn.execute(users_table.insert().values(
                username=username, email=email, display_name=display_name.strip(), role=role,
                password_hash=hashed, disabled=False, created_at=utcnow()))
            self.audit(conn, "user_add", "user", username, role=role, email=email, sso_only=hashed is None)
            return self._public(conn, username)

    def set_role(self, username: str, role: str) -> dict:
        self.require("manage_users", "change roles")
        role = check_role(role)
        with self.tx() as conn:
            row = self._user(conn, username)
            if row["role"] == role:
                return self._public(conn, username)
            if row["role"] == "admin" and accounts.active_admins(conn) == [username]:
                raise Conflict(f"'{username}' is the last admin; make someone else admin first.")
            self._set(conn, username, role=role)
            self.audit(conn, "role_change", "user", username, before=row["role"], after=role)
            return self._public(conn, username)

    def disable_user(self, username: str) -> dict:
        self.require("manage_users", "disable users")
        with self.tx() as conn:
            row = self._user(conn, username)
            if username == self.actor.username:
                raise Conflict("You cannot disable your own account; ask another admin.")
            if row["role"] == "admin" and accounts.active_admins(conn) == [username]:
                raise Conflict(f"'{username}' is the last admin; make someone else admin first.")
            if not row["disabled"]:
                self._set(conn, username, disabled=True)
                self.audit(conn, "user_disable", "user", username)
            return self._public(conn, username)

    def enable_user(self, username: str) -> dict:
        self.require("manage_users", "enable users")
        with self.tx() as conn:
            row = self._user(conn, username)
            if row["disabled"]:
                self._set(conn, username, disabled=False)
                self.audit(conn, "user_enable", "user", username)
            return self._public(conn, username)

    def set_password(self, username: str, password: str) -> None:
        """Admins set anyone's password; everyone else only their own."""
        if username != self.actor.username:
            self.require("manage_users", "set other users' passwords")
        else:
            self.require("read")
        hashed = accounts.hash_password(password)
        with self.tx() as conn:
            self._user(conn, username)
            self._set(conn, username, password_hash=hashed)
            self.audit(conn, "password_change", "user", username)

    def _user(self, conn, username: str) -> dict:
        row = accounts.get_user(conn, username)
        if row is None:
            raise NotFound(f"No account '{username}'. `trustfill users list` shows them.")
        return row

    @staticmethod
    def _set(conn, username: str, **values) -> None:
        conn.execute(users_table.update().where(users_table.c.username == username).values(**values))

    def _public(self, conn, username: str) -> dict:
        row = self._user(conn, username)
        return {k: row[k] for k in _PUBLIC_USER_FIELDS} | {"sso_only": not row["password_hash"]}

    # ---- sign-in (needs no role: it is how one gets one)
    def authenticate(self, username: str, password: str, *, client: str = "cli") -> Actor:
        """Check a local account's password. A failure never says whether the username or the
        password was wrong; failures slow down this (account, client) pair and are audited by
        burst (``trustfill.signin_throttle``). ``client`` names where the attempt comes from (the
        app passes the browser's address)."""
        name = (username or "").strip()[:200]
        client = (client or "unknown")[:200]
        wrong = PermissionDenied("Wrong username or password.")
        now = utcnow()
        with self.tx() as conn:
            throttle.flush_ended(conn, now)
            row = accounts.get_user(conn, name) if name else None
            key = row["username"] if row else throttle.unknown_key(name)
            wait = throttle.wait_seconds(conn, key, client, now)
            if wait:
                throttle.note_failure(conn, key, client, throttle.REFUSED, now, checked=False)
        if wait:
            raise PermissionDenied(f"Too many failed sign-ins from here: wait {math.ceil(wait)} seconds, "
                                   "then try again.")
        ok = accounts.verify_password(password or "", row["password_hash"] if row else None)
        # The failure is recorded in its own committed transaction, *then* raised: raising inside
        # the transaction would roll the audit row back.
        if not ok or row is None:
            self._failed_password(key, client, "unknown user" if row is None else "wrong password")
            raise wrong
        if row["disabled"]:
            self._failed_password(key, client, "disabled")
            raise PermissionDenied(f"Account '{name}' is disabled. Ask an admin.")
        with self.tx() as conn:
            throttle.note_success(conn, key, client)
            audit.record(conn, name, "sign_in", "user", name, method="password")
        return accounts.actor_of(row)

    def _failed_password(self, key: str, client: str, reason: str) -> None:
        for attempt in range(2):  # two first failures of one pair at once: one insert loses, count it again
            try:
                with self.tx() as conn:
                    throttle.note_failure(conn, key, client, reason, utcnow())
                return
            except sa.exc.IntegrityError:
                if attempt:
                    raise

    def sign_in_sso(self, email: str) -> Actor:
        """The account for an email the identity provider vouched for (Streamlit OIDC)."""
        email = (email or "").strip().lower()
        with self.tx() as conn:
            row = accounts.get_user_by_email(conn, email) if email else None
        if row is None:
            self._failed(email or "(no email)", "sso", "no account with this email", object_id=email)
            raise NotFound(f"No Trustfill account has the email {email or '(none given)'}. "
                           "Ask an admin to add you (`trustfill users add NAME --email ...`).")
        if row["disabled"]:
            self._failed(row["username"], "sso", "disabled")
            raise PermissionDenied(f"Account '{row['username']}' is disabled. Ask an admin.")
        with self.tx() as conn:
            audit.record(conn, row["username"], "sign_in", "user", row["username"], method="sso", email=email)
        return accounts.actor_of(row)

    def _failed(self, who: str, method: str, reason: str, object_id: str | None = None) -> None:
        with self.tx() as conn:
            audit.record(conn, who, "sign_in_failed", "user", who if object_id is None else object_id,
                         method=method, reason=reason)

    def record_sign_out(self) -> None:
        with self.tx() as conn:
            self.audit(conn, "sign_out", "user", self.actor.username)

    # ---- audit trail
    def audit_log(self, **filters) -> list[dict]:
        """The filtered audit trail; sign-in bursts that have ended are written to it first."""
        self.require("read_audit", "read the audit trail")
        with self.tx() as conn:
            throttle.flush_ended(conn, utcnow())
            return audit.query(conn, **filters)

    def export_audit(self, dest: str | os.PathLike, **filters) -> Path:
        """Write the filtered audit trail to CSV; the export itself is audited."""
        self.require("read_audit", "export the audit trail")
        with self.tx() as conn:
            throttle.flush_ended(conn, utcnow())
            rows = audit.query(conn, **filters)
        path = audit.write_csv(rows, dest)
        with self.tx() as conn:
            self.audit(conn, "audit_export", "audit_log", Path(dest).name, rows=len(rows),
                       filters={k: v for k, v in filters.items() if v})
        return path

    # ---- proposed facts and freshness
    def accept_fact(self, fact_id: str, *, expected_version: int | None = None) -> Fact:
        """An approver accepts a proposed fact: it becomes active and is used for matching."""
        self.require("edit_fact", "accept proposed facts")
        fact = self.fact(fact_id)
        queued = [p for p in self.proposals(kind="fact", fact_id=fact_id)]
        if queued and expected_version in (None, fact.version):
            self.accept_proposals([p.id for p in queued])  # the queue's own path: audited as a proposal too
            return self.fact(fact_id)
        return self.save_fact(learning.accepted(fact, self.actor.username),
                              expected_version=fact.version if expected_version is None else expected_version)

    def proposed_facts(self) -> list[Fact]:
        self.require("read")
        with self.tx() as conn:
            return store.list_facts(conn, statuses=("proposed",))

    def stale_fact_ids(self, today: dt.date | None = None) -> set[str]:
        self.require("read")
        with self.tx() as conn:
            return lint.stale_fact_ids(conn, today)

    def kb_lint(self, *, today: dt.date | None = None,
                threshold: float = lint.CONFLICT_THRESHOLD) -> lint.LintReport:
        self.require("read")
        with self.tx() as conn:
            return lint.lint(conn, today=today, threshold=threshold)
