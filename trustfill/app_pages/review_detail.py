"""The detail panel of the review page: one question, its answer, why it matched, and the other facts
that could answer it (its alternatives, or any fact found by searching the knowledge base by hand).

Actions run as button callbacks, before the fragment redraws, so the table beside the panel always
shows their result.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from knowledge.learning import PROPOSE_FROM_ORIGINS
from knowledge.model import Fact
from trustfill.app_pages import common
from trustfill.app_pages.review_table import EditorMeta
from trustfill.errors import Conflict, TrustfillError
from trustfill.service import Service

PICK = "rev_detail_pick"
AUTO_NEXT = "rev_auto_next"


def _act(meta: EditorMeta, action, *args, done: str = "", advance: list[int] | None = None, **kwargs) -> None:
    """Run a panel action; ``advance`` (the rows shown) moves the panel on to the next question after it,
    when the reviewer keeps "Next question after a decision" on."""
    try:
        row = action(*args, **kwargs)
    except Conflict as exc:
        st.session_state.setdefault("rev_msgs", []).append(("warning", str(exc)))
        common.invalidate()
        meta.nonce += 1
        return
    except TrustfillError as exc:
        st.session_state.setdefault("rev_msgs", []).append(("error", str(exc)))
        return
    if done:
        st.session_state.setdefault("rev_msgs", []).append(("success", done))
    meta.versions[row["id"]] = row["version"]
    meta.reconcile(row)
    if advance and st.session_state.get(AUTO_NEXT, True):
        _step(advance, 1)


def _save(svc: Service, meta: EditorMeta, qid: int, version: int, approve: bool) -> None:
    answer = st.session_state.get(f"det_answer_{qid}_{version}", "")
    comment = st.session_state.get(f"det_comment_{qid}_{version}", "")
    if approve:
        def save_and_approve():
            row = svc.edit_answer(qid, answer=answer, comment=comment, expected_version=version)
            return svc.approve(qid, expected_version=row["version"])

        # Stays on the question: an answer written by hand is offered to the knowledge base right here.
        _act(meta, save_and_approve, done="Saved and approved.")
    else:
        _act(meta, svc.edit_answer, qid, answer=answer, comment=comment, expected_version=version,
             done="Saved as a draft.")


def _step(ids: list[int], delta: int) -> None:
    current = st.session_state.get(PICK)
    pos = ids.index(current) if current in ids else 0
    st.session_state[PICK] = ids[max(0, min(len(ids) - 1, pos + delta))]


def current_pick(ids: list[int], meta: EditorMeta) -> int | None:
    """The question open in the panel: the one the reviewer had (kept across pages), else the first shown."""
    if PICK not in st.session_state and "tf_kept" in st.session_state:
        kept = st.session_state["tf_kept"].get(PICK)
        if kept is not None:
            st.session_state[PICK] = kept
    if not ids:
        return None
    if st.session_state.get(PICK) not in ids:
        st.session_state[PICK] = meta.detail if meta.detail in ids else ids[0]
    return st.session_state[PICK]


def _use_cell_value(svc: Service, meta: EditorMeta, qid: int, version: int) -> None:
    choice = st.session_state.get(f"det_cell_{qid}_{version}")
    if choice:
        _act(meta, svc.use_cell_value, qid, choice, expected_version=version,
             done=f"'{choice}' goes in the cell; the rest of the answer is now in the comment.")


def _fit_box(svc: Service, meta: EditorMeta, q: pd.Series, can_edit: bool) -> None:
    """The answer cell's allowed values, and what export will do with this answer, before approving."""
    fit = common.attempt(svc.answer_fit, int(q["id"]))
    if fit is None or not fit.choices:
        return
    allowed = common.md_escape(", ".join(fit.choices))  # the customer's own list: shown as typed
    if fit.fits and fit.cell_value:
        moved = (f"; the rest (“{common.md_escape(fit.comment_text[:80])}”) goes in the comment"
                 if fit.comment_text else "")
        st.caption(f"Cell allows: {allowed} · export writes **{common.md_escape(fit.cell_value)}**{moved}.")
        return
    if fit.fits:  # no answer yet
        st.caption(f"Cell allows: {allowed}.")
        return
    with st.container(border=True, key=f"det_fit_{q['id']}"):
        st.warning(f"Will not fit: the answer cell only allows {allowed}. Export leaves the cell empty and "
                   f"puts the answer in the comment: “{common.md_escape(fit.comment_text[:160])}”.",
                   icon=":material/warning:")
        if can_edit:
            version = int(q["version"])
            cols = st.columns([2, 2], vertical_alignment="bottom")
            cols[0].selectbox("Cell value", fit.choices, key=f"det_cell_{q['id']}_{version}",
                              help="The value for the cell; the answer text moves in front of the comment.")
            cols[1].button("Use as the cell value", key=f"det_cellgo_{q['id']}", width="stretch",
                           on_click=_use_cell_value, args=(svc, meta, int(q["id"]), version))


def _weak_alternatives(alternatives: list[dict], threshold: float) -> None:
    """Candidates under the review threshold: listed for the curious, folded away, never one click from use."""
    if not alternatives:
        return
    with st.expander(f"{len(alternatives)} weaker candidate(s), under the review threshold of {threshold:.0f}"):
        for alt in alternatives:
            st.caption(f"{common.md_escape(alt['fact_id'])} · {alt.get('score', 0):.0f} — "
                       f"{common.md_escape(alt.get('reason', ''))}")


def _fact_card(fact: Fact | None, fact_id: str, stale: frozenset[str]) -> None:
    if fact is None:
        st.caption(f"Fact `{fact_id}` is no longer in the knowledge base.")
        return
    reviewed = fact.last_reviewed.isoformat() if fact.last_reviewed else "never"
    st.markdown(f"**`{fact.id}`** · {fact.category or 'no category'} · {fact.product or 'all products'}  \n"
                f"*{common.plain(fact.question)}*  \n**{common.plain(fact.answer)}** — {common.plain(fact.comment)}")
    st.caption(f"Source: {fact.source or '—'} · last reviewed {reviewed} · owner {fact.owner or '—'}")
    if fact.id in stale:
        st.warning(f"Stale: its review date has passed (every {fact.review_interval_days} days). "
                   "Check it before approving.",
                   icon=":material/schedule:")


def _fact_or_none(svc: Service, fact_id: str) -> Fact | None:
    try:
        return svc.fact(fact_id)
    except TrustfillError:
        return None


def _propose(svc: Service, question_id: int) -> None:
    try:
        fact = svc.propose_fact_from_answer(question_id)
    except TrustfillError as exc:
        st.session_state.setdefault("rev_msgs", []).append(("error", str(exc)))
        return
    st.session_state.setdefault("rev_msgs", []).append(
        ("success", f"Proposed fact {fact.id}: an approver accepts it on the Knowledge base page."))


def _proposal_of(svc: Service, q: pd.Series) -> Fact | None:
    """The proposed fact already made from this answer, if any (its source names the question's row)."""
    source = f"proposed from questionnaire {q['questionnaire_id']}, {q['sheet']} row {q['row']}"
    return next((f for f in common.attempt(svc.proposed_facts) or [] if f.source == source), None)


def _hand_written(svc: Service, q: pd.Series) -> None:
    """A reviewer wrote this answer: offer it to the knowledge base, so the next questionnaire gets it."""
    if q["origin"] not in PROPOSE_FROM_ORIGINS or not str(q["answer"]).strip():
        return
    pending = _proposal_of(svc, q)
    if pending is not None:
        st.caption(f"Proposed as fact `{pending.id}`; waiting for an approver.")
        return
    st.button("Propose as a new fact", icon=":material/library_add:", key=f"det_propose_{q['id']}",
              width="stretch", disabled=not svc.actor.can("propose_fact"),
              help="This answer was written by hand. As a fact (once an approver accepts it), matching "
                   "reuses it for the next questionnaire.",
              on_click=_propose, args=(svc, int(q["id"])))


def detail_panel(svc: Service, qn: dict, df: pd.DataFrame, ids: list[int], meta: EditorMeta,
                 stale: frozenset[str] = frozenset()) -> None:
    if not ids:
        st.info("No question matches the filters.")
        return
    current_pick(ids, meta)
    nav = st.columns([1, 6, 1], vertical_alignment="bottom")
    nav[0].button("", icon=":material/chevron_left:", key="det_prev", on_click=_step, args=(ids, -1),
                  help="Previous question (K)", shortcut="K")
    texts = df["text"].to_dict()
    refs = df["ref"].to_dict()
    nav[1].selectbox("Question in detail", ids, key=PICK, label_visibility="collapsed",
                     format_func=lambda i: f"{refs.get(i) or '#' + str(i)} — {texts.get(i, '')[:70]}")
    nav[2].button("", icon=":material/chevron_right:", key="det_next", on_click=_step, args=(ids, 1),
                  help="Next question (J)", shortcut="J")
    q = df.loc[st.session_state[PICK]]
    qid, version = int(q["id"]), int(q["version"])
    can_edit = svc.actor.can("edit_answer")
    may_decide = svc.actor.can("approve")

    with st.container(border=True, height=560, key="det_panel"):
        where = f"{q['sheet']}!{q['row']}" + (f" · {q['section']}" if q["section"] else "")
        st.caption(common.plain(f"{q['ref'] or 'Question'} · {where}"))  # customer text: never Markdown
        st.markdown(f"**{common.plain(q['text'])}**")
        decided = f" · reviewed by {q['reviewer']}" if q["reviewer"] else ""
        st.caption(f"Status **{common.STATE_LABELS.get(q['state'], q['state'])}** · confidence "
                   f"{q['score']:.0f} · origin {q['origin']}{decided}")
        if q.get("match_note"):
            # Why the matcher chose this status: "to review" with a high confidence needs a reason.
            st.caption(f"Matcher: {q['match_note']}")
        if may_decide:
            cols = st.columns(2)
            cols[0].button("Approve", icon=":material/check:", key=f"det_approve_{qid}", width="stretch",
                           disabled=q["review_status"] == "approved" or not str(q["answer"]).strip(),
                           on_click=_act, args=(meta, svc.approve, qid), shortcut="A", type="primary",
                           kwargs={"expected_version": version, "done": "Approved.", "advance": ids})
            cols[1].button("Reject", icon=":material/close:", key=f"det_reject_{qid}", width="stretch",
                           disabled=q["review_status"] == "rejected", shortcut="X",
                           on_click=_act, args=(meta, svc.reject, qid),
                           kwargs={"expected_version": version, "done": "Rejected.", "advance": ids})
            cols = st.columns([3, 2], vertical_alignment="center")
            cols[0].checkbox("Next question after a decision", key=common.kept(AUTO_NEXT, True))
            cols[1].button("Reopen", icon=":material/undo:", key=f"det_reopen_{qid}", width="stretch",
                           disabled=q["review_status"] == "pending", type="tertiary",
                           help="Back to pending, answer unchanged.", on_click=_act, args=(meta, svc.reopen, qid),
                           kwargs={"expected_version": version, "done": "Reopened: pending again."})
        _fit_box(svc, meta, q, can_edit)
        if can_edit:
            with st.form(f"det_form_{qid}_{version}", border=False):
                st.text_area("Answer", value=q["answer"], key=f"det_answer_{qid}_{version}", height=68)
                st.text_area("Comment", value=q["comment"], key=f"det_comment_{qid}_{version}", height=110)
                cols = st.columns(2)
                cols[0].form_submit_button("Save draft", on_click=_save, args=(svc, meta, qid, version, False),
                                           width="stretch")
                if may_decide:
                    cols[1].form_submit_button("Save and approve", type="primary", width="stretch",
                                               on_click=_save, args=(svc, meta, qid, version, True))
            _hand_written(svc, q)
        else:
            st.text(f"Answer: {q['answer']}\nComment: {q['comment']}")

        if q["fact_id"]:
            st.markdown("###### Answer comes from")
            _fact_card(_fact_or_none(svc, q["fact_id"]), q["fact_id"], stale)

        settings = common.attempt(svc.match_settings)
        threshold = settings.review_threshold if settings is not None else 0.0
        alternatives = [a for a in (q["alternatives"] or []) if a.get("fact_id") != q["fact_id"]]
        strong = [a for a in alternatives if a.get("score", 0) >= threshold]
        if strong:
            st.markdown("###### Other candidates")
        for n, alt in enumerate(strong[:5]):
            fact = _fact_or_none(svc, alt["fact_id"])
            row = st.columns([5, 1], vertical_alignment="center")
            row[0].markdown(f"`{alt['fact_id']}` · **{alt.get('score', 0):.0f}** — {alt.get('reason', '')}  \n"
                            f"matched *{common.plain(alt.get('matched_text', ''))}*"  # learned customer wording
                            + (f"  \n→ **{common.plain(fact.answer)}**" if fact else ""))
            if can_edit:
                row[1].button("Use", key=f"det_alt_{qid}_{n}", disabled=fact is None,
                              on_click=_act, args=(meta, svc.pick_fact, qid, alt["fact_id"]),
                              kwargs={"expected_version": version, "done": f"Picked fact {alt['fact_id']}."})
        _weak_alternatives([a for a in alternatives if a.get("score", 0) < threshold], threshold)

        if can_edit:
            st.markdown("###### Search the knowledge base")
            needle = st.text_input("Search facts", key=f"det_search_{qid}", label_visibility="collapsed",
                                   placeholder="e.g. encryption at rest")
            if needle.strip():
                found = common.attempt(svc.facts, product=qn["product"] or None, search=needle.strip()) or []
                if not found:
                    st.caption("No fact matches; add one on the Knowledge base page.")
                for n, fact in enumerate(found[:8]):
                    row = st.columns([5, 1], vertical_alignment="center")
                    badge = " :orange-badge[stale]" if fact.id in stale else ""
                    row[0].markdown(f"`{fact.id}`{badge} — {common.plain(fact.question)}  \n"
                                    f"→ **{common.plain(fact.answer)}** {common.plain(fact.comment[:120])}")
                    row[1].button("Use", key=f"det_pick_{qid}_{n}",
                                  on_click=_act, args=(meta, svc.pick_fact, qid, fact.id),
                                  kwargs={"expected_version": version, "done": f"Picked fact {fact.id}."})
    if q["reviewed_at"] is not None and not pd.isna(q["reviewed_at"]):
        st.caption(f"Last decision {pd.Timestamp(q['reviewed_at']).strftime('%Y-%m-%d %H:%M')} UTC")
