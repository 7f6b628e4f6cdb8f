"""How fast the review page answers a click on a 1,000-question questionnaire.

Builds a 1,000-question workbook from the sample knowledge base's questions, uploads and matches it in
a temporary home, then times AppTest interactions on the review page: the first render, a table edit
saved through the service, a decision from the detail panel, and moving the detail panel. Each
timing is one script (fragment) run on the server, which is what a click waits for before the
browser redraws.

    .venv/bin/python benchmarks/bench_app.py [--questions 1000] [--repeat 7]
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


def build_workbook(path: Path, n: int) -> None:
    """A plausible questionnaire: ID / Question / Answer / Comment, a section heading every 50 rows."""
    import yaml
    from openpyxl import Workbook

    facts = yaml.safe_load((REPO / "knowledge/sample/facts.yaml").read_text())
    facts = facts["facts"] if isinstance(facts, dict) else facts
    phrasings = [q for f in facts for q in [f["question"], *f.get("alternate_questions", [])]]
    wb = Workbook()
    ws = wb.active
    ws.title = "Security Questions"
    ws.append(["ID", "Question", "Answer", "Comment"])
    section = 0
    for i in range(n):
        if i % 50 == 0:
            section += 1
            ws.append([f"{section}.", f"Section {section}", None, None])
        base = phrasings[i % len(phrasings)]
        variant = "" if i < len(phrasings) else f" (scope {i // len(phrasings)})"
        ws.append([f"{section}.{i % 50 + 1}", base.rstrip("?") + variant + "?", None, None])
    wb.save(path)


def timed(at, runs: list[float]) -> None:
    start = time.perf_counter()
    at.run()
    runs.append(time.perf_counter() - start)
    assert not at.exception, at.exception


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="tf-bench-app-"))
    os.environ["TRUSTFILL_HOME"] = str(home)
    os.environ.pop("TRUSTFILL_DATABASE_URL", None)
    from streamlit.testing.v1 import AppTest

    from trustfill.service import Service

    svc = Service()
    svc.ensure_sample_loaded()
    workbook = home / "big.xlsx"
    build_workbook(workbook, args.questions)
    t = time.perf_counter()
    qid = svc.upload_questionnaire(workbook, product="planner", customer="Bench")
    upload_s = time.perf_counter() - t
    t = time.perf_counter()
    progress = svc.run_matching(qid)
    match_s = time.perf_counter() - t
    print(f"questionnaire: {progress.total} questions ({progress.suggested} suggested, {progress.review} review, "
          f"{progress.unanswered} unanswered); upload {upload_s:.2f}s, matching {match_s:.2f}s")

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    t = time.perf_counter()
    at.switch_page("trustfill/app_pages/review.py").run()
    print(f"review page, first render: {time.perf_counter() - t:.3f}s")
    assert len(at.data_editor[0].value) == progress.total

    edits, decisions, moves = [], [], []
    meta = at.session_state["rev_meta"][qid]
    for n in range(args.repeat):
        pos = 100 + n
        # A cell edit in the table (saved through edit_answer with its version).
        state = dict(at.session_state[meta.key]) if meta.key in at.session_state else {}
        edited = dict(state.get("edited_rows") or {})
        edited[pos] = {"answer": f"Bench answer {n}"}
        at.session_state[meta.key] = {"edited_rows": edited, "added_rows": [], "deleted_rows": []}
        timed(at, edits)
        # Move the detail panel to that row, then approve it there.
        at.selectbox(key="rev_detail_pick").set_value(meta.ids[pos])
        timed(at, moves)
        at.button(key=f"det_approve_{meta.ids[pos]}").click()
        timed(at, decisions)
        assert svc.question(meta.ids[pos])["review_status"] == "approved"

    for name, runs in (("table edit", edits), ("detail panel move", moves), ("approve in panel", decisions)):
        print(f"{name:>18}: median {statistics.median(runs) * 1000:.0f} ms, max {max(runs) * 1000:.0f} ms "
              f"over {len(runs)} clicks")


if __name__ == "__main__":
    main()
