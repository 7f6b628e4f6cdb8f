"""How common a matching term is in questionnaire language, learned from real questionnaires.

``data/questionnaire_df.json`` (built by scripts/build_questionnaire_df.py from HECVAT 4.14, HECVAT 3
and NIST SP 800-53 text, counts only) holds, per source, how many of its sections use each term.
A term's *spread* is the mean share of sections using it: boilerplate is spread over every section
("documented" 0.34, "policy" 0.53, "process" 0.64), a topic stays in its own ("backup" 0.07, "SSO"
0.04, "consultant" 0.03), and a word no questionnaire uses has spread 0.

Two uses:
- :func:`boilerplate_weight`: a plain word spread over many sections weighs less in matching, so
  long formal questions ("established, documented, approved, communicated ... and maintained") are
  scored on the few words that carry their topic. Thesaurus concepts (``@mfa``, ``@staff``) are the
  security vocabulary by construction and keep their weight.
- :func:`salient`: a word rare in questionnaire language names the question's own subject
  ("violations", "consultant", "watermark"): a fact that does not cover it does not answer the
  question as asked (engine guard, answerers/guard.py).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).with_name("data") / "questionnaire_df.json"

# Plain words spread over at most LOW of the sections keep their full weight; from there the weight
# falls linearly to FLOOR at HIGH (chosen so that "establish"/"document"/"maintain", about 0.33, weigh
# about half and "process"/"policy", over 0.5, a quarter; the topic words of the dev set stay whole).
LOW, HIGH, FLOOR = 0.15, 0.5, 0.25
# Spread under which a term is salient: used in few sections of real questionnaires.
SALIENT = 0.12


@lru_cache(maxsize=1)
def _spread_table() -> dict[str, float]:
    try:
        data = json.loads(_DATA.read_text(encoding="utf-8"))
    except FileNotFoundError:  # a source checkout without the data file: no term is boilerplate
        return {}
    out: dict[str, float] = {}
    for source in data.values():
        n = max(int(source.get("sections", 0)), 1)
        for term, count in source.get("section_frequency", {}).items():
            out[term] = out.get(term, 0.0) + count / n / len(data)
    return out


def spread(term: str) -> float:
    """Mean share of questionnaire sections using ``term`` (0: no questionnaire uses it)."""
    return _spread_table().get(term, 0.0)


@lru_cache(maxsize=100_000)
def boilerplate_weight(term: str) -> float:
    """Weight multiplier of a matching term: 1 for topic words and thesaurus concepts, down to FLOOR
    for plain words every questionnaire section repeats."""
    if term.startswith("@"):
        return 1.0
    s = spread(term)
    if s <= LOW:
        return 1.0
    return max(FLOOR, 1.0 - (1.0 - FLOOR) * (s - LOW) / (HIGH - LOW))


def salient(term: str) -> bool:
    """Whether a term is rare in questionnaire language (a question's own subject, if it names one)."""
    return spread(term) < SALIENT
