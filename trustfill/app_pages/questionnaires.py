"""Questionnaires: the ones in progress, the upload area with the detected layout, and the sample."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import streamlit as st

from knowledge.service import SAMPLE_FACTS
from trustfill import config
from trustfill.app_pages import common
from trustfill.app_pages.layout_preview import show_layout
from trustfill.intake import LayoutOverrides

SAMPLE_FILE = SAMPLE_FACTS.parent / "sample_questionnaire.xlsx"
SAMPLE_PRODUCT = "planner"
ALL_PRODUCTS = "(every product)"

svc = common.service()
st.title("Questionnaires")


def clear_stage(reset_uploader: bool = True) -> None:
    """Forget the staged file; after an upload, also empty the uploader (a new key) for the next one."""
    stage = st.session_state.pop("up_stage", None)
    if stage:
        Path(stage["path"]).unlink(missing_ok=True)
    if reset_uploader:
        st.session_state["up_nonce"] = st.session_state.get("up_nonce", 0) + 1


# The button that starts a job is far down the page; its status box is at the top. Scroll there (the
# main section scrolls, not the window), so the stage is on screen the moment it is shown.
_SCROLL_TO_TOP = ("<script>for (const el of [document.scrollingElement, ...document.querySelectorAll("
                  "'[data-testid=stMain], [data-testid=stAppScrollToBottomContainer]')]) "
                  "{ if (el) el.scrollTo({top: 0}); }</script>")


def _stages(status, name: str):
    """A progress callback for the service: the stage named in the status box, and a bar under it."""
    st.html(_SCROLL_TO_TOP, unsafe_allow_javascript=True)
    bar = status.progress(0.0, text="Starting…")

    def report(stage: str, fraction: float) -> None:
        status.update(label=f"{stage.capitalize()}… ({name})")
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{stage.capitalize()}… {fraction:.0%}")

    return report


def _matched_message(progress) -> str:
    return (f"Matched {progress.total} questions: {progress.suggested} suggested, {progress.review} to "
            f"review, {progress.unanswered} unanswered, {progress.prefilled} pre-filled by the customer.")


def match_with_progress(qid: int) -> bool:
    with st.status("Matching questions to the knowledge base…", expanded=True) as status:
        report = _stages(status, f"questionnaire {qid}")
        progress = common.attempt(svc.run_matching, qid, progress=lambda f: report("matching", f))
        status.update(state="complete" if progress is not None else "error")
    if progress is None:
        return False
    common.flash(_matched_message(progress))
    return True


def run_upload_job(job: dict) -> None:
    """The upload the reviewer just confirmed. It runs first thing in the script, so the status box is on
    screen within a moment of the click, and says which stage the work is in."""
    with st.status(f"Reading workbook… ({job['name']})", expanded=True) as status:
        report = _stages(status, job["name"])
        done = common.attempt(svc.upload_and_match, job["path"], progress=report,
                              original_filename=job["name"], product=job["product"], customer=job["customer"],
                              name=job["title"], due_date=job["due"], owner=job["owner"],
                              overrides=[LayoutOverrides(**o) for o in job["overrides"]] or None)
        status.update(state="complete" if done is not None else "error")
    if done is None:
        return
    qid, progress = done
    clear_stage()
    common.flash(_matched_message(progress))
    open_in_review(qid)


def open_in_review(qid: int) -> None:
    common.set_current(qid)
    st.switch_page(common.PAGES["review"])


def open_sample() -> None:
    """One click for a new user: the sample questionnaire, uploaded and matched (once)."""
    for qn in common.questionnaires(svc):
        if qn["original_filename"] == SAMPLE_FILE.name and qn["product"] == SAMPLE_PRODUCT:
            # A tab closed mid-matching leaves it unmatched: finish the job before opening it.
            if qn["matched_at"] is not None or match_with_progress(qn["id"]):
                open_in_review(qn["id"])
            return
    qid = common.attempt(svc.upload_questionnaire, SAMPLE_FILE, product=SAMPLE_PRODUCT,
                         customer="Acme Corp (sample)", name="Sample questionnaire")
    if qid is not None and match_with_progress(qid):
        open_in_review(qid)


if job := st.session_state.pop("up_job", None):
    run_upload_job(job)

# ---- in progress
listing = common.questionnaires(svc)
top = st.columns([3, 1])
top[0].caption("Every decision is saved the moment it is made: close the tab and come back any time.")
if top[1].button("Open the sample questionnaire", icon=":material/science:",
                 type="primary" if not listing else "secondary",
                 width="stretch", key="open_sample"):
    open_sample()

if listing:
    table = pd.DataFrame([{
        "ID": q["id"], "Name": q["name"], "Customer": q["customer"], "Product": q["product"] or "(all)",
        "Due": q["due_date"].isoformat() if q["due_date"] else "",  # a blank, never "None"
        "Owner": q["owner"], "Questions": q["progress"].total,
        "Suggested": q["progress"].suggested, "To review": q["progress"].review,
        "Unanswered": q["progress"].unanswered, "Approved": q["progress"].approved,
        "Done": q["progress"].done_share,
    } for q in listing])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "Done": st.column_config.ProgressColumn(help="Approved or pre-filled share", format="percent",
                                                min_value=0.0, max_value=1.0),
    })
    by_id = {q["id"]: q for q in listing}
    row = st.columns([3, 1, 1, 1, 1], vertical_alignment="bottom")
    chosen = row[0].selectbox("Questionnaire", list(by_id), format_func=lambda i: common.label(by_id[i]),
                              index=list(by_id).index(common.current_qid(listing)), key="q_open")
    common.set_current(chosen)
    if row[1].button("Review", icon=":material/check:", width="stretch", key="q_review"):
        open_in_review(chosen)
    if row[2].button("Export", icon=":material/download:", width="stretch", key="q_export"):
        st.switch_page(common.PAGES["export"])
    rematch = row[3].button("Re-run matching", width="stretch", key="q_rematch",
                            help="After knowledge-base changes. Approved and edited answers are kept.")
    if rematch and match_with_progress(chosen):
        st.rerun()
    if svc.actor.can("delete_questionnaire"):
        with row[4].popover("Delete", icon=":material/delete:", width="stretch"):
            st.write(f"Delete **{common.plain(common.label(by_id[chosen]))}**, its answers and decisions?")
            delete = st.button("Delete for good", type="primary", key="q_delete")
            if delete and common.succeeded(svc.delete_questionnaire, chosen):
                common.flash(f"Deleted questionnaire {chosen}.")
                st.rerun()
else:
    st.info("No questionnaire yet. Open the sample to see how it works, or upload a customer's file below.")

# ---- upload
st.subheader("Upload a questionnaire")
nonce = st.session_state.get("up_nonce", 0)
upload = st.file_uploader("Customer's questionnaire (.xlsx, .xlsm or .csv)", type=["xlsx", "xlsm", "csv"],
                          key=f"up_file_{nonce}")


def stage(upload) -> dict:
    """Keep the uploaded bytes in a file under the home (intake reads paths), once per upload."""
    stage = st.session_state.get("up_stage")
    if stage and stage["file_id"] == upload.file_id:
        return stage
    incoming = config.home() / "incoming"
    incoming.mkdir(exist_ok=True)
    path = incoming / f"{upload.file_id}{Path(upload.name).suffix.lower()}"
    path.write_bytes(upload.getvalue())
    stage = {"file_id": upload.file_id, "path": str(path), "name": upload.name, "overrides": {}}
    st.session_state["up_stage"] = stage
    return stage


def inspected(stage: dict):
    overrides = [LayoutOverrides(**o) for o in stage["overrides"].values()]
    key = (stage["file_id"], json.dumps(stage["overrides"], sort_keys=True))
    cache = st.session_state.get("up_intake")
    if cache and cache[0] == key:
        return cache[1], overrides
    result = common.attempt(svc.inspect_file, stage["path"], overrides, display_name=stage["name"])
    if result is not None:
        st.session_state["up_intake"] = (key, result)
    return result, overrides


def _name_key(staged: dict) -> str:
    # One name field per staged file: the browser keeps a field's value while the field lives, so a file
    # chosen in place of another kept the first one's name (and was added under it).
    return f"up_name_{staged['file_id']}"


def queue_upload(staged: dict) -> None:
    """The form's submit: remember the job; the next run starts with it (and its status box)."""
    ss = st.session_state
    st.session_state["up_job"] = {
        "path": staged["path"], "name": staged["name"], "overrides": list(staged["overrides"].values()),
        "product": None if ss.get("up_product") in (None, ALL_PRODUCTS) else ss["up_product"],
        "customer": ss.get("up_customer", ""), "title": ss.get(_name_key(staged), ""), "due": ss.get("up_due"),
        "owner": ss.get("up_owner", "")}


def same_file_warning(staged: dict) -> None:
    """The same bytes were uploaded before: say so, with a way to open that one instead."""
    if "same" not in staged:
        staged["same"] = [q["id"] for q in common.attempt(svc.same_file_questionnaires, staged["path"]) or []]
    by_id = {q["id"]: q for q in common.questionnaires(svc)}
    for qid in [i for i in staged["same"] if i in by_id][:3]:
        qn = by_id[qid]
        when = qn["created_at"].strftime("%Y-%m-%d") if qn.get("created_at") else "earlier"
        cols = st.columns([4, 1], vertical_alignment="center")
        cols[0].warning(f"This exact file (same content) was already uploaded on {when} as "
                        f"**{common.md_escape(common.label(qn))}**. Adding it again makes a second copy to review.",
                        icon=":material/content_copy:")
        if cols[1].button(f"Open #{qid} in Review", key=f"up_same_{qid}", width="stretch"):
            open_in_review(qid)


if upload is None and st.session_state.get("up_stage"):
    clear_stage(reset_uploader=False)  # the file was removed, or is being replaced: keep the uploader
if upload is not None:
    staged = stage(upload)
    same_file_warning(staged)
    intake, overrides = inspected(staged)
    if intake is not None:
        new = show_layout(staged["path"], intake, key=f"lay_{staged['file_id']}")
        if new is not None:
            for o in new:
                staged["overrides"][o.sheet or ""] = o.model_dump(mode="json")
            st.rerun()
        products = common.attempt(svc.products) or []
        with st.form("up_details"):
            cols = st.columns(3)
            cols[0].selectbox("Product", [ALL_PRODUCTS, *products], key="up_product",
                                        help="Facts of other products are never used for this questionnaire.")
            cols[1].text_input("Customer", key="up_customer")
            cols[2].text_input("Name", value=Path(staged["name"]).stem, key=_name_key(staged))
            cols = st.columns(3)
            cols[0].date_input("Due date", value=None, min_value=dt.date(2000, 1, 1), key="up_due")
            cols[1].text_input("Owner", value=svc.actor.username, key="up_owner")
            st.form_submit_button("Add and run matching", type="primary", disabled=not intake.questions,
                                  key="up_go", on_click=queue_upload, args=(staged,))
