"""Builders for the small workbooks the intake tests read (no tests here).

Each builder writes a real file with openpyxl; two post-processing helpers add what openpyxl cannot
write itself: cached formula values, and the x14 drop-down extension HECVAT 4 uses.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, Protection
from openpyxl.worksheet.datavalidation import DataValidation


def rewrite_part(path: Path, part: str, edit) -> None:
    """Rewrite one XML part of a workbook zip in place."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                data = edit(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
    shutil.move(tmp, path)


def inject_cached(path: Path, part: str, values: dict[str, str]) -> None:
    """Give formula cells a cached value, as Excel would have saved it."""
    def edit(xml: str) -> str:
        for ref, text in values.items():
            pattern = re.compile(rf'<c r="{ref}"([^>]*)><f>(.*?)</f>(?:<v\s*/>|<v>[^<]*</v>)?</c>')
            xml, n = pattern.subn(lambda m, t=text: f'<c r="{ref}"{m.group(1)} t="str"><f>{m.group(2)}</f>'
                                                    f"<v>{t}</v></c>", xml)
            assert n == 1, f"no formula cell {ref} in {part}"
        return xml
    rewrite_part(path, part, edit)


def inject_x14_list(path: Path, part: str, formula: str, sqref: str) -> None:
    """Add an x14 list validation (the extension form openpyxl drops) to a sheet."""
    ext = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
           'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
           '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
           '<x14:dataValidation type="list" allowBlank="1" showErrorMessage="1"><x14:formula1>'
           f"<xm:f>{formula}</xm:f></x14:formula1><xm:sqref>{sqref}</xm:sqref></x14:dataValidation>"
           "</x14:dataValidations></ext></extLst>")
    rewrite_part(path, part, lambda xml: xml.replace("</worksheet>", ext + "</worksheet>"))


def vendor_workbook(path: Path) -> Path:
    """A typical customer sheet: title block, form fields, instructions, header on row 7, comment
    column BEFORE the answer column, merged section rows, a hidden Lists sheet feeding the drop-down,
    a reviewer-notes column, a hidden row and a hidden column."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Questionnaire"
    ws["A1"] = "ACME BANK PLC"
    ws["A2"] = "Supplier Security Questionnaire"
    ws["B3"], ws["C3"] = "Supplier name:", "Northwind"
    ws["B4"], ws["C4"] = "Completed by / date:", ""
    ws["A5"] = ("Please complete all questions. Where a question does not apply select N/A and explain why. "
                "Statements are requirements: answer Yes if you meet them in full.")
    ws.merge_cells("A5:F5")
    ws.append([])
    ws.append(["Ref", "Question / Requirement", "Comments / Explanation", "Supplier Response",
               "Reviewer Notes (internal use)", "Hidden helper"])
    rows = [
        ("SECTION 1 - GOVERNANCE", None),
        ("DSP-03.2", "Do you maintain a written information security policy?"),
        ("DSP-03.3", "Backups: how often are full backups taken?"),
        ("DSP-03.4", "The vendor encrypts data at rest."),
        ("SECTION 2 - ACCESS", None),
        ("IAM-01", "Is MFA enforced for all administrative access?"),
        ("IAM-02", "Describe how access is revoked when staff leave."),
        ("IAM-03", "This row is hidden and not a question?"),
        ("IAM-04", "Privileged access is reviewed quarterly."),
    ]
    for ref, text in rows:
        ws.append([ref, text])
        r = ws.max_row
        if text is None:
            ws.merge_cells(f"A{r}:F{r}")
    ws.row_dimensions[15].hidden = True
    ws.column_dimensions["F"].hidden = True
    ws["F9"] = "Is this hidden column a question?"
    ws.append([None, "Note: attach evidence where available."])
    lists = wb.create_sheet("Lists")
    for i, v in enumerate(["Yes", "No", "Partial", "N/A"], 1):
        lists.cell(i, 1, v)
    lists.sheet_state = "hidden"
    dv = DataValidation(type="list", formula1="=Lists!$A$1:$A$4", allow_blank=True)
    ws.add_data_validation(dv)
    for r in (9, 10, 11, 13, 14, 15, 16):
        dv.add(f"D{r}")
    wb.save(path)
    return path


def split_workbook(path: Path) -> Path:
    """CAIQ v3 style: a two-row header, 'Answers' merged over Yes | No | N/A columns expecting an X,
    a control domain merged down a group of rows, and IDs inside the question text."""
    wb = Workbook()
    ws = wb.active
    ws.title = "CAIQ"
    ws["A1"] = "Consensus Assessments Initiative Questionnaire"
    ws.append([])
    ws.append(["Control Domain", "Question ID", "Consensus Assessment Questions",
               "Consensus Assessment Answers",
               None, None, "Notes"])
    ws.merge_cells("D3:F3")
    ws.append([None, None, None, "Yes", "No", "Not Applicable", None])
    data = [
        ("Application & Interface Security", "AIS-01.1",
         "Do you use industry standards to build in security?",
         "X", None, None, "OWASP ASVS"),
        (None, "AIS-01.2", "Do you use an automated source code analysis tool?", None, None, None, None),
        (None, "AIS-01.3", "3.1.4 Do you review code before release?", None, "x", None, None),
        ("Audit Assurance", "AAC-01.1", "Do you produce audit assertions using a structured format?",
         None, None, None, None),
        (None, "AAC-01.2", "Q12. Do you allow tenants to view your SOC 2 report?", None, None, None, None),
    ]
    for rec in data:
        ws.append(list(rec))
    ws.merge_cells("A5:A7")
    ws.merge_cells("A8:A9")
    wb.save(path)
    return path


def multi_sheet_workbook(path: Path) -> Path:
    """A cover sheet, an instructions sheet, two question sheets and a hidden sheet of questions."""
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover["A1"] = "Vendor Risk Assessment 2025"
    cover["A3"], cover["B3"] = "Vendor:", "Northwind"
    ins = wb.create_sheet("Instructions")
    for i, line in enumerate(["How to complete", "1. Answer every question in the Response column.",
                              "2. Use the Notes column to explain your answer.",
                              "3. Return the completed workbook to us."], 1):
        ins.cell(i, 1, line)
    for title, qs in (("Security", ["Do you encrypt data in transit?",
                                    "Do you run annual penetration tests?"]),
                      ("Privacy", ["Do you have a privacy officer?", "Where is personal data stored?",
                                   "Do you sell personal data?"])):
        ws = wb.create_sheet(title)
        ws.append(["#", "Question", "Response", "Notes"])
        for i, q in enumerate(qs, 1):
            ws.append([i, q])
    hidden = wb.create_sheet("Old questions")
    hidden.append(["#", "Question", "Response", "Notes"])
    hidden.append([1, "Is this an old question?"])
    hidden.sheet_state = "hidden"
    wb.save(path)
    return path


def protected_workbook(path: Path) -> Path:
    """A protected sheet where only some answer cells are unlocked, and one already answered."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Assessment"
    ws.append(["ID", "Question", "Answer", "Comment"])
    ws.append(["A.1", "Do you have an incident response plan?", "Yes", "Tested yearly"])
    ws.append(["A.2", "Do you log administrator actions?"])
    ws.append(["A.3", "Do you scan for vulnerabilities weekly?"])
    for r in (2, 3):
        for c in ("C", "D"):
            ws[f"{c}{r}"].protection = Protection(locked=False)
    ws["B2"].font = Font(bold=True)
    ws.protection.sheet = True
    wb.save(path)
    return path


def formula_workbook(path: Path) -> Path:
    """HECVAT style: question text pulled by VLOOKUP from a hidden Questions sheet; a mirrored row
    whose answer is a formula; x14 drop-down to a hidden Auto Responses sheet. Saved by openpyxl, so
    formulas have no cached values (as after a tool filled and saved the file)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Product"
    ws["A1"] = "Solution Provider Response - Product"
    ws.append([])
    ws.append([" Data", None, "Answer", "Additional Information", "Guidance", "Analyst Notes"])
    ids = ["DATA-01", "DATA-02", "DATA-03"]
    for i, qid in enumerate(ids, 4):
        ws.append([qid, f'=VLOOKUP($A{i},Questions!$A$2:$B$10,2,0)&""'])
    ws.append(["GNRL-01", "=VLOOKUP($A7,Questions!$A$2:$B$10,2,0)", "=Start!B2"])
    q = wb.create_sheet("Questions")
    q.append(["ID", "Question"])
    for qid, text in zip([*ids, "GNRL-01"],
                         ["Is data encrypted in transit?", "Is data encrypted at rest?",
                          "Describe your key management process.", "Solution Provider Name"], strict=True):
        q.append([qid, text])
    q.sheet_state = "hidden"
    auto = wb.create_sheet("Auto Responses")
    for i, v in enumerate(["Yes", "No", "N/A"], 1):
        auto.cell(i, 1, v)
    auto.sheet_state = "hidden"
    start = wb.create_sheet("Start")
    start["A2"], start["B2"] = "GNRL-01", "Northwind"
    start.sheet_state = "hidden"
    wb.save(path)
    inject_x14_list(path, "xl/worksheets/sheet1.xml", "'Auto Responses'!$A$1:$A$3", "C4:C5")
    return path


def control_list_workbook(path: Path) -> Path:
    """A control catalog: IDs, names and control text, no answer column."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Controls"
    ws.append(["Control Identifier", "Control Name", "Control Text", "Discussion"])
    ws.append(["AC-1", "Policy and Procedures", "Develop, document and disseminate an access control policy.",
               "Access control policy addresses the controls in the AC family."])
    ws.append(["AC-2", "Account Management", "Define and document the types of accounts allowed.",
               "Examples of system account types include individual, shared and group accounts."])
    wb.save(path)
    return path


SIMPLE_ROWS = [
    ["Security questionnaire for Northwind", "", "", ""],
    ["", "", "", ""],
    ["No.", "Question", "Answer", "Comments"],
    ["", "Access Control", "", ""],
    ["1.1", "Do you enforce MFA for administrators?", "", ""],
    ["1.2", "Passwords are at least 12 characters long.", "Yes", "Enforced by IdP"],
    ["", "Data Protection", "", ""],
    ["2.1", "Where is customer data stored?", "", ""],
    ["2.2", "Do you encrypt backups?", "", ""],
]
SIMPLE_QUESTION_ROWS = [5, 6, 8, 9]


def simple_xlsx(path: Path, rows=SIMPLE_ROWS) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for rec in rows:
        ws.append([v if v != "" else None for v in rec])
    wb.save(path)
    return path


def simple_csv(path: Path, rows=SIMPLE_ROWS, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    import csv
    import io
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path
