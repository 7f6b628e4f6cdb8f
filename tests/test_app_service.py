"""Service methods the review app relies on: reopen, change fingerprints, usage statistics.

Real database (SQLite, and PostgreSQL when TRUSTFILL_TEST_POSTGRES_URL is set), the sample
knowledge base and the sample questionnaire; expected values are recomputed from the questions.
"""

from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

from knowledge import io as kb_io
from knowledge.service import SAMPLE_FACTS
from trustfill.errors import Conflict, PermissionDenied
from trustfill.roles import Actor
from trustfill.service import Service

SAMPLE_XLSX = SAMPLE_FACTS.parent / "sample_questionnaire.xlsx"


@pytest.fixture
def two(db_url):
    """The sample knowledge base and the sample questionnaire uploaded twice (two customers), matched."""
    svc = Service()
    svc.ensure_sample_loaded()
    svc.set_match_settings(semantic=False)
    ids = [svc.upload_questionnaire(SAMPLE_XLSX, product="planner", customer=c) for c in ("Acme", "Globex")]
    for qid in ids:
        svc.run_matching(qid)
    return svc, ids


def _suggested(svc: Service, qid: int) -> list[dict]:
    return [r for r in svc.questions(qid) if r["match_status"] == "suggested" and r["answer"]]


# ---- reopen
def test_reopen_sets_a_decision_back_to_pending_and_keeps_answer_and_origin(two):
    svc, (qid, _) = two
    auto, edited = _suggested(svc, qid)[:2]
    svc.approve(auto["id"])
    row = svc.edit_answer(edited["id"], answer="Yes, with our own words", comment="c")
    svc.reject(edited["id"], expected_version=row["version"])
    for target, decided in ((auto, "approved"), (edited, "rejected")):
        before = svc.question(target["id"])
        assert before["review_status"] == decided
        after = svc.reopen(target["id"], expected_version=before["version"])
        assert after["review_status"] == "pending" and after["version"] == before["version"] + 1
        assert (after["answer"], after["comment"], after["origin"], after["fact_id"]) == (
            before["answer"], before["comment"], before["origin"], before["fact_id"])
        entry = svc.audit_log(action="edit", object_id=str(target["id"]))[-1]
        assert entry["details"]["reason"] == "reopen"
        assert (entry["details"]["before"], entry["details"]["after"]) == (
            {"review_status": decided}, {"review_status": "pending"})
    assert svc.question(edited["id"])["origin"] == "edited"


def test_reopen_of_a_pending_answer_changes_nothing(two):
    svc, (qid, _) = two
    row = _suggested(svc, qid)[0]
    edits = len(svc.audit_log(action="edit"))
    assert svc.reopen(row["id"])["version"] == row["version"]
    assert svc.question(row["id"])["version"] == row["version"]
    assert len(svc.audit_log(action="edit")) == edits
    with pytest.raises(Conflict):
        svc.reopen(row["id"], expected_version=row["version"] - 1)


def test_reopen_loses_to_a_newer_change_and_needs_the_approver_role(two):
    svc, (qid, _) = two
    row = _suggested(svc, qid)[0]
    approved = svc.approve(row["id"])
    with pytest.raises(Conflict, match="changed by"):
        svc.reopen(row["id"], expected_version=row["version"])  # the version from before the approval
    assert svc.question(row["id"])["review_status"] == "approved"
    editor = Service(actor=Actor("ed", "editor"))
    with pytest.raises(PermissionDenied, match="approver"):
        editor.reopen(row["id"], expected_version=approved["version"])
    assert svc.question(row["id"])["review_status"] == "approved"


# ---- fingerprints
def test_questions_fingerprint_counts_and_sums_versions_of_one_questionnaire(two):
    svc, (first, second) = two
    rows = svc.questions(first)
    assert svc.questions_fingerprint(first) == (len(rows), sum(r["version"] for r in rows))
    other = svc.questions_fingerprint(second)
    svc.edit_answer(rows[3]["id"], answer="changed", comment="")
    assert svc.questions_fingerprint(first) == (len(rows), sum(r["version"] for r in rows) + 1)
    assert svc.questions_fingerprint(second) == other
    assert svc.questions_fingerprint(10_000) == (0, 0)


def test_kb_fingerprint_changes_with_any_fact_write(two):
    svc, _ = two
    start = svc.kb_fingerprint()
    assert start[0] == svc.fact_count()
    fact = svc.facts()[0]
    svc.save_fact(fact.model_copy(update={"comment": fact.comment + " (checked)"}), expected_version=fact.version)
    edited = svc.kb_fingerprint()
    assert edited != start and edited[:2] == (start[0], start[1] + 1)
    svc.save_fact(fact.model_copy(update={"id": "brand-new", "version": 1}), expected_version=None)
    assert svc.kb_fingerprint()[0] == start[0] + 1


# ---- usage statistics
def _expected_usage(svc: Service, ids: list[int]) -> tuple[dict, dict]:
    facts: dict[str, dict] = defaultdict(lambda: {"questions": 0, "approved": 0, "questionnaires": set()})
    gaps: dict[str, dict] = defaultdict(lambda: {"times": 0, "questionnaires": set(), "by_hand": 0})
    for qid in ids:
        for r in svc.questions(qid):
            if r["fact_id"]:
                f = facts[r["fact_id"]]
                f["questions"] += 1
                f["approved"] += r["review_status"] == "approved"
                f["questionnaires"].add(qid)
            unanswered = (r["match_status"] == "unanswered" and not r["prefilled"]
                          and r["review_status"] != "approved")
            if unanswered or r["origin"] == "manual":
                g = gaps[" ".join(re.sub(r"[^\w\s]+", " ", r["text"].lower()).split())]
                g["times"] += 1
                g["questionnaires"].add(qid)
                g["by_hand"] += r["origin"] == "manual"
    return ({k: (v["questions"], v["approved"], len(v["questionnaires"])) for k, v in facts.items()},
            {k: (v["times"], len(v["questionnaires"]), v["by_hand"]) for k, v in gaps.items()})


def test_usage_stats_count_fact_use_and_group_gaps_across_questionnaires(two):
    svc, ids = two
    rows = _suggested(svc, ids[0])
    svc.approve(rows[0]["id"])
    svc.approve(rows[1]["id"])
    gap = next(r for r in svc.questions(ids[1]) if r["match_status"] == "unanswered")
    svc.edit_answer(gap["id"], answer="We do, by hand", comment="")  # origin manual, still a gap
    want_facts, want_gaps = _expected_usage(svc, ids)
    stats = svc.usage_stats(top_facts=None, top_gaps=None)
    got_facts = {f["fact_id"]: (f["questions"], f["approved"], f["questionnaires"]) for f in stats["facts"]}
    assert got_facts == want_facts
    by_id = {f.id: f for f in svc.facts(statuses=None)}
    assert all(f["question"] == by_id[f["fact_id"]].question for f in stats["facts"])
    got_gaps = {" ".join(re.sub(r"[^\w\s]+", " ", g["question"].lower()).split()):
                (g["times"], g["questionnaires"], g["by_hand"]) for g in stats["gaps"]}
    assert got_gaps == want_gaps
    assert sum(g["by_hand"] for g in stats["gaps"]) == 1
    # Most approved first; the default keeps the top 15 and 20.
    assert [f["approved"] for f in stats["facts"]] == sorted((f["approved"] for f in stats["facts"]), reverse=True)
    short = svc.usage_stats()
    assert short["facts"] == stats["facts"][:15] and short["gaps"] == stats["gaps"][:20]


def test_usage_stats_name_a_fact_that_is_gone(two):
    svc, (qid, _) = two
    used = next(r["fact_id"] for r in svc.questions(qid) if r["fact_id"])
    remaining = [f for f in svc.facts(statuses=None) if f.id != used]
    with tempfile.TemporaryDirectory() as tmp:
        path = kb_io.write_library(remaining, Path(tmp) / "kb.yaml")
        svc.import_library(path, replace=True)
    row = next(f for f in svc.usage_stats(top_facts=None)["facts"] if f["fact_id"] == used)
    assert row["question"] == "(removed)"


def test_usage_stats_need_read_access(two):
    with pytest.raises(PermissionDenied):
        Service(actor=Actor("nobody", "")).usage_stats()
