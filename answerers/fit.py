"""Questionnaire-wide holds: strong matches a person should see although each looks safe alone.

A questionnaire mostly outside the knowledge base: its strong matches are held for review.

When few of a questionnaire's questions match any fact at all (a medical-device form, a catalogue of
controls, a privacy-policy checklist sent to a SaaS vendor), the few that match strongly are more often
wrong: the base rate of answerable questions is low, so a high score is more often a near miss on the
wording. Across the labelled stranger workbooks (not blind, through the CLI on 62 workbooks), suggestions
in the 30 workbooks where under 30% of the questions matched anything were right 55 of 73 times (0.75);
in the others 458 of 476 (0.96). The floor was chosen there, on round numbers (25-35% all split the same
way); dev (70-73% matched) and HECVAT 4.14 (44%) are above it and unchanged. The hold changes no
answer and no confidence: the rows go to a person, with the reason.

One fact suggested for many questions of one questionnaire: those suggestions are held too (see
REPEAT_FLOOR).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from answerers.base import Match

FIT_FLOOR = 0.30  # share of a questionnaire's questions that match some fact (suggested or review)
MIN_QUESTIONS = 20  # fewer questions say too little about the questionnaire as a whole
HOLD_PREFIX = "held for review: "  # how a held row's reason starts (the workspace counts them by it)
# One fact suggested for this many questions of one questionnaire (or this share of them, if more).
# A product's own FAQ asks about the finer points of one feature ("Does SAML SSO use Just-in-Time
# provisioning?", "Is IdP-initiated sign-in available?", "Can I use more than one IdP?"): the SSO fact
# matched each at 95-100 (a blind Docker FAQ, eight suggestions, none right). Across dev, HECVAT 4.14 and
# 31 labelled stranger workbooks through the CLI, no other questionnaire had one fact suggested more
# than three times (three times: 9 of 9 right), so the floor holds only such sheets back.
REPEAT_FLOOR = 4
REPEAT_SHARE = 0.01


def holds_suggestions(questions: int, matched: int) -> bool:
    """Whether a questionnaire of ``questions`` questions, ``matched`` of them matched (suggested or
    review), has its suggestions held for review."""
    return questions >= MIN_QUESTIONS and matched < FIT_FLOOR * questions


def hold_reason(questions: int, matched: int) -> str:
    return (f"{HOLD_PREFIX}only {matched} of this questionnaire's {questions} questions match the knowledge "
            f"base at all (under {FIT_FLOOR:.0%}), and strong matches in such a questionnaire are less often "
            f"right; ")


def repeated_facts(suggested: Sequence[tuple[str | None, str | None]], questions: int) -> dict[str, int]:
    """The facts suggested for so many different questions of a questionnaire of ``questions`` rows
    (``suggested``: the fact and the question text of each suggestion) that they likely answer none of them
    exactly, with how many. The same wording asked again (a sheet repeating a question per product, site
    or system, differing only in a number) counts once: it is one question."""
    floor = max(REPEAT_FLOOR, math.ceil(REPEAT_SHARE * questions))
    asked: dict[str, set[str]] = {}
    for row, (fact_id, text) in enumerate(suggested):
        if fact_id:  # a row whose text is not known counts as a question of its own
            key = " ".join(re.findall(r"[^\W\d_]+", text.casefold())) if text is not None else f"\0{row}"
            asked.setdefault(fact_id, set()).add(key)
    return {f: len(texts) for f, texts in asked.items() if len(texts) >= floor}


def repeat_reason(fact_id: str, times: int) -> str:
    return (f"{HOLD_PREFIX}{fact_id} is suggested for {times} different questions of this questionnaire, "
            f"which likely ask about finer points than it states; ")


def held_message(held: int) -> str:
    """What the CLI and the Review page say about a questionnaire's held rows."""
    return (f"{held} strong match(es) of this questionnaire were held for review rather than suggested: few of "
            "its questions match the knowledge base, or one fact matched many of its questions, and in either "
            "case a strong match is more often a near miss. Each row's reason says which.")


def hold_suggestions(matches: Sequence[Match], questions: Sequence[str] | None = None) -> list[Match]:
    """The matches of one whole questionnaire, its suggestions held for review when it is mostly outside
    the knowledge base, and those of a fact suggested for many of its ``questions`` (their texts, in the
    order of ``matches``; without them every row counts as a different question): the same rules the
    workspace applies after matching a stored questionnaire."""
    texts = list(questions) if questions is not None else [None] * len(matches)
    repeated = repeated_facts([(m.fact_id, t) for m, t in zip(matches, texts, strict=True) if m.status == "suggested"],
                              len(matches))
    matches = [m.model_copy(update={"status": "review", "note": repeat_reason(m.fact_id, repeated[m.fact_id]) + m.note})
               if m.status == "suggested" and m.fact_id in repeated else m for m in matches]
    matched = sum(m.status != "unanswered" for m in matches)
    if not holds_suggestions(len(matches), matched):
        return list(matches)
    reason = hold_reason(len(matches), matched)
    return [m.model_copy(update={"status": "review", "note": reason + m.note}) if m.status == "suggested" else m
            for m in matches]
