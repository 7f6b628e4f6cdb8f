"""#18: the matching index cached on disk across processes, matching results written in batches, and
the stages a caller (the app's progress bar) hears during upload and matching."""

from __future__ import annotations

import multiprocessing
import os
import pickle

import pytest
import sqlalchemy as sa

from answerers import MatchingEngine, MatchSettings
from hostile import corpus as c
from knowledge.model import Fact
from trustfill.service import Service
from trustfill.workspace import index_cache, matching

FACTS = [
    Fact(id="enc-rest", question="Do you encrypt customer data at rest?", answer="Yes, AES-256."),
    Fact(id="mfa-admin", question="Is multi-factor authentication enforced for administrators?", answer="Yes."),
    Fact(id="ir-plan", question="Do you have a documented incident response plan?", answer="Yes, tested yearly."),
]
SETTINGS = MatchSettings(semantic=False)


@pytest.fixture(autouse=True)
def _fresh_process_cache(monkeypatch):
    _forget_in_memory(monkeypatch)


def _count_builds(monkeypatch) -> list[int]:
    """How many times an index is built (a spy on the constructor; the engine itself runs for real)."""
    built: list[int] = []
    real = MatchingEngine.__init__

    def spy(self, *args, **kwargs):
        built.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(MatchingEngine, "__init__", spy)
    return built


def _forget_in_memory(monkeypatch) -> None:
    monkeypatch.setattr(matching, "_cache", type(matching._cache)())  # a new process, as far as the cache knows


def test_a_second_process_reuses_the_index_from_disk(tf_home, monkeypatch):
    built = _count_builds(monkeypatch)
    first = matching.engine_for(FACTS, SETTINGS)
    assert built == [1]
    entries = list((tf_home / "cache" / "index").glob("*.pickle"))
    assert len(entries) == 1 and (entries[0].stat().st_mode & 0o777) == 0o600
    _forget_in_memory(monkeypatch)
    second = matching.engine_for(FACTS, SETTINGS)
    assert built == [1], "the index was rebuilt although nothing changed"
    assert second is not first
    questions = ["Is data encrypted at rest?", "Do admins need MFA?"]
    assert [m.model_dump() for m in second.match(questions)] == [m.model_dump() for m in first.match(questions)]


def test_any_change_to_what_the_index_is_built_from_changes_the_key():
    base = index_cache.index_key(FACTS, SETTINGS)
    edited = [FACTS[0].model_copy(update={"question": "Do you encrypt backups?"}), *FACTS[1:]]  # same ID, version
    assert index_cache.index_key(edited, SETTINGS) != base
    assert index_cache.index_key(FACTS[:2], SETTINGS) != base
    assert index_cache.index_key(FACTS, MatchSettings(semantic=False, suggest_threshold=99)) != base
    assert index_cache.index_key(list(FACTS), MatchSettings(semantic=False)) == base


def test_the_key_covers_every_file_of_the_answerers_package(tmp_path, monkeypatch):
    import answerers

    copy = tmp_path / "answerers"
    import shutil

    shutil.copytree(os.path.dirname(answerers.__file__), copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(answerers, "__file__", str(copy / "__init__.py"))
    index_cache.answerers_fingerprint.cache_clear()
    memo = tmp_path / "memo"
    memo.mkdir()
    try:
        before = index_cache.index_key(FACTS, SETTINGS, memo)
        assert (memo / "answerers-files.json").exists()  # each file's digest remembered by size and mtime
        index_cache.answerers_fingerprint.cache_clear()
        assert index_cache.index_key(FACTS, SETTINGS, memo) == before
        (copy / "thesaurus.yaml").write_text((copy / "thesaurus.yaml").read_text() + "\n# changed\n")
        index_cache.answerers_fingerprint.cache_clear()
        assert index_cache.index_key(FACTS, SETTINGS, memo) != before
        assert index_cache.index_key(FACTS, SETTINGS) != before  # and without the memo
    finally:
        index_cache.answerers_fingerprint.cache_clear()


def test_a_corrupt_entry_is_ignored_and_replaced(tf_home, monkeypatch):
    built = _count_builds(monkeypatch)
    matching.engine_for(FACTS, SETTINGS)
    [entry] = (tf_home / "cache" / "index").glob("*.pickle")
    entry.write_bytes(entry.read_bytes()[:100])  # cut off mid-write by another machine, say
    _forget_in_memory(monkeypatch)
    engine = matching.engine_for(FACTS, SETTINGS)
    assert built == [1, 1]
    assert engine.match(["Do you encrypt customer data at rest?"])[0].fact_id == "enc-rest"
    assert isinstance(pickle.loads(entry.read_bytes()), MatchingEngine)  # rewritten whole


def _store_from_a_process(args) -> bool:
    folder, key = args
    return index_cache.store(folder, key, MatchingEngine(FACTS, SETTINGS))


def test_processes_writing_one_entry_at_once_leave_it_whole(tmp_path):
    folder = index_cache.cache_dir(tmp_path)
    with multiprocessing.get_context("fork").Pool(4) as pool:
        assert all(pool.map(_store_from_a_process, [(folder, "k")] * 8))
    assert sorted(p.name for p in folder.iterdir()) == ["k.pickle"]  # no temporary file left behind
    assert isinstance(index_cache.load(folder, "k", MatchingEngine), MatchingEngine)


def test_matching_results_are_written_in_batches_not_one_statement_a_question(db_url, tmp_path):
    svc = Service()
    svc.import_sample()
    svc.set_match_settings(semantic=False)
    qid = svc.upload_questionnaire(c.large_sheet(tmp_path, rows=300))
    updates: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE QUESTIONS"):
            updates.append(len(parameters) if executemany else 1)

    sa.event.listen(svc.engine, "before_cursor_execute", count)
    try:
        progress = svc.run_matching(qid)
    finally:
        sa.event.remove(svc.engine, "before_cursor_execute", count)
    assert sum(updates) == 300 and progress.total == 300
    assert len(updates) <= 3, f"{len(updates)} UPDATE statements for 300 questions"
    matched = svc.questions(qid)
    assert all(q["version"] == 2 for q in matched)  # each row written once, conditional on its version
    assert sum(q["match_status"] != "unanswered" for q in matched) > 0


def test_upload_and_match_report_their_stages(db_url, tmp_path):
    svc = Service()
    svc.import_sample()
    svc.set_match_settings(semantic=False)
    heard: list[tuple[str, float]] = []
    qid, _ = svc.upload_and_match(c.questionnaire_workbook(tmp_path / "q.xlsx"),
                                  progress=lambda s, f: heard.append((s, f)))
    assert svc.progress(qid).total == 4
    stages = [s for s, _ in heard]
    assert stages[0] == "reading workbook" and stages[-1] == "saving"
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == [
        "reading workbook", "saving", "matching", "saving"]
    assert [f for _, f in heard] == sorted(f for _, f in heard) and heard[-1] == ("saving", 1.0)


def test_the_index_on_disk_carries_what_the_first_match_would_build(tf_home, monkeypatch):
    """The guard's fact terms, the phrasings and the static signal's question weights are built before the
    engine is cached, so a run on a cached index does not rebuild them; matches are the same either way."""
    fresh = MatchingEngine(FACTS, SETTINGS)
    matching.engine_for(FACTS, SETTINGS)
    _forget_in_memory(monkeypatch)
    cached = matching.engine_for(FACTS, SETTINGS)
    assert cached.guard._library is not None and cached._phrasings is not None
    static = next(a for a in cached.answerers if a.name == "static")
    assert static.lib.question_weight is not None
    questions = ["Is data encrypted at rest?", "Do admins need MFA?", "Who is your CEO?"]
    assert [m.model_dump() for m in cached.match(questions)] == [m.model_dump() for m in fresh.match(questions)]


def _answer_in_a_fresh_process(tmp_path, modules: tuple[str, ...]) -> str:
    """Run `trustfill answer` on the sample in a new interpreter; its stdout ends with which of
    ``modules`` that run imported ("LOADED [...]")."""
    import subprocess
    import sys

    from knowledge.service import SAMPLE_QUESTIONNAIRE

    code = ("import sys\nfrom trustfill.cli.main import main\n"
            f"assert main(['answer', {str(SAMPLE_QUESTIONNAIRE)!r}, '-p', 'planner', '-o', "
            f"{str(tmp_path / 'filled.xlsx')!r}, '--report', {str(tmp_path / 'report.csv')!r}]) == 0\n"
            f"print('LOADED', [m for m in {modules!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout + done.stderr


def test_answer_imports_no_workbook_library_or_app(tf_home, tmp_path):
    """`trustfill answer` reads and writes workbooks with its own streaming code: openpyxl (0.1 s to
    import), pandas and Streamlit stay out of the run."""
    Service().import_sample()
    out = _answer_in_a_fresh_process(tmp_path, ("openpyxl", "pandas", "streamlit"))
    assert "LOADED []" in out, out


def test_a_run_on_a_cached_index_imports_neither_scipy_sparse_nor_pyyaml(tf_home, tmp_path):
    """The cached index brings the thesaurus it was built with (no thesaurus.yaml parsed, so no PyYAML)
    and the answerers call scipy's sparse kernels without scipy.sparse (answerers/csr.py)."""
    Service().import_sample()
    first = _answer_in_a_fresh_process(tmp_path, ("scipy.sparse", "yaml"))
    report = (tmp_path / "report.csv").read_bytes()
    second = _answer_in_a_fresh_process(tmp_path, ("scipy.sparse", "yaml"))
    assert "LOADED" in first, first
    assert "LOADED []" in second, second
    assert (tmp_path / "report.csv").read_bytes() == report


def test_the_static_vectors_are_memory_mapped_from_an_unpacked_copy(tmp_path, monkeypatch):
    """Written once into the cache folder, named by the shipped member's CRC and size; a copy of the wrong
    size (cut off) is replaced; the vectors are the shipped ones either way."""
    import zipfile

    import numpy as np

    from answerers import static

    with np.load(static.VECTORS, allow_pickle=False) as data:
        shipped = data["vectors"]
    monkeypatch.setattr(static, "_unpacked_dir", None)
    folder = index_cache.cache_dir(tmp_path)
    static.unpack_vectors_to(folder)
    for _ in range(2):
        monkeypatch.setattr(static, "_loaded", None)  # a new process
        _, vectors, _ = static.load_vectors()
        assert np.array_equal(vectors, shipped)
    [copy] = folder.glob("static-vectors-*.npy")
    assert isinstance(vectors, np.memmap) and (copy.stat().st_mode & 0o777) == 0o600
    copy.write_bytes(copy.read_bytes()[:1000])
    monkeypatch.setattr(static, "_loaded", None)
    assert np.array_equal(static.load_vectors()[1], shipped)
    assert copy.stat().st_size == zipfile.ZipFile(static.VECTORS).getinfo("vectors.npy").file_size  # whole again
    assert isinstance(static.load_vectors()[1], np.ndarray)
    monkeypatch.setattr(static, "_loaded", None)  # the next test's process loads its own
