"""Options of a pick list, one per row under their prompt, are not suggested (answerers/picklist.py).

A blind set laid out like Google's VSAQ asks "Select the topics that are covered by your security and
privacy policies:" and lists the topics one per row; "Physical security requirements" was suggested the
data-centre fact at 100, though what it asks is whether the *policies* cover it."""

from __future__ import annotations

import pytest
from openpyxl import Workbook, load_workbook

from answerers.base import Match
from answerers.picklist import hold_options, pick_options, pick_prompt
from db_fixtures import lexical_service
from trustfill.service import Service


def test_a_prompt_asks_to_pick_among_the_rows_under_it():
    assert pick_prompt("Select the controls your hosting environment has in place:")
    assert pick_prompt("Which of the following does your training cover?")
    assert pick_prompt("What kinds of screening do you run on new hires? Tick all that apply.")
    assert not pick_prompt("Do you select vendors through a documented process?")
    assert not pick_prompt("Is customer data encrypted at rest?")


def test_the_options_are_the_short_rows_right_under_the_prompt():
    texts = ["Is customer data encrypted at rest?",
             "Select the topics your policies cover:",
             "Remote working",
             "Encryption of laptops",
             "Do you run annual penetration tests?",  # a question ends the list
             "Reference checks"]
    assert pick_options(texts) == {2: 1, 3: 1}
    # A list does not run on into the next sheet.
    sheets = ["A", "A", "A", "B", "B", "B"]
    assert pick_options(texts, sheets) == {2: 1}
    # A long row is a question of its own, even under a prompt.
    assert pick_options(["Choose one:", "A documented process to ensure that every change to production is "
                         "reviewed, tested and approved before deployment"]) == {}


def test_only_a_suggestion_is_held_and_the_prompt_is_named():
    texts = ["Select the topics your policies cover:", "Physical security", "Remote working"]
    suggested = Match(fact_id="physical", score=99.0, status="suggested", note="confidence 99")
    review = Match(fact_id="remote", score=60.0, status="review", note="low")
    none = Match(fact_id=None, score=2.0, status="unanswered", note="")
    held = hold_options(texts, [none, suggested, review])
    assert held[1].status == "review" and (held[1].fact_id, held[1].score) == ("physical", 99.0)
    assert held[1].note.startswith('an option of the list asked above ("Select the topics your policies cover:")')
    assert held[1].note.endswith("confidence 99")
    assert held[0] == none and held[2] == review


FACTS = [  # question, answer, comment
    ("Do you support single sign-on with SAML?", "Yes", "Okta, Entra ID and any SAML 2.0 provider."),
    ("Is customer data encrypted at rest?", "Yes", "AES-256 on every volume and backup."),
    ("Are background checks performed on new employees?", "Yes", "Identity, employment and criminal records."),
]


@pytest.fixture
def service(db_url, tmp_path) -> Service:
    return lexical_service(tmp_path, FACTS)


def test_a_stored_questionnaire_holds_the_options_of_its_pick_lists(service, tmp_path):
    option = "Single sign-on with SAML"
    asked = ["Is customer data encrypted at rest?",
             option,  # on its own: a question the fact answers
             "Which of the following does your identity policy cover? Select all that apply.",
             option]  # under the prompt: an option of it
    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Question", "Answer", "Comment"])
    for i, text in enumerate(asked, 1):
        ws.append([f"Q-{i:02d}", text, None, None])
    src = tmp_path / "pick.xlsx"
    wb.save(src)
    qid, result = service.answer_file(src, product=None, out=tmp_path / "filled.xlsx")
    rows = service.questions(qid)
    assert [r["match_status"] for r in rows][:2] == ["suggested", "suggested"], [r["match_note"] for r in rows]
    last = rows[3]
    assert (last["match_status"], last["fact_id"]) == ("review", "fact-0"), last["match_note"]
    assert "an option of the list asked above" in last["match_note"]
    filled = load_workbook(tmp_path / "filled.xlsx").active  # `--fill suggested`: what was suggested only
    assert (filled["C3"].value, filled["C5"].value) == ("Yes", None)
