"""How long write_cells takes to put 2,000 answers (answer + comment cell each) into a 2,000-question sheet.

Two shapes: answer cells that exist but are empty (styled, as in most templates), and answer cells that
do not exist yet (every cell has to be inserted into its row). Prints the median of several runs.
With ../shared beside the repo, also one formula-like answer into each real public workbook there: the
time is then mostly copying the untouched parts (with their compressed bytes, not re-deflated).

    .venv/bin/python benchmarks/bench_export.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from exports import CellWrite, write_cells  # noqa: E402

QUESTIONS = 2_000
RUNS = 7


def make_workbook(path: Path, *, styled_answer_cells: bool) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Questionnaire"
    ws.append(["ID", "Question", "Answer", "Comment"])
    fill = PatternFill("solid", fgColor="FFF2CC")
    for i in range(1, QUESTIONS + 1):
        ws.append([f"Q-{i:04d}", f"Question {i}: do you keep control {i} in place, reviewed yearly?"])
        ws.cell(row=i + 1, column=2).alignment = Alignment(wrap_text=True)
        if styled_answer_cells:
            ws.cell(row=i + 1, column=3).fill = fill
            ws.cell(row=i + 1, column=4).font = Font(italic=True)
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"', allow_blank=True)
    dv.add(f"C2:C{QUESTIONS + 1}")
    ws.add_data_validation(dv)
    wb.save(path)


def bench(src: Path, folder: Path) -> float:
    writes = []
    for i in range(1, QUESTIONS + 1):
        writes.append(CellWrite(sheet="Questionnaire", cell=f"C{i + 1}", value=("Yes", "No", "N/A")[i % 3]))
        writes.append(CellWrite(sheet="Questionnaire", cell=f"D{i + 1}", value=f"Evidence for control {i}."))
    times = []
    for run in range(RUNS):
        dest = folder / f"out-{run}.xlsx"
        start = time.perf_counter()
        result = write_cells(src, dest, writes)
        times.append(time.perf_counter() - start)
        assert len(result.written) == 2 * QUESTIONS and not result.skipped
    return statistics.median(times)


def bench_real(folder: Path) -> None:
    shared = Path(__file__).resolve().parent.parent.parent / "shared" / "questionnaires"
    for src in sorted(shared.glob("*.xlsx")):
        from openpyxl import load_workbook

        wb = load_workbook(src, read_only=True)
        first = wb.sheetnames[0]
        wb.close()
        writes = [CellWrite(sheet=first, cell="ZZ999", value="- hardware keys for admins")]
        times = []
        for run in range(RUNS):
            start = time.perf_counter()
            write_cells(src, folder / f"real-{run}.xlsx", writes)
            times.append(time.perf_counter() - start)
        print(f"write_cells: one answer into {src.name} ({src.stat().st_size / 1e6:.1f} MB): "
              f"{statistics.median(times) * 1000:.0f} ms (median of {RUNS})")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_real(folder)
        for styled in (True, False):
            src = folder / f"q-{styled}.xlsx"
            make_workbook(src, styled_answer_cells=styled)
            shape = "existing empty answer cells" if styled else "answer cells inserted"
            seconds = bench(src, folder)
            print(f"write_cells: {QUESTIONS:,} answers + {QUESTIONS:,} comments into a {QUESTIONS:,}-question "
                  f"sheet ({shape}): {seconds * 1000:.0f} ms (median of {RUNS})")


if __name__ == "__main__":
    main()
