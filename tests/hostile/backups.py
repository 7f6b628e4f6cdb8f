"""Builders of hostile backups, and running the real CLI in a subprocess.

A hostile backup starts as a real one (``trustfill backup``) and is edited entry by entry. By
default the edit is made *consistent* the way a careful attacker would: row counts, the
manifest's digests and (when ``key`` is given) the signature are recomputed, so what refuses the
result is the check under test, not an incidental one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def table_entry(zf: zipfile.ZipFile, table: str) -> str:
    """The entry holding ``table`` (``tables/<table>.jsonl``, or ``.json`` in older backups)."""
    return next(n for n in zf.namelist() if n.startswith(f"tables/{table}."))


def rows_of(data: bytes) -> list[bytes]:
    """The row lines of a table entry (the header line and a closing ``]}`` excluded)."""
    return [ln for ln in data.split(b"\n")[1:] if ln.strip() not in (b"", b"]}")]


def edit_backup(src: Path, dst: Path, edits: dict[str, Callable[[bytes], bytes | None]], *,
                key: bytes | None = None, manifest_edit: Callable[[dict], None] | None = None,
                keep_digests: bool = False) -> Path:
    """Copy the backup ``src`` to ``dst`` with each named entry passed through its edit (None drops
    it; an entry not in ``src`` is created from b""). Counts and digests are recomputed unless
    ``keep_digests``; the manifest is re-signed with ``key`` when given, else its old signature stays."""
    with zipfile.ZipFile(src) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist()}
    for name, edit in edits.items():
        new = edit(entries.get(name, b""))
        if new is None:
            entries.pop(name, None)
        else:
            entries[name] = new
    manifest = json.loads(entries["manifest.json"])
    if not keep_digests:
        for name, data in entries.items():
            if name.startswith("tables/"):
                table = name[len("tables/"):].rsplit(".", 1)[0]
                if table in manifest.get("tables", {}):
                    manifest["tables"][table] = len(rows_of(data))
        if "files" in manifest:
            manifest["files"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)}
                                 for n, d in entries.items() if n not in ("manifest.json", "manifest.sig")}
    if manifest_edit:
        manifest_edit(manifest)
    raw = json.dumps(manifest, indent=2).encode()
    entries["manifest.json"] = raw
    if key is not None:
        entries["manifest.sig"] = (hmac.new(key, raw, hashlib.sha256).hexdigest() + "\n").encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries.items():
            out.writestr(name, data)
    return dst


def home_key(home: Path) -> bytes:
    return (home / "backup.key").read_text().strip().encode()


def cli(*args: str, env: dict | None = None, cwd: Path | None = None, umask: int | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m trustfill ARGS`` in a subprocess with this environment (plus ``env``)."""
    full = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    return subprocess.run([sys.executable, "-m", "trustfill", *args], env=full, cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


def one_error_line(done: subprocess.CompletedProcess) -> str:
    """The run failed with exactly one ``Error: ...`` line on stderr and no traceback; returns it."""
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode not in (0, 2), (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr[-3000:]
    return lines[0]
