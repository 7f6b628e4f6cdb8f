"""quotePrefix variants of a workbook's cell styles, added to styles.xml without touching anything else.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` is written exactly as approved and gets a
style with ``quotePrefix="1"``: Excel and LibreOffice then keep it text when someone edits the cell later,
and nothing is displayed. The style is a copy of the cell's own ``<xf>`` (font, fill, borders, number
format, protection all kept) with that one attribute, appended to ``<cellXfs>`` once per source style.
As with sheets, styles.xml is edited as text, not re-serialised: only the new ``<xf>`` elements and the
``count`` of ``<cellXfs>`` change, every other byte stays.
"""

from __future__ import annotations

import re

from defusedxml import ElementTree as SafeET

_ATTRS = r"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*"""
_ROOT = re.compile(r"<(?:([A-Za-z_][\w.-]*):)?styleSheet[\s>/]")
_QUOTE_PREFIX_ATTR = re.compile(r"""(\squotePrefix\s*=\s*)(?:"[^"]*"|'[^']*')""")
_COUNT_ATTR = re.compile(r"""(\scount\s*=\s*)(["'])[^"']*\2""")
MAX_CELL_XFS = 64_000  # Excel refuses more cell formats than this


class QuotePrefixStyles:
    """Hands out quotePrefix variants of cell style indexes; ``xml()`` is the styles part with them."""

    def __init__(self, xml: str | None):
        self._xml = xml or ""
        self._xfs: list[tuple[int, int, int]] = []  # (start, end of start tag, end) of each cellXfs <xf>
        self._tag: re.Match | None = None  # the <cellXfs ...> start tag
        self._close = -1  # where </cellXfs> starts
        self._added: list[str] = []
        self._variants: dict[int, int] = {}
        if xml:
            self._locate(xml)

    def _locate(self, xml: str) -> None:
        root = _ROOT.search(xml)
        if not root:
            return
        p = re.escape(f"{root.group(1)}:" if root.group(1) else "")
        tag = re.compile(rf"<{p}cellXfs({_ATTRS})\s*(/?)>").search(xml)
        if not tag or tag.group(2):
            return
        close = xml.find(f"</{root.group(1) + ':' if root.group(1) else ''}cellXfs>", tag.end())
        xf = re.compile(rf"<{p}xf({_ATTRS})\s*(/?)>")
        xf_close = f"</{root.group(1) + ':' if root.group(1) else ''}xf>"
        found, pos = [], tag.end()
        while True:
            while pos < close and xml[pos] in " \t\r\n":
                pos += 1
            if pos >= close:
                break
            m = xf.match(xml, pos, close)
            if not m:
                return  # something Excel never writes there (a comment...): leave the styles alone
            end = m.end() if m.group(2) else xml.find(xf_close, m.end(), close)
            if end < 0:
                return
            end = end if m.group(2) else end + len(xf_close)
            found.append((m.start(), m.end(), end))
            pos = end
        if close < 0 or len(found) != _counted_xfs(xml):
            return  # the text scan and an XML parser disagree: do not guess
        self._xfs, self._tag, self._close = found, tag, close

    def variant(self, style: int) -> int | None:
        """The index of a style like ``style`` with quotePrefix; None when the workbook cannot get one."""
        if not 0 <= style < len(self._xfs):
            return None
        if style in self._variants:
            return self._variants[style]
        start, tag_end, end = self._xfs[style]
        start_tag = self._xml[start:tag_end]
        if re.search(r"""\squotePrefix\s*=\s*["'](?:1|true)["']""", start_tag):
            self._variants[style] = style
            return style
        if len(self._xfs) + len(self._added) >= MAX_CELL_XFS:
            return None
        if _QUOTE_PREFIX_ATTR.search(start_tag):  # quotePrefix="0": set it where it stands
            new_tag = _QUOTE_PREFIX_ATTR.sub(lambda m: f'{m.group(1)}"1"', start_tag, count=1)
        else:
            tail = "/>" if start_tag.endswith("/>") else ">"
            new_tag = f'{start_tag[:-len(tail)].rstrip()} quotePrefix="1"{tail}'
        self._added.append(new_tag + self._xml[tag_end:end])
        self._variants[style] = len(self._xfs) + len(self._added) - 1
        return self._variants[style]

    def xml(self) -> str | None:
        """The styles part with the variants handed out; None when none was needed."""
        if not self._added or self._tag is None:
            return None
        tag = self._tag.group(0)
        total = len(self._xfs) + len(self._added)
        new_tag = _COUNT_ATTR.sub(lambda m: f'{m.group(1)}"{total}"', tag, count=1)
        x = self._xml
        return x[:self._tag.start()] + new_tag + x[self._tag.end():self._close] + "".join(self._added) + x[self._close:]


def _counted_xfs(xml: str) -> int:
    try:
        root = SafeET.fromstring(xml.encode("utf-8"))
    except Exception:  # noqa: BLE001 - unreadable styles: no variants
        return -1
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    q = (lambda n: f"{{{ns}}}{n}") if ns else (lambda n: n)
    cell_xfs = root.find(q("cellXfs"))
    return -1 if cell_xfs is None else len(cell_xfs.findall(q("xf")))
