"""Text normalisation and analysis shared by the lexical answerers.

``normalise`` is the display-safe form (case, punctuation, leading IDs, British spelling); it is
idempotent. ``analyse`` turns normalised text into matching terms: stop words dropped, words
stemmed, and thesaurus phrases (``multi factor authentication``, ``2fa``) folded into one concept
term (``@mfa``) so that a synonym counts once, as the idea it names, rather than as three words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

_THESAURUS = Path(__file__).with_name("thesaurus.yaml")

# Questionnaire numbering at the start of a cell: "DSP-03.2", "1.4", "A.12.3", "Q12.", "(a)", "iv)".
_LEADING_ID = re.compile(
    r"^\s*(?:"
    # DSP-03.2, AIS-01, Q12. (letters + digits need a separator or closing mark: "SOC 2", "SAML 2.0" stay)
    r"[A-Za-z]{1,6}[-_]\d+(?:[.\-]\d+)*[a-z]?[.):]?"
    r"|[A-Za-z]{1,3}\d+(?:[.\-]\d+)*[.):]"
    r"|[A-Za-z]\.\d+(?:\.\d+)*[.):]?"  # A.12.3
    r"|\d+(?:\.\d+)*[a-z]?[.):]?"  # 1, 1.4, 2.3.1a
    r"|\(?[a-z]\)|\(?[ivx]{1,4}\)"  # (a)  b)  iv)
    r")\s+(?=\S)"
)
# Every character but [a-z0-9@] becomes a space (a table, not a regex: folded text is ASCII and
# split() merges the runs of spaces).
_NON_WORD = {c: " " for c in range(128) if chr(c) not in "abcdefghijklmnopqrstuvwxyz0123456789@"}

# British -> American spelling for words questionnaires use; suffix rules cover the rest.
_BRIT_WORDS = {
    "programme": "program",
    "programmes": "programs",
    "centre": "center",
    "centres": "centers",
    "licence": "license",
    "licences": "licenses",
    "defence": "defense",
    "offence": "offense",
    "catalogue": "catalog",
    "behaviour": "behavior",
    "colour": "color",
    "colours": "colors",
    "favour": "favor",
    "labour": "labor",
    "honour": "honor",
    "judgement": "judgment",
    "enrol": "enroll",
    "enrolment": "enrollment",
    "fulfil": "fulfill",
    "travelling": "traveling",
    "cancelled": "canceled",
    "modelling": "modeling",
    "labelled": "labeled",
    "labelling": "labeling",
    "grey": "gray",
    "storey": "story",
    "analyse": "analyze",
    "analysed": "analyzed",
    "analyses": "analyzes",
    "analysing": "analyzing",
    "paralyse": "paralyze",
    "cheque": "check",
}
# -ise/-isation words whose American form is -ize; an allow-list because "wise", "exercise",
# "premise", "advise", "enterprise" and "supervise" must stay as they are.
_IZE_STEMS = (
    "organ",
    "author",
    "recogn",
    "priorit",
    "sanit",
    "minim",
    "maxim",
    "custom",
    "standard",
    "util",
    "optim",
    "central",
    "normal",
    "synchron",
    "anonym",
    "pseudonym",
    "categor",
    "summar",
    "real",
    "special",
    "apolog",
    "emphas",
    "final",
    "initial",
    "local",
    "capital",
    "visual",
    "virtual",
    "tokenis",
    "token",
    "encrypt",
    "character",
    "legal",
    "digit",
    "mobil",
    "neutral",
    "formal",
    "harmon",
    "penal",
    "memor",
    "containeri",
    "container",
    "serial",
    "parameter",
    "modern",
    "stabil",
    "criminal",
    "emphasi",
    "familiar",
    "monet",
    "person",
    "secur",
    "revolution",
    "industrial",
)
_ISE_RE = re.compile(
    r"\b((?:un|re|de|non|over)?(?:" + "|".join(_IZE_STEMS) + r"))is(e|es|ed|ing|ation|ations|er|ers)\b"
)


def _fold(text: str) -> str:
    if text.isascii():  # both normal forms leave ASCII as it is: the common case, skipped
        return text.lower()
    text = unicodedata.normalize("NFKC", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text.lower()


# A control catalogue's cross-references in brackets: "[IA-2, IA-2(1)]", "(AC-6(10))", "[PE-2 through
# PE-6 (except PE-3(1)), PE-8]". They cite where a requirement comes from and say nothing about what it
# asks, yet their letters and numbers weigh in matching like unknown words (FedRAMP's "Does the system
# ensure secure separation of customer data? [SC-4]" scored 20 against 71 without the tag).
_CONTROL_ID = r"(?!SOC-)[A-Z]{2,3}-\d{1,2}(?:\s?\(\d{1,2}\))*(?:\s?\([a-z]\))*"
_CITE_SEP = r"(?:\s*(?:,|;|&|\band\b|\bor\b|\bthrough\b|\bto\b)\s*)"
_CITE_EXCEPT = rf"(?:\s*\((?:except|excluding)\s+{_CONTROL_ID}(?:{_CITE_SEP}{_CONTROL_ID})*\))?"
_CITATION = re.compile(
    rf"\s*[\[(]\s*{_CONTROL_ID}{_CITE_EXCEPT}(?:{_CITE_SEP}{_CONTROL_ID}{_CITE_EXCEPT})*\s*[\])]"
)


def strip_citations(text: str) -> str:
    """Drop bracketed control cross-references ("[SC-4]", "(AC-2(1), AC-6)") from a question."""
    return _CITATION.sub("", text) if "-" in text else text


def strip_leading_id(text: str) -> str:
    """Drop questionnaire numbering such as ``DSP-03.2`` or ``1.4`` from the start of a question."""
    previous = None
    while previous != text:  # "1.4 (a) ..." carries two
        previous = text
        text = _LEADING_ID.sub("", text, count=1)
    return text


def normalise(text: str) -> str:
    """Lower-case ASCII words separated by single spaces; IDs, punctuation, British spelling gone.

    Idempotent: ``normalise(normalise(x)) == normalise(x)``.
    """
    text = _fold(text or "")
    text = strip_leading_id(text)
    text = text.replace("'s ", " ").replace("'", "")
    # Keep in-word hyphens/slashes as word breaks: "multi-factor" -> "multi factor".
    out = " ".join(map(_american, text.translate(_NON_WORD).split()))
    # Numbering can surface only after punctuation is gone ("1.4." -> "1 4"); strip until stable.
    # Stripping removes a prefix up to the next word, so the words stay single-spaced and trimmed.
    stripped = strip_leading_id(out)
    while stripped != out:
        out = stripped
        stripped = strip_leading_id(out)
    return out


@lru_cache(maxsize=200_000)
def _american(word: str) -> str:
    """One word's American spelling. Per word, cached: the -ise pattern cannot span a space, so
    applying it word by word is the same as over the whole text."""
    word = _ISE_RE.sub(_ize, word)
    return _BRIT_WORDS.get(word, word)


def _ize(m: re.Match) -> str:
    return m.group(1) + "iz" + m.group(2)


_STEM_RULES = (
    ("ational", "ate"),
    ("ization", "ize"),
    ("izations", "ize"),
    ("fulness", "ful"),
    ("ousness", "ous"),
    ("iveness", "ive"),
    ("ations", "ate"),
    ("ation", "ate"),
    ("ments", ""),
    ("ment", ""),
    ("ities", "ity"),
    ("ions", ""),
    ("ion", ""),
    ("ies", "y"),
    ("sses", "ss"),
    ("ings", ""),
    ("ing", ""),
    ("edly", ""),
    ("ed", ""),
    ("ly", ""),
    ("ers", "er"),
    ("es", "e"),
    ("s", ""),
)
_NO_STRIP_S = ("ss", "us", "is", "os")


# "classify", "classified", "classification": one stem for the -ify verbs and their nouns ("classif"),
# which the suffix rules below would leave as three ("classify", "classifi", "classificat").
_IFY = re.compile(r"^(?P<base>[a-z]{3,}if)(?:y|ies|ied|ying|ication|ications)$")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A small suffix stripper: close enough that both sides of a match reduce alike."""
    if len(word) <= 3 or word.startswith("@") or any(ch.isdigit() for ch in word):
        return word
    if m := _IFY.match(word):
        return m.group("base")
    for suffix, repl in _STEM_RULES:
        if word.endswith(suffix):
            if suffix == "s" and word.endswith(_NO_STRIP_S):
                return word
            base = word[: len(word) - len(suffix)] + repl
            if len(base) < 3:
                return word
            # Undouble "scanned" -> "scann" -> "scan", keep "ss"/"ll" words intact.
            if suffix in ("ed", "ing", "ings") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base[:-1] if base.endswith("e") and len(base) > 4 else base
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


class Thesaurus:
    """Concept phrases (from thesaurus.yaml) matched longest-first over stemmed words."""

    def __init__(self, data: dict):
        self.stopwords: frozenset[str] = frozenset(_fold(w) for w in data.get("stopwords", []))
        self.concepts: dict[str, list[str]] = {}
        self.weights: dict[str, float] = {k: float(v) for k, v in (data.get("weights") or {}).items()}
        # phrase (tuple of stems) -> concept term; longest phrases tried first.
        self._phrases: dict[tuple[str, ...], str] = {}
        for concept, phrases in (data.get("concepts") or {}).items():
            term = "@" + concept
            self.concepts[term] = list(phrases)
            for phrase in map(str, phrases):  # YAML may type "27001" as a number
                key = tuple(stem(w) for w in normalise(phrase).split())
                if key:
                    self._phrases.setdefault(key, term)
        # Phrases read as nothing at all: "in scope" qualifies whatever it follows ("in-scope information
        # systems"), where "scope" alone is an app's permission scope.
        for phrase in map(str, data.get("ignore") or []):
            key = tuple(stem(w) for w in normalise(phrase).split())
            if key:
                self._phrases.setdefault(key, "")
        # Per first word, the lengths of the phrases it starts, longest first: only those are tried.
        lengths: dict[str, set[int]] = {}
        for k in self._phrases:
            lengths.setdefault(k[0], set()).add(len(k))
        self._lengths = {w: sorted(ls, reverse=True) for w, ls in lengths.items()}

    def terms(self, normalised: str) -> list[str]:
        """Matching terms of already-normalised text, in order (concepts replace their phrases)."""
        stems = list(map(stem, normalised.split()))
        out: list[str] = []
        keep = self._kept
        lengths, phrases = self._lengths, self._phrases
        i, n = 0, len(stems)
        while i < n:
            word = stems[i]
            sizes = lengths.get(word)
            if sizes:
                for size in sizes:
                    concept = phrases.get(tuple(stems[i : i + size])) if size <= n - i else None
                    if concept is not None:
                        if concept:  # "": a phrase ignored
                            out.append(concept)
                        i += size
                        break
                else:
                    if keep(word):
                        out.append(word)
                    i += 1
            else:
                if keep(word):
                    out.append(word)
                i += 1
        return out

    def _kept(self, term: str) -> bool:
        # Bare numbers are details ("24 hours", "ISO 27001:2022"), not topics.
        return term not in self.stopwords and len(term) > 1 and not term.isdigit()


_adopted: Thesaurus | None = None


def thesaurus() -> Thesaurus:
    return _adopted if _adopted is not None else _load_thesaurus()


def adopt_thesaurus(th: Thesaurus) -> None:
    """Use the thesaurus a matching index brought from the disk cache (trustfill/workspace/index_cache.py)
    rather than parsing thesaurus.yaml again: the cache key covers this package's files, so it was built
    from this very file and gives the same terms, without importing PyYAML (~30 ms of every run)."""
    global _adopted
    if _adopted is None and not _load_thesaurus.cache_info().currsize:
        _adopted = th


@lru_cache(maxsize=1)
def _load_thesaurus() -> Thesaurus:
    import yaml  # only here: a run on a cached index adopts the thesaurus it carries

    with _THESAURUS.open(encoding="utf-8") as fh:
        # libyaml's safe loader when PyYAML has it: the same data, 0.1 s faster at every start-up.
        data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}  # noqa: S506 - a safe loader
    th = Thesaurus(data)
    # Stop words are compared after stemming, like every other term.
    th.stopwords = frozenset(stem(w) for w in th.stopwords) | th.stopwords
    return th


@lru_cache(maxsize=100_000)
def analyse(text: str) -> tuple[str, ...]:
    """Matching terms of raw text (normalised first)."""
    return tuple(thesaurus().terms(normalise(text)))
