"""A questionnaire mostly outside the knowledge base: its strong matches are held for review.

When few of a questionnaire's questions match any fact at all (a medical-device form, a catalogue of
controls, a privacy-policy checklist sent to a SaaS vendor), the few that match strongly are more often
wrong: the base rate of answerable questions is low, so a high score is more often a near miss on the
wording. Across the labelled stranger workbooks (not blind, through the CLI on 62 workbooks), suggestions
in the 30 workbooks where under 30% of the questions matched anything were right 55 of 73 times (0.75);
in the others 458 of 476 (0.96). The floor was chosen there, on round numbers (25-35% all split the same
way); dev (70-73% matched) and HECVAT 4.14 (44%) are above it and unchanged. The hold changes no
answer and no confidence: the rows go to a person, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from answerers.base import Match

FIT_FLOOR = 0.30  # share of a questionnaire's questions that match some fact (suggested or review)
MIN_QUESTIONS = 20  # fewer questions say too little about the questionnaire as a whole
HOLD_PREFIX = "held for review: only "  # how a held row's reason starts (the workspace counts them by it)


def holds_suggestions(questions: int, matched: int) -> bool:
    """Whether a questionnaire of ``questions`` questions, ``matched`` of them matched (suggested or
    review), has its suggestions held for review."""
    return questions >= MIN_QUESTIONS and matched < FIT_FLOOR * questions


def hold_reason(questions: int, matched: int) -> str:
    return (f"{HOLD_PREFIX}{matched} of this questionnaire's {questions} questions match the knowledge "
            f"base at all (under {FIT_FLOOR:.0%}), and strong matches in such a questionnaire are less often "
            f"right; ")


def hold_suggestions(matches: Sequence[Match]) -> list[Match]:
    """The matches of one whole questionnaire, its suggestions held for review when it is mostly outside
    the knowledge base (the same rule the workspace applies after matching a stored questionnaire)."""
    matched = sum(m.status != "unanswered" for m in matches)
    if not holds_suggestions(len(matches), matched):
        return list(matches)
    reason = hold_reason(len(matches), matched)
    return [m.model_copy(update={"status": "review", "note": reason + m.note}) if m.status == "suggested" else m
            for m in matches]
