"""Proposal actions of the service layer (mixed into ``trustfill.service.Service``).

Anyone who may read sees the queue; an approver (``edit_fact``) accepts or discards; an admin sets the
team's learning mode. Each decision is one transaction and one audit row (knowledge/proposals.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from knowledge import proposals
from knowledge.proposals import Proposal
from trustfill.db import settings as settings_table
from trustfill.errors import TrustfillError

LEARNING_SETTING = "learning"


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
