"""Overview: how each questionnaire got answered, which facts carry the load, and where the gaps are."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from trustfill.app_pages import common

ORIGINS = {"auto": "Automatically", "edited": "After edits", "picked": "After edits", "manual": "By hand",
           "prefilled": "Pre-filled"}

HOW = ["Automatically", "After edits", "By hand", "Pre-filled"]


def how_chart(summary: pd.DataFrame) -> alt.Chart:
    """One bar per questionnaire, every bar labelled with its own questionnaire (no label dropped or
    borrowed from another bar), the share of approved answers by how they came about."""
    long = summary.melt(id_vars=["Questionnaire"], value_vars=HOW, var_name="How", value_name="Answers")
    order = list(summary["Questionnaire"])
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("Questionnaire:N", sort=order, title=None,
                axis=alt.Axis(labelLimit=360, labelOverlap=False)),
        x=alt.X("sum(Answers):Q", stack="normalize", title="Share of approved answers",
                axis=alt.Axis(format="%")),
        color=alt.Color("How:N", sort=HOW, title=None, legend=alt.Legend(orient="bottom")),
        order=alt.Order("how_rank:Q"),
        tooltip=["Questionnaire", "How", "Answers"],
    ).transform_calculate(how_rank=f"indexof({HOW!r}, datum.How)").properties(
        height=max(120, 42 * len(order)))


svc = common.service()
st.title("Overview")
listing = common.questionnaires(svc)
if not listing:
    st.info("Nothing to summarise yet: upload a questionnaire or open the sample on the Questionnaires page.")
    st.stop()

frames = {q["id"]: common.questions_frame(svc, q["id"]) for q in listing}
rows = []
for q in listing:
    df = frames[q["id"]]
    approved = df[df["review_status"] == "approved"] if not df.empty else df
    how = approved["origin"].map(ORIGINS).value_counts() if not approved.empty else pd.Series(dtype=int)
    n = len(approved)
    rows.append({
        "Questionnaire": common.label(q), "Questions": len(df), "Approved": n,
        **{k: int(how.get(k, 0)) for k in ("Automatically", "After edits", "By hand", "Pre-filled")},
        "Automatic share": (how.get("Automatically", 0) / n) if n else 0.0,
    })
summary = pd.DataFrame(rows)

st.subheader("How answers were approved")
st.caption("For approved answers: taken as suggested (automatically), changed or re-picked by a reviewer "
           "(after edits), or written from scratch (by hand).")
st.dataframe(summary, hide_index=True, width="stretch", column_config={
    "Automatic share": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)})
if summary[list(HOW)].to_numpy().sum():
    st.altair_chart(how_chart(summary), width="stretch")
else:
    st.caption("No approved answers yet.")

usage = common.attempt(svc.usage_stats) or {"facts": [], "gaps": []}
stale = common.stale_ids(svc)
used, gaps = st.columns(2)
with used:
    st.subheader("Facts used most")
    if not usage["facts"]:
        st.caption("No fact has answered a question yet.")
    else:
        top = pd.DataFrame(usage["facts"])
        top["stale"] = top["fact_id"].isin(stale)
        st.dataframe(top, hide_index=True, width="stretch",
                     column_order=["fact_id", "questions", "approved", "questionnaires", "question", "stale"],
                     column_config={
                         "fact_id": "Fact", "questions": "Matched", "approved": "Approved",
                         "questionnaires": "Questionnaires",
                         "question": st.column_config.TextColumn("Canonical question", width="large"),
                         "stale": st.column_config.CheckboxColumn("Stale", help="Review date passed (kb lint)")})
with gaps:
    st.subheader("Gaps to fill")
    st.caption("Questions no fact answered, or that a reviewer had to answer by hand: candidates for new facts.")
    if not any(not df.empty for df in frames.values()):
        st.caption("No questions yet.")
    elif not usage["gaps"]:
        st.caption("No gaps: every question found a fact.")
    else:
        st.dataframe(pd.DataFrame(usage["gaps"]), hide_index=True, width="stretch", column_config={
            "question": st.column_config.TextColumn("Question", width="large"), "times": "Times asked",
            "questionnaires": "Questionnaires", "by_hand": "Answered by hand"})
