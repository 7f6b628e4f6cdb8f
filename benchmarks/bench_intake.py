"""Intake benchmark: detected vs true question rows on the dev workbooks, and counts on the public
questionnaires; with --big, time and memory on a 100,000-row sheet.
Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_intake.py [SHARED_DIR] [--big]"""

from __future__ import annotations

import csv
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from trustfill.intake import read_questionnaire

_ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
SHARED = Path(_ARGS[0]) if _ARGS else Path(__file__).resolve().parents[2] / "shared"


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


def big(rows: int = 100_000) -> None:
    """A 100,000-row questionnaire: time and peak memory (max RSS of this process)."""
    import resource
    import tempfile

    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.xlsx"
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Questions")
        dv = DataValidation(type="list", formula1='"Yes,No,N/A"')
        dv.add(f"C2:C{rows + 1}")
        ws.data_validations.append(dv)
        ws.append(["ID", "Question", "Response", "Comments"])
        for i in range(1, rows + 1):
            ws.append([f"Q-{i:06d}", f"Do you enforce control number {i} across all production systems?"])
        wb.save(path)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        intake = read_questionnaire(path)
        s = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Big sheet: {rows} rows -> {len(intake.questions)} questions in {s:.1f} s; "
          f"max RSS {before:.0f} MB before, {after:.0f} MB after")


if __name__ == "__main__":
    errors = dev()
    print(f"Dev total row errors (missed + extra): {errors}")
    if (SHARED / "questionnaires").is_dir():
        public()
    if "--big" in sys.argv:
        big()
