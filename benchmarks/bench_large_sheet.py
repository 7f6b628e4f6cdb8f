"""Peak memory and time of `trustfill inspect` and `trustfill answer` on a 100,000-row sheet.

    .venv/bin/python benchmarks/bench_large_sheet.py [--rows 100000] [--lexical] [--limit-mb 1024]

Each command runs as its own subprocess (a fresh TRUSTFILL_HOME with the sample knowledge base);
its peak resident set size comes from wait4's rusage for that child alone. Exits 1 when a peak is
over --limit-mb (the target: under 1 GB).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO)]

from hostile.corpus import large_sheet  # noqa: E402  (the same generator as the test corpus)


def run(args: list[str], env: dict) -> tuple[int, float, float, str]:
    """(exit code, seconds, peak RSS in MB, stderr tail) of one CLI subprocess."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "trustfill", *args], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-500:]
    return proc.returncode, time.perf_counter() - start, usage.ru_maxrss / 1024, tail


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--lexical", action="store_true", help="match without the semantic model")
    ap.add_argument("--limit-mb", type=float, default=1024)
    opts = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        sheet = large_sheet(tmp, rows=opts.rows)
        print(f"generated {sheet.name}: {sheet.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f}s")
        env = dict(os.environ, TRUSTFILL_HOME=str(tmp / "home"))
        env.pop("TRUSTFILL_DATABASE_URL", None)
        code, *_ = run(["kb", "import", "--sample"], env)
        assert code == 0, "sample import failed"
        if opts.lexical:
            sys.path.insert(0, str(REPO))
            os.environ.update(TRUSTFILL_HOME=env["TRUSTFILL_HOME"])
            from trustfill.service import Service

            Service().set_match_settings(semantic=False)
        over = False
        for label, args in (("inspect", ["inspect", str(sheet)]),
                            ("answer", ["answer", str(sheet), "-o", str(tmp / "filled.xlsx"),
                                        "--report", str(tmp / "report.csv")])):
            code, seconds, peak, tail = run(args, env)
            over |= peak > opts.limit_mb
            print(f"{label:<8} rows={opts.rows:,} exit={code} time={seconds:.1f}s peak_rss={peak:.0f} MB"
                  + ("" if code == 0 else f"\n{tail}"))
            if code != 0:
                return 2
    print(f"limit {opts.limit_mb:.0f} MB: {'EXCEEDED' if over else 'ok'}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
