"""The service layer: every action a user can take, for the CLI and the app alike.

A ``Service`` is bound to one acting user; each method checks that user's role, does its work
in one database transaction and records what it did in the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection, Engine

from knowledge.harvest_ops import HarvestOps
from knowledge.proposal_ops import ProposalOps
from knowledge.service import KnowledgeOps
from trustfill import audit
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
        with self.engine.begin() as conn:
            yield conn

    def require(self, permission: str, what: str = "") -> None:
        self.actor.require(permission, what)

    def audit(self, conn: Connection, action: str, object_type: str = "", object_id: Any = "",
              **details: Any) -> None:
        audit.record(conn, self.actor.username, action, object_type, object_id, **details)

    def audit_log(self, **filters: Any) -> list[dict]:
        self.require("read_audit", "read the audit trail")
        with self.tx() as conn:
            return audit.query(conn, **filters)


class Service(LifecycleOps, TeamOps, HarvestOps, ProposalOps, KnowledgeOps, QuestionnaireOps, ReviewOps, ExportOps,
              ServiceBase):
    """Everything Trustfill does, as the given actor."""
