"""fit_answer: which cells an answer goes into, for drop-downs, split X columns and free text."""

from __future__ import annotations

import pytest

from conftest import DEV, needs_shared
from exports import CellWrite, fit_answer, write_cells
from exports.fit import split_answer
from trustfill.intake import read_questionnaire
from trustfill.intake.model import DetectedQuestion

YNA = ["Yes", "No", "N/A"]


def q(kind="choice", **kw) -> DetectedQuestion:
    base = dict(sheet="S", row=10, text="Do you encrypt data at rest?", question_cell="B10", answer_kind=kind,
                answer_cell="C10" if kind in ("choice", "text") else None, comment_cell="D10",
                choices=YNA if kind == "choice" else [])
    base.update(kw)
    return DetectedQuestion(**base)


def cells(result) -> dict[str, str]:
    return {w.cell: w.value for w in result.writes}


def test_drop_down_gets_the_choice_and_the_rest_goes_before_the_comment():
    r = fit_answer(q(), "Yes (AES-256)", "Keys rotate yearly.")
    assert cells(r) == {"C10": "Yes", "D10": "AES-256. Keys rotate yearly."}
    assert r.note == ""
    assert all(isinstance(w, CellWrite) and w.sheet == "S" for w in r.writes)


def test_free_text_cell_gets_the_full_answer():
    r = fit_answer(q("text"), "Yes (AES-256)", "Keys rotate yearly.")
    assert cells(r) == {"C10": "Yes (AES-256)", "D10": "Keys rotate yearly."}


@pytest.mark.parametrize(("answer", "choices", "expected"), [
    ("yes", YNA, ("Yes", "")),
    ("Y", YNA, ("Yes", "")),
    ("TRUE", YNA, ("Yes", "")),
    ("No, we do not.", YNA, ("No", "we do not.")),
    ("false", YNA, ("No", "")),
    ("Not applicable - no cardholder data", YNA, ("N/A", "no cardholder data")),
    ("NA", YNA, ("N/A", "")),
    ("n/a.", ["YES", "NO", "NA"], ("NA", "")),
    ("Partially: only production", ["Yes", "No", "Partial", "N/A"], ("Partial", "only production")),
    ("Yes", ["Y", "N"], ("Y", "")),
    ("Yes — quarterly", ["Yes", "No"], ("Yes", "quarterly")),
    ("1) Self owned", ["1) Self owned", "2) Hosted"], ("1) Self owned", "")),
    ("2) hosted by AWS", ["1) Self owned", "2) Hosted"], ("2) Hosted", "by AWS")),
])
def test_choices_match_case_insensitively_and_by_synonym(answer, choices, expected):
    assert split_answer(answer, choices) == expected


@pytest.mark.parametrize(("answer", "choices"), [
    ("N/A", ["Yes", "No"]),           # "N" must not be read as "No"
    ("Nothing of the kind", YNA),     # a word starting with N is not "No"
    ("Yesterday", YNA),
    ("Partially", ["Yes", "No", "N/A"]),
    ("We use AES-256", YNA),
])
def test_answers_that_do_not_fit_are_not_forced(answer, choices):
    assert split_answer(answer, choices) is None


def test_unfitting_answer_goes_to_the_comment_cell_and_is_reported():
    r = fit_answer(q(), "We use AES-256 everywhere", "Since 2020.")
    assert cells(r) == {"D10": "We use AES-256 everywhere. Since 2020."}
    assert "is not one of the allowed values (Yes, No, N/A): written in the comment column" in r.note


def test_unfitting_answer_without_comment_cell_writes_nothing_and_says_so():
    r = fit_answer(q(comment_cell=None), "We use AES-256", "")
    assert r.writes == []
    assert "is not one of the allowed values" in r.note and "no comment" in r.note


def test_split_columns_get_an_x_in_the_right_one():
    split = {"Yes": "C10", "No": "D10", "N/A": "E10"}
    r = fit_answer(q("split", split_cells=split, comment_cell="F10"), "no - not offered", "")
    assert cells(r) == {"D10": "X", "F10": "not offered"}


def test_overwriting_a_prefilled_split_answer_clears_the_other_columns():
    split = {"Yes": "C10", "No": "D10"}
    question = q("split", split_cells=split, comment_cell=None, prefilled=True, existing_answer="No")
    assert fit_answer(question, "Yes", "").writes == []
    r = fit_answer(question, "Yes", "", overwrite_prefilled=True)
    assert cells(r) == {"D10": "", "C10": "X"}


def test_prefilled_answers_and_comments_are_kept_unless_asked():
    prefilled = q(prefilled=True, existing_answer="No")
    r = fit_answer(prefilled, "Yes", "c")
    assert r.writes == [] and "already holds an answer" in r.note
    assert cells(fit_answer(prefilled, "Yes", "c", overwrite_prefilled=True)) == {"C10": "Yes", "D10": "c"}
    commented = q(existing_comment="Customer note")
    r = fit_answer(commented, "Yes (AES)", "c")
    assert cells(r) == {"C10": "Yes"}
    assert "kept the existing comment" in r.note and "AES. c" in r.note


def test_locked_questions_get_nothing():
    r = fit_answer(q(locked=True), "Yes", "c")
    assert r.writes == [] and "locked" in r.note


def test_draft_marker_is_shown_in_the_comment_or_else_the_free_text():
    assert cells(fit_answer(q(), "Yes", "", marker="[DRAFT]")) == {"C10": "Yes", "D10": "[DRAFT]"}
    assert cells(fit_answer(q(), "Yes", "ok", marker="[DRAFT]"))["D10"] == "[DRAFT] ok"
    r = fit_answer(q("text", comment_cell=None), "We do.", "Details.", marker="[DRAFT]")
    assert cells(r) == {"C10": "[DRAFT] We do. Details."}
    r = fit_answer(q(comment_cell=None), "Yes", "", marker="[DRAFT]")
    assert cells(r) == {"C10": "Yes"} and "review marker" in r.note


def test_question_without_answer_cell_puts_the_answer_in_the_comment():
    r = fit_answer(q("none", comment_cell="D10"), "Yes", "All of it.")
    assert cells(r) == {"D10": "Yes. All of it."}


@needs_shared
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", ["Contoso", "Fabrikam", "Tailspin"])
def test_intake_fit_and_write_round_trip_on_dev_workbooks(tmp_path, name):
    """Questions detected by intake, answers fitted and written, then intake reads them back as answered."""
    src = next(DEV.glob(f"{name}_*.xlsx"))
    questions = read_questionnaire(src).questions
    answers = ["Yes (AES-256)", "No, not yet", "Not applicable", "We review access quarterly."]
    writes, expected = [], {}
    for i, question in enumerate(questions):
        fitted = fit_answer(question, answers[i % 4], "See our trust portal.", marker="[DRAFT]")
        writes += fitted.writes
        if question.answer_kind == "choice" and question.answer_cell and not fitted.note:
            expected[(question.sheet, question.row)] = fitted.writes[0].value
    assert len(expected) > len(questions) / 2
    dest = tmp_path / "filled.xlsx"
    result = write_cells(src, dest, writes)
    assert not result.skipped
    again = {(q.sheet, q.row): q for q in read_questionnaire(dest).questions}
    assert len(again) == len(questions)
    for key, value in expected.items():
        assert again[key].prefilled and again[key].existing_answer == value, key
        assert again[key].existing_comment.startswith("[DRAFT] ")
