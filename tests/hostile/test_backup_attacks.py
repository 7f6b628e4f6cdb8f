"""Issue #17 items 1-4: what an attacker tried against backup, restore and stored paths.

1. a stored path outside uploads/ (from a backup or a tampered database) is never opened or deleted;
2. a hand-edited backup is refused (digests, signature), and a restore's audit row names the backup;
3. a small backup that inflates to a huge table is refused at the line cap, in bounded memory;
4. a corrupt or malformed backup is one `Error:` line through the CLI, the database untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from db_fixtures import database_snapshot
from hostile.backups import REPO, cli, edit_backup, home_key, one_error_line, rows_of, table_entry
from trustfill import config
from trustfill.db import audit_log, get_engine, questionnaires
from trustfill.errors import InputFileError, TrustfillError
from trustfill.service import Service

SAMPLE_Q = REPO / "knowledge" / "sample" / "sample_questionnaire.xlsx"


def _seeded(tmp_path: Path) -> tuple[Service, int, Path]:
    """Sample facts and one uploaded, matched questionnaire; returns the service, its ID and a backup."""
    svc = Service()
    svc.import_sample()
    svc.set_match_settings(semantic=False)
    qid = svc.upload_questionnaire(SAMPLE_Q, customer="Acme")
    svc.run_matching(qid)
    row = next(r for r in svc.questions(qid) if r["answer"])
    svc.approve(row["id"], expected_version=row["version"])
    return svc, qid, svc.backup(tmp_path / "good.zip").path


def _secret(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.xlsx"
    secret.parent.mkdir()
    secret.write_bytes(SAMPLE_Q.read_bytes())
    return secret


def _set_column(table: str, column: str, value) -> callable:
    """An entry edit setting ``column`` of every row of ``table`` to ``value``."""
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        header = json.loads(lines[0])
        at = header["columns"].index(column)
        out = [lines[0]]
        for line in lines[1:]:
            if line.strip():
                row = json.loads(line)
                row[at] = value
                line = json.dumps(row).encode()
            out.append(line)
        return b"\n".join(out)
    return edit


# ---------------------------------------------------------------- 1. stored paths

def test_a_backup_naming_a_file_outside_uploads_is_refused(db_url, tmp_path):
    svc, _, good = _seeded(tmp_path)
    secret = _secret(tmp_path)
    with zipfile.ZipFile(good) as zf:
        entry = table_entry(zf, "questionnaires")
    bad = edit_backup(good, tmp_path / "bad.zip", {entry: _set_column("questionnaires", "stored_file", str(secret))},
                      key=home_key(config.home()))  # even correctly signed: an admin's own tampered database
    before = database_snapshot()
    with pytest.raises(InputFileError, match=r"names the stored file .*secret\.xlsx.*not a file in the uploads"):
        svc.restore(bad, force=True)
    assert database_snapshot() == before
    assert secret.exists()


@pytest.mark.parametrize("stored", ["{secret}", "../../outside/secret.xlsx", "link.xlsx"])
def test_export_and_delete_never_follow_a_stored_path_outside_uploads(db_url, tmp_path, stored):
    svc, qid, _ = _seeded(tmp_path)
    secret = _secret(tmp_path)
    if stored == "link.xlsx":  # a plain name, but a symbolic link planted in uploads/ leads out
        (config.uploads_dir() / stored).symlink_to(secret)
    stored = stored.format(secret=secret)
    with get_engine(db_url).begin() as conn:  # a tampered database (or one restored by the old code)
        conn.execute(questionnaires.update().where(questionnaires.c.id == qid).values(stored_file=stored))
    with pytest.raises(TrustfillError, match="refused"):
        svc.export_filled(qid, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()
    with pytest.raises(TrustfillError, match="refused"):
        svc.stored_path(qid)
    svc.delete_questionnaire(qid)
    assert secret.read_bytes() == SAMPLE_Q.read_bytes()
    assert svc.list_questionnaires() == []


# ---------------------------------------------------------------- 2. integrity

def _add_admin_and_old_history(data: bytes, table: str) -> bytes:
    lines = [ln for ln in data.split(b"\n") if ln.strip()]
    columns = json.loads(lines[0])["columns"]
    if table == "users":
        row = dict.fromkeys(columns, "")
        row.update(id=99, username="mallory", role="admin", password_hash=None, disabled=False,
                   created_at="2024-01-01T00:00:00", email="m@example.com")
    else:
        row = dict.fromkeys(columns, "")
        row.update(id=99_999, at="2024-01-01T09:00:00", actor="local", action="user_add",
                   object_type="user", object_id="mallory", details={"role": "admin"})
    return b"\n".join([*lines, json.dumps([row[c] for c in columns]).encode()]) + b"\n"


def _adding_admin(zf_path: Path) -> dict:
    with zipfile.ZipFile(zf_path) as zf:
        users, audit = table_entry(zf, "users"), table_entry(zf, "audit_log")
    return {users: lambda d: _add_admin_and_old_history(d, "users"),
            audit: lambda d: _add_admin_and_old_history(d, "audit_log")}


def test_a_hand_edited_backup_is_refused(db_url, tmp_path):
    svc, _, good = _seeded(tmp_path)
    edits = _adding_admin(good)
    before = database_snapshot()
    # Digests recomputed, old signature kept: the signature no longer matches.
    resigned = edit_backup(good, tmp_path / "a.zip", edits)
    with pytest.raises(InputFileError, match="signature does not match"):
        svc.restore(resigned, force=True)
    # Entries changed, manifest untouched: the digests do not match, even when signatures are not trusted.
    stale = edit_backup(good, tmp_path / "b.zip", edits, keep_digests=True)
    with pytest.raises(InputFileError, match="does not match its SHA-256 digest"):
        svc.restore(stale, force=True, trust_unsigned=True)
    # An entry added after the fact.
    added = edit_backup(good, tmp_path / "c.zip", {"uploads/extra.xlsx": lambda _: b"x"}, keep_digests=True)
    with pytest.raises(InputFileError, match="not listed in the manifest"):
        svc.restore(added, force=True, trust_unsigned=True)
    assert database_snapshot() == before
    assert "mallory" not in json.dumps(database_snapshot(), default=str)


def test_restore_audit_row_names_the_backup_digest_maker_and_date(db_url, tmp_path):
    svc, _, good = _seeded(tmp_path)
    digest = hashlib.sha256(good.read_bytes()).hexdigest()
    made = json.loads(zipfile.ZipFile(good).read("manifest.json"))
    svc.restore(good, force=True)
    (row,) = svc.audit_log(action="restore")
    details = row["details"]
    assert (details["backup_sha256"], details["backup_created_by"], details["signature"]) == (digest, "local", "valid")
    assert details["backup_created_at"] == made["created_at"]

    # Trusting an unsigned backup is possible, and the trail says so.
    edited = edit_backup(good, tmp_path / "edited.zip", _adding_admin(good))
    result = svc.restore(edited, force=True, trust_unsigned=True)
    assert result.signature == "mismatch"
    # mallory's account now exists, so local mode is over: read the trail as its reader would
    with get_engine().connect() as conn:
        last = conn.execute(sa.select(audit_log.c.details).where(audit_log.c.action == "restore")
                            .order_by(audit_log.c.id.desc())).first()[0]
    assert last["signature"] == "mismatch (trusted)"
    assert last["backup_sha256"] == hashlib.sha256(edited.read_bytes()).hexdigest()


def test_the_backup_key_is_outside_the_backup_and_private(db_url, tmp_path):
    _, _, good = _seeded(tmp_path)
    key_file = config.home() / "backup.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text().strip()
    with zipfile.ZipFile(good) as zf:
        assert all(key.encode() not in zf.read(n) for n in zf.namelist())


# ---------------------------------------------------------------- 3. memory bomb

def _bomb(good: Path, dst: Path, key: bytes) -> Path:
    """The backup with one facts row whose answer is 400 MB of "A" (deflates to ~400 KB), correctly
    digested and signed. Written in chunks: this process never holds the 400 MB (a child forked
    from it would count them in its peak memory)."""
    with zipfile.ZipFile(good) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist()}
    entry = next(n for n in entries if n.startswith("tables/facts."))
    header = entries[entry].split(b"\n", 1)[0]
    columns = json.loads(header)["columns"]
    head, tail = json.dumps(["bomb"] + [""] * (len(columns) - 1)).encode().split(b'""', 1)
    digest, size = hashlib.sha256(), 0
    manifest = json.loads(entries["manifest.json"])
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries.items():
            if name not in (entry, "manifest.json", "manifest.sig"):
                out.writestr(name, data)
        with out.open(entry, "w", force_zip64=True) as fh:
            for part in (header + b"\n", head + b'"', *([b"A" * (1 << 20)] * 400), b'"' + tail + b"\n"):
                fh.write(part)
                digest.update(part)
                size += len(part)
        manifest["files"][entry] = {"sha256": digest.hexdigest(), "bytes": size}
        manifest["tables"]["facts"] = 1
        raw = json.dumps(manifest).encode()
        out.writestr("manifest.json", raw)
        out.writestr("manifest.sig", hmac.new(key, raw, hashlib.sha256).hexdigest())
    return dst


_MEASURED = """
import atexit, sys
def _peak():  # this process's own high-water mark (ru_maxrss would also count its parent's memory,
    # which a vfork-ed child inherits at exec)
    with open("/proc/self/status") as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    with open(sys.argv[1], "w") as out:
        out.write(str(kb // 1024))
atexit.register(_peak)
from trustfill.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def _run_measured(args: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess, int]:
    """Run the CLI; returns the result and its peak resident memory in MB."""
    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from /proc (Linux)")
    peak = tmp_path / "peak.txt"
    done = subprocess.run([sys.executable, "-c", _MEASURED, str(peak), *args], cwd=REPO, capture_output=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), text=True, timeout=300)
    return done, int(peak.read_text())


def test_a_backup_that_inflates_to_a_huge_table_is_refused_in_bounded_memory(db_url, tmp_path):
    _, _, good = _seeded(tmp_path)
    bomb = _bomb(good, tmp_path / "bomb.zip", home_key(config.home()))
    assert bomb.stat().st_size < 2 << 20
    before = database_snapshot()
    done, peak_mb = _run_measured(["restore", str(bomb), "--force", "--yes"], tmp_path)
    line = one_error_line(done)
    assert "has a line longer than" in line
    assert peak_mb < 400, f"restore peaked at {peak_mb} MB"  # measured: about 130 MB
    assert database_snapshot() == before


def test_restore_limits_rows_and_bytes_per_table(db_url, tmp_path, monkeypatch):
    svc, _, good = _seeded(tmp_path)
    before = database_snapshot()
    monkeypatch.setenv("TRUSTFILL_MAX_BACKUP_ROWS", "50")  # the sample has 71 facts
    with pytest.raises(InputFileError, match="facts has more than 50 rows"):
        Service().restore(good, force=True)
    monkeypatch.delenv("TRUSTFILL_MAX_BACKUP_ROWS")
    monkeypatch.setenv("TRUSTFILL_MAX_BACKUP_TABLE_BYTES", "10000")
    with pytest.raises(InputFileError, match="unpacks to more than 10,000 bytes"):
        Service().restore(good, force=True)
    assert database_snapshot() == before


# ---------------------------------------------------------------- 4. one error line

def _corrupt_deflate(path: Path, dst: Path) -> Path:
    """Flip bytes in the middle of the compressed data of the facts table (zlib.error / bad CRC)."""
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(table_entry(zf, "facts"))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 20, start + min(info.compress_size - 4, 400), 7):
        raw[i] ^= 0x5A
    dst.write_bytes(bytes(raw))
    return dst


def _truncated(path: Path, dst: Path) -> Path:
    dst.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return dst


def _duplicate_first_row(data: bytes) -> bytes:
    lines = data.split(b"\n")
    return b"\n".join([lines[0], lines[1], *lines[1:]])


def _bad_datetime(data: bytes) -> bytes:
    return _set_column("facts", "created_at", 12345)(data)


def _row_not_a_list(data: bytes) -> bytes:
    lines = data.split(b"\n")
    return b"\n".join([lines[0], b'{"id": 1}', *lines[2:]])


def _header_not_a_dict(data: bytes) -> bytes:
    return b"[1, 2, 3]\n" + data.split(b"\n", 1)[1]


def _short_row(data: bytes) -> bytes:
    lines = data.split(b"\n")
    return b"\n".join([lines[0], json.dumps(json.loads(lines[1])[:2]).encode(), *lines[2:]])


def _nul_bytes(data: bytes) -> bytes:
    return data.replace(b"\n", b"\n\x00", 1)


CORRUPTIONS = {
    "corrupt deflate stream": lambda good, tmp: _corrupt_deflate(good, tmp / "x.zip"),
    "truncated zip": lambda good, tmp: _truncated(good, tmp / "x.zip"),
    "duplicate primary key": "_duplicate_first_row",
    "datetime given as a number": "_bad_datetime",
    "row that is not a list": "_row_not_a_list",
    "header that is not an object": "_header_not_a_dict",
    "row with too few values": "_short_row",
    "NUL byte in a row": "_nul_bytes",
    "manifest is a list": "manifest:list",
    "manifest table counts are not numbers": "manifest:counts",
    "manifest digests are not objects": "manifest:files",
}


def _build(name: str, good: Path, tmp: Path) -> Path:
    how = CORRUPTIONS[name]
    if callable(how):
        return how(good, tmp)
    key = home_key(config.home())
    if how.startswith("manifest:"):
        with zipfile.ZipFile(good) as zf:
            entries = {i.filename: zf.read(i) for i in zf.infolist()}
        manifest = json.loads(entries["manifest.json"])
        part = how.split(":")[1]
        if part == "list":
            manifest = [manifest]
        elif part == "counts":
            manifest["tables"] = {"facts": "many"}
        else:
            manifest["files"] = {n: "yes" for n in manifest.get("files", {})} or {"x": 1}
        raw = json.dumps(manifest).encode()
        entries["manifest.json"] = raw
        entries["manifest.sig"] = hmac.new(key, raw, hashlib.sha256).hexdigest().encode()
        dst = tmp / "x.zip"
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
            for n, d in entries.items():
                out.writestr(n, d)
        return dst
    with zipfile.ZipFile(good) as zf:
        entry = table_entry(zf, "facts")
    return edit_backup(good, tmp / "x.zip", {entry: globals()[how]}, key=key)


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_a_corrupt_backup_is_one_error_line_and_changes_nothing(db_url, tmp_path, name):
    _, _, good = _seeded(tmp_path)
    bad = _build(name, good, tmp_path)
    before = database_snapshot()
    uploads = sorted(p.name for p in config.uploads_dir().iterdir())
    line = one_error_line(cli("restore", str(bad), "--force", "--yes"))
    assert str(bad) in line
    assert database_snapshot() == before
    assert sorted(p.name for p in config.uploads_dir().iterdir()) == uploads


def test_rows_of_counts_rows_in_both_layouts():
    assert len(rows_of(b'{"table": "t", "columns": ["a"]}\n[1]\n[2]\n')) == 2
    assert len(rows_of(b'{"table": "t", "columns": ["a"], "rows": [\n[1],\n[2]\n]}\n')) == 2


def test_a_backup_made_before_signing_restores_only_when_trusted(db_url, tmp_path):
    """Format 1 (tables/*.json, no digests, no signature), as the previous Trustfill wrote it."""
    svc, _, good = _seeded(tmp_path)
    old = tmp_path / "v1.zip"
    with zipfile.ZipFile(good) as zf, zipfile.ZipFile(old, "w", zipfile.ZIP_DEFLATED) as out:
        manifest = json.loads(zf.read("manifest.json"))
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename.startswith("tables/"):
                header, *rows = [ln for ln in data.split(b"\n") if ln]
                head = json.loads(header)
                body = ",\n".join(r.decode() for r in rows)
                data = (json.dumps(head)[:-1] + ', "rows": [\n' + body + "\n]}\n").encode()
                out.writestr(info.filename[:-1], data)  # .jsonl -> .json
            elif info.filename.startswith("uploads/"):
                out.writestr(info, data)
        for k in ("files", "key_id"):
            manifest.pop(k)
        manifest["format_version"] = 1
        out.writestr("manifest.json", json.dumps(manifest))
    with pytest.raises(InputFileError, match="not signed"):
        svc.restore(old, force=True)
    before = {t: v for t, v in database_snapshot().items() if t != "audit_log"}
    result = svc.restore(old, force=True, trust_unsigned=True)
    assert result.signature == "missing"
    assert {t: v for t, v in database_snapshot().items() if t != "audit_log"} == before
    assert dt.datetime.fromisoformat(svc.audit_log(action="restore")[-1]["details"]["backup_created_at"])
    with get_engine().connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(questionnaires)).scalar() == 1
