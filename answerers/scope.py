"""Facts that put a whole subject out of scope: "Do the apps include AI features?" - "No".

A security lead answers every question of a questionnaire's AI (or HIPAA, or payment card) section
with that one fact: "N/A, the product has no AI features", however detailed the question ("Is your
ML training data watermarked?"). Lexically such a question sits closer to a neighbouring, narrower
fact ("Is customer data used to train AI models?" - "No"), which does not answer it.

A scope fact is one whose answer is "No" / "N/A" / "Not applicable" and whose main question asks
whether the product itself (``@app``: the app, product, service, solution) has or handles a
*subject*: the thesaurus concepts of that question rare in questionnaire language (salience.py),
such as ``@ai``, ``@hipaa``, ``@pci``. A question naming the subject is offered the scope fact for
review (never suggested: a person confirms that the whole section is not applicable), unless a
fact that names the subject too covers the question outright and is suggested.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from answerers.salience import salient
from answerers.text import analyse

_NOT_APPLICABLE = re.compile(r"\s*(no|n/?a|not applicable|none)\b", re.IGNORECASE)
# The product itself. "product" stems like "production" and lands in @prod (thesaurus.yaml), so both.
_PRODUCT = frozenset({"@app", "@prod"})


def scope_subject(fact) -> frozenset[str]:
    """The subject a fact declares out of scope (empty: not a scope fact)."""
    if not _NOT_APPLICABLE.match(fact.answer or ""):
        return frozenset()
    terms = set(analyse(fact.question))
    if not terms & _PRODUCT:
        return frozenset()
    return frozenset(t for t in terms if t.startswith("@") and t not in _PRODUCT and salient(t))


def scope_facts(facts: Sequence) -> list[tuple[int, frozenset[str]]]:
    """(fact index, subject) of every scope fact, in fact order."""
    return [(i, s) for i, f in enumerate(facts) if (s := scope_subject(f))]
