"""Peak memory and time of each hostile intake case (#17 item 10, #18), each read in a fresh process.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_intake_hostile.py [--code DIR] [--cap-mb 2000]

Builds the cases of tests/hostile/corpus.py (INTAKE_BOMBS) into a temporary folder, then reads each
with `read_questionnaire` and the default limits in a child process, printing what happened (questions
read, or the one error line), wall time and the child's peak RSS. Targets: every case refused or read
within 5 s at under 500 MB. ``--code DIR`` runs another checkout's intake (e.g. an old commit unpacked
with `git archive`) for comparison; ``--cap-mb`` caps each child's address space so an unbounded reader
fails with MemoryError instead of taking the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile import corpus  # noqa: E402

CHILD = r"""
import json, resource, sys, time
cap = int(sys.argv[2])
if cap:
    resource.setrlimit(resource.RLIMIT_AS, (cap * 1024 * 1024, cap * 1024 * 1024))
from trustfill.intake import read_questionnaire
t0 = time.perf_counter()
try:
    result = read_questionnaire(sys.argv[1])
    outcome = f"read: {len(result.questions)} questions"
except MemoryError:
    outcome = "MemoryError"
except Exception as exc:
    outcome = f"refused: {type(exc).__name__}: {exc}"
took = time.perf_counter() - t0
print(json.dumps({"outcome": outcome, "seconds": took,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_case(path: Path, code: Path, cap_mb: int, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    t0 = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(cap_mb)], env=env, cwd=code,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"outcome": f"still running after {timeout:.0f} s (killed)", "seconds": timeout, "peak_mb": float("nan")}
    if done.returncode or not done.stdout.strip():
        return {"outcome": f"crashed (exit {done.returncode}): {done.stderr.strip()[-200:]}",
                "seconds": time.perf_counter() - t0, "peak_mb": float("nan")}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose intake is measured")
    ap.add_argument("--cap-mb", type=int, default=2000, help="address-space cap of each child (0: none)")
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'case':<22} {'file MB':>8} {'seconds':>8} {'peak MB':>8}  outcome")
        for build in corpus.INTAKE_BOMBS:
            folder = Path(tmp) / build.__name__
            folder.mkdir()
            path = build(folder)
            r = run_case(path, args.code, args.cap_mb, args.timeout)
            size = path.stat().st_size / (1024 * 1024)
            print(f"{build.__name__:<22} {size:8.1f} {r['seconds']:8.2f} {r['peak_mb']:8.0f}  {r['outcome'][:150]}",
                  flush=True)


if __name__ == "__main__":
    main()
