"""A questionnaire mostly outside the knowledge base has its suggestions held for review (answerers/fit.py).

On the labelled stranger workbooks a strong match in such a questionnaire was right 0.75 of the time,
against 0.96 elsewhere; the rows go to a person with the reason, nothing else changes."""

from __future__ import annotations

import csv

import pytest

from answerers.base import Match
from answerers.fit import FIT_FLOOR, MIN_QUESTIONS, REPEAT_FLOOR, hold_suggestions, holds_suggestions, repeated_facts
from db_fixtures import lexical_service
from hostile.corpus import questionnaire_workbook
from trustfill.service import Service

FACTS = [  # question, answer, comment
    ("Do you require multi-factor authentication for all user accounts?", "Yes", "TOTP or hardware keys."),
    ("Is customer data encrypted at rest?", "Yes", "AES-256 on every volume and backup."),
    ("Do you support single sign-on with SAML?", "Yes", "Okta, Entra ID and any SAML 2.0 provider."),
]
# A medical-device form: nothing in a SaaS vendor's knowledge base answers these.
OFF_DOMAIN = [
    "Does the infusion pump display an occlusion alarm?", "What is the battery life of the handheld unit?",
    "Is the device sterilisable by autoclave?", "Which radiofrequency bands does the telemetry module use?",
    "Does the monitor support DICOM worklists?", "What is the operating temperature range of the cart?",
    "Can the scanner print wristband barcodes?", "Is the touchscreen usable with surgical gloves?",
    "Does the ventilator log tidal volume?", "What is the weight of the bedside console?",
    "Does the pump accept drug library uploads over USB?", "Is there a nurse call relay output?",
    "How many channels does the ECG amplifier have?", "Does the unit ship with a wall mount bracket?",
    "Is the enclosure rated IP54?", "What colour options are available for the housing?",
    "Does the label printer support thermal transfer ribbons?", "Is the stand height adjustable?",
    "Can the cuff size be changed without tools?", "Does the charger fit a standard hospital rail?",
    "Is the display readable in direct sunlight?", "How loud is the audible alarm at one metre?",
]


def test_the_floor_is_a_share_of_a_questionnaire_large_enough_to_judge():
    assert not holds_suggestions(MIN_QUESTIONS - 1, 0)  # too few questions to say anything
    assert holds_suggestions(MIN_QUESTIONS, 0)
    at_floor = round(FIT_FLOOR * 100)
    assert not holds_suggestions(100, at_floor)
    assert holds_suggestions(100, at_floor - 1)


def test_only_suggestions_are_held_and_the_reason_comes_first():
    strong = Match(fact_id="mfa", score=99.0, status="suggested", note="confidence 99")
    weak = Match(fact_id="sso", score=50.0, status="review", note="confidence 50")
    none = Match(fact_id=None, score=3.0, status="unanswered", note="")
    held = hold_suggestions([strong, weak] + [none] * 28)
    assert (held[0].status, held[0].fact_id, held[0].score) == ("review", "mfa", 99.0)
    assert held[0].note.startswith("held for review: only 2 of this questionnaire's 30 questions")
    assert held[0].note.endswith("confidence 99")
    assert held[1] == weak and held[2] == none
    # a third matched: in the knowledge base's domain (ten different facts, none suggested over and over)
    several = [strong.model_copy(update={"fact_id": f"fact-{i}"}) for i in range(10)]
    kept = hold_suggestions(several + [none] * 20)
    assert all(m.status == "suggested" for m in kept[:10])


@pytest.fixture
def service(db_url, tmp_path) -> Service:
    return lexical_service(tmp_path, FACTS)


def test_a_questionnaire_mostly_outside_the_knowledge_base_has_its_suggestions_held(service, tmp_path):
    asked = [q for q, _a, _c in FACTS] + OFF_DOMAIN
    src = questionnaire_workbook(tmp_path / "device-form.xlsx", asked)
    qid, result = service.answer_file(src, product=None, out=tmp_path / "filled.xlsx")
    rows = {r["text"]: r for r in service.questions(qid)}
    for question, _a, _c in FACTS:
        row = rows[question]
        assert row["match_status"] == "review", row["match_note"]
        assert row["match_note"].startswith("held for review: only 3 of this questionnaire's 25 questions")
        assert row["fact_id"] and row["answer"]  # the answer is offered, for a person to approve
    assert result.written == 0  # `--fill suggested` writes nothing a person has not seen
    progress = service.progress(qid)
    assert (progress.suggested, progress.review, progress.held) == (0, 3, 3)
    run = [e for e in service.audit_log() if e["action"] == "match_run"][-1]
    assert run["details"]["held"] == 3  # the audit says why nothing was suggested


def test_a_questionnaire_in_the_knowledge_base_s_domain_keeps_its_suggestions(service, tmp_path):
    asked = [q for q, _a, _c in FACTS] * 3 + OFF_DOMAIN[:13]  # 9 of 22 match: 41%
    src = questionnaire_workbook(tmp_path / "vendor-form.xlsx", asked)
    qid, _result = service.answer_file(src, product=None, out=tmp_path / "filled.xlsx")
    statuses = [r["match_status"] for r in service.questions(qid) if r["text"] in {q for q, _a, _c in FACTS}]
    assert statuses == ["suggested"] * 9
    assert service.progress(qid).held == 0


def test_the_cli_says_why_nothing_was_suggested(tf_home, tmp_path):
    from test_cli import run

    library = tmp_path / "library.csv"
    with library.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ID", "Question", "Answer", "Comment"])
        w.writerows([f"fact-{i}", *fact] for i, fact in enumerate(FACTS))
    run(tf_home, "kb", "import", str(library))
    src = questionnaire_workbook(tmp_path / "device-form.xlsx", [q for q, _a, _c in FACTS] + OFF_DOMAIN)
    out = run(tf_home, "answer", str(src), "-o", str(tmp_path / "filled.xlsx")).stdout
    assert "0 suggested, 3 to review" in out
    assert "3 strong match(es) of this questionnaire were held for review" in out


def test_the_review_page_says_why_nothing_was_suggested(service, tmp_path):
    from test_app_pages import new_session, no_errors, open_page

    src = questionnaire_workbook(tmp_path / "device-form.xlsx", [q for q, _a, _c in FACTS] + OFF_DOMAIN)
    service.run_matching(service.upload_questionnaire(src))
    at = open_page(new_session(), "review")
    no_errors(at)
    said = [i.value for i in at.info]
    assert any("3 strong match(es) of this questionnaire were held for review" in v for v in said), said


def test_a_fact_suggested_for_many_questions_of_one_questionnaire_is_held():
    # A product FAQ asks about the finer points of one feature; the one fact about it matched each strongly.
    def asked(fact_id, n):
        return [(fact_id, f"Question {'abcdefghijklmnop'[i]}?") for i in range(n)]

    assert repeated_facts(asked("sso", REPEAT_FLOOR - 1) + asked("mfa", 1), 40) == {}
    assert repeated_facts(asked("sso", REPEAT_FLOOR) + asked("mfa", 1) + [(None, "Q?")], 40) == {"sso": REPEAT_FLOOR}
    assert repeated_facts(asked("sso", REPEAT_FLOOR), 1000) == {}  # a 1,000-question sheet may well ask four times
    assert repeated_facts(asked("sso", 10), 1000) == {"sso": 10}
    # the same question asked again (per product, per site) is one question
    assert repeated_facts([("sso", "Do you support SSO?"), ("sso", "Do you support  SSO ?")] * 5, 40) == {}
    assert repeated_facts([("sso", f"Does system {i} support SSO?") for i in range(8)], 40) == {}
    sso = Match(fact_id="sso", score=99.0, status="suggested", note="confidence 99")
    mfa = Match(fact_id="mfa", score=98.0, status="suggested", note="confidence 98")
    held = hold_suggestions([sso] * REPEAT_FLOOR + [mfa] * (REPEAT_FLOOR - 1))
    assert [m.status for m in held[:REPEAT_FLOOR]] == ["review"] * REPEAT_FLOOR
    assert held[0].note.startswith(f"held for review: sso is suggested for {REPEAT_FLOOR} different questions")
    assert held[0].note.endswith("confidence 99") and held[0].fact_id == "sso"
    assert all(m == mfa for m in held[REPEAT_FLOOR:])


# Four different ways of asking about single sign-on details, each matched to the one SSO fact.
SSO_DETAILS = [
    "Do you support single sign-on with SAML for all plans?",
    "Do you support single sign-on with SAML using Okta?",
    "Do you support single sign-on with SAML and Entra ID?",
    "Do you support single sign-on with SAML on the mobile app?",
]


def test_the_workspace_holds_a_fact_suggested_for_many_questions(service, tmp_path):
    three = service.answer_file(questionnaire_workbook(tmp_path / "three.xlsx", SSO_DETAILS[:3] + [FACTS[0][0]]),
                                product=None, out=tmp_path / "three-filled.xlsx")[0]
    statuses = {r["text"]: r["match_status"] for r in service.questions(three)}
    assert [statuses[q] for q in SSO_DETAILS[:3]] == ["suggested"] * 3, statuses  # three times: not held
    four = service.answer_file(questionnaire_workbook(tmp_path / "four.xlsx", SSO_DETAILS + [FACTS[0][0]]),
                               product=None, out=tmp_path / "four-filled.xlsx")[0]
    rows = {r["text"]: r for r in service.questions(four)}
    for q in SSO_DETAILS:
        assert rows[q]["match_status"] == "review", rows[q]["match_note"]
        assert rows[q]["match_note"].startswith("held for review: fact-2 is suggested for 4 different questions")
    mfa = rows[FACTS[0][0]]
    assert mfa["match_status"] == "suggested", mfa["match_note"]  # another fact's suggestion stands
    assert service.progress(four).held == 4
