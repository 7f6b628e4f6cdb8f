"""Intake on the real workbooks in ../shared (skipped when that folder is absent)."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict

import pytest

from conftest import DEV, QUESTIONNAIRES, needs_shared
from trustfill.intake import format_layout, read_questionnaire

pytestmark = needs_shared


def _truth() -> dict[str, set[tuple[str, int]]]:
    rows: dict[str, set[tuple[str, int]]] = defaultdict(set)
    with (DEV / "truth.csv").open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            rows[rec["file"]].add((rec["sheet"], int(rec["row"])))
    return rows


@pytest.mark.parametrize("name", sorted(_truth()) if DEV.is_dir() else [])
def test_dev_workbooks_exact_question_rows(name):
    intake = read_questionnaire(DEV / name)
    got = {(q.sheet, q.row) for q in intake.questions}
    truth = _truth()[name]
    assert sorted(truth - got) == [], "missed questions"
    assert sorted(got - truth) == [], "headings or instructions taken for questions"
    assert all(q.answer_cell and q.comment_cell and q.choices for q in intake.questions)


def test_contoso_comment_before_response_and_hidden_lists_dropdown():
    intake = read_questionnaire(DEV / "Contoso_Supplier_InfoSec_Questionnaire_Chat_v1.xlsx")
    (sheet,) = intake.layout.sheets
    assert (sheet.question_col, sheet.comment_col, sheet.answer_col) == ("C", "D", "E")
    assert intake.questions[0].choices == ["Yes", "No", "Partial", "N/A"]


def test_tailspin_reviewer_notes_are_not_comments():
    intake = read_questionnaire(DEV / "Tailspin_University_Vendor_Security_Review_Northwind_Reports.xlsx")
    assert {s.comment_col for s in intake.layout.sheets} == {"D"}
    assert "Instructions" in intake.layout.skipped


@pytest.fixture(scope="module")
def hecvat4():
    return read_questionnaire(QUESTIONNAIRES / "hecvat-4.14-blank.xlsx")


def test_hecvat4_questions_from_every_response_sheet(hecvat4):
    sheets = [s.sheet for s in hecvat4.layout.sheets]
    assert sheets == ["START HERE", "Organization", "Product", "Infrastructure", "IT Accessibility",
                      "Case-Specific", "AI", "Privacy"]
    # 331 unique IDs over the response sheets; rows that mirror another sheet by formula are skipped.
    refs = [q.ref for q in hecvat4.questions]
    assert len(refs) == len(set(refs)) == 331
    for name in ("Institution Evaluation", "High-Risk Evaluation", "Questions"):
        assert name in hecvat4.layout.skipped


def test_hecvat4_answer_comment_cells_and_x14_choices(hecvat4):
    by_ref = {q.ref: q for q in hecvat4.questions}
    q = by_ref["DOCU-01"]
    assert (q.sheet, q.question_cell, q.answer_cell, q.comment_cell) == ("Organization", "B22", "C22", "D22")
    assert q.text.startswith("Do you have a well-documented business continuity plan")
    assert q.answer_kind == "choice" and q.choices == ["Yes", "No"]
    choices = Counter(tuple(x.choices) for x in hecvat4.questions)
    assert choices[("Yes", "No")] > 200 and choices[("Yes", "No", "N/A")] > 30
    assert by_ref["GNRL-01"].answer_kind == "text" and by_ref["GNRL-01"].sheet == "START HERE"
    assert all(x.comment_cell and x.comment_cell.startswith("D") for x in hecvat4.questions)


def test_hecvat3_filled_question_rows_and_prefilled_answers():
    intake = read_questionnaire(QUESTIONNAIRES / "hecvat-3-filled-opendsa-2022.xlsx")
    four_letter = [q for q in intake.questions if re.fullmatch(r"[A-Z]{4}-\d+", q.ref)]
    assert len(four_letter) == 253
    # The 4 Incident Handling rows (IH-01..04) are answered questions too.
    others = sorted(q.ref for q in intake.questions if q not in four_letter)
    assert others == ["IH-01", "IH-02", "IH-03", "IH-04"]
    answers = Counter(q.existing_answer for q in four_letter if q.prefilled)
    assert sum(1 for q in four_letter if q.prefilled) == 176
    assert (answers["Yes"], answers["No"], answers["NA"]) == (88, 66, 2)
    q = next(x for x in intake.questions if x.ref == "DOCU-07")
    assert (q.existing_answer, q.existing_comment, q.prefilled) == \
        ("Yes", "https://opendsa.readthedocs.io/en/latest/", True)


def test_nist_catalog_is_read_as_control_statements_and_says_so():
    intake = read_questionnaire(QUESTIONNAIRES / "nist-sp800-53r5-control-catalog.xlsx")
    (sheet,) = intake.layout.sheets
    assert sheet.answer_col is None and sheet.question_col == "D"
    assert all(q.answer_kind == "none" for q in intake.questions)
    assert intake.questions
    text = format_layout(intake.layout)
    assert "no answer column found" in text and "hidden row" in text
