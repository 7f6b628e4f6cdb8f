"""Where Trustfill keeps its state, and the settings a team can change.

All state lives under one folder: ``TRUSTFILL_HOME``, else the per-user data folder.
``TRUSTFILL_DATABASE_URL`` (an SQLAlchemy URL) overrides the database, which is otherwise
SQLite under the home.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from pydantic import BaseModel, Field

from trustfill.errors import ConfigError


class Limits(BaseModel):
    """Hard limits on what an uploaded file may be; every reader checks them before work."""

    max_upload_bytes: int = Field(50 * 1024 * 1024, description="size of the file as uploaded")
    max_inflated_bytes: int = Field(500 * 1024 * 1024, description="sum of a workbook's unzipped parts")
    max_compression_ratio: float = Field(200.0, description="unzipped/zipped size of any one part")
    max_sheets: int = 200
    max_rows: int = 200_000
    max_columns: int = 1_000
    max_zip_entries: int = 10_000


def home() -> Path:
    """The state folder, created on first use."""
    raw = os.environ.get("TRUSTFILL_HOME")
    path = Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir("trustfill", appauthor=False))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot create the Trustfill home folder {path}: {exc.strerror}. "
                          "Set TRUSTFILL_HOME to a writable folder.") from exc
    return path


def uploads_dir() -> Path:
    p = home() / "uploads"
    p.mkdir(exist_ok=True)
    return p


def exports_dir() -> Path:
    p = home() / "exports"
    p.mkdir(exist_ok=True)
    return p


def database_url() -> str:
    url = os.environ.get("TRUSTFILL_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{home() / 'trustfill.db'}"
