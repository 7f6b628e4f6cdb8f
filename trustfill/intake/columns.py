"""Find a sheet's header row(s) and which column holds the question, answer, comment, ID and section.

Header labels are scored against synonym families (see ``text.header_role``); where labels are
missing (HECVAT puts only "Answer" over its columns) the data decides: the question column is the
one with the most long text, the ID column the one whose values look like IDs, the answer column
the one carrying a drop-down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from statistics import mean

from trustfill.intake.grid import Grid
from trustfill.intake.text import header_role, is_id, norm, question_score

_YES = re.compile(r"^yes\b", re.I)
_NO = re.compile(r"^no\b", re.I)
_ROLES = ("question", "answer", "comment", "id", "section", "split")
SAMPLE_ROWS = 2_000  # data rows sampled for column statistics


@dataclass
class Plan:
    """The columns of a sheet, as 1-based indexes, and where its header sits."""

    header_rows: list[int] = field(default_factory=list)  # primary header and its companion row
    repeat_rows: set[int] = field(default_factory=set)  # the same header again further down
    question: int | None = None
    answer: int | None = None
    comment: int | None = None
    id: int | None = None
    section: int | None = None
    split: dict[str, int] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    ignored: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    forced: bool = False  # a layout given by hand (overrides): read as given, nothing guessed beside it

    @property
    def header_bottom(self) -> int:
        return max(self.header_rows) if self.header_rows else 0


def row_roles(grid: Grid, row: int) -> dict[int, tuple[str, str]] | None:
    """col -> (role, label) when the row reads as a header row, else None."""
    cells = grid.row_cells(row)
    if len(cells) < 2:
        return None
    roles: dict[int, tuple[str, str]] = {}
    for col, text in cells.items():
        role = header_role(text)
        if role:
            roles[col] = (role, norm(text))
    if len(roles) < 2 or len(roles) < 0.6 * len(cells):
        return None
    if any(question_score(text) >= 2.5 for text in cells.values()):
        return None  # a question in the row: data, not a header
    kinds = {r for r, _ in roles.values()}
    split_count = sum(1 for r, _ in roles.values() if r == "split")
    if not ({"question", "answer"} & kinds or split_count >= 2):
        return None
    if len(kinds - {"ignore"}) < 2 and split_count < 2:
        return None
    return roles


def _header_score(roles: dict[int, tuple[str, str]]) -> float:
    kinds = [r for r, _ in roles.values()]
    return len(set(kinds) - {"ignore"}) + 0.25 * kinds.count("ignore")


def _companion(grid: Grid, primary: int, roles: dict[int, tuple[str, str]], other: int) -> dict | None:
    """Roles of a second header row (``Yes | No | N/A`` under a merged "Answer"), if ``other`` is one."""
    if other < 1 or other in grid.hidden_rows:
        return None
    cells = grid.row_cells(other)
    if not cells or any(len(t) > 60 or question_score(t) >= 2.5 for t in cells.values()):
        return None
    found = {c: (header_role(t), norm(t)) for c, t in cells.items() if header_role(t)}
    if not found:
        return None
    parents = {c for c in roles if (m := grid.merge_at(primary, c)) and m[3] > m[1]}
    # A column the header row itself names ("Test" beside "Controls") keeps that name: a title above it
    # ("Test Specification") is not a second header row for it.
    adds = [c for c, (role, _) in found.items()
            if (c not in roles and not grid.text(primary, c)) or role == "split"
            or any(grid.merge_at(primary, p) == grid.merge_at(primary, c) for p in parents)]
    return {c: found[c] for c in adds} if adds else None


def find_header(grid: Grid, forced_row: int | None = None) -> tuple[list[int], dict[int, tuple[str, str]]]:
    """The header row(s) and the role of each labelled column; ([], {}) when there is no header."""
    if forced_row is not None:
        cells = grid.row_cells(forced_row)
        roles = {c: (header_role(t) or "label", norm(t)) for c, t in cells.items()}
        best_row: int | None = forced_row
    else:
        found_rows = [(row, found) for row in sorted(grid.cells)
                      if row not in grid.hidden_rows and (found := row_roles(grid, row))]
        best = max((_header_score(f) for _, f in found_rows), default=0.0)
        # The first header that is nearly the best: HECVAT repeats its header per section, and a
        # later copy may score higher only because its section title reads like a label.
        best_row, roles = next(((r, f) for r, f in found_rows if _header_score(f) >= best - 1), (None, {}))
    if best_row is None:
        return [], {}
    rows = [best_row]
    merged = dict(roles)
    for other in (best_row + 1, best_row - 1):
        extra = _companion(grid, best_row, roles, other)
        if extra:
            rows.append(other)
            for col, (role, label) in extra.items():
                parent = merged.get(col)
                merged[col] = (role, f"{parent[1]} / {label}" if parent and other > best_row else label)
            break
    return sorted(rows), merged


def _data_rows(grid: Grid, plan: Plan) -> list[int]:
    start = plan.header_bottom + 1
    rows = [r for r in sorted(grid.cells) if r >= start and r not in grid.hidden_rows]
    return rows[:SAMPLE_ROWS]


def _col_stats(grid: Grid, rows: list[int], col: int) -> tuple[int, float]:
    texts = [grid.text(r, col) for r in rows]
    texts = [t for t in texts if t]
    return len(texts), (mean(len(t) for t in texts) if texts else 0.0)


def _question_label_score(label: str) -> int:
    low = label.lower()
    if "question" in low:
        return 3
    if any(w in low for w in ("requirement", "statement", "control text", "specification", "criteri")):
        return 2
    return 1


def plan_columns(grid: Grid, header_rows: list[int], roles: dict[int, tuple[str, str]]) -> Plan:
    plan = Plan(header_rows=header_rows, labels={c: label for c, (_, label) in roles.items()})
    by_role: dict[str, list[int]] = {r: [] for r in (*_ROLES, "ignore")}
    for col in sorted(roles):
        role = roles[col][0]
        if col in grid.hidden_cols:
            continue
        by_role.setdefault(role, []).append(col)
    plan.ignored = set(by_role["ignore"])
    rows = _data_rows(grid, plan)

    splits = by_role["split"]
    labels = [roles[c][1].split(" / ")[-1] for c in splits]
    if len(splits) >= 2 and any(_YES.match(x) for x in labels) and any(_NO.match(x) for x in labels):
        plan.split = {label: col for label, col in zip(labels, splits, strict=True)}
    elif splits:
        by_role["answer"] += splits  # a lone "Compliant" column is an ordinary answer column
    answers = [c for c in by_role["answer"] if c not in plan.split.values()]
    if answers:
        with_dv = [c for c in answers if _dv_share(grid, rows, c) > 0.3]
        plan.answer = (with_dv or answers)[0]
    if by_role["comment"]:
        right = [c for c in by_role["comment"] if plan.answer is None or c > plan.answer]
        plan.comment = (right or by_role["comment"])[0]
    if by_role["section"]:
        plan.section = by_role["section"][0]
    if by_role["question"]:
        def rank(col: int) -> tuple[int, float]:
            filled, avg = _col_stats(grid, rows, col)
            return _question_label_score(roles[col][1]), filled * avg
        plan.question = max(by_role["question"], key=rank)
    if by_role["id"]:
        plan.id = max(by_role["id"], key=lambda c: (len({grid.text(r, c) for r in rows} - {""}), -c))
    return plan


def _dv_share(grid: Grid, rows: list[int], col: int) -> float:
    if not rows or not grid.validations:
        return 0.0
    return sum(1 for r in rows if grid.validation_at(r, col)) / len(rows)


_SELF_SCORE = re.compile(r"^(?:self[- ]?)?(?:score|scoring|rating|maturity(?: level)?|self[- ]assessment)$",
                         re.IGNORECASE)


def infer_missing(grid: Grid, plan: Plan, forced_question: bool = False) -> None:
    """Fill the columns the header did not name, from what the cells hold."""
    rows = _data_rows(grid, plan)
    if plan.question is not None and not forced_question:
        filled, avg = _col_stats(grid, rows, plan.question)
        if avg < 15:  # a section title over the ID column ("Required Questions"), not the question column
            ids = sum(1 for r in rows if is_id(grid.text(r, plan.question)))
            if plan.id is None and ids >= 0.5 * max(filled, 1):
                plan.id = plan.question
            plan.question = None
    taken = {plan.answer, plan.comment, plan.id, plan.section, *plan.split.values(), *plan.ignored} - {None}
    if plan.id is not None and plan.question is None:
        filled, avg = _col_stats(grid, rows, plan.id)
        if avg > 40:  # an "Item" column that holds the text
            plan.question, plan.id = plan.id, None
            taken.discard(plan.question)
    if plan.question is None:
        best, best_score = None, 0.0
        limit = plan.answer or min(plan.split.values(), default=None)
        for col in range(1, grid.max_col + 1):
            if col in taken or col in grid.hidden_cols:
                continue
            filled, avg = _col_stats(grid, rows, col)
            if avg < 20 or filled < 2:
                continue
            score = filled * avg * (1.0 if limit is None or col < limit else 0.3)
            if score > best_score:
                best, best_score = col, score
        plan.question = best
        if best is not None:
            plan.notes.append("question column chosen by content (no 'Question' header)")
    if plan.question is None:
        return
    qrows = [r for r in rows if grid.text(r, plan.question)]
    if plan.id is None and qrows:
        for col in range(1, plan.question):
            if col in taken or col in grid.hidden_cols:
                continue
            ids = sum(1 for r in qrows if is_id(grid.text(r, col)))
            if ids >= 0.5 * len(qrows):
                plan.id = col
                break
    if plan.answer is None and not plan.split and qrows:
        for col in range(plan.question + 1, grid.max_col + 1):
            if col in taken or col in grid.hidden_cols:
                continue
            if _dv_share(grid, qrows, col) >= 0.5:
                plan.answer = col
                plan.notes.append("answer column chosen by its drop-down (no 'Answer' header)")
                break
        else:
            # "# | Question | Score | Evidence" with a "5, 4, 3, 2, 1, N/A" drop-down under Score and no answer column
            # (a blind vendor assessment form, read as nothing): the vendor answers by scoring itself. A scoring
            # column is otherwise the assessor's and ignored; only where nothing else takes answers is it read.
            for col in sorted(plan.ignored):
                label = plan.labels.get(col, "")
                if col > plan.question and _SELF_SCORE.match(label) and _dv_share(grid, qrows, col) >= 0.5:
                    plan.answer = col
                    plan.ignored.discard(col)
                    plan.notes.append(f"answer column '{label}' chosen by its drop-down (no other answer column)")
                    break


def find_repeats(grid: Grid, plan: Plan) -> None:
    """Rows that repeat the header further down (HECVAT opens every section with one).

    Such a row has no question beside it and a header label ("Answer", "Yes") where answers go.
    """
    for row in sorted(grid.cells):
        if row in plan.header_rows or row in grid.hidden_rows:
            continue
        cells = grid.row_cells(row)
        qtext = cells.get(plan.question, "") if plan.question else ""
        if qtext and header_role(qtext) != "question":
            continue
        answer_label = bool(plan.answer) and header_role(cells.get(plan.answer or 0, "")) == "answer"
        split_labels = sum(1 for c in plan.split.values() if header_role(cells.get(c, "")) == "split")
        if answer_label or split_labels >= 2:
            plan.repeat_rows.add(row)


def fill_from_repeats(grid: Grid, plan: Plan) -> None:
    """A repeated header may label a column the first one left blank (HECVAT's "Additional
    Information" is missing over some sections): take the comment column from there."""
    if plan.comment is not None:
        return
    used = {plan.question, plan.answer, plan.id, plan.section, *plan.split.values(), *plan.ignored}
    for row in sorted(plan.repeat_rows):
        for col, text in grid.row_cells(row).items():
            right_of_answer = plan.answer is None or col > plan.answer
            if col not in used and header_role(text) == "comment" and right_of_answer:
                plan.comment = col
                plan.labels[col] = norm(text)
                return

