"""Approve-click server time on a 1,000-question questionnaire (issue 16: target under 0.5 s).

Builds the 1,000-question workbook of bench_app.py from the sample knowledge base, uploads and matches
it in a temporary home, opens the review page in AppTest and times, per click, the server run it
triggers: "Approve" in the detail panel (the A key), a tick in the table's Approve column,
and the bulk-approve preview and its confirmation. AppTest reruns the whole page where the browser
reruns only the review fragment, so these are upper bounds of what a click waits for. A breakdown
follows: the service's approve alone, reading the whole 1,000-row table (with each answer's fit to its
cell), and what the review page does instead after a click: reread only the rows whose version moved.

    .venv/bin/python benchmarks/bench_approve.py [--questions 1000] [--repeat 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

TARGET_S = 0.5


def clock(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def summary(name: str, runs: list[float]) -> str:
    ordered = sorted(runs)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    verdict = "under" if p90 < TARGET_S else "OVER"
    return (f"{name:>28}: median {statistics.median(runs) * 1000:4.0f} ms, p90 {p90 * 1000:4.0f} ms, "
            f"max {max(runs) * 1000:4.0f} ms over {len(runs)} ({verdict} {TARGET_S:.1f} s at p90)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="tf-bench-approve-"))
    os.environ["TRUSTFILL_HOME"] = str(home)
    os.environ.pop("TRUSTFILL_DATABASE_URL", None)
    from bench_app import build_workbook
    from streamlit.testing.v1 import AppTest

    from trustfill.app_pages import common
    from trustfill.service import Service

    svc = Service()
    svc.ensure_sample_loaded()
    workbook = home / "big.xlsx"
    build_workbook(workbook, args.questions)
    qid, progress = svc.upload_and_match(workbook, product="planner", customer="Bench")
    print(f"questionnaire: {progress.total} questions ({progress.suggested} suggested, {progress.review} review, "
          f"{progress.unanswered} unanswered)")

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("trustfill/app_pages/review.py").run()
    assert not at.exception, at.exception
    meta = at.session_state["rev_meta"][qid]
    assert len(meta.ids) == progress.total
    answered = [i for i in meta.ids if svc.question(i)["answer"].strip()]

    panel, table = [], []
    for n in range(args.repeat):
        # The panel's Approve (keyboard A): the panel then moves on to the next question by itself.
        target = answered[2 * n]
        at.selectbox(key="rev_detail_pick").set_value(target).run()
        at.button(key=f"det_approve_{target}").click()
        panel.append(clock(at.run))
        assert not at.exception and svc.question(target)["review_status"] == "approved", target
        # The table's Approve column: one tick on a row.
        target = answered[2 * n + 1]
        pos = meta.ids.index(target)
        state = dict(at.session_state[meta.key]) if meta.key in at.session_state else {}
        edited = dict(state.get("edited_rows") or {})
        edited[pos] = {"approve": True}
        at.session_state[meta.key] = {"edited_rows": edited, "added_rows": [], "deleted_rows": []}
        table.append(clock(at.run))
        assert not at.exception and svc.question(target)["review_status"] == "approved", target

    at.number_input(key=f"rev_min_{qid}").set_value(90).run()
    at.button(key=f"rev_bulk_{qid}").click()
    preview = clock(at.run)
    listed = len(at.session_state[f"rev_bulk_preview_{qid}"]["rows"])
    at.button(key="rev_bulk_confirm").click()
    confirm = clock(at.run)
    assert not at.exception, at.exception

    print(summary("approve in the panel (A)", panel))
    print(summary("approve in the table", table))
    print(f"{'bulk preview':>28}: {preview * 1000:4.0f} ms ({listed} answers listed)")
    print(f"{'bulk confirm':>28}: {confirm * 1000:4.0f} ms ({listed} approved, learning included)")

    # Where a click's time goes.
    rows = [i for i in answered[2 * args.repeat:] if svc.question(i)["review_status"] == "pending"][:args.repeat]
    service = [clock(lambda i=i: svc.approve(i)) for i in rows]
    frame, patch = [], []
    for _ in range(args.repeat):
        common._frame.clear()
        frame.append(clock(lambda: common._frame(svc, (str(svc.engine.url), qid, time.time()))))
    held = common._build(svc.questions(qid))
    versions = dict(svc.question_versions(qid))
    for i in rows:  # what review_frame does after a click: which rows moved, then read and fit only those
        def reread(i=i):
            moved = [q for q, v in svc.question_versions(qid) if versions[q] != v]
            fresh = common._build(svc.questions_by_id(moved))
            held.loc[fresh.index, "review_status"] = fresh["review_status"]
            versions.update(dict.fromkeys(moved, -1))
        svc.reopen(i)
        patch.append(clock(reread))
    print(summary("service approve alone", service))
    print(summary(f"full table read ({progress.total} rows)", frame))
    print(summary("changed rows reread (per click)", patch))


if __name__ == "__main__":
    main()
