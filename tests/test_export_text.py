"""Neutralising answer text, and the property that what we write is what a spreadsheet shows."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exports import CellWrite, neutralise, unneutralise, write_cells, write_csv_cells
from exports.text import needs_quote_prefix, ooxml_unescape, strip_illegal

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
OOXML = "application/vnd.openxmlformats-"
SML = OOXML + "officedocument.spreadsheetml"


TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
SEPARATORS = ",;|\"\t\r\n"


def field_starts(text: str) -> list[int]:
    """Where a field may start when ``text`` is read with any separator: 0 and after each separator,
    spaces skipped (written here independently of the code under test)."""
    out = []
    for i in [0] + [j + 1 for j, ch in enumerate(text) if ch in SEPARATORS]:
        while i < len(text) and text[i] == " ":
            i += 1
        out.append(i)
    return out


@pytest.mark.parametrize("lead", TRIGGERS)
def test_each_formula_trigger_is_neutralised(lead):
    assert neutralise(lead + "cmd|' /C calc'!A0") == "'" + lead + "cmd|' /C calc'!A0"


@pytest.mark.parametrize("sep", list(SEPARATORS))
def test_a_trigger_after_any_separator_is_neutralised(sep):
    assert neutralise(f"Yes{sep}=HYPERLINK(A1)") == f"Yes{sep}'=HYPERLINK(A1)"
    assert neutralise(f"Yes{sep}  @x") == f"Yes{sep}  '@x"


@pytest.mark.parametrize("text", ["Yes", "N/A", "'already quoted", "", "50% of staff", "a=b", "x-y", "a+b@c",
                                  "Line one\nLine two", "e-mail: a@b.example"])
def test_harmless_text_is_unchanged(text):
    assert neutralise(text) == text


def test_illegal_control_characters_are_stripped_for_xlsx():
    assert strip_illegal("a\x01b\ufffec\U0001F600") == "abc\U0001F600"
    assert strip_illegal("\x00\x1f=1\x0b") == "=1"


@given(st.text(alphabet=st.sampled_from(list("=+-@\t\r\n,;|\" 'ab")) | st.characters(), max_size=60))
@example("'=x")
@example("a; ''@b")
def test_neutralise_leaves_no_trigger_at_any_field_start_and_unneutralise_reverses_it(text):
    once = neutralise(text)
    assert not [i for i in field_starts(once) if once[i:i + 1] in TRIGGERS], repr(once)
    assert unneutralise(once) == text
    assert once.replace("'", "") == text.replace("'", "")  # only apostrophes were added


@given(st.text(alphabet=st.sampled_from(list("=+-@\t\r\n,;|\" 'ab")) | st.characters(), max_size=30))
@example(" -x")
@example("a-b")
def test_neutralise_shortcuts_give_what_the_substitution_alone_gives(text):
    from exports.safe_csv import _RISKY

    assert neutralise(text) == _RISKY.sub(r"\1'", text)


def _blank_workbook(path: Path) -> Path:
    content = {
        "[Content_Types].xml": f'<Types xmlns="{CT}"><Default Extension="rels" ContentType="{OOXML}'
        f'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{SML}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SML}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{SML}.styles+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="S" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
        f'Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{REL}/styles" '
        'Target="styles.xml"/></Relationships>',
        "xl/styles.xml": f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border>'
        '<left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="1"><xf xfId="0"/></cellXfs></styleSheet>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in content.items():
            zf.writestr(name, text)
    return path


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    return _blank_workbook(tmp_path_factory.mktemp("blank") / "blank.xlsx")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=200), min_size=1, max_size=12))
@example(["_x0041_ literal", "_x005F_", "a\r\nb\rc", "  padded  ", "\x00\x1f", "emoji \U0001F600 中文",
          "=1+1"])
def test_any_unicode_text_reads_back_as_displayed(blank, tmp_path, texts):
    """Excel and LibreOffice decode _xHHHH_ in cell text; openpyxl does not, so we decode as they do."""
    dest = tmp_path / "out.xlsx"
    writes = [CellWrite(sheet="S", cell=f"A{i}", value=t) for i, t in enumerate(texts, 1)]
    result = write_cells(blank, dest, writes)
    assert not result.skipped
    ws = openpyxl.load_workbook(dest)["S"]
    for i, text in enumerate(texts, 1):
        expected = strip_illegal(text)  # exactly as approved: no apostrophe, ever
        got = ws[f"A{i}"].value
        if expected == "":
            assert got is None
        else:
            assert ws[f"A{i}"].data_type == "s"
            assert ooxml_unescape(got) == expected
            assert ws[f"A{i}"].quotePrefix == needs_quote_prefix(expected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=100), min_size=1, max_size=8))
def test_any_unicode_text_round_trips_through_csv(tmp_path, texts):
    src = tmp_path / "in.csv"
    src.write_bytes(b"Question,Answer\r\n" + b"q,\r\n" * len(texts))
    dest = tmp_path / "out.csv"
    write_csv_cells(src, dest, [CellWrite(sheet="", cell=f"B{i}", value=t) for i, t in enumerate(texts, 2)])
    records = list(csv.reader(io.StringIO(dest.read_bytes().decode("utf-8"), newline="")))
    assert [r[1] for r in records[1:]] == [neutralise(t) for t in map(strip_illegal, texts)]
    assert [unneutralise(r[1]) for r in records[1:]] == [strip_illegal(t) for t in texts]
