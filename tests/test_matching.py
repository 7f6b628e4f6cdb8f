"""The matching engine: normalisation, neighbours, outcomes, semantic cache, and the dev-set figures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from answerers import MatchingEngine, MatchSettings, analyse, available_answerers, normalise
from answerers.engine import close_rival
from answerers.semantic import INSTALL_HINT
from knowledge.model import Fact
from tests.conftest import needs_shared

LEXICAL = MatchSettings(semantic=False)


# -- normalisation -------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_analyse_is_stable_on_normalised_text(text):
    assert analyse(normalise(text)) == analyse(text)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("DSP-03.2 Do you encrypt data?", "do you encrypt data"),
        ("1.4 Is MFA enforced?", "is mfa enforced"),
        ("A.12.3 (b) Describe the programme.", "describe the program"),
        ("Q12. Who is the organisation's CISO?", "who is the organization ciso"),
        ("SOC 2 report available?", "soc 2 report available"),
        ("Multi-Factor Authentication", "multi factor authentication"),
    ],
)
def test_normalise_examples(raw, clean):
    assert normalise(raw) == clean


def test_synonyms_fold_to_one_concept():
    assert analyse("Is 2FA required?") == analyse("Is multi-factor authentication required?")
    assert analyse("SAML single sign-on") == ("@sso", "@sso")
    assert analyse("Do you have a BCP?") == analyse("Do you have a business continuity plan?")
    assert analyse("optimise the centre") == analyse("optimize the center")


def test_ify_verbs_and_their_nouns_share_a_stem():
    # "Do you classify data based on sensitivity?" shared no term with "a data classification scheme"
    # ("classify" / "classificat"): ranked first at confidence 1 on a blind supplier form.
    from answerers.text import stem

    forms = ("classify", "classified", "classifies", "classification", "classifications")
    assert {stem(w) for w in forms} == {"classif"}
    assert stem("notify") == stem("notification") == stem("notified")
    assert stem("certificate") != stem("certification")  # a TLS certificate is not an ISO certification
    assert "@classification" in analyse("Do you classify data based on sensitivity?")
    assert "@classification" in analyse("Do you use a formal data classification model?")
    assert "@classification" not in analyse("Are you classified as a service provider?")  # PCI's category


def test_a_hosting_location_names_what_is_hosted():
    # "Where is the hosting location? Country, State?" read as a bare "where" (the phrase folded into
    # @where), so it was left unanswered as a follow-up naming nothing, at confidence 100.
    assert set(analyse("Where is the hosting location?")) == {"@where", "@store"}
    library = [Fact(id="where", question="Where is customer data hosted?", answer="Frankfurt, Germany")]
    m = MatchingEngine(library, LEXICAL).match_one("Where is the hosting location? Country, State?")
    assert m.fact_id == "where" and "without naming of what" not in m.note, m


def test_stranger_wording_of_common_concepts_folds():
    # "Transport" of data is transit (NIST: "transporting (or transmitting)"); "24 x 7 x 365" and
    # "24 hours a day" are the round-the-clock operations "24x7" already named.
    assert "@transit" in analyse("Are files encrypted during transport between offices?")
    assert "@secops" in analyse("Is the help line staffed on a 24 x 7 x 365 basis?")
    assert "@secops" in analyse("Are alerts watched 24 hours a day?")
    assert "@tls" in analyse("Is transport layer security enforced?")  # the longer phrase still wins


# -- neighbours ----------------------------------------------------------------------------------
NEIGHBOURS = [
    Fact(id="rest", question="Is customer data encrypted at rest?", answer="Yes"),
    Fact(id="transit", question="Is customer data encrypted in transit?", answer="Yes"),
    Fact(id="bk-freq", question="How often are backups taken?", answer="Daily"),
    Fact(id="bk-ret", question="How long are backups retained?", answer="35 days"),
    Fact(id="audit-ret", question="How long are audit trail entries retained?", answer="1 year"),
    Fact(id="log-ret", question="How long are system logs retained?", answer="90 days"),
    Fact(id="ir-plan", question="Do you have a documented incident response plan?", answer="Yes"),
    Fact(id="breach", question="How soon will you notify customers of a data breach?", answer="72 hours"),
    Fact(id="vscan", question="Do you run automated vulnerability scanning?", answer="Weekly"),
    Fact(id="pentest", question="Do you perform penetration testing?", answer="Yearly"),
    Fact(id="deps", question="Are third-party dependencies scanned for known vulnerabilities?", answer="Yes"),
    Fact(id="rpo", question="What is your recovery point objective?", answer="24h"),
    Fact(id="rto", question="What is your recovery time objective?", answer="8h"),
    Fact(id="mfa-staff", question="Is multi-factor authentication required for employees?", answer="Yes"),
    Fact(id="mfa-cust", question="Can customers enable multi-factor authentication?", answer="Yes"),
    Fact(id="sso", question="Do you support single sign-on for customers?", answer="SAML"),
]


@pytest.fixture(scope="module")
def neighbours():
    return MatchingEngine(NEIGHBOURS, LEXICAL)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Is stored data protected with encryption at rest?", "rest"),
        ("Is data encrypted in transit over public networks?", "transit"),
        ("Is the transport of exported records protected with encryption?", "transit"),
        ("What is the frequency of backups?", "bk-freq"),
        ("What is the retention period for backups?", "bk-ret"),
        ("What is the retention period of the audit log?", "audit-ret"),
        ("How long do you keep system and security logs?", "log-ret"),
        ("Is there an incident response plan?", "ir-plan"),
        ("Within what timeframe are customers notified of a breach?", "breach"),
        ("How frequently do you perform vulnerability scans?", "vscan"),
        ("When was your last pen test?", "pentest"),
        ("Do you use SCA to check open source libraries for CVEs?", "deps"),
        ("State your RPO.", "rpo"),
        ("State your RTO.", "rto"),
        ("Do staff use 2FA?", "mfa-staff"),
        ("Is 2FA available to customer users?", "mfa-cust"),
        ("Can we log in through our SAML identity provider?", "sso"),
    ],
)
def test_neighbours_are_told_apart(neighbours, question, expected):
    match = neighbours.match_one(question)
    assert match.alternatives[0].fact_id == expected, match.alternatives[:2]


# -- engine behaviour ----------------------------------------------------------------------------
def test_match_outcomes_and_alternatives(neighbours):
    exact, unrelated = neighbours.match(
        [
            "Is customer data encrypted at rest?",
            "Does the solution support right-to-left languages in reports?",
        ]
    )
    assert exact.status == "suggested" and exact.fact_id == "rest"
    assert "rest" in exact.alternatives[0].reason and "phrasing" in exact.alternatives[0].reason
    assert unrelated.status == "unanswered" and unrelated.fact_id is None
    assert len(exact.alternatives) <= 5
    assert [a.score for a in exact.alternatives] == sorted((a.score for a in exact.alternatives), reverse=True)


def test_empty_question_and_empty_library():
    assert MatchingEngine([], LEXICAL).match_one("Is data encrypted?").status == "unanswered"
    m = MatchingEngine(NEIGHBOURS, LEXICAL).match_one("   ")
    assert m.status == "unanswered" and m.fact_id is None and m.alternatives == []


def test_thresholds_are_settings(neighbours):
    q = "Is stored data protected with encryption at rest?"
    strict = MatchingEngine(NEIGHBOURS, MatchSettings(semantic=False, suggest_threshold=100, review_threshold=100))
    lenient = MatchingEngine(NEIGHBOURS, MatchSettings(semantic=False, suggest_threshold=0, review_threshold=0))
    assert strict.match_one(q).status == "unanswered"
    assert lenient.match_one(q).status == "suggested"


def test_product_scoping_in_engine():
    facts = [
        Fact(id="loc-a", question="Where is customer data stored?", answer="EU", product="Forms"),
        Fact(id="loc-b", question="Where is customer data stored?", answer="US", product="chat"),
        Fact(id="loc", question="Where are backups stored?", answer="EU"),
    ]
    engine = MatchingEngine(facts, LEXICAL)
    ids = {a.fact_id for a in engine.match_one("Where is customer data stored?", "forms").alternatives}
    assert "loc-a" in ids and "loc-b" not in ids
    assert "loc-a" not in {a.fact_id for a in engine.match_one("Where is data stored?").alternatives}


def test_deterministic_engine(neighbours):
    qs = [q for q, _ in [("What is the RPO?", 0), ("Are backups retained?", 0), ("Pen test?", 0)]]
    assert neighbours.match(qs) == MatchingEngine(NEIGHBOURS, LEXICAL).match(qs)


def test_novelty_counts_specific_words_no_fact_mentions(neighbours):
    hitrust, plain, known = neighbours.novelty(
        [
            "Is the organisation HITRUST CSF certified?",  # acronyms the library never mentions
            "Is it possible to encrypt data at rest exclusively?",  # unknown words, but plain ones
            "Is customer data encrypted at rest?",
        ]
    )
    # Only names of things no fact mentions count: plain words the library does not use say how the
    # library is worded, not that it cannot answer (lexical.PLAIN_NOVELTY).
    assert hitrust > 50 and plain == 0 and known == 0


def test_a_strangers_plain_wording_keeps_its_confidence(neighbours):
    # Words a questionnaire writer uses and the library does not ("transport", "sensitive",
    # "protocols") held a right answer at 69 when they counted as novelty.
    question = "Is the transport of sensitive information protected using encryption protocols in transit?"
    m = neighbours.match_one(question)
    assert m.fact_id == "transit" and m.score >= 80


def test_unknown_acronyms_lower_confidence(neighbours):
    plain, certified = neighbours.match(["Is customer data encrypted at rest?", "Is customer data HITRUST certified?"])
    assert certified.score < plain.score - 20


def test_questionnaire_customer_name_reads_as_customer(neighbours):
    # "Contoso" recurs through the sheet and no fact mentions it: the asker's name, which means
    # "the customer" (their users, their data), not a topic of its own.
    sheet = [
        "Is Contoso data encrypted at rest?",
        "Is 2FA available for Contoso's agents?",
        "Can Contoso users enable multi-factor authentication?",
    ]
    named = neighbours.match(sheet)
    plain = neighbours.match(["Is customer data encrypted at rest?", "Is 2FA available for customer agents?",
                              "Can customer users enable multi-factor authentication?"])
    first = [m.alternatives[0].fact_id for m in named]
    assert first == [m.alternatives[0].fact_id for m in plain] == ["rest", "mfa-cust", "mfa-cust"]
    assert [m.score for m in named] == [m.score for m in plain]
    # With the name only taken out, nothing tells the customer's agents from the vendor's staff.
    dropped = neighbours.match_one("Is 2FA available for agents?")
    assert named[1].score > dropped.score + 10
    assert {a.fact_id: a.score for a in dropped.alternatives}["mfa-staff"] > 0
    # Named once, a product is what the question is about and stays in.
    assert neighbours.prepare(["Can it post to Slack?", sheet[0]]) == ["Can it post to Slack?", sheet[0]]


def test_unknown_answerer_is_a_config_error():
    from trustfill.errors import ConfigError

    with pytest.raises(ConfigError):
        MatchingEngine(NEIGHBOURS, MatchSettings(answerers=["nope"]))


# -- semantic ------------------------------------------------------------------------------------
semantic_only = pytest.mark.skipif("semantic" not in available_answerers(), reason=INSTALL_HINT)


@semantic_only
def test_semantic_cache_recomputes_only_changed_facts(tmp_path):
    from answerers.semantic import SemanticAnswerer

    first = SemanticAnswerer(cache_dir=str(tmp_path))
    first.index(NEIGHBOURS)
    assert first.computed == sum(len(f.all_questions) for f in NEIGHBOURS)
    changed = [
        *NEIGHBOURS[:-1],
        NEIGHBOURS[-1].model_copy(update={"question": "Is SSO with Okta supported?"}),
    ]
    second = SemanticAnswerer(cache_dir=str(tmp_path))
    second.index(changed)
    assert second.computed == 1
    assert (tmp_path / "all-MiniLM-L6-v2.npz").is_file()
    # A comment is embedded with the question as one more text; changing it re-embeds that one only.
    commented = [*changed[:-1], changed[-1].model_copy(update={"comment": "Okta and Entra ID via SAML 2.0."})]
    third = SemanticAnswerer(cache_dir=str(tmp_path))
    third.index(commented)
    assert third.computed == 1
    assert len(third.matrix) == sum(len(f.all_questions) for f in NEIGHBOURS) + 1
    [[hit]] = third.score(["Which identity providers work with Okta and Entra ID?"], top_k=1)
    assert hit.fact_id == changed[-1].id and hit.matched_text == "Is SSO with Okta supported?"


@semantic_only
def test_engine_uses_semantic_when_installed(tmp_path):
    engine = MatchingEngine(NEIGHBOURS, MatchSettings(cache_dir=str(tmp_path)))
    assert "semantic" in [a.name for a in engine.answerers]
    assert engine.match_one("What is the recovery time objective?").fact_id == "rto"


def test_semantic_can_be_switched_off():
    assert "semantic" not in [a.name for a in MatchingEngine(NEIGHBOURS, LEXICAL).answerers]


# -- the dev questionnaires ----------------------------------------------------------------------
def _dev_figures(semantic: bool, tmp_path) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from bench_matching import engine_figures
    from bench_matching_data import load_dev, load_library

    engine = MatchingEngine(load_library(), MatchSettings(semantic=semantic, cache_dir=str(tmp_path)))
    return engine_figures(engine, load_dev())


# The issue's targets on the dev questionnaires, default install (no torch).
@needs_shared
def test_dev_set_targets(tmp_path):
    fig = _dev_figures(False, tmp_path)
    assert fig["top1"] >= 0.92, fig
    assert fig["abstained"] >= 0.85, fig
    assert fig["precision"] >= 0.97, fig


# Floor at the measured figures (minus a little) so that a regression fails CI.
@needs_shared
def test_dev_set_ranking_floor(tmp_path):
    assert _dev_figures(False, tmp_path)["ranked"] >= 0.93


# With the semantic extra: refitted on dev after the questionnaire-boilerplate weights and the guards
# (issue #15), it answers 0.935 of dev right (was 0.952) and leaves 0.883 of unanswerable questions
# alone (the old fit, kept, fell to 0.844 under the new lexical weights); held out by family on
# HECVAT 4.14 it answers 0.597 right against 0.591 without it (benchmarks/bench_matching_fit.py
# --holdout-family). So the floor is the default install's, not 0.95.
@needs_shared
@semantic_only
def test_dev_set_targets_semantic(tmp_path):
    fig = _dev_figures(True, tmp_path)
    assert fig["top1"] >= 0.92, fig
    assert fig["ranked"] >= 0.96, fig
    assert fig["abstained"] >= 0.85, fig
    assert fig["precision"] >= 0.97, fig


# -- the shipped sample (written apart from the dev set, never fitted on) -------------------------
def test_sample_questionnaire_floor():
    # The first thing a new user sees: the sample questionnaire against the sample knowledge base,
    # each question with the fact it was written for (None: the sample cannot answer it).
    from knowledge.io import read_library
    from knowledge.sample import FACTS_FILE
    from knowledge.sample import make_sample_questionnaire as maker

    items = [(text, fact) for _, rows in maker.SECTIONS for _, text, fact in rows]
    engine = MatchingEngine(read_library(FACTS_FILE), LEXICAL)
    matches = engine.match([text for text, _ in items], maker.PRODUCT)
    pairs = list(zip(items, matches, strict=True))
    answerable = [(fact, m) for (_, fact), m in pairs if fact]
    unanswerable = [m for (_, fact), m in pairs if not fact]
    ranked = sum(bool(m.alternatives) and m.alternatives[0].fact_id == fact for fact, m in answerable)
    top1 = sum(m.fact_id == fact for fact, m in answerable)
    # Measured: 27/28 ranked first, 26/28 answered right, 6/6 unanswerable left alone, no wrong suggestion
    # ("In which region will Acme data be hosted?" ranks data-residency a hair above the storage
    # location, both near 100: held for review, since two facts fit).
    assert ranked >= len(answerable) - 1
    assert top1 >= len(answerable) - 3
    assert sum(m.status == "unanswered" for m in unanswerable) >= len(unanswerable) - 1
    assert all(m.fact_id == fact for (_, fact), m in pairs if m.status == "suggested")


# -- a public questionnaire in another style, against the shipped sample ---------------------------
# HECVAT 4.14 asks 331 questions, most of them outside the sample's 40 facts: a harsh check of what
# gets bulk-suggested. Each WRONG pair was once suggested (at a suggest threshold of 60, with the
# semantic answerer): it may be offered for review, never suggested. The RIGHT ones stay suggested.
HECVAT_WRONG = {
    "Solution Provider Name": "hosting-provider",
    "Will you allow the institution to perform its own vulnerability testing": "vulnerability-scanning",
    "Will any data be transferred to the consultant's possession?": "sccs",
    "In the event of an incident, can your solution's AI features be disabled": "analytics-opt-out",
    "Do you limit your solution's LLM privileges by default?": "production-access",
    "Is AI privacy and ethics awareness/training required": "security-training",
    "Do you have Internet Service Provider (ISP) redundancy?": "high-availability",
}
HECVAT_RIGHT = {
    "Have you undergone a SSAE 18/SOC 2 audit?": "soc2",
    "Do you have a documented information security policy?": "security-policy",
    "Is security awareness training mandatory for all employees?": "security-training",
    "Do you have a formal incident response plan?": "incident-response-plan",
    "Do you have a data protection officer (DPO)?": "dpo",
}


@needs_shared
@pytest.mark.parametrize("semantic", [False, pytest.param(True, marks=semantic_only)])
def test_hecvat_against_the_sample_suggests_only_what_fits(semantic, tmp_path):
    from knowledge.io import read_library
    from knowledge.sample import FACTS_FILE
    from tests.conftest import QUESTIONNAIRES
    from trustfill.intake import read_questionnaire

    texts = [q.text for q in read_questionnaire(QUESTIONNAIRES / "hecvat-4.14-blank.xlsx").questions]
    engine = MatchingEngine(read_library(FACTS_FILE), MatchSettings(semantic=semantic, cache_dir=str(tmp_path)))
    by_text = dict(zip(texts, engine.match(texts), strict=True))

    def find(start: str):
        [m] = [m for t, m in by_text.items() if t.startswith(start)]
        return m

    for start, fact in HECVAT_WRONG.items():
        m = find(start)
        assert not (m.status == "suggested" and m.fact_id == fact), (start, m.score)
    for start, fact in HECVAT_RIGHT.items():
        m = find(start)
        assert (m.status, m.fact_id) == ("suggested", fact), (start, m.status, m.note)


# -- the reason given with each status -----------------------------------------------------------
def _cands(*scores):
    from answerers.base import Candidate

    return [Candidate(fact_id=f"f{i}", score=s) for i, s in enumerate(scores)]


@pytest.mark.parametrize(
    ("scores", "votes", "status", "words"),
    [
        ((80.0, 20.0), 5, "suggested", "confidence 80 and 5 of 6 matching signals rank this fact first"),
        ((80.0, 20.0), 4, "review", "only 4 of 6 matching signals rank this fact first (5 needed to suggest)"),
        ((80.0, 70.0), 4, "review", "(5 needed to suggest); runner-up f1 at 70"),
        ((99.9, 99.4), 6, "review", "runner-up f1 is at 99, also over the suggest threshold (60): two facts fit"),
        ((99.9, 59.0), 6, "suggested", "confidence 100 and 6 of 6 matching signals rank this fact first"),
        ((100.0, 63.0), 6, "suggested", "confidence 100 and 6 of 6"),  # an exact match beside its neighbour
        ((50.0, 45.0), 6, "review", "confidence 50 is under the suggest threshold (60); runner-up f1 at 45"),
        ((10.0,), 6, "unanswered", "best candidate f0 at confidence 10, under the review threshold (30)"),
        ((), 0, "unanswered", "no fact shares a meaningful word with the question"),
    ],
)
def test_each_status_comes_with_the_reason_for_it(scores, votes, status, words):
    from answerers.engine import verdict

    s = MatchSettings(suggest_threshold=60, review_threshold=30, suggest_agreement=0.75)
    got, note = verdict(_cands(*scores), votes, 6, s)
    assert got == status
    assert words in note


@pytest.mark.parametrize(("answer", "status"), [("Yes", "suggested"), ("No", "review")])
def test_a_close_runner_up_holds_a_suggestion_back_unless_it_says_the_same(answer, status):
    # A second fact on the same topic: with another answer, which one goes into the customer's sheet
    # is for a person to pick; with the same answer and comment, the sheet reads the same either way.
    copy = Fact(id="rest-copy", question="Is customer data encrypted at rest?", answer=answer,
                alternate_questions=["Is data at rest encrypted?"])
    # Not worded exactly as either fact's phrasing: that would make it the fact's outright.
    m = MatchingEngine([*NEIGHBOURS, copy], LEXICAL).match_one("Is all data at rest encrypted?")
    assert [a.fact_id for a in m.alternatives[:2]] == ["rest-copy", "rest"]
    assert m.status == status
    assert ("two facts fit" in m.note) == (status == "review")


def test_the_engine_gives_every_match_a_reason_that_fits_its_status():
    from knowledge.io import read_library
    from knowledge.sample import FACTS_FILE
    from knowledge.sample import make_sample_questionnaire as maker

    engine = MatchingEngine(read_library(FACTS_FILE), LEXICAL)
    questions = [text for _, rows in maker.SECTIONS for _, text, _ in rows] + ["", "zzqx"]
    seen = set()
    for m in engine.match(questions, maker.PRODUCT):
        seen.add(m.status)
        assert m.note
        scores = [a.score for a in m.alternatives]
        assert scores == sorted(scores, reverse=True)  # the first is the likeliest, as shown
        # signals disagree, a close rival, or a guard (answerers/guard.py): "confidence 99, but ..."
        held_back = ", but " in m.note
        if m.status == "review" and held_back:
            assert m.score >= engine.settings.suggest_threshold
        if m.status == "review" and not held_back:
            assert m.score < engine.settings.suggest_threshold
        if m.status == "suggested" and len(m.alternatives) > 1:
            assert not close_rival(m.score, m.alternatives[1].score, engine.settings.suggest_threshold)
        if m.status == "unanswered" and m.alternatives:
            assert m.alternatives[0].fact_id in m.note
    assert seen == {"suggested", "review", "unanswered"}


# -- calibration features: the batch path computes what the per-question path does -------------
@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=5).flatmap(
        lambda sizes: st.tuples(
            st.just(sizes),
            st.lists(st.lists(st.integers(0, 20), min_size=4, max_size=4), min_size=sum(sizes), max_size=sum(sizes)),
            st.lists(st.integers(-1, 2), min_size=sum(sizes), max_size=sum(sizes)),
        )
    )
)
def test_batch_calibration_features_equal_the_per_question_ones(case):
    # Small integer scores: ties happen, and both paths must break them the same way.
    import numpy as np

    from answerers.engine import batch_calibration_features, calibration_features

    sizes, rows, groups = case
    names = ["terms", "coverage", "static", "category"]
    w = np.array([0.5, 0.1, 0.3, 0.1])
    X = np.array(rows, dtype=np.float64).reshape(-1, 4)
    g = np.array(groups, dtype=np.int64)
    novelty = np.arange(len(sizes), dtype=np.float64)
    _, batch = batch_calibration_features(X, np.array(sizes), w, names, novelty, g)
    at = 0
    for qi, n in enumerate(sizes):
        _, one = calibration_features(X[at : at + n], w, names, novelty=float(qi), groups=g[at : at + n])
        for key in ("fused", "margin", "coverage", "agree", "novelty", "sibling"):
            assert np.allclose(batch[key][at : at + n], one[key]), (key, qi)
        at += n


def test_a_fusion_only_signal_weighed_at_zero_is_not_computed():
    # The semantic profile weighs the answer-form signal at 0: computing it would change nothing.
    from knowledge.io import read_library
    from knowledge.sample import FACTS_FILE

    engine = MatchingEngine(read_library(FACTS_FILE), LEXICAL)
    form = next(a for a in engine.answerers if a.name == "form")
    questions = ["How often are backups taken?", "Is MFA enforced for staff?"]
    calls = []
    real = form.rescore_flat
    form.rescore_flat = lambda *args: calls.append(1) or real(*args)
    weighed = engine.match(questions)
    assert calls
    calls.clear()
    engine.weights["form"] = 0.0
    unweighed = engine.match(questions)
    assert not calls
    assert [m.alternatives[0].fact_id for m in unweighed] == [m.alternatives[0].fact_id for m in weighed]


# -- suggested means safe: classes of wrong confident answers (issue #15) --------------------------
# Each question below is matched on topic to a fact of the shipped sample knowledge base, but the fact
# does not answer it as asked. Each used to be bulk-suggested (confidence 95-100); none may be now.
# The wording is our own; the classes are those seen on HECVAT 4.14.
SAFE_CASES = {
    # a form field asking for a value, not a yes/no question
    "form field": ("Security Incident Notification Contact Email", "unanswered"),
    "form field, a name": ("Data Protection Officer Name", "unanswered"),
    # polarity or scope reversed: the exception, not the rule
    # ... and a fact about the very thing excluded is not offered at all
    "scope flip": ("For customers not using SAML SSO, do you support other identity providers?", "unanswered"),
    "scope flip, other than": ("Do you support single sign-on providers other than SAML or OIDC?", None),
    # the question's subject is not the platform the fact is about
    # (a subject rare in questionnaires, such as a contractor, that the fact never mentions: not offered)
    "subject": ("Is customer data encrypted at rest while held by your contractors?", "unanswered"),
    "subject, staff": ("Is customer data encrypted at rest on the laptops your employees use?", None),
    # a domain the fact never mentions, where the fact names another (privacy vs security training)
    "domain": ("Is privacy awareness training mandatory for all new hires?", "unanswered"),
    # ... also asked of staff and contractors together, which alone goes to review (a blind telco
    # questionnaire's "Are employees and contractors required to complete privacy training?")
    "domain, staff and contractors": ("Must employees and contractors complete privacy awareness training?",
                                      "unanswered"),
    # salient words the fact does not cover
    "salient terms": ("Were any infringements of your data retention policy reported by regulators?", None),
}


# The sample's training fact mentions privacy in its comment; this one, as many libraries, does not.
SECURITY_TRAINING = Fact(
    id="security-awareness",
    question="Do employees complete security awareness training?",
    answer="Yes (annually)",
    comment="Phishing, passwords and device hygiene, at onboarding and every year.",
    category="HR Security",
)


@pytest.fixture(scope="module")
def sample_engine():
    from knowledge.io import read_library
    from knowledge.sample import FACTS_FILE

    facts = [f for f in read_library(FACTS_FILE) if f.id != "security-training"] + [SECURITY_TRAINING]
    return MatchingEngine(facts, LEXICAL)


@pytest.mark.parametrize("case", sorted(SAFE_CASES))
def test_topic_match_that_does_not_answer_as_asked_is_not_suggested(sample_engine, case):
    question, status = SAFE_CASES[case]
    m = sample_engine.match_one(question)
    assert m.status != "suggested", (case, m.fact_id, m.score, m.note)
    if status:
        assert m.status == status and m.fact_id is None, (case, m)
    assert m.alternatives, "the topic match is still shown to the reviewer"


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("Is customer data encrypted at rest?", "encryption-at-rest"),
        ("Do you support single sign-on (SSO) via SAML?", "sso-saml"),
        ("Is multi-factor authentication required for your employees?", "staff-mfa"),
        ("Do you have a data retention policy?", "data-retention-policy"),
        ("Is security awareness training mandatory for all staff?", "security-awareness"),
    ],
)
def test_plain_matches_stay_suggested(sample_engine, question, fact):
    m = sample_engine.match_one(question)
    assert (m.status, m.fact_id) == ("suggested", fact), m.note


def test_guard_reasons_name_the_class():
    from answerers.guard import form_field, scope_flip

    assert form_field("Solution Provider Contact Email") == "an e-mail address"
    assert form_field("Company website URL") == "a web address"
    assert form_field("Do you have a contact for security issues?") is None
    assert scope_flip("For users not using SSO, ...") == "not using"
    assert scope_flip("Is data encrypted?") is None


# -- a fact that puts a whole subject out of scope answers that section (issue #15) ---------------
SCOPE_LIBRARY = [
    Fact(id="ai-features", question="Does the product include AI or LLM features?", answer="No"),
    Fact(id="ai-training", question="Is customer data used to train machine learning models?", answer="No",
         comment="We never train, fine-tune or evaluate models on customer data."),
    Fact(id="hipaa", question="Can the product be used for HIPAA-regulated data?", answer="No"),
    Fact(id="enc-at-rest", question="Is customer data encrypted at rest?", answer="Yes (AES-256)"),
    Fact(id="audit-trail", question="Does the product keep an audit trail of user activity?", answer="Yes"),
    Fact(id="pentest", question="Do you run annual penetration tests?", answer="Yes"),
    Fact(id="staff-ai", question="May employees use AI tools with customer data?", answer="No"),
]


@pytest.mark.parametrize(
    "question",
    [
        "Are outputs of the model reviewed by a person before users see them?  (AI section)",
        "Do you keep an inventory of the datasets your machine learning pipeline was trained on?",
        "Are audit logs of access to HIPAA-covered records kept for six years?",
    ],
)
def test_question_in_an_out_of_scope_section_gets_the_scope_fact_for_review(question):
    m = MatchingEngine(SCOPE_LIBRARY, LEXICAL).match_one(question)
    expected = "hipaa" if "HIPAA" in question else "ai-features"
    assert (m.fact_id, m.status) == (expected, "review"), m
    assert "out of scope" in m.note


def test_scope_fact_does_not_answer_someone_elses_use_of_the_subject():
    # the employees' use of AI is its own fact; the product's lack of AI features does not answer it
    m = MatchingEngine(SCOPE_LIBRARY, LEXICAL).match_one("Are employees allowed to paste customer data into AI tools?")
    assert m.fact_id == "staff-ai", m


def test_form_field_takes_a_value_from_the_comment_for_review_only():
    from answerers.guard import Guard

    facts = [
        Fact(id="privacy-notice", question="Do you publish a privacy notice?", answer="Yes",
             comment="It is at example.org/privacy and is reviewed yearly."),
        Fact(id="notify", question="How are customers told of incidents?", answer="By email"),
        Fact(id="contact", question="Who is the security contact?", answer="security@example.org"),
    ]
    guard = Guard(facts)
    status, why = guard.check("Privacy notice web link", 0, "suggested")
    assert status == "review" and "comment" in why
    assert guard.check("Privacy notice web link", 0, "review") is None
    assert guard.check("Security incident contact email", 1, "suggested")[0] == "unanswered"  # "By email" is no address
    assert guard.check("Security incident contact email", 2, "suggested") is None


def test_compound_question_is_answered_for_its_main_question_for_review(sample_engine):
    # As a whole the follow-up drowns the question; its first sentence alone is a confident match.
    question = (
        "Do you support data residency? If not, list every jurisdiction whose courts, regulators and"
        " law-enforcement agencies could compel disclosure, and the legal basis each would invoke."
    )
    m = sample_engine.match_one(question)
    assert (m.fact_id, m.status) == ("data-residency", "review"), m
    assert 'main question only ("Do you support data residency?")' in m.note
    from answerers.engine import main_question

    assert main_question("Is MFA enforced?") is None
    assert main_question("Is MFA enforced for staff? If so, how.") == "Is MFA enforced for staff?"


def test_a_question_with_a_rider_is_answered_for_its_main_clause_for_review(bench_engine):
    # "Do you support SSO (SAML/OIDC) with automatic provisioning/deprovisioning (SCIM)?" had been left
    # unanswered (a blind vendor-risk bank): the rider drowned the SSO fact to confidence 0.1.
    from answerers.engine import main_clause

    m = bench_engine.match_one("Do you offer single sign-on (SAML/OIDC) with automated user provisioning and "
                               "deprovisioning through SCIM?", "forms")
    assert (m.fact_id, m.status) == ("sso-customers", "review"), m.note
    assert 'main clause only ("Do you offer single sign-on (SAML/OIDC)"' in m.note
    assert main_clause("Are admin accounts protected by MFA and traced via a bastion?") == \
        "Are admin accounts protected by MFA"
    assert main_clause("Do you use SSO with SAML?") is None  # no rider worth the name
    assert main_clause("Is data encrypted with AES-256") is None  # not a question
    assert main_clause("Is data encrypted? Describe with detail how it is done.") is None  # two sentences


def test_a_word_no_fact_uses_in_place_of_the_facts_own_is_not_suggested():
    # "phones" asked, "laptops" stated: the library never mentions phones, so the one fact that
    # shares every other word is offered for review, not bulk-approved (plain words no fact uses no
    # longer lower the confidence, so this check stands in for it).
    lib = [
        Fact(id="laptops", question="Do you keep a register of company laptops?", answer="Yes"),
        Fact(id="soc2", question="Do you have a SOC 2 Type II report?", answer="Yes"),
    ]
    engine = MatchingEngine(lib, LEXICAL)
    phones = engine.match_one("Do you keep a register of company phones?")
    assert (phones.status, phones.fact_id) == ("review", "laptops")
    assert '"phones"' in phones.note
    # A word no fact uses around what the fact does state is only wording: the check lets it through.
    assert engine.guard.check("Have you undergone a SOC 2 Type II audit?", 1, "suggested") is None


def test_a_question_worded_exactly_as_an_accepted_phrasing_is_that_facts():
    """Twin questions (the DRP's and the BCP's escalation plan) score alike, so without the rule the
    runner-up holds each back as 'two facts fit'; a wording a person accepted for a fact settles it.
    Two facts sharing one wording but saying different things stay for a person."""
    facts = [
        Fact(id="drp-escalation",
             question="Is there a defined problem escalation plan in your DRP for impacted clients?",
             answer="Yes", comment="In the DRP, section 4."),
        Fact(id="bcp-escalation",
             question="Is there a defined problem escalation plan in your BCP for impacted clients?",
             answer="No", comment="The BCP refers to the DRP."),
    ]
    engine = MatchingEngine(facts, LEXICAL)
    for fact in facts:
        match = engine.match_one(f"1.2 {fact.question.upper()}")
        assert (match.fact_id, match.status) == (fact.id, "suggested"), match.note
        assert "worded exactly" in match.note
    twin = Fact(id="drp-escalation-2", question=facts[0].question, answer="No")
    match = MatchingEngine([*facts, twin], LEXICAL).match_one(facts[0].question)
    assert match.status != "suggested"


# -- a question asking *when* is not answered by a fact that names no time (issue #15) ------------
TIMING_LIBRARY = [
    Fact(id="outage-channel", question="How are tenants told about service outages?", answer="Through the status page",
         comment="Outages are posted on the public status page and sent to subscribed administrators."),
    Fact(id="outage-deadline", question="How quickly do you tell tenants about a data leak?",
         answer="Within 48 hours"),
    Fact(id="key-custody", question="Who looks after the signing keys?", answer="A managed key service",
         comment="The signing keys are rotated every 90 days."),
]


def test_a_question_asking_when_is_not_suggested_a_fact_that_names_no_time():
    engine = MatchingEngine(TIMING_LIBRARY, LEXICAL)
    m = engine.match_one("Are tenants told about service outages within a defined timeframe?")
    assert (m.fact_id, m.status) == ("outage-channel", "review"), m
    assert "names no time" in m.note
    # a time in the comment is enough: the fact states one, the reviewer's cell gets it
    m = engine.match_one("Who looks after the signing keys, and how often are they rotated?")
    assert "names no time" not in m.note


def test_time_words_in_answers():
    from answerers.form import asks_for_time, states_time

    assert asks_for_time("Do you patch within a defined timeframe?")
    assert asks_for_time("How soon are customers notified?")
    assert not asks_for_time("Do you notify customers of incidents?")
    assert states_time("Within 72 hours") and states_time("Yes (quarterly)")
    assert states_time("While the app is installed")
    assert not states_time("By email")


# -- another fact covering the whole question holds a partial one back (issue #15) -----------------
COVER_LIBRARY = [
    Fact(id="peer-review", question="Are all code changes peer reviewed before release?", answer="Yes",
         comment="Two engineers approve every merge request."),
    Fact(id="release-process", question="Do you have a formal release process?", answer="Yes",
         comment="Every code change is released through the pipeline after review and passing automated tests."),
    Fact(id="rollback", question="Can a release be rolled back?", answer="Yes (one step)"),
]


def test_a_fact_leaving_out_what_another_covers_is_not_suggested():
    engine = MatchingEngine(COVER_LIBRARY, LEXICAL)
    m = engine.match_one("Are all code changes tested before release?")
    assert (m.fact_id, m.status) == ("peer-review", "review"), m
    assert "release-process covers all the question names" in m.note
    # the fact's own wording, every word covered: nothing to hold back
    m = engine.match_one("Are code changes peer reviewed before release?")
    assert (m.fact_id, m.status) == ("peer-review", "suggested"), m


# -- a control catalogue's lists of process words do not drown the topic (issue #15) --------------
@pytest.mark.parametrize(
    ("raw", "collapsed"),
    [
        ("Are procedures, processes, and technical measures for key escrow defined, implemented, and evaluated?",
         "Are procedures for key escrow defined?"),
        ("Is a crisis plan established, documented, approved, communicated, applied, evaluated and maintained?",
         "Is a crisis plan established?"),
        ("Are standards, guidelines and policies for kiosks reviewed?", "Are standards for kiosks reviewed?"),
        # lists that name things are the question's subject: left whole
        ("Are logs, backups, and exports encrypted?", "Are logs, backups, and exports encrypted?"),
        ("Is tenant access segmented, monitored and restricted by region, team, and role?",
         "Is tenant access segmented by region, team, and role?"),
        # two items may be two different things asked ("encrypted and tested"): left whole
        ("Are backups encrypted and tested?", "Are backups encrypted and tested?"),
        # nouns and participles mixed are not one list of one kind
        ("Are policies, defined, and documented rules kept?", "Are policies, defined, and documented rules kept?"),
        ("Do you encrypt data at rest?", "Do you encrypt data at rest?"),
        # SIG's governance tail on every policy question says only that the policy is a managed one
        ("Is there a key escrow program that has been approved by management, communicated to appropriate "
         "constituents and an owner to maintain and review the program?", "Is there a key escrow program?"),
        ("Is there a kiosk policy that has been approved by senior management and communicated to relevant "
         "staff?", "Is there a kiosk policy?"),
        ("Is the kiosk budget approved by management?", "Is the kiosk budget approved by management?"),
        # a GRC tool's checklist asks one question of every requirement: the statement is the topic
        ("Is the following requirement implemented and verified: Kiosks are locked at night.",
         "Kiosks are locked at night."),
        ("Are the following controls in place? - Visitor badges expire daily.", "Visitor badges expire daily."),
        ("Is the following true of your kiosks?", "Is the following true of your kiosks?"),
    ],
)
def test_lists_of_process_words_collapse_to_their_first(raw, collapsed):
    from answerers.scaffold import collapse

    assert collapse(raw) == collapsed


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_collapsing_process_words_is_idempotent(text):
    from answerers.scaffold import collapse

    assert collapse(collapse(text)) == collapse(text)


def test_a_topic_wrapped_in_process_words_is_still_offered(neighbours):
    wrapped = (
        "Are processes, procedures, and technical measures for notifying customers of a data breach defined, "
        "implemented, approved, communicated, evaluated, and maintained?"
    )
    m = neighbours.match_one(wrapped)
    assert m.fact_id == "breach" and m.status != "unanswered", m
    # the plain question scores no better than the wrapped one: the lists carry no topic
    plain = neighbours.match_one("Are processes for notifying customers of a data breach defined?")
    assert abs(plain.score - m.score) < 1e-6


# -- the predicate a yes/no question asks of its subject must be stated (issue #15) ----------------
PREDICATE_LIBRARY = [
    Fact(id="patch-deadlines", question="How quickly are server security patches applied?",
         answer="Critical within 3 days", comment="High within 14 days, others within 60 days."),
    Fact(id="laptop-disks", question="Are laptop disks encrypted?", answer="Yes (full-disk)"),
]


def test_a_fact_that_does_not_state_the_asked_predicate_is_not_suggested():
    from answerers.guard import asked_predicate

    engine = MatchingEngine(PREDICATE_LIBRARY, LEXICAL)
    m = engine.match_one("Is server security patching automated?")  # suggested at 97 before this check
    assert (m.fact_id, m.status) == ("patch-deadlines", "review"), m
    assert "automated" in m.note
    # the fact stating it: nothing held back
    m = engine.match_one("Are laptop disks encrypted?")
    assert (m.fact_id, m.status) == ("laptop-disks", "suggested"), m
    # process words every control repeats ask only whether a practice exists
    assert asked_predicate("Is a patch process established and maintained?") is None
    assert asked_predicate("Is patching automated when possible?") == "automated"
    assert asked_predicate("Do you automate patching?") is None


# -- keeping paperwork current is asked of documents, not of what they govern (issue #15) ----------
CURRENT_LIBRARY = [
    Fact(id="rights-review", question="Are user permissions reviewed periodically?", answer="Yes (quarterly)"),
    Fact(id="laptop-disks", question="Are laptop disks encrypted?", answer="Yes (full-disk)"),
]


def test_a_question_on_keeping_policies_current_is_not_offered_a_fact_about_something_else():
    from answerers.guard import keeps_documents_current

    engine = MatchingEngine(CURRENT_LIBRARY, LEXICAL)
    # offered for review at 83 before this check, on the one shared word "reviewed"
    m = engine.match_one("Are the access management policies and procedures reviewed and updated at least annually?")
    assert m.status == "unanswered" and "kept up to date" in m.note, m
    # a fact about a document answers it
    with_policy = [*CURRENT_LIBRARY, Fact(id="policy-review", question="Is the information security policy "
                                           "reviewed every year?", answer="Yes (each January)")]
    m = MatchingEngine(with_policy, LEXICAL).match_one(
        "Is the information security policy reviewed and updated at least annually?")
    assert (m.fact_id, m.status) == ("policy-review", "suggested"), m
    assert keeps_documents_current("Is the continuity plan revised after major changes?")
    assert not keeps_documents_current("Are user access rights reviewed periodically?")


# -- "what is the ... time" asks for a time; "when was the last ..." for a date (issue #15) --------
DATE_LIBRARY = [
    Fact(id="outage-channel", question="How are tenants given notice of service outages?",
         answer="Through the status page",
         comment="Outages are posted on the public status page and sent to subscribed administrators."),
    Fact(id="ext-audit", question="Do you undergo an external security audit?", answer="Yes (every year)"),
    Fact(id="leaver", question="Is access removed on the last working day?", answer="Yes"),
    Fact(id="uptime", question="What is your uptime target?", answer="99.9%"),
]


def test_a_question_asking_a_time_or_a_date_is_not_suggested_a_fact_without_one():
    engine = MatchingEngine(DATE_LIBRARY, LEXICAL)
    # each was suggested at 99 before these checks
    m = engine.match_one("What is the notice time for service outages?")
    assert (m.fact_id, m.status) == ("outage-channel", "review") and "names no time" in m.note, m
    # A fact with no date cannot answer "when": left unanswered (not offered for review, where it was
    # before: a reviewer would paste "Yes (every year)" as the date), the fact still named in the note.
    for asked in ("When was your last external security audit?", "Last external security audit:",
                  "When did your most recent external security audit take place?"):
        m = engine.match_one(asked)
        assert m.status == "unanswered" and "ext-audit" in m.note and "gives no date" in m.note, (asked, m)
    dated = [*DATE_LIBRARY[:1], Fact(id="ext-audit", question="Do you undergo an external security audit?",
                                     answer="Yes (every year)", comment="The last one ended in March 2026.")]
    m = MatchingEngine(dated, LEXICAL).match_one("When was your last external security audit?")
    assert "gives no date" not in m.note


def test_a_fact_worded_for_the_when_question_is_offered_for_it():
    # "When was your last penetration test conducted?" had been left unanswered though the pen-test fact
    # lists "When was your last third-party penetration test?" among its phrasings (two blind sets, each
    # labelled with that fact): whoever wrote the fact meant it for the question; a person adds the date.
    library = [Fact(id="pentest", question="Do you commission penetration tests?", answer="Yes (annually)",
                    alternate_questions=["When was your last external penetration test?"]),
               Fact(id="lockers", question="Are visitors' bags kept in lockers?", answer="Yes")]
    m = MatchingEngine(library, LEXICAL).match_one("When was the most recent penetration test carried out?")
    assert (m.fact_id, m.status) == ("pentest", "review") and "worded for this" in m.note, m


def test_an_open_question_is_not_suggested_a_bare_no():
    # "What data was used to train the model?" had been suggested "No" (customer data is not used for
    # training) at 100 on a blind AI vendor assessment: a No says neither what nor how.
    library = [Fact(id="no-training", question="Is customer data used to train AI models?", answer="No"),
               Fact(id="lockers", question="Are visitors' bags kept in lockers?", answer="Yes")]
    engine = MatchingEngine(library, LEXICAL)
    m = engine.match_one("What customer data is used to train AI models?")
    assert m.status != "suggested" and m.fact_id == "no-training", m
    m = engine.match_one("Is customer data used to train AI models?")
    assert (m.fact_id, m.status) == ("no-training", "suggested"), m


def test_time_and_date_questions():
    from answerers.form import asks_for_date, asks_for_time, states_date

    assert asks_for_time("What is your target incident notification time?")
    assert not asks_for_time("What is your uptime target?")
    assert asks_for_date("When was your last penetration test conducted?")
    assert asks_for_date("Date of the most recent audit")
    assert not asks_for_date("When do you notify customers of a breach?")
    # a form's field for the date ("Last DR test date:"), which had been suggested "Yes (annually)"
    assert asks_for_date("Last tabletop exercise:") and asks_for_date("Most recent audit date")
    assert not asks_for_date("Last name") and not asks_for_date("Do you keep the last 30 days of logs?")
    assert states_date("Completed in March 2026") and states_date("2025-11-02") and states_date("on 02/11/2025")
    assert not states_date("Yes (annually)") and not states_date("Within 72 hours")


# -- a request for a document is for a person, unless the fact says there is none (issue #15) -----
DOCUMENT_LIBRARY = [
    Fact(id="pentest", question="Do you commission penetration tests?", answer="Yes (every year)",
         comment="An outside firm tests the service once a year."),
    Fact(id="iso", question="Are you ISO 27001 certified?", answer="No"),
    Fact(id="soc", question="Do you have a SOC 2 report?", answer="No (in progress)"),
    Fact(id="erase", question="Is customer data erased at contract end?", answer="Yes (within 30 days)"),
]


def test_a_request_for_a_document_is_not_suggested_a_statement():
    from answerers.guard import asks_for_document

    engine = MatchingEngine(DOCUMENT_LIBRARY, LEXICAL)
    # both were suggested at 100 before this check
    m = engine.match_one("Do you commission penetration tests? Please attach the report.")
    assert (m.fact_id, m.status) == ("pentest", "review") and "asks for a document" in m.note, m
    # "No" to ISO certification does not say there are no certificates of erasure
    m = engine.match_one("Can you provide ISO 27001 certificates for erasure?")
    assert m.status != "suggested", m
    # a fact saying there is none of the very thing asked for answers the request
    m = engine.match_one("Please provide a copy of your SOC 2 report.")
    assert (m.fact_id, m.status) == ("soc", "suggested"), m
    assert asks_for_document("Can you provide deletion certificates?") == "certificates"
    # a document checklist's row names the document ("Business Continuity test summary" had been suggested
    # the continuity-plan fact at 100 on a blind supplier questionnaire)
    assert asks_for_document("Disaster recovery test summary") == "summary"
    assert asks_for_document("Penetration test attestation letter (last 12 months)") == "letter"
    assert asks_for_document("Do you have a SOC 2 report?") is None
    m = engine.match_one("Penetration test executive report")
    assert m.status != "suggested", m
    assert asks_for_document("Do you provide training to staff?") is None
    # ... also a certification or an agreement ("Annual Disaster Recovery Test Certification" -> the DR-test
    # fact, "Non-Disclosure Agreement" -> the staff NDA fact, both suggested on a blind request list)
    assert asks_for_document("Annual Penetration Test Certification") == "certification"
    assert asks_for_document("Non-Disclosure Agreement") == "agreement"
    m = engine.match_one("Annual penetration test certification")
    assert m.status != "suggested", m


def test_a_list_asking_to_attach_documents_asks_for_each_document():
    from answerers.guard import asks_for_document

    # "Please attach the following documents if available:" read into each item: "Information Security
    # Policy" had been suggested the policy fact ("Yes") at 93 on a blind vendor questionnaire.
    library = [Fact(id="policy", question="Do you have a documented information security policy?", answer="Yes"),
               Fact(id="privacy", question="Do you publish a privacy policy?", answer="Yes",
                    comment="See northwind.example/privacy")]
    engine = MatchingEngine(library, LEXICAL)
    lead = "Please attach the following documents if available:"
    assert asks_for_document(f"{lead} Information Security Policy") == "documents"
    held = engine.guard.check(f"{lead} Information Security Policy", 0, "suggested")
    assert held is not None and held[0] == "review" and "asks for a document" in held[1], held
    # a fact that links the document answers the request
    assert engine.guard.check(f"{lead} Privacy Policy", 1, "suggested") is None
    # a question about documents is not a request for one
    assert asks_for_document("Do customers upload documents to the service?") is None
    assert asks_for_document("Do you have a documented information security policy?") is None


def test_a_short_label_naming_what_the_fact_never_says_is_not_suggested():
    from answerers.guard import is_label

    # "Password history" under "Parameter | Your Policy" -> "Minimum 14 characters, password manager" at 99 (a
    # blind vendor questionnaire): two words, one of them a rare word the fact never says.
    library = [Fact(id="pw", question="What password policy applies to staff accounts?",
                    answer="Minimum 14 characters, password manager"),
               Fact(id="ir-history", question="Have you had a security breach in the last five years?", answer="No",
                    comment="No history of breaches."),
               Fact(id="backup", question="How often are backups taken?", answer="Daily")]
    engine = MatchingEngine(library, LEXICAL)
    m = engine.match_one("Password history")
    assert m.status != "suggested", m
    assert m.status == "unanswered" or 'a label naming "history"' in m.note, m
    # a label the fact covers whole stays suggested
    m = engine.match_one("Backup frequency")
    assert (m.fact_id, m.status) == ("backup", "suggested"), m
    assert is_label("Password history") and is_label("Backup frequency:")
    assert not is_label("Is there a password history?") and not is_label("Describe the password history")
    assert not is_label("Staff passwords are changed when compromise is suspected and history is kept")


# -- what a stranger's sheet asks for beyond the topic: a name, a list item, a count, a document ---
# (issue #15; each case here was suggested at 98-100 before its check. Wording made up, not the sheets'.)
NAMING_LIBRARY = [
    Fact(id="pen", question="Do you commission penetration tests?", answer="Yes (twice a year, external testers)",
         comment="An outside team tests the platform every six months; a summary is shared under NDA."),
    Fact(id="scan", question="Do you scan for vulnerabilities?", answer="Yes (daily)",
         comment="A scanner runs daily, and Contoso Shield checks cloud configuration."),
    Fact(id="hosts", question="Which cloud providers host the service?", answer="Fabrikam Cloud, Tailspin Compute",
         comment="Production runs in two regions."),
    Fact(id="laptops", question="Are staff laptops protected by endpoint protection?", answer="Yes",
         comment="Every workstation runs endpoint protection with disk encryption."),
    Fact(id="os-patch", question="Are operating systems patched promptly?", answer="Yes (within 14 days)"),
    Fact(id="dc-physical", question="How is the physical security of the data centres ensured?",
         answer="Inherited from the cloud providers", comment="Their audited controls cover entry, badges and CCTV."),
    Fact(id="ir-plan", question="Do you have an incident response plan?", answer="Yes",
         comment="The plan is tested every year."),
]


def _naming_engine(*facts: Fact) -> MatchingEngine:
    """The default install's engine on ``facts`` and the naming library (so the questioner-name and
    boilerplate checks see a library of realistic size)."""
    return MatchingEngine([*facts, *NAMING_LIBRARY], LEXICAL)


def test_a_question_asking_which_company_or_product_needs_a_fact_that_names_one():
    engine = MatchingEngine(NAMING_LIBRARY, LEXICAL)
    m = engine.match_one("Which firm carried out your most recent penetration tests?")
    assert m.status == "unanswered" and "pen" in m.note and "names none" in m.note, m
    m = engine.match_one("What tool or vendor do you use to scan for vulnerabilities?")
    assert (m.fact_id, m.status) == ("scan", "review") and "only in its comment" in m.note, m
    m = engine.match_one("Which cloud providers host the service?")
    assert (m.fact_id, m.status) == ("hosts", "suggested"), m
    from answerers.form import asks_for_name, states_name

    assert asks_for_name("Who is your hosting provider?") and not asks_for_name("What is the company's policy?")
    assert states_name("Runs on Fabrikam Cloud.") and not states_name("Yes (annually, independent firm)")
    assert not states_name("A summary is available under NDA.")  # an acronym alone is not a name


def test_a_list_item_or_a_count_field_is_not_suggested_a_yes_no_fact():
    engine = MatchingEngine(NAMING_LIBRARY, LEXICAL)
    # "- Operating systems" under a prompt the match cannot see ("Number of the following in scope:")
    m = engine.match_one("- Operating systems")
    assert m.status != "suggested" and "list" in m.note, m
    m = engine.match_one("Laptops (# of devices)")
    assert m.status == "unanswered" and "a number" in m.note, m
    # a bullet that is a question of its own is matched as one
    m = engine.match_one("- Are operating systems patched promptly?")
    assert (m.fact_id, m.status) == ("os-patch", "suggested"), m


def test_a_question_reading_on_from_another_row_is_left_unanswered():
    engine = MatchingEngine(NAMING_LIBRARY, LEXICAL)
    # A blind architecture review: "Can it perform automated remediation (Yes, No):" (it: an AI tool in the
    # row above) -> vulnerability scanning at 100, and "For DDoS (Yes, No):" (a case of "Is there a
    # security incident playbook?") -> DDoS protection at 99, both suggested.
    for question in ("Can it scan for vulnerabilities (Yes, No):", "How often is this scanned for vulnerabilities?",
                     "Have they been patched promptly?", "For penetration tests (Yes, No):"):
        m = engine.match_one(question)
        assert m.status == "unanswered" and "reads on from another row" in m.note, (question, m)
    # "it" that stands for nothing elsewhere, a determiner and a question starting "For how ..." are matched
    m = engine.match_one("Is it possible to scan for vulnerabilities daily?")
    assert (m.fact_id, m.status) == ("scan", "suggested"), m
    m = engine.match_one("Are operating systems patched promptly?")
    assert (m.fact_id, m.status) == ("os-patch", "suggested"), m
    from answerers.guard import continues_above

    assert continues_above("For how long are operating systems left unpatched?") is None
    assert continues_above("For customers not using SSO, can they sign in with a password?") is None


def test_an_answer_less_often_than_the_question_asks_is_not_suggested():
    engine = MatchingEngine(NAMING_LIBRARY, LEXICAL)
    # A blind architecture review: "Is container vulnerability scanning continuously used?" -> "Yes (weekly)"
    # at 100, suggested. Here the fact scans daily.
    m = engine.match_one("Do you scan for vulnerabilities continuously?")
    assert (m.fact_id, m.status) == ("scan", "review") and "continuously" in m.note, m
    m = engine.match_one("Do you scan for vulnerabilities at least weekly?")  # daily meets weekly
    assert (m.fact_id, m.status) == ("scan", "suggested"), m
    from answerers.guard import less_often

    assert less_often("Are backups taken hourly?", "Daily") == ("hourly", "daily")
    assert less_often("Are backups taken daily (e.g. hourly)?", "Daily") is None  # an example asks nothing
    assert less_often("Are policies reviewed annually?", "Yes (quarterly)") is None
    assert less_often("How often are backups taken?", "Daily") is None


def test_a_suggestion_resting_on_an_aside_goes_to_review():
    # A blind government questionnaire: "Please list the country where the Agency's data will be stored
    # (including backups, HAs, etc.)." -> the backups' location at 93, suggested; without the aside the
    # data's location comes first. The aside widens the question; it does not change what it asks.
    library = [
        Fact(id="data-where", question="In which country is customer data stored?", answer="Germany",
             alternate_questions=["Where is our data hosted?"]),
        Fact(id="backup-where", question="Where are backups kept?", answer="A second EU region",
             comment="Backups and replicas are kept in Frankfurt and Dublin."),
        Fact(id="mfa", question="Is MFA enforced for staff?", answer="Yes"),
    ]
    engine = MatchingEngine(library, LEXICAL)
    m = engine.match_one("In which country is our data stored (including backups and replicas)?")
    assert m.status == "review" and 'without it ("In which country is our data stored?")' in m.note, m
    m = engine.match_one("In which country is our data stored?")
    assert (m.fact_id, m.status) == ("data-where", "suggested"), m
    m = engine.match_one("Is MFA enforced for staff (e.g. administrators)?")  # the same fact either way
    assert (m.fact_id, m.status) == ("mfa", "suggested"), m


def test_a_question_asking_for_a_written_policy_needs_a_fact_that_names_a_document():
    engine = MatchingEngine(NAMING_LIBRARY, LEXICAL)
    m = engine.match_one("Is there a written policy setting the physical security requirements of the data centres?")
    assert (m.fact_id, m.status) == ("dc-physical", "review") and "names no document" in m.note, m
    m = engine.match_one("Do you have a documented incident response plan?")
    assert (m.fact_id, m.status) == ("ir-plan", "suggested"), m
    # HIPAA SRA: "Do you maintain documentation of policies and procedures regarding risk assessment ...?"
    # had been suggested the risk-register fact at 97.
    m = engine.match_one("Is there documentation of the procedures for the physical security of the data centres?")
    assert (m.fact_id, m.status) == ("dc-physical", "review") and "names no document" in m.note, m


def test_software_development_is_not_a_development_environment():
    # "development" alone had been read as the non-production environment concept: "Is application
    # development performed?" was suggested the "production data is not used in development" fact.
    assert analyse("Is application development performed?") == analyse("Is software development performed?")
    assert "@nonprod" not in analyse("Is application development performed?")
    assert "@nonprod" in analyse("Is production data copied to development environments?")


def test_a_concept_names_its_domain_for_the_domain_check():
    # "privacy policy" folds into one concept; the question still names privacy, the fact's domain
    # (it had been left unanswered: "the question is about security, privacy-policy about privacy").
    library = [Fact(id="privacy-notice", question="Do you publish a privacy policy?", answer="Yes",
                    comment="At example.org/privacy.", category="Privacy"),
               Fact(id="lockers", question="Are visitors' bags kept in lockers?", answer="Yes")]
    m = MatchingEngine(library, LEXICAL).match_one("Give the address of your public security or privacy policy.")
    assert m.fact_id == "privacy-notice" and m.status != "unanswered", m


def test_a_secure_practice_names_the_security_domain():
    # "Are privacy principles designed into the product lifecycle (privacy by design)?" had been offered the
    # secure-development fact at 99: "secure" names security as much as "security" does.
    library = [Fact(id="ssdlc", question="Do you follow a secure software development lifecycle?", answer="Yes",
                    category="Engineering"),
               Fact(id="lockers", question="Are visitors' bags kept in lockers?", answer="Yes")]
    engine = MatchingEngine(library, LEXICAL)
    m = engine.match_one("Are privacy principles built into your software development lifecycle?")
    assert m.status == "unanswered" and "about privacy" in m.note, m
    m = engine.match_one("Are security principles built into your software development lifecycle?")
    assert m.fact_id == "ssdlc" and m.status != "unanswered", m


def test_stranger_wording_for_vendor_assessment_and_the_development_lifecycle():
    # HECVAT: "security assessments of third-party companies with which you share data" (left alone at
    # 50: only common words shared) and "information security principles designed into the product
    # lifecycle" (at 24).
    assert "@vendor_risk" in analyse("Do you review the security of third-party companies you work with?")
    assert "@sdlc" in analyse("Is security built into the product lifecycle?")
    assert "@sdlc" in analyse("Do you practise security by design?")
    # "Can the application logs be saved externally?" had been taken for how long logs are kept (at 90.2
    # in the held-out refit): saved outside the service is an export
    assert "@export" in analyse("Can event logs be stored externally?")
    assert "@export" not in analyse("Are logs stored for 90 days?")
    # "SOC 1" had been read as a security operations centre and suggested the monitoring fact at 100
    assert analyse("SOC 1 Type II") == ("@soc1",) and "@secops" in analyse("Do you run a SOC?")
    assert "@soc2" in analyse("SOC 2 report") and "@soc3" in analyse("SOC 3")
    # an AI vendor assessment's own words name AI ("What protection exists against prompt injection?" had
    # been left unanswered, though the library's AI scope fact answers the whole section)
    for asked in ("What protection exists against prompt injection?", "How is hallucination risk managed?",
                  "Is training data provenance documented?", "Can the model version be pinned?"):
        assert "@ai" in analyse(asked), asked


def test_a_standard_named_by_its_number_is_not_answered_by_its_neighbour():
    # "ISO/IEC 27018 (PII in Cloud)" under "Do you hold any of the following certifications?" had been
    # offered the ISO 27001 fact at 100 (a blind supplier form), also for the lead-in sentence alone.
    from answerers.guard import standards

    assert standards("Are you ISO/IEC 27017 or SOC 1 certified?") == {("iso", "27017"): "ISO/IEC 27017",
                                                                      ("soc", "1"): "SOC 1"}
    assert standards("Is the platform assessed against NIST SP 800-171?") == {("nist", "800-171"): "NIST SP 800-171"}
    library = [Fact(id="iso", question="Are you ISO 27001 certified?", answer="Yes",
                    comment="Certified since 2021 by an accredited body."),
               Fact(id="pentest", question="Do you run penetration tests?", answer="Yes (annually)")]
    engine = MatchingEngine(library, LEXICAL)
    # ... nor by a standard of another family: "NIST 800-53 Certification" -> the ISO 27001 fact at 98 (a
    # blind document request list).
    for asked in ("Are you ISO/IEC 27018 certified?",
                  "Do you hold any of the following certifications? ISO/IEC 27018 (PII in the cloud)",
                  "NIST SP 800-53 certified?", "Are you certified against NIST SP 800-53?"):
        m = engine.match_one(asked)
        assert m.status == "unanswered", (asked, m)
    m = engine.match_one("Do you hold certifications such as ISO 27001 or ISO 27018?")
    assert (m.fact_id, m.status) != (None, "unanswered"), m  # one of those asked is the fact's
    m = engine.match_one("Are you certified (e.g. ISO 9001, ISO 27001)?")
    assert m.fact_id == "iso", m  # examples are not what is asked


def test_insurance_is_a_subject_of_its_own():
    # "Can you provide a certificate of insurance?" -> the ISO 27001 fact at 98, "insurance claims related to
    # security incidents" -> the incident-history fact (blind vendor questionnaires): no security practice
    # says what the vendor is insured for.
    library = [Fact(id="iso", question="Are you ISO 27001 certified?", answer="Yes",
                    comment="The certificate is renewed every three years."),
               Fact(id="incidents", question="Have you had a security incident in the last three years?",
                    answer="No")]
    engine = MatchingEngine(library, LEXICAL)
    for asked in ("Please provide your certificate of insurance.",
                  "Have you made any insurance claims for security incidents in the last three years?"):
        m = engine.match_one(asked)
        assert m.status == "unanswered", (asked, m)
    assert "@insurance" in analyse("Do you carry cyber liability coverage?")


def test_a_question_whether_a_step_needs_approval_is_not_suggested_a_fact_without_one():
    # "Do employees need approval to access customer data?" had been suggested "Only when needed to resolve a
    # request" at 100 (a blind vendor template; both its labellers said that fact does not answer it).
    library = [Fact(id="support-access", question="Do your support staff access customer data?",
                    answer="Only to resolve a ticket", comment="Access is logged."),
               Fact(id="lockers", question="Are visitors' bags kept in lockers?", answer="Yes")]
    engine = MatchingEngine(library, LEXICAL)
    m = engine.match_one("Do support staff require manager approval to access customer data?")
    assert (m.fact_id, m.status) == ("support-access", "review") and "needs approval" in m.note, m
    approved = [Fact(id="support-access", question="Do your support staff access customer data?",
                     answer="Only with the customer's approval", comment="Each access is approved by the customer.")]
    m = MatchingEngine(approved, LEXICAL).match_one("Do support staff require approval to access customer data?")
    assert "needs approval" not in m.note, m


def test_a_question_about_the_vendors_own_systems_is_not_suggested_a_fact_about_the_apps_users():
    # "Do you use an Identity Provider (IdP) and single sign-on (SSO)?" and "Do you use Role-Based Access
    # Control?" had been suggested the apps' SSO for customer users and their Jira roles at 100 (a blind
    # checklist about a cloud company's own operations, labelled with the staff facts).
    library = [Fact(id="sso-app", question="Does the app support single sign-on for customer users?",
                    answer="Yes (SAML)"),
               Fact(id="roles-app", question="Does the app support role-based access for its users?", answer="Yes"),
               Fact(id="lockers", question="Are visitors' bags kept in lockers?", answer="Yes")]
    engine = MatchingEngine(library, LEXICAL)
    for asked, fact in (("Do you use single sign-on?", "sso-app"), ("Do you use role-based access?", "roles-app")):
        m = engine.match_one(asked)
        assert (m.fact_id, m.status) == (fact, "review") and "vendor's own systems" in m.note, m
    m = engine.match_one("Does the app support single sign-on for customer users?")
    assert (m.fact_id, m.status) == ("sso-app", "suggested"), m
    # Users named only among its answer options are not what it asks about: "How is access managed to your
    # development environment? (Role based, per user etc)" -> the apps' Jira roles at 97 (the same checklist).
    m = engine.match_one("How is role-based access managed in your development environment? (Role based, per user etc)")
    assert m.status != "suggested", m


def test_a_question_asking_for_a_figure_is_left_alone_by_a_fact_without_one():
    # "What percentage of employees are in office versus remote?" had been offered the no-office-data fact at
    # 95, "the worldwide number of personnel, including contractors" the outsourcing fact (a blind
    # clinical-research questionnaire): each asks for a figure the fact does not give.
    library = [Fact(id="office", question="Is customer data kept in company offices?", answer="No",
                    comment="The company is remote-first."),
               Fact(id="oncall", question="Who can access production?", answer="The on-call engineers",
                    comment="Only three engineers hold production access."),
               Fact(id="lockers", question="Are visitors' bags kept in lockers?", answer="Yes")]
    engine = MatchingEngine(library, LEXICAL)
    m = engine.match_one("What percentage of customer data is kept in company offices?")
    assert m.status == "unanswered", m
    m = engine.match_one("How many engineers can access production?")
    assert m.fact_id == "oncall" and m.status != "unanswered", m  # "three" is a figure


def test_a_no_is_suggested_only_when_every_signal_agrees():
    # A wrong "No" denies something in the customer's file ("No" to "Are passwords required to access
    # systems that transmit, process or store the data?" from the payment-card fact, issue #15).
    from answerers.engine import verdict

    s = MatchSettings(suggest_threshold=60, review_threshold=30, suggest_agreement=0.75)
    assert verdict(_cands(99.0, 10.0), 5, 6, s)[0] == "suggested"  # a "Yes" fact: 5 of 6 is enough
    got, note = verdict(_cands(99.0, 10.0), 5, 6, s, says_no=True)
    assert got == "review" and "answers No" in note and "a No needs all 6" in note
    assert verdict(_cands(99.0, 10.0), 6, 6, s, says_no=True)[0] == "suggested"
    # the engine knows which facts say No
    library = [Fact(id="no-cards", question="Do you handle payment card numbers?", answer="No (out of scope)"),
               Fact(id="n-a", question="Is there an on-site data centre?", answer="N/A"),
               Fact(id="yes", question="Is data backed up?", answer="Yes, nightly (not on tape)")]
    assert MatchingEngine(library, LEXICAL).says_no == [True, True, False]


def test_a_policy_named_only_as_what_to_accord_with_is_not_the_subject():
    # SIG-style: "Are security roles ... documented in accordance with the information security policy?"
    # was suggested the security-policy fact at 92-99 (issue #15); it asks about roles.
    library = [Fact(id="sec-policy", question="Is there an information security policy?", answer="Yes",
                    comment="Approved by the board and read by every employee."),
               Fact(id="sec-lead", question="Who is accountable for information security?", answer="The CTO")]
    engine = MatchingEngine(library, LEXICAL)
    for asked in ("Are the tasks of each employee documented in accordance with the information security policy?",
                  "Are employee duties documented as required by the information security policy?"):
        m = engine.match_one(asked)  # suggested at 97 and 98 before
        assert m.status == "review" and "accord with" in m.note, (asked, m)
    # where the policy is the subject, it still answers
    m = engine.match_one("Is there an information security policy?")
    assert (m.fact_id, m.status) == ("sec-policy", "suggested"), m
    from answerers.guard import per_policy

    assert per_policy("Do you process EU personal data in accordance with GDPR?") is None
    assert per_policy("Are incidents closed as defined in our incident response plan?") == (
        "as defined in our incident response plan")


def test_a_capitalised_phrase_the_thesaurus_knows_is_not_the_customers_name():
    # "Business Resiliency" recurs capitalised through a sheet; it had been read as the asking
    # customer's name (as "Contoso" is) and replaced, so the continuity fact was never found.
    library = [Fact(id="bcp", question="Do you have a business continuity plan?", answer="Yes"),
               Fact(id="disclosure", question="Do you run a vulnerability disclosure program?", answer="Yes")]
    engine = MatchingEngine(library, LEXICAL)
    sheet = ["Is there a Business Resiliency program?", "Is the Business Resiliency program tested?",
             "Who owns the Business Resiliency program?"]
    assert engine.prepare(sheet) == sheet
    assert [m.fact_id for m in engine.match(sheet)][0] == "bcp"
    # a real name recurring through the sheet still reads as the customer
    named = ["Is MFA available to Tailwind agents?", "Are Tailwind records encrypted?", "Can Tailwind export data?"]
    assert "Tailwind" not in " ".join(engine.prepare(named))


def test_bc_dr_is_disaster_recovery_not_an_unknown_name():
    # "BC/DR" had counted as the name of something no fact mentions (like "HITRUST"), pulling the DR
    # test fact under the review threshold for "Are BC/DR tests conducted at least annually?"
    assert "@dr" in analyse("Are BC/DR tests conducted every year?")
    assert "@dr" in analyse("Is there a BCDR plan?")


def test_an_attestation_field_is_a_name_not_a_question():
    # "Completed By" at the end of a questionnaire was suggested the security-training fact at 100
    # ("staff complete training"): it asks for a person's name.
    library = [Fact(id="training", question="Do staff complete security training?", answer="Yes (every year)")]
    engine = MatchingEngine(library, LEXICAL)
    for field in ("Completed By", "COMPLETED BY"):
        m = engine.match_one(field)
        assert m.status == "unanswered" and "a name" in m.note, (field, m)
    from answerers.guard import form_field

    assert form_field("Prepared by:") == form_field("Submitted by") == "a name"
    m = engine.match_one("Do staff complete security training?")
    assert (m.fact_id, m.status) == ("training", "suggested"), m


def test_a_field_asked_as_a_question_is_still_a_field():
    # "What is the name of your organization?" had been offered the malware-scanning fact for review at 84
    # (a blind set): a name asked with a question mark is still a form field.
    from answerers.guard import form_field

    assert form_field("What's the legal name of the company?") == "a name"
    assert form_field("What is your organisation's website?") == "a web address"
    assert form_field("What is the name of the standard your programme follows?") is None  # a real question
    assert form_field("What is your data retention period?") is None
    library = [Fact(id="scan", question="Are uploaded files scanned for malware?", answer="Yes",
                    comment="Every file name and payload is checked on upload.")]
    m = MatchingEngine(library, LEXICAL).match_one("What is the name of your firm?")
    assert m.status == "unanswered", m


def test_sigs_scoped_data_is_the_customers_data():
    # SIG's defined term for the client's systems and data in scope; "Scoped" had read as an OAuth
    # permission scope (the thesaurus' @scope), matching facts that mention "PCI DSS scope".
    terms = analyse("Are backups of Scoped Systems and Data performed?")
    assert "@customer" in terms and "@scope" not in terms
    assert "@scope" in analyse("Which permission scopes does the app request?")



# The vendor's own practice, and facts saying what customers may do or what the contract says.
SCANS = Fact(id="scans", question="Do you run vulnerability scans?", answer="Yes (weekly)",
             comment="An automated scanner checks every public endpoint each week.")
DRILLS = Fact(id="drills", question="Is the incident response plan exercised?", answer="Yes (yearly tabletop)")
BACKUPS = Fact(id="backups", question="How often is data backed up?", answer="Daily",
               comment="Snapshots are kept for 35 days.")
OWN_TESTS = Fact(id="own-tests", question="May clients run their own security tests?", answer="Yes, with notice",
                 comment="Customers give five days' notice before testing.")
CONTRACT_BACKUPS = Fact(id="contract-backups", question="Is the backup schedule set out in the contract?",
                        answer="Yes", comment="The agreement commits to daily backups.")


def test_what_customers_may_do_is_not_answered_by_the_vendors_own_practice():
    # "Does your organisation allow its customers to perform regular vulnerability assessments?" was
    # suggested the weekly-scanning fact at 100; "... engage its customers when testing its incident
    # response plans?" the tabletop fact at 99 (a blind government questionnaire, issue #15).
    engine = _naming_engine(SCANS, DRILLS, BACKUPS)
    for asked in ("Are tenants allowed to run vulnerability scans against the service?",
                  "Does the provider involve its customers when it exercises the incident response plan?"):
        m = engine.match_one(asked)
        assert m.status == "unanswered" and "customers" in m.note, (asked, m)
    # a fact that does speak of customers doing it answers
    m = _naming_engine(OWN_TESTS, SCANS).match_one(
        "Are clients permitted to run their own security tests?")
    assert m.fact_id == "own-tests" and m.status != "unanswered", m
    # the vendor's own practice, asked as such, is still suggested
    m = engine.match_one("Do you run vulnerability scans?")
    assert (m.fact_id, m.status) == ("scans", "suggested"), m


def test_what_a_contract_says_is_not_answered_by_a_practice():
    # "Does the SLA specify the data backup schedule?" was suggested the backup-frequency fact at 100.
    engine = _naming_engine(SCANS, DRILLS, BACKUPS)
    for asked in ("Does the service agreement specify how often data is backed up?",
                  "Is the backup frequency defined in the contract?"):
        m = engine.match_one(asked)
        assert m.status == "unanswered" and "contract" in m.note, (asked, m)
    m = _naming_engine(CONTRACT_BACKUPS, BACKUPS).match_one(
        "Is the backup frequency defined in the contract?")
    assert m.fact_id == "contract-backups" and m.status != "unanswered", m
    m = engine.match_one("How often is data backed up?")
    assert (m.fact_id, m.status) == ("backups", "suggested"), m


def test_a_suggestion_needs_more_in_common_than_common_words():
    # "Service features" (a heading-like field) was suggested "Do the apps include AI features?" ("No")
    # at 100 with every signal agreeing: no other fact shared even one word.
    ai = Fact(id="ai", question="Do the apps include AI-powered features?", answer="No",
              comment="No customer data is sent to a language model.")
    engine = _naming_engine(ai)
    for field in ("Service features", "Features"):
        m = engine.match_one(field)
        assert m.status == "review" and "only common words" in m.note, (field, m)
    m = engine.match_one("Do the apps include AI-powered features?")
    assert (m.fact_id, m.status) == ("ai", "suggested"), m


def test_personnel_screening_is_a_background_check_and_suppliers_are_vendors():
    # Government wording: "adequate personnel security screening" is a background check; risks from
    # "third-party suppliers" are vendor risk (both had been left unanswered at confidence 26-30).
    assert "@background_check" in analyse("Do staff have adequate personnel security screening?")
    assert "@background_check" in analyse("Is security screening done before hiring?")
    assert "@vendor_risk" in analyse("Are risks from third-party suppliers assessed?")
    # "How frequently do you reassess existing vendor security?" was suggested the company's own risk
    # assessment at 99 (it "reassesses" its risk register); "vendor security" is vendor risk
    assert "@vendor_risk" in analyse("How often do you reassess existing vendor security?")
    # an assessment *by* a third party is not the vendor's assessment of its own vendors
    assert "@vendor_risk" not in analyse("Have you had a third-party security assessment this year?")


def test_a_frequency_question_asks_how_often_one_action_happens():
    # "What is the frequency for testing of back-up media?" was suggested the backup-frequency fact
    # ("Daily": how often backups are taken) at 94 (CISA's supplier template, issue #15).
    restore = Fact(id="restore-test", question="Are restores from backup tested?", answer="Yes (quarterly)")
    engine = _naming_engine(BACKUPS, restore)
    m = engine.match_one("How often do you test the backup media?")
    assert m.status != "suggested" or m.fact_id == "restore-test", m
    m = _naming_engine(BACKUPS).match_one("What is the frequency for testing of backups?")
    assert m.status != "suggested" and "how often it is testing" in m.note, m
    # "performed", "taken", "subjected to" name no action of their own
    m = engine.match_one("How often are backups of the data performed?")
    assert (m.fact_id, m.status) == ("backups", "suggested"), m
    from answerers.guard import asked_action

    assert asked_action("How often are encryption keys rotated?") == "rotated"
    assert asked_action("How often is the product subjected to penetration testing?") is None
    assert asked_action("Is data backed up?") is None


def test_the_vendors_own_suppliers_are_a_subject_of_their_own():
    # "Do you have policies for conducting background checks for your suppliers?" was suggested the
    # staff background-check fact at 98.
    checks = Fact(id="checks", question="Are background checks done on new employees?", answer="Yes",
                  comment="Criminal and reference checks before the first day.")
    vendors = Fact(id="vendors", question="Do you assess the security of your vendors?", answer="Yes (yearly)")
    engine = _naming_engine(checks, vendors)
    m = engine.match_one("Are background checks required for staff of your key suppliers?")
    assert m.status == "unanswered" and "own suppliers" in m.note, m
    m = engine.match_one("Do you assess the security of your vendors?")
    assert (m.fact_id, m.status) == ("vendors", "suggested"), m
    m = engine.match_one("Are background checks done on new employees?")
    assert (m.fact_id, m.status) == ("checks", "suggested"), m


def test_data_protection_is_the_privacy_domain():
    # TISAX's "To what extent are employees trained in data protection?" was suggested security
    # awareness training at 98: "data protection" (GDPR's word) is privacy, which that fact never names.
    engine = _naming_engine(SECURITY_TRAINING)
    m = engine.match_one("Do all employees receive data protection training every year?")
    assert m.status == "unanswered" and "privacy" in m.note, m
    # "Is the data protected" (any safeguard) stems alike but names no domain: the fact still answers.
    m = engine.match_one("Are employees trained so that the data is protected, every year?")
    assert m.fact_id == "security-awareness" and m.status != "unanswered", m
    # A data protection addendum is the DPA, not a privacy domain the fact must name.
    dpa = Fact(id="dpa", question="Will you sign a data processing agreement?", answer="Yes",
               comment="Our standard DPA, with security measures in its annex.")
    m = _naming_engine(dpa).match_one("Will you sign our data protection addendum?")
    assert (m.fact_id, m.status) == ("dpa", "suggested"), m


def test_api_keys_are_credentials_not_encryption_keys():
    # VSA Core's "How are API keys stored and managed?" was suggested the KMS fact at 98. API keys are a
    # concept of their own, and a concept no fact in the library names is worth a look, like a plain word.
    kms = Fact(id="kms", question="How are encryption keys managed?", answer="Provider-managed (KMS)",
               comment="Keys for stored data are generated, stored and rotated by the cloud providers' key "
                       "management services, rotate every year, and staff never handle raw key material.",
               category="Encryption")
    engine = _naming_engine(kms)
    assert "@api_credential" in analyse("Where do you keep API tokens?")
    m = engine.match_one("How are API keys stored and managed?")
    assert m.status == "review" and "no fact in the library mentions" in m.note, m
    m = engine.match_one("How are encryption keys stored and managed?")
    assert (m.fact_id, m.status) == ("kms", "suggested"), m


@pytest.fixture(scope="module")
def bench_engine():
    """The default install's engine on ../shared/bench/library.csv (for tests marked needs_shared)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from bench_matching_data import load_library

    return MatchingEngine(load_library(), LEXICAL)


@needs_shared
def test_api_keys_are_not_suggested_the_key_management_fact_of_the_bench_library(bench_engine):
    m = bench_engine.match_one("How do you store and manage API keys?", "forms")
    assert m.status != "suggested", m


@needs_shared
def test_systems_checked_for_compliance_with_the_policy_are_not_the_policy(bench_engine):
    # ISO 27001 audit checklist: "Are information systems regularly reviewed to check their compliance
    # with the information security policies and standards?" was suggested the security policy at 100.
    from answerers.guard import per_policy

    asked = "Do all suppliers comply with our acceptable use policy?"
    assert per_policy(asked) == "comply with our acceptable use policy"
    asked = "Are information systems reviewed every year for compliance with the security policies and standards?"
    m = bench_engine.match_one(asked, "forms")
    assert m.status == "review" and "accord with" in m.note, m


@needs_shared
def test_a_word_only_the_facts_comment_shares_is_not_enough_to_suggest(bench_engine):
    # UK Cyber Essentials: "What is your main business?" was suggested the code-review fact at 96, whose
    # comment alone says "main" ("direct pushes to the main branch").
    m = bench_engine.match_one("What is the main business of your company?", "forms")
    assert m.status != "suggested" and "only words of its comment" in m.note, m
    m = bench_engine.match_one("Are all code changes peer reviewed before they are deployed?", "forms")
    assert (m.fact_id, m.status) == ("code-review", "suggested"), m


@needs_shared
def test_application_security_training_is_secure_coding_training(bench_engine):
    # AWS Well-Architected: "Train for application security" was suggested security awareness training
    # at 99; "application security" is secure development, so the secure-coding training fact comes first.
    assert "@sdlc" in analyse("Is there an application security programme?")
    m = bench_engine.match_one("Is application security training given to engineers?", "forms")
    assert m.alternatives[0].fact_id == "secure-coding-training" and m.status != "unanswered", m


def test_a_document_available_for_review_is_asked_to_be_seen():
    from answerers.guard import asks_for_document

    # VSA Core's "Information Security Policies available for review?" was suggested "Yes" at 99: the
    # customer asks to see the document, which a person attaches.
    assert asks_for_document("Incident response plan available on request?") == "plan"
    assert asks_for_document("Is MFA available for customer accounts?") is None
    engine = MatchingEngine(NAMING_LIBRARY, LEXICAL)
    m = engine.match_one("Incident response plan available for review?")
    assert (m.fact_id, m.status) == ("ir-plan", "review") and "document" in m.note, m


def test_contingency_planning_and_malware_protection_are_the_controls_they_name():
    # HIPAA SRA: "Is your contingency plan documented?" had been offered the incident response plan, and
    # "Do you periodically update your contingency plan?" left unanswered (NIST SP 800-34: contingency
    # planning is continuity and recovery planning). "Malware protection" is the anti-malware control.
    assert "@bcp" in analyse("Do you test your contingency plans?")
    assert "@edr" in analyse("Are all servers protected against malware?")
    assert "@edr" not in analyse("Are uploaded files scanned for malware?")
    bcp = Fact(id="bcp", question="Do you have a business continuity plan?", answer="Yes",
               comment="Reviewed every year; covers loss of a region and of key staff.")
    upload_scan = Fact(id="upload-scan", question="Are uploaded files scanned for malware?", answer="Yes")
    engine = _naming_engine(bcp, upload_scan)
    m = engine.match_one("Is the organisation's contingency plan kept up to date?")
    assert m.fact_id == "bcp" and m.status != "unanswered", m
    m = engine.match_one("Is malware protection kept up to date?")
    assert m.alternatives[0].fact_id == "laptops", m  # endpoint protection, not the upload scan


def test_secure_coding_techniques_are_the_sdlc_and_training_in_them_is_training():
    # "Was your application developed using secure coding techniques?" (HECVAT) and "Are secure coding
    # principles applied into software development?" (an ISO 27001 checklist) had been offered the
    # secure-coding-training fact first: "secure coding practices" was the SDLC, its synonyms were not.
    lib = [Fact(id="sdlc", question="Do you follow a secure software development lifecycle?", answer="Yes",
                comment="Threat modelling, peer review and automated scanning on every change."),
           Fact(id="sc-training", question="Do developers receive secure coding training?", answer="Yes (annually)",
                comment="Engineers complete secure coding training covering the OWASP Top 10 every year.")]
    engine = _naming_engine(*lib)
    m = engine.match_one("Is the application built using secure coding techniques?")
    assert (m.fact_id, m.status) == ("sdlc", "review"), m  # was the training fact
    m = engine.match_one("Are developers trained in secure coding techniques?")
    assert (m.fact_id, m.status) == ("sc-training", "suggested"), m


def test_a_close_runner_up_naming_more_of_the_question_goes_first_for_review():
    # "How often are backups tested?" / "Do you regularly test your backups?" (VSAQ, the OpenGRC
    # template, CISA's SCRM, a VDD checklist) had the backup-frequency fact first, a hair ahead of the
    # restore-test fact, which alone names the testing asked about.
    lib = [Fact(id="backup-freq", question="How often is customer data backed up?", answer="Daily",
                comment="Nightly snapshots of every database, kept for 30 days."),
           Fact(id="restore-test", question="Do you test restoring data from backups?", answer="Yes (quarterly)",
                comment="A full restore into an isolated environment every quarter.")]
    engine = _naming_engine(*lib)
    for asked in ("How often are backups tested?", "Do you regularly test your backups?"):
        m = engine.match_one(asked)
        assert (m.fact_id, m.status) == ("restore-test", "review"), (asked, m)
        assert "does not name test" in m.note and m.alternatives[1].fact_id == "backup-freq", m
    # the frequency question itself still gets the frequency fact
    m = engine.match_one("How often are backups taken?")
    assert (m.fact_id, m.status) == ("backup-freq", "suggested"), m


def test_a_figure_the_fact_does_not_state_and_users_against_staff_go_to_review():
    # OWASP ASVS: "passwords of at least 64 characters are permitted" was suggested the staff password
    # policy ("Minimum 14 characters") at 99, and "Verify users can change their password" the same fact.
    lib = [Fact(id="breach", question="How soon will you notify customers of a personal data breach?",
                answer="Within 72 hours",
                comment="A confirmed breach is reported no later than 72 hours after we become aware of it."),
           Fact(id="passwords", question="What password policy applies to staff accounts?",
                answer="Minimum 14 characters",
                comment="Staff passwords are at least 14 characters and kept in a password manager.")]
    engine = _naming_engine(*lib)
    m = engine.match_one("Will you notify customers of a personal data breach within 24 hours?")
    assert (m.fact_id, m.status) == ("breach", "review") and "24 hours" in m.note, m
    m = engine.match_one("Will you notify customers of a personal data breach within 72 hours?")
    assert (m.fact_id, m.status) == ("breach", "suggested"), m  # the figure the fact states
    m = engine.match_one("Are user passwords at least 14 characters long?")
    assert (m.fact_id, m.status) == ("passwords", "review") and "users" in m.note, m
    m = engine.match_one("Are staff passwords at least 14 characters long?")
    assert (m.fact_id, m.status) == ("passwords", "suggested"), m
    from answerers.guard import _figures

    # a window the question looks back or ahead over sets no figure to meet
    assert _figures("Any AI features planned in the next 12 months, or breaches in the past 36 months?") == {}
    # nor does an example in parentheses
    m = engine.match_one("Will you notify customers of a personal data breach promptly (e.g., within 24 hours)?")
    assert "24 hours" not in m.note, m
    # a version is a figure too: "Can the HTTP version be set to 2.0?" -> the TLS 1.2 fact at 100 (a blind FAQ)
    assert set(_figures("Can the HTTP version be set to 2.0? Is TLS 1.3 on?")) == {(2.0, "version"), (1.3, "version")}
    tls = _naming_engine(Fact(id="tls", question="What is the minimum TLS version accepted?", answer="TLS 1.2",
                              comment="Older versions are disabled."))
    m = tls.match_one("Is the minimum TLS version 1.3?")
    assert (m.fact_id, m.status) == ("tls", "review") and "1.3" in m.note, m
    m = tls.match_one("Is the minimum TLS version 1.2?")
    assert (m.fact_id, m.status) == ("tls", "suggested"), m


def test_a_checklist_statement_is_matched_as_its_own_question():
    # CISO-Assistant-style checklists: "Is the following requirement implemented and verified: A secure
    # data destruction process is in place." had left every right fact under the review threshold.
    engine = MatchingEngine(NAMING_LIBRARY, LEXICAL)
    plain = engine.match_one("Is an incident response plan in place?")
    wrapped = engine.match_one(
        "Is the following requirement implemented and verified: An incident response plan is in place.")
    assert wrapped.fact_id == plain.fact_id == "ir-plan", (plain, wrapped)
    assert wrapped.status == plain.status != "unanswered", (plain, wrapped)


def test_client_systems_are_end_users_computers_not_the_servers():
    # VSAQ: "Do you retain client system security event logs for at least three months?" was suggested
    # the platform's log-retention fact at 95 ("client" had folded into the customer concept).
    assert "@endpoint" in analyse("Are client systems patched?")
    assert "@endpoint" in analyse("Is antivirus on end user devices?")
    assert "@endpoint" not in analyse("How is data protected between the user's device and the service?")
    logs = Fact(id="logs", question="How long are server logs retained?", answer="One year",
                comment="Application and access logs are kept for twelve months.")
    engine = _naming_engine(logs)
    m = engine.match_one("Are client system security logs retained for a year?")
    assert m.status == "unanswered" and "end users' computers" in m.note, m
    m = engine.match_one("Are staff laptops protected by endpoint protection?")
    assert (m.fact_id, m.status) == ("laptops", "suggested"), m


# -- eighth round: blind sets of a FedRAMP readiness template and an architecture review ------------
@pytest.mark.parametrize(
    "question",
    [
        "Is customer data encrypted at rest?",
        "Is multi-factor authentication required for employees' administrative accounts?",
        "Do you keep each client's records apart from other clients' records?",
    ],
)
def test_bracketed_control_references_change_nothing(sample_engine, question):
    # A catalogue's cross-references ("[SC-28, SC-28(1)]") cite where a requirement comes from; their
    # letters and numbers had weighed like unknown words and sunk the right fact under the threshold.
    plain = sample_engine.match_one(question)
    for tag in (" [SC-28, SC-28(1)]", " [PE-2 through PE-6 (except PE-3(1)), PE-8]", " (AC-6(10))"):
        cited = sample_engine.match_one(question[:-1] + tag + "?")
        assert (cited.status, cited.fact_id, cited.score) == (plain.status, plain.fact_id, plain.score), tag


def test_strip_citations_keeps_versions_and_asides():
    from answerers.text import strip_citations

    assert strip_citations("Is data separated? [SC-4]") == "Is data separated?"
    assert strip_citations("Logs kept [AU-11] for a year?") == "Logs kept for a year?"
    for kept in ("Do you hold SOC 2 (Type II)?", "Is TLS 1.2 (or higher) used?", "Is data (PII) encrypted?",
                 "Do you have a SOC 2 report (SOC-2)?", "Is AES-256 (AES-128 at least) used?"):
        assert strip_citations(kept) == kept


def test_a_question_asking_for_the_exceptions_is_not_answered_by_the_rule(sample_engine):
    # "Any resources that can't be SSO integrated" asks which are left out; "Yes, SSO is supported" is
    # not an answer to it.
    from answerers.guard import scope_flip

    for question in ("Are there any applications that can't be put behind single sign-on?",
                     "Which of your apps cannot be used with single sign-on?",
                     "Are any internal systems not integrated with single sign-on?"):
        m = sample_engine.match_one(question)
        assert m.status == "unanswered" and m.fact_id is None, (question, m.note)
    assert scope_flip("Is data encrypted? If not encrypted, why?") is None
    assert sample_engine.match_one("Do you support single sign-on (SSO) via SAML?").status == "suggested"


def test_telemetry_alone_is_not_product_analytics(bench_engine):
    # In an architecture review "telemetry" is the security logs (EDR, WAF, SIEM); only "usage
    # telemetry" is the product analytics a privacy question asks about.
    assert "@analytics" not in analyse("Is all security telemetry collected centrally?")
    assert "@analytics" in analyse("Does the app send usage telemetry?")
    for question in ("Is all telemetry gathered in one central place?",
                     "What kinds of telemetry do you gather, and what for?"):
        m = bench_engine.match_one(question, "forms")
        assert not (m.status == "suggested" and m.fact_id == "analytics-optout"), (question, m.note)


_TAIL = (" The arrangement is reviewed periodically as part of the overarching governance framework, and the outcome"
         " is presented to the oversight committee together with the remaining obligations of every contractual annex.")


@pytest.mark.parametrize(
    ("sentence", "fact"),
    [
        ("Customer data is encrypted at rest by the provider.", "encryption-at-rest"),
        ("Staff use multi-factor authentication for every administrative console.", "staff-mfa"),
    ],
)
def test_a_long_statement_is_answered_for_review_by_the_sentence_that_states_the_control(sample_engine, sentence, fact):
    # A control catalogue's criterion runs to several sentences; as a whole it scores every fact low.
    m = sample_engine.match_one(sentence + _TAIL)
    assert (m.status, m.fact_id) == ("review", fact), m.note
    assert f'answered for one sentence only ("{sentence}")' in m.note


def test_a_sentence_is_not_answered_alone_when_the_whole_statement_ranks_another_fact_first(sample_engine):
    # The encryption sentence matches alone, but the whole statement is about keeping evidence: a
    # sentence alone also matches what a statement mentions only in passing.
    statement = ("The organisation operates an overarching governance framework covering its numerous contractual"
                 " commitments and regulatory expectations in every jurisdiction. Customer data is encrypted at rest."
                 " Evidence is retained by the compliance function and presented to auditors upon request during each"
                 " annual certification cycle.")
    m = sample_engine.match_one(statement)
    assert m.status == "unanswered" and m.fact_id is None, m.note
    assert m.alternatives and m.alternatives[0].fact_id != "encryption-at-rest"


def test_a_suggestion_needs_a_topic_in_common_not_only_the_kind_of_answer(bench_engine):
    # "Where" and "how often" say what kind of answer is wanted; sharing only them, a question about the
    # company's head office is not the data-location fact, nor a review of controls the access review.
    for question, fact in (("Country or region where your firm's head office is registered", "data-location-forms"),
                           ("Do you regularly review the effectiveness of your controls?", "access-review")):
        m = bench_engine.match_one(question, "forms")
        assert not (m.status == "suggested" and m.fact_id == fact), (question, m.note)
    assert bench_engine.match_one("Where is customer data stored?", "forms").status == "suggested"


def test_a_question_asking_whom_to_contact_needs_a_fact_that_gives_a_contact(bench_engine):
    # "What is your primary contact for security incidents and breach notifications?" had been suggested
    # the breach-notification fact ("Within 72 hours") at 99: the notification words matched, but the
    # question asks whom to reach.
    from answerers.form import asks_for_contact

    for question in ("Who is your designated contact for data breach notifications?",
                     "Please give the contact details of the person who handles security incidents."):
        m = bench_engine.match_one(question, "forms")
        timing = ("breach-notification", "ir-notification-channel", "ir-ack-critical")
        assert m.fact_id not in timing, (question, m.note)
    assert not asks_for_contact("Will you contact us if there is a breach?")
    assert bench_engine.match_one("How soon will you notify us of a data breach?", "forms").status == "suggested"


def test_a_deadline_does_not_answer_how_or_what_as_a_suggestion(bench_engine):
    # "How does your practice ... respond to security incidents?" had been suggested "Acknowledged within
    # 4 business hours" at 93, "What information will you provide in a breach notification?" "Within 72
    # hours" at 100: the deadline fact is about the same thing, but says how soon, not how or what.
    for question, fact in (("What details will your breach notices to us contain?", "breach-notification"),
                           ("How does your team handle and respond to security incidents?", "ir-ack-critical")):
        m = bench_engine.match_one(question, "forms")
        assert not (m.status == "suggested" and m.fact_id == fact), (question, m.note)
    m = bench_engine.match_one("How soon will you notify us of a data breach?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "breach-notification"), m.note


def test_the_vendors_own_suppliers_are_the_vendor_risk_topic(bench_engine):
    # "Vendor" and "supplier" alone are the one answering (a stopword: "Supplier shall encrypt ..."), so
    # "Do your vendor contracts include security requirements?" had lost its topic word.
    assert "@vendor_risk" in analyse("Do your suppliers sign contracts with security clauses?")
    assert "@vendor_risk" in analyse("Are business associates held to your security requirements?")
    assert "@vendor_risk" not in analyse("Supplier shall encrypt customer data at rest.")
    for question in ("Do your vendor contracts oblige them to protect our information?",
                     "How do you manage information security across your supply chain?"):
        m = bench_engine.match_one(question, "forms")
        assert m.alternatives and m.alternatives[0].fact_id == "vendor-risk", (question, m.note)
    m = bench_engine.match_one("Supplier shall encrypt customer data at rest.", "forms")
    assert m.fact_id == "enc-at-rest", m.note


def test_a_site_or_an_address_is_not_a_link_to_the_document_asked_for(bench_engine):
    # "Will you provide post-incident reports to affected customers?" had been suggested "By email" at
    # 100, because the fact's comment names the status site; a request for a document needs a link to it.
    m = bench_engine.match_one("Will you provide post-incident reports to affected clients?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "ir-notification-channel"), m.note
    m = bench_engine.match_one("Please provide a copy of your privacy policy.", "forms")
    assert m.fact_id == "privacy-policy" and "does not link" not in m.note, m.note


def test_a_question_whether_a_thing_exists_needs_a_fact_that_mentions_the_thing(bench_engine):
    # "Do you have a dedicated incident response team?" had been suggested the incident response *plan* at
    # 93 (on two blind sets): everything matched but the thing asked about.
    from answerers.guard import asked_thing

    assert asked_thing("Does the company maintain a standing incident response committee?") == "committee"
    assert asked_thing("Do you have a SOC or equivalent?") is None
    m = bench_engine.match_one("Do you have a permanent incident response team?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "ir-plan"), m.note
    m = bench_engine.match_one("Do you have a documented incident response plan?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "ir-plan"), m.note


def test_a_fact_about_what_the_thing_is_for_does_not_answer_whether_the_thing_exists(bench_engine):
    # "Do you have a documented exit plan ensuring data reversibility and service continuity?" had been
    # suggested the business continuity plan at 99 (a blind vendor-risk bank): the fact matched what the plan
    # is to ensure, not the exit plan asked about.
    from answerers.guard import asked_thing, asked_thing_phrase

    asked = "Do you maintain a written exit plan that guarantees business continuity for customers?"
    assert asked_thing_phrase(asked) == "written exit plan" and asked_thing(asked) == "plan"
    m = bench_engine.match_one("Do you have an exit plan covering business continuity?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "bcp"), m.note
    m = bench_engine.match_one("Do you have a business continuity plan that is tested every year?", "forms")
    assert "is about something it is said to do" not in m.note, m.note


def test_what_the_vendor_is_asked_to_act_on_must_be_what_the_fact_is_about():
    # "Do you destroy backups containing customer data?" had been suggested the storage-media disposal fact
    # at 100 (a blind questionnaire; an earlier round's list too): the destroying matched, the backups did not.
    from answerers.asked import asked_object

    assert asked_object("Do you shred backup tapes after use?") == "backup tapes"
    assert asked_object("Do you encrypt personal data at rest?") is None  # data in general: any fact's
    assert asked_object("Do you have a SOC 2 report?") is None
    library = [Fact(id="media", question="How are storage media holding customer data disposed of?",
                    answer="Wiped or destroyed", comment="Disks are wiped to NIST SP 800-88."),
               Fact(id="lockers", question="Are visitors' bags kept in lockers?", answer="Yes")]
    engine = MatchingEngine(library, LEXICAL)
    m = engine.match_one("Do you destroy backups holding customer data?")
    assert m.status != "suggested", m
    m = engine.match_one("Do you destroy storage media holding customer data?")
    assert (m.fact_id, m.status) == ("media", "suggested"), m


def test_the_subject_a_question_names_must_be_what_the_fact_is_about(bench_engine):
    # "Does the device encrypt data stored on the device?" and "Are audit logs encrypted in transit?" had
    # been suggested the platform's encryption facts at 94-100 (two blind sets): the encryption matched,
    # the thing encrypted did not.
    from answerers.asked import asked_subject

    assert asked_subject("Does the handheld scanner encrypt what it stores?") == "handheld scanner"
    assert asked_subject("Are event journals signed before upload?") == "event journals"
    assert asked_subject("Does the audit log record who made the change?") == "audit log"
    assert asked_subject("Can a penetration test be arranged?") is None  # "test" ends the noun, not a verb
    assert asked_subject("Is customer data logically separated?") is None  # data in general: any fact
    assert asked_subject("Is Contoso data encrypted at rest?") is None  # a name, not a thing
    m = bench_engine.match_one("Does the kiosk encrypt stored data?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "enc-at-rest"), m.note
    m = bench_engine.match_one("Are audit logs encrypted while they travel over the network?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "enc-in-transit"), m.note
    m = bench_engine.match_one("Is customer data encrypted at rest?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "enc-at-rest"), m.note


def test_what_is_opted_out_of_is_the_subject_of_an_opt_out_question(bench_engine):
    # "Can customers opt out of automatic updates?" had been suggested the analytics opt-out at 93.
    from answerers.asked import opted_out_of

    assert opted_out_of("Can tenants opt-out of beta features?") == "beta features"
    assert opted_out_of("Is SSO enforced?") is None
    m = bench_engine.match_one("Can clients opt out of automatic updates?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "analytics-optout"), m.note
    m = bench_engine.match_one("Can customers opt out of analytics collection?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "analytics-optout"), m.note


def test_what_a_policy_discloses_is_not_answered_by_the_practice(bench_engine):
    # "Do the policies clearly indicate whether or not all data at rest is encrypted?" had been suggested
    # the encryption fact at 100: the question asks what the published policy says.
    m = bench_engine.match_one("Does the privacy notice disclose whether stored data is encrypted?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "enc-at-rest"), m.note
    m = bench_engine.match_one("Do your policies explicitly state whether or not data in transit is encrypted?",
                               "forms")
    assert not (m.status == "suggested" and m.fact_id == "enc-in-transit"), m.note


def test_a_capability_given_to_customers_is_what_customers_may_do(bench_engine):
    # "Are clients provided with the ability to rotate their encryption key?" had been suggested the
    # provider-managed key fact at 95: the keys rotate, but not by the customer.
    m = bench_engine.match_one("Are customers provided with the ability to rotate their encryption keys?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "enc-key-management"), m.note
    m = bench_engine.match_one("How are encryption keys managed?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "enc-key-management"), m.note


def test_an_ability_the_product_gives_its_users_is_what_users_may_do(bench_engine):
    # "Does the application or service provide users the ability to access data in their account?" had been
    # suggested the Jira-permissions fact at 94: the fact says what the app may access, not what users can.
    m = bench_engine.match_one("Does the service provide users the option to see what data is stored in their profile?",
                               "forms")
    assert m.status == "unanswered" or m.fact_id != "rbac-jira", m.note


def test_the_security_of_sub_processors_is_the_vendor_risk_topic(bench_engine):
    # "How do you assess subprocessor security?" had been offered the sub-processor *list* (98, on three
    # sets): who they are, not how their security is vetted.
    assert "@vendor_risk" in analyse("What is your process for reviewing sub-processor security?")
    m = bench_engine.match_one("What is your process for reviewing sub-processor security?", "forms")
    assert m.fact_id == "vendor-risk", m.note
    m = bench_engine.match_one("Which sub-processors process customer data?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "sub-processors"), m.note


@needs_shared
def test_a_fact_about_a_third_party_does_not_answer_for_the_vendor(bench_engine):
    # "Does the vendor maintain relevant security compliance certifications?" had been suggested the
    # hosting providers' certifications (a blind set): the fact answers for AWS and Heroku, not the vendor.
    m = bench_engine.match_one("Does the company maintain current security certifications?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "provider-certs"), m.note
    m = bench_engine.match_one("Do your hosting providers hold security certifications?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "provider-certs"), m.note


@needs_shared
def test_the_vendors_own_fact_goes_before_one_about_a_third_party_the_question_does_not_name(bench_engine):
    # "What certifications do you maintain?" had the hosting providers' certifications first at 100 and
    # the vendor's own ISO 27001 second (five rows on four sets): the first answers for someone else.
    m = bench_engine.match_one("What security certifications does the company hold?", "forms")
    assert m.alternatives[0].fact_id != "provider-certs", m.note
    assert (m.status, m.fact_id) == ("review", "iso27001"), m.note
    assert "third party" in m.note, m.note
    # naming the third party keeps its fact first
    m = bench_engine.match_one("Which security certifications do your hosting providers maintain?", "forms")
    assert m.fact_id == "provider-certs", m.note


@needs_shared
def test_a_weak_match_on_common_words_only_is_not_offered_for_review(bench_engine):
    # "Are physical security controls reviewed and tested at least annually?" had been offered the access-review
    # fact for review at 63: "controls", "reviewed" and "annually" are words every questionnaire uses.
    m = bench_engine.match_one("Are the building's fire controls reviewed and tested every year?", "forms")
    assert m.status == "unanswered", m.note
    assert "shares only common words" in m.note, m.note
    # sharing a concept ("access rights") is another matter
    m = bench_engine.match_one("Are user access rights reviewed and tested every year?", "forms")
    assert (m.status, m.fact_id) != ("unanswered", None), m.note
    assert m.alternatives[0].fact_id == "access-review"


@needs_shared
def test_a_question_about_the_person_filling_in_the_form_is_not_answered_by_a_fact(bench_engine):
    # "Are you the individual responsible for the software in your organisation?" had been suggested the
    # security owner ("Yes (CTO)") on a blind set: it asks whether the respondent holds the role.
    m = bench_engine.match_one("Are you the person responsible for information security at your company?", "forms")
    assert m.status == "unanswered", m.note
    assert "person filling in the form" in m.note, m.note
    m = bench_engine.match_one("Is a named individual responsible for information security at your company?",
                               "forms")
    assert m.fact_id == "security-owner", m.note


@needs_shared
def test_access_keys_are_credentials_not_encryption_keys(bench_engine):
    # "Are access keys rotated?" had been suggested the encryption-key management fact at 100 (a blind set):
    # "keys rotated" read as key rotation, the cloud account's access keys as encryption keys.
    assert "@kms" not in analyse("Are the cloud access keys rotated regularly?")
    assert "@kms" in analyse("Are the encryption keys rotated regularly?")
    m = bench_engine.match_one("Are the cloud access keys rotated regularly?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "enc-key-management"), m.note


@needs_shared
def test_the_subject_of_a_how_or_where_question_must_be_what_the_fact_is_about(bench_engine):
    # "How are updates delivered?" had been suggested the deployment-model fact ("Is the app delivered as
    # multi-tenant SaaS ...") at 91 on a blind set: it shares "delivered", not what is delivered.
    from answerers.asked import asked_subject

    assert asked_subject("How are the updates delivered to customers?") == "updates"
    assert asked_subject("Where are the backups stored?") == "backups"
    assert asked_subject("How do you handle and log access to customer data?") is None  # "do": no participle
    ids = [f.id for f in bench_engine.facts]
    held = bench_engine.guard.check("How are the updates delivered to customers?", ids.index("deployment-model"),
                                    "suggested")
    assert held is not None and held[0] == "review" and '"updates"' in held[1], held
    assert bench_engine.guard.check("Where are the backups stored?", ids.index("backup-location"), "suggested") is None


@needs_shared
def test_a_users_how_to_question_or_a_why_question_is_not_suggested(bench_engine):
    # Blind product FAQs: "What information do I need from my identity provider to configure SSO?" -> the SSO
    # fact at 100, "Why should I trust Bitwarden with my passwords?" -> the staff password policy at 96.
    from answerers.wording import FIRST_PERSON

    assert not FIRST_PERSON.search("Is I/O to the database encrypted (i.e. TLS)?")
    m = bench_engine.match_one("Can I sign in to the apps with my company's single sign-on (SAML)?", "forms")
    assert m.status == "review" and m.fact_id == "sso-customers", m.note
    assert "first person" in m.note, m.note
    m = bench_engine.match_one("Can our users sign in to the apps with our single sign-on (SAML)?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "sso-customers"), m.note
    m = bench_engine.match_one("Why is multi-factor authentication required for employee access?", "forms")
    assert m.status != "suggested", m.note


@needs_shared
def test_an_approval_by_a_named_body_is_for_review(bench_engine):
    # "Does a security vendor approved by MasterCard perform this penetration testing?" had been suggested
    # the pen-test fact ("Yes (annually, independent firm)") at 100 on a blind set.
    q = "Is your annual penetration test performed by an independent firm approved by Contoso Bank?"
    m = bench_engine.match_one(q, "forms")
    assert m.status == "review" and m.fact_id == "pentest", m.note
    assert "Contoso Bank" in m.note, m.note
    m = bench_engine.match_one("Is your annual penetration test performed by an independent firm?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "pentest"), m.note
    m = bench_engine.match_one("Is the penetration test scope approved by senior management?", "forms")
    assert "approval by" not in m.note, m.note  # not a named body


@needs_shared
def test_staff_and_contractors_asked_together_are_for_review_with_a_fact_about_staff(bench_engine):
    # "Are all new and temporary employees and contractors provided with general security awareness training
    # when they join?" had been left unanswered (a contractor, which the training fact never mentions).
    m = bench_engine.match_one("Do employees and contractors complete security awareness training when they join?",
                               "forms")
    assert (m.status, m.fact_id) == ("review", "security-training"), m.note
    m = bench_engine.match_one("Do contractors complete security awareness training when they join?", "forms")
    assert m.status == "unanswered", m.note  # contractors alone: the fact is about someone else
    m = bench_engine.match_one("Do employees and consultants complete security awareness training when they join?",
                               "forms")
    assert (m.status, m.fact_id) == ("review", "security-training"), m.note


@needs_shared
def test_a_subject_named_only_among_examples_does_not_put_the_question_out_of_scope(bench_engine):
    # "Does the organization have any certifications (e.g. SOC 2 Type II, ISO 27001, PCI, etc.)?" had been
    # offered the payment-card scope fact ("No": the section not applicable) on a blind set.
    m = bench_engine.match_one("Which certifications do you hold (e.g. SOC 2, ISO 27001, PCI DSS, etc.)?", "forms")
    assert m.fact_id != "pci", m.note
    m = bench_engine.match_one("Is the product in scope for PCI DSS?", "forms")
    assert m.fact_id == "pci", m.note


@needs_shared
def test_a_question_that_asks_to_pick_among_listed_options_is_for_review(bench_engine):
    # "What controls exist for privileged/administrative access? (Select all that apply)" had been suggested
    # the privileged-access fact: the answer is a pick among the sheet's options, not the fact's words.
    from answerers.asked import picks_options

    assert picks_options("Which frameworks do you follow? (Check all that apply)") == "Check all that apply"
    assert picks_options("Hosting model - choose one") == "choose one"
    assert picks_options("Do you select vendors by a documented process?") is None
    m = bench_engine.match_one("How is privileged administrative access to infrastructure controlled? "
                               "(select all which apply)", "forms")
    assert m.status != "suggested", m.note
    assert "pick among" in m.note, m.note
    m = bench_engine.match_one("How is privileged administrative access to infrastructure controlled?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "privileged-access"), m.note


@needs_shared
def test_a_service_level_for_doing_something_asks_for_a_time(bench_engine):
    # "Does the vendor have an SLA for notifying customers of security incidents?" had been suggested the
    # incident-channel fact ("By email", a blind set): a service level for doing a thing is a time to do it in.
    from answerers.form import asks_for_time

    assert asks_for_time("Is there a service-level commitment for answering breach reports?")
    assert not asks_for_time("Do you offer an SLA?")
    m = bench_engine.match_one("Do you commit to an SLA on informing clients about security incidents?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "ir-notification-channel"), m.note
    m = bench_engine.match_one("Do you have SLAs for remediating vulnerabilities?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "remediation-sla"), m.note


@needs_shared
def test_a_dedicated_team_is_more_than_an_owner(bench_engine):
    # "Do you have a dedicated information security team?" had been suggested the security-owner fact
    # ("Yes (CTO)", a blind set): someone owns security, but it is not said to be anyone's whole job.
    m = bench_engine.match_one("Is there a dedicated team for information security?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "security-owner"), m.note
    m = bench_engine.match_one("Who is responsible for information security?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "security-owner"), m.note


@needs_shared
def test_agreeing_to_the_customers_terms_is_for_a_person(bench_engine):
    # "Will you accept breach notification requirements?" had been suggested "Within 72 hours" at 100 (a
    # blind set): it asks for a commitment to the customer's terms, not the vendor's own practice.
    m = bench_engine.match_one("Will you accept our breach notification requirements?", "forms")
    assert m.status != "suggested", m.note
    m = bench_engine.match_one("How soon will you notify customers of a personal data breach?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "breach-notification"), m.note


def test_a_clause_placing_what_is_asked_is_not_its_subject():
    # "What physical security arrangements are in place where this data is to be processed and stored" had
    # been suggested the data-location fact at 93 in its sheet (a blind set): the clause after "in place"
    # only places what is asked about, physical security.
    from answerers.guard import Guard
    from answerers.wording import place_clause

    assert place_clause("Which controls are implemented where backups are kept?") == " where backups are kept"
    assert place_clause("Where are backups kept?") is None
    assert place_clause("Is there a process where data is deleted on request?") is None  # the clause is the content
    facts = [Fact(id="location", question="Where is customer data stored?", answer="US (AWS us-east-1)"),
             Fact(id="physical", question="How are data centres physically secured?", answer="Inherited")]
    guard = Guard(facts)
    status, why = guard.check("What fire protection is in place where customer data is stored?", 0, "suggested")
    assert status == "review" and "placing what is asked" in why, why
    assert guard.check("Where is customer data stored?", 0, "suggested") is None


@needs_shared
def test_access_reviews_and_access_rights_reviewed_read_alike(bench_engine):
    # "Do you perform regular access reviews?" had been offered the backup-frequency fact (88; "Do you perform
    # regular backups ...?") before access-review (28): the question's "access reviews" folded into a concept
    # that the fact's "Are user access rights reviewed periodically?" did not.
    question, fact = analyse("Do you carry out access reviews?"), analyse("Are staff access rights reviewed?")
    assert {"@access", "review"} <= set(question) & set(fact)
    assert "@access_review" in analyse("Are entitlements recertified every quarter?")
    m = bench_engine.match_one("Do you carry out regular access reviews?", "forms")
    assert m.alternatives[0].fact_id == "access-review", m.note


@needs_shared
def test_formal_qualifies_a_practice_and_is_not_its_topic(bench_engine):
    # "Do you have a formal offboarding process?" ranked "Do you have a formal change management process?"
    # first on "formal" and "process" alone; "formal" is now a light word, the leaver's topic a heavy one.
    m = bench_engine.match_one("Do you have a formal process for employee offboarding?", "forms")
    assert m.alternatives[0].fact_id == "offboarding", m.note


def test_scanning_dependencies_is_one_concept_however_it_is_worded():
    # "Do you scan dependencies for vulnerabilities?" read as "scan" + @dependency, while the fact's
    # "Are third-party dependencies scanned ...?" read as @sca: no concept in common, the fact second.
    assert "@sca" in analyse("Does the team scan dependencies for vulnerabilities in CI?")
    assert "@sca" in analyse("Are open source dependencies scanned for CVEs?")


def test_the_companys_own_particulars_are_answered_only_by_a_fact_about_them():
    # "Year founded" had been offered the breach-history fact for review at 96 (its comment says "since the
    # company was founded"), "Headquarters location" the data-location fact at 98 (blind sets).
    from answerers.guard import Guard

    facts = [Fact(id="breaches", question="Have you had a data breach?", answer="No",
                  comment="None since the company was founded in 2015."),
             Fact(id="location", question="Where is customer data stored?", answer="EU (Frankfurt)"),
             Fact(id="hq", question="Where is the company headquartered?", answer="Lyon, France")]
    guard = Guard(facts)
    assert guard.check("Year the business was founded", 0, "review")[0] == "unanswered"
    assert guard.check("Head office location", 1, "suggested")[0] == "unanswered"
    assert guard.check("Headquarters location", 2, "suggested") is None
    m = MatchingEngine(facts, LEXICAL).match_one("How long has your company been in business?")
    assert m.status == "unanswered", m
    # and its commercial terms ("What is your cost model?" had been offered the AI-training fact at 72)
    assert guard.check("Is pricing per-seat or enterprise?", 1, "review")[0] == "unanswered"
    assert guard.check("What is your current funding status?", 0, "review")[0] == "unanswered"


def test_make_sure_and_ensure_are_filler():
    # "Do you have processes in place to make sure access is revoked when an employee leaves?" had been held
    # for review because "no fact in the library mentions make, sure" (a blind set).
    assert analyse("Do you make sure that leavers lose access?") == analyse("Do leavers lose access?")
    assert analyse("Processes to ensure that backups are encrypted") == analyse("Processes that backups are encrypted")


@needs_shared
def test_what_was_done_after_a_past_event_is_not_the_practice(bench_engine):
    # "If your organisation has had a data breach, were all individuals who were affected informed?" had been
    # suggested "Within 72 hours" (a blind set): it asks what happened after an event, which may never have
    # happened, not how the vendor would notify.
    m = bench_engine.match_one("If you have experienced a personal data breach, were the affected customers notified?",
                               "forms")
    assert not (m.status == "suggested" and m.fact_id == "breach-notification"), m.note
    m = bench_engine.match_one("How soon will you notify customers of a personal data breach?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "breach-notification"), m.note


def test_software_updates_are_patching():
    # "How do you make sure that the latest software updates are downloaded and installed promptly?" shared no
    # concept with "How are operating systems and runtimes kept patched?" (a blind set).
    assert "@patch" in analyse("Are operating system updates installed within a week?")
    assert "@patch" in analyse("How often do you install software updates on servers?")


@needs_shared
def test_when_something_was_last_done_needs_a_date_from_a_person(bench_engine):
    # "Note when the privacy policies were last reviewed or updated:" had been suggested the privacy-policy
    # fact ("Yes") at 98 (a blind set): it asks for a date, which the fact does not give.
    m = bench_engine.match_one("State when your information security policy was last reviewed.", "forms")
    assert m.status != "suggested", m.note
    m = bench_engine.match_one("Do you have a documented information security policy?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "security-policy"), m.note


def test_a_follow_up_naming_only_the_kind_of_answer_is_left_alone():
    # "How often?" under "Will you keep the data?" had been offered the backup-frequency fact for review at 100
    # (a blind set): it names nothing but the kind of answer.
    library = [Fact(id="backups", question="How often are backups taken?", answer="Daily"),
               Fact(id="hosting", question="Where is customer data hosted?", answer="EU (Frankfurt)")]
    engine = MatchingEngine(library, LEXICAL)
    for follow_up in ("How frequently?", "Where?"):
        assert engine.match_one(follow_up).status == "unanswered", follow_up
    assert engine.match_one("How often are backups taken?").fact_id == "backups"


def test_access_and_firewall_policies_are_settings_not_paperwork():
    # "Are all access policies in the production environment reviewed regularly?" had been left unanswered as a
    # question on keeping documents current (a set of the round): access and firewall policies are settings.
    from answerers.guard import keeps_documents_current

    assert not keeps_documents_current("Are IAM policies reviewed every quarter?")
    assert not keeps_documents_current("Are firewall policies updated after each change?")
    assert keeps_documents_current("Is the access control policy document reviewed annually?")


def test_who_asks_for_people_and_a_fact_naming_no_one_does_not_answer():
    # "Who will be part of the SLAs meetings?" had been suggested the availability-SLA fact ("99.5% target") at
    # 92 (a blind set): it asks for people.
    library = [Fact(id="uptime", question="Do you offer an SLA for availability?", answer="99.5% monthly target"),
               Fact(id="owner", question="Who owns information security?", answer="The CTO"),
               Fact(id="mfa", question="Is MFA required?", answer="Yes")]
    engine = MatchingEngine(library, LEXICAL)
    m = engine.match_one("Who joins SLA meetings about availability?")
    assert m.status == "unanswered" and "names no one" in m.note, m
    assert engine.match_one("Who owns information security?").fact_id == "owner"


@needs_shared
def test_a_recovery_site_is_not_the_primary_location(bench_engine):
    # "Where are vendor's recovery data centers located?" and "Where are the DR (disaster recovery) data centers
    # locations located?" had been suggested where customer data is stored (two blind sets).
    for question in ("In which country is the standby data center?", "Where is the secondary data center located?"):
        m = bench_engine.match_one(question, "forms")
        assert not (m.status == "suggested" and m.fact_id == "data-location-forms"), (question, m.note)
    m = bench_engine.match_one("Where is customer data stored?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "data-location-forms"), m.note


@needs_shared
def test_the_customer_asking_to_audit_is_for_a_person(bench_engine):
    # "If so, can we review them? Can we do a Business Continuity audit?" had been suggested the continuity-plan
    # fact ("Yes") (a blind set): the customer's right to review or audit is for a person to grant.
    m = bench_engine.match_one("Can we review your business continuity plan?", "forms")
    assert m.status != "suggested", m.note
    assert "review or audit" in m.note, m.note


@needs_shared
def test_what_happens_after_the_account_closes_is_not_the_ongoing_retention(bench_engine):
    # "How long do you retain customer data after an account closes?" had been suggested the retention fact
    # ("While the app is installed") at 99 (a blind set); what happens after the end is the deletion fact's.
    m = bench_engine.match_one("How long do you retain customer data after the account is closed?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "retention-forms"), m.note
    m = bench_engine.match_one("How quickly is access revoked upon termination?", "forms")  # an employee's
    assert (m.status, m.fact_id) == ("suggested", "offboarding"), m.note


@needs_shared
def test_a_question_about_another_platform_is_not_answered_by_the_jira_apps_fact(bench_engine):
    # "GitHub Apps must authenticate using either a JSON Web Token (JWT), OAuth token, or installation access
    # token." had been suggested the Jira app's authentication fact ("JWT and OAuth 2.0") (a blind set).
    from answerers.wording import platforms

    assert platforms("Does the Forge app store data in Jira?") == {"atlassian"}
    assert platforms("Do your security teams use Slack?") == {"slack"}
    m = bench_engine.match_one("Does your Slack app authenticate using JWT and OAuth 2.0?", "forms")
    assert not (m.status == "suggested" and m.fact_id == "auth-jira-forms"), m.note
    m = bench_engine.match_one("How does the app authenticate to Jira?", "forms")
    assert (m.status, m.fact_id) == ("suggested", "auth-jira-forms"), m.note


def test_compliance_with_a_law_named_by_acronym_needs_a_fact_naming_it():
    # "Are you compliant with CCPA requirements?" -> the SOC 2 fact at 47 (blind vendor questionnaires, twice):
    # "compliant" was all the two shared.
    library = [Fact(id="soc2", question="Do you have a SOC 2 Type II report?", answer="Yes",
                    alternate_questions=["Are you SOC 2 compliant?"]),
               Fact(id="gdpr", question="Are you GDPR compliant?", answer="Yes")]
    engine = MatchingEngine(library, LEXICAL)
    m = engine.match_one("Are you compliant with CCPA requirements?")
    assert m.status == "unanswered", m
    assert engine.guard.regulation_unstated("Are you compliant with CCPA requirements?", 0) == "CCPA"
    # the law or framework the fact names is answered, however the question reads it ("SOC" with its "2")
    assert engine.guard.regulation_unstated("Is your platform SOC 2 compliant?", 0) is None
    assert engine.guard.regulation_unstated("Are you compliant with GDPR and CCPA?", 1) is None
    m = engine.match_one("Are you GDPR compliant?")
    assert (m.fact_id, m.status) != (None, "unanswered"), m
    # not a compliance question, or no law named: not this check's business
    assert engine.guard.regulation_unstated("Is MFA required for CCPA data requests?", 0) is None
    assert engine.guard.regulation_unstated("Are you compliant with our security requirements?", 0) is None
    # a reference code is not a law ("(referenced in MOB01)")
    assert engine.guard.regulation_unstated("Is the app (see MOB01) compliant with the access model?", 0) is None


def test_a_date_asked_in_a_later_sentence_leaves_the_first_question_for_review():
    from answerers.guard import date_asked_later

    # "Do you have a documented incident response plan? When was it last tested?" -> nothing at 100 (a blind
    # vendor template, three such questions): the fact answers the first question, a person adds the date.
    library = [Fact(id="ir-plan", question="Do you have a documented incident response plan?", answer="Yes"),
               Fact(id="pentest", question="Do you commission penetration tests?", answer="Yes (annually)")]
    engine = MatchingEngine(library, LEXICAL)
    m = engine.match_one("Do you have a documented incident response plan? When was it last reviewed?")
    assert (m.fact_id, m.status) == ("ir-plan", "review") and "asks also when" in m.note, m
    # a question asking only the date is still not answered by a fact without one
    m = engine.match_one("When was your last penetration test?")
    assert m.status == "unanswered", m
    assert date_asked_later("Is there a plan? When was it last tested?") == "When was it last tested?"
    assert date_asked_later("When was the plan last tested? Describe the results.") is None
    assert date_asked_later("Is there a plan? Describe it.") is None


def test_data_at_the_end_of_the_service_is_not_a_leavers_offboarding():
    # "Can data be returned upon termination?" -> staff offboarding at 96 (a blind vendor template, both its
    # labellers): the bare "termination" was read as an employee's.
    library = [Fact(id="leavers", question="Is access revoked promptly when an employee leaves?",
                    answer="Yes (on the last day)", comment="Leavers are disabled in the identity provider."),
               Fact(id="export", question="Can customers export their data?", answer="Yes (CSV)")]
    engine = MatchingEngine(library, LEXICAL)
    held = engine.guard.check("Can our data be handed back upon termination?", 0, "suggested")
    assert held is not None and held[0] == "unanswered", held
    # an employee's termination is still the leavers' fact
    assert engine.guard.check("Is employee access to data revoked upon termination?", 0, "suggested") is None
    assert engine.guard.check("How quickly is access revoked upon termination?", 0, "suggested") is None


def test_a_question_about_users_or_what_the_customer_may_do_is_not_suggested_an_internal_fact():
    # "How is user access monitored and logged?" -> production monitoring at 100, "How can we access logs and
    # security events?" -> internal log retention at 100 (a blind cloud checklist, both its labellers wanting the
    # apps' audit trail and its export).
    library = [Fact(id="monitoring", question="Do you log and monitor activity on production systems?",
                    answer="Yes (24/7)",
                    comment="User access to production is logged, and alerts page the on-call engineer."),
               Fact(id="log-retention", question="How long are system logs retained?", answer="90 days",
                    comment="Log stores are read-only for engineers."),
               Fact(id="audit", question="Does the app keep an audit trail of user actions?", answer="Yes",
                    comment="Customers' administrators can view and export it.")]
    engine = MatchingEngine(library, LEXICAL)
    held = engine.guard.check("How is user access monitored and logged?", 0, "suggested")
    assert held is not None and held[0] == "review" and "users" in held[1], held
    held = engine.guard.check("How can we access security logs?", 1, "suggested")
    assert held is not None and held[0] == "review" and "customer may do" in held[1], held
    # a fact about the apps' users is not held back so
    held = engine.guard.check("How is user access monitored and logged?", 2, "suggested")
    assert held is None or "vendor's own systems" not in held[1], held
    # the vendor's own logs, asked about as such, are the internal fact's
    assert engine.guard.check("Are production systems monitored and logged?", 0, "suggested") is None


def test_an_answer_giving_the_means_is_not_suggested_where_the_question_does_not_ask_how():
    # "What is your commitment for notifying Contoso of security incidents affecting our data?" -> "By email" at 96
    # (blind supplier questionnaires of two rounds, labelled with the breach-notification deadline).
    library = [Fact(id="channel", question="How are customers informed about security incidents?", answer="By email"),
               Fact(id="breach", question="How soon will you notify customers of a personal data breach?",
                    answer="Within 72 hours")]
    engine = MatchingEngine(library, LEXICAL)
    held = engine.guard.check("What is your commitment for notifying Contoso of security incidents?", 0, "suggested")
    assert held is not None and held[0] == "review" and "by what means" in held[1], held
    held = engine.guard.check("Will you notify Contoso of security incidents affecting our data?", 0, "suggested")
    assert held is not None and held[0] == "review", held
    # asked how, by what channel, or for the process: the means answers it
    for asked in ("How will you notify us of a security incident?", "Through which channel are incidents reported?",
                  "What is your process for notifying customers of security incidents?"):
        assert engine.guard.check(asked, 0, "suggested") is None, asked


def test_a_suggestion_resting_on_a_leading_condition_goes_to_review():
    from answerers.engine import without_asides

    # "If cloud-based, which provider(s) do you use?" -> the deployment-model fact ("cloud only") at 99 (a blind
    # supplier questionnaire): the condition matched, not what is asked.
    assert without_asides("If cloud-based, which provider(s) do you use?") == "which provider(s) do you use?"
    # a condition that names what the rest asks about stays ("does *it* include ...?", a HECVAT question)
    kept = "If you have completed a SOC 2 audit, does it include the Privacy principle?"
    assert without_asides(kept) == kept
    library = [Fact(id="deployment", question="Is the app delivered as cloud-based SaaS or self-hosted?",
                    answer="Cloud-based SaaS only"),
               Fact(id="hosts", question="Which hosting providers do you use?", answer="Fabrikam Cloud")]
    engine = MatchingEngine(library, LEXICAL)
    m = engine.match_one("If cloud-based, which provider(s) do you use?")
    assert not (m.fact_id == "deployment" and m.status == "suggested"), m


def test_a_password_question_naming_no_one_is_not_suggested_the_staff_password_fact():
    # "What password policy is in place?", "Password policy details:" -> the staff password policy at 98-100 (two
    # blind SaaS questionnaires, both labelled empty: the product's own password rules were asked).
    library = [Fact(id="pw", question="What password policy applies to staff accounts?",
                    answer="Minimum 14 characters, password manager")]
    engine = MatchingEngine(library, LEXICAL)
    for asked in ("What password policy is in place?", "Password policy details:"):
        held = engine.guard.check(asked, 0, "suggested")
        assert held is not None and held[0] == "review" and "whose passwords" in held[1], (asked, held)
    # naming the staff settles whose
    assert engine.guard.check("What password policy applies to employees?", 0, "suggested") is None


def test_who_did_a_test_and_things_kept_apart_need_a_fact_that_says_so():
    # "Who conducted the penetration test?" -> "Yes (annually, independent firm)" at 100, "Are administrative and
    # privileged accounts separated from daily-use accounts?" -> "Named accounts, MFA, logged" at 98 (blind vendor
    # questionnaires): the firm and the separation are what is asked.
    library = [Fact(id="pentest", question="Do you commission penetration tests?",
                    answer="Yes (annually, independent firm)"),
               Fact(id="admin", question="How is privileged administrative access controlled?",
                    answer="Named accounts, MFA, logged"),
               Fact(id="segments", question="Is production segmented from the corporate network?", answer="Yes")]
    engine = MatchingEngine(library, LEXICAL)
    held = engine.guard.check("Who conducted the penetration test?", 0, "suggested")
    assert held is not None and held[0] == "review" and "names no firm" in held[1], held
    held = engine.guard.check("Are privileged accounts separated from daily-use accounts?", 1, "suggested")
    assert held is not None and held[0] == "review" and "kept apart" in held[1], held
    # a fact that says so answers
    assert engine.guard.check("Is production segregated from the corporate network?", 2, "suggested") is None
    assert engine.guard.check("How often are penetration tests performed?", 0, "suggested") is None
