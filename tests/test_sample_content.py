"""The shipped sample content: a valid knowledge base and a realistic questionnaire that fits it."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
import yaml

from knowledge.model import Fact
from knowledge.sample import FACTS_FILE, QUESTIONNAIRE_FILE
from knowledge.sample import make_sample_questionnaire as maker

PRODUCTS = {"", "planner", "timesheets", "wiki"}

# Topics a security statement must cover; near-neighbours are separate facts on purpose, because
# questionnaires ask them separately (backup frequency vs retention, RPO vs RTO, staff vs customer MFA...).
REQUIRED_TOPICS = {
    "encryption-in-transit", "tls-version", "encryption-at-rest", "key-management",
    "data-storage-location", "data-residency", "hosting-provider",
    "data-retention-policy", "data-deletion-contract-end", "data-portability", "no-sale-of-data",
    "backup-frequency", "backup-retention", "rpo", "rto", "bcp-dr-plan",
    "permissions-requested", "rbac", "audit-trail", "audit-log-export",
    "audit-log-retention", "system-log-retention",
    "sub-processors", "dpa", "sccs",
    "incident-response-plan", "breach-notification", "vulnerability-disclosure",
    "penetration-testing", "vulnerability-scanning", "dependency-scanning",
    "secure-sdlc", "code-review", "sast", "input-validation", "analytics-opt-out",
    "staff-mfa", "customer-mfa", "sso-saml", "password-policy",
    "soc2", "iso-27001", "security-training", "background-checks", "access-reviews",
    "logging-monitoring", "ddos-protection",
}


@pytest.fixture(scope="module")
def raw_items() -> list[dict]:
    items = yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))
    assert isinstance(items, list)
    return items


@pytest.fixture(scope="module")
def facts(raw_items) -> list[Fact]:
    return [Fact(**item) for item in raw_items]


@pytest.fixture(scope="module")
def question_sheet():
    wb = openpyxl.load_workbook(QUESTIONNAIRE_FILE)
    return wb[maker.QUESTION_SHEET]


def _question_rows(ws) -> list[tuple[int, str, str]]:
    """(row, number, question) for every question row below the header."""
    rows = []
    for row in range(maker.HEADER_ROW + 1, ws.max_row + 1):
        number, text = ws.cell(row, 1).value, ws.cell(row, 2).value
        if number and text:
            rows.append((row, str(number), str(text)))
    return rows


def test_every_item_is_a_valid_fact_with_all_fields(raw_items, facts):
    assert 55 <= len(facts) <= 80
    expected_keys = {"id", "question", "alternate_questions", "answer", "comment", "category", "product",
                     "tags", "owner", "source", "last_reviewed", "review_interval_days"}
    for item, fact in zip(raw_items, facts, strict=True):
        assert set(item) == expected_keys, fact.id
        assert isinstance(item["answer"], str), f"{fact.id}: YAML turned the answer into {item['answer']!r}"
        assert fact.comment and fact.category and fact.tags and fact.source, fact.id
        assert fact.owner.endswith("@skyward.example"), fact.id
        assert 1 <= len(fact.alternate_questions) <= 3, fact.id
        assert fact.review_interval_days == 365, fact.id


def test_ids_are_unique_slugs(facts):
    ids = [f.id for f in facts]
    assert len(ids) == len(set(ids))
    for fact_id in ids:
        assert fact_id == fact_id.lower() and " " not in fact_id, fact_id


def test_products_are_known_and_mostly_shared(facts):
    products = [f.product for f in facts]
    assert set(products) <= PRODUCTS
    assert {"planner", "timesheets", "wiki"} <= set(products)
    assert products.count("") > 0.8 * len(products)


def test_required_topics_present(facts):
    missing = REQUIRED_TOPICS - {f.id for f in facts}
    assert not missing, f"missing topics: {sorted(missing)}"


def test_no_text_could_act_as_a_spreadsheet_formula(facts):
    for fact in facts:
        for text in (fact.answer, fact.comment, *fact.all_questions):
            assert not text.startswith(("=", "+", "-", "@")), f"{fact.id}: {text!r}"


def test_some_facts_are_stale_for_the_review_demo(facts):
    # A fixed "today" keeps this independent of when the suite runs.
    today = dt.date(2026, 11, 22)
    stale = [f.id for f in facts if f.is_stale(today)]
    assert 4 <= len(stale) <= 6, stale
    assert all(f.last_reviewed and f.last_reviewed.year in (2025, 2026) for f in facts)


def test_workbook_has_title_block_header_and_enough_questions(question_sheet):
    ws = question_sheet
    assert "Acme Corp Vendor Security Questionnaire" in str(ws["A1"].value)
    header = tuple(ws.cell(maker.HEADER_ROW, c).value for c in range(1, 5))
    assert header == maker.HEADERS
    rows = _question_rows(ws)
    assert len(rows) >= 25
    assert [n for _, n, _ in rows] == [n for n, _, _ in maker.questions()]
    assert any(str(r.start_cell.value or "").startswith("1.") for r in ws.merged_cells.ranges)


def test_response_column_has_yes_no_na_dropdown_on_every_question(question_sheet):
    ws = question_sheet
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1
    assert lists[0].formula1 == '"Yes,No,N/A"'
    for row, number, _ in _question_rows(ws):
        assert f"C{row}" in lists[0].sqref, f"no dropdown on question {number}"


def test_questionnaire_maps_onto_the_facts(facts):
    by_id = {f.id: f for f in facts}
    known = {q.lower() for f in facts for q in f.all_questions}
    unanswerable = []
    for number, text, fact_id in maker.questions():
        assert text.lower() not in known, f"{number} copies a fact's wording; phrase it differently"
        if fact_id is None:
            unanswerable.append(number)
            continue
        assert fact_id in by_id, f"{number} points at unknown fact {fact_id}"
        assert by_id[fact_id].applies_to(maker.PRODUCT), f"{number}: {fact_id} does not apply to planner"
    assert 5 <= len(unanswerable) <= 8, unanswerable


def test_generation_is_deterministic_and_committed_file_is_current(tmp_path):
    first, second = maker.render(), maker.render()
    assert first == second
    fresh = tmp_path / "fresh.xlsx"
    fresh.write_bytes(first)

    def cells(path):
        wb = openpyxl.load_workbook(path)
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}

    assert cells(fresh) == cells(QUESTIONNAIRE_FILE), "rerun make_sample_questionnaire.py and commit"
