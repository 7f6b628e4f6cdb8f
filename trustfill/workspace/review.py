"""Review decisions: edit, approve, reject, pick a fact. Each is saved the moment it is made.

Every change is conditional on the version the reviewer saw (optimistic locking): if someone
else changed the question first, the loser gets a Conflict that shows the winner's value.
"""

from __future__ import annotations

import sqlalchemy as sa

from exports.fit import _join, split_answer
from knowledge import learning, store
from trustfill.db import questions as questions_table
from trustfill.db import utcnow
from trustfill.errors import Conflict, NotFound, TrustfillError
from trustfill.workspace.questionnaires import as_detected


class ReviewOps:
    def _update_question(self, conn, question_id: int, expected_version: int | None, **values) -> dict:
        cond = [questions_table.c.id == question_id]
        if expected_version is not None:
            cond.append(questions_table.c.version == expected_version)
        result = conn.execute(questions_table.update().where(*cond).values(
            **values, version=questions_table.c.version + 1, updated_at=utcnow()))
        if result.rowcount != 1:
            row = conn.execute(sa.select(questions_table).where(questions_table.c.id == question_id)).first()
            if row is None:
                raise NotFound(f"No question with ID {question_id}.")
            raise Conflict(f"Question {question_id} was changed by {row.reviewer or 'someone else'} while you "
                           f"were looking at it. Their version: status {row.review_status}, answer "
                           f"'{row.answer}'. Reload and decide again.")
        return dict(conn.execute(sa.select(questions_table).where(questions_table.c.id == question_id))
                    .first()._mapping)

    def question_versions(self, qid: int) -> list[tuple[int, int]]:
        """(question ID, version) of every question of ``qid`` in sheet order: which rows changed, cheaply."""
        self.require("read")
        c = questions_table.c
        with self.tx() as conn:
            rows = conn.execute(sa.select(c.id, c.version).where(c.questionnaire_id == qid).order_by(c.position))
            return [(int(i), int(v)) for i, v in rows]

    def questions_by_id(self, question_ids: list[int]) -> list[dict]:
        """The given questions (whole rows, as ``questions`` returns them), in sheet order."""
        self.require("read")
        if not question_ids:
            return []
        c = questions_table.c
        with self.tx() as conn:
            rows = conn.execute(sa.select(questions_table).where(c.id.in_(list(question_ids)))
                                .order_by(c.questionnaire_id, c.position))
            return [dict(r._mapping) for r in rows]

    def _get(self, conn, question_id: int) -> dict:
        row = conn.execute(sa.select(questions_table).where(questions_table.c.id == question_id)).first()
        if row is None:
            raise NotFound(f"No question with ID {question_id}.")
        return dict(row._mapping)

    def edit_answer(self, question_id: int, *, answer: str, comment: str,
                    expected_version: int | None = None) -> dict:
        """An edit makes the answer a draft again: an approved answer that changes needs a new approval."""
        self.require("edit_answer", "edit answers")
        with self.tx() as conn:
            before = self._get(conn, question_id)
            origin = "manual" if not before["fact_id"] else "edited"
            after = self._update_question(conn, question_id, expected_version, answer=answer, comment=comment,
                                          origin=origin, review_status="pending", reviewer=self.actor.username,
                                          reviewed_at=utcnow())
            self.audit(conn, "edit", "question", question_id, questionnaire=before["questionnaire_id"],
                       before={"answer": before["answer"], "comment": before["comment"]},
                       after={"answer": answer, "comment": comment})
            learning.undo_learning(conn, before, self.actor.username, reason="answer edited")
        return after

    def approve(self, question_id: int, *, expected_version: int | None = None) -> dict:
        self.require("approve", "approve answers")
        with self.tx() as conn:
            before = self._get(conn, question_id)
            if not before["answer"].strip():
                raise Conflict(f"Question {question_id} has no answer to approve; write or pick one first.")
            after = self._update_question(conn, question_id, expected_version, review_status="approved",
                                          reviewer=self.actor.username, reviewed_at=utcnow())
            self.audit(conn, "approve", "question", question_id, questionnaire=before["questionnaire_id"],
                       fact_id=before["fact_id"], answer=before["answer"])
        self._learn_from_approval(after)
        return after

    def reject(self, question_id: int, *, expected_version: int | None = None) -> dict:
        self.require("approve", "reject answers")
        with self.tx() as conn:
            before = self._get(conn, question_id)
            after = self._update_question(conn, question_id, expected_version, review_status="rejected",
                                          reviewer=self.actor.username, reviewed_at=utcnow())
            self.audit(conn, "reject", "question", question_id, questionnaire=before["questionnaire_id"],
                       fact_id=before["fact_id"])
            learning.undo_learning(conn, before, self.actor.username, reason="rejected")
        return after

    def reopen(self, question_id: int, *, expected_version: int | None = None) -> dict:
        """Undo a decision: an approved or rejected answer is pending again, its text and origin unchanged.

        Audited as an ``edit`` of the review status (reason "reopen"), so the trail's filters and the
        CLI's ``--action`` choices need no new action name. Reopening a pending answer changes nothing.
        """
        self.require("approve", "reopen decided answers")
        with self.tx() as conn:
            before = self._get(conn, question_id)
            if before["review_status"] == "pending":
                if expected_version is not None and before["version"] != expected_version:
                    self._update_question(conn, question_id, expected_version)  # raises the Conflict
                return before
            after = self._update_question(conn, question_id, expected_version, review_status="pending",
                                          reviewer=self.actor.username, reviewed_at=utcnow())
            self.audit(conn, "edit", "question", question_id, questionnaire=before["questionnaire_id"],
                       reason="reopen", before={"review_status": before["review_status"]},
                       after={"review_status": "pending"})
            learning.undo_learning(conn, before, self.actor.username, reason="reopened")
        return after

    def bulk_approve(self, qid: int, *, min_score: float = 0.0) -> int:
        """Approve every pending `suggested` answer at or above ``min_score``. Returns how many."""
        return len(self.approve_suggested(qid, min_score=min_score))

    def bulk_approve_preview(self, qid: int, *, min_score: float = 0.0) -> list[dict]:
        """What ``approve_suggested`` would approve now: id, version, ref, sheet, row, text, answer, score.

        Nothing is written: the app shows this list (and its count) before the reviewer confirms.
        """
        self.require("read")
        with self.tx() as conn:
            self._check_questionnaire(conn, qid)
            return _suggested(conn, qid, min_score)

    def approve_suggested(self, qid: int, *, min_score: float = 0.0,
                          versions: dict[int, int] | None = None) -> list[dict]:
        """Approve pending `suggested` answers at or above ``min_score``; returns those approved, in order.

        ``versions`` (question ID -> version, from ``bulk_approve_preview``) limits the approval to
        exactly the list the reviewer confirmed: a question changed since the preview is left alone.
        """
        self.require("approve", "approve answers")
        approved = []
        with self.tx() as conn:
            self._check_questionnaire(conn, qid)
            for row in _suggested(conn, qid, min_score):
                version = row["version"]
                if versions is not None and versions.get(row["id"]) != version:
                    continue
                result = conn.execute(questions_table.update().where(
                    questions_table.c.id == row["id"], questions_table.c.version == version).values(
                    review_status="approved", reviewer=self.actor.username, reviewed_at=utcnow(),
                    version=version + 1, updated_at=utcnow()))
                if result.rowcount == 1:
                    approved.append({**row, "version": version + 1})
            self.audit(conn, "bulk_approve", "questionnaire", qid, min_score=min_score,
                       questions=[r["id"] for r in approved])
        self._learn_from_approvals([r["id"] for r in approved])
        return approved

    def use_cell_value(self, question_id: int, choice: str, *, expected_version: int | None = None) -> dict:
        """The reviewer picks the value for a drop-down (or one-column-per-value) cell: it becomes the
        answer, and the rest of the old answer moves in front of the comment, as export would put it.
        """
        self.require("edit_answer", "edit answers")
        row = self.question(question_id)
        target = as_detected(row)
        choices = list(target.choices) if target.answer_kind == "choice" else list(target.split_cells)
        if choice not in choices:
            allowed = ", ".join(choices) if choices else "none: the answer cell takes free text"
            raise TrustfillError(f"'{choice}' is not an allowed value of {row['sheet']}!{row['row']} "
                                 f"(allowed: {allowed}).")
        fitted = split_answer(row["answer"], [choice])
        rest = fitted[1] if fitted else row["answer"]
        return self.edit_answer(question_id, answer=choice, comment=_join(rest, row["comment"]),
                                expected_version=row["version"] if expected_version is None else expected_version)

    def pick_fact(self, question_id: int, fact_id: str, *, expected_version: int | None = None) -> dict:
        """The reviewer chose a fact by hand: its answer and comment become the draft."""
        self.require("edit_answer", "pick a fact")
        with self.tx() as conn:
            fact = store.get_fact(conn, fact_id)
            before = self._get(conn, question_id)
            after = self._update_question(conn, question_id, expected_version, fact_id=fact.id,
                                          answer=fact.answer, comment=fact.comment, origin="picked",
                                          review_status="pending", reviewer=self.actor.username,
                                          reviewed_at=utcnow())
            self.audit(conn, "pick_fact", "question", question_id, questionnaire=before["questionnaire_id"],
                       before=before["fact_id"], after=fact.id)
        return after

    def _learn_from_approvals(self, question_ids: list[int]) -> None:
        """What a bulk approval teaches, in one transaction (one per approval took 5.8 s for 949);
        if a fact changed under it meanwhile, each approval is tried on its own instead."""
        if not question_ids:
            return
        mode = self.learning_mode()
        if mode == "off":
            return
        try:
            with self.tx() as conn:
                order = {q: i for i, q in enumerate(question_ids)}
                rows = conn.execute(sa.select(questions_table).where(questions_table.c.id.in_(question_ids)))
                for row in sorted((dict(r._mapping) for r in rows), key=lambda r: order[r["id"]]):
                    learning.learn_from_approval(conn, row, self.actor.username, mode=mode)
        except Conflict:
            for question_id in question_ids:
                with self.tx() as conn:
                    row = self._get(conn, question_id)
                self._learn_from_approval(row, mode)

    def _learn_from_approval(self, row: dict, mode: str | None = None) -> None:
        """The approved wording is proposed as an alternate question of its fact, or applied in ``auto``
        learning mode (knowledge/learning.py).

        The approval is already saved; a failure to learn (someone edited the fact at that very
        moment) is retried once and then given up, never undoing the approval.
        """
        mode = mode or self.learning_mode()
        for _attempt in range(2):
            try:
                with self.tx() as conn:
                    learning.learn_from_approval(conn, row, self.actor.username, mode=mode)
                return
            except Conflict:
                continue

    def propose_fact_from_answer(self, question_id: int, *, fact_id: str | None = None,
                                 question: str | None = None, category: str = ""):
        """Turn a hand-written answer into a proposed fact; an approver accepts it (``accept_fact``)."""
        self.require("propose_fact", "propose facts")
        with self.tx() as conn:
            return learning.propose_from_answer(conn, self._get(conn, question_id), self.actor.username,
                                                fact_id=fact_id, question=question, category=category)


def _suggested(conn, qid: int, min_score: float) -> list[dict]:
    """The pending, non-pre-filled `suggested` answers of ``qid`` at or above ``min_score``, in sheet order."""
    c = questions_table.c
    rows = conn.execute(sa.select(c.id, c.version, c.ref, c.sheet, c.row, c.text, c.answer, c.score).where(
        c.questionnaire_id == qid, c.match_status == "suggested", c.review_status == "pending",
        c.prefilled.is_(False), c.score >= min_score, c.answer != "").order_by(c.position)).all()
    return [dict(r._mapping) for r in rows]
