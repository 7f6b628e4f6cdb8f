"""The one CSV writer: every CSV file Trustfill writes goes through here.

A CSV has no cell types, so a spreadsheet decides what each field is when it opens the file, and
whoever opens it picks the separator: a field ``Yes;=HYPERLINK(A1)`` written for ``,`` becomes a live
formula when opened with ``;`` (common in European locales). So every field is quoted, and a formula
trigger (``= + - @``, tab, CR) is neutralised with an apostrophe wherever a field could start under
any separator: at the start of the field and after each separator-like character (``, ; | " `` tab,
CR, LF), spaces skipped (a reader may trim them).

The apostrophe is visible in a spreadsheet (the price of a format without types) and exactly
reversible: ``unneutralise`` removes it again, so a knowledge base exported to CSV and imported back
gives the same facts. Apostrophes the text already had in such a place get one more, so text that
really begins with ``'=`` survives the round trip too.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from exports.atomic import atomic_output

_SEPARATORS = ",;|\"\t\r\n"
_TRIGGERS = "=+\\-@\t\r"
# A place where a field may start (start of text, or just after a separator) and the spaces after it.
_START = rf"(?:^|(?<=[{re.escape(_SEPARATORS)}]))( *)"
_RISKY = re.compile(rf"{_START}(?='*[{_TRIGGERS}])")
_NEUTRALISED = re.compile(rf"{_START}'(?='*[{_TRIGGERS}])")
_TRIGGER_CHARS = "=+-@\t\r"  # _TRIGGERS as plain characters


def neutralise(text: str) -> str:
    """``text`` safe as a CSV field whatever separator it is opened with; ``unneutralise`` reverses it."""
    # The same result as the substitution alone, faster (it tries its look-behind at every position):
    # most fields hold no trigger, and then the pattern cannot match at all; a field with no separator
    # ("vendor-risk-4697", "multi-factor") can only start at its beginning.
    if not any(t in text for t in _TRIGGER_CHARS):
        return text
    if not any(s in text for s in _SEPARATORS):
        m = _RISKY.match(text)
        return text if m is None else f"{m.group(1)}'{text[m.end():]}"
    return _RISKY.sub(r"\1'", text)


def unneutralise(text: str) -> str:
    """The text ``neutralise`` was given (for reading back a CSV Trustfill wrote)."""
    return _NEUTRALISED.sub(r"\1", text)


def field(value: object) -> str:
    """A CSV field for ``value``: numbers as they are, None as empty, anything else neutralised text."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return neutralise(str(value))


def record(fields: Sequence[str], dialect: type[csv.Dialect] | csv.Dialect | str = "excel",
           line_ending: str = "\r\n") -> str:
    """One record with every field quoted; ``fields`` are written as given (already safe)."""
    buf = io.StringIO()
    csv.writer(buf, dialect, quoting=csv.QUOTE_ALL, lineterminator=line_ending).writerow(fields)
    return buf.getvalue()


def write_rows(fh: TextIO, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """``header`` then ``rows`` to an open text file (opened with ``newline=""``), every field safe."""
    writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
    writer.writerow([field(h) for h in header])
    for row in rows:
        writer.writerow([field(v) for v in row])


@contextlib.contextmanager
def _text(dest: Path, bom: bool) -> Iterator[TextIO]:
    with atomic_output(dest) as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8-sig" if bom else "utf-8", newline="")
        try:
            yield fh
            fh.flush()
        finally:
            fh.detach()  # atomic_output closes the file itself


def write_csv(dest: str | Path, header: Sequence[str], rows: Iterable[Sequence[object]], *,
              bom: bool = False) -> Path:
    """Write a whole CSV file atomically (complete or not at all). ``rows`` may be a generator.

    ``bom``: start with a UTF-8 byte-order mark, so Excel shows accents right when double-clicked.
    """
    dest = Path(dest)
    with _text(dest, bom) as fh:
        write_rows(fh, header, rows)
    return dest
