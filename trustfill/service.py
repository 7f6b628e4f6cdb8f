"""The service layer: every action a user can take, for the CLI and the app alike.

A ``Service`` is bound to one acting user; each method checks that user's role, does its work
in one database transaction and records what it did in the audit trail.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection, Engine

from knowledge.harvest_ops import HarvestOps
from knowledge.proposal_ops import ProposalOps
from knowledge.service import KnowledgeOps
from trustfill import audit
from trustfill.backups import BackupOps
from trustfill.config import Limits
from trustfill.db import get_engine
from trustfill.lifecycle import LifecycleOps
from trustfill.roles import LOCAL_ADMIN, Actor
from trustfill.team import TeamOps
from trustfill.workspace.export import ExportOps
from trustfill.workspace.questionnaires import QuestionnaireOps
from trustfill.workspace.review import ReviewOps


class ServiceBase:
    def __init__(self, actor: Actor | None = None, *, database_url: str | None = None,
                 limits: Limits | None = None):
        self.engine: Engine = get_engine(database_url)
        self.actor: Actor = actor or LOCAL_ADMIN
        self.limits = limits or Limits()

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """A transaction; inside another one of this service (same thread) it joins that one, so
        an action made of several (``answer``: upload, then matching) commits whole or not at all."""
        state = self.__dict__.setdefault("_tx_state", threading.local())
        if getattr(state, "conn", None) is not None:
            yield state.conn
            return
        state.committed, state.rolled_back = [], []
        try:
            with self.engine.begin() as conn:
                state.conn = conn
                try:
                    yield conn
                finally:
                    state.conn = None
        except BaseException:
            for undo in state.rolled_back:
                undo()
            raise
        for then in state.committed:
            then()

    def _after_commit(self, then: Callable[[], Any], *, else_: Callable[[], Any] | None = None) -> None:
        """Inside ``tx()``: run ``then`` once the outermost transaction has committed (``else_`` if
        it rolls back), e.g. move a staged file to the name the database now gives it."""
        state = self.__dict__["_tx_state"]
        state.committed.append(then)
        if else_ is not None:
            state.rolled_back.append(else_)

    def require(self, permission: str, what: str = "") -> None:
        self.actor.require(permission, what)

    def audit(self, conn: Connection, action: str, object_type: str = "", object_id: Any = "",
              **details: Any) -> None:
        audit.record(conn, self.actor.username, action, object_type, object_id, **details)

    def audit_log(self, **filters: Any) -> list[dict]:
        self.require("read_audit", "read the audit trail")
        with self.tx() as conn:
            return audit.query(conn, **filters)


class Service(LifecycleOps, BackupOps, TeamOps, HarvestOps, ProposalOps, KnowledgeOps, QuestionnaireOps, ReviewOps,
              ExportOps,
              ServiceBase):
    """Everything Trustfill does, as the given actor."""
