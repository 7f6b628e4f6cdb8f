"""Overview: how each questionnaire got answered, which facts carry the load, and where the gaps are."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from app_pages import common

ORIGINS = {"auto": "Automatically", "edited": "After edits", "picked": "After edits", "manual": "By hand",
           "prefilled": "Pre-filled"}
_PUNCT = re.compile(r"[^\w\s]+")

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
chart = summary.set_index("Questionnaire")[["Automatically", "After edits", "By hand", "Pre-filled"]]
if chart.to_numpy().sum():
    st.bar_chart(chart, horizontal=True, stack="normalize", height=max(160, 48 * len(chart)),
                 x_label="", y_label="Share of approved answers")
else:
    st.caption("No approved answers yet.")

every = pd.concat([df.assign(questionnaire=qid) for qid, df in frames.items() if not df.empty],
                  ignore_index=True) if any(not df.empty for df in frames.values()) else pd.DataFrame()
used, gaps = st.columns(2)
with used:
    st.subheader("Facts used most")
    if every.empty or not (every["fact_id"] != "").any():
        st.caption("No fact has answered a question yet.")
    else:
        matched = every[every["fact_id"] != ""]
        top = (matched.groupby("fact_id")
               .agg(questions=("id", "size"), approved=("review_status", lambda s: int((s == "approved").sum())),
                    questionnaires=("questionnaire", "nunique"))
               .sort_values(["approved", "questions"], ascending=False).head(15).reset_index())
        facts = {f.id: f for f in (common.attempt(svc.facts, statuses=None) or [])}
        top["question"] = top["fact_id"].map(lambda i: facts[i].question if i in facts else "(removed)")
        top["stale"] = top["fact_id"].map(lambda i: facts[i].is_stale() if i in facts else False)
        st.dataframe(top, hide_index=True, width="stretch", column_config={
            "fact_id": "Fact", "questions": "Matched", "approved": "Approved", "questionnaires": "Questionnaires",
            "question": st.column_config.TextColumn("Canonical question", width="large"),
            "stale": st.column_config.CheckboxColumn("Stale")})
with gaps:
    st.subheader("Gaps to fill")
    st.caption("Questions no fact answered, or that a reviewer had to answer by hand: candidates for new facts.")
    if every.empty:
        st.caption("No questions yet.")
    else:
        open_rows = every[((every["match_status"] == "unanswered") & ~every["prefilled"]
                           & (every["review_status"] != "approved")) | (every["origin"] == "manual")]
        if open_rows.empty:
            st.caption("No gaps: every question found a fact.")
        else:
            key = open_rows["text"].str.lower().map(lambda t: " ".join(_PUNCT.sub(" ", t).split()))
            top = (open_rows.assign(key=key).groupby("key")
                   .agg(question=("text", "first"), times=("id", "size"),
                        questionnaires=("questionnaire", "nunique"),
                        by_hand=("origin", lambda s: int((s == "manual").sum())))
                   .sort_values(["times", "questionnaires"], ascending=False).head(20).reset_index(drop=True))
            st.dataframe(top, hide_index=True, width="stretch", column_config={
                "question": st.column_config.TextColumn("Question", width="large"), "times": "Times asked",
                "questionnaires": "Questionnaires", "by_hand": "Answered by hand"})
