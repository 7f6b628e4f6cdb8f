"""Where Trustfill keeps its state, and the settings a team can change.

All state lives under one folder: ``TRUSTFILL_HOME``, else the per-user data folder.
``TRUSTFILL_DATABASE_URL`` (an SQLAlchemy URL) overrides the database, which is otherwise
SQLite under the home.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from trustfill.errors import ConfigError

LIMITS_ENV_PREFIX = "TRUSTFILL_"
LIMITS_SETTING = "limits"  # key of the settings-table row holding an admin's changes


class Limits(BaseModel):
    """Hard limits on what an uploaded file may be; every reader checks them before work.

    Each limit is a setting: ``TRUSTFILL_<NAME>`` in the environment (e.g.
    ``TRUSTFILL_MAX_UPLOAD_BYTES=10485760``) wins over the ``limits`` row of the settings table
    (``trustfill limits set``), which wins over the default. Defaults are in docs/SECURITY.md.
    """

    model_config = ConfigDict(extra="forbid")

    max_upload_bytes: int = Field(50 * 1024 * 1024, gt=0, description="size of the file as uploaded")
    max_inflated_bytes: int = Field(500 * 1024 * 1024, gt=0, description="sum of a workbook's unzipped parts")
    max_compression_ratio: float = Field(200.0, gt=1, description="unzipped/zipped size of any one part")
    max_sheets: int = Field(200, gt=0, description="worksheets in one workbook")
    max_rows: int = Field(200_000, gt=0, description="rows read from one sheet or CSV")
    max_columns: int = Field(1_000, gt=0, description="columns read from one sheet or CSV")
    # 2,000,000: a 100,000-row questionnaire has 20 cells a row to spare; read at about 1 s per
    # million and under 300 MB (benchmarks/bench_intake_hostile.py); a 3M-cell file is refused.
    max_cells: int = Field(2_000_000, gt=0, description="cells read from one workbook or CSV, empty or not")
    max_zip_entries: int = Field(10_000, gt=0, description="parts in one workbook's zip")

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data: Any) -> Any:
        # Explicit values win; a field not given comes from TRUSTFILL_<NAME> when that is set.
        # A bad variable is a ConfigError (a message), not a validation traceback at start-up.
        data = dict(data) if isinstance(data, dict) else {}
        for name, field in cls.model_fields.items():
            var = LIMITS_ENV_PREFIX + name.upper()
            raw = os.environ.get(var, "").strip().replace("_", "")
            if name in data or not raw:
                continue
            try:
                value = field.annotation(float(raw)) if field.annotation is int else float(raw)
            except (TypeError, ValueError, OverflowError):
                value = None
            if value is None or value <= 0 or (field.annotation is int and value != float(raw)):
                raise ConfigError(f"{var}={os.environ[var]!r} is not a usable limit: give a positive "
                                  f"{'whole ' if field.annotation is int else ''}number, or unset it.")
            data[name] = value
        return data

    @classmethod
    def from_sources(cls, stored: dict | None = None, **explicit: Any) -> Limits:
        """Explicit values, else environment, else ``stored`` (the settings table), else defaults."""
        values = {k: v for k, v in (stored or {}).items() if k in cls.model_fields}
        for name in cls().model_fields_set:  # the fields the environment supplies
            values.pop(name, None)
        values.update(explicit)
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"Unusable limit setting ({problems}). "
                              "Run `trustfill limits set NAME VALUE` with a positive number.") from exc


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
