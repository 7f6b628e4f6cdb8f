"""Read a filled questionnaire back: every answered question, with its answer, comment and section.

Intake (``trustfill.intake``) already finds the questions, answer cells, comment columns, dropdown
values and pre-filled answers of a customer's workbook; harvesting turns that around and reads what
the vendor wrote. Form fields (vendor name, contact e-mail, dates, links) identify the respondent and
say nothing about a security practice, so they are set aside, never proposed as facts; a stated date
among them ("Date completed: 2022-08-30") dates the answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.proposals import looks_like_form_field
from trustfill.config import Limits
from trustfill.intake import LayoutOverrides, read_questionnaire
from trustfill.intake.model import DetectedQuestion

# A label (no question shape) about the respondent itself: "Vendor Hosting Regions", "Product Description".
_ABOUT_RESPONDENT = re.compile(r"^\s*(vendor|company|organi[sz]ation|product|supplier|respondent|your|"
                               r"institution|business|legal entity)\b", re.I)
_MORE_FORM_WORDS = re.compile(r"\b(link|hyperlink|web ?site|homepage|version number|completed by|prepared by)\b", re.I)
_EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(\.[\w-]+)+$")
_URL = re.compile(r"^(https?://|www\.)\S+$", re.I)
_PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
# The date the file states it was completed ("Date", "Date completed"), not a date it asks about
# ("Date of last penetration test").
_DATE_LABEL = re.compile(r"^\s*(?:(?:completion|submission|signature|response|today'?s)\s+)?date"
                         r"(?:\s+(?:completed|submitted|signed|of (?:completion|submission|response)))?\s*:?\s*$", re.I)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%B %d, %Y", "%d %B %Y", "%b %d, %Y")
# "Yes - we encrypt..." written in the comment column alone: the answer is the leading word.
_LEADING_ANSWER = re.compile(r"^\s*(yes|no|n/?a|not applicable)\b[\s,.;:)-]*(.*)$", re.I | re.S)
# "HIPAA - Optional based on QUALIFIER response.": the category is the part before the instruction.
_HEADING_INSTRUCTION = re.compile(r"^(.{2,60}?)\s+[-–—]\s+(.*\.|(?:\S+\s+){4,}\S+)$")
_NUMBERING = re.compile(r"^\s*\d+\)\s*")
_CANONICAL = {"y": "yes", "yes": "yes", "true": "yes", "x": "yes", "no": "no", "n": "no", "false": "no",
              "na": "n/a", "n/a": "n/a", "n.a.": "n/a", "not applicable": "n/a"}
_LEADING_WORD = re.compile(r"^(yes|no|n/a|na|not applicable)(?:\s*[(,;:–—-]|$)")
_SHOWN = {"yes": "Yes", "no": "No", "n/a": "N/A"}


@dataclass
class Answered:
    """One question the file answers, and where it was read."""

    question: str
    answer: str
    comment: str
    category: str
    sheet: str
    cell: str
    ref: str = ""


@dataclass
class FilledFile:
    name: str
    sha256: str
    answered: list[Answered] = field(default_factory=list)
    form_fields: dict[str, str] = field(default_factory=dict)  # label -> value, set aside
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (sheet!cell, why)
    unanswered: int = 0
    stated_date: dt.date | None = None


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def same_answer(a: str, b: str) -> bool:
    """Yes / Y / "1) Yes" / TRUE are one answer; N/A, NA and "Not applicable" another; other text by words."""
    return canonical_answer(a) == canonical_answer(b)


def canonical_answer(value: str) -> str:
    """"Yes (AES-256)" and "Yes - annually" answer Yes: the detail beside a Yes/No belongs to the comment."""
    text = " ".join(_NUMBERING.sub("", value or "").split()).lower().rstrip(".")
    lead = _LEADING_WORD.match(text)
    if lead and lead.group(1) in _CANONICAL:
        return _CANONICAL[lead.group(1)]
    return _CANONICAL.get(text, re.sub(r"[^\w\s/]", "", text))


def is_form_field(question: str, answer: str) -> bool:
    """The respondent's details (name, e-mail, phone, date, link), not a security practice."""
    label = looks_like_form_field(question) or (
        len(question.split()) <= 8 and "?" not in question
        and bool(_ABOUT_RESPONDENT.search(question) or _MORE_FORM_WORDS.search(question)))
    value = answer.strip()
    phone = bool(_PHONE.match(value)) and sum(c.isdigit() for c in value) >= 9  # not a year range
    details = bool(_EMAIL.match(value) or _URL.match(value) or phone or parse_date(value))
    return label or details


def parse_date(value: str) -> dt.date | None:
    text = (value or "").strip()
    if not text or len(text) > 30:
        return None
    for fmt in _DATE_FORMATS:
        if fmt == "%Y-%m-%d":
            if not _ISO_DATE.match(text):
                continue
            text_here = text[:10]  # a date cell read with its time of day
        else:
            text_here = text
        try:
            return dt.datetime.strptime(text_here, fmt).date()
        except ValueError:
            continue
    return None


def category_of(section: str) -> str:
    section = " ".join((section or "").split())
    m = _HEADING_INSTRUCTION.match(section)
    return (m.group(1) if m else section)[:200]


def answer_and_comment(q: DetectedQuestion) -> tuple[str, str] | None:
    """What the vendor wrote: the answer cell (or the marked column) and the explanation; None if nothing."""
    # NUL never means anything (and a fact drops it): a cell of NULs is an empty cell.
    answer, comment = ((v or "").replace("\x00", "").strip() for v in (q.existing_answer, q.existing_comment))
    if q.answer_kind == "split" and "," in answer:
        return None  # two columns marked: which one holds is for a person, not a guess
    if not answer and comment:
        lead = _LEADING_ANSWER.match(comment)
        if lead:  # "Yes, by AES-256" in the comment column: the answer is its first word
            answer, comment = _SHOWN[canonical_answer(lead.group(1))], lead.group(2).strip()
        else:
            answer, comment = comment, ""
    if not answer:
        return None
    if comment and comment.casefold() == answer.casefold():
        comment = ""
    return answer, comment


def read_filled(path: str | Path, *, display_name: str | None = None, limits: Limits | None = None,
                overrides: list[LayoutOverrides] | None = None) -> FilledFile:
    """Every answered question of a filled workbook or CSV (intake errors say which file and why)."""
    path = Path(path)
    name = display_name or path.name
    intake = read_questionnaire(path, overrides or None, limits or Limits(), display_name=name)
    filled = FilledFile(name=name, sha256=sha256_of(path))
    for q in intake.questions:
        where = f"{q.sheet}!{q.answer_cell or q.comment_cell or q.question_cell}"
        if q.answer_kind == "split" and "," in (q.existing_answer or ""):
            filled.skipped.append((where, f"more than one of {', '.join(q.choices)} is marked"))
            continue
        pair = answer_and_comment(q)
        question = " ".join(q.text.split())
        if pair is None:
            filled.unanswered += 1
            continue
        answer, comment = pair
        if is_form_field(question, answer):
            filled.form_fields[question] = answer
            if filled.stated_date is None and _DATE_LABEL.search(question):
                filled.stated_date = parse_date(answer)
            continue
        cell = q.answer_cell or q.split_cells.get(answer) or q.comment_cell or q.question_cell
        filled.answered.append(Answered(question=question, answer=answer, comment=comment,
                                        category=category_of(q.section), sheet=q.sheet, cell=cell, ref=q.ref))
    if filled.stated_date and filled.stated_date > dt.date.today():
        filled.stated_date = None  # a date in the future is not when these answers were given
    return filled
