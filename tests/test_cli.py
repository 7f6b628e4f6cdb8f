"""The `trustfill` CLI end to end, as a user runs it: real processes, real workbooks, real SQLite."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.datavalidation import DataValidation

from conftest import BENCH, DEV, needs_shared

REPORT_COLUMNS = ["sheet", "row", "question", "fact_id", "score", "status", "answer", "comment"]


def run(home: Path, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "TRUSTFILL_HOME": str(home), **env}
    environ.pop("TRUSTFILL_DATABASE_URL", None)
    proc = subprocess.run([sys.executable, "-m", "trustfill", *args], capture_output=True, text=True,
                          env=environ, cwd=Path(__file__).resolve().parent.parent, timeout=300)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def _library(tmp_path: Path) -> Path:
    path = tmp_path / "library.csv"
    rows = [
        ["enc-rest", "Is customer data encrypted at rest?", "Yes (AES-256)", "Disks and backups use AES-256.",
         "Encryption", "", "Are stored files encrypted?"],
        ["enc-transit", "Is customer data encrypted in transit?", "Yes (TLS 1.2+)", "TLS 1.2 or higher.",
         "Encryption", "", ""],
        ["mfa-staff", "Do employees use multi-factor authentication?", "Yes", "Hardware keys for all staff.",
         "Access", "", ""],
        ["dr-rto", "What is your recovery time objective (RTO)?", "4 hours", "Tested twice a year.",
         "Resilience", "chat", ""],
    ]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ID", "Question", "Answer", "Comment", "Category", "Product", "Alternate Questions"])
        w.writerows(rows)
    return path


def _questionnaire(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Security"
    ws["A1"] = "Acme vendor security questionnaire"
    ws["A2"] = "Please answer every question."
    ws.append([])
    ws.append(["#", "Question", "Response", "Comments"])  # row 4
    ws.append(["Data protection"])  # section heading, row 5
    ws.append(["1.1", "Is customer data encrypted at rest?", None, None])
    ws.append(["1.2", "Is customer data encrypted in transit over public networks?", None, None])
    ws.append(["1.3", "Do all employees use multi-factor authentication?", None, None])
    ws.append(["1.4", "Does your company hold cyber insurance?", None, None])
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"')
    dv.add("C6:C9")
    ws.add_data_validation(dv)
    path = tmp_path / "acme.xlsx"
    wb.save(path)
    return path


def test_answer_end_to_end(tmp_path):
    home = tmp_path / "home"
    run(home, "kb", "import", str(_library(tmp_path)), "--replace")
    src = _questionnaire(tmp_path)
    original = src.read_bytes()
    out, report = tmp_path / "filled.xlsx", tmp_path / "report.csv"
    proc = run(home, "answer", str(src), "--product", "chat", "-o", str(out), "--report", str(report))
    assert "4 questions" in proc.stdout
    assert src.read_bytes() == original  # the customer's file is never modified

    with report.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0].keys()) == REPORT_COLUMNS
    assert [int(r["row"]) for r in rows] == [6, 7, 8, 9]
    by_row = {int(r["row"]): r for r in rows}
    assert by_row[6]["fact_id"] == "enc-rest" and by_row[6]["status"] == "suggested"
    assert by_row[7]["fact_id"] == "enc-transit"
    assert by_row[9]["status"] == "unanswered" and by_row[9]["fact_id"] == ""
    for r in rows:
        assert 0 <= float(r["score"]) <= 100

    ws = openpyxl.load_workbook(out)["Security"]
    assert ws["C6"].value == "Yes"  # fitted to the Yes/No/N/A dropdown
    assert "AES-256" in ws["D6"].value
    assert ws["C9"].value is None
    assert ws["B6"].value == "Is customer data encrypted at rest?"


@pytest.mark.parametrize("case", ["missing", "not-spreadsheet", "unreadable", "legacy-xls", "unknown-product"])
def test_answer_errors_are_one_line_and_leave_no_output(tmp_path, case):
    home = tmp_path / "home"
    run(home, "kb", "import", str(_library(tmp_path)))
    src = {"missing": tmp_path / "nope.xlsx", "not-spreadsheet": tmp_path / "notes.pdf",
           "unreadable": tmp_path / "broken.xlsx", "legacy-xls": tmp_path / "old.xls",
           "unknown-product": _questionnaire(tmp_path)}[case]
    if case == "not-spreadsheet":
        src.write_bytes(b"%PDF-1.4 not a spreadsheet")
    elif case == "unreadable":
        src.write_bytes(_questionnaire(tmp_path).read_bytes()[:700])  # truncated zip
    elif case == "legacy-xls":
        src.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    out, report = tmp_path / "out.xlsx", tmp_path / "report.csv"
    proc = run(home, "answer", str(src), "--product", "nosuch" if case == "unknown-product" else "chat",
               "-o", str(out), "--report", str(report), ok=False)
    assert proc.returncode != 0
    assert proc.stderr.startswith("Error: ")
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists() and not report.exists()
    assert not list(tmp_path.glob(".tf-*"))


def test_kb_import_error_lists_rows_and_exits_non_zero(tmp_path):
    home = tmp_path / "home"
    bad = tmp_path / "bad.csv"
    bad.write_text("ID,Question,Answer\na,Q1,Yes\nb,,Yes\n")
    proc = run(home, "kb", "import", str(bad), ok=False)
    assert proc.returncode != 0 and proc.stderr.startswith("Error: ") and "row 3: no question" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_kb_sample_import_and_export(tmp_path):
    home = tmp_path / "home"
    proc = run(home, "kb", "import", "--sample")
    assert "facts in the knowledge base" in proc.stdout
    out = tmp_path / "kb.yaml"
    run(home, "kb", "export", str(out))
    assert out.read_text().count("- id:") >= 50


@needs_shared
@pytest.mark.slow
def test_dev_workbooks_are_answered_and_reported(tmp_path):
    home = tmp_path / "home"
    run(home, "kb", "import", str(BENCH / "library.csv"), "--replace")
    with (DEV / "truth.csv").open(newline="") as fh:
        truth = list(csv.DictReader(fh))
    for name in sorted({t["file"] for t in truth}):
        product = next(t["product"] for t in truth if t["file"] == name)
        out, report = tmp_path / f"filled-{name}", tmp_path / f"{name}.csv"
        run(home, "answer", str(DEV / name), "--product", product, "-o", str(out), "--report", str(report))
        openpyxl.load_workbook(out)
        with report.open(newline="") as fh:
            got = {(r["sheet"], int(r["row"])) for r in csv.DictReader(fh)}
        want = {(t["sheet"], int(t["row"])) for t in truth if t["file"] == name}
        assert want <= got, f"{name}: missing {sorted(want - got)[:5]}"


def test_show_why_says_why_each_question_got_its_status(tmp_path):
    home = tmp_path / "home"
    run(home, "kb", "import", str(_library(tmp_path)), "--replace")
    proc = run(home, "questionnaires", "upload", str(_questionnaire(tmp_path)), "--product", "chat")
    qid = proc.stdout.split("questionnaire ")[1].split()[0]
    lines = run(home, "questionnaires", "show", qid, "--why").stdout.splitlines()
    assert len(lines) == 8  # four questions, each followed by the reason for its status
    for line, why in zip(lines[::2], lines[1::2], strict=True):
        status = line.split()[4]
        assert why.strip().startswith("why: ")
        if status == "suggested":
            assert ("signals rank this fact first" in why and "only" not in why) or (
                "worded exactly as an accepted phrasing of" in why
            )
        elif status == "review":
            assert "under the suggest threshold" in why or "only" in why
        else:
            assert "review threshold" in why or "no fact" in why
    # the cyber-insurance question: no fact answers it, and the reason says so
    assert "no fact" in lines[7] or "review threshold" in lines[7]
    assert len(run(home, "questionnaires", "show", qid).stdout.splitlines()) == 4  # without --why: as before


def _one_line_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode != 0, proc.stdout
    assert proc.stderr.startswith("Error: ") and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for word in words:
        assert word in proc.stderr


@pytest.mark.parametrize("clash", ["report-is-output", "report-is-input", "output-is-input"])
def test_answer_refuses_a_path_used_twice_and_writes_nothing(tmp_path, clash):
    # The report overwrote the filled workbook (exit 0, a CSV where the workbook should be): issue #20.
    home = tmp_path / "home"
    run(home, "kb", "import", str(_library(tmp_path)))
    src = _questionnaire(tmp_path)
    original = src.read_bytes()
    out = tmp_path / "out.xlsx"
    output, report = {"report-is-output": (out, out), "report-is-input": (out, src),
                      "output-is-input": (src, tmp_path / "report.csv")}[clash]
    proc = run(home, "answer", str(src), "-o", str(output), "--report", str(report), ok=False)
    _one_line_error(proc, "overwrite")
    assert src.read_bytes() == original
    assert not out.exists() and not (tmp_path / "report.csv").exists()
    assert run(home, "questionnaires", "list").stdout == ""  # nothing stored either


def test_every_command_taking_an_id_refuses_one_that_does_not_exist(tmp_path):
    home = tmp_path / "home"
    run(home, "kb", "import", str(_library(tmp_path)))
    run(home, "questionnaires", "upload", str(_questionnaire(tmp_path)))
    first_question = run(home, "questionnaires", "show", "1").stdout.split()[0]
    out = tmp_path / "out.xlsx"
    for args, words in [
        (["questionnaires", "show", "99"], ["questionnaire", "99"]),
        (["questionnaires", "show", "99", "--why"], ["questionnaire", "99"]),
        (["questionnaires", "bulk-approve", "99"], ["questionnaire", "99"]),
        (["questionnaires", "match", "99"], ["questionnaire", "99"]),
        (["questionnaires", "export", "99", "-o", str(out)], ["questionnaire", "99"]),
        (["questionnaires", "report", "99", "-o", str(tmp_path / "r.csv")], ["questionnaire", "99"]),
        (["questionnaires", "delete", "99", "--yes"], ["questionnaire", "99"]),
        (["questionnaires", "delete", "99"], ["questionnaire", "99"]),  # before asking to confirm
        (["questionnaires", "approve", "9999"], ["question", "9999"]),
        (["questionnaires", "approve", first_question, "9999"], ["question", "9999"]),
        (["questionnaires", "reject", "9999"], ["question", "9999"]),
        (["questionnaires", "edit", "9999", "--answer", "Yes"], ["question", "9999"]),
        (["questionnaires", "pick", "9999", "enc-rest"], ["question", "9999"]),
        (["kb", "show", "no-such-fact"], ["no-such-fact"]),
    ]:
        proc = run(home, *args, ok=False)
        _one_line_error(proc, *words)
        assert proc.stdout == "", args
    assert not out.exists() and not (tmp_path / "r.csv").exists()
    # `approve 1 9999` failed on the second ID before deciding anything: question 1 is still pending
    shown = run(home, "questionnaires", "show", "1").stdout
    assert "approved" not in shown and "rejected" not in shown
    assert run(home, "audit", "list", "--action", "approve").stdout.count("approve") == 0


def test_kb_products_lists_products_with_their_fact_counts(tmp_path):
    home = tmp_path / "home"
    run(home, "kb", "import", str(_library(tmp_path)))
    lines = run(home, "kb", "products").stdout.splitlines()
    assert lines[0].split() == ["chat", "1", "fact(s)"]
    assert lines[1].startswith("(no product)") and lines[1].split()[2] == "3"
    run(home, "kb", "import", "--sample", "--replace")
    listed = {line.split()[0]: int(line.split()[1]) for line in run(home, "kb", "products").stdout.splitlines()
              if not line.startswith("(")}
    assert "planner" in listed and sum(listed.values()) > 0


def test_answer_without_product_says_which_products_exist_and_what_it_matched(tmp_path):
    home = tmp_path / "home"
    run(home, "kb", "import", str(_library(tmp_path)))
    src = _questionnaire(tmp_path)
    proc = run(home, "answer", str(src), "-o", str(tmp_path / "out.xlsx"))
    assert "no --product given" in proc.stderr and "3 product-less fact(s)" in proc.stderr
    assert "chat (1)" in proc.stderr and "Stored as questionnaire 1" in proc.stdout
    proc = run(home, "answer", str(src), "--product", "chat", "-o", str(tmp_path / "out2.xlsx"))
    assert proc.stderr == "" and "Stored as questionnaire 2" in proc.stdout


def test_kb_import_without_an_answer_column_is_one_error_line(tmp_path):
    home = tmp_path / "home"
    bad = tmp_path / "no-answer.csv"
    bad.write_text("ID,Question,Comment\na,Is data encrypted?,AES\n")
    proc = run(home, "kb", "import", str(bad), ok=False)
    _one_line_error(proc, "no-answer.csv", "no Answer column", "nothing was imported")
    assert run(home, "kb", "list").stdout.strip() == "0 fact(s)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("how", ["trustfill app --server.port", "trustfill app --server.port=", "./run.sh --port"])
def test_app_serves_on_the_chosen_port_and_the_banner_names_it(tmp_path, how):
    # `./run.sh --server.port 8611` said "http://localhost:8501" while serving on 8611: issue #20.
    port = _free_port()
    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "TRUSTFILL_HOME": str(tmp_path / "home")}
    env.pop("TRUSTFILL_DATABASE_URL", None)
    cmd = {"trustfill app --server.port": [sys.executable, "-m", "trustfill", "app", "--server.port", str(port)],
           "trustfill app --server.port=": [sys.executable, "-m", "trustfill", "app", f"--server.port={port}"],
           "./run.sh --port": ["bash", str(repo / "run.sh"), "--port", str(port)]}[how]
    proc = subprocess.Popen([*cmd, "--address", "127.0.0.1"], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        banner = proc.stderr.readline()  # printed before the server starts
        while banner and not banner.startswith("Trustfill app:"):  # run.sh's first run: pip's own notes
            banner = proc.stderr.readline()
        assert banner.startswith(f"Trustfill app: http://127.0.0.1:{port} "), banner
        deadline = time.monotonic() + 90
        while not _health(port):
            assert proc.poll() is None and time.monotonic() < deadline, "the app did not serve on the port"
            time.sleep(0.5)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_app_on_a_port_in_use_is_one_error_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run(tmp_path / "home", "app", "--port", str(port), "--address", "127.0.0.1", ok=False)
    _one_line_error(proc, f"Port {port} is already in use", "--port")


def test_server_port_passed_through_is_the_one_port_streamlit_gets():
    from trustfill.cli.app import server_options, streamlit_command

    for extra in (("--server.port", "8611"), ("--server.port=8611",)):
        assert server_options(8501, "localhost", (*extra, "--theme.base", "dark")) == (
            8611, "localhost", ["--theme.base", "dark"])
        cmd = streamlit_command(Path("."), 8501, "localhost", extra)
        assert cmd.count("--server.port") == 1 and cmd[cmd.index("--server.port") + 1] == "8611"
    assert server_options(8501, "localhost", ("--server.address", "0.0.0.0"))[1] == "0.0.0.0"
