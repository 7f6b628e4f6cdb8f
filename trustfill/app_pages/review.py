"""Review: every question in one table, filters, inline edits, decisions, and a detail panel.

The table and the detail panel are one fragment, so a click reruns only them. Each edit or decision
goes straight to the database through the service, conditional on the version the reviewer saw.
The reviewer's place (filters, sort, the open question) is kept in session state, so it survives a
decision and a trip to another page; confirmations are toasts, so nothing shifts the layout.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from answerers import fit
from trustfill.app_pages import common
from trustfill.app_pages.review_detail import PICK, current_pick, detail_panel
from trustfill.app_pages.review_table import (
    COLUMN_ORDER,
    apply_table_edits,
    editor_meta,
    editor_table,
    ref_width,
    table_config,
)
from trustfill.errors import TrustfillError

SORTS = {"sheet": "Sheet order", "low": "Confidence, lowest first", "high": "Confidence, highest first",
         "status": "Status, then sheet order"}

svc = common.service()
qn = common.questionnaire_page_header(svc, "Review", "review")
qid = int(qn["id"])
if qn["matched_at"] is None:
    st.warning("This questionnaire has not been matched against the knowledge base yet.")
    if st.button("Run matching now", type="primary", key="rev_match"):
        bar = st.progress(0.0, text="Matching…")
        if common.attempt(svc.run_matching, qid, progress=lambda f: bar.progress(f, text=f"Matching… {f:.0%}")):
            st.rerun()

PREVIEW = f"rev_bulk_preview_{qid}"
FILTER_KEYS = [f"rev_states_{qid}", f"rev_band_{qid}", f"rev_section_{qid}", f"rev_search_{qid}",
               f"rev_sort_{qid}", f"rev_min_{qid}", "rev_auto_next", PICK]


def _say(kind: str, message: str) -> None:
    st.session_state.setdefault("rev_msgs", []).append((kind, message))


def preview_bulk(min_score: float) -> None:
    """First click: the exact list that would be approved; nothing is written until the reviewer confirms."""
    rows = common.attempt(svc.bulk_approve_preview, qid, min_score=min_score)
    if rows is not None:
        st.session_state[PREVIEW] = {"min_score": min_score, "rows": rows}


def confirm_bulk() -> None:
    preview = st.session_state.pop(PREVIEW, None)
    if not preview:
        return
    versions = {r["id"]: r["version"] for r in preview["rows"]}
    try:
        approved = svc.approve_suggested(qid, min_score=preview["min_score"], versions=versions)
    except TrustfillError as exc:
        _say("error", str(exc))
        return
    message = (f"Approved {len(approved)} suggested answer(s) at confidence {preview['min_score']:.0f} or above.")
    left_alone = len(versions) - len(approved)
    if left_alone:
        _say("warning", f"{message} {left_alone} changed since the preview and were left as they are.")
    else:
        _say("success", message)
    editor_meta(qid).nonce += 1  # decisions changed under the table: redraw it


def cancel_bulk() -> None:
    st.session_state.pop(PREVIEW, None)


def filtered(df: pd.DataFrame, states, band, section, search, sort: str = "sheet") -> pd.DataFrame:
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
    if sort == "low":
        view = view.sort_values(["score", "position"], kind="stable")
    elif sort == "high":
        view = view.sort_values(["score", "position"], ascending=[False, True], kind="stable")
    elif sort == "status":
        order = {s: n for n, s in enumerate(common.STATES)}
        view = view.assign(_o=view["state"].map(order)).sort_values(["_o", "position"], kind="stable")
    return view


def bulk_preview_box(df: pd.DataFrame) -> None:
    preview = st.session_state.get(PREVIEW)
    if not preview:
        return
    rows = preview["rows"]
    with st.container(border=True, key="rev_bulk_box"):
        st.markdown(f"**Approve these {len(rows)} answers?** Suggested, pending, confidence "
                    f"{preview['min_score']:.0f} or above. Nothing is approved until you confirm.")
        cols = st.columns([2, 1, 4])  # the decision first: a long list must not hide it
        cols[0].button(f"Approve these {len(rows)}", type="primary", icon=":material/done_all:",
                       disabled=not rows, on_click=confirm_bulk, key="rev_bulk_confirm", width="stretch")
        cols[1].button("Cancel", on_click=cancel_bulk, key="rev_bulk_cancel", width="stretch")
        table = pd.DataFrame({"Ref": [r["ref"] or f"{r['sheet']}!{r['row']}" for r in rows],
                              "Question": [r["text"] for r in rows], "Answer": [r["answer"] for r in rows],
                              "Confidence": [r["score"] for r in rows],
                              "Cell": [_cell_note(df, r["id"]) for r in rows]})
        misfits = sum(1 for c in table["Cell"] if c.startswith("⚠"))
        if misfits:
            st.warning(f"{misfits} of these answers are not among their cell's allowed values: export would leave "
                       "those cells empty and put the answer in the comment. Cancel and fix them first, or "
                       "approve anyway.", icon=":material/warning:")
        st.dataframe(table, hide_index=True, width="stretch", height=min(320, 38 + 35 * max(len(rows), 1)),
                     column_config={"Confidence": st.column_config.NumberColumn(format="%.0f", width=90),
                                    "Ref": st.column_config.TextColumn(width=90),
                                    "Question": st.column_config.TextColumn(width=330),
                                    "Answer": st.column_config.TextColumn(width=200),
                                    "Cell": st.column_config.TextColumn(width=230)},
                     key="rev_bulk_list")


def _cell_note(df: pd.DataFrame, question_id: int) -> str:
    if question_id not in df.index or not df.at[question_id, "choices"]:
        return ""
    return df.at[question_id, "cell_value"] or "⚠ not in list → comment"


@st.fragment
def workspace() -> None:
    meta = editor_meta(qid)
    apply_table_edits(svc, meta)  # what the reviewer typed in the table last time, saved now
    for kind, message in st.session_state.pop("rev_msgs", []):
        if kind == "success":
            st.toast(message, icon=":material/check:")  # a banner would push the table down
        else:
            getattr(st, kind)(message)

    df = common.review_frame(svc, qid)
    stale = common.stale_ids(svc)
    if df.empty:
        st.info("This questionnaire has no questions.")
        return
    counts = common.progress_counts(df)
    # From the table already read (no query of its own on every rerun): rows whose reason says they were held.
    held = int(df["match_note"].fillna("").str.startswith(fit.HOLD_PREFIX).sum())
    if held:
        st.info(fit.held_message(held))
    cells = st.columns(7)
    for cell, state in zip(cells, ["suggested", "review", "unanswered", "edited", "approved", "rejected"],
                           strict=False):
        cell.metric(common.STATE_LABELS[state].split(" (")[0].capitalize(), counts[state])
    cells[6].metric("Done", f"{(counts['approved'] + counts['prefilled']) / len(df):.0%}",
                    help=f"{len(df)} questions; approved or pre-filled by the customer")

    sections = sorted({s for s in df["section"] if s})
    if st.session_state.get(f"rev_section_{qid}", "") not in ["", *sections]:
        st.session_state[f"rev_section_{qid}"] = ""
    f = st.columns([3, 2, 2, 2, 2], vertical_alignment="bottom")
    states = f[0].multiselect("Status", common.STATES, format_func=common.STATE_LABELS.get,
                              placeholder="All statuses", key=common.kept(f"rev_states_{qid}", []))
    band = f[1].slider("Confidence", 0, 100, step=5, key=common.kept(f"rev_band_{qid}", (0, 100)))
    section = f[2].selectbox("Section", ["", *sections], format_func=lambda s: s or "All sections",
                             key=common.kept(f"rev_section_{qid}", ""))
    search = f[3].text_input("Search", placeholder="question, answer, fact…",
                             key=common.kept(f"rev_search_{qid}", ""))
    sort = f[4].selectbox("Sort", list(SORTS), format_func=SORTS.get, key=common.kept(f"rev_sort_{qid}", "sheet"))

    b = st.columns([2, 2, 3], vertical_alignment="bottom")
    min_score = b[0].number_input("Bulk approve at confidence ≥", 0, 100, step=5,
                                  key=common.kept(f"rev_min_{qid}", 90))
    eligible = int(((df["state"] == "suggested") & (df["score"] >= min_score) & (df["answer"] != "")).sum())
    if svc.actor.can("approve"):  # editors never see a control they cannot use
        b[1].button(f"Approve {eligible} suggested…", icon=":material/check:", disabled=not eligible,
                    on_click=preview_bulk, args=(float(min_score),), key=f"rev_bulk_{qid}", width="stretch",
                    help="Shows the exact list first; you confirm or cancel.")
    b[2].caption("Edits in the table are saved as soon as you leave the cell. Tick **Open** on a row, or use "
                 "the arrows (keys **J**/**K**), to see it in the panel; **A** approves, **X** rejects.")
    bulk_preview_box(df)

    view = filtered(df, states, band, section, search, sort)
    signature = (tuple(states), tuple(band), section, search, sort)
    key, ids = meta.view(signature, list(view.index))
    shown = df.loc[[i for i in ids if i in df.index]]
    shown_ids = list(shown.index)
    pick = current_pick(shown_ids, meta)
    common.keep(*FILTER_KEYS)
    left, right = st.columns([5, 3])
    with left:
        st.caption(f"{len(shown)} of {len(df)} questions shown")
        table = editor_table(shown, stale, pick)
        st.data_editor(table, key=key, num_rows="fixed",
                       hide_index=True, height=620, width="stretch",
                       column_config=table_config(svc.actor.can("approve"), ref_width(table["ref"])),
                       disabled=not svc.actor.can("edit_answer"), column_order=COLUMN_ORDER)
        meta.seen(shown)
    with right:
        detail_panel(svc, qn, df, shown_ids, meta, stale)


workspace()
