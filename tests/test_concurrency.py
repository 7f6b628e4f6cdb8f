"""Concurrent reviewers, with real threads on a real database (SQLite and PostgreSQL).

Optimistic locking: every change names the version its author saw. When two people change the
same thing at once exactly one wins; the other gets a Conflict that shows the winner's value,
nothing is lost, and the audit trail records each change that happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from trustfill.errors import Conflict
from trustfill.roles import Actor
from trustfill.service import Service

REPO = Path(__file__).resolve().parent.parent
SAMPLE_Q = REPO / "knowledge" / "sample" / "sample_questionnaire.xlsx"
ANN = Actor("ann", "approver")
BOB = Actor("bob", "approver")


def _workspace() -> tuple[int, list[dict]]:
    svc = Service()
    svc.import_sample()
    svc.set_match_settings(semantic=False)
    qid = svc.upload_questionnaire(SAMPLE_Q)
    svc.run_matching(qid)
    return qid, svc.questions(qid)


def _cells(path: Path) -> dict:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None}


def _race(*jobs: Callable[[], object]) -> list[object]:
    """Run the jobs in threads released at the same instant; return each result or exception."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(i: int, job) -> None:
        barrier.wait()
        try:
            results[i] = job()
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a reviewer thread hung"
    return results


def test_two_reviewers_edit_the_same_answer_at_once(db_url):
    _qid, rows = _workspace()
    row = next(r for r in rows if r["answer"])
    seen = row["version"]  # both open the question and see this version

    results = _race(
        lambda: Service(ANN).edit_answer(row["id"], answer="Ann's", comment="A", expected_version=seen),
        lambda: Service(BOB).edit_answer(row["id"], answer="Bob's", comment="B", expected_version=seen),
    )

    wins = [r for r in results if isinstance(r, dict)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    winner = wins[0]
    # the loser is told, and the message shows the winner's value
    assert winner["answer"] in str(losses[0]) and "Reload" in str(losses[0])
    stored = Service().question(row["id"])
    assert stored["answer"] == winner["answer"] and stored["version"] == seen + 1
    edits = Service().audit_log(action="edit")
    assert [(e["actor"], e["details"]["after"]["answer"]) for e in edits] == [
        (winner["reviewer"], winner["answer"])]


def test_edit_and_approve_race_then_the_loser_retries(db_url):
    _qid, rows = _workspace()
    row = next(r for r in rows if r["answer"])
    seen = row["version"]
    ann, bob = Service(ANN), Service(BOB)

    results = _race(
        lambda: ann.edit_answer(row["id"], answer="Yes, with MFA", comment="", expected_version=seen),
        lambda: bob.approve(row["id"], expected_version=seen),
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"], results
    loser = bob if isinstance(results[1], Conflict) else ann

    # The loser reloads, sees the winner's change, and acts again on the new version.
    current = loser.question(row["id"])
    assert current["version"] == seen + 1
    if loser is bob:
        assert current["answer"] == "Yes, with MFA" and current["review_status"] == "pending"
        final = bob.approve(row["id"], expected_version=current["version"])
        assert final["review_status"] == "approved" and final["answer"] == "Yes, with MFA"
    else:
        assert current["review_status"] == "approved"
        final = ann.edit_answer(row["id"], answer="Yes, with MFA", comment="",
                                expected_version=current["version"])
        assert final["review_status"] == "pending"  # an edit needs a fresh approval
    log = Service().audit_log()
    assert {(e["actor"], e["action"]) for e in log if e["object_type"] == "question"} == {
        ("ann", "edit"), ("bob", "approve")}


def test_many_racing_edits_exactly_one_wins(db_url):
    _qid, rows = _workspace()
    row = rows[5]
    racers = [Actor(f"user{i}", "editor") for i in range(6)]
    results = _race(*[
        (lambda a=a: Service(a).edit_answer(row["id"], answer=f"by {a.username}", comment="",
                                            expected_version=row["version"]))
        for a in racers])
    assert sum(isinstance(r, dict) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == len(racers) - 1, results
    assert len(Service().audit_log(action="edit")) == 1


def test_reviewers_on_different_questions_never_block_each_other(db_url):
    """No 'database is locked' and no lost write when many people save at once."""
    _qid, rows = _workspace()
    people = [Actor(f"rev{i}", "editor") for i in range(6)]
    per_person = 5

    def work(actor: Actor, mine: list[dict]) -> int:
        svc = Service(actor)
        for r in mine:
            svc.edit_answer(r["id"], answer=f"{actor.username} {r['id']}", comment="",
                            expected_version=r["version"])
        return len(mine)

    jobs = [(lambda a=a, i=i: work(a, rows[i * per_person:(i + 1) * per_person]))
            for i, a in enumerate(people)]
    results = _race(*jobs)
    assert results == [per_person] * len(people)
    for i, a in enumerate(people):
        for r in rows[i * per_person:(i + 1) * per_person]:
            assert Service().question(r["id"])["answer"] == f"{a.username} {r['id']}"
    assert len(Service().audit_log(action="edit")) == per_person * len(people)


def test_fact_edited_while_a_questionnaire_using_it_is_exported(db_url, tmp_path):
    qid, rows = _workspace()
    used = next(r for r in rows if r["fact_id"])
    admin = Service()
    admin.approve(used["id"], expected_version=used["version"])
    fact = admin.fact(used["fact_id"])
    exported_answer = used["answer"]
    baseline = _cells(admin.export_filled(qid, tmp_path / "before.xlsx").path)

    def export_repeatedly() -> int:
        svc = Service(Actor("sam", "editor"))
        for i in range(5):
            svc.export_filled(qid, tmp_path / f"out-{i}.xlsx")
        return 5

    def edit_fact() -> object:
        svc = Service(ANN)
        return svc.save_fact(fact.model_copy(update={"answer": "Changed by Ann"}),
                             expected_version=fact.version)

    exported, saved = _race(export_repeatedly, edit_fact)
    assert exported == 5 and saved.answer == "Changed by Ann" and saved.version == fact.version + 1
    # The approved answer is the one that was approved: a fact edit never rewrites a decision
    # behind the reviewer's back, so every export made during the edit is whole and identical.
    assert Service().question(used["id"])["answer"] == exported_answer
    for i in range(5):
        assert _cells(tmp_path / f"out-{i}.xlsx") == baseline
    log = Service().audit_log()
    # (an approval may itself teach the fact a new phrasing: that edit is by the approver, "local")
    ann_edits = [e for e in log if e["action"] == "fact_edit" and e["actor"] == "ann"]
    assert len(ann_edits) == 1 and ann_edits[0]["details"]["changes"]["answer"]["after"] == "Changed by Ann"
    assert sum(e["action"] == "export" and e["actor"] == "sam" for e in log) == 5


def test_two_approvers_edit_the_same_fact(db_url):
    _workspace()
    fact = Service().facts()[0]
    results = _race(
        lambda: Service(ANN).save_fact(fact.model_copy(update={"answer": "Ann"}), expected_version=fact.version),
        lambda: Service(BOB).save_fact(fact.model_copy(update={"answer": "Bob"}), expected_version=fact.version),
    )
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert "changed by someone else" in str(losses[0])
    current = Service().fact(fact.id)
    assert current.answer == wins[0].answer and current.version == fact.version + 1
    edits = [e for e in Service().audit_log(action="fact_edit") if e["object_id"] == fact.id]
    assert len(edits) == 1 and edits[0]["details"]["changes"]["answer"]["after"] == wins[0].answer


def test_fact_conflict_message_shows_the_winners_value(db_url):
    _workspace()
    fact = Service().facts()[0]
    Service(ANN).save_fact(fact.model_copy(update={"answer": "Ann says"}), expected_version=fact.version)
    with pytest.raises(Conflict, match="Ann says"):
        Service(BOB).save_fact(fact.model_copy(update={"answer": "Bob says"}), expected_version=fact.version)
