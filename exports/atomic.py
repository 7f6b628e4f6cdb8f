"""Write a file completely or not at all, and never over the questionnaire it was made from."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from trustfill.errors import InputFileError


def check_paths(src: Path, dest: Path) -> None:
    """Refuse a missing source, a destination that is the source, or a destination folder that is missing."""
    if not src.is_file():
        raise InputFileError(src, "file not found. Check the path of the questionnaire to fill.")
    same = dest.resolve() == src.resolve()
    if not same and dest.exists():
        with contextlib.suppress(OSError):
            same = os.path.samefile(src, dest)
    if same:
        raise InputFileError(dest, "is the original questionnaire; the filled copy must be written to "
                                   "another file so the original stays untouched.")
    if dest.is_dir():
        raise InputFileError(dest, "is a folder; give a file name for the filled copy.")
    if not dest.parent.is_dir():
        raise InputFileError(dest, "the destination folder does not exist. Create it or choose another.")


@contextlib.contextmanager
def atomic_output(dest: Path) -> Iterator[BinaryIO]:
    """Yield a temporary file beside ``dest``; on success it replaces ``dest`` in one step.

    Beside, not in /tmp: ``os.replace`` is only atomic within one file system. On any error the
    temporary file is removed and ``dest`` is left as it was.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
