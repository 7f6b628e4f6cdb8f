"""Intake memory bombs inside the default limits (#17 item 10, #18): each file is read or refused by the
real `trustfill inspect` command in a child process whose address space is capped, with one `Error:` line
when refused. The openpyxl reader took 1.0-1.7 GB (and up to minutes) on each; peak RSS and time of every
case are printed by benchmarks/bench_intake_hostile.py.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from hostile import corpus as c

CAP_MB = 900  # address space of the child: the whole CLI fits in it with room to spare; a loaded sheet does not
REPO = Path(__file__).resolve().parent.parent

CASES = [
    (c.three_million_cells, r"^Error: cells-3m\.xlsx, sheet 'Questions': more than 2,000,000 cells, above the limit "
                            r"of 2,000,000; delete the unused rows and columns in Excel, or raise the max_cells "
                            r"setting$"),
    (c.million_empty_rows, None),
    (c.huge_shared_strings, r"^Error: sst-130mb\.xlsx: the shared string table is 1\d\d MB, above the 64 MB limit; it "
                            r"is not an ordinary questionnaire$"),
    (c.many_merges, r"^Error: merges-999k\.xlsx, sheet 'Questions': more than 200,000 merged ranges on one sheet, "
                    r"above the limit; unmerge them in Excel and save again$"),
    (c.csv_26m_cells, r"^Error: cells-26m\.csv, row \d+: more than 2,000,000 cells, above the limit of 2,000,000; "
                      r"remove unused rows and columns, or raise the max_cells setting$"),
]


def _capped() -> None:
    cap = CAP_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


@pytest.mark.slow
@pytest.mark.parametrize("build,error", CASES, ids=[b.__name__ for b, _ in CASES])
def test_intake_bomb_is_refused_or_read_in_bounded_memory(tmp_path, build, error):
    path = build(tmp_path)
    env = {**os.environ, "TRUSTFILL_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    for var in ("TRUSTFILL_DATABASE_URL", "TRUSTFILL_USER"):
        env.pop(var, None)
    done = subprocess.run([sys.executable, "-m", "trustfill", "inspect", str(path)], env=env, capture_output=True,
                          text=True, timeout=120, preexec_fn=_capped)
    if error is None:
        assert done.returncode == 0, done.stderr[-2000:]
        assert ": 4 questions on 1 sheet" in done.stdout
    else:
        assert done.returncode != 0
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr[-2000:]
        assert re.match(error, lines[0]), lines[0]
