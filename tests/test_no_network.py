"""Trustfill works with every outbound connection refused, and never even tries one.

In-process, socket connect/create_connection/getaddrinfo refuse anything but loopback (the
PostgreSQL test server is on 127.0.0.1). The CLI runs as a subprocess with the same guard
installed by a sitecustomize.py on PYTHONPATH. Every attempt is recorded, so a library that tries
the network and quietly falls back still fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from trustfill.service import Service

REPO = Path(__file__).resolve().parent.parent
SAMPLE_Q = REPO / "knowledge" / "sample" / "sample_questionnaire.xlsx"

GUARD = textwrap.dedent('''
    import ipaddress, json, os, socket

    _LOG = os.environ.get("TF_NET_LOG")
    _LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}

    def _local(host):
        host = host.decode() if isinstance(host, bytes) else str(host)
        if host in _LOCAL_NAMES:
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False

    def _refuse(what, target):
        if _LOG:
            with open(_LOG, "a") as fh:
                fh.write(json.dumps([what, repr(target)]) + "\\n")
        raise OSError(101, f"outbound network refused by the test guard: {what} {target!r}")

    _connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
    _create, _gai = socket.create_connection, socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            _refuse("connect", address)
        return _connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            _refuse("connect_ex", address)
        return _connect_ex(self, address)

    def create_connection(address, *args, **kwargs):
        if not _local(address[0]):
            _refuse("create_connection", address)
        return _create(address, *args, **kwargs)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _local(host):
            _refuse("getaddrinfo", host)
        return _gai(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    socket.create_connection, socket.getaddrinfo = create_connection, getaddrinfo
''')


@pytest.fixture
def no_network(tmp_path, monkeypatch):
    """Install the guard in this process (undone afterwards); yields the attempt log path."""
    import socket

    log = tmp_path / "net.log"
    monkeypatch.setenv("TF_NET_LOG", str(log))
    for name in ("create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, getattr(socket, name))
    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, getattr(socket.socket, name))
    exec(compile(GUARD, "guard", "exec"), {})  # patches the socket module in place
    yield log


def _attempts(log: Path) -> list:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_the_guard_refuses_outbound_and_allows_loopback(no_network):
    import socket

    with pytest.raises(OSError, match="refused by the test guard"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)
    with pytest.raises(OSError, match="refused by the test guard"):
        socket.getaddrinfo("pypi.org", 443)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with socket.create_connection(server.getsockname(), timeout=2):
        pass
    server.close()
    assert [a[0] for a in _attempts(no_network)] == ["create_connection", "getaddrinfo"]


def test_the_service_works_offline(db_url, no_network, tmp_path):
    svc = Service()
    svc.import_sample()  # default matching settings: semantic matching on, if its model is installed
    qid = svc.upload_questionnaire(SAMPLE_Q)
    progress = svc.run_matching(qid)
    assert progress.suggested > 0
    row = next(r for r in svc.questions(qid) if r["answer"])
    svc.approve(row["id"], expected_version=row["version"])
    assert svc.export_filled(qid, tmp_path / "filled.xlsx").written >= 1
    svc.export_review_report(qid, tmp_path / "review.xlsx")
    svc.backup(tmp_path / "backup.zip")
    assert _attempts(no_network) == []


def test_the_cli_works_offline(db_url, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "net.log"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(REPO)]), TF_NET_LOG=str(log))
    env.pop("HF_HUB_OFFLINE", None)  # prove Trustfill itself keeps the model offline

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)

    probe = run("-c", "import socket; socket.create_connection(('1.1.1.1', 443), timeout=1)")
    assert "refused by the test guard" in probe.stderr  # the guard is active in subprocesses
    log.unlink()
    for args in (["kb", "import", "--sample"],
                 ["answer", str(SAMPLE_Q), "-o", str(tmp_path / "out.xlsx"), "--report", str(tmp_path / "r.csv")],
                 ["questionnaires", "list"],
                 ["backup", str(tmp_path / "b.zip")]):
        done = run("-m", "trustfill", *args)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    assert (tmp_path / "out.xlsx").exists() and (tmp_path / "b.zip").exists()
    assert _attempts(log) == []
