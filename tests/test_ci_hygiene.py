"""A test run leaves the checkout as it found it and no server behind it.

- Screenshots go to the git-ignored tests/_artifacts/ unless asked to refresh docs/screenshots.
- .ci/postgres.sh starts PostgreSQL in a folder of its own and stops it when the shell that sourced
  it exits, also when that shell fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ARTIFACTS, DOC_SCREENSHOTS, REPO, screenshot_dir


class _Config:
    def __init__(self, update: bool):
        self.update = update

    def getoption(self, name: str):
        assert name == "--update-screenshots"
        return self.update


def test_screenshots_go_to_the_ignored_artifacts_folder_unless_refreshing_the_docs(monkeypatch):
    monkeypatch.delenv("TRUSTFILL_UPDATE_SCREENSHOTS", raising=False)
    folder = screenshot_dir(_Config(False))
    assert folder == ARTIFACTS / "screenshots"
    if shutil.which("git") and (REPO / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", str(folder / "01-x.png")], cwd=REPO)
        assert ignored.returncode == 0, "tests/_artifacts/ must be git-ignored"
        tracked = subprocess.run(["git", "check-ignore", "-q", str(DOC_SCREENSHOTS / "01-x.png")], cwd=REPO)
        assert tracked.returncode == 1, "docs/screenshots/ holds the README's tracked screenshots"
    assert screenshot_dir(_Config(True)) == DOC_SCREENSHOTS
    monkeypatch.setenv("TRUSTFILL_UPDATE_SCREENSHOTS", "1")
    assert screenshot_dir(_Config(False)) == DOC_SCREENSHOTS


def test_update_screenshots_is_a_pytest_option():
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider",
                           "tests/test_browser.py", "--update-screenshots"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode in (0, 5), proc.stderr  # 4 would be "unrecognized arguments"


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _pg_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("ending", ["exit 0", "false", "interrupted"])
def test_postgres_started_for_a_run_is_stopped_and_removed_when_the_run_ends(tmp_path, ending):
    if _pg_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    if os.geteuid() == 0 and subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
        pytest.skip("running as root without a 'postgres' account to run the server as")
    report = tmp_path / "started"
    # As .ci/run does: `set -e`, source the script, then the run ends (normally, or by a failing command).
    # "interrupted": Ctrl-C reaches the whole process group while a test command runs.
    last = "sleep 120" if ending == "interrupted" else ending
    script = (f"set -euo pipefail; source .ci/postgres.sh; "
              f"printf '%s\\n%s\\n' \"$TF_PG_BASE\" \"$TRUSTFILL_TEST_POSTGRES_URL\" > {report}; {last}")
    env = {k: v for k, v in os.environ.items() if k not in ("TRUSTFILL_TEST_POSTGRES_URL", "TF_PG_BASE")}
    # A TMPDIR of this test's own that the `postgres` account can enter (pytest's tmp_path is root-only).
    tmpdir = Path(tempfile.mkdtemp(prefix="tf-ci-test-", dir="/tmp"))
    tmpdir.chmod(0o755)
    env["TMPDIR"] = str(tmpdir)
    try:
        proc = subprocess.Popen(["bash", "-c", script], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        if ending == "interrupted":
            deadline = time.monotonic() + 120
            while not report.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(0.5)
            os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=180)
        leftovers = list(tmpdir.iterdir())
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    assert report.exists(), err
    assert proc.returncode == {"exit 0": 0, "false": 1, "interrupted": 130}[ending], err
    base, url = report.read_text().splitlines()
    assert url.startswith("postgresql+psycopg://trustfill:"), err
    assert Path(base).parent == tmpdir, "a folder of this run's own (mktemp -d), not a fixed path"
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    assert not _listening(port), "the PostgreSQL server outlived the shell that started it"
    assert leftovers == [], "the run's PostgreSQL folder was left behind"
    running = subprocess.run(["pgrep", "-f", "--", f"{base}/data"], capture_output=True, text=True)
    assert running.stdout == "", "a PostgreSQL process of the run is still running"
