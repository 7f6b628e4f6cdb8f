"""Making answer text safe to put in a customer's .xlsx (CSV has its own rules: exports.safe_csv).

Two separate dangers. Formula injection: a string cell of an .xlsx is never evaluated, but a text that
starts with ``=``, ``+``, ``-``, ``@``, tab, CR or LF becomes a formula when someone later edits the
cell and Excel re-parses it. The text is stored exactly as approved and the cell gets a ``quotePrefix``
style (see exports.styles), the spreadsheet's own, invisible way of saying "this is text"; an
apostrophe in the text would show in the customer's file and protect nothing. XML: some control
characters cannot be stored in an .xlsx at all, and Excel decodes ``_xHHHH_`` inside cell text as an
escaped character, so a literal ``_x0041_`` must itself be escaped to show as typed.
"""

from __future__ import annotations

import re

# Characters XML 1.0 cannot carry (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF).
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# ECMA-376 escape for characters in shared/inline strings; Excel and LibreOffice decode it on read.
_OOXML_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")


def strip_illegal(text: str) -> str:
    """Remove characters that XML (and so .xlsx) cannot store."""
    return _XML_ILLEGAL.sub("", text)


def needs_quote_prefix(text: str) -> bool:
    """Would a spreadsheet read ``text`` as a formula if it were typed into the cell?"""
    return text.startswith(_FORMULA_START)


def xml_text(text: str) -> str:
    """Escape text for an element body of a sheet part (illegal characters already stripped)."""
    text = _OOXML_ESCAPE.sub(r"_x005F_\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A raw CR would be turned into LF by every XML parser; a character reference survives.
    return text.replace("\r", "&#13;")


def ooxml_unescape(text: str) -> str:
    """What Excel displays for stored string text: ``_xHHHH_`` sequences decoded (openpyxl does not)."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)
