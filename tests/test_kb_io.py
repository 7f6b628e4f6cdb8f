"""Knowledge-base import/export: formats, synonyms, all-or-nothing validation, round trips."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BENCH, needs_shared
from knowledge.io import read_library, write_library
from knowledge.model import Fact
from trustfill.errors import InputFileError, RowError
from trustfill.service import Service

FACTS = [
    Fact(id="enc-rest", question="Is data encrypted at rest?", answer="Yes (AES-256)",
         comment="All volumes use AES-256.", category="Encryption",
         alternate_questions=["Are disks encrypted?", "Is stored data encrypted?"], tags=["crypto", "storage"],
         owner="sec@example.com", source="https://example.com/trust", last_reviewed=dt.date(2026, 1, 5)),
    Fact(id="dr-rto", question="What is your RTO?", answer="4 hours", comment="", product="chat"),
    Fact(id="formula", question="Tricky?", answer="=HYPERLINK(\"http://evil\")", comment="+1 -2 @x"),
]


def _write_csv(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.mark.parametrize("ext", ["csv", "xlsx", "yaml", "json"])
def test_export_then_import_gives_the_same_facts(tmp_path, ext):
    path = write_library(FACTS, tmp_path / f"kb.{ext}")
    assert read_library(path) == FACTS


def test_xlsx_export_never_writes_a_formula(tmp_path):
    path = write_library(FACTS, tmp_path / "kb.xlsx")
    ws = openpyxl.load_workbook(path).active
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_xlsx_export_keeps_formula_like_text_exact_with_quote_prefix(tmp_path):
    # The text a person approved, not an apostrophe in front of it: the style flag makes it text.
    path = write_library(FACTS, tmp_path / "kb.xlsx")
    ws = openpyxl.load_workbook(path).active
    cells = {c.value: c for row in ws.iter_rows(min_row=2) for c in row if c.value}
    assert cells['=HYPERLINK("http://evil")'].quotePrefix
    assert cells["+1 -2 @x"].quotePrefix
    assert not cells["Yes (AES-256)"].quotePrefix
    assert not any(str(v).startswith("'") for v in cells)


def test_an_older_export_with_apostrophes_still_reads_as_the_text(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ID", "Question", "Answer", "Comment"])
    ws.append(["formula", "Tricky?", "'=SUM(1)", "'+1"])
    wb.save(tmp_path / "old.xlsx")
    fact = read_library(tmp_path / "old.xlsx")[0]
    assert (fact.answer, fact.comment) == ("=SUM(1)", "+1")


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda s: s.strip() == s and s.strip() and "|" not in s)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=_text, answer=_text, comment=st.one_of(st.just(""), _text),
       alternates=st.lists(_text, max_size=3, unique_by=str.lower))
@pytest.mark.parametrize("ext", ["csv", "json"])
def test_round_trip_property(tmp_path, ext, question, answer, comment, alternates):
    fact = Fact(id="f1", question=question, answer=answer, comment=comment, alternate_questions=alternates)
    path = write_library([fact], tmp_path / f"p.{ext}")
    assert read_library(path) == [fact]


def test_header_synonyms_and_derived_ids(tmp_path):
    path = _write_csv(tmp_path / "lib.csv", ["QUESTION", "Response", "Explanation", "alternates"],
                      [["Do you encrypt backups?", "Yes", "AES", "Are backups encrypted? | Backup encryption?"],
                       ["Do you encrypt backups", "No", "", ""]])
    facts = read_library(path)
    assert [f.id for f in facts] == ["do-you-encrypt-backups", "do-you-encrypt-backups-2"]
    assert facts[0].comment == "AES"
    assert facts[0].alternate_questions == ["Are backups encrypted?", "Backup encryption?"]


def test_every_bad_row_is_listed(tmp_path):
    path = _write_csv(tmp_path / "bad.csv", ["ID", "Question", "Answer"],
                      [["a", "Q1", "Yes"], ["b", "", "Yes"], ["c", "Q3", ""], ["a", "Q4", "No"], ["d", "Q5", "N/A"]])
    with pytest.raises(RowError) as err:
        read_library(path)
    assert err.value.problems == [(3, "no question"), (4, "no answer"),
                                  (5, "duplicate ID 'a' (first used in row 2)")]


def test_unknown_column_is_refused(tmp_path):
    path = _write_csv(tmp_path / "bad.csv", ["ID", "Question", "Answer", "Colour"], [["a", "Q", "Yes", "red"]])
    with pytest.raises(RowError, match="unknown column 'Colour'"):
        read_library(path)


@pytest.mark.parametrize("name,content,match", [
    ("missing.csv", None, "file not found"),
    ("lib.txt", b"x", "unsupported knowledge base format"),
    ("lib.xlsx", b"not a zip at all", "not an Excel workbook"),
    ("lib.json", b"{not json", "not valid JSON"),
])
def test_unusable_files(tmp_path, name, content, match):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=match):
        read_library(path)


def test_failed_import_leaves_the_knowledge_base_exactly_as_it_was(tf_home, tmp_path):
    svc = Service()
    svc.import_library(write_library(FACTS, tmp_path / "good.json"))
    before = svc.facts(statuses=None)
    bad = _write_csv(tmp_path / "bad.csv", ["ID", "Question", "Answer"], [["x", "Q", "Yes"], ["y", "Q2", ""]])
    for replace in (False, True):
        with pytest.raises(RowError):
            svc.import_library(bad, replace=replace)
        assert svc.facts(statuses=None) == before


def test_upsert_and_replace(tf_home, tmp_path):
    svc = Service()
    svc.import_library(write_library(FACTS, tmp_path / "kb.yaml"))
    changed = FACTS[0].model_copy(update={"answer": "Yes (AES-256-GCM)"})
    result = svc.import_library(write_library([changed], tmp_path / "one.json"))
    assert (result.added, result.updated, result.total) == (0, 1, 3)
    assert svc.fact("enc-rest").answer == "Yes (AES-256-GCM)"
    assert svc.fact("enc-rest").version == 2
    result = svc.import_library(tmp_path / "one.json", replace=True)
    assert result.total == 1 and [f.id for f in svc.facts()] == ["enc-rest"]


@needs_shared
def test_benchmark_library_imports_cleanly(tf_home):
    result = Service().import_library(BENCH / "library.csv", replace=True)
    assert result.total == 128
    assert Service().products() == ["chat", "forms", "reports"]


def test_sample_knowledge_base_loads_once(tf_home):
    svc = Service()
    assert svc.ensure_sample_loaded() is True
    n = svc.fact_count()
    assert n >= 50
    assert svc.ensure_sample_loaded() is False and svc.fact_count() == n


def test_categories_differing_only_in_case_come_in_one_order_in_every_process(tmp_path):
    # "HR" and "hr" tie on a case-insensitive sort; a set's order of ties changes with each process's string
    # hashing, and a PostgreSQL-vs-SQLite comparison of the same library failed on it. Run in several processes.
    import subprocess
    import sys

    script = (
        "import sqlalchemy as sa, sys\n"
        "from knowledge import store\n"
        "from trustfill.db import facts as t, metadata\n"
        "e = sa.create_engine('sqlite://')\n"
        "metadata.create_all(e)\n"
        "with e.begin() as c:\n"
        "    for i, cat in enumerate(['hr', 'IR', 'HR', 'crypto', 'Crypto', 'IAM']):\n"
        "        c.execute(t.insert().values(id=f'f{i}', question='q', answer='a', comment='', category=cat,\n"
        "                                    product='', alternate_questions=[], tags=[]))\n"
        "    print(store.categories(c))\n"
    )
    seen = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)}).stdout.strip()
            for seed in range(6)}
    assert seen == {"['Crypto', 'crypto', 'HR', 'hr', 'IAM', 'IR']"}, seen
