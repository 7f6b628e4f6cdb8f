"""Fitting an answer to the cells a questionnaire offers for it.

A library answer is written for people ("Yes (AES-256)"); a questionnaire may want a drop-down value
("Yes"), an X in one of several columns, or free text. The part of the answer the drop-down cannot
hold is not lost: it goes in front of the comment.
"""

from __future__ import annotations

import re

from exports.model import CellWrite, FitResult
from trustfill.intake.model import DetectedQuestion

# Words that mean the same drop-down value; the key is only an internal group name.
_SYNONYMS = {
    "yes": ("yes", "y", "true"),
    "no": ("no", "n", "false"),
    "n/a": ("n/a", "na", "n.a.", "n.a", "not applicable", "not-applicable"),
    "partial": ("partial", "partially", "partly"),
}
_GROUP_OF = {word: group for group, words in _SYNONYMS.items() for word in words}
# Longest first, so "not applicable" wins over "n" and "n/a" over "n".
_PHRASES = sorted(_GROUP_OF, key=len, reverse=True)
_LEAD = re.compile(r"^[\s,;:.\-\u2013\u2014]+")


def _norm(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".") or text.casefold().strip()


def _group(text: str) -> str:
    n = _norm(text)
    return _GROUP_OF.get(n, n)


def _starts_with(text: str, phrase: str) -> bool:
    """``text`` begins with ``phrase`` as a whole word (case-insensitive)."""
    head = text[:len(phrase)]
    if head.casefold() != phrase:
        return False
    nxt = text[len(phrase):len(phrase) + 1]
    return not nxt or not (nxt.isalnum() or nxt in "/_")


def _rest(text: str) -> str:
    """What follows the leading choice: "Yes (AES-256)." -> "AES-256"; "No, because x" -> "because x"."""
    rest = _LEAD.sub("", text).strip()
    inner = rest.rstrip(".").strip()
    if inner.startswith("(") and inner.endswith(")") and inner.count("(") == 1:
        rest = inner[1:-1].strip()
    return rest


def split_answer(answer: str, choices: list[str]) -> tuple[str, str] | None:
    """(choice, rest of the answer) when the answer fits one of ``choices``, else None."""
    text = answer.strip()
    if not text or not choices:
        return None
    whole = _group(text)
    for choice in choices:
        if _group(choice) == whole:
            return choice, ""
    lead = next((p for p in _PHRASES if _starts_with(text, p)), None)
    if lead is not None:
        # The answer opens with a known word (Yes/No/N/A/Partial): only that meaning may be chosen.
        match = next((c for c in choices if _group(c) == _GROUP_OF[lead]), None)
        return (match, _rest(text[len(lead):])) if match else None
    for choice in sorted(choices, key=len, reverse=True):
        phrase = _norm(choice)
        if phrase and _starts_with(text, phrase):
            return choice, _rest(text[len(phrase):])
    return None


def _join(first: str, second: str) -> str:
    first, second = first.strip(), second.strip()
    if not first or not second:
        return first or second
    sep = " " if first[-1] in ".!?:;" else ". "
    return first + sep + second


def fit_answer(question: DetectedQuestion, answer: str, comment: str, *, marker: str | None = None,
               overwrite_prefilled: bool = False) -> FitResult:
    """The cell writes that put ``answer`` and ``comment`` into ``question``'s cells.

    ``marker`` (e.g. "[DRAFT]") is shown in front of the comment so unreviewed answers stand out.
    Nothing is written over a customer's answer or comment unless ``overwrite_prefilled``, nor into a
    locked cell; ``note`` says what was left out and why.
    """
    q = question
    if q.locked:
        return FitResult(note="the answer cell is locked on a protected sheet; nothing written")
    if q.prefilled and not overwrite_prefilled:
        return FitResult(note="the questionnaire already holds an answer here; kept it")
    notes: list[str] = []
    writes: list[CellWrite] = []
    comment_cell = q.comment_cell
    if comment_cell and q.existing_comment.strip() and not overwrite_prefilled:
        notes.append("kept the existing comment")
        comment_cell = None

    def put(cell: str, value: str) -> None:
        writes.append(CellWrite(sheet=q.sheet, cell=cell, value=value))

    extra = ""  # text for the comment cell on top of ``comment``
    if q.answer_kind in ("choice", "split"):
        options = q.choices if q.answer_kind == "choice" else list(q.split_cells)
        fitted = split_answer(answer, options)
        target = q.answer_cell if q.answer_kind == "choice" else None
        if fitted and q.answer_kind == "split":
            target = q.split_cells.get(fitted[0])
        if fitted and target:
            choice, extra = fitted
            if q.answer_kind == "choice":
                put(target, choice)
            else:
                if q.prefilled:  # overwriting: clear the other columns so only one is marked
                    for cell in q.split_cells.values():
                        if cell != target:
                            put(cell, "")
                put(target, "X")
        elif answer.strip():
            extra = answer
            shown = ", ".join(options) if options else "no list"
            where = "written in the comment column" if comment_cell else "not written (no comment column)"
            notes.append(f"answer '{answer[:40]}' is not one of the allowed values ({shown}): {where}")
    elif q.answer_kind == "text" and q.answer_cell:
        if comment_cell is None and not q.comment_cell:
            answer = _join(answer, comment)  # no comment column: the comment follows the answer
            comment = ""
        if marker and not comment_cell:
            answer = f"{marker} {answer}"
            marker = None
        put(q.answer_cell, answer)
    else:
        extra = answer

    comment_text = _join(extra, comment)
    if comment_cell and (comment_text or marker):
        put(comment_cell, f"{marker} {comment_text}".strip() if marker else comment_text)
    elif comment_text:
        notes.append("no comment cell for: " + comment_text[:200])
    if marker and not comment_cell and q.answer_kind != "text":
        notes.append("no cell to show the review marker in")
    if not writes and not notes:
        notes.append("nothing to write")
    return FitResult(writes=writes, note="; ".join(notes))
