"""The review table: which rows it shows, and how edits typed into it reach the service.

``st.data_editor`` reports edits by row position, so the rows a table shows are frozen when it is
drawn (a row approved out of a "suggested" filter stays put until the filter changes): positions
always mean the question the reviewer saw, with the version they saw. A keyed fixed-size editor
keeps its identity, and its scroll position, while only values change; it is redrawn from scratch
(new key) only when what it overlays would otherwise disagree with the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from trustfill.app_pages import common
from trustfill.errors import Conflict, TrustfillError
from trustfill.service import Service

# What a value typed in each editable column means in the database (to tell if the overlay is stale).
_EDITABLE = {"answer": lambda row: row["answer"] or "", "comment": lambda row: row["comment"] or "",
             "approve": lambda row: row["review_status"] == "approved"}
_UNSET = object()


@dataclass
class EditorMeta:
    qid: int
    nonce: int = 0  # bump to redraw the table from the database
    generation: int = 0
    key: str | None = None
    signature: tuple | None = None
    built_at: int = -1
    ids: list[int] = field(default_factory=list)
    versions: dict[int, int] = field(default_factory=dict)
    applied: dict[tuple[int, str], object] = field(default_factory=dict)
    detail: int | None = None

    def view(self, signature: tuple, ids: list[int]) -> tuple[str, list[int]]:
        """The editor key and frozen row IDs for this filter; a new key when the filter or nonce changed."""
        if self.key is None or signature != self.signature or self.built_at != self.nonce:
            self.generation += 1
            self.key = f"rev_ed_{self.qid}_{self.generation}"
            self.signature, self.built_at, self.ids, self.applied = signature, self.nonce, ids, {}
        return self.key, self.ids

    def seen(self, shown: pd.DataFrame) -> None:
        self.versions = dict(zip(shown.index.tolist(), shown["version"].tolist(), strict=True))

    def edits(self) -> dict[int, dict]:
        state = st.session_state.get(self.key) if self.key else None
        if not state:
            return {}
        return {int(pos): cells for pos, cells in (state.get("edited_rows") or {}).items()}

    def reconcile(self, row: dict) -> None:
        """After ``row`` changed: redraw the table if a value typed over it now disagrees with the database."""
        if row["id"] not in self.ids:
            return
        cells = self.edits().get(self.ids.index(row["id"]), {})
        for column, value in cells.items():
            if column in _EDITABLE and (value if column == "approve" else value or "") != _EDITABLE[column](row):
                self.nonce += 1
                return


def editor_meta(qid: int) -> EditorMeta:
    metas = st.session_state.setdefault("rev_meta", {})
    if qid not in metas:
        metas[qid] = EditorMeta(qid)
    return metas[qid]


def _say(kind: str, message: str) -> None:
    st.session_state.setdefault("rev_msgs", []).append((kind, message))


def apply_table_edits(svc: Service, meta: EditorMeta) -> None:
    """Save every cell edit made since the last run, row by row, each with the version it was made on."""
    for pos, cells in meta.edits().items():
        if pos >= len(meta.ids):
            continue
        new = {c: v for c, v in cells.items() if meta.applied.get((pos, c), _UNSET) != v}
        if not new:
            continue
        meta.applied.update({(pos, c): v for c, v in new.items()})
        question_id = meta.ids[pos]
        if new.get("details"):
            meta.detail = question_id
            st.session_state["rev_detail_pick"] = question_id
        try:
            row = _save_row(svc, question_id, cells, new, meta.versions.get(question_id))
        except Conflict as exc:
            _say("warning", str(exc))
            common.invalidate()
            meta.nonce += 1
            continue
        except TrustfillError as exc:
            _say("error", str(exc))
            meta.nonce += 1
            continue
        if row is not None:
            meta.versions[question_id] = row["version"]
            meta.reconcile(row)


def _save_row(svc: Service, question_id: int, cells: dict, new: dict, version: int | None) -> dict | None:
    row = None
    if "answer" in new or "comment" in new:
        current = svc.question(question_id)
        answer = cells.get("answer", current["answer"])
        comment = cells.get("comment", current["comment"])
        row = svc.edit_answer(question_id, answer=answer or "", comment=comment or "", expected_version=version)
        version = row["version"]
    # One click approves; unticking undoes the approval (reopen). Rejecting is the panel's (X).
    if new.get("approve") is True:
        row = svc.approve(question_id, expected_version=version)
    elif new.get("approve") is False:
        row = svc.reopen(question_id, expected_version=version)
    return row


# Left to right: what identifies the row (pinned), then what a reviewer decides on, so at 1366 px the
# decision columns are on screen beside the detail panel; the long texts follow.
COLUMN_ORDER = ["ref", "question", "confidence", "match", "approve", "details", "answer", "cell", "why",
                "comment", "fact", "stale", "section"]
OPEN_MARK = "▶ "  # in front of the Ref of the row open in the panel (and its Open box is ticked)
NOT_FITTING = "⚠ not in list"
# The table's Status column is narrow: the words without their explanation (the filter has it).
STATE_SHORT = {**common.STATE_LABELS, "suggested": "suggested", "edited": "edited", "prefilled": "pre-filled"}


def _why(state: str, note: str) -> str:
    """The matcher's reason, in the row, wherever a person has to look: "to review" and "unanswered"."""
    return note if state in ("review", "unanswered") else ""


def editor_table(shown: pd.DataFrame, stale: frozenset[str] = frozenset(), open_id: int | None = None
                 ) -> pd.DataFrame:
    """The rows as the editor shows them. The open row is marked in its values, not with a pandas Styler:
    Streamlit renders a Styler's display text for every cell, about 0.3 s a run on 1,000 rows."""
    is_open = shown.index == open_id
    notes = shown["match_note"].fillna("") if "match_note" in shown else pd.Series("", index=shown.index)
    return pd.DataFrame({
        "ref": [OPEN_MARK + ref if here else ref for ref, here in zip(
            shown["ref"].where(shown["ref"] != "", shown["sheet"] + "!" + shown["row"].astype(str)), is_open,
            strict=True)],
        "section": shown["section"],
        "question": shown["text"],
        "answer": shown["answer"],
        "cell": [("" if not choices else value or (NOT_FITTING if answer.strip() else ""))
                 for choices, value, answer in zip(shown["choices"], shown["cell_value"], shown["answer"],
                                                   strict=True)],
        "why": [_why(state, note) for state, note in zip(shown["state"], notes, strict=True)],
        "comment": shown["comment"],
        "confidence": shown["score"],
        "match": shown["state"].map(lambda s: STATE_SHORT.get(s, s)),
        "approve": shown["review_status"] == "approved",
        "fact": shown["fact_id"],
        "stale": shown["fact_id"].isin(stale),
        "details": is_open,
    }).reset_index(drop=True)


def ref_width(refs: pd.Series) -> int:
    """Wide enough for the longest Ref shown, so none is cut ("COMP-0..."), within reason."""
    longest = int(refs.str.len().max()) if len(refs) else 0
    return max(56, min(200, 8 * longest + 20))


def table_config(can_decide: bool = True, ref_px: int = 64) -> dict:
    """``can_decide``: an editor sees the Approve column read-only (only approvers decide).

    The data grid has no hover tooltips for cells; a cut text is read in full by double-clicking the
    cell (or Enter on it), and the row's whole question is in the detail panel.
    """
    cc = st.column_config
    return {
        "ref": cc.TextColumn("Ref", disabled=True, width=ref_px, pinned=True),
        "section": cc.TextColumn("Section", disabled=True, width=90),
        # A wide Ref takes its room from the question, so the decision columns stay on screen.
        "question": cc.TextColumn("Question", disabled=True, width=max(120, 244 - ref_px), pinned=True,
                                  help="Double-click a question (or Enter) for its full text."),
        "answer": cc.TextColumn("Answer", width=160, help="Edit to change the answer (saved at once)."),
        "cell": cc.TextColumn("Cell", disabled=True, width=80,
                              help="What export writes in a drop-down answer cell; ⚠ when the answer is not one of "
                                   "its allowed values (it then goes to the comment)."),
        "why": cc.TextColumn("Why", disabled=True, width=160, help="Why the matcher left this to a person."),
        "comment": cc.TextColumn("Comment", width=220),
        "confidence": cc.ProgressColumn("Conf.", min_value=0, max_value=100, format="%.0f", width=62,
                                        help="Confidence 0-100"),
        "match": cc.TextColumn("Status", disabled=True, width=84),
        "approve": cc.CheckboxColumn("Approve", width=70, disabled=not can_decide,
                                     help="Tick to approve (one click, or Space on the cell); untick to reopen. "
                                          "Reject in the panel (X)." if can_decide else
                                     "Only approvers decide; you can edit answers."),
        "fact": cc.TextColumn("Fact", disabled=True, width="small"),
        "stale": cc.CheckboxColumn("Stale", disabled=True, width=50,
                                   help="The answer's fact is past its review date: check it before approving."),
        "details": cc.CheckboxColumn("Open", width=50, help="Show this question in the detail panel."),
    }
