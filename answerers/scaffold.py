"""Formal scaffolding in a question, collapsed so that matching weighs the words that carry its topic.

Questionnaires written from control catalogues (CSA CAIQ, ISO 27001 and NIST-derived sheets) wrap
a short topic in long coordinated lists of process words: "Are processes, procedures, and technical
measures for security breach notifications defined, implemented, and evaluated?" or "Is a security
incident response plan established, documented, approved, communicated, applied, evaluated, and
maintained?". The topic ("security breach notifications", "incident response plan") is a handful of
words; the lists are a dozen more that every control repeats, and they dilute every similarity the
answerers compute, so right facts ranked first land far under the review threshold.

Such a list says one thing: "a documented practice exists". It is collapsed to its first item
("processes", "established"), which keeps that meaning (and the yes/no-practice form of the
question) and drops the repetition. Only lists are touched, and only lists whose every item is a
single word of the kinds below: a participle ("...ed"), or a governance noun (policies, procedures,
processes, standards, guidelines, plans, programs, technical/organizational measures). A list that
names things ("encryption, key management, and logging capabilities") has items that are not of
those kinds and is left whole. A question written plainly has no such list and is unchanged.
"""

from __future__ import annotations

import re

# Governance nouns: the paperwork a control asks to exist, not its subject.
_PAPER = (
    r"(?:polic(?:y|ies)|procedures?|process(?:es)?|standards?|guidelines?|plans?|programs?|programmes?|"
    r"(?:technical|organi[sz]ational|administrative|security)\s+measures|measures|controls)"
)
# A participle of a process verb: "defined", "established", "documented", "maintained" ...
_PARTICIPLE = r"(?:[a-z]+ed)"
_ITEM = rf"(?:{_PARTICIPLE}|{_PAPER})"
# Three or more items: "a, b, and c" / "a, b, c, and d" (Oxford comma optional, "or" too).
_LIST = re.compile(
    rf"\b(?P<first>{_ITEM})(?:\s*,\s*(?:{_ITEM})){{1,}}\s*,?\s+(?:and|or|and/or)\s+(?:{_ITEM})\b",
    re.IGNORECASE,
)


def _first(m: re.Match) -> str:
    items = re.split(r"\s*,\s*(?:(?:and/or|and|or)\s+)?|\s+(?:and/or|and|or)\s+", m.group(0))
    paper = [bool(re.fullmatch(_PAPER, i.strip(), re.IGNORECASE)) for i in items if i.strip()]
    # A list mixing participles and nouns is not one list of one kind ("policies, defined and
    # documented"): left as written.
    if any(paper) and not all(paper):
        return m.group(0)
    return m.group("first")


# Shared Assessments' SIG asks of every policy "... that has been approved by management, communicated
# to appropriate constituents and an owner to maintain and review the policy?": the same governance
# tail on each topic, a dozen words that say only that the policy is a managed one.
_GOVERNANCE_TAIL = re.compile(
    r"\s*,?\s*(?:that|which)\s+(?:has|have)\s+been\s+approved\s+by\s+(?:senior\s+|executive\s+)?management"
    r"(?:\s*,?\s*(?:and\s+)?(?:been\s+)?communicated\s+to\s+(?:all\s+)?(?:appropriate\s+|relevant\s+|applicable\s+)?"
    r"(?:constituents|personnel|employees|staff|stakeholders|parties|workforce members))?"
    r"(?:\s*,?\s*(?:and\s+)?(?:has\s+|have\s+)?an?\s+owner\s+to\s+maintain\s+and\s+review\s+(?:the\s+|it|them)?"
    r"(?:\s*(?:polic(?:y|ies)|programs?|programmes?|plans?|procedures?|standards?))?)?",
    re.IGNORECASE,
)


# Checklists exported from GRC tools ask the same question of every requirement: "Is the following
# requirement implemented and verified: Backups are protected against unauthorized access." The topic is
# the statement after the colon; the prefix only says "is this true of you".
_CHECKLIST_PREFIX = re.compile(
    r"^\s*(?:is|are|has|have)\s+the\s+following\s+(?:requirements?|controls?|statements?|measures?|items?|"
    r"criteri(?:on|a))\s+(?:been\s+)?(?:implemented|met|fulfilled|satisfied|in\s+place|applied|true|addressed|"
    r"complied\s+with)(?:\s*(?:,|and)\s*(?:verified|documented|tested|evidenced|audited|maintained))*\s*\??\s*[:\-\u2013]\s*",
    re.IGNORECASE,
)


def collapse(text: str) -> str:
    """``text`` with each list of three or more process words collapsed to its first word, SIG's
    governance tail ("that has been approved by management, communicated ...") and a checklist's
    "Is the following requirement implemented and verified:" left out."""
    if not text:
        return text
    if "following" in text:
        text = _CHECKLIST_PREFIX.sub("", text, count=1) or text
    if "approved" in text:
        text = _GOVERNANCE_TAIL.sub("", text)
    if "," not in text:
        return text
    return _LIST.sub(_first, text)
