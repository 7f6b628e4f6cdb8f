"""#18: a large run matches some of its chunks in a forked worker (trustfill/workspace/parallel.py).
The results must be the very ones one process gives; a worker that fails or dies must surface as a
Trustfill error, and no child may be left behind."""

from __future__ import annotations

import csv
import os
import signal
import threading
import time

import pytest

from answerers import MatchingEngine, MatchSettings
from conftest import BENCH, needs_shared, no_children_left
from trustfill.errors import ConfigError, TrustfillError, WorkerFailed
from trustfill.workspace import parallel

PARENT = os.getpid()



def _child_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


@needs_shared
def test_the_worker_gives_exactly_the_matches_of_one_process():
    from knowledge.io import read_library

    facts = read_library(BENCH / "library.csv")
    with (BENCH / "dev" / "truth.csv").open(encoding="utf-8", newline="") as fh:
        dev = [r["question"] for r in csv.DictReader(fh)]
    phrasings = [q for f in facts for q in f.all_questions]
    questions = dev + phrasings + [q.lower().rstrip("?") for q in phrasings]
    engine = MatchingEngine(facts, MatchSettings(semantic=False))
    parts = [questions[i : i + 100] for i in range(0, len(questions), 100)]
    assert len(parts) >= 3

    def match(part):
        return engine.match(part, None)

    with parallel.in_order(match, parts, fork=False) as alone:
        expected = list(alone)
    before = _child_cpu()
    with parallel.in_order(match, parts, fork=True) as both:
        got = list(both)
    assert _child_cpu() > before, "no worker ran"
    assert got == expected
    assert [[m.model_dump() for m in p] for p in got] == [[m.model_dump() for m in p] for p in expected]
    assert no_children_left()


def test_a_large_answer_run_gives_the_same_files_with_and_without_the_worker(tf_home, tmp_path, monkeypatch):
    from knowledge.io import read_library
    from knowledge.sample import FACTS_FILE
    from trustfill.service import Service

    phrasings = [q for f in read_library(FACTS_FILE) for q in f.all_questions]
    questionnaire = tmp_path / "big.csv"
    with questionnaire.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ID", "Question", "Answer", "Comment"])
        for i in range(1100):  # three chunks of run_matching, over parallel.MIN_QUESTIONS
            q = phrasings[i % len(phrasings)]
            w.writerow([f"Q{i + 1}", q if i < len(phrasings) else f"{q} ({i // len(phrasings)})", "", ""])
    svc = Service()
    svc.import_sample()
    outputs = {}
    for workers in ("1", "2", "1"):
        monkeypatch.setenv(parallel.ENV, workers)
        before = _child_cpu()
        out, report = tmp_path / f"filled-{workers}.csv", tmp_path / f"report-{workers}.csv"
        svc.answer_file(questionnaire, product="planner", out=out, report=report)
        forked = _child_cpu() > before
        assert forked == (workers == "2")
        outputs.setdefault(workers, []).append((out.read_bytes(), report.read_bytes()))
    assert outputs["2"][0] == outputs["1"][0] == outputs["1"][1]
    assert no_children_left()


def _fail_in_the_worker(item: int) -> int:
    if os.getpid() != PARENT:
        raise ValueError(f"no answer for item {item}")
    time.sleep(0.5)  # the worker takes the other items meanwhile (time enough on a busy machine)
    return item


def test_an_error_in_the_worker_is_a_trustfill_error_with_its_traceback():
    with pytest.raises(WorkerFailed) as caught, parallel.in_order(_fail_in_the_worker, range(4), fork=True) as it:
        list(it)
    assert isinstance(caught.value, TrustfillError)
    assert "ValueError: no answer for item" in str(caught.value)
    assert "_fail_in_the_worker" in caught.value.detail
    assert no_children_left()


def _die_in_the_worker(item: int) -> int:
    if os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.5)  # time enough for the worker to start and take an item, on a busy machine too
    return item


def test_a_worker_that_dies_is_reported_and_reaped():
    with pytest.raises(WorkerFailed, match="killed by signal 9") as caught, \
            parallel.in_order(_die_in_the_worker, range(4), fork=True) as it:
        list(it)
    assert parallel.ENV in str(caught.value)  # says how to run without it
    assert no_children_left()


def _slow_in_the_worker(item: int) -> int:
    # Item 0 is quick wherever it runs: whichever process takes it (a race), this process gets it at
    # once and leaves while the worker is busy with another. Slow item 0 in the worker made the test
    # wait the whole minute whenever the worker happened to take it first.
    if os.getpid() != PARENT and item != 0:
        time.sleep(60)
    return item


def test_leaving_early_stops_the_worker_at_once():
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), parallel.in_order(_slow_in_the_worker, range(4), fork=True) as it:
        for item in it:
            if item == 0:
                raise KeyboardInterrupt  # Ctrl-C while this process saves a result
    assert time.perf_counter() - t0 < 5
    assert no_children_left()


def test_without_a_fork_every_item_is_computed_here_in_order():
    with parallel.in_order(lambda x: (x, os.getpid()), range(5), fork=False) as it:
        assert list(it) == [(i, PARENT) for i in range(5)]


def test_the_worker_is_used_only_where_it_pays_and_can_be_turned_off(monkeypatch):
    monkeypatch.delenv(parallel.ENV, raising=False)
    big = [500, 500, 500, 500]
    assert parallel.worth_forking(big) == ((os.cpu_count() or 1) > 1)
    assert not parallel.worth_forking([300, 300])  # under MIN_QUESTIONS: the fork would cost more
    assert not parallel.worth_forking([2000])  # one chunk: nothing to share
    monkeypatch.setenv(parallel.ENV, "1")
    assert not parallel.worth_forking(big)
    monkeypatch.setenv(parallel.ENV, "two")
    with pytest.raises(ConfigError, match=parallel.ENV):
        parallel.worth_forking(big)


def test_no_fork_in_a_process_running_other_threads(monkeypatch):
    """The app server runs threads: forking it could leave a lock held forever in the child."""
    monkeypatch.setenv(parallel.ENV, "2")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not parallel.worth_forking([500, 500, 500, 500])
    finally:
        stop.set()
        thread.join()
    assert parallel.worth_forking([500, 500, 500, 500]) == hasattr(os, "fork")
