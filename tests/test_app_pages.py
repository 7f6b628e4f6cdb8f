"""The Streamlit app driven by AppTest against a real temporary state home (SQLite, real workbooks).

Each test opens the app as a fresh session; decisions are checked in the database through the
service, which is what survives a closed tab or a server restart.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_team_support import fast_hashes, make_team  # noqa: F401 - fast_hashes: quick bcrypt (autouse)

from knowledge.service import SAMPLE_FACTS
from trustfill.roles import Actor
from trustfill.service import Service

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
SAMPLE_XLSX = SAMPLE_FACTS.parent / "sample_questionnaire.xlsx"


def new_session() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"trustfill/app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def no_errors(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


@pytest.fixture
def matched(tf_home):
    """The sample knowledge base and the sample questionnaire, uploaded and matched."""
    svc = Service()
    svc.ensure_sample_loaded()
    # The pages do not depend on which answerers matched; the lexical ones keep these tests quick.
    svc.set_match_settings(semantic=False)
    qid = svc.upload_questionnaire(SAMPLE_XLSX, product="planner", customer="Acme")
    svc.run_matching(qid)
    return svc, qid


def editor_key(at: AppTest, qid: int):
    meta = at.session_state["rev_meta"][qid]
    return meta.key, meta.ids


# ---- first run and the questionnaires page
def test_first_run_loads_sample_kb_and_sample_questionnaire_opens_in_one_click(tf_home):
    at = new_session()
    assert any("sample knowledge base" in i.value for i in at.info)
    assert Service().fact_count() > 0
    at.button(key="open_sample").click().run()
    no_errors(at)
    assert at.title[0].value == "Review"
    listing = Service().list_questionnaires()
    assert len(listing) == 1 and listing[0]["matched_at"] is not None
    qid = listing[0]["id"]
    assert len(at.data_editor[0].value) == len(Service().questions(qid))
    # A second click opens the same questionnaire instead of uploading it again.
    at = new_session()
    at.button(key="open_sample").click().run()
    assert len(Service().list_questionnaires()) == 1


def test_questionnaire_list_shows_progress(matched):
    svc, qid = matched
    at = new_session()
    table = at.dataframe[0].value
    row = table[table["ID"] == qid].iloc[0]
    p = svc.progress(qid)
    assert (row["Customer"], row["Questions"], row["Suggested"], row["Unanswered"]) == (
        "Acme", p.total, p.suggested, p.unanswered)


def test_upload_shows_layout_accepts_a_correction_then_matches(tf_home):
    Service().ensure_sample_loaded()
    at = new_session()
    at.file_uploader[0].set_value((SAMPLE_XLSX.name, SAMPLE_XLSX.read_bytes(), "application/octet-stream"))
    at.run()
    no_errors(at)
    preview = at.dataframe[0].value
    assert "B (question)" in preview.columns and "C (answer)" in preview.columns
    # The person says the answers go in column E: intake re-detects with that override.
    answer_input = next(t for t in at.text_input if t.label == "Answer column")
    answer_input.set_value("E").run()
    at.button(key=next(b.key for b in at.button if b.key and b.key.endswith("_apply"))).click().run()
    no_errors(at)
    assert "E (answer)" in at.dataframe[0].value.columns
    at.selectbox(key="up_product").set_value("planner")
    at.text_input(key="up_customer").set_value("Globex")
    at.button(key="up_go").click().run()
    no_errors(at)
    assert at.title[0].value == "Review"
    qn = Service().list_questionnaires()[0]
    assert (qn["customer"], qn["product"], qn["original_filename"]) == ("Globex", "planner", SAMPLE_XLSX.name)
    assert qn["matched_at"] is not None
    rows = Service().questions(qn["id"])
    assert rows and all(r["target"]["answer_cell"].startswith("E") for r in rows if r["target"]["answer_cell"])


def test_upload_of_a_non_workbook_shows_an_error_not_a_traceback(tf_home):
    at = new_session()
    at.file_uploader[0].set_value(("notes.csv", b"\x00\x01\x02 not a questionnaire", "text/csv")).run()
    assert not at.exception
    at.button(key="up_go").click().run() if any(b.key == "up_go" for b in at.button) else None
    assert not at.exception
    assert at.error or at.warning or not any(b.key == "up_go" for b in at.button)
    assert Service().list_questionnaires() == []


# ---- review
def test_table_edits_and_decisions_are_saved_at_once_and_survive_a_new_session(matched):
    svc, qid = matched
    at = open_page(new_session(), "review")
    key, ids = editor_key(at, qid)
    # One click in the Approve column approves; rejecting is the panel's.
    at.session_state[key] = {"edited_rows": {0: {"answer": "Yes, typed in the table"}, 1: {"approve": True}},
                             "added_rows": [], "deleted_rows": []}
    at.run()
    no_errors(at)
    at.selectbox(key="rev_detail_pick").set_value(ids[2]).run()
    at.button(key=f"det_reject_{ids[2]}").click().run()
    no_errors(at)
    first, second, third = (svc.question(i) for i in ids[:3])
    assert (first["answer"], first["origin"], first["review_status"]) == ("Yes, typed in the table", "edited",
                                                                         "pending")
    assert second["review_status"] == "approved" and third["review_status"] == "rejected"
    # Re-running with the same editor state must not save again (versions stay where they are).
    versions = [svc.question(i)["version"] for i in ids[:3]]
    at.run()
    assert [svc.question(i)["version"] for i in ids[:3]] == versions
    # A new session (closed tab, restarted server) shows the saved values from the database.
    fresh = open_page(new_session(), "review")
    table = fresh.data_editor[0].value
    assert table.loc[0, "answer"] == "Yes, typed in the table"
    assert list(table.loc[1:2, "approve"]) == [True, False]
    assert list(table.loc[1:2, "match"]) == ["approved", "rejected"]


def test_filters_narrow_the_table(matched):
    svc, qid = matched
    at = open_page(new_session(), "review")
    rows = svc.questions(qid)
    at.multiselect(key=f"rev_states_{qid}").set_value(["unanswered"]).run()
    unanswered = [r for r in rows if r["match_status"] == "unanswered" and r["review_status"] == "pending"]
    assert len(at.data_editor[0].value) == len(unanswered)
    at.multiselect(key=f"rev_states_{qid}").set_value([]).run()
    at.text_input(key=f"rev_search_{qid}").set_value("encrypt").run()
    expected = [r for r in rows if "encrypt" in (r["ref"] + " " + r["text"] + " " + r["answer"] + " "
                                                 + r["comment"] + " " + (r["fact_id"] or "")).lower()]
    assert 0 < len(at.data_editor[0].value) == len(expected)
    at.text_input(key=f"rev_search_{qid}").set_value("").run()
    at.slider(key=f"rev_band_{qid}").set_value((90, 100)).run()
    assert len(at.data_editor[0].value) == sum(1 for r in rows if 90 <= r["score"] <= 100)


def test_bulk_approve_shows_the_exact_list_then_approves_it_on_confirm(matched):
    svc, qid = matched
    at = open_page(new_session(), "review")
    threshold = 80
    expected = {r["id"] for r in svc.questions(qid)
                if r["match_status"] == "suggested" and r["score"] >= threshold and r["answer"]}
    assert expected
    at.number_input(key=f"rev_min_{qid}").set_value(threshold).run()
    at.button(key=f"rev_bulk_{qid}").click().run()
    no_errors(at)
    # The first click only previews: the exact questions, their answers and confidences, and the count.
    assert not any(r["review_status"] == "approved" for r in svc.questions(qid))
    listed = at.dataframe[0].value  # the preview, above the review table
    by_id = {r["id"]: r for r in svc.questions(qid)}
    assert sorted(listed["Question"]) == sorted(by_id[i]["text"] for i in expected)
    assert set(zip(listed["Question"], listed["Answer"], strict=True)) == {(by_id[i]["text"], by_id[i]["answer"])
                                                                         for i in expected}
    assert any(f"Approve these {len(expected)} answers?" in m.value for m in at.markdown)
    at.button(key="rev_bulk_cancel").click().run()
    assert not any(r["review_status"] == "approved" for r in svc.questions(qid))
    assert len(at.dataframe) == 1  # only the review table: the list is gone, nothing was approved

    at.button(key=f"rev_bulk_{qid}").click().run()
    at.button(key="rev_bulk_confirm").click().run()
    no_errors(at)
    approved = {r["id"] for r in svc.questions(qid) if r["review_status"] == "approved"}
    assert approved == expected
    assert any(f"Approved {len(expected)}" in t.value for t in at.toast)


def test_bulk_approve_confirm_leaves_alone_what_changed_since_the_preview(matched):
    svc, qid = matched
    at = open_page(new_session(), "review")
    at.number_input(key=f"rev_min_{qid}").set_value(0).run()
    at.button(key=f"rev_bulk_{qid}").click().run()
    listed = svc.bulk_approve_preview(qid, min_score=0)
    changed = listed[0]["id"]
    svc.edit_answer(changed, answer="Changed by a colleague", comment="")
    at.button(key="rev_bulk_confirm").click().run()
    no_errors(at)
    rows = {r["id"]: r for r in svc.questions(qid)}
    assert rows[changed]["review_status"] == "pending"
    assert all(rows[r["id"]]["review_status"] == "approved" for r in listed[1:])
    assert any("changed since the preview" in w.value for w in at.warning)


def test_detail_panel_edit_approve_pick_and_search(matched):
    svc, qid = matched
    at = open_page(new_session(), "review")
    _, ids = editor_key(at, qid)
    target = ids[0]
    at.selectbox(key="rev_detail_pick").set_value(target).run()
    version = svc.question(target)["version"]
    at.text_area(key=f"det_answer_{target}_{version}").set_value("Yes (edited in the panel)")
    at.button(key=next(b.key for b in at.button if b.label == "Save and approve")).click().run()
    no_errors(at)
    row = svc.question(target)
    assert (row["answer"], row["review_status"], row["origin"]) == ("Yes (edited in the panel)", "approved",
                                                                   "edited")
    # The table beside the panel shows the result of the same click.
    assert at.data_editor[0].value.loc[0, "approve"]

    # Search the knowledge base by hand and pick a fact for an unanswered question.
    gap = next(r for r in svc.questions(qid) if r["match_status"] == "unanswered")
    at.selectbox(key="rev_detail_pick").set_value(gap["id"]).run()
    at.text_input(key=f"det_search_{gap['id']}").set_value("encrypt").run()
    wanted = svc.facts(product="planner", search="encrypt")[0]
    at.button(key=f"det_pick_{gap['id']}_0").click().run()
    no_errors(at)
    picked = svc.question(gap["id"])
    assert (picked["fact_id"], picked["answer"], picked["origin"]) == (wanted.id, wanted.answer, "picked")


def test_detail_panel_shows_alternatives_and_uses_one(matched):
    svc, qid = matched
    row = next(r for r in svc.questions(qid)
               if any(a["fact_id"] != r["fact_id"] for a in r["alternatives"]))
    alt = next(a for a in row["alternatives"] if a["fact_id"] != row["fact_id"])
    at = open_page(new_session(), "review")
    at.selectbox(key="rev_detail_pick").set_value(row["id"]).run()
    assert any(alt["fact_id"] in m.value and (alt.get("reason") or "") in m.value for m in at.markdown)
    at.button(key=f"det_alt_{row['id']}_0").click().run()
    no_errors(at)
    assert svc.question(row["id"])["fact_id"] == alt["fact_id"]


def test_detail_panel_says_why_a_question_is_to_review(matched):
    svc, qid = matched
    row = next(r for r in svc.questions(qid) if r["match_status"] == "review")
    assert row["match_note"]
    at = open_page(new_session(), "review")
    at.selectbox(key="rev_detail_pick").set_value(row["id"]).run()
    no_errors(at)
    assert f"Matcher: {row['match_note']}" in [c.value for c in at.caption]


def test_someone_elses_change_is_a_conflict_not_an_overwrite(matched):
    svc, qid = matched
    at = open_page(new_session(), "review")
    _, ids = editor_key(at, qid)
    target = ids[0]
    at.selectbox(key="rev_detail_pick").set_value(target).run()
    # Another reviewer edits the same question after this page was drawn.
    svc.edit_answer(target, answer="Their answer", comment="theirs")
    at.button(key=f"det_approve_{target}").click().run()
    assert not at.exception
    assert any("changed by" in w.value for w in at.warning)
    assert svc.question(target)["review_status"] == "pending"
    # After the reload the panel shows their value.
    version = svc.question(target)["version"]
    assert at.text_area(key=f"det_answer_{target}_{version}").value == "Their answer"


# ---- export
def test_export_writes_approved_answers_into_the_customers_workbook(matched):
    svc, qid = matched
    # Answers that are one of the cell's drop-down choices go in exactly as they are.
    rows = [r for r in svc.questions(qid) if r["match_status"] == "suggested" and r["target"]["answer_cell"]
            and (r["target"]["answer_kind"] == "text" or r["answer"] in r["target"]["choices"])]
    chosen = rows[0]
    svc.approve(chosen["id"])
    unapproved = rows[1]
    at = open_page(new_session(), "export")
    at.button(key="exp_prepare").click().run()
    no_errors(at)
    assert at.success and "cell(s) written" in at.success[0].value
    assert [d.key for d in at.get("download_button")] == ["exp_download"]
    data = at.session_state["exp_file"][1]
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[chosen["sheet"]]
    assert ws[chosen["target"]["answer_cell"]].value == chosen["answer"]
    assert not ws[unapproved["target"]["answer_cell"]].value  # approved only, by default

    at.radio(key="exp_fill").set_value("suggested").run()
    at.button(key="exp_prepare").click().run()
    wb = openpyxl.load_workbook(io.BytesIO(at.session_state["exp_file"][1]))
    assert wb[unapproved["sheet"]][unapproved["target"]["answer_cell"]].value == unapproved["answer"]

    at.radio(key="exp_report_kind").set_value(".csv").run()
    at.button(key="exp_report_prepare").click().run()
    no_errors(at)
    report = at.session_state["exp_report"][2].decode("utf-8-sig")
    assert chosen["text"][:40] in report and len(report.strip().splitlines()) >= len(svc.questions(qid))


# ---- knowledge base
def test_knowledge_base_edit_add_and_mark_reviewed(matched):
    svc, _ = matched
    at = open_page(new_session(), "knowledge")
    no_errors(at)
    fact = svc.facts()[0]
    at.selectbox(key="kb_pick").set_value(fact.id).run()
    form = f"kb_edit_{fact.id}_{fact.version}"
    at.text_input(key=f"{form}_answer").set_value("Yes (updated)")
    at.button(key=f"{form}_save").click().run()
    no_errors(at)
    saved = svc.fact(fact.id)
    assert (saved.answer, saved.version) == ("Yes (updated)", fact.version + 1)

    at.text_area(key="kb_add_question").set_value("Do you run a bug bounty programme?")
    at.text_input(key="kb_add_answer").set_value("Yes")
    at.text_input(key="kb_add_product").set_value("planner")
    at.button(key="kb_add_save").click().run()
    no_errors(at)
    added = svc.fact("do-you-run-a-bug-bounty-programme")
    assert (added.answer, added.product, added.status) == ("Yes", "planner", "active")


def test_knowledge_base_stale_facts_and_search(matched):
    svc, _ = matched
    fact = svc.facts()[0]
    old = svc.save_fact(fact.model_copy(update={"last_reviewed": fact.last_reviewed.replace(year=2001)
                                                if fact.last_reviewed else None}),
                        expected_version=fact.version)
    # A proposed fact is not checked by `kb lint` (it answers nothing yet), so the app does not flag it.
    svc.save_fact(old.model_copy(update={"id": "old-proposal", "status": "proposed", "version": 1}),
                  expected_version=None)
    at = open_page(new_session(), "knowledge")
    at.toggle(key="kb_stale").set_value(True).run()
    shown = set(at.dataframe[0].value["ID"])
    assert old.id in shown and "old-proposal" not in shown
    assert shown == {s.fact_id for s in svc.kb_lint().stale}
    at.selectbox(key="kb_pick").set_value(old.id).run()
    at.button(key="kb_reviewed").click().run()
    no_errors(at)
    assert old.id not in svc.stale_fact_ids()
    assert old.id not in set(at.dataframe[0].value["ID"])  # the cached stale set followed the change
    at.toggle(key="kb_stale").set_value(False).run()
    at.text_input(key="kb_search").set_value("backup").run()
    assert set(at.dataframe[0].value["ID"]) == {f.id for f in svc.facts(search="backup",
                                                                         statuses=("active", "proposed"))}


def test_review_flags_answers_whose_fact_is_stale(matched):
    svc, qid = matched
    row = next(r for r in svc.questions(qid) if r["fact_id"])
    fact = svc.fact(row["fact_id"])
    svc.save_fact(fact.model_copy(update={"last_reviewed": fact.last_reviewed.replace(year=2001)}),
                  expected_version=fact.version)
    stale = svc.stale_fact_ids()
    at = open_page(new_session(), "review")
    _, ids = editor_key(at, qid)
    table = at.data_editor[0].value
    assert list(table["stale"]) == [svc.question(i)["fact_id"] in stale for i in ids]
    assert table["stale"].any()
    at.selectbox(key="rev_detail_pick").set_value(row["id"]).run()
    assert any("review date has passed" in w.value for w in at.warning)


def test_a_hand_written_answer_is_proposed_as_a_fact_and_accepted(matched):
    svc, qid = matched
    gap = next(r for r in svc.questions(qid) if r["match_status"] == "unanswered")
    at = open_page(new_session(), "review")
    at.selectbox(key="rev_detail_pick").set_value(gap["id"]).run()
    assert not any(b.key == f"det_propose_{gap['id']}" for b in at.button)  # nothing written yet
    at.text_area(key=f"det_answer_{gap['id']}_{gap['version']}").set_value("Yes, every quarter")
    at.button(key=next(b.key for b in at.button if b.label == "Save draft")).click().run()
    assert svc.question(gap["id"])["origin"] == "manual"
    at.button(key=f"det_propose_{gap['id']}").click().run()
    no_errors(at)
    proposed = [f for f in svc.proposed_facts() if f.answer == "Yes, every quarter"]
    assert len(proposed) == 1 and proposed[0].product == "planner"
    assert any(f"`{proposed[0].id}`" in c.value for c in at.caption)  # proposed once, then said so
    assert not any(b.key == f"det_propose_{gap['id']}" for b in at.button)

    at = open_page(new_session(), "knowledge")
    assert any("Proposals (1 pending)" in h.value for h in at.subheader)  # the one queue: a `fact` proposal
    assert at.data_editor[0].value["Fact"].tolist() == [proposed[0].id]
    at.session_state[at.session_state["kb_prop_table_key"]] = {"edited_rows": {0: {"Pick": True}},
                                                               "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="kb_prop_accept").click().run()
    no_errors(at)
    accepted = svc.fact(proposed[0].id)
    assert accepted.status == "active" and svc.proposed_facts() == []
    assert [r["actor"] for r in svc.audit_log(action="fact_accept")] == ["local"]


def test_reopen_from_the_panel_and_from_the_table(matched):
    svc, qid = matched
    at = open_page(new_session(), "review")
    _, ids = editor_key(at, qid)
    first, second = ids[:2]
    svc.approve(first)
    svc.approve(second)
    at = open_page(new_session(), "review")
    at.selectbox(key="rev_detail_pick").set_value(first).run()
    at.button(key=f"det_reopen_{first}").click().run()
    no_errors(at)
    assert svc.question(first)["review_status"] == "pending"
    key, ids = editor_key(at, qid)
    at.session_state[key] = {"edited_rows": {ids.index(second): {"approve": False}},  # unticked
                             "added_rows": [], "deleted_rows": []}
    at.run()
    no_errors(at)
    row = svc.question(second)
    assert (row["review_status"], row["origin"]) == ("pending", "auto")


def test_knowledge_base_import_and_export(matched):
    svc, _ = matched
    at = open_page(new_session(), "knowledge")
    csv_bytes = (b"ID,Question,Answer,Comment,Category,Product,Alternate Questions\n"
                 b"pen-test,Do you run annual penetration tests?,Yes,By an outside firm,Testing,,Pentest?\n")
    at.file_uploader(key="kb_upload_0").set_value(("more.csv", csv_bytes, "text/csv")).run()
    at.button(key="kb_import").click().run()
    no_errors(at)
    assert svc.fact("pen-test").comment == "By an outside firm"
    assert any("more.csv" in s.value for s in at.success)
    at.selectbox(key="kb_export_kind").set_value(".csv").run()
    at.button(key="kb_export").click().run()
    no_errors(at)
    exported = at.session_state["kb_export_data"][1].decode("utf-8-sig")
    assert "pen-test" in exported and exported.count("\n") >= svc.fact_count()

    bad = b"ID,Question,Answer\nx,,\n"
    at.file_uploader(key="kb_upload_1").set_value(("bad.csv", bad, "text/csv")).run()
    # the preview reads the file first: a bad row shows at once, and there is nothing to import
    assert not at.exception and at.error and "row" in at.error[0].value
    assert not any(b.key == "kb_import" for b in at.button)


# ---- overview
def test_overview_counts_how_answers_were_approved_and_the_gaps(matched):
    svc, qid = matched
    rows = [r for r in svc.questions(qid) if r["match_status"] == "suggested"]
    svc.approve(rows[0]["id"])
    svc.approve(rows[1]["id"])
    edited = svc.edit_answer(rows[2]["id"], answer="Yes, with changes", comment="")
    svc.approve(rows[2]["id"], expected_version=edited["version"])
    at = open_page(new_session(), "overview")
    no_errors(at)
    summary = at.dataframe[0].value.iloc[0]
    assert (summary["Approved"], summary["Automatically"], summary["After edits"], summary["By hand"]) == (3, 2, 1, 0)
    gaps = at.dataframe[2].value
    unanswered = [r for r in svc.questions(qid) if r["match_status"] == "unanswered"]
    assert sum(gaps["times"]) == len(unanswered)
    used = at.dataframe[1].value
    assert set(used["fact_id"]) >= {rows[0]["fact_id"], rows[1]["fact_id"]}
    assert list(used["fact_id"]) == [f["fact_id"] for f in svc.usage_stats()["facts"]]
    assert list(used["stale"]) == [f in svc.stale_fact_ids() for f in used["fact_id"]]


# ---- issue 16: fit at review, the reviewer's place, immediate feedback, roles
@pytest.fixture
def dropdown(tf_home, tmp_path):
    """A questionnaire with a Yes/No/N/A drop-down, matched to a knowledge base where one answer does not fit."""
    from review_workbooks import dropdown_questionnaire, library_csv

    svc = Service()
    svc.import_library(library_csv(tmp_path / "lib.csv"), replace=True)
    svc.set_match_settings(semantic=False)
    qid, _ = svc.upload_and_match(dropdown_questionnaire(tmp_path / "acme.xlsx"))
    return svc, qid


def test_an_answer_that_will_not_fit_its_dropdown_is_flagged_before_approval(dropdown):
    from review_workbooks import NOT_FITTING

    svc, qid = dropdown
    row = next(r for r in svc.questions(qid) if r["text"] == NOT_FITTING)
    assert row["review_status"] == "pending" and row["match_status"] == "suggested"
    at = open_page(new_session(), "review")
    # In the table: the Cell column marks it, for every row, before anyone opens it.
    meta = at.session_state["rev_meta"][qid]
    table = at.data_editor[0].value
    assert table.loc[meta.ids.index(row["id"]), "cell"] == "⚠ not in list"
    fitting = next(r for r in svc.questions(qid) if r["answer"] == "Yes (AES-256)")
    assert table.loc[meta.ids.index(fitting["id"]), "cell"] == "Yes"
    # In the panel: the allowed values, and what export would do (cell empty, text to the comment).
    at.selectbox(key="rev_detail_pick").set_value(row["id"]).run()
    warning = next(w.value.replace("\\", "") for w in at.warning if "Will not fit" in w.value)
    assert "Yes, No, N/A" in warning and "Annually, by an independent firm" in warning
    # The reviewer picks the cell value: the answer becomes "Yes", its text moves in front of the comment.
    at.selectbox(key=f"det_cell_{row['id']}_{row['version']}").set_value("Yes")
    at.button(key=f"det_cellgo_{row['id']}").click().run()
    no_errors(at)
    after = svc.question(row["id"])
    assert after["answer"] == "Yes"
    assert after["comment"].startswith("Annually, by an independent firm")
    assert svc.answer_fit(row["id"]).cell_value == "Yes"


def test_bulk_approve_preview_flags_answers_that_will_not_fit(dropdown):
    from review_workbooks import NOT_FITTING

    svc, qid = dropdown
    at = open_page(new_session(), "review")
    at.button(key=f"rev_bulk_{qid}").click().run()
    listed = at.dataframe[0].value
    assert len(listed) == 5
    assert list(listed.loc[listed["Question"] == NOT_FITTING, "Cell"]) == ["⚠ not in list → comment"]
    assert set(listed.loc[listed["Question"] != NOT_FITTING, "Cell"]) == {"Yes"}
    assert any(w.value.startswith("1 of these answers are not among") for w in at.warning)


def test_filters_sort_and_open_question_survive_a_decision_and_a_trip_to_another_page(dropdown):
    svc, qid = dropdown
    at = open_page(new_session(), "review")
    at.multiselect(key=f"rev_states_{qid}").set_value(["suggested"]).run()
    at.selectbox(key=f"rev_sort_{qid}").set_value("low").run()
    at.text_input(key=f"rev_search_{qid}").set_value("encrypted").run()
    shown = at.session_state["rev_meta"][qid].ids
    assert len(shown) == 2
    at.selectbox(key="rev_detail_pick").set_value(shown[1]).run()
    at.checkbox(key="rev_auto_next").uncheck().run()
    at.button(key=f"det_approve_{shown[1]}").click().run()
    no_errors(at)
    assert svc.question(shown[1])["review_status"] == "approved"
    assert at.session_state["rev_detail_pick"] == shown[1]  # the panel stays on the decided question
    assert at.session_state["rev_meta"][qid].ids == shown  # the approved row keeps its place

    open_page(at, "export")
    open_page(at, "review")
    assert at.multiselect(key=f"rev_states_{qid}").value == ["suggested"]
    assert at.selectbox(key=f"rev_sort_{qid}").value == "low"
    assert at.text_input(key=f"rev_search_{qid}").value == "encrypted"
    assert at.selectbox(key="rev_detail_pick").value == shown[1]
    assert at.checkbox(key="rev_auto_next").value is False


def test_a_decision_moves_the_panel_to_the_next_question(dropdown):
    svc, qid = dropdown
    at = open_page(new_session(), "review")
    ids = at.session_state["rev_meta"][qid].ids
    at.button(key=f"det_approve_{ids[0]}").click().run()
    no_errors(at)
    assert svc.question(ids[0])["review_status"] == "approved"
    assert at.session_state["rev_detail_pick"] == ids[1]
    assert any(t.value == "Approved." for t in at.toast)  # a toast: nothing shifts the table down
    assert not at.success


def test_to_review_rows_show_their_reason_in_the_table(matched):
    svc, qid = matched
    at = open_page(new_session(), "review")
    meta = at.session_state["rev_meta"][qid]
    table = at.data_editor[0].value
    rows = {r["id"]: r for r in svc.questions(qid)}
    review = [i for i in meta.ids if rows[i]["match_status"] == "review" and rows[i]["review_status"] == "pending"]
    assert review, "the sample questionnaire has questions to review"
    for i in review:
        assert table.loc[meta.ids.index(i), "why"] == rows[i]["match_note"] != ""
    suggested = next(i for i in meta.ids if rows[i]["match_status"] == "suggested")
    assert table.loc[meta.ids.index(suggested), "why"] == ""


def test_candidates_under_the_review_threshold_are_folded_away_without_use_buttons(matched):
    svc, qid = matched
    threshold = svc.match_settings().review_threshold
    row = next(r for r in svc.questions(qid)
               if any(a["fact_id"] != r["fact_id"] and a["score"] < threshold for a in r["alternatives"]))
    at = open_page(new_session(), "review")
    at.selectbox(key="rev_detail_pick").set_value(row["id"]).run()
    weak = [a for a in row["alternatives"] if a["fact_id"] != row["fact_id"] and a["score"] < threshold]
    strong = [a for a in row["alternatives"] if a["fact_id"] != row["fact_id"] and a["score"] >= threshold]
    use_buttons = [b for b in at.button if b.key and b.key.startswith(f"det_alt_{row['id']}_")]
    assert len(use_buttons) == len(strong[:5])
    folded = next(e for e in at.expander if "under the review threshold" in e.label)
    assert folded.label.startswith(f"{len(weak)} weaker")


def test_editors_see_no_decision_controls(tf_home):
    make_team()
    svc = Service(actor=Actor("admin1", "admin"))
    svc.ensure_sample_loaded()
    svc.set_match_settings(semantic=False)
    qid = svc.upload_questionnaire(SAMPLE_XLSX, product="planner")
    svc.run_matching(qid)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["tf_user"] = "editor1"
    at.run()
    open_page(at, "review")
    keys = {b.key for b in at.button if b.key}
    assert f"rev_bulk_{qid}" not in keys
    assert not any(k.startswith(("det_approve_", "det_reject_", "det_reopen_")) for k in keys)
    assert not any(b.label == "Save and approve" for b in at.button)
    assert any(b.label == "Save draft" for b in at.button)  # what an editor may do is there

    at2 = AppTest.from_file(APP, default_timeout=60)
    at2.session_state["tf_user"] = "approver1"
    at2.run()
    open_page(at2, "review")
    assert f"rev_bulk_{qid}" in {b.key for b in at2.button if b.key}


def test_upload_of_the_same_file_again_warns_and_links_to_the_first(tf_home):
    svc = Service()
    svc.ensure_sample_loaded()
    svc.set_match_settings(semantic=False)
    first = svc.upload_questionnaire(SAMPLE_XLSX, product="planner", customer="Acme")
    at = new_session()
    at.file_uploader[0].set_value((SAMPLE_XLSX.name, SAMPLE_XLSX.read_bytes(), "application/octet-stream")).run()
    no_errors(at)
    warning = next(w.value for w in at.warning if "already uploaded" in w.value)
    assert f"#{first}" in warning
    at.button(key=f"up_same_{first}").click().run()
    assert at.title[0].value == "Review"
    assert at.session_state["tf_qid"] == first
    # Different bytes: no warning.
    at = new_session()
    at.file_uploader[0].set_value(("other.csv", b"Question,Answer\nIs data encrypted?,\n", "text/csv")).run()
    assert not any("already uploaded" in w.value for w in at.warning)


def test_upload_reports_named_stages(tf_home, tmp_path):
    from review_workbooks import dropdown_questionnaire, library_csv

    svc = Service()
    svc.import_library(library_csv(tmp_path / "lib.csv"), replace=True)
    svc.set_match_settings(semantic=False)
    stages = []
    qid, progress = svc.upload_and_match(dropdown_questionnaire(tmp_path / "q.xlsx"),
                                         progress=lambda stage, f: stages.append((stage, f)))
    names = [s for s, _ in stages]
    assert names[0] == "reading workbook" and "matching" in names and names[-1] == "saving"
    assert [f for _, f in stages] == sorted(f for _, f in stages)
    assert progress.total == 6 and svc.questionnaire(qid)["matched_at"] is not None


def test_overview_chart_labels_every_questionnaire_in_full(tf_home):
    import json

    import pyarrow as pa

    svc = Service()
    svc.ensure_sample_loaded()
    svc.set_match_settings(semantic=False)
    labels = []
    for n in range(3):
        qid = svc.upload_questionnaire(SAMPLE_XLSX, product="planner", name=f"Questionnaire {n} with a long name",
                                       customer="Acme")
        svc.run_matching(qid)
        svc.bulk_approve(qid, min_score=0)
        labels.append(f"#{qid} Questionnaire {n} with a long name — Acme")
    at = open_page(new_session(), "overview")
    chart = at.get("vega_lite_chart")[0].proto
    spec = json.loads(chart.spec)
    y = spec["encoding"]["y"]
    assert sorted(y["sort"]) == sorted(labels)  # one label per bar, its own
    assert y["axis"]["labelOverlap"] is False and y["axis"]["labelLimit"] >= 300  # none dropped or cut
    data = pa.ipc.open_stream(chart.datasets[0].data.data).read_all().to_pandas()
    assert set(data["Questionnaire"]) == set(labels)


def test_settings_show_size_limits_in_megabytes(tf_home):
    at = open_page(new_session(), "settings")
    field = at.number_input(key="set_limit_max_upload_bytes")
    assert field.label == "Upload size (MB)" and field.value == Service().limits.max_upload_bytes / (1024 * 1024)
    field.set_value(10)
    at.button(key="FormSubmitter:settings_limits-Save limits").click().run()
    no_errors(at)
    assert Service().stored_limits() == {"max_upload_bytes": 10 * 1024 * 1024}


# ---- a reload keeps a password sign-in (the browser half is in test_browser_review.py)
def test_session_token_is_signed_expiring_and_revocable():
    from trustfill.app_pages import remember

    secret = b"s" * 32
    token = remember.make_token("alice", secret=secret, now=1_000, nonce="n1")
    assert remember.read_token(token, secret=secret, now=1_000 + remember.LIFETIME - 1) == ("alice", "n1")
    assert remember.read_token(token, secret=secret, now=1_000 + remember.LIFETIME + 1) is None  # expired
    assert remember.read_token(token, secret=b"other" * 8, now=1_000) is None  # another server's secret
    user, expires, nonce, signature = token.split(".")
    forged = ".".join([remember._b64("admin1"), expires, nonce, signature])
    assert remember.read_token(forged, secret=secret, now=1_000) is None  # a changed name breaks the signature
    later = ".".join([user, str(int(expires) + 10**6), nonce, signature])
    assert remember.read_token(later, secret=secret, now=1_000) is None  # so does a later expiry
    for junk in ("", "a.b", "....", "x.y.z.w"):
        assert remember.read_token(junk, secret=secret, now=1_000) is None
    remember._REVOKED.add("n1")
    try:
        assert remember.read_token(token, secret=secret, now=1_000) is None  # signed out
    finally:
        remember._REVOKED.discard("n1")


def test_password_sign_in_writes_the_cookie_and_sign_out_deletes_it(tf_home):
    make_team()
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="tf_sign_in_username").input("editor1")
    at.text_input(key="tf_sign_in_password").input("correct horse battery")
    at.button[0].click().run()
    no_errors(at)
    scripts = [h.proto.body for h in at.get("html")]
    written = next(s for s in scripts if "trustfill_session=" in s and "Max-Age=28800" in s)
    token = written.split("trustfill_session=")[1].split(";")[0]
    from trustfill.app_pages import remember

    secret = str(__import__("streamlit").get_option("server.cookieSecret")).encode()
    assert remember.read_token(token, secret=secret)[0] == "editor1"
    assert "SameSite=Strict" in written and "?" not in token
    at.button(key="tf_sign_out").click().run()
    scripts = [h.proto.body for h in at.get("html")]
    assert any("trustfill_session=; Max-Age=0" in s for s in scripts)
    assert remember.read_token(token, secret=secret) is None  # revoked in this server process


def test_review_table_puts_decision_columns_first_and_never_cuts_a_ref(matched):
    from trustfill.app_pages.review_table import COLUMN_ORDER, ref_width, table_config

    assert COLUMN_ORDER[:6] == ["ref", "question", "confidence", "match", "approve", "details"]
    config = table_config(True, ref_width(pd.Series(["COMP-01.02", "COMP-01.02.03.04"])))
    assert config["ref"]["width"] >= 8 * len("COMP-01.02.03.04") and config["ref"]["pinned"]
    assert config["question"]["pinned"]
    # Before the decision columns, the pinned columns and the decision columns fit beside the panel at 1366 px.
    widths = [config[c]["width"] for c in COLUMN_ORDER[:6]]
    assert sum(widths) <= 560, widths
    assert table_config(False)["approve"]["disabled"] is True  # editors: no decision offered


def test_questionnaire_list_shows_no_none_for_a_missing_due_date(tf_home):
    import datetime as dt

    svc = Service()
    svc.ensure_sample_loaded()
    undated = svc.upload_questionnaire(SAMPLE_XLSX, product="planner")
    dated = svc.upload_questionnaire(SAMPLE_XLSX, product="planner", due_date=dt.date(2027, 1, 31))
    table = new_session().dataframe[0].value.set_index("ID")
    assert table.loc[undated, "Due"] == "" and table.loc[dated, "Due"] == "2027-01-31"


def test_a_decision_rereads_only_the_rows_it_changed(dropdown, monkeypatch):
    from trustfill.app_pages import common

    svc, qid = dropdown
    at = open_page(new_session(), "review")
    calls = {"all": 0, "some": []}
    full, some = Service.questions, Service.questions_by_id
    monkeypatch.setattr(Service, "questions",
                        lambda self, q: calls.__setitem__("all", calls["all"] + 1) or full(self, q))
    monkeypatch.setattr(Service, "questions_by_id",
                        lambda self, ids: calls["some"].append(list(ids)) or some(self, ids))
    ids = at.session_state["rev_meta"][qid].ids
    at.button(key=f"det_approve_{ids[0]}").click().run()
    no_errors(at)
    assert calls == {"all": 0, "some": [[ids[0]]]}
    assert at.data_editor[0].value.loc[0, "approve"] and at.data_editor[0].value.loc[0, "match"] == "approved"
    # What the session patched is what a full read gives.
    patched = at.session_state["tf_review_frames"][qid][2]
    fresh = common._build(full(svc, qid))
    columns = ["review_status", "state", "answer", "comment", "version", "score", "fits", "cell_value", "choices"]
    assert patched[columns].astype(str).equals(fresh[columns].astype(str))


def test_picking_a_cell_value_that_is_not_allowed_is_refused_with_the_allowed_ones(dropdown):
    from trustfill.errors import TrustfillError

    svc, qid = dropdown
    row = svc.questions(qid)[3]
    refused = r"'Maybe' is not an allowed value of Security!5 \(allowed: Yes, No, N/A\)"
    with pytest.raises(TrustfillError, match=refused):
        svc.use_cell_value(row["id"], "Maybe")
    assert svc.question(row["id"])["version"] == row["version"]  # nothing written


def test_customer_text_in_the_new_review_messages_cannot_become_markdown():
    from trustfill.app_pages.common import md_escape

    hostile = "![x](http://198.51.100.7/p.png) **Yes** :red[No] $x$"
    escaped = md_escape(hostile)
    for token in ("![", "](", "**", ":red[", "$x$"):
        assert token not in escaped
    assert escaped.replace("\\", "").replace("\u2060", "") == hostile  # word joiners keep autolinks off
