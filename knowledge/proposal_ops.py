"""Proposal actions of the service layer (mixed into ``trustfill.service.Service``).

Anyone who may read sees the queue; an approver (``edit_fact``) accepts or discards; an admin sets the
team's learning mode. Each decision is one transaction and one audit row (knowledge/proposals.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge import proposals
from knowledge.proposals import Proposal
from trustfill import audit
from trustfill.db import proposals as proposals_table
from trustfill.db import settings as settings_table
from trustfill.db import utcnow
from trustfill.errors import TrustfillError

LEARNING_SETTING = "learning"


def close_fact_proposals(conn: Connection, fact_id: str, status: str, actor: str) -> list[int]:
    """A proposed fact decided by editing the fact itself (its status set to active or retired): its
    pending ``fact`` proposal is closed the same way, so the queue never lists a decided fact."""
    closed = []
    for p in proposals.list_proposals(conn, kind="fact", fact_id=fact_id):
        conn.execute(proposals_table.update().where(proposals_table.c.id == p.id).values(
            status=status, decided_by=actor, decided_at=utcnow()))
        audit.record(conn, actor, "proposal_accept" if status == "accepted" else "proposal_discard", "proposal",
                     p.id, kind=p.kind, fact_id=fact_id, wording=p.wording, via="fact edit")
        closed.append(p.id)
    return closed


def describe_source(source: dict, questionnaire_names: dict[int, str] | None = None) -> str:
    """Where a proposal came from, in words: who, which questionnaire (by name when known) or file, where."""
    names = questionnaire_names or {}
    qid = source.get("questionnaire")
    place = ", ".join(x for x in (
        (f"'{names[qid]}'" if qid in names else f"questionnaire #{qid}") if qid else "",
        str(source.get("sheet") or ""), f"row {source['row']}" if source.get("row") else "") if x)
    when = f" on {str(source['at'])[:10]}" if source.get("at") else ""
    origin = source.get("origin")
    if origin == "approval":
        return f"approved by {source.get('approver', '?')} in {place}{when}"
    if origin == "answer":
        return f"written by {source.get('proposer', '?')} in {place}"
    if source.get("file"):
        cell = f"{source.get('sheet', '')}!{source.get('cell', '')}".strip("!")
        by = f" by {source['proposer']}" if source.get("proposer") else ""
        return f"file {source['file']} {cell}{by}{when}".replace("  ", " ").strip()
    if origin == "knowledge base":
        return f"added on the Knowledge base page by {source.get('proposer', '?')}"
    return ", ".join(f"{k}={v}" for k, v in source.items())


class ProposalOps:
    def proposals(self, *, statuses: tuple[str, ...] | None = proposals.OPEN, kind: str | None = None,
                  fact_id: str | None = None) -> list[Proposal]:
        self.require("read")
        if kind is not None and kind not in proposals.KINDS:
            raise TrustfillError(f"Unknown proposal kind '{kind}'. Kinds: {', '.join(proposals.KINDS)}.")
        with self.tx() as conn:
            return proposals.list_proposals(conn, statuses=statuses, kind=kind, fact_id=fact_id)

    def proposal(self, proposal_id: int) -> Proposal:
        self.require("read")
        with self.tx() as conn:
            return proposals.get(conn, proposal_id)

    def _decide(self, ids: Iterable[int], decide) -> list[Proposal]:
        """All or nothing: one bad ID (unknown, already decided) leaves every proposal as it was."""
        ids = list(dict.fromkeys(int(i) for i in ids))
        if not ids:
            raise TrustfillError("No proposal given: name proposal IDs, or use --all.")
        with self.tx() as conn:
            return [decide(conn, i, actor=self.actor.username) for i in ids]

    def accept_proposals(self, ids: Iterable[int]) -> list[Proposal]:
        self.require("edit_fact", "accept knowledge-base proposals")
        return self._decide(ids, proposals.accept)

    def discard_proposals(self, ids: Iterable[int]) -> list[Proposal]:
        self.require("edit_fact", "discard knowledge-base proposals")
        return self._decide(ids, proposals.discard)

    # ---- the team's learning mode
    def learning_mode(self) -> str:
        self.require("read")
        with self.tx() as conn:
            row = conn.execute(sa.select(settings_table.c.value).where(
                settings_table.c.key == LEARNING_SETTING)).first()
        return proposals.check_mode(row[0]) if row else proposals.DEFAULT_LEARNING

    def set_learning_mode(self, mode: str) -> str:
        self.require("settings", "change settings")
        mode = proposals.check_mode(mode)
        with self.tx() as conn:
            conn.execute(settings_table.delete().where(settings_table.c.key == LEARNING_SETTING))
            conn.execute(settings_table.insert().values(key=LEARNING_SETTING, value=mode))
            self.audit(conn, "settings_change", "settings", LEARNING_SETTING, values={"learning": mode})
        return mode
