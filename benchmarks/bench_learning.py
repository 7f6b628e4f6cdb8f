"""What learning from approvals buys on a repeat questionnaire (the same questions, reworded), per
learning mode.

    .venv/bin/python benchmarks/bench_learning.py                       # ../shared beside the repo
    .venv/bin/python benchmarks/bench_learning.py --shared /work/shared

The story, on a real SQLite state home per mode: the knowledge base is library.csv; a second customer
("Contoso Clinics") sends the Fabrikam dev questionnaire's questions reworded, in another layout. A
reviewer works through Fabrikam itself first: approves every right match, picks the right fact where
matching was wrong. Then Contoso is matched again. Figures for Contoso, before -> after:

  answerable  share of answerable questions offered their right fact (what a learned wording is for);
  accuracy    share of all questions answered right (right fact, or nothing when none answers it);
  suggested   questions marked safe to bulk-approve, and how many of those are right;
  wrong-sugg  unanswerable questions nevertheless suggested (learning must never create these).

Modes: ``off`` (approvals teach nothing); ``propose`` with nothing accepted (the default, before a lead
looks at the queue: the knowledge base is unchanged); ``propose`` then the lead accepts every proposal;
``auto`` (applied at once). Then the hurried reviewer of #16: they also approve the matches offered for
questions the library does not answer, under ``auto`` (taught at once) and under ``propose`` with a lead
who accepts the right wordings and discards the wrong ones. The lexical answerers only (the default
install), unless --semantic.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FABRIKAM = "Fabrikam_Health_Third-Party_Security_Assessment_Northwind_Forms.xlsx"

# How another customer of the same style words the same questions.
_REWORDINGS = [
    (re.compile(r"^Does the vendor\b"), "Do you"),
    (re.compile(r"^Do you\b"), "Does the vendor"),
    (re.compile(r"^Does your organization\b"), "Does the vendor"),
    (re.compile(r"^Is your\b"), "Is the vendor's"),
    (re.compile(r"^Are your\b"), "Are the vendor's"),
    (re.compile(r"\byour organization\b"), "your company"),
]


def reword(text: str, n: int) -> str:
    for pattern, repl in _REWORDINGS:
        new = pattern.sub(repl, text, count=1)
        if new != text:
            text = new
            break
    if n % 4 == 1:
        text = text[0].lower() + text[1:]
    if n % 4 == 3:
        text = text.rstrip("?") + "?"
    if n % 2 == 0:
        text = f"{n}) {text}"
    return text


def fabrikam_truth(dev: Path) -> dict[int, list[str]]:
    """Fabrikam row -> the fact IDs that answer it (empty: nothing in the library does)."""
    with (dev / "truth.csv").open(encoding="utf-8") as fh:
        return {int(r["row"]): [e for e in r["expected"].split("|") if e]
                for r in csv.DictReader(fh) if r["file"] == FABRIKAM}


def repeat_questionnaire(dev: Path, path: Path, truth: dict[int, list[str]]) -> dict[int, list[str]]:
    """The Fabrikam questions, reworded, in another customer's layout. Returns row -> expected."""
    src = openpyxl.load_workbook(dev / FABRIKAM, read_only=True)["Security Assessment"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Vendor Review"
    ws.append(["Contoso Clinics - annual vendor review"])
    ws.append([])
    ws.append(["Question ID", "Question", "Answer (Yes/No/N/A)", "Notes"])
    expected: dict[int, list[str]] = {}
    n = 0
    for row_no, row in enumerate(src.iter_rows(values_only=True), start=1):
        if row_no in truth:
            n += 1
            ws.append([f"CC-{n:03d}", reword(str(row[1]), n), None, None])
            expected[ws.max_row] = truth[row_no]
        elif row_no > 8 and row[0] and not row[1]:
            ws.append([str(row[0]).split(". ", 1)[-1].upper()])  # section heading
    wb.save(path)
    return expected


def answerable_accuracy(rows: list[dict], expected: dict[int, list[str]]) -> float:
    """Share of answerable questions whose expected fact is offered (what learning wordings is for)."""
    rows = [r for r in rows if expected[r["row"]]]
    return sum(r["match_status"] != "unanswered" and r["fact_id"] in expected[r["row"]] for r in rows) / len(rows)


def accuracy(rows: list[dict], expected: dict[int, list[str]]) -> float:
    """Share of questions answered right: the expected fact offered, or nothing when none answers it."""
    right = 0
    for r in rows:
        want = expected[r["row"]]
        offered = r["fact_id"] if r["match_status"] != "unanswered" else None
        right += (offered in want) if want else (offered is None)
    return right / len(rows)


def figures(rows: list[dict], expected: dict[int, list[str]]) -> dict:
    suggested = [r for r in rows if r["match_status"] == "suggested"]
    return {"answerable": answerable_accuracy(rows, expected), "accuracy": accuracy(rows, expected),
            "suggested": len(suggested), "suggested_right": sum(r["fact_id"] in expected[r["row"]] for r in suggested),
            "wrong_suggested": sum(1 for r in suggested if not expected[r["row"]])}


def review_pass(svc, qid: int, truth: dict[int, list[str]], mistakes: bool = False) -> tuple[int, int]:
    """A reviewer approves every answerable question, picking the right fact where matching missed it.
    With ``mistakes`` they also approve every match offered for a question the library does not answer
    (the hurried bulk approval of #16). Returns (fixed, wrongly approved)."""
    fixed = wrong = 0
    for r in svc.questions(qid):
        want = truth[r["row"]]
        if not want:
            if mistakes and r["fact_id"] and r["match_status"] != "unanswered":
                svc.approve(r["id"])
                wrong += 1
            continue
        if r["fact_id"] not in want or r["match_status"] == "unanswered":
            svc.pick_fact(r["id"], want[0])
            fixed += 1
        svc.approve(r["id"])
    return fixed, wrong


def run(shared: Path, mode: str, decide: str, semantic: bool, mistakes: bool = False) -> dict:
    """``decide``: what the lead does with the queue: "" nothing, "all" accept all, "curate" accept the
    wordings whose fact is right for their question and discard the rest."""
    from trustfill.db import dispose_all
    from trustfill.roles import Actor
    from trustfill.service import Service

    dev = shared / "bench" / "dev"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TRUSTFILL_HOME"] = tmp
        os.environ.pop("TRUSTFILL_DATABASE_URL", None)
        try:
            svc = Service(actor=Actor("lead", "approver"))
            Service().set_match_settings(semantic=semantic)
            Service().set_learning_mode(mode)
            svc.import_library(shared / "bench" / "library.csv")
            truth = fabrikam_truth(dev)
            expected = repeat_questionnaire(dev, Path(tmp) / "Contoso_Clinics_vendor_review.xlsx", truth)
            q2 = svc.upload_questionnaire(Path(tmp) / "Contoso_Clinics_vendor_review.xlsx", product="forms")
            svc.run_matching(q2)
            before = figures(svc.questions(q2), expected)
            q1 = svc.upload_questionnaire(dev / FABRIKAM, product="forms")
            svc.run_matching(q1)
            fixed, wrong = review_pass(svc, q1, truth, mistakes)
            pending = svc.proposals(kind="alternate")
            if decide == "all" and pending:
                svc.accept_proposals([p.id for p in pending])
            elif decide == "curate" and pending:
                right = [p.id for p in pending if any(p.fact_id in truth.get(s.get("row"), []) for s in p.sources)]
                svc.accept_proposals(right) if right else None
                wrong_ids = [p.id for p in pending if p.id not in set(right)]
                svc.discard_proposals(wrong_ids) if wrong_ids else None
            started = time.perf_counter()
            svc.run_matching(q2)
            rematch = time.perf_counter() - started
            after = figures(svc.questions(q2), expected)
            learned = sum(1 for r in svc.audit_log(action="fact_edit") if r["details"].get("reason") == "learned")
            return {"before": before, "after": after, "fixed": fixed, "wrong": wrong, "questions": len(expected),
                    "answerable_n": sum(1 for w in expected.values() if w), "proposed": len(pending),
                    "learned": learned, "pending": len(svc.proposals()), "rematch_s": rematch}
        finally:
            dispose_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("TRUSTFILL_SHARED", REPO.parent / "shared")),
                        help="the shared corpus (default: ../shared beside the repo, or $TRUSTFILL_SHARED)")
    parser.add_argument("--semantic", action="store_true", help="also use the semantic answerer if installed")
    args = parser.parse_args()
    if not (args.shared / "bench" / "library.csv").is_file():
        sys.exit(f"No benchmark data under {args.shared}: give --shared DIR (the folder holding bench/).")
    print(f"Repeat questionnaire: the {FABRIKAM.split('_')[0]} dev questions reworded; library.csv; "
          f"answerers: {'lexical + semantic' if args.semantic else 'lexical (default install)'}")
    header = (f"{'mode':<26} {'taught':>7} {'pending':>8} {'answerable':>17} {'accuracy':>17} "
              f"{'suggested (right)':>21} {'wrong-sugg':>11}")
    print(header)
    print("-" * len(header))
    scenarios = [("off", "off", "", False), ("propose (none accepted)", "propose", "", False),
                 ("propose + accept all", "propose", "all", False), ("auto", "auto", "", False),
                 ("5 mistakes, auto", "auto", "", True), ("5 mistakes, propose+curate", "propose", "curate", True)]
    for label, mode, decide, mistakes in scenarios:
        r = run(args.shared, mode, decide, args.semantic, mistakes)
        label = label.replace("5 mistakes", f"{r['wrong']} mistakes")
        b, a = r["before"], r["after"]
        print(f"{label:<26} {r['learned']:>7} {r['pending']:>8} "
              f"{b['answerable']:>7.1%} -> {a['answerable']:>6.1%} {b['accuracy']:>7.1%} -> {a['accuracy']:>6.1%} "
              f"{b['suggested']:>4} ({b['suggested_right']:>2}) -> {a['suggested']:>3} ({a['suggested_right']:>2}) "
              f"{b['wrong_suggested']:>4} -> {a['wrong_suggested']:<3}")
    print(f"({r['questions']} questions, {r['answerable_n']} answerable; the reviewer fixed {r['fixed']} "
          f"Fabrikam matches and approved every answerable one; 'mistakes': they also approved the "
          f"{r['wrong']} matches offered for questions the library does not answer, and under propose the lead "
          f"accepted the right wordings and discarded those (curate); taught = wordings written "
          f"into facts, pending = proposals left waiting; re-matching took {r['rematch_s']:.2f} s)")


if __name__ == "__main__":
    main()
