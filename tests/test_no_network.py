"""Trustfill works with every outbound connection refused, and never even tries one.

In-process, socket connect/create_connection/getaddrinfo refuse anything but loopback (the
PostgreSQL test server is on 127.0.0.1). The CLI runs as a subprocess with the same guard
installed by a sitecustomize.py on PYTHONPATH. Every attempt is recorded, so a library that tries
the network and quietly falls back still fails the test.
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from test_browser import CHROMIUM, LAUNCH_ARGS, _free_port

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


# ---------------------------------------------------------------- the app, under strace and in a browser

TRACKER = "tracker.example"
HOSTILE_QUESTION = (f"![](http://{TRACKER}/pixel.gif?opened=1) Do you encrypt customer data at rest? "
                    f"[Click here to verify](http://{TRACKER}/phish) or see www.{TRACKER} and <http://{TRACKER}/x>")
_SOCKADDR = re.compile(r"\b(connect|sendto|sendmsg)\(\d+, .*?\{sa_family=(AF_INET6?), sin6?_port=htons\((\d+)\)"
                       r".*?(?:inet_addr\(\"([^\"]+)\"\)|inet_pton\(AF_INET6, \"([^\"]+)\")")


def _outbound(strace_log: str) -> list[str]:
    """The connect/sendto calls of a strace log that leave the machine, or ask DNS (port 53)."""
    found = []
    for line in strace_log.splitlines():
        m = _SOCKADDR.search(line)
        if not m:
            continue
        port, addr = int(m.group(3)), (m.group(4) or m.group(5) or "").removeprefix("::ffff:")
        try:
            local = ipaddress.ip_address(addr).is_loopback or addr in ("0.0.0.0", "::")
        except ValueError:
            local = False
        if port == 53 or not local:
            found.append(line.strip())
    return found


def test_outbound_detection_in_a_strace_log():
    log = ('1 connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("52.1.2.3")}, 16) = 0\n'
           '1 connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 0\n'
           '1 connect(3, {sa_family=AF_INET, sin_port=htons(8501), sin_addr=inet_addr("127.0.0.1")}, 16) = 0\n'
           '1 connect(3, {sa_family=AF_INET6, sin6_port=htons(1), sin6_flowinfo=htonl(0), '
           'inet_pton(AF_INET6, "2001:4860::8888", &sin6_addr), sin6_scope_id=0}, 28) = 0\n')
    assert len(_outbound(log)) == 3


def _hostile_questionnaire(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"Sec www.{TRACKER}"  # sheet names cannot hold [ ] : but a bare host is a link too
    ws.append(["Question", "Answer", "Comment"])
    ws.append([HOSTILE_QUESTION, None, None])
    ws.append(["Is multi-factor authentication enforced for administrators?", None, None])
    wb.save(path)
    return path


def _websocket_upgrade(port: int, origin: str) -> bytes:
    """Open the app's websocket with a foreign Origin (each one made Streamlit look up its external IP)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n").encode())
        return s.recv(200)


def _wait_group_gone(pgid: int, timeout: float = 20) -> None:
    """Wait until no process of the group is left (the app under strace exits after strace), then
    kill what remains: a test leaves no server running behind it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


@pytest.mark.browser
@pytest.mark.slow
def test_the_app_sends_nothing_anywhere(tf_home, tmp_path):
    """`trustfill app` on every interface, under strace: no non-loopback connection and no DNS query,
    at start-up, for foreign websocket Origins, or while a reviewer reads a question holding a
    tracking pixel and links; and the reviewer's browser fetches nothing but the app itself."""
    if not shutil.which("strace"):
        pytest.skip("strace is not installed (apt-get install strace)")
    svc = Service()
    svc.import_sample()
    svc.set_match_settings(semantic=False)
    qid = svc.upload_questionnaire(_hostile_questionnaire(tmp_path / f"www.{TRACKER}.xlsx"), customer="Acme")
    svc.run_matching(qid)

    port = _free_port()
    trace = tmp_path / "strace.log"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=network", "-o", str(trace), sys.executable, "-m",
                             "trustfill", "app", "--port", str(port), "--address", "0.0.0.0"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    requests: list[str] = []
    dom = {}
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.5)
        for origin in ("http://evil.example", "https://attacker.example:8443"):
            _websocket_upgrade(port, origin)
        if CHROMIUM.exists() and importlib.util.find_spec("playwright"):
            from playwright.sync_api import sync_playwright

            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
                page = browser.new_page()
                page.on("request", lambda req: requests.append(req.url))
                page.goto(f"{url}/review")
                page.get_by_text("Do you encrypt customer data at rest?").first.wait_for(timeout=60_000)
                page.wait_for_timeout(2000)
                dom = page.evaluate("""() => ({
                    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
                    debug: [...document.querySelectorAll('a[href*="tracker"]')]
                        .map(a => a.parentElement.outerHTML.slice(0, 600)),
                    images: [...document.querySelectorAll('img[src]')].map(i => i.src),
                    icon: (document.querySelector("link[rel='shortcut icon']") || {}).href || ''})""")
                browser.close()
    finally:
        # The whole group: stopping strace alone detaches it and leaves the traced app running.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        _wait_group_gone(proc.pid)
    assert _outbound(trace.read_text()) == []
    foreign = [u for u in requests if not u.startswith((url, "data:", "blob:", "about:"))]
    assert foreign == []
    if dom:
        assert [u for u in dom["links"] + dom["images"] if TRACKER in u] == [], dom["debug"]
        assert dom["icon"].startswith(("data:", url)), dom["icon"]


def test_customer_text_shown_in_the_app_is_plain_text():
    """What common.plain gives Markdown holds no link, image, HTML, directive or autolink trigger."""
    from trustfill.app_pages.common import WORD_JOINER, plain

    shown = plain(HOSTILE_QUESTION + " :red[alarm] :material/warning: $x^2$ mail me: a@evil.example HTTPS://X")
    assert re.search(r"(?<!\\)[\[\]()<>!:$@`*_]", shown) is None  # every Markdown character escaped
    resolved = shown.replace("\\", "")  # what GFM's autolinker sees once escapes are resolved
    assert re.search(r"(?i)https?://|\bwww\.|\w@", resolved) is None
    # Every character is still there, in order: only escapes and joiners were added.
    assert shown.replace("\\", "").replace(WORD_JOINER, "") == (
        HOSTILE_QUESTION + " :red[alarm] :material/warning: $x^2$ mail me: a@evil.example HTTPS://X")
