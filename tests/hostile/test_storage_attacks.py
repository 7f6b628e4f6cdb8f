"""Issue #17 items 8, 9 and 11: what is on disk, what the database refuses, what a kill leaves.

8. under umask 022 every file Trustfill creates under TRUSTFILL_HOME is 0600 and every folder 0700;
9. REPLACE INTO / INSERT OR REPLACE / upserts cannot rewrite an audit row;
11. a `kill -9` during restore leaves no copies of customer files that nothing removes, and the
    database is the old one or the new one, whole.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from db_fixtures import database_snapshot
from hostile.backups import REPO, cli
from trustfill import config
from trustfill.db import audit_log, dispose_all, get_engine, questionnaires
from trustfill.service import Service

SAMPLE_Q = REPO / "knowledge" / "sample" / "sample_questionnaire.xlsx"


# ---------------------------------------------------------------- 8. file modes

def _modes(home: Path) -> dict[str, str]:
    """Every path under ``home`` whose mode lets anyone but the owner in: {relative path: mode}."""
    loose = {}
    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if not path.is_symlink() and mode != want:
            loose[str(path.relative_to(home)) or "."] = oct(mode)
    return loose


def test_everything_under_the_home_is_private_whatever_the_umask(tmp_path, monkeypatch):
    home = tmp_path / "home"  # does not exist yet: Trustfill creates it
    monkeypatch.setenv("TRUSTFILL_HOME", str(home))
    monkeypatch.delenv("TRUSTFILL_DATABASE_URL", raising=False)
    monkeypatch.delenv("TRUSTFILL_USER", raising=False)
    for args in (["kb", "import", "--sample"],
                 ["questionnaires", "upload", str(SAMPLE_Q), "--customer", "Acme"],
                 ["questionnaires", "match", "1"],
                 ["questionnaires", "export", "1", "--fill", "suggested", "-o", str(tmp_path / "q1.xlsx")],
                 ["answer", str(SAMPLE_Q), "-o", str(tmp_path / "filled.xlsx")],
                 ["backup", str(tmp_path / "b.zip")]):
        done = cli(*args, umask=0o022)
        assert done.returncode == 0, (args, done.stderr[-2000:])
    # The app's download goes to the exports folder under the home (same service call as the app).
    app_export = subprocess.run([sys.executable, "-c", "from trustfill.service import Service; "
                                 "Service().export_filled(1, fill='suggested')"],
                                env=dict(os.environ, PYTHONPATH=str(REPO)), cwd=REPO, capture_output=True,
                                text=True, preexec_fn=lambda: os.umask(0o022), timeout=120)
    assert app_export.returncode == 0, app_export.stderr
    assert (home / "trustfill.db").exists() and any((home / "uploads").iterdir())
    assert any((home / "exports").iterdir()) and (home / "backup.key").exists()
    assert _modes(home) == {}


def test_a_home_left_world_readable_by_an_older_trustfill_is_tightened(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "uploads").mkdir(parents=True)
    for folder in (home, home / "uploads"):
        folder.chmod(0o755)
    (home / "trustfill.db").touch(mode=0o644)
    (home / "trustfill.db").chmod(0o644)
    monkeypatch.setenv("TRUSTFILL_HOME", str(home))
    done = cli("kb", "import", "--sample", umask=0o022)
    assert done.returncode == 0, done.stderr
    loose = _modes(home)
    assert loose == {}, loose


# ---------------------------------------------------------------- 9. append-only against REPLACE

REWRITES = [
    "REPLACE INTO audit_log (id, at, actor, action, object_type, object_id, details) "
    "VALUES (1, '2024-01-01 00:00:00', 'mallory', 'sign_in', '', '', '{}')",
    "INSERT OR REPLACE INTO audit_log (id, at, actor, action, object_type, object_id, details) "
    "VALUES (1, '2024-01-01 00:00:00', 'mallory', 'sign_in', '', '', '{}')",
    "INSERT INTO audit_log (id, at, actor, action, object_type, object_id, details) "
    "VALUES (1, '2024-01-01 00:00:00', 'mallory', 'sign_in', '', '', '{}') "
    "ON CONFLICT (id) DO UPDATE SET actor = 'mallory'",
]


@pytest.mark.parametrize("sql", REWRITES, ids=["replace-into", "insert-or-replace", "upsert"])
def test_an_audit_row_cannot_be_rewritten_by_replace(db_url, sql):
    Service().import_sample()
    before = database_snapshot()["audit_log"]
    if db_url.startswith("sqlite") or "ON CONFLICT" in sql:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), get_engine(db_url).begin() as conn:
            conn.exec_driver_sql(sql)
    if db_url.startswith("sqlite"):  # and from a plain connection with no Trustfill settings at all
        raw = sqlite3.connect(sa.engine.make_url(db_url).database)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute(sql)
        raw.close()
    assert database_snapshot()["audit_log"] == before
    with get_engine(db_url).begin() as conn:  # new rows still go in
        conn.execute(audit_log.insert().values(at=before[0][1], actor="x", action="sign_out"))


# ---------------------------------------------------------------- 11. kill -9 during restore

def _backup_with_a_large_upload(tmp_path: Path) -> Path:
    svc = Service()
    svc.import_sample()
    qid = svc.upload_questionnaire(SAMPLE_Q)
    # The stored copy is 40 MB of noise (a restore copies it byte for byte): the copy takes long
    # enough for a kill to land in the middle of it.
    svc.stored_path(qid).write_bytes(os.urandom(40 << 20))
    return svc.backup(tmp_path / "big.zip").path


def test_a_restore_killed_midway_leaves_nothing_behind(db_url, tmp_path, another_db, monkeypatch):
    archive = _backup_with_a_large_upload(tmp_path)
    key = config.home() / "backup.key"  # the target home restores what this home signed
    if key.exists():
        monkeypatch.setenv("TRUSTFILL_BACKUP_KEY", key.read_text().strip())
    monkeypatch.setenv("TRUSTFILL_HOME", str(tmp_path / "home2"))
    monkeypatch.setenv("TRUSTFILL_DATABASE_URL", another_db())
    dispose_all()
    uploads = config.uploads_dir()
    before = database_snapshot()

    proc = subprocess.Popen([sys.executable, "-m", "trustfill", "restore", str(archive)],
                            env=dict(os.environ, PYTHONPATH=str(REPO)), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.startswith(".restore-") for p in uploads.iterdir()):
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert any(p.name.startswith(".restore-") for p in uploads.iterdir()), "the kill came too late to test"
    assert database_snapshot() == before  # nothing committed

    done = cli("purge", "--older-than", "100000", "--yes")
    assert done.returncode == 0, done.stderr
    assert [p.name for p in uploads.iterdir()] == []
    done = cli("restore", str(archive))
    assert done.returncode == 0, done.stderr
    with get_engine().connect() as conn:
        (stored,) = conn.execute(sa.select(questionnaires.c.stored_file)).scalars()
    assert [p.name for p in uploads.iterdir()] == [stored]


def test_a_restore_killed_after_its_commit_is_finished_by_the_next_sweep(db_url, tmp_path):
    """Killed between the commit and the renames: the database names files still at temporary names."""
    svc = Service()
    svc.import_sample()
    qid = svc.upload_questionnaire(SAMPLE_Q)
    final = svc.stored_path(qid)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    pending = final.with_name(f".restore-{config.HOST}-{dead.pid}-{final.name}")
    stray = final.with_name(f".restore-{config.HOST}-{dead.pid}-0123abcd.xlsx")  # a file the database does not name
    os.replace(final, pending)
    stray.write_bytes(b"customer data")
    assert sorted(svc.sweep_leftovers()) == [stray.name]
    assert final.read_bytes() == SAMPLE_Q.read_bytes() and not pending.exists() and not stray.exists()
    assert svc.export_filled(qid, tmp_path / "out.xlsx", fill="review").path.exists()


def test_the_sweep_leaves_live_writers_and_other_files_alone(db_url):
    svc = Service()
    mine = config.staged_upload("upload", "0f0f0f0f.xlsx")  # this process: still at work
    mine.write_bytes(b"in flight")
    other = config.uploads_dir() / "0e0e0e0e.xlsx"  # named by no questionnaire here: maybe another database's
    other.write_bytes(b"not ours to judge")
    assert svc.sweep_leftovers() == []
    assert mine.exists() and other.exists()


# ---------------------------------------------------------------- 11. kill -9 during answer

def _big_questionnaire(path: Path, n: int = 6000) -> Path:
    import openpyxl

    topics = ["encrypt customer data at rest", "enforce multi-factor authentication", "run penetration tests",
              "keep an incident response plan", "train employees on security", "back up production data",
              "review access rights", "log administrator actions", "scan for vulnerabilities", "vet suppliers"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Question", "Answer", "Comment"])
    for i in range(n):
        ws.append([f"Q{i}: do you {topics[i % len(topics)]} for service {i // len(topics)}?", None, None])
    wb.save(path)
    return path


def test_an_answer_killed_midway_commits_nothing_and_its_upload_is_swept(db_url, tmp_path):
    Service().import_sample()
    Service().set_match_settings(semantic=False)
    big = _big_questionnaire(tmp_path / "big.xlsx")
    uploads = config.uploads_dir()
    proc = subprocess.Popen([sys.executable, "-m", "trustfill", "answer", str(big), "-o", str(tmp_path / "out.xlsx")],
                            env=dict(os.environ, PYTHONPATH=str(REPO)), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None and not any(uploads.iterdir()):
        time.sleep(0.005)
    time.sleep(0.5)  # into the matching of 6,000 questions
    assert proc.poll() is None, "the answer run ended before the kill: nothing to test"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    with get_engine().connect() as conn:
        listed = conn.execute(sa.select(questionnaires.c.id, questionnaires.c.matched_at)).all()
        runs = conn.execute(sa.select(audit_log.c.object_id).where(audit_log.c.action == "match_run")).scalars()
        matched = set(runs)
    # Whole or not at all: a questionnaire in the database has been matched, and says so in the trail.
    assert all(row.matched_at is not None and str(row.id) in matched for row in listed), listed
    assert listed == []  # killed half a second into matching: nothing was committed
    left = [p.name for p in uploads.iterdir()]
    assert len(left) == 1 and left[0].startswith(".upload-")  # the staged copy of the file

    done = cli("answer", str(SAMPLE_Q), "-o", str(tmp_path / "small.xlsx"))
    assert done.returncode == 0, done.stderr
    with get_engine().connect() as conn:
        named = set(conn.execute(sa.select(questionnaires.c.stored_file)).scalars())
    assert {p.name for p in uploads.iterdir()} == named and len(named) == 1
