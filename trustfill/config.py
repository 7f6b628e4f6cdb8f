"""Where Trustfill keeps its state, and the settings a team can change.

All state lives under one folder: ``TRUSTFILL_HOME``, else the per-user data folder.
``TRUSTFILL_DATABASE_URL`` (an SQLAlchemy URL) overrides the database, which is otherwise
SQLite under the home.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from trustfill.errors import ConfigError, TrustfillError


class UnsafeStoredPath(TrustfillError):
    """A file name read from the database or a backup points outside the uploads folder."""


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
    max_backup_rows: int = Field(20_000_000, gt=0, description="rows restored into one table from a backup")
    max_backup_table_bytes: int = Field(4 << 30, gt=0, description="unpacked size of one table in a backup")

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


PRIVATE_UMASK = 0o077  # what Trustfill creates is its owner's alone: files 0600, folders 0700
_SAFE_STORED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")  # a stored upload: a name, never a path


def _private_folder(path: Path) -> Path:
    """Create ``path`` (and parents) if needed; the folder itself ends up 0700 whatever the umask."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        path.chmod(0o700)  # made by an older Trustfill under umask 022, or by mkdir's parents
    return path


def _tighten_older_home(path: Path) -> None:
    """A Trustfill before #17 left the database 0644 and its folders 0755 under umask 022."""
    for sub in ("uploads", "exports", "incoming", "cache"):
        if (path / sub).is_dir() and not (path / sub).is_symlink():
            _private_folder(path / sub)
    for db_file in path.glob("trustfill.db*"):
        if db_file.is_file() and not db_file.is_symlink() and db_file.stat().st_mode & 0o077:
            db_file.chmod(0o600)


def home() -> Path:
    """The state folder, created on first use (0700).

    From the first touch of the home on, this process creates files 0600 and folders 0700
    (the umask gains 077): customer files, the database and its WAL, caches and exports are
    never readable by other local users, whatever umask the shell had.
    """
    raw = os.environ.get("TRUSTFILL_HOME")
    path = Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir("trustfill", appauthor=False))
    if os.name == "posix":
        old = os.umask(PRIVATE_UMASK)
        os.umask(old | PRIVATE_UMASK)
    try:
        _private_folder(path)
        if os.name == "posix":
            _tighten_older_home(path)
    except OSError as exc:
        raise ConfigError(f"Cannot create the Trustfill home folder {path}: {exc.strerror}. "
                          "Set TRUSTFILL_HOME to a writable folder.") from exc
    return path


def uploads_dir() -> Path:
    return _private_folder(home() / "uploads")


def exports_dir() -> Path:
    return _private_folder(home() / "exports")


def upload_path(stored_name: object) -> Path:
    """The file in uploads/ that a stored name (read from the database or a backup) stands for.

    Every stored path goes through here before it is opened, copied or deleted: the name must be
    a plain file name, and the file it resolves to (symlinks followed) must be inside uploads/.
    Anything else, e.g. ``/etc/passwd`` or ``../trustfill.db`` from a hand-made backup, is refused.
    """
    folder = uploads_dir()
    name = stored_name if isinstance(stored_name, str) else ""
    if not _SAFE_STORED_NAME.match(name):
        raise UnsafeStoredPath(f"The stored file name {str(stored_name)[:80]!r} is not a file in the uploads "
                               f"folder {folder}; it was refused (a hand-edited database or backup?).")
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise UnsafeStoredPath(f"The stored file {name} in {folder} leads outside that folder (a symbolic "
                               "link?); it was refused.")
    return path


def database_url() -> str:
    url = os.environ.get("TRUSTFILL_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{home() / 'trustfill.db'}"


def remove_upload(stored_name: object) -> None:
    """Delete a stored upload; a name leading outside uploads/ is never followed, not even to delete."""
    try:
        path = upload_path(stored_name)
    except UnsafeStoredPath:
        return
    path.unlink(missing_ok=True)


HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:40] or "host"
STAGED = re.compile(r"\.(?P<kind>restore|upload)-(?P<host>[A-Za-z0-9]*)-(?P<pid>[0-9]+)-"
                    r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,199})")


def staged_upload(kind: str, stored_name: str) -> Path:
    """Where a file bound for uploads/<stored_name> waits until the database commits: a hidden name
    that says which host and process wrote it, so a sweep can tell a dead writer's leftover
    (removed, or renamed when the database does name it) from one still at work."""
    return uploads_dir() / f".{kind}-{HOST}-{os.getpid()}-{stored_name}"
