"""BERT's uncased WordPiece tokenizer in plain Python, for the static vectors (answerers/static.py).

The same rules as the model's own tokenizer (tokenizers' BertNormalizer, BertPreTokenizer and
WordPiece): control characters dropped, CJK characters split out, lower case, accents stripped,
every punctuation character its own token, then greedy longest-match word pieces ("##" marks a
continuation), a word with no split at all becoming [UNK]. Written here so the default install
needs neither torch nor the tokenizers package; tests/test_static_answerer.py checks it against
the real tokenizer when the semantic extra is installed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_WORD_CHARS = 100


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def _clean(text: str) -> str:
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD:
            continue
        if ch in " \t\n\r" or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif unicodedata.category(ch).startswith("C"):  # control, format, private use, unassigned
            continue
        elif _is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    return "".join(out)


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


# ASCII text (nearly every questionnaire cell) takes a regex path with the same result: control
# characters dropped, every non-alphanumeric printable character a punctuation token.
_ASCII_CONTROLS = {i: None for i in [*range(0, 9), 11, 12, *range(14, 32), 127]}
_SPECIAL = re.compile(r"(\[(?:UNK|SEP|PAD|CLS|MASK)\])")
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9]+|[!-/:-@\[-`{-~]")


def basic_tokens(text: str, lowercase: bool = True) -> list[str]:
    """Words and single punctuation marks, normalised as the model saw them in training."""
    if text.isascii():
        text = text.translate(_ASCII_CONTROLS)
        return _ASCII_TOKEN.findall(text.lower() if lowercase else text)
    text = _clean(text)
    if lowercase:
        # Character by character where it matters: str.lower() turns a word-final capital sigma
        # into "ς", the model's tokenizer into "σ".
        text = _strip_accents("".join(c.lower() for c in text) if "\u03a3" in text else text.lower())
    tokens: list[str] = []
    for word in text.split():
        current = []
        for ch in word:
            if _is_punct(ch):
                if current:
                    tokens.append("".join(current))
                    current = []
                tokens.append(ch)
            else:
                current.append(ch)
        if current:
            tokens.append("".join(current))
    return tokens


class WordPiece:
    """Text -> vocabulary ids. Pieces of each distinct word are computed once (questionnaires repeat)."""

    def __init__(self, vocab: list[str], lowercase: bool = True, unk: str = "[UNK]") -> None:
        self.ids = {piece: i for i, piece in enumerate(vocab)}
        self.lowercase = lowercase
        self.unk = self.ids.get(unk, 0)
        self.word = lru_cache(maxsize=200_000)(self._word)

    def _word(self, word: str) -> tuple[int, ...]:
        if len(word) > MAX_WORD_CHARS:
            return (self.unk,)
        out: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.ids.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return (self.unk,)
            out.append(found)
            start = end
        return tuple(out)

    def encode(self, text: str) -> list[int]:
        text = text or ""
        if "[" in text and _SPECIAL.search(text):
            # The model's tokenizer reads a literal "[SEP]" or "[UNK]" as that special token.
            out: list[int] = []
            for k, part in enumerate(_SPECIAL.split(text)):
                if k % 2:
                    out.append(self.ids.get(part, self.unk))
                else:
                    out.extend(i for word in basic_tokens(part, self.lowercase) for i in self.word(word))
            return out
        return [i for word in basic_tokens(text, self.lowercase) for i in self.word(word)]
