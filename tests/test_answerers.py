"""Contract tests every registered answerer must pass, on small facts made here."""

from __future__ import annotations

import numpy as np
import pytest

from answerers import Candidate, available_answerers
from knowledge.model import Fact
from tests.conftest import needs_shared


def _facts() -> list[Fact]:
    return [
        Fact(
            id="enc-rest",
            question="Is customer data encrypted at rest?",
            answer="Yes",
            alternate_questions=["Are stored files and database volumes encrypted?"],
        ),
        Fact(
            id="enc-transit",
            question="Is customer data encrypted in transit?",
            answer="Yes",
            alternate_questions=["Do you use TLS for all connections?"],
        ),
        Fact(id="rpo", question="What is your recovery point objective (RPO)?", answer="24 hours"),
        Fact(id="rto", question="What is your recovery time objective (RTO)?", answer="8 hours"),
        Fact(id="hosting-a", question="Where is customer data hosted?", answer="EU", product="Alpha"),
        Fact(id="hosting-b", question="Where is customer data hosted?", answer="US", product="beta"),
        Fact(id="old-pentest", question="Do you perform penetration testing?", answer="Yes", status="retired"),
    ]


def _make(name: str, tmp_path):
    cls = available_answerers()[name]
    answerer = cls(cache_dir=str(tmp_path / "cache")) if name == "semantic" else cls()
    answerer.index(_facts())
    return answerer


NAMES = sorted(available_answerers())
# Fusion-only signals (answer/comment field, coverage) need not rank phrasings on their own.
RANKERS = [n for n in NAMES if available_answerers()[n].standalone]


def test_builtins_are_registered():
    assert {"terms", "bm25", "fuzzy"} <= set(NAMES)


@pytest.mark.parametrize("name", RANKERS)
def test_exact_phrasing_ranks_its_fact_first(name, tmp_path):
    answerer = _make(name, tmp_path)
    [cands] = answerer.score(["Is customer data encrypted at rest?"])
    assert cands and isinstance(cands[0], Candidate)
    assert cands[0].fact_id == "enc-rest"
    assert 0 <= cands[-1].score <= cands[0].score <= 100
    assert cands[0].matched_text == "Is customer data encrypted at rest?"


@pytest.mark.parametrize("name", RANKERS)
def test_alternate_questions_count(name, tmp_path):
    answerer = _make(name, tmp_path)
    [cands] = answerer.score(["Do you use TLS for all connections?"])
    assert cands[0].fact_id == "enc-transit"
    assert cands[0].matched_text == "Do you use TLS for all connections?"


@pytest.mark.parametrize("name", NAMES)
def test_deterministic(name, tmp_path):
    questions = ["Where is our data hosted?", "What is the RTO?", "Is data encrypted?"]
    first = _make(name, tmp_path).score(questions, "alpha")
    second = _make(name, tmp_path).score(questions, "alpha")
    assert first == second


@pytest.mark.parametrize("name", RANKERS)
def test_product_scoping(name, tmp_path):
    answerer = _make(name, tmp_path)
    [alpha] = answerer.score(["Where is customer data hosted?"], "ALPHA", top_k=10)
    ids = [c.fact_id for c in alpha]
    assert "hosting-a" in ids and "hosting-b" not in ids
    [none] = answerer.score(["Where is customer data hosted?"], None, top_k=10)
    assert not {"hosting-a", "hosting-b"} & {c.fact_id for c in none}


@pytest.mark.parametrize("name", NAMES)
def test_inactive_facts_are_not_matchable(name, tmp_path):
    answerer = _make(name, tmp_path)
    [cands] = answerer.score(["Do you perform penetration testing?"], top_k=10)
    assert "old-pentest" not in {c.fact_id for c in cands}


@pytest.mark.parametrize("name", NAMES)
def test_empty_library(name, tmp_path):
    cls = available_answerers()[name]
    answerer = cls(cache_dir=str(tmp_path / "cache")) if name == "semantic" else cls()
    answerer.index([])
    assert answerer.score(["Is data encrypted at rest?", ""]) == [[], []]


@pytest.mark.parametrize("name", NAMES)
def test_empty_question(name, tmp_path):
    answerer = _make(name, tmp_path)
    assert answerer.score(["", "   ", "?!"]) == [[], [], []]


# The category signal reads only the fact's Category, the form signal only the answer's form (both
# tested on their own below).
@pytest.mark.parametrize("name", [n for n in NAMES if n not in RANKERS and n not in ("category", "form")])
def test_fusion_signals_read_answer_and_comment_within_scope(name, tmp_path):
    # hosting-a answers "EU" for product Alpha only; the question uses the answer's word.
    answerer = _make(name, tmp_path)
    [alpha] = answerer.score(["Is our data hosted in the EU?"], "alpha", top_k=10)
    assert alpha and alpha[0].fact_id == "hosting-a"
    [beta] = answerer.score(["Is our data hosted in the EU?"], "beta", top_k=10)
    assert "hosting-a" not in {c.fact_id for c in beta}


@pytest.mark.parametrize("name", NAMES)
def test_flat_rescore_agrees_with_rescore_inside_and_outside_a_batch(name, tmp_path):
    # The engine scores shortlisted pairs through rescore_flat, after begin_batch (where an
    # answerer may precompute for the whole batch); reviewers' explanations go through rescore.
    answerer = _make(name, tmp_path)
    questions = ["Is stored data encrypted?", "What is your RTO?", "?!", "Where is data hosted?"]
    shortlist = [[0, 1, 2], [3, 2], [0], [4, 0, 1]]
    slow = [h.score for hits in answerer.rescore(questions, shortlist) for h in hits]
    plain = answerer.rescore_flat(questions, shortlist)
    answerer.begin_batch(questions, "alpha")
    try:
        batched = answerer.rescore_flat(questions[:2], shortlist[:2])
        rest = answerer.rescore_flat(questions[2:], shortlist[2:])
    finally:
        answerer.end_batch()
    assert np.allclose(plain, slow, atol=1e-3)
    assert np.allclose(np.concatenate([batched, rest]), plain, atol=1e-3)
    assert np.allclose(answerer.rescore_flat(questions, shortlist), plain, atol=1e-3)  # after the batch


def test_category_signal_scores_a_fact_by_its_category():
    from answerers.category import CategoryAnswerer

    facts = [
        Fact(id="rpo", question="What is your RPO?", answer="24 hours", category="Backup"),
        Fact(id="tls", question="Do you use TLS?", answer="Yes", category="Encryption"),
        Fact(id="aes", question="Which cipher protects stored data?", answer="AES-256", category="Encryption"),
        Fact(id="misc", question="Anything else?", answer="No"),
    ]
    answerer = CategoryAnswerer()
    answerer.index(facts)
    [scores] = answerer.rescore_scores(["Is customer data encrypted?"], [[0, 1, 2, 3]])
    assert scores[1] == scores[2] > scores[0] >= scores[3] == 0.0


def test_form_signal_scores_how_the_answer_fits_the_question():
    from answerers.form import FormAnswerer

    facts = [
        Fact(id="backup", question="Do you back up data?", answer="Yes"),
        Fact(id="freq", question="How often are backups taken?", answer="Daily"),
        Fact(id="test", question="Do you test restores?", answer="Yes (quarterly)"),
        Fact(id="tool", question="Which backup tool do you use?", answer="Provider snapshots"),
    ]
    answerer = FormAnswerer()
    answerer.index(facts)
    polar, often, both, describe, statement = answerer.rescore_scores(
        [
            "Are backups performed?",
            "How frequently are backups taken?",
            "Are restores tested, and how often?",
            "Describe your backup tooling.",
            "Backups.",
        ],
        [[0, 1, 2, 3]] * 5,
    )
    assert polar.tolist() == [100.0, 0.0, 100.0, 0.0]
    assert often.tolist() == [0.0, 100.0, 100.0, 0.0]
    assert both.tolist() == [50.0, 50.0, 100.0, 0.0]
    assert describe.tolist() == [50.0, 100.0, 75.0, 100.0]
    assert statement.tolist() == [50.0] * 4


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("In which region will our data be hosted?", {"description"}),
        ("For how long are logs kept?", {"quantity"}),
        ("Within what timeframe are breaches reported?", {"quantity"}),
        ("To whom are incidents escalated?", {"description"}),
        ("In the event of a breach, will you notify us?", {"yes/no"}),
        ("In addition, do you encrypt backups?", {"yes/no"}),
    ],
)
def test_form_reads_the_question_word_after_a_leading_preposition(question, asks):
    from answerers.form import DESCRIPTION, POLAR, QUANTITY, question_asks

    names = {POLAR: "yes/no", QUANTITY: "quantity", DESCRIPTION: "description"}
    assert {names[a] for a in question_asks(question)} == asks


# -- questionnaire language (answerers/salience.py, data built by scripts/build_questionnaire_df.py) --
def test_boilerplate_weighs_less_than_topic_words():
    from answerers.salience import boilerplate_weight, salient, spread
    from answerers.text import analyse

    [documented] = analyse("documented")
    [process] = analyse("process")
    [backup] = analyse("backup")
    assert spread(process) > spread(documented) > 0.2 > spread(backup) > 0  # every source counted
    assert boilerplate_weight(process) < boilerplate_weight(documented) < 1.0
    assert boilerplate_weight(backup) == 1.0 and boilerplate_weight("@mfa") == 1.0  # concepts keep theirs
    assert salient("consultant") and salient("watermark")  # rare, or in no questionnaire at all
    assert not salient(process)


@needs_shared
def test_the_shipped_questionnaire_counts_are_what_the_script_builds_today():
    """The counts are keyed by matching terms: a thesaurus or stemmer change that is not followed by
    `python scripts/build_questionnaire_df.py` leaves words counted under terms nothing looks up."""
    import importlib.util
    import json
    from pathlib import Path

    from tests.conftest import SHARED

    root = Path(__file__).resolve().parent.parent
    path = root / "scripts" / "build_questionnaire_df.py"
    spec = importlib.util.spec_from_file_location("build_questionnaire_df", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    shipped = json.loads((root / "answerers" / "data" / "questionnaire_df.json").read_text(encoding="utf-8"))
    assert script.build(SHARED) == shipped, "rebuild: .venv/bin/python scripts/build_questionnaire_df.py"


def test_scope_facts_are_no_answers_about_the_product_having_a_rare_subject():
    from answerers.scope import scope_subject

    def fact(question: str, answer: str) -> Fact:
        return Fact(id="f", question=question, answer=answer)

    assert scope_subject(fact("Do the apps include AI features?", "No")) == {"@ai"}
    assert scope_subject(fact("Can the product be used for HIPAA-regulated data?", "N/A")) == {"@hipaa"}
    assert not scope_subject(fact("Do the apps include AI features?", "Yes (summaries)"))  # it has them
    assert not scope_subject(fact("May employees use AI tools?", "No"))  # not about the product
    assert not scope_subject(fact("Is customer data used in test environments?", "No"))  # nothing rare


def test_a_question_whether_a_practice_exists_is_answered_by_how_it_works_too():
    from answerers.form import DESCRIPTION, POLAR, question_asks

    assert question_asks("Do you have a documented patch management process?") == {POLAR, DESCRIPTION}
    assert question_asks("Does your organization maintain an incident response plan?") == {POLAR, DESCRIPTION}
    assert question_asks("Do you encrypt customer data at rest?") == {POLAR}


def test_every_thesaurus_weight_names_a_term_as_matching_reads_it():
    # "information": 0.5 had sat in the weights for rounds without effect: matching reads the word as
    # "informat", so the learned boilerplate weight applied instead. A key must be a term analyse() gives.
    from answerers.text import analyse, thesaurus

    th = thesaurus()
    for key in th.weights:
        if key.startswith("@"):
            assert key in th.concepts, f"weight for unknown concept {key}"
        else:
            assert analyse(key) == (key,), f"weight key {key!r} is read as {analyse(key)}"


def test_in_scope_qualifies_and_is_not_an_apps_permission_scope():
    # NIST-derived customer questionnaires say "in-scope information systems" throughout; "scope" alone is
    # a Jira app's permission scope, and the qualifier had matched the scope facts.
    from answerers.text import analyse

    assert "@scope" not in analyse("Does the organization protect in-scope information systems?")
    assert "@scope" not in analyse("Which systems are out of scope?")
    assert "@scope" in analyse("Which permission scopes does the app request?")
    assert "@staff" in analyse("individuals employed by the vendor")
