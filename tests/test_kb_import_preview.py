"""Knowledge-base import with a preview: added / changed (field by field) / unchanged / removed, and a
fact edited since the file was exported is a conflict, never overwritten silently. Service and CLI,
every format, against a real SQLite state home.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from db_fixtures import database_snapshot
from knowledge.io import read_library, write_library
from trustfill.errors import Conflict
from trustfill.service import Service

FORMATS = ["csv", "xlsx", "yaml", "json"]


def tf(home, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trustfill", *args], capture_output=True, text=True,
                          env={**os.environ, "TRUSTFILL_HOME": str(home)}, timeout=120)


@pytest.fixture
def sample(tf_home):
    svc = Service()
    svc.import_sample()
    return svc


def _edit(svc: Service, fact_id: str, **changes):
    fact = svc.fact(fact_id)
    return svc.save_fact(fact.model_copy(update=changes), expected_version=fact.version)


@pytest.mark.parametrize("ext", FORMATS)
def test_reimporting_an_unchanged_export_changes_nothing(sample, tmp_path, ext):
    svc = sample
    _edit(svc, "access-reviews", comment="Edited before the export: version 2.")
    path = svc.export_library(tmp_path / f"kb.{ext}")
    before = database_snapshot()
    preview = svc.preview_import(path)
    assert (len(preview.added), len(preview.changed), len(preview.conflicts), len(preview.removed)) == (0, 0, 0, 0)
    assert len(preview.unchanged) == svc.fact_count() and not preview.writes
    assert database_snapshot() == before  # a preview writes nothing, not even an audit row
    result = svc.import_library(path, replace=True)
    assert (result.added, result.updated, result.removed, result.unchanged) == (0, 0, 0, svc.fact_count())
    after = database_snapshot()
    assert after["facts"] == before["facts"]  # no version bump, no updated_at change
    [log] = svc.audit_log(action="kb_import")[-1:]
    assert log["details"]["unchanged"] == svc.fact_count() and log["details"]["updated"] == 0


@pytest.mark.parametrize("ext", FORMATS)
def test_a_fact_edited_since_the_export_is_a_conflict_not_overwritten(sample, tmp_path, ext):
    svc = sample
    path = svc.export_library(tmp_path / f"kb.{ext}")
    edited = _edit(svc, "access-reviews", answer="Yes (monthly)", comment="Changed after the export.")
    preview = svc.preview_import(path)
    [conflict] = preview.conflicts
    assert conflict.id == "access-reviews" and (conflict.kb_version, conflict.file_version) == (2, 1)
    assert set(conflict.fields) == {"answer", "comment"}
    assert conflict.fields["answer"][0] == "Yes (monthly)"  # (knowledge base now, file)
    assert preview.changed == [] and len(preview.unchanged) == svc.fact_count() - 1
    before = database_snapshot()
    with pytest.raises(Conflict, match=r"access-reviews \(now version 2, file has version 1\).*--force"):
        svc.import_library(path)
    assert database_snapshot() == before and svc.fact("access-reviews") == edited
    result = svc.import_library(path, force=True)  # the app's explicit confirm, the CLI's --force
    assert (result.updated, result.overwritten) == (1, 1)
    restored = svc.fact("access-reviews")
    assert restored.answer != "Yes (monthly)" and restored.version == 3


@pytest.mark.parametrize("ext", FORMATS)
def test_preview_lists_added_changed_field_by_field_and_removed(sample, tmp_path, ext):
    svc = sample
    facts = svc.facts(statuses=None)
    first, second, dropped = facts[0], facts[1], facts[2]
    new = first.model_copy(update={"id": "bug-bounty", "question": "Do you run a bug bounty?", "answer": "Yes",
                                   "version": 1})
    edited_in_file = first.model_copy(update={"answer": "No", "tags": ["changed"]})
    rows = [edited_in_file, second, *facts[3:], new]
    path = write_library(rows, tmp_path / f"kb.{ext}")
    preview = svc.preview_import(path, replace=True)
    assert [f.id for f in preview.added] == ["bug-bounty"]
    [change] = preview.changed
    assert change.id == first.id and change.fields == {"answer": (first.answer, "No"),
                                                       "tags": (first.tags, ["changed"])}
    assert [f.id for f in preview.removed] == [dropped.id] and preview.conflicts == []
    assert len(preview.unchanged) == len(facts) - 2
    result = svc.import_library(path, replace=True)
    assert (result.added, result.updated, result.removed) == (1, 1, 1)
    assert svc.fact(first.id).answer == "No" and svc.fact(first.id).version == first.version + 1
    assert svc.fact(second.id).version == second.version  # untouched rows keep their version
    assert dropped.id not in {f.id for f in svc.facts(statuses=None)}


def test_a_file_without_versions_changes_but_cannot_conflict(sample, tmp_path):
    svc = sample
    _edit(svc, "access-reviews", answer="Yes (monthly)")
    path = tmp_path / "hand-made.csv"
    path.write_text("ID,Question,Answer\naccess-reviews,Do you perform periodic access reviews?,Yes\n")
    assert "version" not in read_library(path)[0].model_fields_set
    preview = svc.preview_import(path)
    [change] = preview.changed
    assert preview.conflicts == [] and change.file_version is None and change.fields["answer"] == ("Yes (monthly)",
                                                                                                   "Yes")
    svc.import_library(path)
    assert svc.fact("access-reviews").answer == "Yes"


@pytest.mark.parametrize("ext", FORMATS)
def test_cli_dry_run_then_conflict_then_force(sample, tf_home, tmp_path, ext):
    path = str(tmp_path / f"kb.{ext}")
    assert tf(tf_home, "kb", "export", path).returncode == 0
    before = database_snapshot()
    dry = tf(tf_home, "kb", "import", path, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"nothing written: 0 added, 0 changed, {sample.fact_count()} unchanged, 0 conflict(s)" in dry.stdout
    assert database_snapshot() == before
    _edit(sample, "access-reviews", answer="Yes (monthly)")
    dry = tf(tf_home, "kb", "import", path, "--dry-run")
    assert "CONFLICT   access-reviews" in dry.stdout and "'Yes (monthly)' -> " in dry.stdout
    assert "1 conflict(s)" in dry.stdout
    refused = tf(tf_home, "kb", "import", path)
    assert refused.returncode != 0 and refused.stderr.startswith("Error: ") and len(refused.stderr.splitlines()) == 1
    assert "--force" in refused.stderr and sample.fact("access-reviews").answer == "Yes (monthly)"
    forced = tf(tf_home, "kb", "import", path, "--force")
    assert forced.returncode == 0 and "1 changed" in forced.stdout and "1 conflict(s) overwritten" in forced.stdout
    assert sample.fact("access-reviews").answer != "Yes (monthly)"


# ---- the app's import: the same preview before anything is written
def _kb_page():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    page = Path(__file__).resolve().parent.parent / "trustfill" / "app_pages" / "knowledge.py"
    at = AppTest.from_file(str(page), default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def test_app_import_previews_and_confirms_a_conflict(sample, tmp_path):
    svc = sample
    data = svc.export_library(tmp_path / "kb.xlsx").read_bytes()
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at = _kb_page()
    at.file_uploader(key="kb_upload_0").set_value(("kb.xlsx", data, mime)).run()
    assert not at.exception and not at.error
    assert [m.value for m in at.metric][-4:] == ["0", "0", str(svc.fact_count()), "0"]
    assert any("Nothing to import" in i.value for i in at.info) and at.button(key="kb_import").disabled

    before = database_snapshot()
    _edit(svc, "access-reviews", answer="Yes (monthly)")
    at.run()
    [warning] = at.warning
    assert "edited in the knowledge base after this file was exported" in warning.value
    conflicts = _table(at, "Version now / in file")
    assert conflicts.to_dict("records")[0] == {"Fact": "access-reviews", "Field": "answer",
                                               "Knowledge base now": "Yes (monthly)",
                                               "In the file": before_answer(before),
                                               "Version now / in file": "2 / 1"}
    assert at.button(key="kb_import").disabled  # a conflict blocks the import until confirmed
    at.checkbox(key="kb_import_force").check().run()
    assert at.button(key="kb_import").label == "Import 1 change(s)"
    at.button(key="kb_import").click().run()
    assert not at.exception and not at.error
    assert svc.fact("access-reviews").answer == before_answer(before)
    assert any("1 edited fact(s) overwritten" in s.value for s in at.success)


def _table(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def before_answer(snapshot) -> str:
    from trustfill.db import facts

    answer = [c.name for c in facts.columns].index("answer")
    return next(row[answer] for row in snapshot["facts"] if row[0] == "access-reviews")


def test_app_import_shows_changes_field_by_field(sample, tmp_path):
    svc = sample
    facts = svc.facts(statuses=None)
    rows = [facts[0].model_copy(update={"comment": "New wording of the comment."}), *facts[1:]]
    data = write_library(rows, tmp_path / "kb.csv").read_bytes()
    at = _kb_page()
    at.file_uploader(key="kb_upload_0").set_value(("kb.csv", data, "text/csv")).run()
    changed = _table(at, "In the file")
    assert changed.to_dict("records") == [{"Fact": facts[0].id, "Field": "comment",
                                           "Knowledge base now": facts[0].comment,
                                           "In the file": "New wording of the comment."}]
    at.button(key="kb_import").click().run()
    assert svc.fact(facts[0].id).comment == "New wording of the comment."
    assert svc.fact(facts[1].id).version == facts[1].version


def test_a_confirmed_overwrite_covers_only_the_conflicts_that_were_shown(sample, tmp_path):
    svc = sample
    path = svc.export_library(tmp_path / "kb.csv")
    _edit(svc, "access-reviews", answer="Yes (monthly)")
    shown = [c.id for c in svc.preview_import(path).conflicts]
    assert shown == ["access-reviews"]
    other = svc.facts()[-1].id
    _edit(svc, other, comment="Edited by someone else while the preview was open.")  # after the preview
    before = database_snapshot()
    with pytest.raises(Conflict, match=rf"after the preview you confirmed.*{other}"):
        svc.import_library(path, overwrite=shown)
    assert database_snapshot() == before
    result = svc.import_library(path, overwrite=[*shown, other])
    assert result.overwritten == 2 and svc.fact(other).comment != "Edited by someone else while the preview was open."
