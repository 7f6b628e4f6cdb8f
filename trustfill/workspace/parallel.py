"""Matching on the second core: the later share of a run's chunks is matched in a forked child while
this process matches (and saves) the first share.

Why a fork and not a pool: the child starts with the loaded matching index already in memory (the
static vectors are memory-mapped, the rest is shared copy-on-write), so there is nothing to pickle
or load on the way in; only the results come back, through a pipe. Each chunk is matched by the same
call (``fn(chunk)``) either way, so the results are the same wherever it runs.

Only where it pays and is safe: at least ``MIN_QUESTIONS`` questions in two chunks or more, a
platform with ``os.fork``, and a process with no other thread (forking a threaded process, such as
the app server, can leave a lock held forever in the child). ``TRUSTFILL_WORKERS=1`` turns it off. A
fork that fails falls back to matching everything here; a worker that fails is reported as a
``WorkerFailed`` and is always reaped (no zombie), Ctrl-C included.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from trustfill.errors import ConfigError, WorkerFailed

T = TypeVar("T")
R = TypeVar("R")

ENV = "TRUSTFILL_WORKERS"
# Below this a fork, the child's start and the results' trip through the pipe cost more than the
# second core saves (a 500-question chunk takes ~0.2 s to match; a fork and its pipe ~10 ms).
MIN_QUESTIONS = 800


def workers() -> int:
    """How many processes may match: ``TRUSTFILL_WORKERS`` (1 turns the worker off), else 2 when the
    machine has a second core."""
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            wanted = int(raw)
        except ValueError:
            raise ConfigError(f"{ENV} must be a whole number (1 turns the matching worker off), not '{raw}'.") from None
        if wanted < 1:
            raise ConfigError(f"{ENV} must be 1 or more, not {wanted}.")
        return min(wanted, 2)  # one worker beside this process: the run has only so many chunks
    return 2 if (os.cpu_count() or 1) > 1 else 1


def worth_forking(sizes: Sequence[int]) -> bool:
    """Whether chunks of these sizes are matched faster with a worker, and a fork is safe here."""
    return (
        len(sizes) >= 2
        and sum(sizes) >= MIN_QUESTIONS
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and workers() > 1
    )


@contextmanager
def in_order(fn: Callable[[T], R], items: Sequence[T], *, fork: bool) -> Iterator[Iterator[R]]:
    """``fn(item)`` for each item, in order, as an iterator to use inside the ``with``. With ``fork``, a
    forked child computes items too: each process takes the next item nobody has taken yet, so when
    the other core is busy (a shared machine) the child simply takes fewer. Leaving the ``with`` by
    any path (an error, Ctrl-C) stops and reaps the child."""
    worker = _Worker.start(fn, items) if fork and len(items) >= 2 else None
    if worker is None:
        yield (fn(item) for item in items)
        return
    try:
        yield worker.in_order()
    finally:
        worker.reap()


class _Worker:
    """A forked child and the pipes shared with it.

    ``tokens``: one byte per item index, written before the fork; whoever reads a byte computes that
    item (a one-byte read from a pipe is atomic, so no item is taken twice). ``done``: the child's
    small fixed-size messages (index, offset, length) saying where in ``spill`` (an unlinked temporary
    file) it wrote that item's pickled result; the results do not go through the pipe itself, which
    would block the child until this process read them."""

    def __init__(self, fn: Callable, items: Sequence, pid: int, tokens: int, done: int, spill: int):
        self.fn, self.items = fn, items
        self.pid, self.tokens, self.done, self.spill = pid, tokens, done, spill
        self.status: int | None = None
        self.reaped = False

    @classmethod
    def start(cls, fn: Callable[[T], R], items: Sequence[T]) -> _Worker | None:
        """None when the fork (or a pipe, or the spill file) cannot be had: the caller computes everything."""
        if len(items) > 256:
            return None  # one byte per token
        fds: list[int] = []
        try:
            spill = tempfile.TemporaryFile()  # noqa: SIM115 - its descriptor is shared with the child
            fds.append(os.dup(spill.fileno()))
            spill.close()  # unlinked already; the duplicate descriptor keeps it
            tokens_r, tokens_w = os.pipe()
            fds += [tokens_r, tokens_w]
            done_r, done_w = os.pipe()
            fds += [done_r, done_w]
            os.write(tokens_w, bytes(range(len(items))))
            os.close(tokens_w)
            fds.remove(tokens_w)
            os.set_blocking(tokens_r, False)  # an empty pipe means "nothing left", not "wait"
            pid = os.fork()
        except OSError:
            for fd in fds:
                os.close(fd)
            return None
        if pid == 0:  # the child: never returns
            os.close(done_r)
            _child(fn, items, tokens_r, done_w, fds[0])
        os.close(done_w)
        return cls(fn, items, pid, tokens_r, done_r, fds[0])

    def in_order(self) -> Iterator:
        ready: dict[int, object] = {}
        for want in range(len(self.items)):
            while want not in ready:
                mine = _take(self.tokens)
                if mine is not None:
                    ready[mine] = self.fn(self.items[mine])
                else:  # every item is taken: wait for the child's next result
                    index, result = self._next_result()
                    ready[index] = result
            yield ready.pop(want)

    def _next_result(self) -> tuple[int, object]:
        message = _read_exactly(self.done, _MESSAGE.size)
        if len(message) == _MESSAGE.size:
            index, offset, length = _MESSAGE.unpack(message)
            data = os.pread(self.spill, length, offset)
            payload = pickle.loads(data) if len(data) == length else None  # noqa: S301 - our own child wrote it
            if index == _FAILED:
                raise WorkerFailed(f"matching failed in the worker process: {payload[0]}", detail=payload[1])
            return index, payload
        self.reap()  # the pipe closed with items still owed: the child died
        raise WorkerFailed(f"the matching worker process {self._ended()} before returning its results; "
                           f"{ENV}=1 matches in one process")

    def reap(self) -> None:
        """Close what is shared and wait for the child, killing it first if it is still at work (this
        process gave up on it: an error, Ctrl-C). Safe to call twice."""
        if self.reaped:
            return
        self.reaped = True
        for fd in (self.tokens, self.done, self.spill):
            os.close(fd)
        try:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done == 0:
                os.kill(self.pid, signal.SIGKILL)
                _, status = os.waitpid(self.pid, 0)
            self.status = status
        except ChildProcessError:  # reaped by someone else (a SIGCHLD handler): nothing left to wait for
            self.status = None

    def _ended(self) -> str:
        if self.status is None:
            return "was lost"
        if os.WIFSIGNALED(self.status):
            return f"was killed by signal {os.WTERMSIG(self.status)}"
        return f"exited with status {os.waitstatus_to_exitcode(self.status)}"


_MESSAGE = struct.Struct("=qqq")  # index, offset, length: 24 bytes, written whole (under PIPE_BUF)
_FAILED = -1


def _take(tokens: int) -> int | None:
    try:
        got = os.read(tokens, 1)
    except BlockingIOError:
        return None
    return got[0] if got else None


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = os.read(fd, size - len(data))
        if not more:
            break
        data += more
    return data


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _child(fn: Callable[[T], R], items: Sequence[T], tokens: int, done: int, spill: int) -> None:
    # Ctrl-C reaches the whole process group: the parent stops and reaps this child, which must not
    # print a traceback of its own meanwhile.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Everything inherited is left to the parent: the collector neither walks it (copying shared pages)
    # nor finalises it (the parent's open database connections among it).
    gc.freeze()
    code, offset = 0, 0
    try:
        while (index := _take(tokens)) is not None:
            try:
                data = pickle.dumps(fn(items[index]), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # noqa: BLE001 - whatever it is, the parent reports it
                code, index = 1, _FAILED
                data = pickle.dumps((f"{type(exc).__name__}: {exc}", traceback.format_exc()))
            _write_all(spill, data, offset)
            os.write(done, _MESSAGE.pack(index, offset, len(data)))
            offset += len(data)
            if code:
                break
    except BaseException:  # noqa: BLE001 - the parent sees the pipe close and reports the exit status
        code = 2
    finally:
        # No atexit handlers, no flushing of the parent's buffers, no finalisers: those are the parent's.
        os._exit(code)
