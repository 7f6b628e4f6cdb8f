"""Issue 17 item 5: formula injection through the CSV files Trustfill writes.

The attack: a fact ID ``=1+1-0`` was written raw in ``trustfill answer --report`` and evaluated in
LibreOffice; a field ``Yes;=HYPERLINK(A1)`` became a live formula when the CSV was opened with ``;`` as
separator (only the first character was checked, and fields were not quoted). Every CSV Trustfill
writes (match report, review report, knowledge-base export, audit export) is made here from a
knowledge base carrying such payloads, then opened in LibreOffice headless with ``,`` and with ``;``:
no cell may be a formula. Reading the files back must still give the exact texts.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exports import unneutralise
from hostile.corpus import questionnaire_workbook
from knowledge.io import read_library, write_library
from knowledge.model import Fact
from trustfill.service import Service

FACT_ID = "=1+1-0"
QUESTION = "Do you encrypt data at rest?"
ANSWER = "Yes;=HYPERLINK(A1)"
COMMENT = "- hardware keys, =1+2\n@SUM(1;2)|+3 | -4\t=5+5"
SEPARATORS = {"comma": 44, "semicolon": 59}


def _library(path: Path) -> Path:
    """A library file as an attacker would hand it in: payloads raw, the ID included."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ID", "Question", "Answer", "Comment"])
        w.writerow([FACT_ID, QUESTION, ANSWER, COMMENT])
    return path


@pytest.fixture
def written_csvs(db_url, tmp_path) -> dict[str, Path]:
    """Every kind of CSV Trustfill writes, each carrying the payloads."""
    svc = Service()
    svc.set_match_settings(semantic=False)
    svc.import_library(_library(tmp_path / "library.csv"))
    fact = svc.fact(FACT_ID)
    svc.save_fact(fact.model_copy(update={"owner": "=cmd|' /C calc'!A0"}), expected_version=fact.version)
    src = questionnaire_workbook(tmp_path / "q.xlsx", [QUESTION])
    out = tmp_path / "out"
    out.mkdir()
    qid, _ = svc.answer_file(src, product=None, out=out / "filled.xlsx", report=out / "match-report.csv",
                             fill="review")
    svc.export_review_report(qid, out / "review-report.csv")
    svc.export_library(out / "kb.csv")
    svc.export_audit(out / "audit.csv")
    return {p.stem: p for p in sorted(out.glob("*.csv"))}


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [v for row in csv.reader(fh) for v in row]


def _open_in_libreoffice(files: list[Path], separator: int, outdir: Path) -> list[Path]:
    """Each CSV opened with ``separator`` (44 = ',', 59 = ';'), UTF-8, and saved as .xlsx."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed; apt-get install libreoffice-calc-nogui")
    proc = subprocess.run([soffice, f"-env:UserInstallation=file://{outdir / 'profile'}", "--headless",
                           f"--infilter=CSV:{separator},34,76,1", "--convert-to", "xlsx", "--outdir",
                           str(outdir), *map(str, files)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return [outdir / f"{f.stem}.xlsx" for f in files]


def test_every_csv_trustfill_writes_carries_the_payloads_as_exact_text(written_csvs):
    assert set(written_csvs) == {"match-report", "review-report", "kb", "audit"}
    for name, path in written_csvs.items():
        cells = [unneutralise(v) for v in _cells(path)]
        assert FACT_ID in cells or any(FACT_ID in c for c in cells), name  # the audit has it inside details
        raw = path.read_bytes().decode("utf-8-sig")
        assert raw.startswith('"') and '"\r\n"' in raw, name  # every field quoted
    report = {r["fact_id"]: r for r in csv.DictReader(written_csvs["match-report"].open(newline=""))}
    row = report[f"'{FACT_ID}"]
    assert (unneutralise(row["answer"]), unneutralise(row["comment"])) == (ANSWER, COMMENT)
    assert read_library(written_csvs["kb"])[0].model_dump(exclude={"version"}) == {
        **Service().fact(FACT_ID).model_dump(exclude={"version"})}


@pytest.mark.parametrize("separator", list(SEPARATORS), ids=list(SEPARATORS))
def test_no_csv_trustfill_writes_evaluates_in_libreoffice(written_csvs, tmp_path, separator):
    files = list(written_csvs.values())
    opened = _open_in_libreoffice(files, SEPARATORS[separator], tmp_path / "lo")
    seen = 0
    for path, xlsx in zip(files, opened, strict=True):
        assert xlsx.exists(), f"LibreOffice did not open {path.name}"
        wb = openpyxl.load_workbook(xlsx)
        formulas = [(c.coordinate, c.value) for ws in wb for row in ws.iter_rows() for c in row
                    if c.data_type == "f"]
        assert formulas == [], (path.name, separator, formulas)
        seen += sum(1 for ws in wb for row in ws.iter_rows() for c in row
                    if isinstance(c.value, str) and "=" in c.value)
    assert seen >= 4  # the payloads are there, as text


# ---------------------------------------------------------------- the round trip through the kb CSV

_line = st.text(alphabet=st.sampled_from(list("=+-@;,'\" ab|\t")) | st.characters(
    blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(lambda s: s.strip() == s)
_text = st.text(alphabet=st.sampled_from(list("=+-@;,|'\"\t\r\n ab")) | st.characters(
    blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(lambda s: s.strip() == s)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fact_id=_line.filter(lambda s: not any(c in s for c in "\t\r\n")), question=_text, answer=_text,
       comment=st.one_of(st.just(""), _text), owner=st.one_of(st.just(""), _line))
@example(fact_id=FACT_ID, question=QUESTION, answer=ANSWER, comment=COMMENT, owner="''=x")
@example(fact_id="'=1", question="q;'-x", answer="Yes, '+1", comment="a\n'@b", owner="-")
def test_kb_csv_export_then_import_gives_back_the_same_facts(tmp_path, fact_id, question, answer, comment,
                                                               owner):
    fact = Fact(id=fact_id, question=question, answer=answer, comment=comment, owner=owner)
    path = write_library([fact], tmp_path / "kb.csv")
    assert read_library(path) == [fact]
