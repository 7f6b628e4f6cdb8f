"""What a piece of cell text is: a header label, an ID, a question, a heading or an instruction.

These are the heuristics detection scores with. They are written as word lists and patterns a
reviewer can extend, not as knowledge of particular questionnaires.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A question ID or number as written: DSP-03.2, COMP-01, AC-2(1), Q12, A.1.2, 3.1.4, 12, 1, and IDs whose
# later parts carry letters too (SEC01-BP01, A.5.36-q2).
_ID_BODY = r"(?:[A-Za-z]{1,8}(?:[-_.][A-Za-z]{1,8})?[-_. ]?)?\d+(?:[.\-](?:[A-Za-z]{1,4})?\d+)*(?:\(\d+\))?[a-z]?"
ID_RE = re.compile(rf"^{_ID_BODY}[.)]?$")
LEADING_ID_RE = re.compile(rf"^\s*(?P<id>{_ID_BODY})(?:[.):\-–]\s*|\s+)(?P<rest>[A-Za-z\"'‘“(].*)$", re.S)
# A strong ID has letters and digits (COMP-01) or a dotted number (3.1.4): bare "12" is only numbering.
STRONG_ID_RE = re.compile(r"^(?:[A-Za-z]{1,8}(?:[-_.][A-Za-z]{1,8})?[-_. ]?\d+|\d+(?:\.\d+)+)")

ERROR_VALUES = {"#REF!", "#N/A", "#VALUE!", "#NAME?", "#DIV/0!", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}

QUESTION_WORDS = {
    "do", "does", "did", "is", "are", "was", "were", "can", "could", "will", "would", "should", "shall",
    "has", "have", "had", "how", "what", "which", "who", "whom", "where", "when", "why", "describe",
    "provide", "list", "explain", "confirm", "identify", "state", "indicate", "specify", "attach",
    "upload", "share", "outline", "detail", "summarize", "summarise", "define", "give", "please", "may",
    "must", "in", "if", "for", "to", "select", "enter", "name",
}

_INSTRUCTION_RE = re.compile(
    r"^(?:notes?|instructions?|guidance|tips?|hint|important|disclaimer)\b\s*[:\-–]"
    r"|^please (?:complete|answer|select|fill|respond to|return|use|ensure|read|note|do not|submit)\b"
    r"|^(?:complete|answer|fill in|fill out|respond to) (?:all|each|every|the following|this)\b"
    r"|copyright|©|all rights reserved|^for full instructions|^(?:end of|thank you)\b"
    r"|^(?:cells?|rows?|columns?) [A-Z]+\d*\b",
    re.I,
)

# A column of things to fill in or provide, each row one however short ("Field | Response" over "Company
# Name", "Document | Provided" over "Privacy policy", "Requested item | Provided (Yes/No)" over "SOC 1 AUDIT"):
# a question column of its own kind.
FIELD_HEADER_RE = re.compile(r"^(?:fields?|information requested|requested information|documents?|"
                             # "Certification | Status | Expiration" over "SOC 2 Type II", "ISO 27001": a
                             # table of certifications to give the status of (a blind vendor questionnaire).
                             r"certifications?|certificates?|attestations?|parameters?|"
                             r"(?:documents?|items?|evidence) requested|requested (?:documents?|items?|evidence))$",
                             re.IGNORECASE)

# Header synonyms, checked in this order; the first family that matches wins.
_HEADER_FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    ("ignore", re.compile(
        r"review(?:er)?|analyst|assessor|evaluat|auditor|internal|office use|use only|score|weight|guidance"
        r"|compliant response|importance|override|non-negotiable|reference standard|mapping|crosswalk"
        r"|scoring|maturity|ownership|responsibilities"
        # "Response Options" ("Yes / No" on every row) lists what may be answered, beside the answer column.
        r"|(?:response|answer)s? (?:options?|choices|values|format)|possible (?:answers?|responses?|values)"
        r"|(?:valid|allowed|permitted) (?:answers?|responses?|values)|^(?:options?|choices)$",
        re.I)),
    ("id", re.compile(
        r"^(?:#|no\.?|nr\.?|num(?:ber)?|item(?: ?(?:#|no\.?|number|id))?"
        r"|ref(?:erence)?\.?(?: ?(?:#|no\.?|id))?"
        r"|s/?n|sr\.? ?no\.?|seq(?:uence)?|key|code|identifier)$"
        r"|\b(?:id|ids|identifier|ref|ref\.|code)$|\bid\b|question ?#|control ?#"
        r"|^ques(?:tion)?\.? ?(?:num(?:ber)?|no\.?)$", re.I)),
    ("comment", re.compile(
        r"comment|explanation|explain|\bnotes?\b|additional (?:info|information|detail|context)|details?\b"
        r"|evidence|remarks?|justification|supporting|clarification|elaborat|narrative|rationale|context"
        r"|describe|description of (?:response|answer)|implementation (?:description|details?|notes?|statement)",
        re.I)),
    ("answer", re.compile(
        r"answer|response|reply|yes ?/ ?no|y ?/ ?n\b|compliance|complian[tc]|comply|selection|your input"
        r"|vendor input|supplier input|status|(?:meets|met) (?:the )?requirement", re.I)),
    ("section", re.compile(
        r"^(?:category|topic|domain|section|area|theme|family|group|subject|heading|chapter|part)s?$"
        r"|(?:control|question|security) (?:domain|family|category|area|group)|sub-?category|^domain", re.I)),
    ("question", re.compile(
        r"question|requirement|control|description|criteri|statement|query|request|^item$|^text$"
        r"|requirement text|specification|" + FIELD_HEADER_RE.pattern, re.I)),
]

SPLIT_LABEL_RE = re.compile(
    r"^(?:yes|no|n/?a|not applicable|partial(?:ly)?|partially compliant|compliant|non-compliant|unknown)"
    r"(?:\s*\(x\))?$", re.I)


# Detection asks the same questions of the same cell text many times (HECVAT repeats its questions on
# evaluation sheets); these are pure functions of the text, so the answers are kept.
_cached = lru_cache(maxsize=1 << 16)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-/]*")


@_cached
def norm(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def words(text: str) -> list[str]:
    return _WORD.findall(text)


@_cached
def header_role(text: str) -> str | None:
    """The role a header label names, or None. Long text is never a header label."""
    t = norm(text)
    if not t or len(t) > 60 or t.endswith("?"):
        return None
    if SPLIT_LABEL_RE.match(t):
        return "split"
    for role, pattern in _HEADER_FAMILIES:
        if pattern.search(t):
            return role
    return None


@_cached
def is_id(text: str) -> bool:
    return bool(ID_RE.match(norm(text))) and len(text) <= 24


@_cached
def is_strong_id(text: str) -> bool:
    t = norm(text)
    return is_id(t) and bool(STRONG_ID_RE.match(t))


# A machine key in a column headed as the ID, as GRC tools and marketplace templates export them
# ("DHP_G16_tlsSupport", "LEG03_complianceDataTermination", "webapp.application_name", "vendorName"):
# one token of up to 64 characters with a digit, an underscore, a dot between letters or a camelCase
# join; a plain word ("General", "N/A") is not one.
_CODE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-()/]{2,63}$")
_CODE_MARK_RE = re.compile(r"\d|_|[A-Za-z]\.[A-Za-z]|[a-z][A-Z]")


@_cached
def is_code_id(text: str) -> bool:
    """Whether an ID column's value is a machine key rather than a word (see ``_CODE_ID_RE``)."""
    t = text.strip()
    return bool(_CODE_ID_RE.match(t)) and bool(_CODE_MARK_RE.search(t)) and any(ch.isalpha() for ch in t)


@_cached
def split_leading_id(text: str) -> tuple[str, str]:
    """``"3.1.4 Do you..."`` -> ``("3.1.4", "Do you...")``; text without a leading ID is returned whole."""
    m = LEADING_ID_RE.match(text)
    if not m:
        return "", text
    ref, rest = m.group("id"), m.group("rest").strip()
    # "2 factor authentication..." is text, not item 2: a bare number needs punctuation after it.
    bare_number = ref.isdigit()
    if bare_number and not re.match(rf"^\s*{re.escape(ref)}[.):\-–]", text):
        return "", text
    if not words(rest):
        return "", text
    if _STANDARD_NAME.match(ref):
        return "", text  # "ISO 9001 (QMS)", "SOC 2 Type II": a standard named, not a numbered item
    return ref.rstrip("."), rest


_STANDARD_NAME = re.compile(r"(?:ISO|IEC|SOC|NIST|FIPS|PCI|HITRUST|CSA|SP|IEEE|BS|EN)\b", re.IGNORECASE)


@_cached
def is_instruction(text: str) -> bool:
    return bool(_INSTRUCTION_RE.search(norm(text)))


def first_word(text: str) -> str:
    w = words(text)
    return w[0].lower() if w else ""


@_cached
def question_score(text: str) -> float:
    """How much a row's text reads like something to answer (a question, request or control statement)."""
    t = norm(text)
    n = len(words(t))
    score = 0.0
    if "?" in t:
        score += 2.5
    if first_word(t) in QUESTION_WORDS:
        score += 1.5
    if n >= 6:
        score += 1.0
    elif n <= 3:
        score -= 1.5
    if t.endswith((".", ")")) and n >= 4:
        score += 0.5
    letters = [ch for ch in t if ch.isalpha()]
    acronyms = all(len(w) <= 5 for w in re.findall(r"[A-Za-z]+", t))  # "PCI DSS", "HIPAA": names, not shouting
    if len(letters) >= 4 and all(ch.isupper() for ch in letters) and "?" not in t and not acronyms:
        score -= 2.0  # SECTION 1 - PRODUCT & SERVICE
    if re.match(r"^(?:section|part|chapter|appendix)\b", t, re.I) and n <= 8 and "?" not in t:
        score -= 2.0
    if n <= 6 and "?" not in t and not t.endswith(".") and first_word(t) not in QUESTION_WORDS:
        score -= 1.0  # short label: "Data Protection", "1. Organization & Governance"
    if is_instruction(t):
        score -= 4.0
    return score
