"""A knowledge base that learns: approved wordings become alternate questions; hand-written answers
become proposed facts. Ends with the measurement on the dev set: approving one questionnaire
must make the next one of the same style match better.
"""

from __future__ import annotations

import sys

import pytest
from test_team_support import REPO, SAMPLE_QUESTIONNAIRE, fast_hashes  # noqa: F401

from conftest import BENCH, DEV, needs_shared
from knowledge.learning import clean_wording
from knowledge.proposals import looks_like_form_field
from trustfill.db import questions as questions_table
from trustfill.errors import Conflict, PermissionDenied, TrustfillError
from trustfill.roles import Actor
from trustfill.service import Service

APPROVER = Actor("lead", "approver")


@pytest.fixture
def matched(tf_home):
    svc = Service(actor=APPROVER)
    Service().set_match_settings(semantic=False)
    svc.import_sample()
    qid = svc.upload_questionnaire(SAMPLE_QUESTIONNAIRE, product="planner")
    svc.run_matching(qid)
    return svc, qid, svc.questions(qid)


def _learned(svc: Service) -> list[dict]:
    return [r for r in svc.audit_log(action="fact_edit") if r["details"].get("reason") == "learned"]


def _taught(svc: Service) -> list:
    """Every wording an approval put forward, whatever became of it."""
    return svc.proposals(kind="alternate", statuses=None)


def test_approving_a_match_proposes_the_customer_wording_until_an_approver_accepts(matched):
    svc, qid, rows = matched
    assert svc.learning_mode() == "propose"  # the default: nothing changes the knowledge base unseen
    row = next(r for r in rows if r["match_status"] == "suggested")
    fact_id = row["fact_id"]
    before = svc.fact(fact_id)
    assert row["text"] not in before.all_questions
    svc.approve(row["id"])
    assert svc.fact(fact_id) == before  # alternate questions unchanged until the proposal is accepted
    [proposal] = svc.proposals()
    assert (proposal.kind, proposal.fact_id, proposal.wording) == ("alternate", fact_id, clean_wording(row["text"]))
    [source] = proposal.sources
    assert source["questionnaire"] == qid and source["question"] == row["id"] and source["approver"] == "lead"
    with pytest.raises(PermissionDenied):
        Service(actor=Actor("sam", "editor")).accept_proposals([proposal.id])
    svc.accept_proposals([proposal.id])
    after = svc.fact(fact_id)
    assert after.alternate_questions == [*before.alternate_questions, clean_wording(row["text"])]
    assert after.version == before.version + 1  # matching engines keyed on versions rebuild
    [log] = _learned(svc)
    assert log["actor"] == "lead" and log["object_id"] == fact_id and log["details"]["proposal"] == proposal.id
    assert [r["object_id"] for r in svc.audit_log(action="proposal_accept")] == [str(proposal.id)]
    assert svc.proposals() == []
    # the same wording approved again (a second questionnaire) teaches nothing new
    qid2 = svc.upload_questionnaire(SAMPLE_QUESTIONNAIRE, product="planner")
    svc.run_matching(qid2)
    again = next(r for r in svc.questions(qid2) if r["row"] == row["row"])
    assert again["fact_id"] == fact_id
    svc.approve(again["id"])
    assert svc.fact(fact_id).version == after.version and svc.proposals() == []


def test_a_discarded_wording_is_never_proposed_again(matched):
    svc, qid, rows = matched
    row = next(r for r in rows if r["match_status"] == "suggested")
    svc.approve(row["id"])
    [proposal] = svc.proposals()
    svc.discard_proposals([proposal.id])
    assert [r["object_id"] for r in svc.audit_log(action="proposal_discard")] == [str(proposal.id)]
    with pytest.raises(Conflict, match="not pending"):
        svc.accept_proposals([proposal.id])
    qid2 = svc.upload_questionnaire(SAMPLE_QUESTIONNAIRE, product="planner")
    svc.run_matching(qid2)
    svc.approve(next(r for r in svc.questions(qid2) if r["row"] == row["row"])["id"])
    assert svc.proposals() == [] and svc.fact(row["fact_id"]).alternate_questions == \
        Service().fact(row["fact_id"]).alternate_questions


def test_auto_mode_applies_at_once_and_undoes_on_reopen_reject_or_edit(matched):
    svc, qid, rows = matched
    Service().set_learning_mode("auto")
    suggested = [r for r in rows if r["match_status"] == "suggested"][:3]
    befores = {r["id"]: svc.fact(r["fact_id"]).alternate_questions for r in suggested}
    for r in suggested:
        svc.approve(r["id"])
        assert clean_wording(r["text"]) in svc.fact(r["fact_id"]).alternate_questions
    assert svc.proposals() == [] and {p.status for p in _taught(svc)} == {"applied"}
    svc.reopen(suggested[0]["id"])
    svc.reject(suggested[1]["id"])
    svc.edit_answer(suggested[2]["id"], answer="Partly", comment="")
    for r in suggested:
        assert svc.fact(r["fact_id"]).alternate_questions == befores[r["id"]], r["text"]
    assert {p.status for p in _taught(svc)} == {"undone"}
    undone = [r for r in svc.audit_log(action="fact_edit") if "learning undone" in r["details"].get("reason", "")]
    assert len(undone) == 3


def test_off_mode_teaches_nothing(matched):
    svc, qid, rows = matched
    Service().set_learning_mode("off")
    svc.bulk_approve(qid, min_score=0)
    assert _taught(svc) == [] and _learned(svc) == []
    with pytest.raises(TrustfillError, match="Unknown learning mode"):
        Service().set_learning_mode("sometimes")


def test_form_fields_never_teach(matched):
    svc, qid, rows = matched
    Service().set_learning_mode("auto")
    row = next(r for r in rows if r["match_status"] == "unanswered")
    with Service().tx() as conn:  # a label for the respondent's details, as a customer's sheet has them
        conn.execute(questions_table.update().where(questions_table.c.id == row["id"]).values(
            text="Primary security contact e-mail address"))
    svc.pick_fact(row["id"], "soc2")
    svc.approve(row["id"])
    assert _taught(svc) == []


@pytest.mark.parametrize("text, form", [
    ("Vendor name", True), ("Contact e-mail", True), ("Date completed", True), ("Website URL", True),
    ("Solution Provider Accessibility Contact Email", True),
    ("Do you encrypt data at rest?", False), ("Describe your backup schedule", False),
    ("Is the contact information of your DPO published?", False),
])
def test_form_field_recognition(text, form):
    assert looks_like_form_field(text) is form


def test_only_matched_answers_of_existing_facts_teach(matched):
    svc, qid, rows = matched
    suggested = [r for r in rows if r["match_status"] == "suggested"]
    # edited: the reviewer changed the fact's answer, so the wording is not evidence for that fact
    edited = suggested[0]
    svc.edit_answer(edited["id"], answer="Partially", comment="Only for admins.")
    svc.approve(edited["id"])
    # manual: no fact at all
    manual = next(r for r in rows if r["match_status"] == "unanswered")
    svc.edit_answer(manual["id"], answer="No", comment="Not offered.")
    svc.approve(manual["id"])
    # retired fact
    retired = suggested[1]
    svc.retire_fact(retired["fact_id"], expected_version=svc.fact(retired["fact_id"]).version)
    svc.approve(retired["id"])
    assert _taught(svc) == []
    # picked by hand: learns (a reviewer chose this fact for this wording)
    picked = next(r for r in rows if r["match_status"] == "unanswered" and r["id"] != manual["id"])
    svc.pick_fact(picked["id"], "soc2")
    svc.approve(picked["id"])
    assert [p.fact_id for p in _taught(svc)] == ["soc2"]


def test_bulk_approve_learns_too(matched):
    svc, qid, rows = matched
    approved = svc.bulk_approve(qid, min_score=0)
    taught = _taught(svc)
    assert approved > 10 and 0 < len(taught) <= approved
    svc.accept_proposals([p.id for p in taught])
    assert len(_learned(svc)) == len(taught)


def test_clean_wording_strips_numbering_only():
    assert clean_wording("  1.2   Do you  encrypt data? ") == "Do you encrypt data?"
    assert clean_wording("Q12. Is SSO supported?") == "Is SSO supported?"
    assert clean_wording("2FA is enforced?") == "2FA is enforced?"


def test_hand_written_answer_becomes_a_proposed_fact_an_approver_accepts(matched):
    svc, qid, rows = matched
    editor = Service(actor=Actor("sam", "editor"))
    row = next(r for r in rows if r["match_status"] == "unanswered")
    editor.edit_answer(row["id"], answer="Yes", comment="Written by hand.")
    fact = editor.propose_fact_from_answer(row["id"], category="Legal")
    assert fact.status == "proposed" and fact.answer == "Yes" and fact.product == "planner"
    assert fact.question == clean_wording(row["text"])
    assert [r["actor"] for r in svc.audit_log(action="fact_propose")] == ["sam"]
    # not used for matching until accepted
    svc.run_matching(qid)
    assert svc.question(row["id"])["origin"] == "manual"
    qid2 = svc.upload_questionnaire(SAMPLE_QUESTIONNAIRE, product="planner")
    svc.run_matching(qid2)
    twin = next(r for r in svc.questions(qid2) if r["row"] == row["row"])
    assert twin["fact_id"] != fact.id
    accepted = svc.accept_fact(fact.id)
    assert accepted.status == "active" and accepted.owner == "lead"
    assert [r["actor"] for r in svc.audit_log(action="fact_accept")] == ["lead"]
    svc.run_matching(qid2)
    twin = svc.question(twin["id"])
    assert twin["fact_id"] == fact.id and twin["answer"] == "Yes"
    # an answer taken from a fact cannot be proposed again
    suggested = next(r for r in rows if r["match_status"] == "suggested")
    with pytest.raises(Exception, match="no hand-written answer"):
        editor.propose_fact_from_answer(suggested["id"])


# ---------------------------------------------------------------- the measurement on the dev set

# The repeat questionnaire (Fabrikam's questions reworded) and its figures live with the benchmark
# (benchmarks/bench_learning.py), which prints them for every learning mode.
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_learning import FABRIKAM, accuracy, answerable_accuracy, fabrikam_truth, repeat_questionnaire  # noqa: E402


@needs_shared
def test_approving_one_questionnaire_improves_the_next(tf_home, tmp_path):
    svc = Service(actor=APPROVER)
    Service().set_match_settings(semantic=False)  # the default install: the same figures here and in CI
    svc.import_library(BENCH / "library.csv")
    truth = fabrikam_truth(DEV)
    second = tmp_path / "Contoso_Clinics_vendor_review.xlsx"
    expected = repeat_questionnaire(DEV, second, truth)

    q2 = svc.upload_questionnaire(second, product="forms")
    assert len(svc.questions(q2)) == len(expected) == len(truth)
    svc.run_matching(q2)
    before = accuracy(svc.questions(q2), expected)
    before_answerable = answerable_accuracy(svc.questions(q2), expected)

    # A reviewer works through the Fabrikam questionnaire: accepts right matches, fixes wrong ones.
    q1 = svc.upload_questionnaire(DEV / FABRIKAM, product="forms")
    svc.run_matching(q1)
    first_rows = svc.questions(q1)
    first = accuracy(first_rows, truth)
    fixed = 0
    for r in first_rows:
        want = truth[r["row"]]
        if not want:
            continue
        if r["fact_id"] not in want or r["match_status"] == "unanswered":
            svc.pick_fact(r["id"], want[0])
            fixed += 1
        svc.approve(r["id"])
    svc.accept_proposals([p.id for p in svc.proposals(kind="alternate")])  # the lead accepts what was learned
    learned = len(_learned(svc))

    svc.run_matching(q2)
    after = accuracy(svc.questions(q2), expected)
    after_answerable = answerable_accuracy(svc.questions(q2), expected)
    answerable = [r for r in svc.questions(q2) if expected[r["row"]]]
    # Learned wordings widen what a fact reaches; that must never make a question the library
    # does not answer a bulk-approvable suggestion.
    confidently_wrong = [r["text"] for r in svc.questions(q2)
                         if not expected[r["row"]] and r["match_status"] == "suggested"]
    print(f"\nlearning on the dev set: Fabrikam first pass {first:.1%}; reviewer fixed {fixed}, "
          f"approved {sum(1 for w in truth.values() if w)}, {learned} wording(s) learned; "
          f"second questionnaire ({len(expected)} questions, {len(answerable)} answerable): "
          f"accuracy before {before:.1%} -> after {after:.1%}; answerable questions given their fact "
          f"{before_answerable:.1%} -> {after_answerable:.1%}")
    assert learned > 0
    assert after_answerable > before_answerable or before_answerable == after_answerable == 1.0
    assert not confidently_wrong


def test_proposals_cli_lists_accepts_and_discards(tf_home):
    import os
    import subprocess
    import sys

    def tf(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "trustfill", *args], capture_output=True, text=True,
                              env={**os.environ, "TRUSTFILL_HOME": str(tf_home)}, timeout=120)

    svc = Service(actor=APPROVER)
    svc.import_sample()
    qid = svc.upload_questionnaire(SAMPLE_QUESTIONNAIRE, product="planner")
    svc.run_matching(qid)
    assert tf("questionnaires", "bulk-approve", str(qid), "--min-score", "90").returncode == 0
    pending = svc.proposals()
    assert len(pending) >= 3
    listed = tf("kb", "proposals", "--sources")
    assert listed.returncode == 0 and f"{len(pending)} proposal(s) pending" in listed.stderr
    assert all(p.wording in listed.stdout for p in pending) and "approved by local" in listed.stdout
    first, second, *rest = pending
    accepted = tf("kb", "proposals", "accept", str(first.id))
    assert accepted.returncode == 0 and "Accepted 1 proposal(s)" in accepted.stdout
    assert first.wording in svc.fact(first.fact_id).alternate_questions
    assert tf("kb", "proposals", "discard", str(second.id)).returncode == 0
    again = tf("kb", "proposals", "accept", str(first.id))
    assert again.returncode != 0 and again.stderr.startswith("Error: Proposal") and len(again.stderr.splitlines()) == 1
    assert tf("kb", "proposals", "accept").returncode != 0  # neither IDs nor --all
    assert tf("kb", "proposals", "accept", "--all").returncode == 0
    assert svc.proposals() == [] and {p.status for p in svc.proposals(statuses=None)} == {"accepted", "discarded"}
    assert tf("settings", "learning", "auto").stdout.strip() == "learning: auto" and svc.learning_mode() == "auto"


# ---------------------------------------------------------------- the app: Knowledge base and Settings pages
KB_PAGE = str(REPO / "trustfill" / "app_pages" / "knowledge.py")
SETTINGS_PAGE = str(REPO / "trustfill" / "app_pages" / "settings.py")


def _page(page: str, username: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(page, default_timeout=60)
    at.session_state["tf_user"] = username  # what the sign-in form stores
    at.run()
    assert not at.exception, at.exception
    return at


def _pick(at, rows: list[int]) -> None:
    at.session_state[at.session_state["kb_prop_table_key"]] = {
        "edited_rows": {i: {"Pick": True} for i in rows}, "added_rows": [], "deleted_rows": []}
    at.run()


def test_knowledge_page_lists_proposals_and_approvers_accept_and_discard_several(matched):
    from test_team_support import make_team

    svc, qid, rows = matched
    make_team()
    approved = [r for r in rows if r["match_status"] == "suggested"][:4]
    for r in approved:
        svc.approve(r["id"])
    fact = svc.fact(approved[0]["fact_id"])
    with svc.tx() as conn:  # a conflicting answer, as a harvested file would propose it
        from knowledge import proposals as queue

        queue.propose_conflict(conn, fact.id, question="Do you review access?", answer="No", comment="Never.",
                               actor="harvest", source={"origin": "harvest", "file": "old-answers.xlsx",
                                                        "sheet": "Security", "cell": "C7"})
    pending = svc.proposals()
    assert [p.kind for p in pending].count("alternate") >= 3 and pending[-1].kind == "conflict"

    at = _page(KB_PAGE, "approver1")
    assert any(f"Proposals ({len(pending)} pending)" in h.value for h in at.subheader)
    assert any("1 conflicting answer" in c.value for c in at.caption)
    table = at.data_editor[0].value
    assert table["ID"].tolist() == [p.id for p in pending]
    name = svc.questionnaire(qid)["name"]
    assert f"approved by lead in '{name}', " in table["From"].iloc[0]  # provenance: who, which questionnaire
    assert table["From"].iloc[-1] == "file old-answers.xlsx Security!C7"
    conflict = table.iloc[-1]
    assert conflict["Proposed"] == "No — Never. (asked as: Do you review access?)"
    assert conflict["Knowledge base now"].startswith(fact.answer)
    assert at.button(key="kb_prop_accept").disabled  # nothing picked yet
    _pick(at, [0])
    at.multiselect(key="kb_prop_kinds").set_value(["conflict"]).run()  # another list: nothing stays picked
    assert at.data_editor[0].value["Kind"].tolist() == ["conflicting answer"]
    assert at.button(key="kb_prop_accept").disabled
    at.multiselect(key="kb_prop_kinds").set_value(["alternate", "conflict"]).run()

    _pick(at, [0, 1])
    assert at.button(key="kb_prop_accept").label == "Accept 2"
    at.button(key="kb_prop_accept").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert {p.id for p in svc.proposals(statuses=("accepted",))} == {pending[0].id, pending[1].id}
    assert pending[0].wording in svc.fact(pending[0].fact_id).alternate_questions
    assert any("Accepted 2 proposal(s)" in s.value for s in at.success)

    _pick(at, [0, len(pending) - 3])  # the rest of the queue, now shorter; the conflict is last
    at.button(key="kb_prop_discard").click().run()
    assert not at.exception
    assert {p.id for p in svc.proposals(statuses=("discarded",))} == {pending[2].id, pending[-1].id}
    assert svc.fact(fact.id).answer == fact.answer  # a discarded conflict leaves the fact as it was
    actors = {r["actor"] for r in svc.audit_log(action="proposal_accept") + svc.audit_log(action="proposal_discard")}
    assert actors == {"approver1"}

    at.checkbox(key="kb_prop_all_2").check().run()  # select all, then accept all
    at.button(key="kb_prop_accept").click().run()
    assert svc.proposals() == []


def test_knowledge_page_shows_proposals_read_only_to_editors(matched):
    from test_team_support import make_team

    svc, qid, rows = matched
    make_team()
    svc.approve(next(r for r in rows if r["match_status"] == "suggested")["id"])
    at = _page(KB_PAGE, "editor1")
    assert at.dataframe[1].value["ID"].tolist() == [p.id for p in svc.proposals()]
    assert not at.data_editor and not any(b.key in ("kb_prop_accept", "kb_prop_discard") for b in at.button)
    assert any("An approver accepts or discards these" in c.value for c in at.caption)


def test_an_editors_new_fact_on_the_knowledge_page_is_a_fact_proposal(matched):
    from test_team_support import make_team

    svc, _, _ = matched
    make_team()
    editor = Service(actor=Actor("editor1", "editor"))
    saved = editor.save_fact(svc.facts()[0].model_copy(update={"id": "bug-bounty", "question": "Bug bounty?"}),
                             expected_version=None)
    assert saved.status == "proposed"
    [proposal] = svc.proposals()
    assert (proposal.kind, proposal.fact_id, proposal.sources[0]["proposer"]) == ("fact", "bug-bounty", "editor1")
    # deciding on the fact itself (its status edited by an approver) closes the proposal too
    svc.save_fact(saved.model_copy(update={"status": "retired"}), expected_version=saved.version)
    assert svc.proposals() == [] and svc.proposals(statuses=("discarded",))[0].id == proposal.id


def test_settings_page_sets_the_learning_mode_for_admins_only(tf_home):
    from test_team_support import make_team

    make_team()
    at = _page(SETTINGS_PAGE, "admin1")
    assert at.radio(key="set_learning").value == "propose"
    at.radio(key="set_learning").set_value("auto")
    at.button(key="FormSubmitter:settings_learning-Save learning mode").click().run()
    assert not at.exception and not at.error
    assert Service(actor=Actor("admin1", "admin")).learning_mode() == "auto"
    assert any("Learning mode: auto" in s.value for s in at.success)
    assert [r["details"]["values"] for r in Service(actor=Actor("admin1", "admin")).audit_log(
        action="settings_change")] == [{"learning": "auto"}]
    viewer = _page(SETTINGS_PAGE, "approver1")
    assert viewer.radio(key="set_learning").disabled and viewer.radio(key="set_learning").value == "auto"


def test_a_customers_wording_is_never_rendered_as_markdown(matched):
    """Wordings come from uploaded questionnaires: an image in one must not make the browser fetch it."""
    svc, qid, _ = matched
    hostile = "Is data encrypted ![t](https://evil.example/t.png) at rest?"
    with svc.tx() as conn:
        from knowledge import proposals as queue

        queue.propose_alternate(conn, "encryption-at-rest", hostile, actor="lead",
                                source={"origin": "approval", "questionnaire": qid, "approver": "lead"})
    at = _page(KB_PAGE, "local")
    _pick(at, [0])
    assert any(hostile in t.value for t in at.text)  # shown in full, as plain text
    at.button(key="kb_prop_accept").click().run()
    rendered = [m.value for m in [*at.markdown, *at.caption, *at.success, *at.info, *at.warning]]
    assert at.success and not any("](https://evil" in v for v in rendered)
