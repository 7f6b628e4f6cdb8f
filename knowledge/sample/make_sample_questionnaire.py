"""Build ``sample_questionnaire.xlsx``: a customer security questionnaire for the sample content.

The workbook imitates what a customer (the fictional Acme Corp) sends a vendor (the fictional
Skyward Apps) about its ``planner`` product: an instructions sheet, then a question sheet with a
title block, a header row at row 6, merged section headings and a Yes/No/N/A dropdown.
Most questions are worded differently from ``facts.yaml``; a few are deliberately not answerable
from it, so a demo shows both matches and honest gaps.

Run ``python knowledge/sample/make_sample_questionnaire.py`` to regenerate. Output is byte-for-byte
deterministic so the committed workbook only changes when this script does.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "sample_questionnaire.xlsx"
PRODUCT = "planner"
QUESTION_SHEET = "Security Questionnaire"
HEADER_ROW = 6
HEADERS = ("#", "Question", "Response", "Comments")
RESPONSE_CHOICES = ("Yes", "No", "N/A")

# Fixed timestamp for document properties and zip entries: a timestamp of "now" would make every
# regeneration a spurious diff.
FIXED_TIME = dt.datetime(2026, 1, 15, 9, 0, 0)

# (section title, [(question number, question text, fact id that answers it or None)]).
# The fact ids are not written to the workbook (a customer would not know them); they let tests
# check the sample stays answerable as facts.yaml evolves. None marks a question with no fact.
SECTIONS: list[tuple[str, list[tuple[str, str, str | None]]]] = [
    ("1. Company and Compliance", [
        ("1.1", "Please confirm whether your organisation holds a current SOC 2 Type 2 attestation.", "soc2"),
        ("1.2", "Is your company certified against ISO/IEC 27001?", "iso-27001"),
        ("1.3", "Do you carry cyber liability insurance? If so, state the coverage limit.", None),
        ("1.4", "Are all personnel required to complete information security awareness training?",
         "security-training"),
        ("1.5", "Is the service authorized under FedRAMP (Moderate or High)?", None),
    ]),
    ("2. Data Protection", [
        ("2.1", "Is all Acme data encrypted while it travels across networks? Specify the protocol.",
         "encryption-in-transit"),
        ("2.2", "Is Acme data encrypted when stored, including databases, file stores and backups?",
         "encryption-at-rest"),
        ("2.3", "Describe how cryptographic keys are generated, stored and rotated.", "key-management"),
        ("2.4", "In which geographic region(s) will Acme data be hosted?", "data-storage-location"),
        ("2.5", "Can Acme data be kept exclusively within the European Union?", "data-residency"),
    ]),
    ("3. Identity and Access Management", [
        ("3.1", "Can Acme integrate Planner with Okta for single sign-on?", "sso-saml"),
        ("3.2", "Can Acme enforce two-factor authentication for all of its Planner users?", "customer-mfa"),
        ("3.3", "Do your administrators use MFA when accessing production infrastructure?", "staff-mfa"),
        ("3.4", "Describe the roles and permission levels available to Acme users in Planner.", "rbac"),
        ("3.5", "What access to our Google or Microsoft 365 calendars does Planner require, and why?",
         "planner-calendar-permissions"),
        ("3.6", "How frequently are employee access rights to production systems reviewed?",
         "access-reviews"),
    ]),
    ("4. Logging and Incident Response", [
        ("4.1", "Does Planner record administrative actions in an audit log available to Acme?",
         "audit-trail"),
        ("4.2", "For how long are audit records retained and available to Acme?", "audit-log-retention"),
        ("4.3", "Do you maintain a formal incident response plan, and is it tested?",
         "incident-response-plan"),
        ("4.4", "Within what timeframe will Acme be notified of a security breach affecting its data?",
         "breach-notification"),
        ("4.5", "Will you grant Acme the right to perform an on-site audit of your offices?", None),
    ]),
    ("5. Business Continuity and Data Lifecycle", [
        ("5.1", "How often are backups of Planner data taken?", "backup-frequency"),
        ("5.2", "What is the maximum data loss (RPO) Acme should expect in a disaster?", "rpo"),
        ("5.3", "What is the target time to restore the service after a disaster (RTO)?", "rto"),
        ("5.4", "Upon termination, will Acme data be securely destroyed? Specify the timeframe.",
         "data-deletion-contract-end"),
        ("5.5", "Will you execute a HIPAA Business Associate Agreement with Acme?", None),
        ("5.6", "Is an on-premises deployment option of Planner available?", None),
    ]),
    ("6. Application Security", [
        ("6.1", "Is the application penetration tested by an independent firm at least annually?",
         "penetration-testing"),
        ("6.2", "Do you perform automated static code analysis as part of your build pipeline?", "sast"),
        ("6.3", "Does the Planner mobile app implement jailbreak and root detection?", None),
        ("6.4", "Is there a published way for outside researchers to report security flaws to you?",
         "vulnerability-disclosure"),
    ]),
    ("7. Privacy", [
        ("7.1", "Will you sign a data processing agreement with Acme?", "dpa"),
        ("7.2", "Provide the list of sub-processors that will have access to Acme data.", "sub-processors"),
        ("7.3", "Do you sell, rent or otherwise monetise customer data?", "no-sale-of-data"),
    ]),
]

INSTRUCTIONS = [
    "Acme Corp Vendor Security Questionnaire",
    "",
    "Acme Corp (fictional) asks every vendor that will process Acme data to complete this questionnaire.",
    "Product under assessment: Skyward Planner (vendor: Skyward Apps, fictional).",
    "",
    "Instructions",
    "1. Answer every question on the 'Security Questionnaire' sheet.",
    "2. Choose Yes, No or N/A in the Response column; use N/A only when the control does not apply.",
    "3. Explain each answer in the Comments column, citing evidence where possible.",
    "4. Do not rename sheets, insert columns or change question numbers.",
    "5. Return the completed file to vendor-risk@acme.example within 10 business days.",
]

_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="1F3864")
_SECTION_FILL = PatternFill("solid", fgColor="D9E1F2")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def questions() -> list[tuple[str, str, str | None]]:
    """All (number, text, fact id or None) rows in sheet order."""
    return [q for _, rows in SECTIONS for q in rows]


def _cover_sheet(wb: Workbook) -> None:
    ws = wb.active
    ws.title = "Instructions"
    ws.column_dimensions["A"].width = 110
    for row, text in enumerate(INSTRUCTIONS, start=1):
        cell = ws.cell(row=row, column=1, value=text or None)
        cell.alignment = Alignment(wrap_text=True)
    ws["A1"].font = Font(bold=True, size=16)
    ws["A6"].font = Font(bold=True, size=12)


def _question_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(QUESTION_SHEET)
    for col, width in zip("ABCD", (8, 70, 14, 60), strict=True):
        ws.column_dimensions[col].width = width

    # Title block (rows 1-5), as customers put it above the table.
    ws.merge_cells("A1:D1")
    ws["A1"] = "Acme Corp Vendor Security Questionnaire"
    ws["A1"].font = Font(bold=True, size=14)
    for row, (label, value) in enumerate(
        [("Vendor:", "Skyward Apps"), ("Product:", "Skyward Planner"), ("Completed by / date:", None)],
        start=2,
    ):
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        ws.cell(row=row, column=3, value=value)
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=4)
    ws.merge_cells("A5:D5")
    ws["A5"] = "Select Yes / No / N/A in the Response column and explain your answer in Comments."
    ws["A5"].font = Font(italic=True)

    for col, title in enumerate(HEADERS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")

    choices = ",".join(RESPONSE_CHOICES)
    # Warning style rather than stop: customers accept a short qualified answer such as
    # "Yes (AES-256)" after Excel's prompt, and a strict list would refuse it outright.
    dropdown = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True,
                              errorStyle="warning", showErrorMessage=True,
                              errorTitle="Response", error="Please choose Yes, No or N/A.")
    ws.add_data_validation(dropdown)

    row = HEADER_ROW + 1
    for title, rows in SECTIONS:
        ws.cell(row=row, column=1, value=title)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(HEADERS))
        ws.cell(row=row, column=1).font = Font(bold=True)
        ws.cell(row=row, column=1).fill = _SECTION_FILL
        row += 1
        for number, text, _fact in rows:
            for col, value in enumerate((number, text, None, None), start=1):
                cell = ws.cell(row=row, column=col, value=value)
                cell.border = _BORDER
                cell.alignment = _WRAP_TOP
            dropdown.add(f"C{row}")
            row += 1

    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0


def build_workbook() -> Workbook:
    wb = Workbook()
    wb.properties.creator = "Acme Corp Vendor Risk"
    wb.properties.title = "Acme Corp Vendor Security Questionnaire"
    wb.properties.created = FIXED_TIME
    _cover_sheet(wb)
    _question_sheet(wb)
    wb.active = 1  # open on the questions
    return wb


def _normalise_zip(raw: bytes) -> bytes:
    """Rewrite the package with fixed entry times and a fixed modified date.

    openpyxl stamps ``dcterms:modified`` with the save time and zipfile stamps each entry with the
    current local time; both would make the file differ on every run.
    """
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, data)
    return out.getvalue()


def render() -> bytes:
    """The workbook as deterministic .xlsx bytes."""
    buf = io.BytesIO()
    build_workbook().save(buf)
    return _normalise_zip(buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else OUTPUT
    target.write_bytes(render())
    print(f"wrote {target} ({len(questions())} questions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
