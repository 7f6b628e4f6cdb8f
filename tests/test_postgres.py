"""Trustfill on PostgreSQL works as on SQLite: same results, same errors, no SQL that only one accepts.

The PostgreSQL databases are created with an en-US ICU collation (as a production server usually
has), so text ordering differs from SQLite's bytewise order and code relying on it shows up here.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from db_fixtures import database_snapshot, table_counts
from trustfill.errors import TrustfillError
from trustfill.roles import Actor
from trustfill.service import Service

REPO = Path(__file__).resolve().parent.parent
SAMPLE_Q = REPO / "knowledge" / "sample" / "sample_questionnaire.xlsx"

# IDs and categories that sort differently bytewise (SQLite) and by a language collation (PostgreSQL).
LIBRARY = """ID,Question,Answer,Comment,Category,Product
enc_1,Do you encrypt data at rest?,Yes,AES-256 on every volume,Crypto,
Enc-2,Do you encrypt data in transit?,Yes,TLS 1.2 or later,crypto,
b1,Do you have an incident response plan?,Yes,Tested yearly,IR,
A-1,Do you perform background checks on employees?,Yes,All staff at hire,HR,
a1,Do you perform background checks on contractors?,No,Contractors are vetted by their employer,hr,
Z9,Is multi-factor authentication enforced for administrators?,Yes,Hardware keys,IAM,planner
"""
QUESTIONS = """Question,Answer,Comment
Do you encrypt data at rest?,,
Is data encrypted in transit?,,
Do you perform background checks on employees?,,
Is MFA enforced for admin accounts?,,
Do you have a documented incident response plan?,,
What is your favourite colour?,,
"""


def _workflow(svc: Service, tmp: Path) -> dict:
    """One team's day: import, upload, match, review, export; returns what a user can observe."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "lib.csv").write_text(LIBRARY)
    (tmp / "q.csv").write_text(QUESTIONS)
    svc.import_library(tmp / "lib.csv")
    svc.set_match_settings(semantic=False)
    qid = svc.upload_questionnaire(tmp / "q.csv", customer="Acme")
    svc.run_matching(qid)
    rows = svc.questions(qid)
    svc.edit_answer(rows[1]["id"], answer="Yes", comment="TLS everywhere", expected_version=rows[1]["version"])
    svc.reject(rows[5]["id"], expected_version=rows[5]["version"])
    svc.bulk_approve(qid)
    svc.export_filled(qid, tmp / "filled.csv", fill="review")
    svc.write_match_report(qid, tmp / "report.csv")
    svc.export_library(tmp / "kb.csv")
    keep = ("sheet", "row", "text", "fact_id", "score", "match_status", "answer", "comment", "review_status",
            "origin", "reviewer", "version")
    return {
        "questions": [{k: r[k] for k in keep} for r in svc.questions(qid)],
        "progress": svc.progress(qid),
        "filled": (tmp / "filled.csv").read_text(),
        "report": (tmp / "report.csv").read_text(),
        "audit": [(a["actor"], a["action"], a["object_type"]) for a in svc.audit_log()],
        "products": svc.products(),
        "categories": svc.categories(),
        "facts_by_product": sorted(f.id for f in svc.facts(product="planner")),  # order: see below
        "search": sorted(f.id for f in svc.facts(search="background")),
    }


@pytest.mark.postgres
def test_postgres_gives_the_same_results_as_sqlite(db_url, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("compares a PostgreSQL run with a SQLite run")
    on_postgres = _workflow(Service(), tmp_path / "pg")
    on_sqlite = _workflow(Service(database_url=f"sqlite:///{tmp_path / 'ref.db'}"), tmp_path / "lite")
    for key in on_sqlite:
        assert on_postgres[key] == on_sqlite[key], key
    assert on_postgres["progress"].total == 6


def test_full_workflow_on_each_backend(db_url, tmp_path):
    result = _workflow(Service(), tmp_path)
    assert result["progress"].approved >= 2 and result["progress"].rejected == 1
    assert [q["review_status"] for q in result["questions"]][5] == "rejected"
    with (tmp_path / "filled.csv").open(newline="") as fh:
        filled = list(csv.reader(fh))
    assert filled[2][1:] == ["Yes", "TLS everywhere"]
    actions = [a[1] for a in result["audit"]]
    for action in ("kb_import", "upload", "match_run", "edit", "reject", "bulk_approve", "export", "kb_export"):
        assert action in actions


@pytest.mark.postgres
def test_fact_order_is_the_same_on_both(db_url, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("compares a PostgreSQL run with a SQLite run")
    (tmp_path / "lib.csv").write_text(LIBRARY)
    lite = Service(database_url=f"sqlite:///{tmp_path / 'ref.db'}")
    for svc in (Service(), lite):
        svc.import_library(tmp_path / "lib.csv")
    assert [f.id for f in Service().facts()] == [f.id for f in lite.facts()]


# Values SQLite stores without complaint but PostgreSQL refuses (VARCHAR lengths, NUL characters):
# each must be a clear error (or work) on both, never a database traceback, and a failure must
# leave the database unchanged.
def _long_category(svc, tmp):
    (tmp / "lib.csv").write_text("ID,Question,Answer,Category\nx1,Do you encrypt?,Yes," + "C" * 300 + "\n")
    return svc.import_library(tmp / "lib.csv")


def _nul_in_library(svc, tmp):
    (tmp / "lib.csv").write_text("ID,Question,Answer\nx2,Do you encrypt?,Yes\x00 really\n")
    return svc.import_library(tmp / "lib.csv")


def _long_customer(svc, tmp):
    (tmp / "q.csv").write_text(QUESTIONS)
    return svc.upload_questionnaire(tmp / "q.csv", customer="X" * 400)


@pytest.mark.parametrize("case, action", [
    ("long_category", _long_category), ("nul_in_library", _nul_in_library), ("long_customer", _long_customer)])
def test_values_postgres_refuses_are_handled(db_url, tmp_path, case, action):
    svc = Service()
    before = database_snapshot()
    try:
        action(svc, tmp_path)
    except TrustfillError:
        assert database_snapshot() == before
        return
    # it worked: the value must have been stored whole (or visibly cleaned), not truncated silently
    assert table_counts() != {k: len(v) for k, v in before.items()}


def test_the_cli_runs_against_the_configured_database(db_url, tmp_path):
    """A CLI subprocess inherits TRUSTFILL_DATABASE_URL and works on either backend."""
    env = dict(os.environ)
    out = tmp_path / "filled.xlsx"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "trustfill", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=180)

    assert run("kb", "import", "--sample").returncode == 0
    Service().set_match_settings(semantic=False)  # keeps the subprocess quick; matching is not under test
    done = run("answer", str(SAMPLE_Q), "-o", str(out), "--report", str(tmp_path / "r.csv"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and out.exists()
    listed = run("questionnaires", "list")
    assert listed.returncode == 0 and "sample_questionnaire" in listed.stdout
    # what the CLI wrote is in the very database the fixture created
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM questionnaires")).scalar() == 1
    finally:
        engine.dispose()


def test_roles_and_audit_queries(db_url):
    svc = Service()
    svc.import_sample()
    viewer = Service(Actor("vic", "viewer"))
    with pytest.raises(TrustfillError):
        viewer.import_sample()
    assert len(svc.audit_log(action="kb_import")) == 1
    assert svc.audit_log(actor="nobody") == []
