"""Turn a reader's grids into an Intake: plan each sheet, extract its questions, and decide which
sheets are questionnaire sheets. Shared by every reader so they all behave the same way."""

from __future__ import annotations

from collections.abc import Callable

from trustfill.errors import InputFileError
from trustfill.intake.columns import Plan
from trustfill.intake.detect import BadOverride, extract, layout_for, plan_sheet
from trustfill.intake.grid import Grid
from trustfill.intake.model import DetectedQuestion, Intake, LayoutOverrides, SheetLayout, WorkbookLayout
from trustfill.intake.side_fields import side_fields

NO_ANSWER_NOTE = ("no answer column found: read as control statements (nothing can be written back; "
                  "give --answer-col if the sheet has one)")


def resolve_overrides(name: str, sheet_names: list[str], overrides: list[LayoutOverrides]
                      ) -> tuple[dict[str, LayoutOverrides], set[str]]:
    """Per-sheet overrides (a sheet's own fields win over the all-sheets ones) and the sheets named."""
    forced: set[str] = set()
    general = LayoutOverrides()
    specific: dict[str, LayoutOverrides] = {}
    for ov in overrides:
        if ov.sheet is None:
            general = general.model_copy(update=ov.model_dump(exclude_none=True))
            continue
        if ov.sheet not in sheet_names:
            matches = [s for s in sheet_names if s.casefold() == ov.sheet.casefold()]
            if not matches:
                raise InputFileError(name, f"no sheet named '{ov.sheet}'; the sheets are: "
                                           + ", ".join(f"'{s}'" for s in sheet_names))
            ov = ov.model_copy(update={"sheet": matches[0]})
        forced.add(ov.sheet)
        base = specific.get(ov.sheet, LayoutOverrides(sheet=ov.sheet))
        specific[ov.sheet] = base.model_copy(update=ov.model_dump(exclude_none=True))
    per_sheet = {}
    for sheet in sheet_names:
        merged = general.model_copy(update={"sheet": sheet})
        if sheet in specific:
            merged = merged.model_copy(update=specific[sheet].model_dump(exclude_none=True))
        if any(v is not None for k, v in merged.model_dump().items() if k != "sheet"):
            per_sheet[sheet] = merged
    return per_sheet, forced


def analyse(grids: list[Grid], skipped: dict[str, str], overrides: dict[str, LayoutOverrides],
            forced: set[str], *, path: str, fmt: str,
            before_extract: Callable[[Grid, Plan], None] | None = None) -> Intake:
    found: list[tuple[Grid, Plan, list[DetectedQuestion], list[str]]] = []
    for grid in grids:
        try:
            plan = plan_sheet(grid, overrides.get(grid.name))
        except BadOverride as exc:
            raise InputFileError(path, str(exc), sheet=grid.name) from None
        recover = getattr(before_extract, "recover", None)
        if plan.question is None and recover is not None and recover(grid):
            plan = plan_sheet(grid, overrides.get(grid.name))
        if plan.question is None:
            skipped[grid.name] = ("no question column found (a cover, instruction or empty sheet)"
                                  if grid.cells else "empty sheet")
            continue
        if before_extract is not None:
            before_extract(grid, plan)
        questions, notes = extract(grid, plan, allow_no_answer=True)
        if not plan.forced:  # a layout given by hand is read as given
            read = {q.row for q in questions}
            extra = [f for f in side_fields(grid, plan) if f.row not in read]
            if extra:
                questions = sorted(questions + extra, key=lambda q: q.row)
                notes = [*notes, f"{len(extra)} field(s) read from a table of their own above the header "
                                 f"(answers in column {extra[0].answer_cell.rstrip('0123456789')})"]
        found.append((grid, plan, questions, notes))

    answerable = any(q.answer_kind != "none" for _, _, qs, _ in found for q in qs)
    sheets: list[SheetLayout] = []
    questions: list[DetectedQuestion] = []
    for grid, plan, qs, notes in found:
        has_target = plan.answer is not None or bool(plan.split)
        if not has_target:
            if answerable and grid.name not in forced:
                skipped[grid.name] = "no answer column (not a question sheet of this questionnaire)"
                continue
            notes = [NO_ANSWER_NOTE, *notes]
        if not qs:
            computed = any("formula" in n for n in notes)
            why = ("its answer cells are formulas filled in from other sheets (an evaluation or report sheet)"
                   if computed else "no questions found below the header")
            if grid.name not in forced:
                skipped[grid.name] = why
                continue
            notes = [*notes, why]  # named by an override: show what was found there, even if nothing
        sheets.append(layout_for(grid, plan, qs, notes))
        questions.extend(qs)
    layout = WorkbookLayout(path=path, format=fmt, sheets=sheets, skipped=skipped)  # type: ignore[arg-type]
    return Intake(layout=layout, questions=questions)
