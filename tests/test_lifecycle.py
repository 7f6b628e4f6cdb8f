"""Data lifecycle on SQLite and PostgreSQL: delete, retention purge, backup/restore, limits as settings."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from db_fixtures import database_snapshot, table_counts
from trustfill import config
from trustfill.cli.main import main as cli_main
from trustfill.config import Limits
from trustfill.db import get_engine, questionnaires, questions, utcnow
from trustfill.errors import ConfigError, InputFileError, LimitExceeded, PermissionDenied, TrustfillError
from trustfill.roles import Actor
from trustfill.service import Service

REPO = Path(__file__).resolve().parent.parent
SAMPLE_Q = REPO / "knowledge" / "sample" / "sample_questionnaire.xlsx"
EDITOR = Actor("erin", "editor")


def _seed(svc: Service, copies: int = 1) -> list[int]:
    """Sample facts, `copies` uploaded and matched questionnaires, one edit, one approval, one export."""
    if not svc.fact_count():
        svc.import_sample()
        svc.set_match_settings(semantic=False)  # lexical matching is enough here, and fast
    qids = []
    for _ in range(copies):
        qid = svc.upload_questionnaire(SAMPLE_Q, customer="Acme")
        svc.run_matching(qid)
        first = next(r for r in svc.questions(qid) if r["answer"])
        edited = svc.edit_answer(first["id"], answer="Yes, audited yearly", comment="See report",
                                 expected_version=first["version"])
        svc.approve(first["id"], expected_version=edited["version"])
        svc.export_filled(qid)  # default destination: the exports folder
        qids.append(qid)
    return qids


def _audit(svc: Service, action: str) -> list[dict]:
    return svc.audit_log(action=action)


def _age(url: str, qid: int, days: int) -> None:
    """Pretend questionnaire `qid` was last touched `days` ago."""
    then = utcnow() - dt.timedelta(days=days)
    with get_engine(url).begin() as conn:
        conn.execute(questionnaires.update().where(questionnaires.c.id == qid).values(created_at=then,
                                                                                      matched_at=then))
        conn.execute(questions.update().where(questions.c.questionnaire_id == qid).values(updated_at=then))


# ---------------------------------------------------------------- delete

def test_delete_removes_everything_derived_and_audits_without_content(db_url):
    svc = Service()
    keep, doomed = _seed(svc, copies=2)
    stored = svc.stored_path(doomed)
    exported = list(config.exports_dir().glob(f"q{doomed}-*"))
    assert stored.exists() and exported
    before = table_counts()

    svc.delete_questionnaire(doomed)

    after = table_counts()
    assert after["questionnaires"] == before["questionnaires"] - 1
    assert after["questions"] == before["questions"] - 34
    assert after["facts"] == before["facts"] and after["settings"] == before["settings"]
    assert not stored.exists() and not any(p.exists() for p in exported)
    assert svc.stored_path(keep).exists() and list(config.exports_dir().glob(f"q{keep}-*"))
    with pytest.raises(TrustfillError, match=f"No questionnaire with ID {doomed}"):
        svc.questionnaire(doomed)
    (row,) = _audit(svc, "questionnaire_delete")
    assert row["actor"] == "local" and row["object_id"] == str(doomed)
    assert abs((utcnow() - row["at"]).total_seconds()) < 60
    # who and when, never what: no file name, customer, question or answer in the row
    text = json.dumps(row["details"])
    for content in ("sample_questionnaire", "Acme", "SOC 2", "audited yearly"):
        assert content not in text


def test_delete_needs_admin_and_changes_nothing_otherwise(db_url):
    (qid,) = _seed(Service())
    before = database_snapshot()
    with pytest.raises(PermissionDenied, match="may not delete questionnaires"):
        Service(EDITOR).delete_questionnaire(qid)
    assert database_snapshot() == before
    assert Service().stored_path(qid).exists()


# ---------------------------------------------------------------- retention purge

def test_purge_deletes_only_questionnaires_idle_longer_than_the_period(db_url):
    svc = Service()
    old, recent = _seed(svc, copies=2)
    _age(db_url, old, 100)
    old_file = svc.stored_path(old)

    dry = svc.purge(older_than_days=30, dry_run=True)
    assert [q["id"] for q in dry.questionnaires] == [old]
    assert old_file.exists() and table_counts()["questionnaires"] == 2

    done = svc.purge(older_than_days=30)
    assert [q["id"] for q in done.questionnaires] == [old]
    assert [q["id"] for q in svc.list_questionnaires()] == [recent]
    assert not old_file.exists() and not list(config.exports_dir().glob(f"q{old}-*"))
    (summary,) = _audit(svc, "purge")
    assert summary["details"]["questionnaires"] == [old] and summary["details"]["days"] == 30
    deleted = _audit(svc, "questionnaire_delete")
    assert [r["object_id"] for r in deleted] == [str(old)] and deleted[0]["details"] == {"via": "purge"}


def test_purge_drops_uploads_the_app_staged_and_abandoned(db_url):
    import os
    import time

    incoming = config.home() / "incoming"
    incoming.mkdir()
    old, fresh = incoming / "abc.xlsx", incoming / "def.csv"
    old.write_bytes(b"customer data")
    fresh.write_bytes(b"being looked at")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    assert Service().purge(older_than_days=30, dry_run=True).abandoned_uploads == ["abc.xlsx"]
    assert old.exists()
    assert Service().purge(older_than_days=30).abandoned_uploads == ["abc.xlsx"]
    assert not old.exists() and fresh.exists()


def test_review_activity_keeps_an_old_questionnaire(db_url):
    svc = Service()
    (qid,) = _seed(svc)
    _age(db_url, qid, 100)
    row = svc.questions(qid)[3]
    svc.edit_answer(row["id"], answer="Fresh", comment="", expected_version=row["version"])
    assert svc.purge(older_than_days=30).questionnaires == []
    assert table_counts()["questionnaires"] == 1


def test_purge_uses_the_retention_setting(db_url):
    svc = Service()
    with pytest.raises(ConfigError, match="No retention period is set"):
        svc.purge()
    (qid,) = _seed(svc)
    _age(db_url, qid, 10)
    svc.set_retention_days(30)
    assert Service().retention_days() == 30  # a setting in the database, not in this object
    assert svc.purge().questionnaires == []
    svc.set_retention_days(7)
    assert [q["id"] for q in svc.purge().questionnaires] == [qid]
    with pytest.raises(ConfigError, match="at least 1 day"):
        svc.set_retention_days(0)
    with pytest.raises(PermissionDenied):
        Service(EDITOR).set_retention_days(5)
    with pytest.raises(PermissionDenied):
        Service(EDITOR).purge(older_than_days=1)


def test_purge_through_the_cli(db_url, capsys):
    svc = Service()
    old, _recent = _seed(svc, copies=2)
    _age(db_url, old, 50)
    assert cli_main(["retention", "40"]) == 0
    assert cli_main(["purge", "--dry-run"]) == 0
    assert "Would purge 1 questionnaire(s)" in capsys.readouterr().out
    assert table_counts()["questionnaires"] == 2
    assert cli_main(["purge", "--yes"]) == 0
    assert "Purged 1 questionnaire(s)" in capsys.readouterr().out
    assert [q["id"] for q in svc.list_questionnaires()] == [_recent]
    assert cli_main(["retention", "off"]) == 0
    assert cli_main(["purge"]) == 1
    assert "No retention period is set" in capsys.readouterr().err


# ---------------------------------------------------------------- backup / restore

def _without_restore_row(snapshot: dict) -> dict:
    snapshot = dict(snapshot)
    snapshot["audit_log"] = [r for r in snapshot["audit_log"] if r[3] != "restore"]
    return snapshot


def test_backup_restore_round_trips_every_table_and_file(db_url, another_db, tmp_path, monkeypatch):
    svc = Service()
    qids = _seed(svc, copies=2)
    svc.set_retention_days(90)
    svc.set_limits(max_rows=5000)
    svc.delete_questionnaire(qids[0])
    files = {p.name: p.read_bytes() for p in config.uploads_dir().iterdir()}
    archive = tmp_path / "team.zip"

    result = svc.backup(archive)
    source = database_snapshot()
    assert result.tables["facts"] == 71 and result.tables["questionnaires"] == 1 and result.files == 1
    assert _audit(svc, "backup")[0]["details"]["file"] == "team.zip"

    target = another_db()
    # Another home: its own backup key, unless given the one that signed the backup.
    monkeypatch.setenv("TRUSTFILL_BACKUP_KEY", (config.home() / "backup.key").read_text().strip())
    monkeypatch.setenv("TRUSTFILL_HOME", str(tmp_path / "home2"))
    restored = Service(database_url=target).restore(archive)
    assert restored.tables == result.tables
    assert _without_restore_row(database_snapshot(target)) == source
    assert {p.name: p.read_bytes() for p in config.uploads_dir().iterdir()} == files
    (row,) = Service(database_url=target).audit_log(action="restore")
    assert row["details"]["file"] == "team.zip"

    # The restored workspace works: export, and new rows get new IDs (sequences moved past restored IDs).
    again = Service(database_url=target)
    assert again.export_filled(qids[1], tmp_path / "out.xlsx").written >= 1
    new = again.upload_questionnaire(SAMPLE_Q)
    assert new > qids[1]
    assert again.retention_days() == 90 and again.limits.max_rows == 5000


def test_restore_refuses_a_database_that_is_not_empty(db_url, tmp_path):
    svc = Service()
    _seed(svc)
    archive = svc.backup(tmp_path / "b.zip").path
    before = database_snapshot()
    uploads = sorted(p.name for p in config.uploads_dir().iterdir())
    with pytest.raises(TrustfillError, match=r"not empty \(71 facts, 1 questionnaires.*--force"):
        svc.restore(archive)
    assert database_snapshot() == before
    assert sorted(p.name for p in config.uploads_dir().iterdir()) == uploads


def test_forced_restore_replaces_data_and_keeps_the_audit_trail(db_url, tmp_path):
    svc = Service()
    (first,) = _seed(svc)
    archive = svc.backup(tmp_path / "b.zip").path
    backed_up = database_snapshot()
    (second,) = _seed(svc)  # work done after the backup: gone after the restore
    second_file = svc.stored_path(second)
    audit_before = database_snapshot()["audit_log"]

    svc.restore(archive, force=True)

    after = database_snapshot()
    for table in ("facts", "questionnaires", "questions", "settings", "users"):
        assert after[table] == backed_up[table], table
    assert not second_file.exists() and svc.stored_path(first).exists()
    # append-only: every audit row from before is still there, and the restore is recorded
    assert after["audit_log"][:len(audit_before)] == audit_before
    (row,) = svc.audit_log(action="restore")
    assert row["details"]["replaced"]["questionnaires"] == 2


@pytest.mark.parametrize("entry, data, expected", [
    ("manifest.json", b"{not json", "manifest.json is unreadable"),
    ("uploads/../../escape.txt", b"x", "unsafe file name 'uploads/../../escape.txt'"),
    ("tables/../evil.json", b"{}", "unexpected entry"),
    ("tables/ghost.jsonl", b'{"table": "ghost", "columns": []}', "unknown table 'ghost'"),
])
def test_hostile_backups_are_refused_without_a_trace(db_url, tmp_path, entry, data, expected):
    svc = Service()
    _seed(svc)
    good = svc.backup(tmp_path / "good.zip").path
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            if info.filename != entry:
                dst.writestr(info, src.read(info))
        dst.writestr(entry, data)
    # restore into an empty home + database, so only the hostile entry can be the reason
    shutil.rmtree(config.uploads_dir())
    svc.delete_questionnaire(svc.list_questionnaires()[0]["id"])
    before = database_snapshot()
    with pytest.raises(InputFileError, match=expected):
        svc.restore(bad, force=True)
    assert database_snapshot() == before
    assert list(config.uploads_dir().iterdir()) == []
    assert not (tmp_path.parent / "escape.txt").exists()


def test_restore_of_a_non_backup_is_a_clear_error(db_url, tmp_path):
    not_zip = tmp_path / "b.zip"
    not_zip.write_text("hello")
    with pytest.raises(InputFileError, match="not a Trustfill backup"):
        Service().restore(not_zip)
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(InputFileError, match="no manifest.json"):
        Service().restore(plain)


def test_backup_and_restore_through_the_cli(db_url, another_db, tmp_path, monkeypatch, capsys):
    _seed(Service())
    archive = tmp_path / "trustfill.cli.zip"
    assert cli_main(["backup", str(archive)]) == 0
    assert "71 facts" in capsys.readouterr().out
    assert cli_main(["restore", str(archive)]) == 1
    assert "--force" in capsys.readouterr().err
    monkeypatch.setenv("TRUSTFILL_DATABASE_URL", another_db())
    monkeypatch.setenv("TRUSTFILL_HOME", str(tmp_path / "home2"))
    assert cli_main(["restore", str(archive)]) == 1  # another home has another backup key
    assert "signed with another backup key" in capsys.readouterr().err
    assert cli_main(["restore", str(archive), "--trust-unsigned"]) == 0
    assert "Restored" in capsys.readouterr().out
    assert len(Service().list_questionnaires()) == 1
    with pytest.raises(PermissionDenied):
        Service(EDITOR).backup(tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


def test_a_failed_backup_leaves_no_file(db_url, tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        Service().backup(tmp_path / "missing" / "b.zip")
    assert not list(tmp_path.glob("**/.tf-backup-*"))


# ---------------------------------------------------------------- limits as settings

def test_limits_are_settings_with_environment_winning(db_url, monkeypatch, tmp_path):
    svc = Service()
    assert svc.limits == Limits()
    svc.set_limits(max_upload_bytes=1000, max_rows=10)
    fresh = Service()
    assert fresh.limits.max_upload_bytes == 1000 and fresh.limits.max_rows == 10
    big = tmp_path / "big.csv"
    big.write_text("Question,Answer\n" + "Do you encrypt data at rest?,\n" * 100)
    before = table_counts()
    with pytest.raises(LimitExceeded, match="upload limit"):
        fresh.upload_questionnaire(big)
    assert table_counts() == before

    monkeypatch.setenv("TRUSTFILL_MAX_UPLOAD_BYTES", "5000000")
    assert Service().limits.max_upload_bytes == 5_000_000  # environment beats the settings table
    assert Service(limits=Limits(max_rows=3)).limits.max_rows == 3  # explicit beats both
    monkeypatch.setenv("TRUSTFILL_MAX_ROWS", "lots")
    with pytest.raises(ConfigError, match="TRUSTFILL_MAX_ROWS='lots' is not a usable limit"):
        Service()
    monkeypatch.delenv("TRUSTFILL_MAX_ROWS")

    with pytest.raises(ConfigError, match="Unusable limit setting"):
        svc.set_limits(max_rows=-5)
    with pytest.raises(ConfigError, match="Unknown limit max_pages"):
        svc.set_limits(max_pages=5)
    with pytest.raises(PermissionDenied):
        Service(EDITOR).set_limits(max_rows=5)
    svc.set_limits(max_rows=None)
    assert Service().limits.max_rows == Limits().max_rows
    changes = svc.audit_log(action="settings_change")
    assert [c["object_id"] for c in changes] == ["limits", "limits"]


def test_limits_through_the_cli(db_url, capsys):
    assert cli_main(["limits", "set", "max_sheets", "12"]) == 0
    assert cli_main(["limits", "show"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("max_sheets") and "12" in line and "(settings)" in line
               for line in out.splitlines())
    assert cli_main(["limits", "set", "max_rows", "0"]) == 1
    assert "Unusable limit setting" in capsys.readouterr().err
    assert cli_main(["limits", "reset", "max_sheets"]) == 0
    assert Service().limits.max_sheets == Limits().max_sheets


def test_every_table_is_in_the_backup(db_url, tmp_path):
    """A table added by a later migration must not be silently left out of backups."""
    archive = Service().backup(tmp_path / "b.zip").path
    with zipfile.ZipFile(archive) as zf:
        in_backup = {n[len("tables/"):-len(".jsonl")] for n in zf.namelist() if n.startswith("tables/")}
    with get_engine(db_url).connect() as conn:
        # not data: the schema's version, and the throttling of sign-ins in progress
        in_db = set(sa.inspect(conn).get_table_names()) - {"schema_version", "sign_in_throttle"}
    assert in_backup == in_db
