"""One exception hierarchy for everything a user can get wrong.

The CLI turns a TrustfillError into ``Error: ...`` and a non-zero exit; the app shows it with
``st.error``. Anything that is not a TrustfillError is a bug and may show a traceback.
"""

from __future__ import annotations


class TrustfillError(Exception):
    """A problem the user can fix; the message says what and how."""

    exit_code = 1

    def __reduce__(self):
        # Pickled as its class, message and attributes: subclasses take other constructor arguments,
        # so the default (``cls(*args)``) could not rebuild them. A forked reader sends its error back.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type, args: tuple, state: dict) -> TrustfillError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc


class InputFileError(TrustfillError):
    """A file given to Trustfill cannot be used (missing, wrong type, unreadable, hostile)."""

    def __init__(self, path: object, problem: str, *, sheet: str | None = None, row: int | None = None):
        self.path = str(path)
        self.problem = problem
        self.sheet = sheet
        self.row = row
        where = self.path
        if sheet is not None:
            where += f", sheet '{sheet}'"
        if row is not None:
            where += f", row {row}"
        super().__init__(f"{where}: {problem}")


class LimitExceeded(InputFileError):
    """A file is larger than a configured limit (upload size, inflated size, rows, columns...)."""


class RowError(TrustfillError):
    """One or more rows of an import are invalid; nothing was imported."""

    def __init__(self, path: object, problems: list[tuple[int, str]]):
        self.path = str(path)
        self.problems = problems
        lines = [f"{self.path}: {len(problems)} bad row(s), nothing was imported:"]
        lines += [f"  row {row}: {msg}" for row, msg in problems]
        super().__init__("\n".join(lines))


class HeaderError(RowError):
    """The header row of a tabular import is unusable (a required column missing, an unknown or repeated
    one): every row is meaningless then, so the message names the header problems alone, on one line."""

    def __init__(self, path: object, problems: list[str]):
        TrustfillError.__init__(self, f"{path}: the header row {'; '.join(problems)}; nothing was imported.")
        self.path = str(path)
        self.problems = [(1, problem) for problem in problems]


class NotFound(TrustfillError):
    """Something named by the user (product, fact, questionnaire, user) does not exist."""


class PermissionDenied(TrustfillError):
    """The acting user's role does not allow the action."""

    exit_code = 3


class Conflict(TrustfillError):
    """Someone else changed the record first (optimistic locking); reload and try again."""

    exit_code = 4


class ConfigError(TrustfillError):
    """A setting or environment variable has an unusable value."""


class WorkerFailed(TrustfillError):
    """A worker process matching part of a run failed or died: the run stops there (``answer`` saves
    nothing of it). ``detail`` holds the worker's traceback, when it could send one, for a bug report."""

    def __init__(self, message: str, *, detail: str = ""):
        super().__init__(message)
        self.detail = detail
