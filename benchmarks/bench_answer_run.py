"""The whole `trustfill answer` run at benchmark size: 2,000 questions against a 5,000-fact library.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_answer_run.py

Same generated library and questions as bench_matching.py's speed part (seeded). Imports the
library into a throwaway Trustfill home with `trustfill kb import`, writes the questions into a
workbook, then times `trustfill answer QUESTIONNAIRE --product P -o FILLED --report REPORT` as a
subprocess (a fresh process: reading the workbook, the database, building the index, matching,
writing the filled copy and the report) and reports its peak memory (max RSS of the child).
The default install's engine (lexical + static vectors), as CI has it.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_matching import big_library, vary  # noqa: E402
from bench_matching_data import load_dev, load_library  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


# Runs the CLI's own entry point and records, when it exits, its peak RSS and the largest peak RSS of
# the children it waited for (a matching worker it forked: trustfill/workspace/parallel.py).
_WRAPPER = """
import resource, runpy, sys
out = sys.argv.pop(1)
try:
    runpy.run_module("trustfill.cli.main", run_name="__main__")
finally:
    with open(out, "w") as fh:
        fh.write(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} "
                 f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
"""


def trustfill(home: Path, *args: str) -> tuple[float, float]:
    """Run the CLI in a fresh process; (wall seconds, peak RSS in MB of that process plus that of its
    worker, if it forked one). The sum is an upper bound of the memory the run held at once: a forked
    worker's RSS counts the pages it shares with its parent again (see tree_pss_peak)."""
    took, own, worker = trustfill_detail(home, *args)
    return took, own + worker


def trustfill_detail(home: Path, *args: str) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MB of the process, largest peak RSS MB of a child it waited for)."""
    env = {**os.environ, "TRUSTFILL_HOME": str(home), "PYTHONPATH": str(ROOT)}
    peak_file = home.parent / "peak.txt"
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _WRAPPER, str(peak_file), *args], env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - t0
    if done.returncode:
        sys.exit(f"trustfill {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    own, worker = (int(x) / 1024 for x in peak_file.read_text().split())
    return took, own, worker


def tree_pss_peak(home: Path, *args: str, every: float = 0.005) -> float:
    """The peak, sampled every ``every`` seconds, of the summed PSS (each shared page counted once,
    split between the processes sharing it) of the CLI process and its children, in MB: the memory
    the whole run held at once. Sampling costs CPU, so it is a run of its own, not a timed one."""
    env = {**os.environ, "TRUSTFILL_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "trustfill.cli.main", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        pids = [proc.pid]
        with contextlib.suppress(OSError):
            pids += [int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        peak = max(peak, total)
        time.sleep(every)
    if proc.returncode:
        sys.exit(f"trustfill {' '.join(args)} failed")
    return peak / 1024


def main(n_facts: int = 5000, n_questions: int = 2000) -> None:
    facts, dev = load_library(), load_dev()
    rng = random.Random(1234)  # the seed bench_matching.py uses
    lib = big_library(facts, n_facts, rng)
    pool = [d.question for d in dev] + [q for f in facts for q in f.all_questions]
    questions = [vary(rng.choice(pool), rng) for _ in range(n_questions)]
    with tempfile.TemporaryDirectory(prefix="tf-bench-") as tmp:
        tmp = Path(tmp)
        library = tmp / "library.csv"
        with library.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["ID", "Question", "Answer", "Comment", "Category", "Product", "Alternate Questions"])
            for f in lib:
                w.writerow([f.id, f.question, f.answer, f.comment, f.category, f.product,
                            " | ".join(f.alternate_questions)])
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Questionnaire"
        ws.append(["Vendor security questionnaire"])
        ws.append([])
        ws.append(["#", "Question", "Response", "Comments"])
        for i, q in enumerate(questions, start=1):
            ws.append([f"Q{i}", q, None, None])
        book = tmp / "questionnaire.xlsx"
        wb.save(book)
        home = tmp / "home"
        took_import, _ = trustfill(home, "kb", "import", str(library), "--replace")
        settings = ("settings", "set", "--no-semantic")  # the default install's engine, as in CI
        trustfill(home, *settings)
        took, peak = trustfill(home, "answer", str(book), "--product", "product-7", "-o", str(tmp / "filled.xlsx"),
                               "--report", str(tmp / "report.csv"))
        with (tmp / "report.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    assert len(rows) == n_questions, len(rows)
    by = {s: sum(r["status"] == s for r in rows) for s in ("suggested", "review", "unanswered")}
    print(f"Whole `trustfill answer` run: {n_questions} questions x {n_facts} facts (fresh process, SQLite)")
    print(f"  kb import of the library   {took_import:6.2f} s (once, not part of the answer run)")
    print(f"  trustfill answer           {took:6.2f} s   wall, from start-up to the filled copy and report")
    print(f"  peak RSS of that process   {peak:6.0f} MB   (target < 500 MB)")
    print(f"  statuses                   {by}")


if __name__ == "__main__":
    main()
