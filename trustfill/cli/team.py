"""`trustfill users ...` and `trustfill audit ...` (and `trustfill kb lint`, in cli/kb.py).

The CLI acts as the account named by TRUSTFILL_USER. It runs with file access to the database,
so that name is an assertion, not a proof: set TRUSTFILL_PASSWORD too and it is verified. Before
the first account exists the CLI runs in single-user mode, and `trustfill users add` must create
an admin.
"""

from __future__ import annotations

import json
import sys

import click

from trustfill import audit as audit_mod
from trustfill.cli.common import service
from trustfill.errors import TrustfillError
from trustfill.roles import DESCRIPTIONS, ROLES

ROLE_CHOICE = click.Choice(ROLES, case_sensitive=False)
ROLE_HELP = "; ".join(f"{r}: {d}" for r, d in DESCRIPTIONS.items())


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if password.endswith("\r"):
            password = password[:-1]
        if not password:
            raise TrustfillError("--password-stdin: no password on standard input.")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Accounts and roles (admins only). Roles: viewer < editor < approver < admin."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=ROLE_CHOICE, required=True, help=ROLE_HELP)
@click.option("--email", default="", help="Email address; single sign-on matches accounts by it.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--sso-only", is_flag=True, help="No password: the account signs in only by single sign-on "
                                               "(needs --email).")
def users_add(username, role, email, display_name, password_stdin, sso_only) -> None:
    """Add an account. Prompts for the password unless --password-stdin or --sso-only."""
    svc = service()
    svc.require("manage_users", "add users")  # before asking for a password that would be refused
    password = None if sso_only else _read_password(password_stdin)
    user = svc.add_user(username, role.lower(), password=password, email=email, display_name=display_name)
    click.echo(f"Added {user['username']} ({user['role']})" + (" for single sign-on" if sso_only else ""))


@users.command("list")
def users_list() -> None:
    """List accounts: username, role, email, state and how they sign in."""
    rows = service().list_users()
    for u in rows:
        state = "disabled" if u["disabled"] else "active"
        how = "sso" if u["sso_only"] else "password"
        click.echo(f"{u['username']:<24} {u['role']:<9} {state:<9} {how:<9} {u['email']}")
    click.echo(f"{len(rows)} account(s)")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=ROLE_CHOICE)
def users_set_role(username, role) -> None:
    """Change USERNAME's role (takes effect at once, also in open app sessions)."""
    user = service().set_role(username, role.lower())
    click.echo(f"{user['username']} is now {user['role']}")


@users.command("disable")
@click.argument("username")
def users_disable(username) -> None:
    """Disable USERNAME: they can no longer sign in or act. Their history stays in the audit trail."""
    service().disable_user(username)
    click.echo(f"Disabled {username}")


@users.command("enable")
@click.argument("username")
def users_enable(username) -> None:
    """Enable a disabled account again."""
    service().enable_user(username)
    click.echo(f"Enabled {username}")


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
def users_passwd(username, password_stdin) -> None:
    """Set USERNAME's password (your own, or anyone's as an admin)."""
    service().set_password(username, _read_password(password_stdin))
    click.echo(f"Password of {username} changed")


def _filters(actor, action, object_type, object_id, since, until) -> dict:
    return dict(actor=actor, action=action, object_type=object_type, object_id=object_id,
                since=audit_mod.parse_when(since), until=audit_mod.parse_when(until, end=True))


def filter_options(func):
    options = [
        click.option("--actor", help="Only this user's actions."),
        click.option("--action", type=click.Choice(audit_mod.ACTIONS), help="Only this kind of action."),
        click.option("--type", "object_type", help="Only actions on this kind of object (question, fact, "
                                                   "questionnaire, user, ...)."),
        click.option("--object", "object_id", help="Only actions on this object ID."),
        click.option("--since", help="From this date/time (UTC), YYYY-MM-DD[THH:MM]."),
        click.option("--until", help="Up to this date/time (UTC); a date includes that whole day."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group()
def audit() -> None:
    """The audit trail: who did what, when (approvers and admins)."""


@audit.command("list")
@filter_options
@click.option("--limit", type=int, default=50, show_default=True, help="Newest N rows (0: all).")
def audit_list(actor, action, object_type, object_id, since, until, limit) -> None:
    """Show audit rows, newest first."""
    rows = service().audit_log(**_filters(actor, action, object_type, object_id, since, until),
                               limit=limit or None, newest_first=True)
    for r in rows:
        details = json.dumps(r["details"] or {}, ensure_ascii=False, sort_keys=True)
        click.echo(f"{r['at'].isoformat(timespec='seconds')}Z  {r['actor']:<16} {r['action']:<15} "
                   f"{r['object_type']}:{r['object_id']}  {details[:160]}")
    click.echo(f"{len(rows)} row(s)")


@audit.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@filter_options
def audit_export(file, actor, action, object_type, object_id, since, until) -> None:
    """Write the (filtered) audit trail to FILE as CSV, oldest first."""
    path = service().export_audit(file, **_filters(actor, action, object_type, object_id, since, until))
    click.echo(f"Wrote {path}")


COMMANDS = [users, audit]
