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


def match_with_progress(qid: int) -> bool:
    bar = st.progress(0.0, text="Matching questions to the knowledge base…")
    progress = common.attempt(svc.run_matching, qid,
                              progress=lambda f: bar.progress(f, text=f"Matching… {f:.0%}"))
    bar.empty()
    if progress is None:
        return False
    common.flash(f"Matched {progress.total} questions: {progress.suggested} suggested, {progress.review} to "
                 f"review, {progress.unanswered} unanswered, {progress.prefilled} pre-filled by the customer.")
    return True


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
        "Due": q["due_date"], "Owner": q["owner"], "Questions": q["progress"].total,
        "Suggested": q["progress"].suggested, "To review": q["progress"].review,
        "Unanswered": q["progress"].unanswered, "Approved": q["progress"].approved,
        "Done": q["progress"].done_share,
    } for q in listing])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "Due": st.column_config.DateColumn(format="YYYY-MM-DD"),
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


def clear_stage() -> None:
    stage = st.session_state.pop("up_stage", None)
    if stage:
        Path(stage["path"]).unlink(missing_ok=True)
    st.session_state["up_nonce"] = nonce + 1


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


if upload is None and st.session_state.get("up_stage"):
    clear_stage()
if upload is not None:
    staged = stage(upload)
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
            product = cols[0].selectbox("Product", [ALL_PRODUCTS, *products], key="up_product",
                                        help="Facts of other products are never used for this questionnaire.")
            customer = cols[1].text_input("Customer", key="up_customer")
            name = cols[2].text_input("Name", value=Path(staged["name"]).stem, key="up_name")
            cols = st.columns(3)
            due = cols[0].date_input("Due date", value=None, min_value=dt.date(2000, 1, 1), key="up_due")
            owner = cols[1].text_input("Owner", value=svc.actor.username, key="up_owner")
            go = st.form_submit_button("Add and run matching", type="primary", disabled=not intake.questions,
                                       key="up_go")
        if go:
            qid = common.attempt(svc.upload_questionnaire, staged["path"], original_filename=staged["name"],
                                 product=None if product == ALL_PRODUCTS else product, customer=customer,
                                 name=name, due_date=due, owner=owner, overrides=overrides or None)
            if qid is not None:
                clear_stage()
                if match_with_progress(qid):
                    open_in_review(qid)
