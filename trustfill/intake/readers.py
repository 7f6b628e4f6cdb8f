"""Readers: one per file format, found by file extension.

A reader is any object with ``formats`` (names used in the layout), ``extensions`` (lower-case, with
the dot) and ``read(path, overrides, limits, *, display_name=None) -> Intake``. The built-in readers
are registered with ``register_reader`` exactly as a third-party one would be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from trustfill.config import Limits
from trustfill.errors import InputFileError
from trustfill.intake.csv_reader import CsvReader
from trustfill.intake.model import Intake, LayoutOverrides
from trustfill.intake.xlsx_reader import XlsxReader


@runtime_checkable
class Reader(Protocol):
    formats: tuple[str, ...]
    extensions: tuple[str, ...]

    def read(self, path: Path, overrides: list[LayoutOverrides], limits: Limits, *,
             display_name: str | None = None) -> Intake: ...


_REGISTRY: dict[str, Reader] = {}


def register_reader(reader: Reader) -> None:
    """Make ``reader`` handle its extensions (a later registration for an extension wins)."""
    for ext in reader.extensions:
        _REGISTRY[ext.lower()] = reader


def supported_extensions() -> list[str]:
    return sorted(_REGISTRY)


def reader_for(path: Path, display_name: str | None = None) -> Reader:
    name = display_name or path.name
    ext = Path(name).suffix.lower() or path.suffix.lower()
    if ext == ".xls" and ".xlsx" in _REGISTRY:
        return _REGISTRY[".xlsx"]  # it sniffs the content: a real .xls gets the "save it as .xlsx" message
    reader = _REGISTRY.get(ext)
    if reader is None:
        raise InputFileError(name, f"unsupported file type '{ext or '(none)'}'; supported: "
                                   + ", ".join(supported_extensions()))
    return reader


register_reader(XlsxReader())
register_reader(CsvReader())
