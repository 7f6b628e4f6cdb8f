"""The matching engine's built index, cached on disk under ``TRUSTFILL_HOME/cache/index`` so a run on
an unchanged knowledge base does not rebuild it (1.2 s of a 5.5 s run at 5,000 facts).

The key is a digest of everything the index is built from: each fact's content, the matching
settings, every source and data file of the ``answerers`` package (so a change to the engine or its
data invalidates the cache by itself), and the Python, numpy, scipy, rapidfuzz and pydantic versions
the pickle was written by (scipy's: its kernels computed the index's products).
Shared by the CLI, the app and several app replicas on one home: an entry is written to a temporary
file and renamed into place (readers see a whole entry or none), and an entry that cannot be read is
ignored and rebuilt. The folder is the app's own state (0700, files 0600): only Trustfill writes the
pickles it loads, never anything uploaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1
KEEP = 8  # entries kept: a few knowledge bases / settings side by side; older ones are removed


@lru_cache(maxsize=4)
def answerers_fingerprint(memo_dir: Path | None = None) -> str:
    """A digest of the contents of the answerers package's files (source, thesaurus, fusion weights,
    vectors). Each file's SHA-256 is remembered in ``memo_dir`` by its size and modification time, so a
    run re-hashes only files that changed (11 MB of vectors took 40 ms to hash on every run)."""
    import answerers

    root = Path(answerers.__file__).resolve().parent
    memo_path = memo_dir / "answerers-files.json" if memo_dir is not None else None
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8")) if memo_path else {}
        memo = memo if isinstance(memo, dict) else {}
    except (OSError, ValueError):
        memo = {}
    fresh: dict[str, list] = {}
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        rel = str(path.relative_to(root))
        st = path.stat()
        known = memo.get(rel)
        if isinstance(known, list) and len(known) == 3 and known[:2] == [st.st_size, st.st_mtime_ns]:
            sha = known[2]
        else:
            file_digest = hashlib.sha256()
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    file_digest.update(chunk)
            sha = file_digest.hexdigest()
        fresh[rel] = [st.st_size, st.st_mtime_ns, sha]
        digest.update(f"{rel}\0{sha}\0".encode())
    if memo_path is not None and fresh != memo:
        _write_atomically(memo_path, json.dumps(fresh).encode())
    return digest.hexdigest()


def _library_versions() -> str:
    """The libraries whose objects the pickled index holds: another version may not read them back.
    (Already imported by the engine, so asking costs nothing.)"""
    import numpy
    import pydantic
    import rapidfuzz
    import scipy

    return ",".join(f"{m.__name__}={getattr(m, '__version__', '?')}" for m in (numpy, scipy, rapidfuzz, pydantic))


def index_key(facts: list, settings: Any, memo_dir: Path | None = None) -> str:
    digest = hashlib.sha256()
    engine = answerers_fingerprint(memo_dir)
    digest.update(f"{CACHE_FORMAT}\0{sys.version}\0{_library_versions()}\0{engine}\0".encode())
    digest.update(settings.model_dump_json(exclude={"cache_dir"}).encode())
    for f in facts:  # content, not only versions: a replacing import can reuse IDs and versions
        digest.update(f.model_dump_json().encode() + b"\1")
    return digest.hexdigest()


def cache_dir(home: Path) -> Path:
    folder = home / "cache" / "index"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def load(folder: Path, key: str, expected: type) -> Any | None:
    path = folder / f"{key}.pickle"
    try:
        with path.open("rb") as fh:
            engine = pickle.load(fh)  # noqa: S301 - written by this module into the app's own 0700 folder
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - corrupt, truncated or from another version: rebuild
        return None
    if not isinstance(engine, expected):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept by the clean-up
    return engine


def store(folder: Path, key: str, engine: Any) -> bool:
    """Write atomically; False (and nothing left behind) when the engine cannot be pickled or the disk
    refuses: the cache is an optimisation, never a reason for a run to fail."""
    try:
        data = pickle.dumps(engine, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an answerer that cannot be pickled: no disk cache for it
        return False
    if not _write_atomically(folder / f"{key}.pickle", data):
        return False
    _prune(folder)
    return True


def _write_atomically(path: Path, data: bytes) -> bool:
    """Readers (other processes, other replicas) see the old file or the new one, never half of one."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        return False
    return True


def _prune(folder: Path) -> None:
    entries = []
    for p in folder.glob("*.pickle"):
        try:
            entries.append((p.stat().st_mtime, p))
        except OSError:
            continue
    for _, p in sorted(entries, reverse=True)[KEEP:]:
        p.unlink(missing_ok=True)
