"""Data passed in and out of the export package."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class CellWrite(BaseModel):
    """One value for one cell, e.g. ("Security Assessment", "C10", "Yes"). An empty value clears the cell."""

    sheet: str
    cell: str
    value: str


class SkippedWrite(BaseModel):
    """A write that was not made, and why (formula cell, locked cell, unknown sheet...)."""

    sheet: str
    cell: str
    value: str
    reason: str


class WriteResult(BaseModel):
    dest: Path
    written: list[CellWrite] = Field(default_factory=list)
    skipped: list[SkippedWrite] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # about the file as a whole

    @property
    def ok(self) -> bool:
        return not self.skipped


class FitResult(BaseModel):
    """The cell writes for one answered question; ``note`` says what could not be placed ("" if all)."""

    writes: list[CellWrite] = Field(default_factory=list)
    note: str = ""


class ReportRow(BaseModel):
    sheet: str
    row: int
    question: str
    answer: str
    comment: str
    fact_id: str
    confidence: float
    status: str
    reviewer: str = ""
    time: str = ""
