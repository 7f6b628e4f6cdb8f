"""The README's CLI tour, run as written: the code block is read from README.md and every line runs
in one bash session started beside the repository's .venv (the tour activates it, makes its scratch
folder and fresh TRUSTFILL_HOME itself); each step must exit 0 and print what the tour says it does.

A step added to the README without a check here fails the test, and so does a check whose step
is gone: the tour and this test change together.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest

REPO = Path(__file__).resolve().parent.parent


def tour_steps(readme: str) -> list[str]:
    """The lines of the first ```bash block under the '## CLI tour' heading."""
    section = readme.split("\n## CLI tour\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README.md: the CLI tour has no ```bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def run_tour(steps: list[str], tmp_path: Path) -> list[dict]:
    """Run the steps in one bash session, each one's stdout, stderr and exit code kept apart."""
    logs = tmp_path / "logs"
    logs.mkdir()
    script = ["set +e"]
    for i, step in enumerate(steps):
        # the step on a line of its own: its trailing comment must not swallow the redirections
        script += ["{", step, f"}} >{logs}/{i}.out 2>{logs}/{i}.err", f"echo $? >{logs}/{i}.rc"]
    env = {k: v for k, v in os.environ.items()
           if k not in ("TRUSTFILL_HOME", "TRUSTFILL_DATABASE_URL", "TRUSTFILL_USER", "TRUSTFILL_PASSWORD",
                        "VIRTUAL_ENV")}
    env["TMPDIR"] = str(tmp_path)  # the tour's `mktemp -d` lands in this test's folder
    env["HOME"] = str(tmp_path)  # were TRUSTFILL_HOME not set, nothing of the user's would be touched
    # Where the user starts: a folder holding the repository's .venv. Not the checkout itself, so a
    # tour that forgot its scratch folder could never leave files in the repository.
    start = tmp_path / "start"
    start.mkdir()
    (start / ".venv").symlink_to(REPO / ".venv")
    subprocess.run(["bash", "-c", "\n".join(script)], cwd=start, env=env, timeout=600, check=True)
    return [{"step": step, "out": (logs / f"{i}.out").read_text(), "err": (logs / f"{i}.err").read_text(),
             "rc": int((logs / f"{i}.rc").read_text())} for i, step in enumerate(steps)]


def _command(step: str) -> str:
    return step.split(" #", 1)[0].strip()


@pytest.mark.skipif(not (REPO / ".venv" / "bin" / "activate").is_file(), reason="the tour activates .venv")
def test_readme_cli_tour_runs_as_written(tmp_path):
    steps = tour_steps((REPO / "README.md").read_text(encoding="utf-8"))
    results = run_tour(steps, tmp_path)
    for r in results:
        assert r["rc"] == 0, f"README tour step failed: {r['step']}\n{r['err']}"
        assert "Error:" not in r["err"] and "Traceback" not in r["err"], r["step"]

    scratch = [p for p in tmp_path.iterdir() if p.is_dir() and p.name.startswith("tmp")]
    assert len(scratch) == 1, "the tour makes one scratch folder with mktemp -d"
    work = scratch[0]
    assert (work / "home").is_dir(), "the tour's state lives in its own TRUSTFILL_HOME"
    seen: dict[str, int] = {}

    def check(command: str, out: str, err: str) -> None:
        if command == "source .venv/bin/activate" or command.startswith(("cd ", "export TRUSTFILL_HOME=")):
            return
        if command == "trustfill kb import --sample":
            assert re.search(r"\d+ added, 0 changed, 0 unchanged; \d+ facts in the knowledge base", out)
        elif command == "trustfill kb products":
            lines = out.splitlines()
            assert any(line.split()[:1] == ["planner"] for line in lines)
            assert lines[-1].startswith("(no product)") and "used for every questionnaire" in lines[-1]
        elif command == "trustfill kb list --product planner --search backup":
            assert "backup" in out.lower() and re.search(r"^[1-9]\d* fact\(s\)$", out.splitlines()[-1])
        elif command == "trustfill questionnaires sample questionnaire.xlsx":
            assert "Wrote the sample questionnaire" in out
            openpyxl.load_workbook(work / "questionnaire.xlsx")
        elif command == "trustfill inspect questionnaire.xlsx --questions":
            seen["questions"] = int(re.search(r"(\d+) questions on", out).group(1))
            assert seen["questions"] > 10 and "header row" in out
        elif command.startswith("trustfill answer questionnaire.xlsx --product planner"):
            assert out.startswith(f"Stored as questionnaire 1: {seen['questions']} questions"), out
            assert err == ""  # --product given: no note about the product-less facts
            with (work / "report.csv").open(newline="") as fh:
                assert len(list(csv.DictReader(fh))) == seen["questions"]
            assert int(re.search(r"Wrote (\d+) cell", out).group(1)) > 0
            openpyxl.load_workbook(work / "filled.xlsx")
        elif command == "trustfill questionnaires show 1 --why":
            rows = [line for line in out.splitlines() if not line.lstrip().startswith("why:")]
            assert len(rows) == seen["questions"] and out.count("why: ") == seen["questions"]
            assert all(re.search(r" (suggested|review|unanswered) +pending ", row) for row in rows)
        elif command == "trustfill questionnaires bulk-approve 1 --min-score 90":
            done = re.search(r"^Approved (\d+) answer\(s\) at confidence 90 or above\.$", out, re.M)
            seen["approved"] = int(done.group(1))
            assert seen["approved"] > 0 and len(out.splitlines()) == seen["approved"] + 1  # one line each
        elif command == "trustfill questionnaires export 1 -o approved.xlsx":
            assert re.fullmatch(r"Wrote [1-9]\d* cell\(s\) to approved\.xlsx\n", out), out
            openpyxl.load_workbook(work / "approved.xlsx")
        elif command.startswith("trustfill questionnaires upload questionnaire.xlsx --product planner"):
            assert out.startswith("Uploaded as questionnaire 2\n"), out
        elif command == "trustfill questionnaires list":
            lines = out.splitlines()
            assert [line.split()[0] for line in lines] == ["2", "1"]  # newest first
            assert "Acme" in lines[0] and f"{seen['approved']}/{seen['questions']} approved" in lines[1]
        elif command == "trustfill kb export kb.xlsx":
            assert out == "Wrote kb.xlsx\n"
            assert openpyxl.load_workbook(work / "kb.xlsx").active.max_row > 50
        else:
            raise AssertionError(f"README tour step with no check in {__name__}: {command}")
        seen[command] = 1

    for r in results:
        check(_command(r["step"]), r["out"], r["err"])
    assert sum(1 for k in seen if k.startswith("trustfill")) == len(
        [s for s in steps if _command(s).startswith("trustfill")])


def test_tour_parser_reads_the_block_under_the_heading():
    readme = "# T\n\n## CLI tour\n\ntext\n\n```bash\na  # one\n\nb\n```\n\n## Next\n\n```bash\nc\n```\n"
    assert tour_steps(readme) == ["a  # one", "b"]
