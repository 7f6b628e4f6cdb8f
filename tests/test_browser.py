"""The real app in headless Chromium: `trustfill app` on a free loopback port with a temporary home.

A new user uploads a dev-set questionnaire, bulk-approves, edits one answer, downloads the filled
workbook, and the answers are found in their cells. Screenshots of each page (and of the audit trail
the session left) go to tests/_artifacts/screenshots/; `--update-screenshots` (or
TRUSTFILL_UPDATE_SCREENSHOTS=1) writes them to docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openpyxl
import pytest

from conftest import BENCH, DEV, needs_shared

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
FABRIKAM = DEV / "Fabrikam_Health_Third-Party_Security_Assessment_Northwind_Forms.xlsx"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
EDITED = "About 250 employees and 40 contractors"

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_shared]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path) -> dict:
    env = dict(os.environ, TRUSTFILL_HOME=str(home), PYTHONPATH=str(REPO))
    env.pop("TRUSTFILL_DATABASE_URL", None)
    return env


@pytest.fixture
def app_url(tf_home):
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    env = _env(tf_home)
    subprocess.run([sys.executable, "-m", "trustfill", "kb", "import", str(BENCH / "library.csv"), "--replace"],
                   cwd=REPO, env=env, check=True, capture_output=True)
    port = _free_port()
    log = open(tf_home / "app.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "trustfill", "app", "--port", str(port), "--address", "127.0.0.1"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start: {(tf_home / 'app.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _shot(page, folder: Path, name: str) -> None:
    # Streamlit scrolls its main section, not the window: back to the top, then let grids and charts paint.
    page.evaluate("() => { for (const el of document.querySelectorAll('[data-testid=stMain], "
                  "[data-testid=stAppScrollToBottomContainer]')) el.scrollTo(0, 0); window.scrollTo(0, 0); }")
    page.wait_for_timeout(2500)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _wait_idle(page) -> None:
    """Until Streamlit has finished the current run (its status widget goes away)."""
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=180_000)


def test_new_user_uploads_bulk_approves_edits_and_downloads(app_url, tf_home, tmp_path, screenshots):
    from playwright.sync_api import expect, sync_playwright

    from exports import fit_answer
    from trustfill.service import Service
    from trustfill.workspace.questionnaires import as_detected

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1100}, accept_downloads=True)
        page.set_default_timeout(60_000)
        # Assertions wait 5 s by default; the first render can take longer on a loaded 2-core machine.
        expect.set_options(timeout=30_000)
        page.goto(app_url)
        expect(page.get_by_role("heading", name="Questionnaires")).to_be_visible()

        # Upload: intake's layout is shown before anything is stored.
        page.locator("input[type=file]").first.set_input_files(str(FABRIKAM))
        expect(page.get_by_text(re.compile(r"88 questions"))).to_be_visible()
        product = page.get_by_role("combobox", name="Product")
        product.click()
        product.fill("forms")  # the drop-down filters as you type
        page.get_by_role("option", name="forms", exact=True).click()
        page.get_by_role("textbox", name="Customer").fill("Fabrikam Health")
        _shot(page, screenshots, "01-questionnaires-upload")
        page.get_by_role("button", name="Add and run matching").click()

        # Matching runs, then the review page opens.
        expect(page.get_by_role("heading", name="Review")).to_be_visible(timeout=180_000)
        _wait_idle(page)
        svc = Service()
        qid = svc.list_questionnaires()[0]["id"]
        suggested = [r for r in svc.questions(qid) if r["match_status"] == "suggested" and r["score"] >= 90]
        assert suggested, "matching suggested nothing at 90+ for the dev questionnaire"
        page.get_by_role("button", name=re.compile(r"Approve \d+ suggested")).click()
        page.get_by_role("button", name=re.compile(r"Approve these \d+")).click()  # after the preview
        expect(page.get_by_text(re.compile(r"Approved \d+ suggested answer"))).to_be_visible()
        _wait_idle(page)
        approved = {r["id"] for r in svc.questions(qid) if r["review_status"] == "approved"}
        assert approved == {r["id"] for r in suggested}

        # Edit one answer in the detail panel (the first question shown) and approve it.
        first = svc.questions(qid)[0]
        answer_box = page.get_by_role("textbox", name="Answer", exact=True)
        expect(answer_box).to_have_count(1)  # the previous run's panel has faded out
        answer_box.fill(EDITED)
        page.get_by_role("button", name="Save and approve").click()
        expect(page.get_by_text("Saved and approved.")).to_be_visible()
        _wait_idle(page)
        edited = svc.question(first["id"])
        assert (edited["answer"], edited["review_status"], edited["origin"][:4]) == (EDITED, "approved", "manu"
                                                                                    if not first["fact_id"]
                                                                                    else "edit")
        if not first["fact_id"]:  # written by hand: the panel offers it to the knowledge base
            expect(page.get_by_role("button", name="Propose as a new fact")).to_be_visible()
        # Taller for this one shot, so the whole detail panel (decisions, proposal, candidates) shows.
        page.set_viewport_size({"width": 1600, "height": 1400})
        _shot(page, screenshots, "02-review")
        page.set_viewport_size({"width": 1600, "height": 1100})

        # Export and download the filled workbook.
        page.get_by_role("link", name="Export").click()
        expect(page.get_by_role("heading", name="Export")).to_be_visible()
        page.get_by_role("button", name="Prepare filled workbook").click()
        expect(page.get_by_text(re.compile(r"\d+ cell\(s\) written"))).to_be_visible()
        with page.expect_download() as info:
            page.get_by_role("button", name="Download filled workbook").click()
        target = tmp_path / "filled.xlsx"
        info.value.save_as(target)
        _shot(page, screenshots, "03-export")

        page.get_by_role("link", name="Knowledge base").click()
        expect(page.get_by_role("heading", name="Knowledge base")).to_be_visible()
        _wait_idle(page)
        _shot(page, screenshots, "04-knowledge-base")
        page.get_by_role("link", name="Overview").click()
        expect(page.get_by_role("heading", name="How answers were approved")).to_be_visible()
        _wait_idle(page)
        _shot(page, screenshots, "05-overview")
        # Single-user local mode acts as admin, so the Admin section is in the navigation.
        page.get_by_role("link", name="Audit trail").click()
        expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
        expect(page.get_by_text(re.compile(r"\d+ entries"))).to_be_visible()
        _wait_idle(page)
        _shot(page, screenshots, "06-audit-trail")
        browser.close()

    # Every approved answer is in its cell; nothing else was written into answer cells.
    wb = openpyxl.load_workbook(target)
    original = openpyxl.load_workbook(FABRIKAM)
    rows = svc.questions(qid)
    for row in rows:
        detected = as_detected(row)
        if row["review_status"] == "approved":
            for write in fit_answer(detected, row["answer"], row["comment"]).writes:
                assert str(wb[write.sheet][write.cell].value or "") == write.value, (row["ref"], write.cell)
        elif detected.answer_cell and not row["prefilled"]:
            ws_new, ws_old = wb[row["sheet"]], original[row["sheet"]]
            assert ws_new[detected.answer_cell].value == ws_old[detected.answer_cell].value
    edited_cell = as_detected(edited).answer_cell
    if as_detected(edited).answer_kind == "text":
        assert wb[edited["sheet"]][edited_cell].value == EDITED
    shutil.copy(tf_home / "app.log", tmp_path / "app.log")
