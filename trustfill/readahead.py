"""Reading the questionnaire on the second core while `trustfill answer` starts up.

A `trustfill answer` process spends its first ~0.35 s importing the database layer and the matching
engine, on one core, and only then reads the workbook (~0.15 s for 2,000 questions). Reading needs
neither, so the CLI forks before those imports: the child reads the file with the very call the
upload makes (``read_questionnaire``, the limits from the environment) and leaves the pickled result,
or the error it met, in an unlinked temporary file. The upload takes it from there only when it would
have read the same thing: same file (path, size, modification time, inode), same overrides, same
display name and the same limits (an admin's limits in the settings table make them differ: the
upload then reads the file itself). Anything else (no ``fork``, a thread already running, a child that
died, a bug) also leaves the upload to read the file itself, so the answer is the same either way.

Only the standard library (and the light ``trustfill.errors`` and ``trustfill.workspace.parallel``) is
imported here: this module loads before the heavy imports it overlaps.
``TRUSTFILL_WORKERS=1`` turns it off, like the matching worker.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

from trustfill.errors import ConfigError
from trustfill.workspace.parallel import workers


def _wanted() -> bool:
    """The matching worker's own rule (``TRUSTFILL_WORKERS``, a second core), plus a fork that is safe."""
    try:
        second_core = workers() > 1
    except ConfigError:  # a bad value: the matching worker reports it
        return False
    return second_core and hasattr(os, "fork") and threading.active_count() == 1


def _stat(path: Path) -> tuple[int, int, int, int] | None:
    """Identity of a regular file; None for anything else. A pipe or a device is read once only, so it
    is left to the parent (reading it here would leave the parent nothing to read)."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev


class ReadAhead:
    """A forked child reading one questionnaire. Use as a context manager: leaving it by any path
    kills the child if it is still reading, and reaps it."""

    def __init__(self, path: Path, overrides: Any, display_name: str | None, pid: int, spill: int,
                 identity: tuple[int, int, int, int]):
        self.path, self.overrides, self.display_name = path, overrides, display_name
        self.pid, self.spill, self.identity = pid, spill, identity
        self.reaped = False
        self.status: int | None = None

    @classmethod
    def start(cls, path: str | os.PathLike, overrides: Any = None,
              display_name: str | None = None) -> ReadAhead | None:
        """None when reading ahead is off or cannot be had; the upload then reads the file itself."""
        given = Path(path)
        path = given.resolve()
        identity = _stat(path)
        if identity is None or not _wanted():
            return None
        try:
            spill = tempfile.TemporaryFile()  # noqa: SIM115 - its descriptor is shared with the child
            fd = os.dup(spill.fileno())
            spill.close()  # unlinked already; the duplicate descriptor keeps it
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(fd)
            return None
        if pid == 0:  # the child: never returns
            _child(path, given.name, overrides, display_name, fd)
        return cls(path, overrides, display_name, pid, fd, identity)

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take(self, path: str | os.PathLike, overrides: Any, limits: Any, display_name: str | None) -> Any:
        """The child's ``Intake`` when it read ``path`` as the caller would; raises the error the read
        met (an ``InputFileError``, a ``LimitExceeded``); None: the caller reads the file itself."""
        if self.reaped:
            return None
        self._wait()
        try:
            same = (Path(path).resolve() == self.path and overrides == self.overrides
                    and _stat(self.path) == self.identity)
            if not same or self.status != 0:
                return None
            size = os.fstat(self.spill).st_size
            data = os.pread(self.spill, size, 0) if size else b""
            if len(data) != size or not data:
                return None
            kind, child_limits, child_display, payload = pickle.loads(data)  # noqa: S301 - our own child wrote it
        finally:
            self.close()
        if child_limits != limits or child_display != display_name:
            return None
        if kind == "error":
            raise payload
        return payload

    def _wait(self) -> None:
        try:
            _, status = os.waitpid(self.pid, 0)
            self.status = os.waitstatus_to_exitcode(status)
        except ChildProcessError:  # reaped by someone else (a SIGCHLD handler)
            self.status = None

    def close(self) -> None:
        """Kill the child if it is still reading, reap it, close the temporary file. Safe to call twice."""
        if self.reaped:
            return
        self.reaped = True
        os.close(self.spill)
        if self.status is None:
            try:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done == 0:
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass


def read_ahead(path: str | os.PathLike, overrides: Any = None, display_name: str | None = None) -> ReadAhead | _Nothing:
    """A context manager giving a ``ReadAhead``, or an object whose ``take`` always says "read it yourself"."""
    return ReadAhead.start(path, overrides, display_name) or _Nothing()


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _child(path: Path, name: str, overrides: Any, display_name: str | None, spill: int) -> None:
    # Ctrl-C reaches the whole process group: the parent kills and reaps this child, which must not
    # print a traceback of its own meanwhile.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()  # what was inherited is the parent's: neither walked nor finalised here
    code = 0
    try:
        from trustfill.config import Limits
        from trustfill.errors import TrustfillError
        from trustfill.intake import read_questionnaire
        from trustfill.workspace.names import safe_display_name

        limits = Limits()
        display = display_name or safe_display_name(name)  # what the upload calls a file given by path
        try:
            result: tuple = ("intake", limits, display,
                             read_questionnaire(path, overrides, limits, display_name=display))
        except TrustfillError as exc:  # the user's mistake: the parent raises it as its own
            result = ("error", limits, display, exc)
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        offset = 0
        while offset < len(view):
            offset += os.pwrite(spill, view[offset:], offset)
    except BaseException:  # noqa: BLE001 - a bug or a kill: the parent reads the file itself
        code = 1
    finally:
        # No atexit handlers, no flushing of the parent's buffers, no finalisers: those are the parent's.
        os._exit(code)
