"""Review: every question in one table, filters, inline edits, decisions, and a detail panel.

The table and the detail panel are one fragment, so a click reruns only them. Each edit or decision
goes straight to the database through the service, conditional on the version the reviewer saw.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from trustfill.app_pages import common
from trustfill.app_pages.review_detail import detail_panel
from trustfill.app_pages.review_table import apply_table_edits, editor_meta, editor_table, table_config

svc = common.service()
qn = common.questionnaire_page_header(svc, "Review", "review")
qid = int(qn["id"])
if qn["matched_at"] is None:
    st.warning("This questionnaire has not been matched against the knowledge base yet.")
    if st.button("Run matching now", type="primary", key="rev_match"):
        bar = st.progress(0.0, text="Matching…")
        if common.attempt(svc.run_matching, qid, progress=lambda f: bar.progress(f, text=f"Matching… {f:.0%}")):
            st.rerun()


def bulk_approve(min_score: float) -> None:
    n = common.attempt(svc.bulk_approve, qid, min_score=min_score)
    if n is not None:
        st.session_state.setdefault("rev_msgs", []).append(
            ("success", f"Approved {n} suggested answer(s) at confidence {min_score:.0f} or above."))
        editor_meta(qid).nonce += 1  # decisions changed under the table: redraw it


def filtered(df: pd.DataFrame, states, band, section, search) -> pd.DataFrame:
    view = df
    if states:
        view = view[view["state"].isin(states)]
    lo, hi = band
    if (lo, hi) != (0, 100):
        view = view[(view["score"] >= lo) & (view["score"] <= hi)]
    if section:
        view = view[view["section"] == section]
    if search:
        needle = search.lower()
        hay = (view["ref"] + " " + view["text"] + " " + view["answer"] + " " + view["comment"] + " "
               + view["fact_id"]).str.lower()
        view = view[hay.str.contains(needle, regex=False)]
    return view


@st.fragment
def workspace() -> None:
    meta = editor_meta(qid)
    apply_table_edits(svc, meta)  # what the reviewer typed in the table last time, saved now
    for kind, message in st.session_state.pop("rev_msgs", []):
        getattr(st, kind)(message)

    df = common.questions_frame(svc, qid)
    stale = common.stale_ids(svc)
    if df.empty:
        st.info("This questionnaire has no questions.")
        return
    counts = common.progress_counts(df)
    cells = st.columns(7)
    for cell, state in zip(cells, ["suggested", "review", "unanswered", "edited", "approved", "rejected"],
                           strict=False):
        cell.metric(common.STATE_LABELS[state].split(" (")[0].capitalize(), counts[state])
    cells[6].metric("Done", f"{(counts['approved'] + counts['prefilled']) / len(df):.0%}",
                    help=f"{len(df)} questions; approved or pre-filled by the customer")

    f = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
    states = f[0].multiselect("Status", common.STATES, format_func=common.STATE_LABELS.get,
                              placeholder="All statuses", key=f"rev_states_{qid}")
    band = f[1].slider("Confidence", 0, 100, (0, 100), step=5, key=f"rev_band_{qid}")
    sections = sorted({s for s in df["section"] if s})
    section = f[2].selectbox("Section", ["", *sections], format_func=lambda s: s or "All sections",
                             key=f"rev_section_{qid}")
    search = f[3].text_input("Search", placeholder="question, answer, fact…", key=f"rev_search_{qid}")

    b = st.columns([2, 2, 3], vertical_alignment="bottom")
    min_score = b[0].number_input("Bulk approve at confidence ≥", 0, 100, 90, step=5, key=f"rev_min_{qid}")
    eligible = int(((df["state"] == "suggested") & (df["score"] >= min_score) & (df["answer"] != "")).sum())
    b[1].button(f"Approve {eligible} suggested", icon=":material/check:",
                disabled=not eligible or not svc.actor.can("approve"),
                on_click=bulk_approve, args=(float(min_score),), key=f"rev_bulk_{qid}", width="stretch")
    b[2].caption("Edits in the table are saved as soon as you leave the cell. Tick **Details** on a row to "
                 "see its alternatives, pick another fact, or search the knowledge base.")

    view = filtered(df, states, band, section, search)
    signature = (tuple(states), tuple(band), section, search)
    key, ids = meta.view(signature, list(view.index))
    shown = df.loc[[i for i in ids if i in df.index]]
    left, right = st.columns([5, 3])
    with left:
        st.caption(f"{len(shown)} of {len(df)} questions shown")
        st.data_editor(editor_table(shown, stale), key=key, num_rows="fixed", hide_index=True, height=620,
                       width="stretch", column_config=table_config(), disabled=not svc.actor.can("edit_answer"),
                       column_order=["ref", "section", "question", "answer", "comment", "confidence", "match",
                                     "decision", "fact", "stale", "details"])
        meta.seen(shown)
    with right:
        detail_panel(svc, qn, df, list(shown.index), meta, stale)


workspace()
