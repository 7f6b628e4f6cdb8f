"""Intake benchmark: detected vs true question rows on the dev workbooks, and counts on the public
questionnaires. Run: .venv/bin/python benchmarks/bench_intake.py [SHARED_DIR]"""

from __future__ import annotations

import csv
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from intake import read_questionnaire

SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared"


def dev() -> int:
    dev_dir = SHARED / "bench" / "dev"
    truth: dict[str, set[tuple[str, int]]] = defaultdict(set)
    with (dev_dir / "truth.csv").open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            truth[rec["file"]].add((rec["sheet"], int(rec["row"])))
    bad = 0
    print("Dev workbooks: detected vs truth.csv rows")
    for name in sorted(truth):
        t0 = time.perf_counter()
        intake = read_questionnaire(dev_dir / name)
        ms = (time.perf_counter() - t0) * 1000
        got = {(q.sheet, q.row) for q in intake.questions}
        missed, extra = sorted(truth[name] - got), sorted(got - truth[name])
        bad += len(missed) + len(extra)
        print(f"  {name}: truth {len(truth[name])}, detected {len(got)}, missed {len(missed)}, "
              f"extra {len(extra)}  ({ms:.0f} ms)")
        for sheet, row in missed:
            print(f"    MISSED {sheet}!{row}")
        for sheet, row in extra:
            print(f"    EXTRA  {sheet}!{row}")
    return bad


def public() -> None:
    qdir = SHARED / "questionnaires"
    print("Public questionnaires")
    for name in ("hecvat-4.14-blank.xlsx", "hecvat-3-filled-opendsa-2022.xlsx",
                 "nist-sp800-53r5-control-catalog.xlsx"):
        t0 = time.perf_counter()
        intake = read_questionnaire(qdir / name)
        s = time.perf_counter() - t0
        qs = intake.questions
        kinds = Counter(q.answer_kind for q in qs)
        per_sheet = Counter(q.sheet for q in qs)
        print(f"  {name}: {len(qs)} questions, {sum(q.prefilled for q in qs)} pre-filled, "
              f"kinds {dict(kinds)}  ({s:.1f} s)")
        print("    per sheet: " + ", ".join(f"{k} {v}" for k, v in per_sheet.items()))
        choices = Counter(tuple(q.choices) for q in qs if q.choices)
        if choices:
            print("    choices: " + "; ".join(f"{'/'.join(k)} x{v}" for k, v in choices.most_common(4)))
        for sheet in intake.layout.sheets:
            for note in sheet.notes:
                print(f"    note [{sheet.sheet}]: {note}")
        for sheet, why in intake.layout.skipped.items():
            print(f"    skipped {sheet}: {why}")


if __name__ == "__main__":
    errors = dev()
    print(f"Dev total row errors (missed + extra): {errors}")
    if (SHARED / "questionnaires").is_dir():
        public()
