"""A plain-text view of a detected layout, for ``trustfill inspect`` and logs."""

from __future__ import annotations

from trustfill.intake.model import SheetLayout, WorkbookLayout


def _columns(s: SheetLayout) -> list[str]:
    parts = [f"question {s.question_col}"]
    if s.split_answer_cols:
        parts.append("answer " + " | ".join(f"{label}={col}" for label, col in s.split_answer_cols.items())
                     + " (mark with X)")
    else:
        parts.append(f"answer {s.answer_col}" if s.answer_col else "answer (none found)")
    parts.append(f"comment {s.comment_col}" if s.comment_col else "comment (none)")
    if s.id_col:
        parts.append(f"id {s.id_col}")
    if s.section_col:
        parts.append(f"section {s.section_col}")
    return parts


def format_layout(layout: WorkbookLayout) -> str:
    """What intake found, one block per sheet, readable at a glance::

        Contoso.xlsx (xlsx): 88 questions on 1 sheet
          Sheet 'Supplier Questionnaire': header row 8, rows 10-109, 88 questions
            columns: question C, answer E, comment D, id A, section B
        Skipped: 'Lists' (hidden sheet)
    """
    total = sum(s.question_count for s in layout.sheets)
    n = len(layout.sheets)
    lines = [f"{layout.path} ({layout.format}): {total} question{'s' * (total != 1)} on {n} "
             f"sheet{'s' * (n != 1)}"]
    for s in layout.sheets:
        header = f"header row {s.header_row}" if s.header_row else "no header row"
        rows = f"rows {s.first_row}-{s.last_row}" if s.question_count else "no rows"
        lines.append(f"  Sheet '{s.sheet}': {header}, {rows}, {s.question_count} "
                     f"question{'s' * (s.question_count != 1)}")
        lines.append("    columns: " + ", ".join(_columns(s)))
        lines.extend(f"    note: {note}" for note in s.notes)
    if layout.skipped:
        lines.append("Skipped sheets:")
        lines.extend(f"  '{sheet}': {why}" for sheet, why in layout.skipped.items())
    if not layout.sheets:
        lines.append("No questions found. Point intake at the right place with --sheet, --header-row, "
                     "--question-col and --answer-col.")
    else:
        lines.append("Wrong? Correct it with --sheet NAME --header-row N --question-col X --answer-col Y "
                     "--comment-col Z.")
    return "\n".join(lines)
