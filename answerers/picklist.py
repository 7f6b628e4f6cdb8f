"""The options of a pick list laid out one per row under its prompt.

Web forms flattened into a sheet, and many home-made questionnaires, ask "Select the topics that are
covered by your security and privacy policies:" and then list the choices one per row ("Information
classification and protection", "Physical security requirements", ...), each with its own Yes/No cell.
Such a row asks nothing of its own: "Physical security requirements" asks whether *the policies cover*
physical security, which the data-centre fact ("Inherited from cloud providers") does not answer,
though it matches the words at 100. What a row asks depends on the prompt above it, which matching
does not see; so a match for an option goes to a person, like a bulleted list item (guard.list_item).

Applied to a whole questionnaire after matching (the workspace and the benchmarks alike): only a
`suggested` status changes, to review, with the prompt named in the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from answerers.asked import picks_options
from answerers.base import Match

# "Select the topics that ...:", "Which of the following do you have in place?"; and "(Check all that
# apply)", read by asked.picks_options as the guard reads it in a question of its own.
_PROMPT = re.compile(
    r"^\W*(?:please\s+)?(?:select|choose|check|tick|mark|indicate)\b[^?]*(?::|\?)\s*$|"
    r"\b(?:which|what) of the following\b",
    re.IGNORECASE,
)
MAX_OPTION_WORDS = 12  # a choice is a short phrase; a longer row is a question of its own
PROMPT_SHOWN = 80


def pick_prompt(text: str) -> bool:
    """Whether a row asks to pick among the rows listed under it."""
    text = " ".join((text or "").split())
    return bool(_PROMPT.search(text) or picks_options(text))


def _option_like(text: str) -> bool:
    t = " ".join((text or "").split())
    return bool(t) and "?" not in t and not t.endswith(":") and len(t.split()) <= MAX_OPTION_WORDS


def pick_options(texts: Sequence[str], sheets: Sequence[str] | None = None) -> dict[int, int]:
    """For a questionnaire's rows in order (``sheets``: each row's sheet, when there are several): each
    option row's index, mapped to its prompt's index. The options are the short rows right under a
    prompt on the same sheet, up to the first row that is not one."""
    out: dict[int, int] = {}
    prompt: int | None = None
    for i, text in enumerate(texts):
        if prompt is not None and sheets is not None and sheets[i] != sheets[prompt]:
            prompt = None
        if pick_prompt(text):
            prompt = i
        elif prompt is not None and _option_like(text):
            out[i] = prompt
        else:
            prompt = None
    return out


def hold_option(match: Match, prompt: str) -> Match:
    """``match`` for an option row of ``prompt``: a suggestion goes to review, with the prompt named."""
    if match.status != "suggested":
        return match
    shown = " ".join(prompt.split())
    if len(shown) > PROMPT_SHOWN:
        shown = shown[:PROMPT_SHOWN - 3].rstrip() + "..."
    note = f'an option of the list asked above ("{shown}"): what it asks depends on that prompt; {match.note}'
    return match.model_copy(update={"status": "review", "note": note})


def hold_options(texts: Sequence[str], matches: Sequence[Match], sheets: Sequence[str] | None = None) -> list[Match]:
    """The matches of a questionnaire's rows in order, each suggestion for an option of a pick list held."""
    out = list(matches)
    for i, p in pick_options(texts, sheets).items():
        out[i] = hold_option(out[i], texts[p])
    return out
