"""Question matching: answerers, the engine that fuses them, and the public result models."""

from answerers.base import ENTRY_POINT_GROUP, Answerer, Candidate, Hit, Match, available_answerers, register
from answerers.engine import MatchingEngine, MatchSettings
from answerers.text import analyse, normalise


def register_builtins() -> None:
    """Entry-point hook (group ``trustfill.answerers``): registers the built-in answerers."""
    from answerers import category, form, fuzzy, lexical, semantic, static  # noqa: F401  (importing registers them)


register_builtins()

__all__ = [
    "ENTRY_POINT_GROUP",
    "Answerer",
    "Candidate",
    "Hit",
    "Match",
    "MatchSettings",
    "MatchingEngine",
    "analyse",
    "available_answerers",
    "normalise",
    "register",
    "register_builtins",
]
