"""`trustfill questionnaires bulk-approve`: what it approves (or would), one line per question."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from review_workbooks import dropdown_questionnaire, library_csv

REPO = Path(__file__).resolve().parent.parent


def run(home: Path, *args: str) -> str:
    env = {**os.environ, "TRUSTFILL_HOME": str(home)}
    env.pop("TRUSTFILL_DATABASE_URL", None)
    proc = subprocess.run([sys.executable, "-m", "trustfill", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_bulk_approve_prints_each_question_it_approves_and_dry_run_approves_nothing(tf_home, tmp_path):
    from trustfill.service import Service

    svc = Service()
    svc.import_library(library_csv(tmp_path / "lib.csv"), replace=True)
    svc.set_match_settings(semantic=False)
    qid, _ = svc.upload_and_match(dropdown_questionnaire(tmp_path / "q.xlsx"))
    expected = [r for r in svc.questions(qid) if r["match_status"] == "suggested" and r["answer"]]
    assert len(expected) == 5

    out = run(tf_home, "questionnaires", "bulk-approve", str(qid), "--min-score", "90", "--dry-run")
    lines = out.strip().splitlines()
    assert lines[-1] == "Would approve 5 answer(s) at confidence 90 or above."
    assert [line.split("\t")[0] for line in lines[:-1]] == [str(r["id"]) for r in expected]
    assert not any(r["review_status"] == "approved" for r in svc.questions(qid))

    out = run(tf_home, "questionnaires", "bulk-approve", str(qid), "--min-score", "90")
    lines = out.strip().splitlines()
    assert lines[-1] == "Approved 5 answer(s) at confidence 90 or above."
    for line, row in zip(lines[:-1], expected, strict=True):
        qid_, ref, score, text, answer = line.split("\t")
        assert (int(qid_), ref, text, answer) == (row["id"], row["ref"], row["text"][:70], f"-> {row['answer'][:60]}")
    assert {r["id"] for r in svc.questions(qid) if r["review_status"] == "approved"} == {r["id"] for r in expected}
    assert run(tf_home, "questionnaires", "bulk-approve", str(qid)).strip() == \
        "Approved 0 answer(s) at confidence 0 or above."
