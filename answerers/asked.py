"""What a yes/no question is about, read from its wording: its grammatical subject ("the mobile
application", "audit logs") and what it asks to opt out of. The guard (guard.py) checks that a fact
mentions it before a suggestion stands."""

from __future__ import annotations

import re

from answerers.text import analyse


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# "Does the mobile application encrypt ...?", "Are audit logs encrypted ...?": the subject, read as the
# words between the opening auxiliary (and a determiner) and the verb. The verb is found by form: a
# base verb questionnaires use after "does/do/can/will", a participle or adjective after "is/are".
_SUBJECT = re.compile(
    # "How are updates delivered?", "Where are backups stored?": the same subject after a question word.
    r"^\W*(?:(?:how|when|where)\s+(?=(?:is|are)\s))?(?P<aux>does|do|can|will|is|are)\s+"
    r"(?:(?:the|a|an|any|your|this|these|its|each|every|all)\s+)?(?P<rest>[^?]*)",
    re.IGNORECASE,
)
_BASE_VERBS = _wordset(
    "support allow provide encrypt record store use have require enforce offer log maintain include perform send "
    "collect share transmit permit prevent restrict protect display contain retain keep delete audit capture "
    "track monitor limit lock authenticate comply meet run connect access process generate produce create "
    "undergo receive apply implement employ utilize utilise rely need follow get notify alert hash sign verify "
    "validate scan test back backup expose ship transfer sync synchronize integrate leverage operate host hold"
)
_ADJECTIVES = _wordset(
    "able available capable configurable subject stored required protected encrypted kept backed retained "
    "secured hashed logged signed reviewed tested scanned hosted located isolated segregated separated "
    "restricted limited monitored patched updated managed enabled disabled supported accessible compliant "
    "certified audited performed documented"
)
# Subjects that name the vendor or its product as a whole: any fact may be about them.
_GENERIC_SUBJECT = _wordset(
    "you we vendor vendors supplier suppliers provider company organization organisation organizations "
    "firm business application applications app apps service services product products platform solution "
    "solutions system systems software offering tool it there data information customer customers "
    "client clients user users cloud saas environment environments process processes policy policies "
    "program programme team staff"
)


def asked_subject(question: str) -> str | None:
    """The words of a yes/no question's grammatical subject that name a particular thing ("mobile" of
    "the mobile application", "audit logs"), or None (the vendor, its product, data in general, a name,
    or no clear parse)."""
    m = _SUBJECT.match(" ".join((question or "").split()))
    if not m:
        return None
    verbs = _BASE_VERBS if m.group("aux").lower() in ("does", "do", "can", "will") else None
    words = re.findall(r"[A-Za-z][\w/'’-]*", m.group("rest"))
    for n in range(1, min(4, len(words))):
        verb = words[n].lower()
        if verb in verbs if verbs is not None else (verb in _ADJECTIVES or (verb.endswith("ed") and len(verb) > 4)):
            np_words = words[:n]
            phrase = " ".join(words[:n + 1])
            spanned = {t for t in analyse(phrase) if t.startswith("@")} - set(analyse(" ".join(np_words)))
            if spanned - set(analyse(verb)):
                continue  # "audit log", "penetration test": the "verb" ends a compound noun
            if any(w[0].isupper() for w in np_words) or any(w.lower().endswith("ly") for w in np_words):
                return None  # a name ("AIVO data", "the CSP") or an adverb: no clear subject
            generic = set(analyse(" ".join(w for w in np_words if w.lower() in _GENERIC_SUBJECT)))
            named = set(analyse(" ".join(np_words))) - generic
            return " ".join(np_words).lower() if named else None
    return None


_OPT_OUT_OF = re.compile(
    r"\bopt(?:s|ed|ing)?[\s-]+(?:out|in)\s+(?:of|to|from)\s+(?:the\s+|any\s+|all\s+|such\s+)?([^?.;,()]+)",
    re.IGNORECASE,
)


def opted_out_of(question: str) -> str | None:
    """What a question asks to opt out of (or into): "opt out of automatic updates" -> "automatic updates"."""
    m = _OPT_OUT_OF.search(" ".join((question or "").split()))
    return m.group(1).strip() if m and analyse(m.group(1)) else None


# "(Select all that apply)", "Choose one": the customer's sheet offers options and the answer is a pick
# among them, which a fact's own wording is not.
_PICK_OPTIONS = re.compile(
    r"\b(?:select|choose|check|tick|mark)\s+(?:all|any|each|one|those)\s+(?:that|which)\s+appl(?:y|ies)\b|"
    r"\b(?:select|choose)\s+(?:all|one|any)\b",
    re.IGNORECASE,
)


def picks_options(question: str) -> str | None:
    """The words asking to pick among the questionnaire's options ("Select all that apply"), or None."""
    m = _PICK_OPTIONS.search(question or "")
    return m.group(0) if m else None


# "Do you destroy *backups* containing customer data?": what the vendor is asked to act on, read between
# the verb after "do/does/will/can you" and the first clause or preposition that qualifies it.
_OBJECT = re.compile(
    r"^\W*(?:do|does|will|can|would)\s+(?:you|your\s+\w+|the\s+(?:vendor|supplier|provider|company))\s+"
    r"(?P<verb>[a-z]+)\s+(?:(?:the|all|any|your|its|their|our)\s+)?(?P<object>[^?,;]+?)"
    r"(?=\s+(?:containing|holding|storing|including|stored|held|used|that|which|who|with|for|in|on|of|from|to|by|at|when|where|if|after|before|and|or)\b|\s*[?,;]|$)",
    re.IGNORECASE,
)


def asked_object(question: str) -> str | None:
    """The thing a "Do you <verb> X ...?" question asks the vendor to act on ("backups"), or None."""
    m = _OBJECT.match(" ".join((question or "").split()))
    if not m or m.group("verb").lower() in _OBJECTLESS:
        return None
    words = m.group("object").split()
    if any(w.lower() in _GENERIC_SUBJECT for w in words):
        return None  # "personal data", "our customers": data or parties in general, any fact's
    return " ".join(words).lower() if 0 < len(words) <= 4 else None


# Verbs whose complement is not a thing acted on ("Do you have ...", "Do you use ...": the thing is the
# topic already; "Do you require ... to", "allow ... to": the object is a party).
_OBJECTLESS = _wordset("have has use uses require requires allow allows permit permits provide provides offer "
                       "offers support supports maintain maintains perform performs conduct conducts need needs "
                       "follow follows comply complies agree agrees accept accepts")
