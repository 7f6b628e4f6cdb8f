"""write_cells on small hand-made workbooks whose XML we control byte for byte.

Each workbook carries one feature that a careless writer breaks (shared formulas, array formulas,
protection, merged cells, self-closing rows, namespace prefixes...), and each test checks both what
changed and that nothing else did.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from exports import CellWrite, write_cells
from trustfill.errors import InputFileError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill>
<fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyProtection="1"><protection locked="0"/></xf>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
</styleSheet>"""


def sheet_xml(data: str, *, before: str = "", after: str = "", prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {ns} xmlns:r="{REL}">'
            f'{before}<{p}sheetData>{data}</{p}sheetData>{after}</{p}worksheet>')


def build(path: Path, sheets: dict[str, str], *, parts: dict[str, str] | None = None,
          part_names: list[str] | None = None) -> Path:
    """A minimal valid .xlsx with the given sheet XML (sheet name -> xml), in tab order."""
    names = part_names or [f"xl/worksheets/sheet{i + 1}.xml" for i in range(len(sheets))]
    sheet_els = "".join(f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                        for i, n in enumerate(sheets))
    rels = "".join(f'<Relationship Id="rId{i + 1}" Type="{REL}/worksheet" Target="/{name}"/>'
                   for i, name in enumerate(names))
    rels += f'<Relationship Id="rIdS" Type="{REL}/styles" Target="styles.xml"/>'
    extra = parts or {}
    if "xl/sharedStrings.xml" in extra:
        rels += f'<Relationship Id="rIdSS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = "".join(f'<Override PartName="/{n}" ContentType="{sheet_type}"/>' for n in names)
    if "xl/sharedStrings.xml" in extra:
        overrides += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    content = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{CT}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/'
        f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}"><Relationship '
        f'Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
        f"<sheets>{sheet_els}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
        f"{rels}</Relationships>",
        "xl/styles.xml": STYLES,
    }
    for name, xml in zip(names, sheets.values(), strict=True):
        content[name] = xml
    content.update(extra)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in content.items():
            zf.writestr(name, text)
    return path


def part(path: Path, name: str = "xl/worksheets/sheet1.xml") -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name).decode()


def cells(xml: str) -> dict[str, str]:
    """Every <c> element's exact text by reference (independent of the code under test)."""
    return {re.search(r'\sr="([A-Z]+\d+)"', m.group(0)).group(1): m.group(0)
            for m in re.finditer(r"<(?:\w+:)?c\s[^>]*?(?:/>|>.*?</(?:\w+:)?c>)", xml, re.S)}


def fill(tmp_path: Path, src: Path, *writes: tuple[str, str, str]):
    dest = tmp_path / "out.xlsx"
    result = write_cells(src, dest, [CellWrite(sheet=s, cell=c, value=v) for s, c, v in writes])
    return dest, result


def unchanged_except(before: str, after: str, changed: set[str]) -> None:
    b, a = cells(before), cells(after)
    for ref in set(b) | set(a):
        if ref not in changed:
            assert b.get(ref) == a.get(ref), ref


def test_existing_cell_is_replaced_keeping_its_style_and_nothing_else_changes(tmp_path):
    data = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Question</t></is></c><c r="B1" s="2"><v>7</v></c>'
            '<c r="C1" s="1"/></row>')
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml(data)})
    dest, result = fill(tmp_path, src, ("S", "B1", "Yes & <no>"), ("S", "C1", "free text"))
    assert [w.cell for w in result.written] == ["B1", "C1"] and not result.skipped
    xml = part(dest)
    assert cells(xml)["B1"] == ('<c r="B1" s="2" t="inlineStr"><is><t xml:space="preserve">'
                                "Yes &amp; &lt;no&gt;</t></is></c>")
    assert 's="1"' in cells(xml)["C1"]
    unchanged_except(part(src), xml, {"B1", "C1"})
    ws = openpyxl.load_workbook(dest)["S"]
    assert (ws["A1"].value, ws["B1"].value, ws["C1"].value) == ("Question", "Yes & <no>", "free text")


def test_new_cells_go_in_column_order_and_widen_row_spans_and_dimension(tmp_path):
    data = '<row r="2" spans="2:4"><c r="B2"><v>1</v></c><c r="D2"><v>2</v></c></row>'
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml(data, before='<dimension ref="B2:D2"/>')})
    dest, result = fill(tmp_path, src, ("S", "F2", "f"), ("S", "C2", "c"), ("S", "A2", "a"))
    xml = part(dest)
    assert not result.skipped
    order = re.findall(r'<c r="([A-Z]+)2"', xml)
    assert order == ["A", "B", "C", "D", "F"]
    assert '<row r="2" spans="1:6">' in xml
    assert '<dimension ref="A2:F2"/>' in xml
    unchanged_except(part(src), xml, {"A2", "C2", "F2"})
    ws = openpyxl.load_workbook(dest)["S"]
    assert [c.value for c in ws[2]] == ["a", 1, "c", 2, None, "f"]


def test_missing_rows_are_inserted_in_row_order(tmp_path):
    data = '<row r="3"><c r="A3"><v>3</v></c></row><row r="4"/><row r="7"><c r="A7"><v>7</v></c></row>'
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml(data)})
    dest, result = fill(tmp_path, src, ("S", "B9", "nine"), ("S", "B1", "one"), ("S", "B5", "five"),
                        ("S", "B4", "four"))
    assert not result.skipped
    xml = part(dest)
    assert re.findall(r'<row r="(\d+)"', xml) == ["1", "3", "4", "5", "7", "9"]
    assert '<row r="4"><c r="B4"' in xml  # the self-closing row got a body
    ws = openpyxl.load_workbook(dest)["S"]
    assert [ws[f"B{r}"].value for r in (1, 4, 5, 9)] == ["one", "four", "five", "nine"]
    assert ws["A3"].value == 3 and ws["A7"].value == 7


def test_shared_formula_master_and_children_are_never_touched(tmp_path):
    data = ('<row r="2"><c r="A2"><v>1</v></c>'
            '<c r="C2"><f t="shared" ref="C2:C4" si="0">A2*2</f><v>2</v></c></row>'
            '<row r="3"><c r="A3"><v>2</v></c><c r="C3"><f t="shared" si="0"/><v>4</v></c></row>'
            '<row r="4"><c r="A4"><v>3</v></c><c r="C4"><f t="shared" si="0"/><v>6</v></c></row>')
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml(data)})
    dest, result = fill(tmp_path, src, ("S", "C3", "x"), ("S", "C2", "y"), ("S", "B3", "between"),
                        ("S", "D3", "after"))
    assert {s.cell: s.reason for s in result.skipped} == {
        "C2": "holds a formula; formula cells are never overwritten",
        "C3": "holds a formula; formula cells are never overwritten"}
    xml = part(dest)
    unchanged_except(part(src), xml, {"B3", "D3"})
    ws = openpyxl.load_workbook(dest)["S"]
    assert ws["C4"].value == "=A4*2" and ws["C2"].value == "=A2*2"
    assert (ws["B3"].value, ws["D3"].value) == ("between", "after")
    cached = openpyxl.load_workbook(dest, data_only=True)["S"]
    assert [cached[f"C{r}"].value for r in (2, 3, 4)] == [2, 4, 6]


def test_cells_inside_array_formulas_merges_and_table_headers_are_refused(tmp_path):
    data = ('<row r="1"><c r="A1" t="inlineStr"><is><t>H</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>I</t></is></c>'
            '</row><row r="2"><c r="E2"><f t="array" ref="E2:E3">A2:A3*2</f><v>0</v></c></row>'
            '<row r="3"><c r="E3"><v>0</v></c></row>')
    after = ('<mergeCells count="1"><mergeCell ref="G5:H6"/></mergeCells>'
             '<tableParts count="1"><tablePart r:id="rT"/></tableParts>')
    table = (f'<?xml version="1.0" encoding="UTF-8"?><table xmlns="{MAIN}" id="1" name="T" displayName="T" '
             'ref="A1:B3"><tableColumns count="2"><tableColumn id="1" name="H"/>'
             '<tableColumn id="2" name="I"/></tableColumns></table>')
    sheet_rels = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}"><Relationship Id="rT" '
                  f'Type="{REL}/table" Target="../tables/table1.xml"/></Relationships>')
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml(data, after=after)},
                parts={"xl/tables/table1.xml": table, "xl/worksheets/_rels/sheet1.xml.rels": sheet_rels})
    dest, result = fill(tmp_path, src, ("S", "E3", "x"), ("S", "H6", "x"), ("S", "G6", "x"),
                        ("S", "G5", "ok"),
                        ("S", "B1", "renamed"), ("S", "B2", "ok"))
    reasons = {s.cell: s.reason for s in result.skipped}
    assert reasons == {"E3": "part of an array formula E2:E3",
                       "H6": "inside merged range G5:H6; only its first cell G5 shows a value",
                       "G6": "inside merged range G5:H6; only its first cell G5 shows a value",
                       "B1": "part of the header row of a table A1:B1"}
    assert sorted(w.cell for w in result.written) == ["B2", "G5"]
    unchanged_except(part(src), part(dest), {"G5", "B2"})


def test_shared_string_cell_becomes_inline_and_shared_strings_part_is_untouched(tmp_path):
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="2" uniqueCount="2">'
           "<si><t>Q</t></si><si><t>old</t></si></sst>")
    data = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="2" t="s"><v>1</v></c></row>'
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml(data)}, parts={"xl/sharedStrings.xml": sst})
    dest, result = fill(tmp_path, src, ("S", "B1", "new"))
    assert not result.skipped
    assert part(dest, "xl/sharedStrings.xml") == part(src, "xl/sharedStrings.xml")
    assert cells(part(dest))["B1"].startswith('<c r="B1" s="2" t="inlineStr">')
    ws = openpyxl.load_workbook(dest)["S"]
    assert (ws["A1"].value, ws["B1"].value) == ("Q", "new")


def test_protected_sheet_only_unlocked_cells_are_written(tmp_path):
    # Style 1 is unlocked; column D defaults to style 1, so a new D cell is writable and keeps that style.
    data = '<row r="1"><c r="A1" s="1"/><c r="B1"/><c r="C1" s="2"/></row>'
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml(
        data, before='<cols><col min="4" max="4" width="9" style="1"/></cols>',
        after='<sheetProtection sheet="1" objects="1" scenarios="1"/>')})
    dest, result = fill(tmp_path, src, ("S", "A1", "a"), ("S", "B1", "b"), ("S", "C1", "c"), ("S", "D1", "d"),
                        ("S", "E1", "e"), ("S", "D7", "d7"))
    assert {s.cell: s.reason for s in result.skipped} == {c: "locked cell on a protected sheet"
                                                         for c in ("B1", "C1", "E1")}
    after = cells(part(dest))
    assert 's="1"' in after["D1"] and 's="1"' in after["D7"]
    ws = openpyxl.load_workbook(dest)["S"]
    assert (ws["A1"].value, ws["D1"].value, ws["D7"].value, ws["B1"].value) == ("a", "d", "d7", None)


def test_empty_value_clears_a_cell_and_keeps_its_style(tmp_path):
    data = '<row r="1"><c r="A1" s="2" t="inlineStr"><is><t>X</t></is></c></row>'
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml(data)})
    dest, result = fill(tmp_path, src, ("S", "A1", ""), ("S", "B1", ""))
    assert not result.skipped
    assert cells(part(dest)) == {"A1": '<c r="A1" s="2"/>'}


def test_sheet_found_through_relationships_with_prefixed_namespace_and_empty_sheet_data(tmp_path):
    first = sheet_xml('<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>q</x:t></x:is></x:c></x:row>',
                      prefix="x")
    second = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><dimension ref="A1"/>'
              "<sheetData/></worksheet>")
    # The part names are swapped against the tab order: only the relationships say which is which.
    src = build(tmp_path / "in.xlsx", {"First": first, "Second": second},
                part_names=["xl/worksheets/sheet2.xml", "xl/worksheets/sheet1.xml"])
    dest, result = fill(tmp_path, src, ("First", "B2", "one"), ("second", "C3", "two"))
    assert not result.skipped
    assert '<x:c r="B2" t="inlineStr"><x:is><x:t xml:space="preserve">one</x:t></x:is></x:c>' in part(
        dest, "xl/worksheets/sheet2.xml")
    assert '<dimension ref="A1:C3"/>' in part(dest, "xl/worksheets/sheet1.xml")
    wb = openpyxl.load_workbook(dest)
    assert wb["First"]["B2"].value == "one" and wb["Second"]["C3"].value == "two"


def test_bad_targets_are_reported_not_raised(tmp_path):
    data = '<row r="1"><c t="inlineStr"><is><t>no ref</t></is></c></row>'
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml(data)})
    dest, result = fill(tmp_path, src, ("Nope", "A1", "x"), ("S", "A0", "x"), ("S", "B1", "x"),
                        ("S", "C2", "first"), ("S", "C2", "second"), ("S", "D3", "y" * 32_768))
    reasons = {(s.cell, s.value[:6]): s.reason for s in result.skipped}
    assert reasons == {
        ("A1", "x"): "no sheet of that name in the workbook",
        ("A0", "x"): "not a cell reference such as C10",
        ("B1", "x"): "a cell in this row has no reference; the row was left as it is",
        ("C2", "first"): "replaced by a later write to the same cell",
        ("D3", "yyyyyy"): "longer than Excel's limit of 32,767 characters in a cell"}
    assert openpyxl.load_workbook(dest)["S"]["C2"].value == "second"


def test_formula_text_is_written_exactly_with_a_quote_prefix_style(tmp_path):
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml("")})
    texts = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx", "fine", "- a\n- b"]
    dest, result = fill(tmp_path, src, *[("S", f"A{i}", v) for i, v in enumerate(texts, start=1)])
    assert not result.notes
    ws = openpyxl.load_workbook(dest)["S"]
    assert [ws[f"A{i}"].value for i in range(1, 10)] == texts  # no apostrophe in the text
    assert all(ws[f"A{i}"].data_type == "s" for i in range(1, 10))
    assert [ws[f"A{i}"].quotePrefix for i in range(1, 10)] == [True] * 7 + [False, True]
    # One new <xf>, a copy of style 0 with quotePrefix, used by every formula-like cell.
    xml = part(dest)
    assert len(re.findall(r' s="3"', xml)) == 8 and "A8" in cells(xml) and ' s=' not in cells(xml)["A8"]


def test_quote_prefix_styles_are_added_once_per_source_style_and_nothing_else_in_styles_changes(tmp_path):
    data = ('<row r="1"><c r="A1" s="1"/><c r="B1" s="2"><v>1</v></c><c r="C1"/></row>'
            '<row r="2"><c r="A2" s="1"/><c r="B2" s="2"/></row>')
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml(data, before='<sheetProtection sheet="1"/>')})
    dest, result = fill(tmp_path, src, ("S", "A1", "=cmd"), ("S", "A2", "+1 555 0100"), ("S", "C1", "Yes"))
    assert [w.cell for w in result.written] == ["A1", "A2"]  # C1 has style 0: locked on a protected sheet
    after = cells(part(dest))
    assert 's="3"' in after["A1"] and 's="3"' in after["A2"]  # style 1's variant, made once
    styles = part(dest, "xl/styles.xml")
    expected = STYLES.replace('<cellXfs count="3">', '<cellXfs count="4">').replace(
        "</cellXfs>", '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyProtection="1"'
        ' quotePrefix="1"><protection locked="0"/></xf></cellXfs>')
    assert styles == expected
    ws = openpyxl.load_workbook(dest)["S"]
    assert ws["A1"].quotePrefix and ws["A1"].protection.locked is False and ws["A1"].value == "=cmd"

    # No formula-like text: styles.xml is not touched at all (same compressed bytes, even).
    dest2, _ = fill(tmp_path, src, ("S", "A1", "Yes"))
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dest2) as b:
        assert a.read("xl/styles.xml") == b.read("xl/styles.xml")


def test_a_cell_whose_style_already_has_quote_prefix_keeps_it(tmp_path):
    styles = STYLES.replace('<cellXfs count="3">', '<cellXfs count="4">').replace(
        "</cellXfs>", '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>')
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml('<row r="1"><c r="A1" s="3"/></row>')},
                parts={"xl/styles.xml": styles})
    dest, _ = fill(tmp_path, src, ("S", "A1", "=x"), ("S", "B1", "-y"))
    after = cells(part(dest))
    assert 's="3"' in after["A1"] and 's="4"' in after["B1"]  # B1 (style 0) gets a new variant
    assert part(dest, "xl/styles.xml").count("<xf ") == 6


def test_without_a_styles_part_the_text_is_still_exact_and_a_note_says_why(tmp_path):
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml("")}, parts={"xl/styles.xml": "<styleSheet/>"})
    dest, result = fill(tmp_path, src, ("S", "A1", "=1+1"))
    assert openpyxl.load_workbook(dest)["S"]["A1"].value == "=1+1"
    assert result.notes and "quotePrefix" in result.notes[0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_destination_equal_to_source_is_refused_and_source_untouched(tmp_path):
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml("")})
    before = _digest(src)
    with pytest.raises(InputFileError, match="original questionnaire"):
        write_cells(src, tmp_path / "." / "in.xlsx", [CellWrite(sheet="S", cell="A1", value="x")])
    with pytest.raises(InputFileError, match="folder does not exist"):
        write_cells(src, tmp_path / "missing" / "out.xlsx", [])
    assert _digest(src) == before


def test_damaged_part_leaves_no_output_and_no_temporary_file(tmp_path):
    payload = "<z>" + "payload " * 500 + "</z>"
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml("")}, parts={"xl/zz.xml": payload})
    raw = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo("xl/zz.xml")
    data_start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[data_start + 5] ^= 0xFF  # corrupt the compressed bytes of the last part
    src.write_bytes(bytes(raw))
    before = _digest(src)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(InputFileError, match="damaged"):
        write_cells(src, out_dir / "filled.xlsx", [CellWrite(sheet="S", cell="A1", value="x")])
    assert list(out_dir.iterdir()) == []
    assert _digest(src) == before


def test_existing_destination_is_replaced_whole(tmp_path):
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml("")})
    dest = tmp_path / "out.xlsx"
    dest.write_bytes(b"old content")
    write_cells(src, dest, [CellWrite(sheet="S", cell="A1", value="new")])
    assert openpyxl.load_workbook(dest)["S"]["A1"].value == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "out.xlsx"]


def test_not_a_workbook_is_an_input_error(tmp_path):
    src = tmp_path / "in.xlsx"
    src.write_bytes(b"just text")
    with pytest.raises(InputFileError, match="not an .xlsx"):
        write_cells(src, tmp_path / "out.xlsx", [])


@pytest.mark.parametrize(("workbook_xml", "expected"), [
    (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets>'
     '<calcPr calcId="191029"/></workbook>', '<calcPr calcId="191029" fullCalcOnLoad="1"/>'),
    (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets>'
     '<calcPr fullCalcOnLoad="0" calcId="1"></calcPr></workbook>', '<calcPr fullCalcOnLoad="1" calcId="1">'),
    (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets>'
     '<extLst/></workbook>', '</sheets><calcPr fullCalcOnLoad="1"/><extLst/>'),
])
def test_recalculate_on_open_sets_full_calc_on_load_only_when_asked(tmp_path, workbook_xml, expected):
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml("")})
    with zipfile.ZipFile(src) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts["xl/workbook.xml"] = workbook_xml.encode()
    with zipfile.ZipFile(src, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    plain, _ = fill(tmp_path, src, ("S", "A1", "x"))
    assert part(plain, "xl/workbook.xml") == workbook_xml
    dest = tmp_path / "recalc.xlsx"
    write_cells(src, dest, [CellWrite(sheet="S", cell="A1", value="x")], recalculate_on_open=True)
    assert expected in part(dest, "xl/workbook.xml")
    assert openpyxl.load_workbook(dest).calculation.fullCalcOnLoad is True


def test_unexpected_markup_in_cell_data_is_refused_rather_than_guessed(tmp_path):
    src = build(tmp_path / "in.xlsx", {"S": sheet_xml('<row r="1"><c r="A1"/><!-- note --><c r="B1"/></row>')})
    dest, result = fill(tmp_path, src, ("S", "B1", "x"))
    assert [s.reason for s in result.skipped] == [
        "the sheet's cell data holds XML comments or instructions Excel never writes"]
    assert part(dest) == part(src)
    src = build(tmp_path / "in2.xlsx", {"S": sheet_xml('<row r="1"><c r="A1"/><odd/><c r="B1"/></row>')})
    dest, result = fill(tmp_path, src, ("S", "B1", "x"))
    assert [s.reason for s in result.skipped] == [
        "this row holds something other than cells; the row was left as it is"]
    assert part(dest) == part(src)


def test_quote_prefix_styles_handle_prefixes_quoting_and_refuse_what_they_cannot_read():
    from exports.styles import QuotePrefixStyles

    prefixed = (f'<x:styleSheet xmlns:x="{MAIN}"><x:cellXfs count="2"><x:xf numFmtId="0" fontId="0"/>'
                "<x:xf numFmtId='1' quotePrefix='0' applyAlignment='1'><x:alignment wrapText='1'/></x:xf>"
                "</x:cellXfs></x:styleSheet>")
    styles = QuotePrefixStyles(prefixed)
    assert styles.xml() is None  # nothing asked for, nothing changed
    assert (styles.variant(1), styles.variant(0), styles.variant(1), styles.variant(2)) == (2, 3, 2, None)
    assert styles.xml() == prefixed.replace('count="2"', 'count="4"').replace(
        "</x:cellXfs>", "<x:xf numFmtId='1' quotePrefix=\"1\" applyAlignment='1'><x:alignment wrapText='1'/>"
        '</x:xf><x:xf numFmtId="0" fontId="0" quotePrefix="1"/></x:cellXfs>')

    no_count = f'<styleSheet xmlns="{MAIN}"><cellXfs><xf/></cellXfs></styleSheet>'
    styles = QuotePrefixStyles(no_count)
    assert styles.variant(0) == 1
    assert styles.xml() == no_count.replace("</cellXfs>", '<xf quotePrefix="1"/></cellXfs>')

    for unreadable in (f'<styleSheet xmlns="{MAIN}"><cellXfs count="1"><!-- x --><xf/></cellXfs></styleSheet>',
                       f'<styleSheet xmlns="{MAIN}"><cellXfs count="0"/></styleSheet>', "not xml", None):
        styles = QuotePrefixStyles(unreadable)
        assert styles.variant(0) is None and styles.xml() is None, unreadable
