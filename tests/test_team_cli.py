"""Users, roles and the audit trail through the `trustfill` CLI, as TRUSTFILL_USER.

In-process with click's CliRunner on ``cli.main.cli`` for the role matrix, and as real
processes for the exit codes and messages a shell user sees.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_team_support import PASSWORD, REPO, SAMPLE_QUESTIONNAIRE, fast_hashes, make_team  # noqa: F401

from trustfill.cli.main import cli
from trustfill.errors import PermissionDenied, TrustfillError
from trustfill.roles import ROLES
from trustfill.service import Service


def invoke(user: str | None, *args: str, input: str | None = None, **env: str):
    """Run the CLI in-process as ``user``; returns (exit code as `trustfill` would give it, output)."""
    environ = {"TRUSTFILL_USER": user, **env} if user else dict(env)
    result = CliRunner().invoke(cli, list(args), input=input, env=environ, catch_exceptions=True)
    exc = result.exception
    if isinstance(exc, TrustfillError):
        return exc.exit_code, result.output + str(exc)
    if exc is not None and not isinstance(exc, SystemExit):
        raise exc
    return result.exit_code, result.output


@pytest.fixture
def team(db_url, tmp_path):
    actors = make_team()
    admin = Service(actor=actors["admin"])
    admin.set_match_settings(semantic=False)
    admin.import_sample()
    qid = admin.upload_questionnaire(SAMPLE_QUESTIONNAIRE, product="planner")
    admin.run_matching(qid)
    suggested = [r["id"] for r in admin.questions(qid) if r["match_status"] == "suggested"]
    return dict(qid=qid, suggested=suggested, out=tmp_path)


# (lowest role allowed, argv builder). Each runs for every role.
CLI_ACTIONS = [
    ("viewer", lambda t, role: ["kb", "list"]),
    ("viewer", lambda t, role: ["kb", "lint"]),
    ("viewer", lambda t, role: ["questionnaires", "show", str(t["qid"])]),
    ("editor", lambda t, role: ["questionnaires", "upload", str(SAMPLE_QUESTIONNAIRE), "-p", "planner",
                                "--no-match"]),
    ("editor", lambda t, role: ["questionnaires", "match", str(t["qid"])]),
    ("editor", lambda t, role: ["questionnaires", "edit", str(t["suggested"][0]), "--answer", "Yes"]),
    ("editor", lambda t, role: ["questionnaires", "export", str(t["qid"]), "-o",
                                str(t["out"] / f"{role}.xlsx"), "--fill", "suggested"]),
    ("approver", lambda t, role: ["questionnaires", "approve", str(t["suggested"][1])]),
    ("approver", lambda t, role: ["questionnaires", "reject", str(t["suggested"][2])]),
    ("approver", lambda t, role: ["kb", "import", "--sample"]),
    ("approver", lambda t, role: ["audit", "list", "--limit", "5"]),
    ("approver", lambda t, role: ["audit", "export", str(t["out"] / f"audit-{role}.csv")]),
    ("admin", lambda t, role: ["users", "list"]),
    ("admin", lambda t, role: ["users", "set-role", "viewer1", "viewer"]),
]


@pytest.mark.parametrize("role", ROLES)
def test_cli_role_matrix(team, role):
    for lowest, argv in CLI_ACTIONS:
        args = argv(team, role)
        code, output = invoke(f"{role}1", *args)
        if ROLES.index(role) >= ROLES.index(lowest):
            assert code == 0, f"{role} `trustfill {' '.join(args)}` failed: {output}"
        else:
            assert code == PermissionDenied.exit_code, f"{role} `trustfill {' '.join(args)}`: {output}"
            assert f"needs the {lowest} role" in output


def test_cli_users_lifecycle(db_url):
    code, out = invoke(None, "users", "add", "ed", "--role", "editor", "--password-stdin", input=PASSWORD + "\n")
    assert code == PermissionDenied.exit_code and "first account must be an admin" in out
    code, out = invoke(None, "users", "add", "boss", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")
    assert code == 0, out
    # single-user mode is over: the CLI now needs TRUSTFILL_USER
    code, out = invoke(None, "kb", "list")
    assert code == PermissionDenied.exit_code and "TRUSTFILL_USER" in out
    # prompted password, typed twice
    code, out = invoke("boss", "users", "add", "ed", "--role", "editor", "--email", "Ed@Example.com",
                       input=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, out
    code, out = invoke("boss", "users", "add", "sso", "--role", "viewer", "--email", "sso@example.com", "--sso-only")
    assert code == 0, out
    code, out = invoke("boss", "users", "list")
    assert code == 0
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line and not line.endswith("account(s)")}
    assert lines["ed"][1:4] == ["editor", "active", "password"] and lines["ed"][4] == "ed@example.com"
    assert lines["sso"][1:4] == ["viewer", "active", "sso"]
    assert invoke("boss", "users", "set-role", "ed", "approver")[0] == 0
    assert invoke("ed", "audit", "list")[0] == 0  # approvers read the audit trail
    assert invoke("boss", "users", "disable", "ed")[0] == 0
    code, out = invoke("ed", "kb", "list")
    assert code == PermissionDenied.exit_code and "disabled" in out
    code, out = invoke("boss", "users", "set-role", "boss", "viewer")
    assert code != 0 and "last admin" in out
    code, out = invoke("boss", "audit", "list", "--action", "role_change")
    assert code == 0 and "role_change" in out and "approver" in out and "1 row(s)" in out


def test_cli_password_is_verified_when_given(db_url):
    make_team()
    assert invoke("editor1", "kb", "list", TRUSTFILL_PASSWORD=PASSWORD)[0] == 0
    code, out = invoke("editor1", "kb", "list", TRUSTFILL_PASSWORD="not the password")
    assert code == PermissionDenied.exit_code and "TRUSTFILL_PASSWORD" in out
    code, out = invoke("nobody", "kb", "list")
    assert code != 0 and "No account 'nobody'" in out


def test_cli_audit_export_filters(team, tmp_path):
    assert invoke("approver1", "questionnaires", "approve", str(team["suggested"][0]))[0] == 0
    dest = tmp_path / "approvals.csv"
    code, out = invoke("approver1", "audit", "export", str(dest), "--action", "approve", "--actor", "approver1")
    assert code == 0, out
    rows = list(csv.DictReader(dest.open(encoding="utf-8")))
    assert [r["action"] for r in rows] == ["approve"]
    assert rows[0]["actor"] == "approver1" and rows[0]["object_id"] == str(team["suggested"][0])
    code, out = invoke("approver1", "audit", "list", "--since", "2000-01-01", "--until", "2000-12-31")
    assert code == 0 and "0 row(s)" in out
    code, out = invoke("approver1", "audit", "list", "--since", "yesterday")
    assert code != 0 and "not a date" in out


def _run(home: Path, db_url: str, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "TRUSTFILL_HOME": str(home), "TRUSTFILL_DATABASE_URL": db_url, **env}
    return subprocess.run([sys.executable, "-m", "trustfill", *args], input=stdin, capture_output=True, text=True,
                          env=environ, cwd=REPO, timeout=120)


def test_cli_processes_report_forbidden_actions_clearly(db_url, tmp_path):
    home = Path(os.environ["TRUSTFILL_HOME"])
    proc = _run(home, db_url, "users", "add", "root", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert proc.returncode == 0, proc.stderr
    proc = _run(home, db_url, "users", "add", "viv", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n",
                TRUSTFILL_USER="root")
    assert proc.returncode == 0, proc.stderr
    proc = _run(home, db_url, "kb", "import", "--sample", TRUSTFILL_USER="viv")
    assert proc.returncode == 3
    assert proc.stderr.strip() == ("Error: viv (viewer) may not import the knowledge base: that needs the approver "
                                   "role or higher. Ask an admin to change your role.")
    assert "Traceback" not in proc.stderr
