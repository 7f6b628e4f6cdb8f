"""Harvest: filled questionnaires become knowledge-base proposals (#19).

Small workbooks and CSVs are generated here, one per way a vendor fills a questionnaire; the real
HECVAT 3 file in ../shared carries the issue's "done when" figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from conftest import QUESTIONNAIRES, needs_shared
from knowledge.harvest_read import category_of, is_form_field, read_filled
from trustfill.errors import InputFileError, PermissionDenied
from trustfill.roles import Actor
from trustfill.service import Service

HECVAT3 = QUESTIONNAIRES / "hecvat-3-filled-opendsa-2022.xlsx"
FORM = [("Vendor Name", "Skyward Apps"), ("Vendor Contact Email", "sec@skyward.example"),
        ("Date", "2025-03-14"), ("Web Link to Privacy Notice", "https://skyward.example/privacy"),
        ("Vendor Contact Phone Number", "+44 20 7946 0000")]
PRACTICES = [
    "Access control",
    ("Do you enforce multi-factor authentication for administrators?", "Yes", "Hardware keys for all admins."),
    ("Is customer data encrypted at rest?", "Yes", "AES-256 with keys in a KMS."),
    ("Do you run an annual external penetration test?", "No", "We run quarterly internal tests."),
    "Privacy",
    ("Do you process protected health information?", "N/A", "We hold no health data."),
    ("Do you sell customer data to third parties?", "", "No, never."),
    ("Which regions can customer data be stored in?", "", "EU (Frankfurt) or US (Oregon), chosen per tenant."),
    ("Are backups restored and tested every quarter?", "", ""),
]


def yes_no_workbook(path: Path, rows=PRACTICES, *, form=FORM, merged: tuple[int, ...] = ()) -> Path:
    """HECVAT style: ID | Question | Answer (a Yes/No/N/A dropdown) | Explanation, the vendor's details as
    the first rows of the table, section headings between the questions; ``merged`` question numbers have
    their question, answer and explanation cells merged over two rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    for c, h in enumerate(["ID", "Question", "Answer", "Explanation"], 1):
        ws.cell(1, c, h)
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"')
    ws.add_data_validation(dv)
    r, n = 2, 0
    for label, value in form:
        ws.cell(r, 1, f"GNRL-{r - 1:02d}")
        ws.cell(r, 2, label)
        ws.cell(r, 3, value)
        r += 1
    for item in rows:
        if isinstance(item, str):
            ws.cell(r, 1, item)
            r += 1
            continue
        question, answer, comment = item
        n += 1
        ws.cell(r, 1, f"Q-{n:02d}")
        ws.cell(r, 2, question)
        ws.cell(r, 3, answer or None)
        ws.cell(r, 4, comment or None)
        dv.add(f"C{r}")
        if n in merged:
            for col in (2, 3, 4):
                ws.merge_cells(start_row=r, start_column=col, end_row=r + 1, end_column=col)
            r += 1
        r += 1
    wb.save(path)
    return path


def split_workbook(path: Path) -> Path:
    """CAIQ style: Yes | No | N/A columns where the vendor puts an X, and a Notes column."""
    wb = Workbook()
    ws = wb.active
    ws.title = "CAIQ"
    ws.append(["Control Domain", "Question ID", "Question", "Yes", "No", "N/A", "Notes"])
    ws.append(["Identity", "IAM-01", "Do you enforce multi-factor authentication for administrators?", "X", None, None,
               "Hardware keys."])
    ws.append([None, "IAM-02", "Do you allow shared administrator accounts?", None, "x", None, None])
    ws.append([None, "IAM-03", "Do you support login with smart cards?", None, None, "X", "Not offered."])
    ws.append([None, "IAM-04", "Do you review access rights every quarter?", "X", "X", None, None])
    ws.append([None, "IAM-05", "Do you log every administrator sign-in?", None, None, None, None])
    wb.save(path)
    return path


def csv_answers(path: Path, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Question", "Answer", "Comment"])
        writer.writerows(rows)
    return path


@pytest.fixture
def svc(tf_home):
    Service().set_match_settings(semantic=False)
    return Service(actor=Actor("lead", "approver"))


def pending(svc: Service, kind: str | None = None):
    return svc.proposals(kind=kind)


def facts_proposed(svc: Service) -> dict:
    return {f.question: f for f in svc.facts(statuses=("proposed",))}


# ---- reading what the vendor wrote
def test_yes_no_with_explanation_column_becomes_proposed_facts(svc, tmp_path):
    result = svc.harvest_files([yes_no_workbook(tmp_path / "filled.xlsx")], product="", label="2025 answers")
    (outcome,) = result.files
    assert (outcome.answered, outcome.form_fields, outcome.unanswered) == (6, 5, 1)
    assert dict(outcome.new) == {"fact": 6}
    facts = facts_proposed(svc)
    mfa = facts["Do you enforce multi-factor authentication for administrators?"]
    assert (mfa.answer, mfa.comment, mfa.category, mfa.status) == ("Yes", "Hardware keys for all admins.",
                                                                     "Access control", "proposed")
    assert mfa.last_reviewed == dt.date(2025, 3, 14)  # the workbook's own "Date" field, not today
    assert mfa.source == "filled.xlsx Security!C8"
    (proposal,) = [p for p in pending(svc, "fact") if p.fact_id == mfa.id]
    assert proposal.sources == [{"origin": "harvest", "file": "filled.xlsx", "sha256": outcome.sha256,
                                 "sheet": "Security", "cell": "C8", "harvest": "2025 answers"}]
    # Nothing harvested answers a question until an approver accepts it.
    assert svc.facts() == []


def test_form_fields_are_kept_out(svc, tmp_path):
    filled = read_filled(yes_no_workbook(tmp_path / "filled.xlsx"))
    assert set(filled.form_fields) == {label for label, _ in FORM}
    svc.harvest_files([tmp_path / "filled.xlsx"])
    questions = " ".join(facts_proposed(svc))
    for label, value in FORM:
        assert label not in questions
    # A question-shaped row whose answer is only an e-mail address or a link is a form field too.
    path = csv_answers(tmp_path / "contacts.csv", [
        ("Who should we contact about security incidents?", "security@skyward.example", ""),
        ("Where is your status page?", "https://status.skyward.example", ""),
        ("Do you publish a status page?", "Yes", "status.skyward.example")])
    result = svc.harvest_files([path])
    assert (result.files[0].answered, result.files[0].form_fields) == (1, 2)


@pytest.mark.parametrize(("question", "answer", "form"), [
    ("Vendor Hosting Regions", "EU, US", True),  # a label about the respondent
    ("Who is your security contact?", "security@skyward.example", True),
    ("Support phone number", "+44 20 7946 0000", True),
    ("Date of your last penetration test?", "2024-11-02", True),  # a bare date dates, it is no practice
    ("How long have you operated this service?", "2019 - 2023", False),  # a year range is no phone number
    ("Do you encrypt backups?", "Yes", False),
    ("Describe your patching process.", "Critical patches within 72 hours.", False),
])
def test_form_field_or_practice(question, answer, form):
    assert is_form_field(question, answer) is form


@pytest.mark.parametrize(("section", "category"), [
    ("HIPAA - Optional based on QUALIFIER response.", "HIPAA"),  # HECVAT 3: the instruction is not the category
    ("DRP - Respond to as many questions below as possible.", "DRP"),
    ("SECTION 1 - GOVERNANCE", "SECTION 1 - GOVERNANCE"),
    ("Application & Interface Security", "Application & Interface Security"),
])
def test_category_is_the_heading_without_its_instruction(section, category):
    assert category_of(section) == category


def test_the_stated_date_is_the_completion_date_not_a_date_asked_about(tmp_path):
    form = [("Date of last penetration test", "2024-11-02"), ("Date completed", "2025-03-14")]
    assert read_filled(yes_no_workbook(tmp_path / "a.xlsx", form=form)).stated_date == dt.date(2025, 3, 14)
    assert read_filled(yes_no_workbook(tmp_path / "b.xlsx", form=form[:1])).stated_date is None


def test_answer_only_in_the_comment_column(svc, tmp_path):
    svc.harvest_files([yes_no_workbook(tmp_path / "filled.xlsx")])
    facts = facts_proposed(svc)
    sell = facts["Do you sell customer data to third parties?"]
    assert (sell.answer, sell.comment) == ("No", "never.")  # the leading No is the answer
    regions = facts["Which regions can customer data be stored in?"]
    assert (regions.answer, regions.comment) == ("EU (Frankfurt) or US (Oregon), chosen per tenant.", "")
    assert "Are backups restored and tested every quarter?" not in facts  # nothing written: not answered


def test_na_answers_are_kept_and_equal_other_spellings_of_na(svc, tmp_path):
    svc.harvest_files([yes_no_workbook(tmp_path / "filled.xlsx")])
    phi = facts_proposed(svc)["Do you process protected health information?"]
    assert (phi.answer, phi.comment) == ("N/A", "We hold no health data.")
    svc.accept_proposals([p.id for p in pending(svc)])
    again = csv_answers(tmp_path / "other.csv", [("Do you process protected health information?", "Not applicable",
                                                   "")])
    result = svc.harvest_files([again])
    assert dict(result.files[0].new) == {}  # the same answer, the same wording: nothing to learn


def test_split_yes_no_na_columns(svc, tmp_path):
    result = svc.harvest_files([split_workbook(tmp_path / "caiq.xlsx")])
    (outcome,) = result.files
    facts = facts_proposed(svc)
    assert facts["Do you enforce multi-factor authentication for administrators?"].answer == "Yes"
    assert facts["Do you enforce multi-factor authentication for administrators?"].comment == "Hardware keys."
    assert facts["Do you allow shared administrator accounts?"].answer == "No"
    assert facts["Do you support login with smart cards?"].answer == "N/A"
    assert facts["Do you support login with smart cards?"].category == "Identity"
    # Two columns marked is a contradiction in the file: skipped and said so, not guessed.
    assert "Do you review access rights every quarter?" not in facts
    assert outcome.skipped and "more than one" in outcome.skipped[0][1]
    assert (outcome.answered, outcome.unanswered) == (3, 1)


def test_merged_answer_cells(svc, tmp_path):
    path = yes_no_workbook(tmp_path / "merged.xlsx", merged=(2, 3))
    svc.harvest_files([path])
    facts = facts_proposed(svc)
    enc = facts["Is customer data encrypted at rest?"]
    assert (enc.answer, enc.comment) == ("Yes", "AES-256 with keys in a KMS.")
    pen = facts["Do you run an annual external penetration test?"]
    assert pen.answer == "No" and pen.source.endswith("!C11")  # the merged range's first cell holds it


def test_csv_of_past_answers(svc, tmp_path):
    path = csv_answers(tmp_path / "past.csv", [
        ("Do you enforce multi-factor authentication for administrators?", "Yes", "Hardware keys."),
        ("Is customer data encrypted in transit?", "Yes", "TLS 1.2 or later."),
        ("Is there a bug bounty programme?", "", "")])
    result = svc.harvest_files([path], product="Planner")
    assert (result.files[0].answered, dict(result.files[0].new)) == (2, {"fact": 2})
    tls = facts_proposed(svc)["Is customer data encrypted in transit?"]
    assert (tls.answer, tls.comment, tls.product, tls.last_reviewed) == ("Yes", "TLS 1.2 or later.", "Planner",
                                                                          dt.date.today())


# ---- deduplicated against what is known
def test_same_file_again_proposes_nothing_and_each_harvest_is_audited(svc, tmp_path):
    path = yes_no_workbook(tmp_path / "filled.xlsx")
    first = svc.harvest_files([path])
    before = [(p.id, p.sources) for p in pending(svc)]
    second = svc.harvest_files([path])
    assert sum(first.new.values()) == 6 and sum(second.new.values()) == 0
    assert [(p.id, p.sources) for p in pending(svc)] == before  # no source added twice either
    svc.accept_proposals([p.id for p in pending(svc)])
    assert sum(svc.harvest_files([path]).new.values()) == 0  # accepted: they are the facts now
    rows = svc.audit_log(action="kb_harvest")
    assert len(rows) == 3 and {r["details"]["sha256"] for r in rows} == {first.files[0].sha256}
    assert rows[-1]["details"]["proposed"] == {"fact": 6} or rows[0]["details"]["proposed"] == {"fact": 6}


def test_changed_answers_are_exactly_the_conflicts(svc, tmp_path):
    rows = [(f"Do you enforce control number {i} of the security baseline on every production server?",
             "Yes" if i % 2 else "No", f"Control {i} is checked by configuration management.") for i in range(40)]
    svc.harvest_files([yes_no_workbook(tmp_path / "a.xlsx", rows)])
    svc.accept_proposals([p.id for p in pending(svc)])
    changed = {3, 11, 19, 27, 35}
    edited = [(q, ("No" if a == "Yes" else "Yes") if i in changed else a, c) for i, (q, a, c) in enumerate(rows)]
    result = svc.harvest_files([yes_no_workbook(tmp_path / "b.xlsx", edited)])
    assert dict(result.new) == {"conflict": 5}
    conflicts = pending(svc, "conflict")
    assert sorted(p.wording for p in conflicts) == sorted(rows[i][0] for i in changed)
    p = conflicts[0]
    assert p.payload["answer"] != p.payload["fact_answer"]
    # Accepting a conflict takes the file's answer into the fact.
    svc.accept_proposals([p.id])
    assert svc.fact(p.fact_id).answer == p.payload["answer"]


def test_two_files_one_proposal_with_both_sources_and_their_disagreement_a_conflict(svc, tmp_path):
    a = csv_answers(tmp_path / "acme.csv", [("Do you encrypt customer data at rest?", "Yes", "AES-256."),
                                            ("Do you allow shared administrator accounts?", "No", "")])
    b = csv_answers(tmp_path / "globex.csv", [("Do you encrypt customer data at rest?", "Yes", "AES-256."),
                                              ("Do you allow shared administrator accounts?", "Yes", "Break-glass.")])
    result = svc.harvest_files([a, b])
    assert [dict(f.new) for f in result.files] == [{"fact": 2}, {"conflict": 1}]
    (enc,) = [p for p in pending(svc, "fact") if "encrypt" in p.wording]
    assert [s["file"] for s in enc.sources] == ["acme.csv", "globex.csv"]
    (conflict,) = pending(svc, "conflict")
    assert (conflict.payload["answer"], conflict.payload["fact_answer"]) == ("Yes", "No")
    # Accepting everything at once: the new fact first, then its conflict (the fact's acceptance is no change
    # to what it answers, so the conflict still holds).
    svc.accept_proposals([p.id for p in pending(svc)])
    fact = svc.fact(conflict.fact_id)
    assert (fact.status, fact.answer, fact.comment) == ("active", "Yes", "Break-glass.")


def test_a_paraphrase_joins_the_pending_fact_and_becomes_its_alternate(svc, tmp_path):
    a = csv_answers(tmp_path / "a.csv", [("Do you enforce multi-factor authentication for administrators?", "Yes", "")])
    b = csv_answers(tmp_path / "b.csv", [("Is multi-factor authentication enforced for administrators?", "Yes", "")])
    svc.harvest_files([a])
    svc.harvest_files([b])
    (proposal,) = pending(svc)
    assert proposal.payload["wordings"] == ["Is multi-factor authentication enforced for administrators?"]
    assert len(proposal.sources) == 2
    svc.accept_proposals([proposal.id])
    fact = svc.fact(proposal.fact_id)
    assert fact.status == "active"
    assert fact.alternate_questions == ["Is multi-factor authentication enforced for administrators?"]


def test_matches_the_knowledge_base_as_alternates_and_conflicts(svc, tmp_path):
    svc.import_sample()
    mfa = svc.fact("customer-mfa")  # "Yes (TOTP and WebAuthn)"
    path = csv_answers(tmp_path / "old.csv", [
        (mfa.question, "Yes", mfa.comment),  # its own wording, the same answer: nothing new
        ("Is 2FA available for end users of the service?", "Yes", "Authenticator apps."),  # a new wording
        (mfa.alternate_questions[0], "No", "Not yet."),  # its wording, another answer: a conflict
    ])
    result = svc.harvest_files([path])
    assert dict(result.files[0].new) == {"alternate": 1, "conflict": 1}
    assert result.files[0].known == 1
    (alternate,) = pending(svc, "alternate")
    assert (alternate.fact_id, alternate.wording) == ("customer-mfa", "Is 2FA available for end users of the service?")
    (conflict,) = pending(svc, "conflict")
    assert (conflict.fact_id, conflict.payload["answer"], conflict.payload["fact_answer"]) == (
        "customer-mfa", "No", "Yes (TOTP and WebAuthn)")
    svc.accept_proposals([alternate.id])
    assert "Is 2FA available for end users of the service?" in svc.fact("customer-mfa").alternate_questions


def test_another_products_fact_is_not_this_products_answer(svc, tmp_path):
    from knowledge.model import Fact

    question = "Do you keep customer data in the EU only?"
    svc.save_fact(Fact(id="eu-only-wiki", question=question, answer="Yes", product="wiki"), expected_version=None)
    svc.save_fact(Fact(id="eu-only-planner", question=question, answer="No", product="planner"),
                  expected_version=None)
    path = csv_answers(tmp_path / "a.csv", [(question, "Yes", "")])
    assert dict(svc.harvest_files([path], product="Wiki").new) == {}  # wiki's own fact says so already
    assert dict(svc.harvest_files([path], product="planner").new) == {"conflict": 1}
    (conflict,) = pending(svc, "conflict")
    assert conflict.fact_id == "eu-only-planner"
    result = svc.harvest_files([path], product="timesheets")  # no fact of timesheets, nor product-less
    assert dict(result.new) == {"fact": 1}
    (new,) = svc.facts(statuses=("proposed",))
    assert new.product == "timesheets"


def test_a_discarded_proposal_is_never_proposed_again(svc, tmp_path):
    path = csv_answers(tmp_path / "a.csv", [("Do you keep a register of company laptops?", "Yes", "")])
    svc.harvest_files([path])
    (proposal,) = pending(svc)
    svc.discard_proposals([proposal.id])
    (decision,) = svc.audit_log(action="proposal_discard")
    assert decision["details"]["sha256"] == [proposal.sources[0]["sha256"]]  # which file the decision was about
    assert sum(svc.harvest_files([path]).new.values()) == 0
    assert svc.fact(proposal.fact_id).status == "retired"
    # Declined on the Knowledge base page (the fact retired, its proposal left open): not proposed again either.
    other = csv_answers(tmp_path / "b.csv", [("Do you keep a register of company phones?", "Yes", "")])
    svc.harvest_files([other])
    (fact,) = svc.facts(statuses=("proposed",))
    svc.retire_fact(fact.id, expected_version=fact.version)
    disagreeing = csv_answers(tmp_path / "c.csv", [("Do you keep a register of company phones?", "No", "")])
    assert sum(svc.harvest_files([disagreeing]).new.values()) == 0  # no conflict with a declined fact
    assert pending(svc) == []  # retiring the proposed fact closed its proposal too


def test_a_viewer_may_not_harvest_and_a_bad_file_proposes_nothing(svc, tmp_path):
    good = yes_no_workbook(tmp_path / "filled.xlsx")
    with pytest.raises(PermissionDenied):
        Service(actor=Actor("v", "viewer")).harvest_files([good])
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(InputFileError, match="broken.xlsx"):
        svc.harvest_files([good, bad])
    assert pending(svc) == [] and svc.audit_log(action="kb_harvest") == []


def test_cli_harvest_then_accept(tf_home, tmp_path, capsys):
    from trustfill.cli.main import main

    path = yes_no_workbook(tmp_path / "filled.xlsx")
    assert main(["kb", "harvest", str(path), "--source", "2025"]) == 0
    out = capsys.readouterr().out
    assert "6 fact" in out and "5 form field(s)" in out
    assert main(["kb", "proposals", "--sources"]) == 0
    assert "filled.xlsx Security!C8" in capsys.readouterr().out
    assert main(["kb", "proposals", "accept", "--all"]) == 0
    assert "Accepted 6 proposal(s)" in capsys.readouterr().out
    assert main(["kb", "harvest", str(path)]) == 0
    assert "nothing new" in capsys.readouterr().out
    folder = tmp_path / "answered"
    folder.mkdir()
    shutil.copyfile(path, folder / "filled.xlsx")
    csv_answers(folder / "more.csv", [("Do you keep a register of company laptops?", "Yes", "")])
    (folder / "~$filled.xlsx").write_bytes(b"Excel's lock file")
    (folder / "notes.txt").write_text("not a questionnaire")
    assert main(["kb", "harvest", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "filled.xlsx: 6 answered question(s): nothing new" in out and "more.csv: 1 answered" in out
    assert main(["kb", "harvest", str(tmp_path / "nope.xlsx")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error:") and "nope.xlsx" in err[0]


def test_answer_overwrite_prefilled_writes_the_knowledge_base_answer(svc, tmp_path):
    """Before: the customer's own answers were written back over themselves."""
    rows = [("Do you enforce multi-factor authentication for administrators?", "Yes", "Hardware keys.")]
    svc.harvest_files([yes_no_workbook(tmp_path / "a.xlsx", rows, form=[])])
    svc.accept_proposals([p.id for p in pending(svc)])
    prefilled = yes_no_workbook(tmp_path / "b.xlsx", [(rows[0][0], "No", "old answer")], form=[])
    out = tmp_path / "out.xlsx"
    svc.answer_file(prefilled, product=None, out=out, overwrite_prefilled=True)
    ws = openpyxl.load_workbook(out).active
    assert (ws["C2"].value, ws["D2"].value) == ("Yes", "Hardware keys.")
    svc.answer_file(prefilled, product=None, out=out)
    ws = openpyxl.load_workbook(out).active
    assert (ws["C2"].value, ws["D2"].value) == ("No", "old answer")  # by default the customer's answer stays


# ---- the real HECVAT 3, filled by its vendor
def _edited_copy(src: Path, dest: Path, sheet: str, values: dict[str, str]) -> Path:
    """A copy with some cells' text changed in the sheet XML itself: saving with openpyxl would drop the
    cached values of HECVAT's formula-built question cells (and its x14 dropdowns)."""
    with zipfile.ZipFile(src) as zin:
        workbook = zin.read("xl/workbook.xml").decode()
        rels = zin.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet name="{re.escape(sheet)}"[^>]*r:id="(rId\d+)"', workbook).group(1)
        part = "xl/" + re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"', rels).group(1)
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == part:
                    xml = data.decode()
                    for cell, text in values.items():
                        xml, n = re.subn(rf'<c r="{cell}"([^>]*?)(?: t="[^"]*")?>.*?</c>',
                                         rf'<c r="{cell}"\1 t="inlineStr"><is><t>{text}</t></is></c>', xml, count=1)
                        assert n == 1, cell
                    data = xml.encode()
                zout.writestr(info, data)
    return dest


@needs_shared
def test_hecvat3_round_trip_second_harvest_and_five_conflicts(svc, tmp_path):
    result = svc.harvest_files([HECVAT3])
    (outcome,) = result.files
    assert outcome.answered >= 150 and outcome.form_fields >= 10
    svc.accept_proposals([p.id for p in pending(svc)])
    report = tmp_path / "report.csv"
    svc.answer_file(HECVAT3, product=None, out=tmp_path / "out.xlsx", report=report, overwrite_prefilled=True)
    with open(report, encoding="utf-8") as fh:
        by_row = {(r["sheet"], int(r["row"])): r for r in csv.DictReader(fh)}
    filled = read_filled(HECVAT3)
    back = sum(1 for a in filled.answered
               if (r := by_row[(a.sheet, int(a.cell[1:]))])["status"] == "suggested"
               and (r["answer"], r["comment"]) == (a.answer, a.comment))
    assert back / len(filled.answered) >= 0.95, (back, len(filled.answered))

    assert sum(svc.harvest_files([HECVAT3]).new.values()) == 0

    yes_no = [a for a in filled.answered if a.answer in ("Yes", "No")]
    changed = yes_no[5:50:9][:5]
    copy = _edited_copy(HECVAT3, tmp_path / "hecvat-3-changed.xlsx", "HECVAT - Full",
                        {a.cell: "No" if a.answer == "Yes" else "Yes" for a in changed})
    conflicts = svc.harvest_files([copy])
    assert dict(conflicts.new) == {"conflict": 5}
    assert sorted(p.wording for p in pending(svc, "conflict")) == sorted(a.question for a in changed)


@needs_shared
def test_hecvat3_into_the_sample_proposes_alternates_not_duplicate_facts(tf_home, tmp_path):
    Service().set_match_settings(semantic=False)
    empty = Service().harvest_files([HECVAT3]).new
    shutil.rmtree(tf_home)
    tf_home.mkdir()
    from trustfill.db import dispose_all

    dispose_all()
    svc = Service()
    svc.set_match_settings(semantic=False)
    svc.import_sample()
    sample = svc.harvest_files([HECVAT3]).new
    # The questions the sample already answers turn into alternates (or conflicts), not new facts.
    assert sample["alternate"] >= 10, sample
    assert sample["fact"] + sample["alternate"] + sample["conflict"] >= empty["fact"] - 2
    assert sample["fact"] <= empty["fact"] - sample["alternate"], (sample, empty)


# ---- the Harvest step of the Knowledge base page
def test_app_harvest_step_uploads_shows_progress_and_proposes(tf_home, tmp_path):
    from streamlit.testing.v1 import AppTest

    Service().set_match_settings(semantic=False)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("trustfill/app_pages/knowledge.py").run()
    assert not at.exception, at.exception
    data = yes_no_workbook(tmp_path / "filled.xlsx").read_bytes()
    at.file_uploader(key="hv_upload_0").set_value(("our 2025 answers.xlsx", data, "application/octet-stream")).run()
    at.text_input(key="hv_label").set_value("HECVAT 2025").run()
    at.button(key="hv_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    # The app's first run loaded the sample knowledge base: some answers are known facts' wordings or conflicts.
    assert any("6 proposal(s)" in s.value for s in at.success), [s.value for s in at.success]
    proposals = Service().proposals()
    assert len(proposals) == 6
    assert {s["file"] for p in proposals for s in p.sources} == {"our 2025 answers.xlsx"}
    assert {s["harvest"] for p in proposals for s in p.sources} == {"HECVAT 2025"}
    (shown,) = [d.value for d in at.dataframe if "Form fields left out" in d.value.columns]
    row = shown.iloc[0]
    assert (row["New facts"] + row["New wordings"] + row["Conflicts"], row["Form fields left out"]) == (6, 5)
    # A file that is not a questionnaire: an error box, nothing proposed.
    at.file_uploader(key="hv_upload_1").set_value(("notes.xlsx", b"not a workbook", "application/octet-stream")).run()
    at.button(key="hv_run").click().run()
    assert not at.exception, at.exception
    assert any("notes.xlsx" in e.value.replace("\\", "") for e in at.error)  # shown Markdown-escaped
    assert len(Service().proposals()) == 6


# ---- hostile files: the same clear errors as an upload, and nothing proposed
@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    cache: dict = {}
    root = tmp_path_factory.mktemp("hostile-harvest")

    def get(builder) -> Path:
        if builder not in cache:
            folder = root / builder.__name__
            folder.mkdir()
            cache[builder] = builder(folder)
        return cache[builder]

    return get


def _questionnaire_cases():
    from test_hostile import CASES

    return [c for c in CASES if c.kind == "questionnaire"]


@pytest.mark.parametrize("case", _questionnaire_cases(), ids=lambda c: c.name)
def test_hostile_files(tf_home, hostile_files, case):
    from trustfill.config import Limits
    from trustfill.errors import TrustfillError

    path = hostile_files(case.build)
    svc = Service(limits=Limits(**case.limits) if case.limits else None)
    if case.error:
        # Two file types an upload refuses by name before reading; harvest leaves that to the readers.
        own = {"legacy .xls": r"legacy Excel 97-2003 \(\.xls\) file", ".exe upload": r"unsupported file type '\.exe'"}
        with pytest.raises(TrustfillError, match=own.get(case.name, case.error)):
            svc.harvest_files([path])
        assert svc.proposals(statuses=None) == [] and svc.audit_log(action="kb_harvest") == []
    else:
        result = svc.harvest_files([path])
        assert len(result.files) == 1
