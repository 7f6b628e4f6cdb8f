"""Questionnaire intake: find the questions in a customer's workbook and where their answers go.

    from trustfill.intake import read_questionnaire, format_layout
    intake = read_questionnaire("Contoso.xlsx")
    print(format_layout(intake.layout))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

from trustfill.config import Limits
from trustfill.intake.formatting import format_layout
from trustfill.intake.model import DetectedQuestion, Intake, LayoutOverrides, SheetLayout, WorkbookLayout
from trustfill.intake.readers import Reader, reader_for, register_reader, supported_extensions

__all__ = [
    "DetectedQuestion", "Intake", "LayoutOverrides", "Limits", "Reader", "SheetLayout", "WorkbookLayout",
    "format_layout", "read_questionnaire", "reader_for", "register_reader", "supported_extensions",
]


def read_questionnaire(path: str | Path, overrides: LayoutOverrides | list[LayoutOverrides] | None = None,
                       limits: Limits | None = None, *, display_name: str | None = None,
                       progress: Callable[[str, float], None] | None = None) -> Intake:
    """Read a questionnaire file (.xlsx, .xlsm, .csv). ``display_name`` is what messages call the file
    (uploads are stored under random names). ``progress(stage, share)`` hears how far reading got
    (from readers that report it). Raises InputFileError / LimitExceeded on bad input."""
    path = Path(path)
    if overrides is None:
        ov_list: list[LayoutOverrides] = []
    elif isinstance(overrides, LayoutOverrides):
        ov_list = [overrides]
    else:
        ov_list = list(overrides)
    reader = reader_for(path, display_name)
    extra = {"progress": progress} if progress is not None and _reports_progress(reader) else {}
    return reader.read(path, ov_list, limits or Limits(), display_name=display_name, **extra)


def _reports_progress(reader: Reader) -> bool:
    return "progress" in inspect.signature(reader.read).parameters
