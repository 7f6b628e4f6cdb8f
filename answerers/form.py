"""``form`` answerer: does the fact's answer have the form the question asks for?

"Does the app log configuration changes?" asks for a yes or no; "How long are logs kept?" and "How
often are restores tested?" for a duration, a frequency or a number; "Describe ..." for a
description. A fact answered "Yes" fits the first, one answered "90 days" or "Yes (quarterly)" the
second. Neighbouring facts (an audit trail that exists vs how long logs are kept; backup frequency
vs whether restores are tested) often differ in exactly this.

A weak fusion signal, 0-100: the mean, over what the question's asking sentences and clauses ask
for, of how well the answer fits (a yes/no question: 100 for an answer starting Yes/No/N/A, else 0;
a quantity or time: 100 for an answer with a digit or a time word, else 0; a description: 100 for an
answer that is not a yes/no, 75 for "Yes (detail)", 50 for a bare "Yes"); 50 where the question's
form is unclear (a statement, a heading). It never votes on agreement (engine.NON_VOTERS).

Measured leave-one-questionnaire-out (benchmarks/bench_matching_fit.py --cv), lexical profile:
top-1 answered 0.925 -> 0.941, ranked 0.941 -> 0.952, suggestion precision 0.983 -> 0.991,
unanswerable left alone 0.922 -> 0.896. The semantic profile: top-1 0.925 -> 0.941, unanswerable
left alone 0.896 -> 0.883 (bench_matching_fit.LEFT_OUT says when it was left out there, and why).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from answerers.base import KeyedSignal, register
from answerers.text import strip_leading_id

# Words that open a yes/no question, and those that open a question asking for something else.
_POLAR = frozenset({"do", "does", "did", "is", "are", "was", "were", "can", "could", "will", "would", "have",
                    "has", "should", "must", "may", "shall"})
_OPEN = frozenset({"what", "which", "how", "when", "where", "who", "whom", "whose", "why", "describe", "list",
                   "provide", "explain", "specify", "outline", "detail", "identify", "name", "state"})
_JOINERS = frozenset({"and", "or", "please"})
# A preposition that may come before the question word ("In which...", "To whom...", "Within what...").
_LEAD = frozenset({"in", "on", "at", "for", "to", "by", "from", "with", "within", "under", "after", "before",
                   "during", "over", "of", "through", "via"})
_SENTENCE = re.compile(r"(?<=[?.!])\s+")
_CLAUSE = re.compile(r"[,;]")
_WORD = re.compile(r"[a-z]+")
_YES_NO = re.compile(r"\s*(yes|no|n/?a)\b", re.IGNORECASE)
# An open question asking for a duration, a frequency or a number.
_ASKS_QUANTITY = re.compile(
    r"\bhow (long|often|frequently|many|much|quickly|soon|fast)\b|\bwithin what\b|"
    r"\b(time ?frame|timeline|frequency|period|rpo|rto|recovery (point|time))s?\b|"
    # "What is your target incident notification time?", "What is the deadline for ...?"
    r"\b(what|which)\b[^?]*\b(time|deadline)s?\b"
)
# "When was your last penetration test?", "Date of the most recent audit": a date is asked.
_ASKS_DATE = re.compile(
    r"\bwhen (was|were|did|is|will)\b[^?]*\b(last|latest|most recent|next|previous)\b|"
    r"\b(date|dates) of (the |your )?(last|latest|most recent|next|previous)\b|"
    # A form's field for it: "Last incident response test/exercise:", "Last DR test date:".
    r"^\W*(last|latest|most recent|previous)\s+(?!\d|name\b)[^?]{0,80}$|\b(last|latest|most recent)\b[^?]*\bdate\b"
)
# A date in an answer: a year, a month's name, or a numeric date.
_DATE = re.compile(
    r"\b(19|20)\d\d\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d|"
    r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b(january|february|march|april|june|july|august|september|october|"
    r"november|december)\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"\d|\b(hours?|days?|weeks?|months?|years?|minutes?|seconds?|hourly|daily|weekly|monthly|quarterly|"
    r"annual|annually|yearly|immediately|continuous|continuously|real-time)\b",
    re.IGNORECASE,
)
# How long something lasts, said without a number ("While the app is installed", "until deleted").
_OPEN_ENDED = re.compile(r"\b(while|until|indefinitely|as long as|for the life(time)? of)\b", re.IGNORECASE)
POLAR, QUANTITY, DESCRIPTION = 0, 1, 2
# "Do you have / maintain / follow a (documented) ... process / policy / program ...?": asks whether a
# practice exists; a fact describing how it works answers it as well as a "Yes" does.
_HAS_A_PRACTICE = re.compile(
    r"^(do|does) (you|your \w+|the \w+) (have|maintain|follow|operate|use|perform|conduct)\b.*\b"
    r"(process|processes|procedure|procedures|policy|policies|program|programs|plan|plans|strategy|"
    r"practice|practices|framework|lifecycle|life cycle)\b"
)


def _asking(question: str) -> list[str]:
    """The sentences that ask something (end with "?"), else all of them, lower-cased."""
    sentences = [s for s in _SENTENCE.split(strip_leading_id(question or "").strip().lower()) if s.strip()]
    return [s for s in sentences if s.rstrip().endswith("?")] or sentences


def _lead_trimmed(words: list[str]) -> list[str]:
    """The clause's words from the one that says what is asked: past "and", "or", "please", and a
    preposition before a question word ("In which region...", "For how long...")."""
    while words and (words[0] in _JOINERS or (words[0] in _LEAD and words[1:2] and words[1] in _OPEN)):
        words = words[1:]
    return words


def question_asks(question: str) -> frozenset[int]:
    """What the question asks for: POLAR (yes/no), QUANTITY (a duration, frequency or number),
    DESCRIPTION (another value); empty when unclear. Each asking sentence counts, and each of its
    clauses that starts with a question word: "Who manages keys, and how often are they rotated?"
    asks for a description and a quantity; "After the contract ends, how soon is data deleted?" for
    a quantity; "We need EU hosting. Can the service ...?" is a yes/no question."""
    asks: set[int] = set()
    for sentence in _asking(question):
        for clause in _CLAUSE.split(sentence):
            words = _lead_trimmed(_WORD.findall(clause))
            word = words[0] if words else ""
            if word in _POLAR:
                asks.add(POLAR)
                if _HAS_A_PRACTICE.match(" ".join(words)):
                    asks.add(DESCRIPTION)  # "Do you have a documented patch process?": how it works answers it
            elif word in _OPEN:
                asks.add(QUANTITY if _ASKS_QUANTITY.search(" ".join(words)) else DESCRIPTION)
    return frozenset(asks)


# "Do you have an SLA for notifying customers of incidents?": a service level for doing something is a
# time to do it in. Kept out of the form signal's reading: only the check that the fact names a time uses it.
_ASKS_SERVICE_LEVEL = re.compile(r"\b(slas?|service[- ]level (agreement|commitment|objective|target)s?)\s+"
                                 r"(for|on|around|covering)\s+\w+ing\b")


def asks_for_time(question: str) -> bool:
    """Whether the question asks how long, how often, how soon, within what time frame, or how many."""
    text = (question or "").lower()
    return bool(_ASKS_QUANTITY.search(text) or _ASKS_SERVICE_LEVEL.search(text))


def asks_for_date(question: str) -> bool:
    """Whether the question asks when something last (or next) happened: a date, not a frequency."""
    return bool(_ASKS_DATE.search((question or "").lower()))


def states_date(text: str) -> bool:
    """Whether ``text`` names a date (a year, a month, a numeric date)."""
    return bool(_DATE.search(text or ""))


# "What company did you use for ...?", "Which software or vendor ...?", "Who is your hosting provider?":
# the answer is a name. "What company/companies", "What software or company" count; "What is the
# company's policy" does not (the noun must follow the question word).
_ASKS_NAME = re.compile(
    r"^\W*(?:what|which)\s+(?:(?:third[- ]party|cloud|hosting|external|outside|independent|security)\s+){0,2}"
    r"(?:company|companies|vendor|vendors|supplier|suppliers|provider|providers|firm|firms|software|tool|tools|"
    r"product|products|brand|brands|organi[sz]ation|organi[sz]ations|auditor|auditors)\b|"
    r"^\W*who\s+(?:is|are|was|were)\s+(?:your|the)\b[^?]*\b(?:provider|vendor|supplier|firm|company|auditor|"
    r"host)s?\b"
)
# A name in an answer or comment: a capitalised word inside a sentence ("runs on Heroku", "Heroku,
# AWS, Atlassian Forge") or one in mixed case ("DynamoDB"). Acronyms alone are not names ("NDA", "TLS").
_NAME_INSIDE = re.compile(r"(?<![.?!:]\s)(?<=[\s,(/])[A-Z][a-z][A-Za-z]+\b")
_NAME_SHAPE = re.compile(r"\b[A-Z][a-z]+[A-Z][A-Za-z]*\b")


# "What is your primary contact for security incidents?", "Who is the point of contact for ...?", "Please
# provide contact details for ...": the answer is a person or an address. Not "Do you contact customers".
_ASKS_CONTACT = re.compile(
    r"^\W*(?:what|who|which)\s+(?:is|are|will be|would be)\s+(?:your|the)\b[^?]{0,40}?\bcontacts?\b(?!\s+(?:customers|"
    r"users|clients|you|us|them)\b)|\bpoints? of contact\b|\bcontact (?:details|information|info|e-?mail|address|"
    r"person|persons|name|names|number|numbers)\b"
)
# What a fact naming a contact holds: an e-mail address, a phone number or a web address.
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.\w|\+?\d[\d ()-]{6,}\d|https?://|\bwww\.")


def asks_for_contact(question: str) -> bool:
    """Whether the question asks who or what to contact: an answer that is a person or an address."""
    return bool(_ASKS_CONTACT.search(" ".join((question or "").split()).lower()))


def states_contact(text: str) -> bool:
    """Whether ``text`` gives an address to contact (an e-mail address, a phone number, a web address)."""
    return bool(_CONTACT.search(text or ""))


def asks_for_name(question: str) -> bool:
    """Whether the question asks which company, vendor, product or tool: an answer that is a name."""
    return bool(_ASKS_NAME.search(" ".join((question or "").split()).lower()))


def states_name(text: str) -> bool:
    """Whether ``text`` names a company, product or tool: a capitalised word inside a sentence or a word
    in mixed case; an acronym alone ("NDA") does not count."""
    return bool(_NAME_INSIDE.search(text or "") or _NAME_SHAPE.search(text or ""))


def states_time(text: str) -> bool:
    """Whether ``text`` names a time, a period, a frequency or a number ("72 hours", "quarterly",
    "while the app is installed")."""
    return bool(_QUANTITY.search(text or "") or _OPEN_ENDED.search(text or ""))


def answer_kind(answer: str) -> int:
    """A number 0-5 for (starts Yes/No/N/A: bare, with detail, or not) x (states a quantity or time)."""
    a = answer or ""
    m = _YES_NO.match(a)
    yes_no = 0 if not m else 2 if _WORD.search(a[m.end() :].lower()) else 1
    return 2 * yes_no + bool(_QUANTITY.search(a))


# Fit of each kind (answer_kind order) to each thing asked (POLAR, QUANTITY, DESCRIPTION).
_FIT = np.array(
    [
        [0.0, 0.0, 100.0],  # a value
        [0.0, 100.0, 100.0],  # a value with a quantity ("90 days")
        [100.0, 0.0, 50.0],  # "Yes"
        [100.0, 100.0, 50.0],  # "Yes" with a quantity (not reachable: a bare Yes has no digits)
        [100.0, 0.0, 75.0],  # "Yes (separate storage)"
        [100.0, 100.0, 75.0],  # "Yes (quarterly)"
    ]
)


# Score of each answer kind per combination of things asked (8 of them): computed once.
_ROWS = {
    frozenset(asks): _FIT[:, sorted(asks)].mean(axis=1) if asks else np.full(len(_FIT), 50.0)
    for asks in ((), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2))
}
_NO_WORDS = np.zeros(len(_FIT))


def kind_scores(question: str) -> np.ndarray:
    """Score of each answer kind for this question (50 for every kind when its form is unclear, 0
    for a question without words)."""
    if not _WORD.search((question or "").lower()):
        return _NO_WORDS
    return _ROWS[question_asks(question)]


@register
class FormAnswerer(KeyedSignal):
    name = "form"

    def _build(self) -> None:
        self.keys = np.array([answer_kind(f.answer) for f in self.facts], dtype=np.int64)

    def key_scores(self, questions: Sequence[str]) -> np.ndarray:
        return np.stack([kind_scores(q) for q in questions])  # questions x answer kinds
