"""Build answerers/data/questionnaire_df.json: how widely each matching term is used across questionnaire sections.

    .venv/bin/python scripts/build_questionnaire_df.py [SHARED_DIR]   # default: ../shared beside the repo

Reads real questionnaire text that no library was written for: the questions of HECVAT 4.14 (the
repository's JSON extraction, 35 categories) and HECVAT 3 (its Questions sheet, sections by ID
prefix), and the control text of NIST SP 800-53 rev. 5 (20 control families). A *section* (a
category, a family) is the document: a term's section frequency is the number of sections using it.
Terms are counted as the lexical answerers see them (``answerers.text.analyse``): rebuild after
changing the thesaurus or the stemmer.

Why sections, not questions: topic words ("backup", "MFA", "consultant") are frequent too, but only
inside their own section; boilerplate ("established, documented, approved, maintained", "process",
"policy", "ensure") is spread over nearly every section. Measured on these three sources: "document"
0.34 of sections, "policy" 0.53, "establish" 0.33, against "backup" 0.07, "SSO" 0.04, "consultant"
0.03. Vendors' published security statements (../shared/reference) are not used: each covers every
topic once, so spread over them says what vendors talk about, not how questions are phrased.

Only counts are shipped, never the text. The engine reads them in answerers/salience.py.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from answerers.text import analyse  # noqa: E402

OUT = REPO / "answerers" / "data" / "questionnaire_df.json"


def hecvat4(shared: Path) -> dict[str, list[str]]:
    data = json.loads((shared / "questionnaires" / "hecvat-4.14-questions-extracted.json").read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for q in data["questions"]:
        if isinstance(q.get("question"), str):
            out.setdefault(str(q.get("category")), []).append(q["question"])
    return out


def _rows(path: Path, sheet: str | None, header: str, key: str):
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path, read_only=True)
    try:
        cols = None
        for row in (wb[sheet] if sheet else wb.worksheets[0]).iter_rows(values_only=True):
            if cols is None:
                if header in row and key in row:
                    cols = row.index(key), row.index(header)
                continue
            k, value = (row[c] if c < len(row) else None for c in cols)
            if isinstance(value, str) and isinstance(k, str) and not value.startswith("="):
                yield k, value
    finally:
        wb.close()


def hecvat3(shared: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for qid, text in _rows(
        shared / "questionnaires" / "hecvat-3-filled-opendsa-2022.xlsx", "Questions", "Question", "ID"
    ):
        out.setdefault(qid.split("-")[0], []).append(text)
    return out


def nist(shared: Path) -> dict[str, list[str]]:
    # Control text only (the discussion is explanatory prose); withdrawn controls say only that.
    out: dict[str, list[str]] = {}
    path = shared / "questionnaires" / "nist-sp800-53r5-control-catalog.xlsx"
    for family, text in _rows(path, None, "Control Text", "identifier"):
        if "withdrawn" not in text[:20].lower():
            out.setdefault(family, []).append(re.sub(r"\[(?:Assignment|Selection)[^\]]*\]", " ", text))
    return out


def build(shared: Path) -> dict[str, dict]:
    """The counts, per source, as the shipped file holds them (tests compare the two)."""
    sources = {"hecvat-4.14": hecvat4(shared), "hecvat-3": hecvat3(shared), "nist-800-53r5": nist(shared)}
    out: dict[str, dict] = {}
    for name, sections in sources.items():
        sf: dict[str, int] = {}
        for texts in sections.values():
            for t in {t for text in texts for t in analyse(text)}:
                sf[t] = sf.get(t, 0) + 1
        out[name] = {
            "sections": len(sections),
            "questions": sum(map(len, sections.values())),
            "section_frequency": dict(sorted(sf.items())),
        }
    return out


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared"
    out = build(shared)
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(", ".join(f"{k}: {v['sections']} sections, {v['questions']} texts" for k, v in out.items()), "->", OUT)
    spread: dict[str, float] = {}
    for v in out.values():
        for t, n in v["section_frequency"].items():
            spread[t] = spread.get(t, 0.0) + n / v["sections"] / len(out)
    print("most spread:", ", ".join(f"{t} {s:.2f}" for t, s in sorted(spread.items(), key=lambda kv: -kv[1])[:40]))


if __name__ == "__main__":
    main()
