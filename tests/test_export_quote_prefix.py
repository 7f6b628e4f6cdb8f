"""Issue 21: answers that start like a formula arrive in the customer's workbook exactly as approved.

``trustfill answer`` on a workbook whose knowledge base answers and comments start with ``=``, ``+``, ``-``
and ``@`` (a bulleted multi-line comment, a phone number, "-" for none): openpyxl and LibreOffice read
every cell back as the exact text (no formula, no apostrophe), and the cell carries ``quotePrefix``
so it stays text when someone edits it later.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from trustfill.service import Service

FACTS = [  # question, answer, comment
    ("Do you require multi-factor authentication?", "Yes",
     "- hardware keys for admins\n- TOTP for everyone else"),
    ("What is your security contact phone number?", "+1 555 0100", "+44 20 7946 0000 (out of hours)"),
    ("Which subprocessors store customer data?", "-", "- none"),
    ("How do users report a phishing email?", "@security on Slack", "@here is never used"),
    ("Where is your security policy published?", '=HYPERLINK("https://example.com/policy","policy")',
     "=1+1"),
]


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("quote-prefix")
    home = tmp / "home"
    home.mkdir()
    mp = pytest.MonkeyPatch()
    mp.setenv("TRUSTFILL_HOME", str(home))
    mp.delenv("TRUSTFILL_DATABASE_URL", raising=False)
    mp.delenv("TRUSTFILL_USER", raising=False)
    try:
        library = tmp / "library.csv"
        with library.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["ID", "Question", "Answer", "Comment"])
            w.writerows([f"fact-{i}", *fact] for i, fact in enumerate(FACTS))
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Security"
        ws.append(["Question", "Answer", "Comment"])
        for question, _a, _c in FACTS:
            ws.append([question, None, None])
        wb.save(tmp / "questionnaire.xlsx")

        svc = Service()
        svc.set_match_settings(semantic=False)
        svc.import_library(library)
        _qid, result = svc.answer_file(tmp / "questionnaire.xlsx", product=None, out=tmp / "filled.xlsx",
                                       fill="review")
        assert result.written == 2 * len(FACTS) and not result.skipped
    finally:
        from trustfill.db import dispose_all

        dispose_all()
        mp.undo()
    return tmp / "filled.xlsx"


def expected_cells() -> dict[str, str]:
    out = {}
    for row, (_q, answer, comment) in enumerate(FACTS, start=2):
        out[f"B{row}"], out[f"C{row}"] = answer, comment
    return out


def test_openpyxl_reads_the_exact_text_and_the_quote_prefix(filled):
    ws = openpyxl.load_workbook(filled)["Security"]
    for ref, text in expected_cells().items():
        cell = ws[ref]
        assert (cell.value, cell.data_type) == (text, "s"), ref
        assert cell.quotePrefix is (text[0] in "=+-@"), ref


def test_libreoffice_shows_the_exact_text_and_never_a_formula(filled, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed; apt-get install libreoffice-calc-nogui")
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    for target in ("csv:Text - txt - csv (StarCalc):44,34,76,1", "xlsx"):
        proc = subprocess.run([soffice, profile, "--headless", "--convert-to", target, "--outdir",
                               str(tmp_path / target[:4]), str(filled)], capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
    # As displayed: the text itself, not a formula's result ("policy", 2) and no apostrophe.
    with (tmp_path / "csv:" / "filled.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for ref, text in expected_cells().items():
        assert rows[int(ref[1:]) - 1][ord(ref[0]) - 65] == text, ref
    # Saved again by LibreOffice: every cell still text, none a formula.
    ws = openpyxl.load_workbook(tmp_path / "xlsx" / "filled.xlsx")["Security"]
    for ref, text in expected_cells().items():
        assert (ws[ref].value, ws[ref].data_type) == (text, "s"), ref
