"""Intake on small workbooks built here, one per layout shape customers send."""

from __future__ import annotations

import time

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from test_intake_helpers import (
    control_list_workbook,
    formula_workbook,
    inject_cached,
    multi_sheet_workbook,
    protected_workbook,
    split_workbook,
    vendor_workbook,
)

from trustfill.errors import InputFileError
from trustfill.intake import LayoutOverrides, format_layout, read_questionnaire


@pytest.fixture
def vendor(tmp_path):
    return read_questionnaire(vendor_workbook(tmp_path / "vendor.xlsx"))


def test_header_after_title_block_and_comment_before_answer(vendor):
    (sheet,) = vendor.layout.sheets
    assert (sheet.header_row, sheet.question_col, sheet.answer_col, sheet.comment_col, sheet.id_col) == \
        (7, "B", "D", "C", "A")
    assert vendor.layout.skipped == {"Lists": "hidden sheet"}


def test_only_question_rows_are_found(vendor):
    # Not: title, form fields, instructions, merged section rows, the hidden row 15, the note row 17.
    assert [q.row for q in vendor.questions] == [9, 10, 11, 13, 14, 16]
    texts = [q.text for q in vendor.questions]
    assert "Backups: how often are full backups taken?" in texts
    assert "The vendor encrypts data at rest." in texts  # a control statement is a question
    assert not any("hidden column" in t for t in texts)


def test_cells_refs_sections_and_choices_from_hidden_list_sheet(vendor):
    q = vendor.questions[0]
    assert (q.ref, q.question_cell, q.answer_cell, q.comment_cell) == ("DSP-03.2", "B9", "D9", "C9")
    assert q.section == "SECTION 1 - GOVERNANCE"
    assert vendor.questions[3].section == "SECTION 2 - ACCESS"
    assert q.answer_kind == "choice" and q.choices == ["Yes", "No", "Partial", "N/A"]
    assert not q.prefilled and not q.locked


def test_reviewer_notes_column_is_not_the_comment_column(vendor):
    assert vendor.layout.sheets[0].comment_col == "C"  # not E "Reviewer Notes (internal use)"


def test_split_yes_no_na_columns_two_row_header_and_category_merged_down(tmp_path):
    intake = read_questionnaire(split_workbook(tmp_path / "caiq.xlsx"))
    (sheet,) = intake.layout.sheets
    assert sheet.split_answer_cols == {"Yes": "D", "No": "E", "Not Applicable": "F"}
    assert sheet.question_col == "C" and sheet.comment_col == "G" and sheet.id_col == "B"
    assert [q.row for q in intake.questions] == [5, 6, 7, 8, 9]
    first, _, third, fourth, fifth = intake.questions
    assert first.answer_kind == "split" and first.answer_cell is None
    assert first.split_cells == {"Yes": "D5", "No": "E5", "Not Applicable": "F5"}
    assert (first.existing_answer, first.prefilled, first.existing_comment) == ("Yes", True, "OWASP ASVS")
    assert third.existing_answer == "No"
    assert third.section == "Application & Interface Security"  # merged A5:A7
    assert fourth.section == fifth.section == "Audit Assurance"
    assert fifth.ref == "AAC-01.2"  # the ID column wins over the number inside the text
    assert fifth.text == "Do you allow tenants to view your SOC 2 report?"
    assert third.text == "Do you review code before release?"


def test_several_question_sheets_beside_cover_instructions_and_hidden(tmp_path):
    intake = read_questionnaire(multi_sheet_workbook(tmp_path / "multi.xlsx"))
    assert [s.sheet for s in intake.layout.sheets] == ["Security", "Privacy"]
    assert [(q.sheet, q.row) for q in intake.questions] == [
        ("Security", 2), ("Security", 3), ("Privacy", 2), ("Privacy", 3), ("Privacy", 4)]
    assert intake.layout.skipped["Old questions"] == "hidden sheet"
    assert set(intake.layout.skipped) == {"Cover", "Instructions", "Old questions"}
    assert all(q.answer_kind == "text" and q.comment_cell for q in intake.questions)


def test_protected_sheet_marks_locked_answer_cells_and_prefilled(tmp_path):
    intake = read_questionnaire(protected_workbook(tmp_path / "prot.xlsx"))
    a1, a2, a3 = intake.questions
    assert (a1.prefilled, a1.existing_answer, a1.existing_comment, a1.locked) == \
        (True, "Yes", "Tested yearly", False)
    assert (a2.prefilled, a2.locked) == (False, False)
    assert a3.locked is True


def test_uncached_vlookup_question_text_recovered_and_x14_choices(tmp_path):
    intake = read_questionnaire(formula_workbook(tmp_path / "hecvat.xlsx"))
    assert [q.text for q in intake.questions] == [
        "Is data encrypted in transit?", "Is data encrypted at rest?",
        "Describe your key management process."]
    d1, _, d3 = intake.questions
    assert d1.choices == ["Yes", "No", "N/A"] and d1.answer_kind == "choice"
    assert d3.answer_kind == "text" and d3.comment_cell == "D6"
    notes = " ".join(intake.layout.sheets[0].notes)
    assert "formula" in notes  # the mirrored GNRL-01 row (answer is a formula) is skipped and said so


def test_cached_formula_value_is_what_is_read(tmp_path):
    path = formula_workbook(tmp_path / "cached.xlsx")
    inject_cached(path, "xl/worksheets/sheet1.xml", {"B4": "Cached: is data encrypted in transit?"})
    intake = read_questionnaire(path)
    assert intake.questions[0].text == "Cached: is data encrypted in transit?"
    assert intake.questions[1].text == "Is data encrypted at rest?"


def test_control_list_without_answer_column_reads_statements_and_says_so(tmp_path):
    intake = read_questionnaire(control_list_workbook(tmp_path / "controls.xlsx"))
    (sheet,) = intake.layout.sheets
    assert sheet.answer_col is None and sheet.question_col == "C" and sheet.id_col == "A"
    assert any("no answer column found" in n for n in sheet.notes)
    assert [q.answer_kind for q in intake.questions] == ["none", "none"]
    assert intake.questions[0].ref == "AC-1"


def test_headings_and_instructions_in_the_question_column_are_not_questions(tmp_path):
    wb = Workbook()
    ws = wb.active
    for rec in [["Question", "Answer"], ["Access Control", None], ["Do you enforce MFA?", None],
                ["Vendor encrypts all data at rest.", None], ["Please answer every question below.", None],
                ["BUSINESS CONTINUITY", None], ["Backups: how often are they tested?", None],
                ["Copyright 2024 Example Corp", None]]:
        ws.append(rec)
    wb.save(tmp_path / "h.xlsx")
    intake = read_questionnaire(tmp_path / "h.xlsx")
    assert [q.row for q in intake.questions] == [3, 4, 7]
    assert intake.questions[0].section == "Access Control"
    assert intake.questions[2].section == "BUSINESS CONTINUITY"


def test_numbered_parent_rows_are_headings(tmp_path):
    wb = Workbook()
    ws = wb.active
    for rec in [["#", "Requirement", "Response"], ["1", "Governance"], ["1.1", "A security policy exists."],
                ["1.2", "Is the policy reviewed yearly?"], ["2", "Operations"],
                ["2.1", "Do you patch monthly?"]]:
        ws.append(rec)
    wb.save(tmp_path / "n.xlsx")
    intake = read_questionnaire(tmp_path / "n.xlsx")
    assert [(q.row, q.ref, q.section) for q in intake.questions] == [
        (3, "1.1", "Governance"), (4, "1.2", "Governance"), (6, "2.1", "Operations")]


def test_whole_sheet_validation_range_is_not_expanded(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Question", "Response"])
    ws.append(["Do you encrypt data?"])
    dv = DataValidation(type="list", formula1='"Yes,No"')
    dv.add("A1:XFD1048576")
    ws.add_data_validation(dv)
    wb.save(tmp_path / "big.xlsx")
    t0 = time.perf_counter()
    intake = read_questionnaire(tmp_path / "big.xlsx")
    assert time.perf_counter() - t0 < 5
    assert intake.questions[0].choices == ["Yes", "No"]


def test_overrides_correct_columns_header_and_force_a_sheet(tmp_path):
    path = vendor_workbook(tmp_path / "v.xlsx")
    fixed = read_questionnaire(path, LayoutOverrides(sheet="Questionnaire", answer_col="C", comment_col="D"))
    sheet = fixed.layout.sheets[0]
    assert (sheet.answer_col, sheet.comment_col) == ("C", "D")
    assert fixed.questions[0].answer_cell == "C9"
    forced = read_questionnaire(path, [LayoutOverrides(sheet="lists", question_col="A")])
    lists = {s.sheet: s for s in forced.layout.sheets}["Lists"]  # hidden, but named: read and shown
    assert lists.question_count == 0 and "no questions found" in " ".join(lists.notes)
    assert len(forced.questions) == 6
    header = read_questionnaire(path, LayoutOverrides(header_row=7))
    assert [q.row for q in header.questions] == [9, 10, 11, 13, 14, 16]


def test_bad_overrides_are_input_errors(tmp_path):
    path = vendor_workbook(tmp_path / "v.xlsx")
    with pytest.raises(InputFileError, match="no sheet named 'Nope'.*'Questionnaire'"):
        read_questionnaire(path, LayoutOverrides(sheet="Nope"))
    with pytest.raises(InputFileError, match="not a column letter"):
        read_questionnaire(path, LayoutOverrides(answer_col="D4"))
    with pytest.raises(InputFileError, match="outside the sheet"):
        read_questionnaire(path, LayoutOverrides(header_row=5000))


def test_format_layout_reads_at_a_glance(vendor):
    text = format_layout(vendor.layout)
    assert "vendor.xlsx (xlsx): 6 questions on 1 sheet" in text
    assert "Sheet 'Questionnaire': header row 7, rows 9-16, 6 questions" in text
    assert "question B, answer D, comment C, id A" in text
    assert "'Lists': hidden sheet" in text
    assert "--answer-col" in text


def test_layout_round_trips_as_json(vendor):
    from trustfill.intake import WorkbookLayout
    again = WorkbookLayout.model_validate_json(vendor.layout.model_dump_json())
    assert again == vendor.layout


def _sheet_with(tmp_path, name, header, rows, choices, choice_col):
    wb = Workbook()
    ws = wb.active
    ws.title = name
    ws.append(header)
    for row in rows:
        ws.append(row)
    dv = DataValidation(type="list", formula1=f'"{choices}"')
    ws.add_data_validation(dv)
    dv.add(f"{choice_col}2:{choice_col}{len(rows) + 1}")
    path = tmp_path / f"{name}.xlsx"
    wb.save(path)
    return read_questionnaire(path).layout.sheets[0]


def test_cloud_catalogue_headers_implementation_text_is_the_comment_ownership_is_not_a_question(tmp_path):
    # A cloud-control catalogue's columns: the provider's implementation text is where the explanation
    # goes; control ownership and the customer's responsibilities are not questions.
    sheet = _sheet_with(
        tmp_path, "Catalogue",
        ["Question ID", "Question", "Provider Answer", "Control Ownership",
         "Provider Implementation Description (Optional)", "Customer Responsibilities (Optional)"],
        [["X-01.1", "Are backups of customer data taken every day?", None, None, None, None],
         ["X-01.2", "Is data at rest encrypted with a key per tenant?", None, None, None, None]],
        "Yes,No,NA", "C",
    )
    assert (sheet.header_row, sheet.question_col, sheet.answer_col, sheet.comment_col, sheet.id_col) == \
        (1, "B", "C", "E", "A")


def test_short_form_headers_question_number_and_scoring_columns_still_make_a_header(tmp_path):
    sheet = _sheet_with(
        tmp_path, "Short form",
        ["Ques Num", "Question/Request", "Response", "Additional Information", "Maturity Level", "Scoring",
         "Control Area"],
        [["A.1", "Is there a formal incident response programme?", None, None, None, None, "Incidents"],
         ["A.2", "Are backups of scoped data performed?", None, None, None, None, "Continuity"]],
        "Yes,No,N/A", "C",
    )
    assert (sheet.header_row, sheet.question_col, sheet.answer_col, sheet.comment_col, sheet.id_col) == \
        (1, "B", "C", "D", "A")


def test_a_column_listing_the_response_options_is_not_the_answer_column(tmp_path):
    # "ID | Question | Response Options | Response | Comments", "Yes / No" on every row of the options
    # column: it had been read as the answer column, so every question was "pre-filled" and the filled copy
    # got nothing (a blind set laid out like Google's VSAQ).
    from trustfill.intake.text import header_role

    assert header_role("Possible answers") == header_role("Answer choices") == "ignore"
    assert header_role("Response") == header_role("Vendor response") == "answer"
    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Question", "Response Options", "Response", "Comments"])
    ws.append(["P-01", "Do you encrypt stored customer data?", "Yes / No", None, None])
    ws.append(["P-02", "How often are backups taken?", "Daily / Weekly / Monthly", None, None])
    path = tmp_path / "options.xlsx"
    wb.save(path)
    read = read_questionnaire(path)
    sheet = read.layout.sheets[0]
    assert (sheet.question_col, sheet.answer_col, sheet.comment_col) == ("B", "D", "E")
    assert [q.prefilled for q in read.questions] == [False, False]


def _questions_of(tmp_path, header: list[str], items: list[tuple[str, str]], before: tuple = ()) -> list[str]:
    """The question texts intake reads from a one-sheet workbook of (ID, text) rows under ``header``."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet"
    ws.append(header)
    for row in before:
        ws.append(list(row))
    for ref, text in items:
        ws.append([ref, text, None, None])
    path = tmp_path / "items.xlsx"
    wb.save(path)
    return [q.text for q in read_questionnaire(path).questions]


def test_short_best_practice_titles_with_segmented_ids_are_questions(tmp_path):
    # AWS Well-Architected-style items: "SEC01-BP01 | Separate workloads using accounts". IDs whose later
    # parts carry letters were not read as IDs, so short imperative titles read as headings (35 of 74
    # found on a real sheet of them).
    from trustfill.intake.text import is_strong_id

    assert is_strong_id("SEC01-BP01") and is_strong_id("A.5.36-q2")
    items = [("SEC01", "How do you securely operate your workload?"),
             ("SEC01-BP01", "Separate workloads using accounts"),
             ("SEC01-BP02", "Grant least privilege access"),
             ("SEC01-BP03", "Automate security controls"),
             ("SEC02", "How do you manage authentication?"),
             ("SEC02-BP01", "Use strong sign-in mechanisms")]
    assert _questions_of(tmp_path, ["ID", "Question", "Answer", "Comments"], items) == [t for _, t in items]


def test_machine_keys_in_the_id_column_code_their_rows_as_questions(tmp_path):
    # Marketplace and GRC exports key each row with a machine key ("SEC36_codeReview",
    # "webapp.application_name", "vendorName"); the short form fields under such keys read as headings
    # (93 of 103 found on a real attestation template), though a key codes a row as firmly as "GNRL-01".
    from trustfill.intake.text import is_code_id

    assert is_code_id("DHP_G16_tlsSupport") and is_code_id("webapp.application_name") and is_code_id("vendorName")
    assert not any(is_code_id(word) for word in ("General", "N/A", "Yes", "2023"))
    items = [("vendorName", "Vendor name"),
             ("GEN01_websiteLink", "Link to your company's website"),
             ("GEN02_supportEmail", "Customer support contact email"),
             ("SEC36_complianceAdditionalReviewer",
              "Is an additional person reviewing and approving all code changes submitted to production?"),
             ("SEC40_complianceEncryptionAtRest", "Is customer data encrypted at rest?"),
             ("webapp.application_roles_description", "Briefly describe the roles your application provides.")]
    assert _questions_of(tmp_path, ["Question ID", "Question", "Answer", "Comments"], items) == [t for _, t in items]


def test_an_acronym_under_a_numbered_id_is_an_item_not_a_shouted_heading(tmp_path):
    # "1.2.4 | PCI DSS", "1.2.5 | HIPAA": certifications listed as items to answer. All-capital text is
    # read as a heading ("SECTION 1 - PRODUCT & SERVICE"), but acronyms are names, not shouting.
    items = [("1.2.1", "Do you hold any of the following certifications?"),
             ("1.2.2", "ISO 27001"), ("1.2.3", "SOC 2 Type II"), ("1.2.4", "PCI DSS"), ("1.2.5", "HIPAA"),
             ("1.3.1", "Do you have a documented incident response plan?")]
    heading = [("1.1", "GOVERNANCE AND COMPLIANCE", None, None)]
    found = _questions_of(tmp_path, ["ID", "Question", "Answer", "Comments"], items, before=heading)
    lead = items[0][1]
    assert found == [lead, *(f"{lead} {t}" for _, t in items[1:5]), items[5][1]]  # items read with their lead-in


def test_hyphenated_numbers_in_the_id_column_code_short_items(tmp_path):
    # "6-01 | Background checks", "7-03 | Video surveillance": a template's short control names under
    # hyphenated numbers read as headings (76 of 98 rows found on a real one), though "6-01" numbers an
    # item as firmly as "6.01".
    items = [("5-01", "Do you have an incident response plan?"), ("6-01", "Background checks"),
             ("6-02", "Security awareness training"), ("7-01", "Data center security"),
             ("7-03", "Video surveillance"), ("8-01", "Is customer data encrypted at rest?")]
    assert _questions_of(tmp_path, ["ID", "Question", "Response", "Notes"], items) == [t for _, t in items]


def _bold_headed_workbook(path, rows: list[tuple[str, bool]]):
    """A "Question | Answer Options | Response | Comments" sheet of (text, bold) rows in column A."""
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Supplier"
    ws.append(["Question", "Answer Options", "Supplier Response", "Comments"])
    for c in ws[1]:
        c.font = Font(bold=True)
    for text, bold in rows:
        ws.append([text, None, None, None])
        if bold:
            ws.cell(ws.max_row, 1).font = Font(bold=True)
    wb.save(path)
    return path


def test_plain_fields_under_bold_headings_are_questions(tmp_path):
    # A supplier form whose headings are set in bold lists form fields in plain type ("Company Name",
    # "Backup frequency:") between its questions: all of them are to be filled in. They read like
    # headings, so they had been left out (a blind set: 40 of its 117 rows found).
    rows = [("Section 1: Company", True), ("Company Name", False), ("Contact Email", False),
            ("Security Organisation", True), ("Do you have a security team?", False),
            ("Backup frequency:", False), ("Risk Management", True),
            ("Do you perform risk assessments?", False), ("Last risk assessment date:", False)]
    read = read_questionnaire(_bold_headed_workbook(tmp_path / "fields.xlsx", rows))
    assert [q.row for q in read.questions] == [3, 4, 6, 7, 9, 10]
    assert read.questions[0].section == "Section 1: Company"
    assert read.questions[4].section == "Risk Management"


def test_bold_questions_do_not_make_plain_headings_fields(tmp_path):
    # Bold rows that ask something are emphasised questions, not headings: the plain short rows stay headings.
    rows = [("Do you encrypt data at rest?", True), ("Do you run backups daily?", True), ("Access Control", False),
            ("Do you enforce MFA for staff?", False), ("Is SSO available to customers?", False),
            ("Logging", False), ("Are logs kept for a year?", False), ("Are logs reviewed?", False)]
    read = read_questionnaire(_bold_headed_workbook(tmp_path / "bold_q.xlsx", rows))
    assert [q.row for q in read.questions] == [2, 3, 5, 6, 8, 9]


def test_items_under_a_lead_in_are_read_with_it(tmp_path):
    # "Is MFA required for:" then "Administrative access", "Customer data access": an item alone asks
    # nothing (it had been matched as "Customer data access" -> support staff's data access, suggested).
    rows = [("Authentication", True), ("What authentication methods do you use?", False),
            ("Is MFA required for:", False), ("Administrative access", False), ("Customer data access", False),
            ("Encryption", True), ("Key management:", False)]
    read = read_questionnaire(_bold_headed_workbook(tmp_path / "lead.xlsx", rows))
    texts = {q.row: q.text for q in read.questions}
    assert texts[5] == "Is MFA required for: Administrative access"
    assert texts[6] == "Is MFA required for: Customer data access"
    assert texts[8] == "Key management:"  # a heading ends the lead-in
    assert texts[3] == "What authentication methods do you use?"


def test_one_bold_lead_in_among_bold_headings_keeps_fields_and_leads_its_items(tmp_path):
    # A supplier form sets its headings in bold and, once, a lead-in too ("Is MFA required for:" in bold,
    # above plain items). That one bold question had made the sheet read as one that emphasises questions,
    # so its plain fields were taken for headings (a blind set: 58 of 118 rows found), and the items lost
    # their lead-in ("Customer data access" -> support staff's access, suggested).
    rows = [("Section 1: Company", True), ("Company Name", False), ("Contact Email", False),
            ("Authentication", True), ("What authentication methods do you use?", False),
            ("Is MFA required for:", True), ("Administrative access", False), ("Customer data access", False),
            ("Recovery", True), ("Recovery objectives for our services:", True),
            ("Recovery Point Objective (RPO)", False), ("Backup site:", False),
            ("Logging", True), ("Do you centralise security logs?", False), ("Log retention period:", False),
            ("Are logs reviewed daily?", False), ("Do you alert on failed sign-ins?", False),
            ("Are the following logged?", True), ("Administrator actions", False)]
    read = read_questionnaire(_bold_headed_workbook(tmp_path / "bold_lead.xlsx", rows))
    texts = {q.row: q.text for q in read.questions}
    assert sorted(texts) == [3, 4, 6, 8, 9, 12, 13, 15, 16, 17, 18, 19, 20]
    assert texts[20] == "Are the following logged? Administrator actions"
    assert texts[8] == "Is MFA required for: Administrative access"
    assert texts[9] == "Is MFA required for: Customer data access"
    # A bold heading that asks nothing ("Recovery objectives for our services:") leads nothing.
    assert texts[12] == "Recovery Point Objective (RPO)"


def test_a_colon_that_ends_every_row_does_not_make_lead_ins(tmp_path):
    # An architecture review ends every row in a colon ("Is password-less an option (Yes, No):", "MFA Support
    # (Yes, No):"): each short label had been read as an item of the row above ("Types of MFA supported
    # (...): SSO Support (Yes, No):") and so went unmatched.
    rows = [("Authentication", True), ("Is there a self built IdP (Yes, No):", False),
            ("Is password-less an option (Yes, No):", False), ("MFA Support (Yes, No):", False),
            ("Types of MFA supported (TOTP, SMS, etc.):", False), ("SSO Support (Yes, No):", False),
            ("Network", True), ("VPN required for End Users (Yes, No):", False),
            ("Is MFA required for:", False), ("Administrative access", False)]
    read = read_questionnaire(_bold_headed_workbook(tmp_path / "colons.xlsx", rows))
    texts = {q.row: q.text for q in read.questions}
    assert texts[5] == "MFA Support (Yes, No):"
    assert texts[7] == "SSO Support (Yes, No):"
    assert texts[11] == "Is MFA required for: Administrative access"  # "for:" needs what follows


def test_id_less_fields_under_bold_headings_in_the_id_column_are_questions(tmp_path):
    # Headings in bold in the ID column, questions coded "3.1", and the vendor's particulars and a
    # certification table without IDs: those rows had been read as headings (32 of 57 found on a blind set).
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Question", "Response options", "Response", "Comments"])
    rows = [("Section 1: Vendor", None, None), (None, "Company Name", None), (None, "Contact Email", None),
            ("Section 2: Certifications", None, None),
            ("2.1", "Do you maintain any of the following certifications?", None),
            (None, "Certification", "Yes/No"), (None, "SOC 2 Type II", None), (None, "ISO 27001", None),
            ("Section 3: Program", None, None), ("3.1", "Do you have a security policy?", "Yes / No"),
            ("3.2", "Do you train staff every year?", "Yes / No")]
    for ref, text, options in rows:
        ws.append([ref, text, options, None, None])
        for cell in ws[ws.max_row]:
            if cell.value in ("Certification", "Yes/No") or (cell.value or "").startswith("Section"):
                cell.font = Font(bold=True)
    path = tmp_path / "idfields.xlsx"
    wb.save(path)
    read = read_questionnaire(path)
    assert [q.row for q in read.questions] == [3, 4, 6, 8, 9, 11, 12]
    lead = "Do you maintain any of the following certifications?"
    assert read.questions[3].text == f"{lead} SOC 2 Type II"  # the table's header row does not end the lead-in
    assert read.questions[0].section == "Section 1: Vendor"


def test_a_table_under_a_question_is_read_as_its_items(tmp_path):
    # "What is your patch timeframe?" over a "Severity | Timeframe" table of "Critical", "High": "Critical"
    # alone had been suggested the critical-incident acknowledgement time.
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Question", "Response options", "Response"])
    for ref, text, other in [("Section 8: Vulnerabilities", None, None),
                             ("8.1", "Do you scan for vulnerabilities?", None),
                             ("8.2", "What is your patch timeframe?", None), (None, "Severity", "Timeframe"),
                             (None, "Critical", None), (None, "High", None), ("Section 9: People", None, None),
                             ("9.1", "Do you train staff?", None)]:
        ws.append([ref, text, other, None])
        for cell in ws[ws.max_row]:
            if cell.value in ("Severity", "Timeframe") or (cell.value or "").startswith("Section"):
                cell.font = Font(bold=True)
    path = tmp_path / "table.xlsx"
    wb.save(path)
    texts = [q.text for q in read_questionnaire(path).questions]
    assert texts == ["Do you scan for vulnerabilities?", "What is your patch timeframe?",
                     "What is your patch timeframe? Critical", "What is your patch timeframe? High",
                     "Do you train staff?"]


def test_a_standard_opening_a_row_is_its_text_not_its_id(tmp_path):
    # "ISO 9001 (QMS)" had been read as item "ISO 9001" asking "(QMS)", and "SOC 2 Type II" as item "SOC 2"
    # asking "Type II": matching then saw neither standard.
    from trustfill.intake.text import split_leading_id

    assert split_leading_id("ISO 9001 (QMS)") == ("", "ISO 9001 (QMS)")
    assert split_leading_id("SOC 2 Type II report") == ("", "SOC 2 Type II report")
    assert split_leading_id("A.1 Information security policies") == ("A.1", "Information security policies")
    rows = [("Certifications", True), ("Do you hold the following certifications?", False), ("ISO 9001 (QMS)", False),
            ("SOC 2 Type II", False), ("Access", True), ("Do you use MFA?", False)]
    read = read_questionnaire(_bold_headed_workbook(tmp_path / "std.xlsx", rows))
    lead = "Do you hold the following certifications?"
    assert [(q.ref, q.text) for q in read.questions][1:3] == [("", f"{lead} ISO 9001 (QMS)"),
                                                             ("", f"{lead} SOC 2 Type II")]


def test_a_breakdown_asked_by_severity_reads_the_rows_under_it_as_its_items(tmp_path):
    # "What are your remediation SLAs by severity?" over "Critical:", "High:": "Critical:" alone had been
    # suggested the critical-incident acknowledgement time (a blind vendor questionnaire).
    rows = [("Vulnerability Management", True), ("How often do you scan for vulnerabilities?", False),
            ("What are your remediation SLAs by severity?", False), ("Critical:", False), ("High:", False),
            ("Logging", True), ("Are logs retained?", False)]
    texts = [q.text for q in read_questionnaire(_bold_headed_workbook(tmp_path / "sev.xlsx", rows)).questions]
    lead = "What are your remediation SLAs by severity?"
    assert texts[2:4] == [f"{lead} Critical:", f"{lead} High:"]
    assert texts[4] == "Are logs retained?"


def test_a_field_table_is_filled_in_row_by_row_also_above_the_main_header(tmp_path):
    # "Field | Response" over "Company Name", "Primary Contact" (a sheet of its own, or small tables above
    # the "Question | Options | Response" header): every row is a field to fill in. Such a sheet had been
    # skipped ("no answer column"), such rows above the main header left out (blind supplier forms).
    from openpyxl.styles import Font

    wb = Workbook()
    info = wb.active
    info.title = "Vendor Information"
    info.append(["Vendor Information"])
    info.append(["Field", "Response"])
    for text in ("Vendor Name", "Primary Contact Name", "Primary Contact Email", "Vendor Website",
                 "Headquarters Location", "Year Founded", "Number of Employees", "Description of Services Provided"):
        info.append([text, None])
    main = wb.create_sheet("Questionnaire")
    for rec, bold in [(["Service"], True), (["Field", None, "Response"], True), (["Service Name"], False),
                      (["Description of Service"], False), (["Section 1: Security"], True),
                      (["Question", "Options", "Response", "Evidence"], True),
                      (["Do you encrypt data at rest?", "Yes / No"], False),
                      (["Do you run backups?", "Yes / No"], False),
                      (["Key management", None], False), (["Section 2: People"], True),
                      (["Do you train staff?", "Yes / No"], False), (["Do you screen new hires?", "Yes / No"], False),
                      (["Do staff sign NDAs?", "Yes / No"], False), (["Is access reviewed?", "Yes / No"], False)]:
        main.append(rec)
        if bold:
            for cell in main[main.max_row]:
                cell.font = Font(bold=True)
    wb.create_sheet("Documents").append(["Document", "Provided (Yes/No)", "Comments"])
    for text in ("SOC 2 Type II report", "Privacy policy"):
        wb["Documents"].append([text, None, None])
    path = tmp_path / "fields.xlsx"
    wb.save(path)
    read = read_questionnaire(path)
    found = {(q.sheet, q.text) for q in read.questions}
    assert {("Vendor Information", "Vendor Name"), ("Vendor Information", "Year Founded"),
            ("Questionnaire", "Service Name"), ("Questionnaire", "Description of Service"),
            ("Questionnaire", "Key management"), ("Documents", "Privacy policy")} <= found
    assert not {t for _, t in found} & {"Field", "Question", "Service", "Section 1: Security"}
    assert [q.answer_cell for q in read.questions if q.text == "Service Name"] == ["C3"]


def test_a_title_above_the_header_does_not_rename_a_column_the_header_names(tmp_path):
    # "Test Specification" (a bold title on its own row) above "Test | Controls | ISV Response | Evidence
    # Provided": it had been taken for a second header row naming column A, whose "specification" then
    # outranked "Controls" as the question column, and nothing was read (a blind certification guide).
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.append(["Certification Submission Guide"])
    ws.append(["Test Specification"])
    ws.append(["Test", "Controls", "ISV Response", "Evidence Provided"])
    for row in (ws[1], ws[2], ws[3]):
        for cell in row:
            cell.font = Font(bold=True)
    rows = [("Malware Protection", "You must deploy malware protection on all in-scope system components."),
            (None, "Anti-virus signatures are kept up to date (within 1 day)."),
            ("Patch Management", "Critical patches must be applied within 14 days of release."),
            (None, "All software in use must be supported by its vendor."),
            ("Security Event Logging", "Security events must be logged and retained for at least 30 days.")]
    for test, control in rows:
        ws.append([test, control, None, None])
    path = tmp_path / "spec.xlsx"
    wb.save(path)
    read = read_questionnaire(path)
    assert [q.text for q in read.questions] == [control for _, control in rows]
    assert read.questions[0].answer_cell == "C4"


def test_a_table_of_certifications_above_the_question_table_is_read(tmp_path):
    # "Certification | Status | Expiration" over "SOC 2 Type II", "ISO 27001", ..., then "Question | Response"
    # further down: the certifications' eight rows of a blind vendor questionnaire had been left unread.
    wb = Workbook()
    ws = wb.active
    ws.append(["Vendor Security Questionnaire"])
    ws.append(["Section 2: Compliance and Certifications"])
    ws.append(["Certification", "Status", "Expiration"])
    certs = ["SOC 2 Type II", "ISO 27001", "PCI DSS"]
    for c in certs:
        ws.append([c, None, None])
    ws.append(["Section 3: Access Control"])
    ws.append(["Question", "Response"])
    asked = ["Do you require MFA for all staff?", "Are access rights reviewed quarterly?", "Is SSO supported?"]
    for q in asked:
        ws.append([q, None])
    path = tmp_path / "certs.xlsx"
    wb.save(path)
    read = read_questionnaire(path)
    assert [q.text for q in read.questions] == certs + asked
    assert read.questions[0].answer_cell == "B4"


def test_a_field_table_beside_the_question_columns_is_read_with_its_own_cells(tmp_path):
    # "Field | Response" at A-B above "ID | Topic | Question | Vendor Response" (question C, answer D): the eleven
    # vendor particulars of a blind toolkit's questionnaire had been left unread, so nobody saw them in review.
    wb = Workbook()
    ws = wb.active
    ws.append(["Vendor Security Questionnaire"])
    ws.append(["Version:", "1.0"])
    ws.append([None])
    ws.append(["Vendor Information"])
    ws.append(["Field", "Response"])
    fields = ["Vendor Name", "Primary Contact Email", "Year Founded"]
    for f in fields:
        ws.append([f, None])
    ws.append([None])
    ws.append(["ID", "Topic", "Question", "Vendor Response"])
    asked = ["Do you encrypt customer data at rest?", "Is MFA required for all staff?"]
    for i, q in enumerate(asked, start=1):
        ws.append([f"A{i}", "Security", q, None])
    path = tmp_path / "side.xlsx"
    wb.save(path)
    read = read_questionnaire(path)
    assert [q.text for q in read.questions] == fields + asked
    first = read.questions[0]
    assert (first.question_cell, first.answer_cell, first.answer_kind, first.section) == (
        "A6", "B6", "text", "Vendor Information")
    assert read.questions[3].answer_cell == "D11"
    (sheet,) = read.layout.sheets
    assert any("table of their own" in n for n in sheet.notes)
    # a layout given by hand is read as given: only its own columns
    forced = read_questionnaire(path, [LayoutOverrides(header_row=10, question_col="C", answer_col="D")])
    assert [q.text for q in forced.questions] == asked


def test_the_title_blocks_own_fields_are_read_above_the_header(tmp_path):
    # "Vendor Name:", "Vendor Contact:", "Service Description:" above "Question | Response" (a blind vendor
    # template, both its labellers): fields the vendor fills in, which had been left unread. A heading over text
    # ("Response Guidelines:") and a title line with its value ("Version: 1.0") are not fields.
    wb = Workbook()
    ws = wb.active
    ws.append(["Vendor Security Assessment Questionnaire"])
    ws.append(["Version:", "1.0"])
    ws.append(["Vendor Name:"])
    ws.append(["Vendor Contact:"])
    ws.append(["Response Guidelines:"])
    ws.append(["Answer every question; attach evidence where asked."])
    ws.append([None])
    ws.append(["Question", "Response"])
    asked = ["Do you encrypt customer data at rest?", "Is MFA required for all staff?"]
    for q in asked:
        ws.append([q, None])
    path = tmp_path / "title.xlsx"
    wb.save(path)
    read = read_questionnaire(path)
    assert [q.text for q in read.questions] == ["Vendor Name:", "Vendor Contact:", *asked]
    assert read.questions[0].answer_cell == "B3"


def test_items_written_as_fragments_with_a_question_mark_are_read_with_their_lead_in(tmp_path):
    # "Have you experienced any of the following in the last 24 months?" over "Data breach?", "DDoS attack?",
    # with "If YES, brief details" under an item (a blind supplier questionnaire): the items had been read
    # alone, and "DDoS attack?" was suggested the DDoS-protection fact at 100.
    wb = Workbook()
    ws = wb.active
    ws.append(["#", "Question", "Response"])
    ws.append(["Q58", "Have you experienced any of the following in the last 24 months?", None])
    ws.append([None, "Data breach?", None])
    ws.append([None, "If YES, brief details", None])
    ws.append([None, "DDoS attack?", None])
    ws.append(["Q59", "Do you encrypt customer data at rest?", None])
    ws.append(["Q60", "Is a named person responsible for security?", None])
    path = tmp_path / "fragments.xlsx"
    wb.save(path)
    read = read_questionnaire(path)
    lead = "Have you experienced any of the following in the last 24 months?"
    assert [q.text for q in read.questions] == [
        lead, f"{lead} Data breach?", "If YES, brief details", f"{lead} DDoS attack?",
        "Do you encrypt customer data at rest?", "Is a named person responsible for security?"]


def test_a_self_score_drop_down_is_the_answer_column_where_there_is_no_other(tmp_path):
    # "# | Question | Score | Evidence | Notes" with a "5,4,3,2,1,N/A" drop-down under Score (a blind vendor
    # assessment form): a scoring column is otherwise the assessor's and ignored, and the sheet was read as nothing.
    wb = Workbook()
    ws = wb.active
    ws.append(["#", "Question", "Score", "Evidence", "Notes"])
    asked = ["Does the vendor have a documented information security policy?",
             "Is there a designated security officer?", "Are penetration tests performed annually?"]
    for i, q in enumerate(asked, start=1):
        ws.append([f"2.1.{i}", q, None, None, None])
    dv = DataValidation(type="list", formula1='"5,4,3,2,1,N/A"')
    ws.add_data_validation(dv)
    dv.add("C2:C4")
    path = tmp_path / "scored.xlsx"
    wb.save(path)
    read = read_questionnaire(path)
    assert [q.text for q in read.questions] == asked
    assert read.questions[0].answer_cell == "C2" and read.questions[0].choices == ["5", "4", "3", "2", "1", "N/A"]
    # beside a real answer column, the score stays the assessor's
    wb2 = Workbook()
    ws2 = wb2.active
    ws2.append(["#", "Question", "Response", "Score"])
    for i, q in enumerate(asked, start=1):
        ws2.append([f"2.1.{i}", q, None, None])
    dv2 = DataValidation(type="list", formula1='"5,4,3,2,1"')
    ws2.add_data_validation(dv2)
    dv2.add("D2:D4")
    path2 = tmp_path / "assessor.xlsx"
    wb2.save(path2)
    assert read_questionnaire(path2).questions[0].answer_cell == "C2"


def test_a_numbered_requested_item_list_is_read_whole(tmp_path):
    # "# | Requested item | Provided (Yes/No) | Response / Link" over "SOC 1 AUDIT", "Disaster Recovery Plan",
    # "Privacy Policy": 15 of a blind request list's 25 rows had been read (the short ones taken for headings).
    wb = Workbook()
    ws = wb.active
    ws.append(["Help with Security Assessment"])
    ws.append(["#", "Requested item", "Provided (Yes/No)", "Response / Link", "Comments"])
    items = ["SOC 1 AUDIT", "SOC 2 TYPE 2 AUDIT", "ISO 27001:2013 Certification", "Disaster Recovery Plan",
             "Business Continuity Plan", "Privacy Policy", "High Level Network Diagram",
             "List of Data Centers (Provider, Address)"]
    for i, text in enumerate(items, start=1):
        ws.append([str(i), text, None, None, None])
    path = tmp_path / "requested.xlsx"
    wb.save(path)
    read = read_questionnaire(path)
    assert [q.text for q in read.questions] == items
    assert read.questions[0].answer_cell == "C3"
