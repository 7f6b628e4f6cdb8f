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


def no_children_left() -> bool:
    """Whether this process has no child left to wait for (every forked worker or reader reaped)."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False

# What tests write goes under tests/_artifacts (git-ignored): a test run never changes tracked files.
ARTIFACTS = REPO / "tests" / "_artifacts"
DOC_SCREENSHOTS = REPO / "docs" / "screenshots"


def pytest_addoption(parser):
    parser.addoption("--update-screenshots", action="store_true", default=False,
                     help="browser tests write their screenshots to docs/screenshots (the README's) instead of "
                          "tests/_artifacts/screenshots; TRUSTFILL_UPDATE_SCREENSHOTS=1 does the same")


def screenshot_dir(config) -> Path:
    """docs/screenshots when asked to refresh them, else the git-ignored artefacts folder."""
    update = config.getoption("--update-screenshots") or os.environ.get("TRUSTFILL_UPDATE_SCREENSHOTS") == "1"
    return DOC_SCREENSHOTS if update else ARTIFACTS / "screenshots"


@pytest.fixture
def screenshots(request) -> Path:
    """The folder browser tests save their screenshots in (created)."""
    folder = screenshot_dir(request.config)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
