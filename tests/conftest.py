"""Shared fixtures: a temporary state home per test, and the ../shared corpus when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TRUSTFILL_SHARED") or REPO.parent / "shared")  # a git worktree sits elsewhere
BENCH = SHARED / "bench"
DEV = BENCH / "dev"
QUESTIONNAIRES = SHARED / "questionnaires"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside the repo")


@pytest.fixture
def tf_home(tmp_path, monkeypatch):
    """An empty Trustfill home (SQLite under it) that exists for this test only."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("TRUSTFILL_HOME", str(home))
    monkeypatch.delenv("TRUSTFILL_DATABASE_URL", raising=False)
    monkeypatch.delenv("TRUSTFILL_USER", raising=False)
    yield home
    from trustfill.db import dispose_all

    dispose_all()
pytest_plugins = ["db_fixtures"]
