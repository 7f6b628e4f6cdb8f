"""Decide which rows of a sheet are questions and where each one's answer and comment go.

A row is a question when its question cell reads like something to answer (a question, a request or
a control statement) and not like a section heading or an instruction; an ID, a drop-down or an
existing answer on the row count in its favour. Headings found on the way become the ``section``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trustfill.intake.columns import Plan, fill_from_repeats, find_header, find_repeats, infer_missing, plan_columns
from trustfill.intake.grid import Grid, column_index_from_string, coord, get_column_letter
from trustfill.intake.model import DetectedQuestion, LayoutOverrides, SheetLayout
from trustfill.intake.text import (
    FIELD_HEADER_RE,
    QUESTION_WORDS,
    first_word,
    header_role,
    is_code_id,
    is_id,
    is_instruction,
    is_strong_id,
    norm,
    question_score,
    split_leading_id,
    words,
)


class BadOverride(ValueError):
    """An override names a column or row that cannot be used; the reader turns it into InputFileError."""


def _col(letter: str | None, what: str) -> int | None:
    if letter is None:
        return None
    try:
        col = column_index_from_string(letter.strip().upper())
    except ValueError:
        raise BadOverride(f"{what} '{letter}' is not a column letter (use A, B, ..., AA)") from None
    return col


def plan_sheet(grid: Grid, override: LayoutOverrides | None) -> Plan:
    """Header and columns of a sheet, with any overrides applied."""
    forced_header = override.header_row if override else None
    if forced_header is not None and not 1 <= forced_header <= max(grid.max_row, 1):
        raise BadOverride(f"header row {forced_header} is outside the sheet (1-{grid.max_row})")
    header_rows, roles = find_header(grid, forced_header)
    plan = plan_columns(grid, header_rows, roles)
    plan.forced = override is not None
    if override:
        for name in ("question", "answer", "comment"):
            col = _col(getattr(override, f"{name}_col"), f"--{name}-col")
            if col is not None:
                for other in ("question", "answer", "comment", "id", "section"):
                    if getattr(plan, other) == col:
                        setattr(plan, other, None)
                plan.split = {k: v for k, v in plan.split.items() if v != col}
                if name == "answer":
                    plan.split = {}
                plan.ignored.discard(col)
                setattr(plan, name, col)
                plan.notes.append(f"{name} column set by override: {get_column_letter(col)}")
    infer_missing(grid, plan, forced_question=bool(override and override.question_col))
    if plan.question is not None:
        find_repeats(grid, plan)
        if not (override and override.comment_col):
            fill_from_repeats(grid, plan)
    return plan


@dataclass
class _Row:
    row: int
    text: str
    ref: str
    score: float


_NUMBERED = re.compile(r"^\d+(?:[-.]\d+)+[a-z]?$")


def _ref_for(grid: Grid, plan: Plan, row: int, text: str) -> tuple[str, str]:
    ref = grid.text(row, plan.id) if plan.id else ""
    ref = norm(ref) if ref and (len(ref) <= 24 or is_code_id(ref)) else ""
    lead, rest = split_leading_id(text)
    if lead and (ref or plan.id) and " " in lead:
        # The sheet has an ID column, so a spaced "ID" opening the text is its subject: "SOC 2 Type
        # II", "ISO 27001 certification" (also on a row whose ID cell is empty).
        return ref, text
    if lead:
        return ref or lead, rest
    return ref, text


def _candidates(grid: Grid, plan: Plan) -> list[_Row]:
    q = plan.question
    assert q is not None
    out = []
    top = plan.header_bottom
    # A form's own small tables above the main header ("Field | Response" over "Company Name", then
    # "Question | Options | Response | Evidence"): their rows are answered in the same columns.
    early = _early_headers(grid, plan)
    for row in sorted(grid.cells):
        if row in grid.hidden_rows or row in plan.header_rows or row in plan.repeat_rows or row in early:
            continue
        text = grid.text(row, q)
        if not text or grid.is_covered(row, q):
            continue
        ref, clean = _ref_for(grid, plan, row, text)
        if row < top and not (is_strong_id(ref) and grid.text(row, plan.id or 0)) and not (early and row > min(early)) \
                and not _title_field(grid, plan, row, text):
            continue  # above the header only ID-coded rows and the title block's own fields count
        out.append(_Row(row, norm(clean), ref, 0.0))
    return out


# "Vendor Name:", "Service Description:" in the title block above the header, the value to go beside it.
_TITLE_FIELD_WORDS = 5
_NOT_A_FIELD = re.compile(r"\b(?:guidelines?|guidance|instructions?|notes?|purpose|scope|overview|introduction|"
                          r"background|legend|key|definitions?|how to|please|important)\b", re.IGNORECASE)


def _title_field(grid: Grid, plan: Plan, row: int, text: str) -> bool:
    """A field of the title block above the header: a short label ending in a colon, alone on its row, in
    the question column, with the answer column right beside it, empty."""
    if plan.forced or not text.rstrip().endswith(":") or len(words(text)) > _TITLE_FIELD_WORDS or plan.answer is None:
        return False
    if _NOT_A_FIELD.search(text):
        return False  # "Response Guidelines:", "Instructions:": a heading over text, not a value to give
    # Its value goes in the cell right of it: read only where that is the answer column, so the answer is
    # written where the vendor would write it ("Completed by / date:" over a comment column is left alone).
    return len(grid.row_cells(row)) == 1 and plan.answer == (plan.question or 0) + 1


def _early_headers(grid: Grid, plan: Plan) -> set[int]:
    """Rows above the header labelling the same question and answer columns as it does."""
    q, a = plan.question, plan.answer
    if q is None or a is None:
        return set()
    return {row for row in grid.cells if row < plan.header_bottom and row not in plan.header_rows
            and header_role(grid.text(row, q)) == "question" and header_role(grid.text(row, a)) == "answer"}


_SECTION_REF = re.compile(r"^(?:section|part|chapter|appendix|annex)\b", re.IGNORECASE)


def _score_rows(grid: Grid, plan: Plan, rows: list[_Row]) -> None:
    q = plan.question
    assert q is not None
    targets = [plan.answer] if plan.answer else list(plan.split.values())
    with_ref = sum(1 for r in rows if r.ref)
    id_mode = bool(rows) and with_ref >= 0.6 * len(rows)
    dv_rows = sum(1 for r in rows if targets and grid.validation_at(r.row, targets[0]))
    dv_informative = bool(rows) and 0 < dv_rows < 0.95 * len(rows)
    mostly_bold = bool(rows) and sum(1 for r in rows if (r.row, q) in grid.bold) > 0.5 * len(rows)
    fields = _bold_headed(grid, plan, rows) or bool(FIELD_HEADER_RE.match(plan.labels.get(q, "") or ""))
    for i, r in enumerate(rows):
        score = question_score(r.text)
        # A machine key in the ID column ("DHP_G16_tlsSupport") codes a question as firmly as "GNRL-01", and
        # so does a hyphenated number there ("6-01", like "6.01").
        strong = is_strong_id(r.ref) or (plan.id is not None and (is_code_id(r.ref) or bool(_NUMBERED.match(r.ref))))
        if r.ref:
            # In a sheet where questions carry IDs, an ID-coded row is a question even when it is a
            # form field ("GNRL-01 Solution Provider Name"); headings there have no ID.
            score += (3.5 if id_mode and strong else 2.0) if is_id(r.ref) or strong else 0.5
        elif id_mode:
            score -= 1.5
        if targets and grid.validation_at(r.row, targets[0]):
            score += 2.0 if dv_informative else 0.5
        elif dv_informative and not (id_mode and strong):
            score -= 1.0  # free-text fields beside drop-downs are fine when they carry an ID
        if any(grid.text(r.row, t) for t in targets):
            score += 1.0  # already answered: headings carry no answer
        if (r.row, q) in grid.bold and not mostly_bold:
            score -= 1.5
        elif fields and score <= 0 and len(words(r.text)) <= 12:
            # Headings here are set in bold (or the column is headed "Field"), so a plain short row is a
            # field to fill in ("Company Name", "Backup frequency:", "Data at rest (storage)"), not a
            # heading, also without the ID the questions around it carry.
            score = max(score + 3.0, 0.5)
        merge = grid.merge_at(r.row, q)
        if merge and merge[3] > merge[1] and any(merge[1] <= t <= merge[3] for t in targets if t):
            score -= 4.0  # text merged across the answer cell: a heading or a note
        if is_instruction(r.text):
            score -= 4.0
        if r.row < plan.header_bottom and not r.ref and _title_field(grid, plan, r.row, r.text):
            score = max(score, 0.5)  # "Vendor Name:" above the header: a field to fill in, as labelled
        if _SECTION_REF.match(r.ref):
            score -= 4.0  # "Section 3: Access Control": a heading, also in a table of short fields
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        parent = r.ref.rstrip(".")
        child = bool(r.ref and nxt and len(nxt.ref) > len(parent) + 1 and nxt.ref.startswith(parent)
                     and nxt.ref[len(parent)] in ".-_ ")
        if child and "?" not in r.text and len(words(r.text)) <= 8:
            score -= 4.0  # "1 Governance" above "1.1 ...": a numbered heading
        r.score = score


# A question that introduces the rows under it: "Is MFA required for:", "Do you hold any of the following
# certifications?".
_LEAD_IN = re.compile(r":\s*$|\b(?:following|each of|any of these|which of these)\b|"
                      # "What are your remediation SLAs by severity?" over "Critical:", "High:"
                      r"\b(?:by|per|for each)\s+(?:severity|priority|level|tier|risk level|risk rating|"
                      r"classification|data type|type)\b", re.IGNORECASE)
# A pick list's prompt ("Which of the following ...? Select all that apply."): its options are left as
# they are, for matching to hold as options of it (answerers/picklist.py).
_PICK_PROMPT = re.compile(r"\b(?:select|choose|tick|check|mark)\b[^.?]*\b(?:all|any|one|that apply)\b|"
                          r"\b(?:which|what) of the following\b|\ball that apply\b", re.IGNORECASE)


# "Is MFA required for:", "Do your policies cover:": a colon after a word that needs what follows.
_DANGLING = re.compile(r"\b(?:for|to|of|by|in|on|at|with|from|about|as|include|includes|including|cover|covers|"
                       r"following|such as)\s*:\s*$", re.IGNORECASE)
# "Is password-less an option (Yes, No):": a question offering its own answers asks for one itself.
_OWN_OPTIONS = re.compile(r"\((?:yes|no)\s*[,/]\s*(?:yes|no)\b[^)]*\)\s*:?\s*$", re.IGNORECASE)


def _is_lead_in(text: str, colon_style: bool = False) -> bool:
    """Whether a question introduces the rows under it. Where most rows end in a colon (a form's style:
    "MFA Support (Yes, No):"), a colon alone does not; a word that needs what follows ("for:") does."""
    if _PICK_PROMPT.search(text) or _OWN_OPTIONS.search(text):
        return False
    hit = _LEAD_IN.search(text)
    if hit and colon_style and hit.group(0).strip() == ":":
        return bool(_DANGLING.search(text))
    return bool(hit)


_FRAGMENT_WORDS = 8
_FOLLOW_UP = re.compile(r"^\W*if\s+(?:yes|so|no|not|applicable)\b", re.IGNORECASE)


def _fragment(text: str) -> bool:
    """An item written as a fragment with a question mark ("Data breach?", "CCTV surveillance?" under "Have
    you experienced any of the following:"): no asking word of its own, so it asks only with its lead-in."""
    return "?" in text and first_word(text) not in QUESTION_WORDS and len(words(text)) <= _FRAGMENT_WORDS


def _bold_headed(grid: Grid, plan: Plan, rows: list[_Row]) -> bool:
    """Whether the sheet sets its headings apart in bold: two or more rows (the title and the headings of
    small tables above the header count) holding one short bold text with no question mark, in any column
    ("Section 1: Vendor Information" may sit in the ID column), bold single texts that ask something
    (a lead-in set in bold: "Do you hold any of the following certifications?") no more than a quarter
    as many as those headings, and at least twice as many plain rows under the header in the question
    column, some of which read as questions. Then the plain rows there are all things to answer, form
    fields included, which their wording alone cannot tell from headings."""
    q = plan.question
    headings = emphasised = 0
    for row in grid.cells:
        if row in plan.header_rows or row in grid.hidden_rows:
            continue
        cells = grid.row_cells(row)
        if len(cells) != 1:
            continue
        (col, text), = cells.items()
        if (row, col) not in grid.bold:
            continue
        if "?" in text or len(words(text)) > 10:
            emphasised += 1  # a bold question: one lead-in among many headings is emphasis, not a style
            continue
        headings += 1
    plain = [r for r in rows if r.row > plan.header_bottom and (r.row, q) not in grid.bold]
    if emphasised * 4 > headings or headings < 2 or len(plain) < 2 * headings:
        return False
    return sum(1 for r in plain if question_score(r.text) > 0) >= 2


def extract(grid: Grid, plan: Plan, *, allow_no_answer: bool) -> tuple[list[DetectedQuestion], list[str]]:
    """The questions of a sheet whose columns are known, and notes about what was left out."""
    notes: list[str] = []
    rows = _candidates(grid, plan)
    _score_rows(grid, plan, rows)
    questions: list[DetectedQuestion] = []
    computed = 0
    by_row = {r.row: r for r in rows if r.score > 0}
    colon_style = sum(1 for r in by_row.values() if r.text.rstrip().endswith(":")) > 0.3 * len(by_row)
    heading = category = lead = asked = ""
    q = plan.question
    assert q is not None
    for row in sorted(set(grid.cells) | set(by_row)):
        if row in grid.hidden_rows:
            continue
        if plan.section and row > plan.header_bottom:
            category = _section_value(grid, plan.section, row) or category
        if row not in by_row:
            found = _heading_text(grid, plan, row)
            heading = found or heading
            cells = grid.row_cells(row)
            if found and len(cells) == 1:
                # A heading ends a lead-in's items; a lead-in set as a heading ("Is MFA required for:" in
                # bold, without the ID its items carry) starts them.
                asks = "?" in found or first_word(found) in QUESTION_WORDS
                lead = asked = found if asks and _is_lead_in(found, colon_style) else ""
            elif len(cells) > 1 and all((row, c) in grid.bold for c in cells):
                # A table's own header ("Severity | Timeframe") under a question ("What is your patch
                # timeframe?"): the rows of the table are its items.
                lead = lead or asked
            continue
        section = category or heading
        cand = by_row[row]
        if question_score(cand.text) > 0 and not (lead and _fragment(cand.text)):
            asked = cand.text
            if not (lead and _FOLLOW_UP.match(cand.text)):  # "If YES, brief details" under an item: more follow
                lead = cand.text if _is_lead_in(cand.text, colon_style) else ""
        elif lead:
            # An item under a lead-in ("Is MFA required for:" then "Administrative access", "Customer data
            # access"): alone it asks nothing, so it is read, matched and shown with the lead-in.
            cand = _Row(cand.row, f"{lead} {cand.text}", cand.ref, cand.score)
        question = _build(grid, plan, cand, section)
        if question is None:
            computed += 1
            continue
        if question.answer_kind == "none" and not allow_no_answer:
            continue
        questions.append(question)
    if computed:
        notes.append(f"{computed} row(s) skipped: their answer cell is a formula (filled in from elsewhere)")
    hidden = sum(1 for r in grid.hidden_rows if plan.question and grid.text(r, plan.question)
                 and r > plan.header_bottom)
    if hidden:
        notes.append(f"{hidden} hidden row(s) with text skipped (hidden rows are not questions; "
                     "unhide them in Excel to include them)")
    return questions, notes


def _section_value(grid: Grid, col: int, row: int) -> str:
    merge = grid.merge_at(row, col)
    if merge:
        return norm(grid.text(merge[0], merge[1]))
    return norm(grid.text(row, col))


def _heading_text(grid: Grid, plan: Plan, row: int) -> str:
    """The text of a section heading row, or "" for any other row (instructions, blanks, headers)."""
    header_like = row in plan.repeat_rows or row in plan.header_rows
    if row <= plan.header_bottom and not header_like:
        return ""
    cells = grid.row_cells(row)
    if not cells:
        return ""
    first_col = min(cells)
    text = norm(cells[first_col])
    if header_like:
        # A header row's first cell may carry the section title (HECVAT: "HIPAA Compliance | Answer | ...").
        label_cols = {plan.question, plan.answer, plan.comment, *plan.split.values(), *plan.ignored}
        role = header_role(text)
        usable = first_col not in label_cols and role not in ("id", "section") and len(text) <= 100
        return text if usable else ""
    if is_id(text):  # "2 | Operations": the heading is the text beside its number
        rest = [norm(t) for c, t in sorted(cells.items()) if c != first_col]
        text = rest[0] if rest else ""
    if not text or len(text) > 100 or is_instruction(text) or "?" in text or is_id(text):
        return ""
    return text


def _build(grid: Grid, plan: Plan, cand: _Row, section: str) -> DetectedQuestion | None:
    row, q = cand.row, plan.question
    assert q is not None
    comment = plan.comment if plan.comment and not grid.is_covered(row, plan.comment) else None
    common = dict(sheet=grid.name, row=row, ref=cand.ref, section=section, text=cand.text,
                  question_cell=coord(row, q))
    if comment:
        common["comment_cell"] = coord(row, comment)
        common["existing_comment"] = grid.text(row, comment)
    if plan.split:
        cells = {label: coord(row, col) for label, col in plan.split.items()}
        marked = [label for label, col in plan.split.items() if grid.text(row, col)]
        locked = any(grid.is_locked(row, col) for col in plan.split.values())
        return DetectedQuestion(**common, answer_kind="split", choices=list(plan.split), split_cells=cells,
                                existing_answer=", ".join(marked), prefilled=bool(marked), locked=locked)
    if plan.answer is None:
        return DetectedQuestion(**common, answer_kind="none")
    a = plan.answer
    if (row, a) in grid.formulas:
        return None
    merge = grid.merge_at(row, a)
    target_row, target_col = (merge[0], merge[1]) if merge else (row, a)
    existing = grid.text(target_row, target_col)
    dv = grid.validation_at(row, a)
    kind = "choice" if dv and dv.choices else "text"
    return DetectedQuestion(**common, answer_kind=kind, answer_cell=coord(target_row, target_col),
                            choices=list(dv.choices) if dv else [], existing_answer=existing,
                            prefilled=bool(existing), locked=grid.is_locked(target_row, target_col))


def layout_for(grid: Grid, plan: Plan, questions: list[DetectedQuestion], notes: list[str]) -> SheetLayout:
    def letter(col: int | None) -> str | None:
        return get_column_letter(col) if col else None

    rows = [x.row for x in questions]
    return SheetLayout(
        sheet=grid.name, header_row=plan.header_rows[0] if plan.header_rows else None,
        question_col=letter(plan.question) or "", answer_col=letter(plan.answer),
        comment_col=letter(plan.comment), id_col=letter(plan.id), section_col=letter(plan.section),
        split_answer_cols={k: get_column_letter(v) for k, v in plan.split.items()},
        first_row=min(rows, default=0), last_row=max(rows, default=0), question_count=len(questions),
        notes=[*grid.notes, *plan.notes, *notes],
    )
