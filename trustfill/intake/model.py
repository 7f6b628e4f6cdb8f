"""The detected layout of a questionnaire and the questions found in it.

The layout is what a person checks and corrects (``trustfill inspect FILE`` prints it, the app lets
someone edit it); overrides feed corrections back into detection.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class DetectedQuestion(BaseModel):
    sheet: str
    row: int = Field(description="1-based spreadsheet row")
    ref: str = Field("", description="question ID/number as found (DSP-03.2, 1.4, Q12, COMP-01)")
    section: str = Field("", description="nearest section heading / category above")
    text: str = Field(description="question text without its leading ID/numbering")
    question_cell: str
    answer_kind: Literal["choice", "text", "split", "none"]
    answer_cell: str | None = None
    choices: list[str] = Field(default_factory=list)
    split_cells: dict[str, str] = Field(default_factory=dict)
    comment_cell: str | None = None
    existing_answer: str = ""
    existing_comment: str = ""
    prefilled: bool = Field(False, description="the customer already answered: never overwrite unless asked")
    locked: bool = Field(False, description="protected sheet and the answer cell is locked: do not write")


class SheetLayout(BaseModel):
    sheet: str
    header_row: int | None
    question_col: str
    answer_col: str | None = None
    comment_col: str | None = None
    id_col: str | None = None
    section_col: str | None = None
    split_answer_cols: dict[str, str] = {}
    first_row: int
    last_row: int
    question_count: int = 0
    notes: list[str] = []


class WorkbookLayout(BaseModel):
    path: str
    format: Literal["xlsx", "xlsm", "csv"]
    sheets: list[SheetLayout]
    skipped: dict[str, str] = {}


class LayoutOverrides(BaseModel):
    """Corrections to detection; applied to ``sheet``, or to every sheet when ``sheet`` is None.

    A sheet named here is always read, even one detection would skip (hidden, no answer column).
    """

    sheet: str | None = None
    header_row: int | None = None
    question_col: str | None = None
    answer_col: str | None = None
    comment_col: str | None = None


class Intake(BaseModel):
    layout: WorkbookLayout
    questions: list[DetectedQuestion]
