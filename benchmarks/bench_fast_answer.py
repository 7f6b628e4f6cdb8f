"""#18 in one run, as ratios measured side by side (a shared 2-core machine drifts from minute to minute,
so every figure is the median of interleaved rounds):

1. HECVAT 4.14: the whole `trustfill answer` (fresh process: start-up, intake, database, matching, the
   filled copy and the report) against a bare `openpyxl.load_workbook` of the same file in a fresh
   process. Target: answer <= load_workbook.
2. 2,000 questions x 5,000 facts: the whole `trustfill answer` run (first run: index built and cached;
   second run: cached index), peak RSS, against the naive rapidfuzz `extractOne` loop timed on a sample
   of the same questions and scaled. Target: >= 12x, peak RSS < 300 MB.
3. The app's "Add and run matching" path (Service.upload_and_match) on HECVAT 4.14, with the time the
   first stage was heard: what a reviewer waits for before the Review page can show the questions.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_fast_answer.py [--rounds 3] [--skip-big]

Needs ../shared (HECVAT 4.14 and bench/library.csv).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_answer_run import tree_pss_peak, trustfill, trustfill_detail  # noqa: E402
from bench_matching import big_library, extract_one, vary  # noqa: E402
from bench_matching_data import SHARED, load_dev, load_library  # noqa: E402

HECVAT = SHARED / "questionnaires" / "hecvat-4.14-blank.xlsx"
LOAD = "import sys, warnings\nwarnings.simplefilter('ignore')\nimport openpyxl\nopenpyxl.load_workbook(sys.argv[1])"


def bare_load(path: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", LOAD, str(path)], check=True)
    return time.perf_counter() - t0


def med(xs: list[float]) -> str:
    return f"{statistics.median(xs):6.2f}  (range {min(xs):.2f}-{max(xs):.2f})"


def hecvat(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="tf-bench-") as tmp:
        tmp = Path(tmp)
        home = tmp / "home"
        trustfill(home, "kb", "import", "--sample")
        out = ("-o", str(tmp / "filled.xlsx"), "--report", str(tmp / "report.csv"))
        trustfill(home, "answer", str(HECVAT), *out)  # warm-up: the sample's index is built and cached once
        answers, loads, peaks = [], [], []
        for _ in range(rounds):
            took, peak = trustfill(home, "answer", str(HECVAT), *out)
            answers.append(took)
            peaks.append(peak)
            loads.append(bare_load(HECVAT))
        with (tmp / "report.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    ratios = [a / b for a, b in zip(answers, loads, strict=True)]
    print(f"HECVAT 4.14 ({len(rows)} questions), median of {rounds} interleaved rounds, fresh processes:")
    print(f"  trustfill answer (whole run)     {med(answers)} s   peak RSS {max(peaks):.0f} MB")
    print(f"  bare openpyxl.load_workbook      {med(loads)} s")
    print(f"  answer / load_workbook           {med(ratios)}   (target <= 1.00)")


def big(rounds: int, n_facts: int = 5000, n_questions: int = 2000, sample: int = 200) -> None:
    import openpyxl

    facts, dev = load_library(), load_dev()
    rng = random.Random(1234)  # bench_matching.py's seed: the same library and questions
    lib = big_library(facts, n_facts, rng)
    pool = [d.question for d in dev] + [q for f in facts for q in f.all_questions]
    questions = [vary(rng.choice(pool), rng) for _ in range(n_questions)]
    scope = [f for f in lib if f.applies_to("product-7")]
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
        ws.append(["#", "Question", "Response", "Comments"])
        for i, q in enumerate(questions, start=1):
            ws.append([f"Q{i}", q, None, None])
        book = tmp / "questionnaire.xlsx"
        wb.save(book)
        home = tmp / "home"
        trustfill(home, "kb", "import", str(library), "--replace")
        trustfill(home, "settings", "set", "--no-semantic")  # the default install's engine, as in CI
        args = ("answer", str(book), "--product", "product-7", "-o", str(tmp / "filled.xlsx"))
        first, first_peak, first_worker = trustfill_detail(home, *args)  # builds and caches the index
        warm, peaks, workers, naive = [], [], [], []
        for _ in range(rounds):
            took, peak, worker = trustfill_detail(home, *args)
            warm.append(took)
            peaks.append(peak)
            workers.append(worker)
            t0 = time.perf_counter()
            extract_one(questions[:sample], scope)
            naive.append((time.perf_counter() - t0) * n_questions / sample)
        cached = len(list((home / "cache" / "index").glob("*.pickle")))
        pss = tree_pss_peak(home, *args)  # a run of its own: sampling memory costs CPU
    ratios = [n / w for n, w in zip(naive, warm, strict=True)]
    print(f"\n{n_questions} questions x {n_facts} facts ({len(scope)} in scope), whole `trustfill answer` run:")
    print(f"  first run (index built, cached)  {first:6.2f} s   peak RSS {first_peak:.0f} MB, its matching worker "
          f"{first_worker:.0f} MB")
    print(f"  next runs (cached index)         {med(warm)} s   peak RSS {max(peaks):.0f} MB, its matching worker "
          f"{max(workers):.0f} MB")
    print(f"  memory of the whole run          {pss:6.0f} MB peak PSS of the process tree, sampled (target < 300); "
          f"upper bound {max(map(sum, zip(peaks, workers, strict=True))):.0f} MB (both RSS: shared pages twice)")
    print(f"  naive extractOne loop            {med(naive)} s   (timed on {sample} questions, scaled)")
    print(f"  speed-up vs extractOne           {med(ratios)} x (target >= 12); index entries on disk: {cached}")


def app_path(rounds: int) -> None:
    os.environ["TRUSTFILL_HOME"] = tempfile.mkdtemp(prefix="tf-bench-app-")
    os.environ.pop("TRUSTFILL_DATABASE_URL", None)
    from trustfill.service import Service

    svc = Service()
    svc.import_sample()
    totals, firsts = [], []
    for _ in range(rounds + 1):
        heard: list[float] = []
        t0 = time.perf_counter()
        def hear(stage: str, share: float, t0=t0, heard=heard) -> None:
            heard.append(time.perf_counter() - t0)

        svc.upload_and_match(HECVAT, progress=hear)
        totals.append(time.perf_counter() - t0)
        firsts.append(heard[0])
    totals, firsts = totals[1:], firsts[1:]  # the first round builds the sample's index
    print(f"\nApp path (Service.upload_and_match, what 'Add and run matching' calls) on HECVAT 4.14, {rounds} rounds:")
    print(f"  reviewable after                 {med(totals)} s (target < 2 s)")
    print(f"  first progress heard after       {med(firsts)} s (target < 0.5 s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-big", action="store_true")
    args = ap.parse_args()
    hecvat(args.rounds)
    if not args.skip_big:
        big(args.rounds)
    app_path(args.rounds)


if __name__ == "__main__":
    main()
