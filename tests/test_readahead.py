"""#18: `trustfill answer` reads the questionnaire in a forked child while it imports the service
(trustfill/readahead.py). The upload must get exactly what reading the file itself gives, the same
error for a bad file, and read the file itself whenever the child may have read something else."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import no_children_left
from trustfill.cli.main import cli
from trustfill.config import Limits
from trustfill.errors import HeaderError, InputFileError, LimitExceeded, RowError, TrustfillError
from trustfill.intake import LayoutOverrides, read_questionnaire
from trustfill.readahead import ReadAhead, read_ahead

QUESTIONS = ["Do you encrypt customer data at rest?", "Is MFA enforced for administrators?",
             "Do you have a documented incident response plan?"]


def _workbook(path, questions=QUESTIONS):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["#", "Question", "Response", "Comments"])
    for i, q in enumerate(questions, start=1):
        ws.append([f"Q{i}", q, None, None])
    wb.save(path)
    return path



@pytest.fixture(autouse=True)
def _two_cores(monkeypatch):
    monkeypatch.delenv("TRUSTFILL_WORKERS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def test_the_child_reads_exactly_what_the_upload_would(tmp_path):
    book = _workbook(tmp_path / "q.xlsx")
    ahead = ReadAhead.start(book)
    assert ahead is not None
    got = ahead.take(book, None, Limits(), "q.xlsx")
    assert got is not None
    assert got == read_questionnaire(book, None, Limits(), display_name="q.xlsx")
    assert [q.text for q in got.questions] == QUESTIONS
    assert no_children_left()


def test_a_bad_file_raises_the_error_reading_it_would(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(InputFileError) as direct:
        read_questionnaire(bad, None, Limits(), display_name="broken.xlsx")
    ahead = ReadAhead.start(bad)
    with pytest.raises(InputFileError) as via_child:
        ahead.take(bad, None, Limits(), "broken.xlsx")
    assert type(via_child.value) is type(direct.value)
    assert str(via_child.value) == str(direct.value)
    assert via_child.value.path == direct.value.path
    assert no_children_left()


@pytest.mark.parametrize("change", ["limits", "overrides", "display", "file", "path"])
def test_anything_different_leaves_the_reading_to_the_caller(tmp_path, change):
    book = _workbook(tmp_path / "q.xlsx")
    other = _workbook(tmp_path / "other.xlsx")
    ahead = ReadAhead.start(book)
    args = {"path": book, "overrides": None, "limits": Limits(), "display_name": "q.xlsx"}
    if change == "limits":  # an admin's limits from the settings table
        args["limits"] = Limits(max_rows=10)
    elif change == "overrides":
        args["overrides"] = [LayoutOverrides(question_col="B")]
    elif change == "display":
        args["display_name"] = "renamed.xlsx"
    elif change == "path":
        args["path"] = other
    else:  # the file changed after the child read it
        time.sleep(0.01)
        _workbook(book, QUESTIONS + ["Do you run background checks?"])
    assert ahead.take(**args) is None
    assert no_children_left()


def test_a_child_given_up_on_is_killed_and_reaped(tmp_path):
    book = _workbook(tmp_path / "q.xlsx")
    with read_ahead(book) as ahead:
        assert isinstance(ahead, ReadAhead)
    assert ahead.reaped
    assert ahead.take(book, None, Limits(), "q.xlsx") is None  # closed: the caller reads
    assert no_children_left()


def test_one_worker_means_no_fork(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTFILL_WORKERS", "1")
    book = _workbook(tmp_path / "q.xlsx")
    with read_ahead(book) as ahead:
        assert ahead is None


@pytest.mark.parametrize("exc", [
    InputFileError("a.xlsx", "bad thing", sheet="S", row=4),
    LimitExceeded("a.xlsx", "too many rows"),
    RowError("lib.csv", [(2, "no ID"), (5, "no question")]),
    HeaderError("lib.csv", ["has no Question column"]),
    TrustfillError("plain"),
])
def test_every_trustfill_error_survives_pickling(exc):
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert str(back) == str(exc)
    assert vars(back) == vars(exc)


def test_the_cli_answers_the_same_with_and_without_reading_ahead(tf_home, tmp_path, monkeypatch):
    book = _workbook(tmp_path / "q.xlsx")
    runner = CliRunner()
    assert runner.invoke(cli, ["kb", "import", "--sample"]).exit_code == 0
    reports = []
    for workers in ("2", "1"):
        monkeypatch.setenv("TRUSTFILL_WORKERS", workers)
        report = tmp_path / f"report-{workers}.csv"
        res = runner.invoke(cli, ["answer", str(book), "-o", str(tmp_path / f"filled-{workers}.xlsx"),
                                  "--report", str(report)])
        assert res.exit_code == 0, res.output
        reports.append(report.read_text(encoding="utf-8"))
    assert reports[0] == reports[1]
    assert "Do you encrypt customer data at rest?" in reports[0]
    assert no_children_left()


def test_the_cli_reports_a_bad_file_once_as_an_error(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not a workbook")
    env = {**os.environ, "TRUSTFILL_HOME": str(tmp_path / "home")}
    env.pop("TRUSTFILL_DATABASE_URL", None)
    env.pop("TRUSTFILL_WORKERS", None)
    proc = subprocess.run([sys.executable, "-m", "trustfill", "answer", str(bad), "-o", str(tmp_path / "out.xlsx")],
                          capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"Error: {bad}") or proc.stderr.startswith("Error: broken.xlsx"), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "out.xlsx").exists()


def test_a_pipe_is_never_read_ahead(tmp_path):
    # A FIFO (or a device) can be read once only: the parent reads it, the child never starts.
    fifo = tmp_path / "q.xlsx"
    os.mkfifo(fifo)
    assert ReadAhead.start(fifo) is None
    assert no_children_left()
