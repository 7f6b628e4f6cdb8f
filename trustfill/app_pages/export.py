"""Export: the customer's own workbook with the answers filled in, and the review report."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from trustfill import config
from trustfill.app_pages import common

MIME = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".csv": "text/csv",
}
FILL = {
    "approved": "Approved answers only",
    "suggested": "Approved, plus confident suggestions and edited drafts",
    "review": "Everything with an answer, including those still to review",
}

svc = common.service()
qn = common.questionnaire_page_header(svc, "Export", "export")
qid = int(qn["id"])
counts = common.progress_counts(common.questions_frame(svc, qid))
total = sum(counts.values())
st.caption(f"{counts['approved']} of {total} answers approved · {counts['suggested']} suggested · "
           f"{counts['review']} to review · {counts['edited']} edited drafts · {counts['unanswered']} unanswered · "
           f"{counts['prefilled']} pre-filled by the customer (never overwritten)")

left, right = st.columns(2)
with left, st.container(border=True):
    st.subheader("Filled questionnaire")
    st.caption("A copy of the customer's own file with answers written into their cells; everything else in "
               "it stays exactly as it was.")
    fill = st.radio("Which answers", list(FILL), format_func=FILL.get, key="exp_fill")
    mark = st.checkbox("Mark answers nobody approved as drafts", key="exp_mark", disabled=fill == "approved",
                       help="Adds a [DRAFT - not reviewed] marker to each such answer.")
    if st.button("Prepare filled workbook", type="primary", key="exp_prepare"):
        result = common.attempt(svc.export_filled, qid, fill=fill, mark_unreviewed=mark and fill != "approved")
        if result is not None:
            st.session_state["exp_file"] = (qid, result.path.read_bytes(), result.written, result.skipped)
    prepared = st.session_state.get("exp_file")
    if prepared and prepared[0] == qid:
        _, data, written, skipped = prepared
        original = Path(qn["original_filename"])
        st.success(f"{written} cell(s) written.")
        if skipped:
            with st.expander(f"{len(skipped)} answer(s) not written"):
                st.dataframe([{"where": w, "why": why} for w, why in skipped], hide_index=True)
        st.download_button("Download filled workbook", data, file_name=f"{original.stem}-filled{original.suffix}",
                           mime=MIME.get(original.suffix.lower()), icon=":material/download:", key="exp_download",
                           on_click="ignore")

with right, st.container(border=True):
    st.subheader("Review report")
    st.caption("One row per question: answer, comment, fact, confidence, status, reviewer and time.")
    kind = st.radio("Format", [".csv", ".xlsx"], format_func=lambda s: s[1:].upper(), horizontal=True,
                    key="exp_report_kind")
    if st.button("Prepare review report", key="exp_report_prepare"):
        dest = config.exports_dir() / f"q{qid}-review-report{kind}"
        path = common.attempt(svc.export_review_report, qid, dest)
        if path is not None:
            st.session_state["exp_report"] = (qid, kind, Path(path).read_bytes())
    report = st.session_state.get("exp_report")
    if report and report[0] == qid:
        _, kind_made, data = report
        st.download_button("Download review report", data, key="exp_report_download", icon=":material/download:",
                           file_name=f"{Path(qn['original_filename']).stem}-review-report{kind_made}",
                           mime=MIME[kind_made], on_click="ignore")
