"""`trustfill kb lint` and stale-fact flags: stale facts, conflicting near-duplicates, unused facts."""

from __future__ import annotations

import csv
import datetime as dt

from test_team_cli import invoke
from test_team_support import SAMPLE_QUESTIONNAIRE, fast_hashes  # noqa: F401

from trustfill.service import Service

TODAY = dt.date(2030, 6, 1)
HEADER = ["ID", "Question", "Answer", "Comment", "Product", "Owner", "Last Reviewed", "Review Interval Days"]
ROWS = [
    # stale: reviewed 400 days ago, interval 365
    ["old", "Do you run a bug bounty programme?", "No", "", "", "ciso@example.com", "2029-04-27", "365"],
    # fresh
    ["fresh", "Is there a status page?", "Yes", "", "", "sre@example.com", "2030-05-01", "365"],
    # conflict: near-identical question, overlapping scope (all products vs forms), different answers
    ["rest-all", "Is customer data encrypted at rest?", "Yes", "", "", "", "2030-05-01", "365"],
    ["rest-forms", "Is all customer data encrypted at rest", "No", "", "forms", "", "2030-05-01", "365"],
    # same answer as rest-all: no conflict with it (but one with rest-forms)
    ["rest-same", "Is customer data encrypted at rest in backups?", "yes", "", "", "", "2030-05-01", "365"],
    # no conflict: disjoint product scopes
    ["rto-chat", "What is your recovery time objective?", "4 hours", "", "chat", "", "2030-05-01", "365"],
    ["rto-forms", "What is the recovery time objective?", "8 hours", "", "forms", "", "2030-05-01", "365"],
]


def _library(path):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    return path


def test_lint_finds_stale_conflicting_and_unused_facts(tf_home, tmp_path):
    svc = Service()
    svc.import_library(_library(tmp_path / "kb.csv"))
    report = svc.kb_lint(today=TODAY)
    assert [(s.fact_id, s.days_overdue) for s in report.stale] == [("old", 35)]
    assert sorted((c.fact_a, c.fact_b) for c in report.conflicts) == [("rest-all", "rest-forms"),
                                                                      ("rest-forms", "rest-same")]
    assert report.conflicts[0].score >= 90
    assert sorted(report.unused) == sorted(r[0] for r in ROWS)  # no questionnaire yet
    assert svc.stale_fact_ids(today=TODAY) == {"old"}
    assert svc.stale_fact_ids(today=dt.date(2031, 6, 1)) == {r[0] for r in ROWS}


def test_never_reviewed_facts_count_from_their_creation(tf_home):
    svc = Service()
    svc.import_sample()
    today = dt.date.today()
    never = [f for f in svc.facts() if f.last_reviewed is None]
    stale_now = svc.stale_fact_ids(today=today)
    assert not stale_now & {f.id for f in never}  # just imported: not yet due
    later = svc.stale_fact_ids(today=today + dt.timedelta(days=3660))
    assert {f.id for f in never} <= later


def test_used_facts_are_not_reported_unused(tf_home):
    svc = Service()
    svc.set_match_settings(semantic=False)
    svc.import_sample()
    qid = svc.upload_questionnaire(SAMPLE_QUESTIONNAIRE, product="planner")
    svc.run_matching(qid)
    used = {r["fact_id"] for r in svc.questions(qid) if r["fact_id"]}
    unused = set(svc.kb_lint().unused)
    assert used and not used & unused
    assert unused == {f.id for f in svc.facts()} - used


def test_kb_lint_command(tf_home, tmp_path):
    Service().import_library(_library(tmp_path / "kb.csv"))
    code, out = invoke(None, "kb", "lint", "--today", TODAY.isoformat())
    assert code == 0, out
    assert "Stale (review date passed): 1" in out and "old: due 2030-04-27" in out
    assert "Conflicts (near-identical questions, different answers): 2" in out
    assert "rest-all [Yes] vs rest-forms [No]" in out
    assert "Never used (no question matched to them): 7" in out
    code, out = invoke(None, "kb", "lint", "--today", TODAY.isoformat(), "--strict")
    assert code == 1 and "kb lint found 10 problem(s)" in out
