"""Restore: time and peak memory of a real restore, and of the hostile backups of issue #17 item 3.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_restore.py

In a throwaway home: the sample knowledge base and N copies of the sample questionnaire, uploaded
and matched, then `trustfill backup`. Each case runs `trustfill restore ... --force --yes` in a
fresh process and prints its wall time, its own peak resident memory (VmHWM from /proc: ru_maxrss
of a child would also count this parent's memory) and the first line of what it said:

* the real backup (every row restored);
* a "memory bomb": the backup with one facts row whose answer is 400 MB of "A" (about 400 KB
  zipped), correctly digested and signed, so only the streaming reader's line cap stops it;
* a million valid facts rows (a real row with new IDs, a few hundred MB unpacked, a few MB zipped),
  within the default limits and correctly signed: it is restored, and this measures the memory of
  streaming a big table (the old restore read it whole).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE_Q = REPO / "knowledge" / "sample" / "sample_questionnaire.xlsx"
COPIES = 20
MEASURED = """
import atexit, sys
def _peak():
    with open("/proc/self/status") as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    with open(sys.argv[1], "w") as out:
        out.write(str(kb // 1024))
atexit.register(_peak)
from trustfill.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trustfill", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, check=True)


def measured(env: dict, tmp: Path, *args: str) -> tuple[float, int, str]:
    peak = tmp / "peak.txt"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, str(peak), *args], env=env, cwd=REPO,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    said = (done.stdout + done.stderr).strip().splitlines()
    return elapsed, int(peak.read_text()), (said[0] if said else "")[:110]


def bomb(good: Path, dst: Path, key: bytes, *, rows: int, row_bytes: int) -> Path:
    """``good`` with its facts table replaced by ``rows`` rows whose answer is ``row_bytes`` of "A",
    written in chunks (this process never holds it), digested and signed like a real backup."""
    with zipfile.ZipFile(good) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist()}
    entry = next(n for n in entries if n.startswith("tables/facts."))
    header, first = entries[entry].split(b"\n")[:2]
    columns = json.loads(header)["columns"]
    template = json.loads(first)  # a real row: every value of the right type
    manifest = json.loads(entries["manifest.json"])
    digest, size = hashlib.sha256(), 0
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries.items():
            if name not in (entry, "manifest.json", "manifest.sig"):
                out.writestr(name, data)
        with out.open(entry, "w", force_zip64=True) as fh:
            def put(data: bytes) -> None:
                nonlocal size
                fh.write(data)
                digest.update(data)
                size += len(data)

            put(header + b"\n")
            for i in range(rows):
                row = list(template)
                row[columns.index("id")] = f"bomb-{i}"
                row[columns.index("answer")] = "@@"
                head, tail = json.dumps(row).encode().split(b"@@", 1)
                put(head)
                left = row_bytes
                while left:
                    put(b"A" * min(left, 1 << 20))
                    left -= min(left, 1 << 20)
                put(tail + b"\n")
        manifest["files"][entry] = {"sha256": digest.hexdigest(), "bytes": size}
        manifest["tables"]["facts"] = rows
        raw = json.dumps(manifest).encode()
        out.writestr("manifest.json", raw)
        out.writestr("manifest.sig", hmac.new(key, raw, hashlib.sha256).hexdigest())
    return dst


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = dict(os.environ, TRUSTFILL_HOME=str(tmp / "home"), PYTHONPATH=str(REPO))
        env.pop("TRUSTFILL_DATABASE_URL", None)
        cli(env, "kb", "import", "--sample")
        for _ in range(COPIES):
            cli(env, "answer", str(SAMPLE_Q), "-o", str(tmp / "filled.xlsx"))
        cli(env, "backup", str(tmp / "good.zip"))
        key = (tmp / "home" / "backup.key").read_text().strip().encode()
        cases = {
            f"real backup ({COPIES} questionnaires)": tmp / "good.zip",
            "one 400 MB row": bomb(tmp / "good.zip", tmp / "bomb-line.zip", key, rows=1, row_bytes=400 << 20),
            "1M valid rows": bomb(tmp / "good.zip", tmp / "bomb-rows.zip", key, rows=1_000_000, row_bytes=1),
        }
        print(f"{'case':<34} {'zip':>9} {'time':>7} {'peak':>8}  result")
        for name, path in cases.items():
            elapsed, peak, said = measured(env, tmp, "restore", str(path), "--force", "--yes")
            print(f"{name:<34} {path.stat().st_size / 1024:>7.0f}KB {elapsed:>6.1f}s {peak:>6d}MB  {said}")


if __name__ == "__main__":
    main()
