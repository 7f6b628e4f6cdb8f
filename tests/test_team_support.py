"""Shared helpers of the team-workflow tests (accounts, roles, audit, learning). No tests here."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustfill import accounts
from trustfill.roles import ROLES, Actor

REPO = Path(__file__).resolve().parent.parent
SAMPLE_QUESTIONNAIRE = REPO / "knowledge" / "sample" / "sample_questionnaire.xlsx"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch):
    """bcrypt at its minimum cost: the suite stays fast; production keeps accounts.BCRYPT_ROUNDS."""
    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 4)
    monkeypatch.setattr(accounts, "_dummy_hash", None)


def make_team() -> dict[str, Actor]:
    """The first admin (created in single-user mode), then one account per other role."""
    from trustfill.service import Service

    Service().add_user("admin1", "admin", password=PASSWORD, email="admin1@example.com")
    admin = Service(actor=Actor("admin1", "admin"))
    for role in ROLES:
        if role != "admin":
            admin.add_user(f"{role}1", role, password=PASSWORD, email=f"{role}1@example.com")
    return {role: Actor(f"{role}1", role) for role in ROLES}
