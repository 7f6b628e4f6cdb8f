"""What importing a library file would do, worked out before anything is written.

Every fact in the file is one of:

* ``added``: a new ID;
* ``unchanged``: the knowledge base already says exactly this (every field equal), so the import
  skips it: no write, no version bump;
* ``changed``: the file says something else, listed field by field (before = knowledge base, after = file);
* ``conflict``: the file says something else *and* the fact was edited in the knowledge base after
  the file was exported, so importing would silently undo that edit. Blocks the import unless forced.

and with ``replace`` every fact not in the file is ``removed``.

How a conflict is recognised: exports write each fact's ``version`` (the optimistic-locking counter
the store bumps on every change). A file row whose version is lower than the fact's version now was
taken from an older state of that fact. Versions, not times: they are per fact, survive a round trip
through Excel, and do not depend on the clocks of the machine that exported or the one importing.
A row without a version (a hand-made file, an export from before versions were written) cannot be
dated, so a difference there is an ordinary change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge.model import Fact

_COMPARED = [name for name in Fact.model_fields if name != "version"]


@dataclass
class FactChange:
    id: str
    fields: dict[str, tuple[Any, Any]]  # field -> (knowledge base now, file)
    kb_version: int
    file_version: int | None  # None: the file does not say which version it was taken from

    def describe(self, width: int = 60) -> str:
        def short(value: Any) -> str:
            text = " | ".join(value) if isinstance(value, list) else "" if value is None else str(value)
            return repr(text if len(text) <= width else text[:width - 1] + "…")

        return "; ".join(f"{name}: {short(before)} -> {short(after)}" for name, (before, after) in self.fields.items())


@dataclass
class ImportPreview:
    path: str
    replace: bool
    added: list[Fact] = field(default_factory=list)
    changed: list[FactChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[FactChange] = field(default_factory=list)
    removed: list[Fact] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)  # the file's facts, in file order

    @property
    def writes(self) -> bool:
        return bool(self.added or self.changed or self.conflicts or self.removed)

    def counts(self) -> str:
        return (f"{len(self.added)} added, {len(self.changed)} changed, {len(self.unchanged)} unchanged, "
                f"{len(self.conflicts)} conflict(s)" + (f", {len(self.removed)} removed" if self.replace else ""))

    def to_write(self, force: bool) -> list[Fact]:
        """The file's facts the import writes: new and changed ones, and the conflicting ones if forced."""
        ids = {f.id for f in self.added} | {c.id for c in self.changed}
        if force:
            ids |= {c.id for c in self.conflicts}
        return [f for f in self.facts if f.id in ids]


def _differences(now: Fact, incoming: Fact) -> dict[str, tuple[Any, Any]]:
    before, after = now.model_dump(mode="json"), incoming.model_dump(mode="json")
    return {name: (before[name], after[name]) for name in _COMPARED if before[name] != after[name]}


def preview(path: str, incoming: list[Fact], existing: dict[str, Fact], *, replace: bool) -> ImportPreview:
    """Compare the file's facts with the knowledge base's (``existing``, by ID); writes nothing."""
    result = ImportPreview(path=path, replace=replace, facts=incoming)
    for fact in incoming:
        now = existing.get(fact.id)
        if now is None:
            result.added.append(fact)
            continue
        differences = _differences(now, fact)
        if not differences:
            result.unchanged.append(fact.id)
            continue
        file_version = fact.version if "version" in fact.model_fields_set else None
        change = FactChange(fact.id, differences, now.version, file_version)
        if file_version is not None and file_version < now.version:
            result.conflicts.append(change)
        else:
            result.changed.append(change)
    if replace:
        in_file = {f.id for f in incoming}
        result.removed = [f for f in existing.values() if f.id not in in_file]
    return result
