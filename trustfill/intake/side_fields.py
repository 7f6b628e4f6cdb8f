"""A small table of form fields beside the questionnaire's own columns.

A vendor questionnaire often opens with the vendor's particulars in a table of its own, in other columns
than the questions below it:

    Vendor Information
    Field                  | Response
    Vendor Name            |
    Primary Contact Email  |
    ...
    ID | Topic | Question | ... | Vendor Response

The sheet's plan has one question and one answer column (the main table's), so such fields were not read:
nobody saw them in review, and the filled copy left them blank without saying so (eleven fields of a blind
vendor toolkit's questionnaire). This reads a table headed "Field(s)" (or "Information requested") beside an
answer label ("Response", "Answer", "Value"), above the main header and in columns the plan does not use for
its questions and answers, as text fields with cells of their own. Where the table sits in the plan's own
columns, detect.py already reads its rows (``_early_headers``).
"""

from __future__ import annotations

import re

from trustfill.intake.columns import Plan
from trustfill.intake.grid import Grid, coord
from trustfill.intake.model import DetectedQuestion
from trustfill.intake.text import header_role, norm, words

_FIELD_LABEL = re.compile(r"^(?:fields?|information requested|requested information)$", re.IGNORECASE)
MAX_FIELD_WORDS = 12  # "Description of Services Provided" is a field; a paragraph is not
_VALUE_LABELS = frozenset({"value", "values", "details", "entry", "your entry", "information"})


def _answer_label(text: str) -> bool:
    return header_role(text) == "answer" or norm(text).lower() in _VALUE_LABELS


def _side_header(grid: Grid, row: int) -> tuple[int, int] | None:
    """(field column, answer column) when ``row`` heads a field table."""
    cells = grid.row_cells(row)
    if len(cells) != 2:
        return None
    (c, field_label), (d, answer_label) = sorted(cells.items())
    if not _FIELD_LABEL.match(norm(field_label)) or not _answer_label(answer_label):
        return None
    return c, d


def _heading_above(grid: Grid, row: int) -> str:
    """The single-cell row just above the field table's header ("Vendor Information"), if any."""
    for r in range(row - 1, max(row - 3, 0), -1):
        cells = grid.row_cells(r)
        if len(cells) == 1:
            return norm(next(iter(cells.values())))
        if cells:
            return ""
    return ""


def side_fields(grid: Grid, plan: Plan) -> list[DetectedQuestion]:
    """The fields of every side table above the main header, in row order."""
    top = plan.header_bottom
    used = {plan.question, plan.answer, plan.comment, *plan.split.values()} - {None}
    out: list[DetectedQuestion] = []
    for row in sorted(r for r in grid.cells if r < top and r not in plan.header_rows):
        cols = _side_header(grid, row)
        if cols is None:
            continue
        c, d = cols
        if c in used and d in used:
            continue  # the plan's own columns: detect.py reads these rows (its early headers)
        section = _heading_above(grid, row)
        r = row + 1
        while r < top and r not in grid.hidden_rows:
            cells = grid.row_cells(r)
            text = cells.get(c, "")
            # A field row holds its label and at most its own value: anything else ends the table.
            if not text or set(cells) - {c, d} or len(words(text)) > MAX_FIELD_WORDS or text.endswith("?"):
                break
            if (r, d) in grid.formulas or grid.is_covered(r, c) or grid.is_covered(r, d):
                break
            existing = cells.get(d, "")
            out.append(DetectedQuestion(
                sheet=grid.name, row=r, section=section, text=norm(text), question_cell=coord(r, c),
                answer_kind="text", answer_cell=coord(r, d), existing_answer=existing, prefilled=bool(existing),
                locked=grid.is_locked(r, d)))
            r += 1
    return out
