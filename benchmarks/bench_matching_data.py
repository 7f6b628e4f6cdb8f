"""Loading the shared benchmark (library.csv as Facts, dev truth) for the matching benchmark and tests."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from knowledge.model import Fact

SHARED = Path(os.environ.get("TRUSTFILL_SHARED") or Path(__file__).resolve().parent.parent.parent / "shared")
BENCH = SHARED / "bench"


@dataclass(frozen=True)
class DevQuestion:
    file: str
    question: str
    product: str
    expected: frozenset[str]  # empty: the library does not answer it
    sheet: str = ""


def load_library(path: Path = BENCH / "library.csv") -> list[Fact]:
    facts = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            alts = [a.strip() for a in (row.get("Alternate Questions") or "").split(" | ") if a.strip()]
            facts.append(
                Fact(
                    id=row["ID"],
                    question=row["Question"],
                    answer=row["Answer"] or "-",
                    comment=row.get("Comment") or "",
                    category=row.get("Category") or "",
                    product=row.get("Product") or "",
                    alternate_questions=alts,
                )
            )
    return facts


def load_dev(path: Path = BENCH / "dev" / "truth.csv") -> list[DevQuestion]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            DevQuestion(
                r["file"],
                r["question"],
                r["product"],
                frozenset(x for x in (r["expected"] or "").split("|") if x),
                r.get("sheet") or "",
            )
            for r in csv.DictReader(fh)
        ]
