"""`trustfill app`: the command that starts the review app (the browser test runs it for real)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from trustfill.cli.app import SAFE_FLAGS, app_folder, streamlit_command
from trustfill.cli.main import cli

REPO = Path(__file__).resolve().parent.parent


def test_app_is_a_trustfill_command():
    result = CliRunner().invoke(cli, ["app", "--help"])
    assert result.exit_code == 0 and "--port" in result.output


def test_runs_streamlit_headless_from_the_folder_with_the_config():
    folder = app_folder()
    assert folder == REPO and (folder / ".streamlit" / "config.toml").is_file()
    cmd = streamlit_command(folder, 8600, "127.0.0.1", ("--server.runOnSave", "false"))
    assert cmd[:5] == [sys.executable, "-m", "trustfill.app_server", "run", str(REPO / "app.py")]
    joined = " ".join(cmd)
    assert "--server.headless true" in joined and "--server.port 8600" in joined
    assert "--server.address 127.0.0.1" in joined and cmd[-2:] == ["--server.runOnSave", "false"]
    # The config file supplies the privacy settings, so they are not repeated as flags.
    assert "--browser.gatherUsageStats" not in cmd


def test_without_a_config_file_the_privacy_settings_are_passed_as_flags(tmp_path):
    (tmp_path / "app.py").write_text("")
    cmd = streamlit_command(tmp_path, 8501, "localhost", ())
    assert cmd[-len(SAFE_FLAGS):] == SAFE_FLAGS
    assert "--browser.gatherUsageStats" in cmd and "--client.showErrorDetails" in cmd


def _serving(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def test_stopping_the_command_stops_the_server(tmp_path):
    # A service manager or a test stops `trustfill app` with SIGTERM: the server must go with it,
    # not keep serving the knowledge base without its parent.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "TRUSTFILL_HOME": str(tmp_path / "home")}
    env.pop("TRUSTFILL_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "trustfill", "app", "--port", str(port), "--address", "127.0.0.1"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    health = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        deadline = time.monotonic() + 60
        while not _serving(health):
            assert proc.poll() is None and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.5)
        proc.terminate()
        proc.wait(timeout=15)
        deadline = time.monotonic() + 10
        while _serving(health) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _serving(health), "the Streamlit server outlived `trustfill app`"
    finally:
        if proc.poll() is None:
            proc.kill()
        # Whatever still listens on the port was started by this test: stop it too.
        subprocess.run(["pkill", "-f", f"server.port {port}"], check=False)
