"""`trustfill answer`, `trustfill inspect` and `trustfill questionnaires ...`."""

from __future__ import annotations

from pathlib import Path

import click

from trustfill.cli.common import layout_options, service

FILL_CHOICE = click.Choice(["approved", "suggested", "review"])


def _existing_file(path: str) -> Path:
    p = Path(path)
    if not p.exists():
        from trustfill.errors import InputFileError

        raise InputFileError(path, "file not found. Check the path.")
    return p


@click.command()
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.option("--product", "-p", help="The product the questionnaire is about (facts of other products are "
                                       "never used).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Filled copy to write.")
@click.option("--report", type=click.Path(dir_okay=False), help="CSV report: one row per detected question.")
@click.option("--fill", type=FILL_CHOICE, default="suggested", show_default=True,
              help="Which answers go in: approved only, confident suggestions, or also those needing review.")
@click.option("--mark-unreviewed", is_flag=True, help="Mark answers no person has approved as drafts.")
@click.option("--overwrite-prefilled", is_flag=True, help="Replace answers the customer already gave.")
@click.option("--customer", default="", help="Customer name, for the list of questionnaires.")
@layout_options
def answer(questionnaire, product, output, report, fill, mark_unreviewed, overwrite_prefilled, customer,
           overrides) -> None:
    """Answer QUESTIONNAIRE from the knowledge base and write a filled copy.

    The run is also stored in the review workspace under the questionnaire ID it prints, so the
    answers that need a person can be reviewed, approved and exported again (`questionnaires show ID`).
    """
    _existing_file(questionnaire)
    from trustfill.readahead import read_ahead

    # The file is read on the second core while this process imports the service (readahead.py).
    with read_ahead(questionnaire, overrides) as ahead:
        svc = service()
        qid, result = svc.answer_file(questionnaire, product=product, out=output, report=report, fill=fill,
                                      mark_unreviewed=mark_unreviewed, overwrite_prefilled=overwrite_prefilled,
                                      overrides=overrides, customer=customer, ahead=ahead)
    _say_what_product_facts_are_used(svc, product)  # after the run: a failed one prints its error alone
    progress = svc.progress(qid)
    click.echo(f"Stored as questionnaire {qid}: {progress.total} questions: {progress.suggested} suggested, "
               f"{progress.review} to review, {progress.unanswered} unanswered, {progress.prefilled} pre-filled.")
    if progress.held:
        from answerers import fit

        click.echo(f"note: {fit.held_message(progress.held)}")
    click.echo(f"Wrote {result.written} cell(s) to {result.path}" + (f"; report {report}" if report else ""))
    for where, why in result.skipped[:20]:
        click.echo(f"  note {where}: {why}")


def _say_what_product_facts_are_used(svc, product: str | None) -> None:
    """Without --product only the product-less facts are matched: say so when the knowledge base has more."""
    if product:
        return
    counts = svc.product_counts()
    named = ", ".join(f"{name} ({n})" for name, n in counts.items() if name)
    if named:
        click.echo(f"note: no --product given, so only the {counts.get('', 0)} product-less fact(s) were "
                   f"matched; the knowledge base also has facts for: {named}. Give --product to use them.",
                   err=True)


@click.command()
@click.argument("questionnaire", type=click.Path(dir_okay=False))
@click.option("--questions", "show_questions", is_flag=True, help="Also list every detected question.")
@click.option("--json", "as_json", is_flag=True, help="Print the layout as JSON (to edit and pass back).")
@layout_options
def inspect(questionnaire, show_questions, as_json, overrides) -> None:
    """Show the layout intake detects in QUESTIONNAIRE (sheets, header row, columns, question rows)."""
    _existing_file(questionnaire)
    intake = service().inspect_file(questionnaire, overrides)
    if as_json:
        click.echo(intake.layout.model_dump_json(indent=2))
        return
    from trustfill.intake import format_layout

    click.echo(format_layout(intake.layout))
    if show_questions:
        for q in intake.questions:
            target = q.answer_cell or ",".join(q.split_cells.values()) or "-"
            flags = " [pre-filled: " + q.existing_answer + "]" if q.prefilled else ""
            click.echo(f"{q.sheet}!{q.row:<5} {q.ref:<10} -> {target:<8} {q.text[:90]}{flags}")


@click.group()
def questionnaires() -> None:
    """Questionnaires in the review workspace: upload, match, review, export."""


@questionnaires.command("list")
def q_list() -> None:
    """Questionnaires in progress, newest first."""
    for q in service().list_questionnaires():
        p = q["progress"]
        click.echo(f"{q['id']:>4}  {q['name'][:40]:<40} {q['customer'][:20]:<20} {q['product'] or '-':<10} "
                   f"due {q['due_date'] or '-':<10} {p.approved}/{p.total} approved, {p.suggested} suggested, "
                   f"{p.review} review, {p.unanswered} unanswered")


@questionnaires.command("sample")
@click.argument("file", type=click.Path(dir_okay=False))
def q_sample(file: str) -> None:
    """Write the sample questionnaire that ships with Trustfill to FILE (.xlsx), to try the commands on.

    Acme Corp asks the fictional Skyward Apps about its `planner` product; it fits the sample knowledge
    base (`trustfill kb import --sample`).
    """
    import shutil

    from knowledge.service import SAMPLE_QUESTIONNAIRE
    from trustfill.errors import InputFileError

    dest = Path(file)
    if dest.suffix.lower() != ".xlsx":
        raise InputFileError(file, "the sample questionnaire is an Excel workbook; give a name ending in .xlsx.")
    if dest.exists():
        raise InputFileError(file, "already exists; choose another name (it is never overwritten).")
    if not dest.parent.is_dir():
        raise InputFileError(file, f"folder {dest.parent} does not exist.")
    shutil.copyfile(SAMPLE_QUESTIONNAIRE, dest)
    click.echo(f"Wrote the sample questionnaire to {dest}")


@questionnaires.command("upload")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--product", "-p")
@click.option("--customer", default="")
@click.option("--name", default="")
@click.option("--due", type=click.DateTime(["%Y-%m-%d"]), help="Due date, YYYY-MM-DD.")
@click.option("--owner", default="")
@click.option("--match/--no-match", default=True, show_default=True, help="Run matching straight away.")
@layout_options
def q_upload(file, product, customer, name, due, owner, match, overrides) -> None:
    """Upload FILE into the review workspace."""
    _existing_file(file)
    from trustfill.readahead import read_ahead

    with read_ahead(file, overrides) as ahead:  # read on the second core while the service imports
        svc = service()
        qid = svc.upload_questionnaire(file, product=product, customer=customer, name=name,
                                       due_date=due.date() if due else None, owner=owner, overrides=overrides,
                                       ahead=ahead)
    _say_what_product_facts_are_used(svc, product)
    click.echo(f"Uploaded as questionnaire {qid}")
    if match:
        p = svc.run_matching(qid)
        click.echo(f"Matched {p.total}: {p.suggested} suggested, {p.review} review, {p.unanswered} unanswered")


@questionnaires.command("match")
@click.argument("qid", type=int)
def q_match(qid: int) -> None:
    """Run matching again (approved and edited answers are kept)."""
    p = service().run_matching(qid)
    click.echo(f"Matched {p.total}: {p.suggested} suggested, {p.review} review, {p.unanswered} unanswered, "
               f"{p.approved} approved")


@questionnaires.command("show")
@click.argument("qid", type=int)
@click.option("--status", help="Only questions with this match or review status.")
@click.option("--why", is_flag=True, help="Also say why the matcher gave each question its status.")
def q_show(qid: int, status: str | None, why: bool) -> None:
    """List the questions of questionnaire QID with their answers."""
    for r in service().questions(qid):
        if status and status not in (r["match_status"], r["review_status"]):
            continue
        click.echo(f"{r['id']:>6} v{r['version']:<3} {r['sheet'][:18]}!{r['row']:<5} {r['score']:5.1f} "
                   f"{r['match_status']:<10} {r['review_status']:<9} {(r['fact_id'] or '-')[:24]:<24} "
                   f"{r['answer'][:20]:<20} {r['text'][:70]}")
        if why and r.get("match_note"):
            click.echo(f"{'':>11}why: {r['match_note']}")


def _decide(action: str, question_ids) -> None:
    svc = service()
    decide = svc.approve if action == "approve" else svc.reject
    question_ids = list(dict.fromkeys(question_ids))
    for question_id in question_ids:
        svc.question(question_id)  # every ID must exist before the first decision is saved
    for question_id in question_ids:
        decide(question_id)
    click.echo(f"{action.capitalize()}d {len(question_ids)}")


@questionnaires.command("approve")
@click.argument("question_ids", type=int, nargs=-1, required=True)
def q_approve(question_ids) -> None:
    """Approve the answers of QUESTION_IDS."""
    _decide("approve", question_ids)


@questionnaires.command("reject")
@click.argument("question_ids", type=int, nargs=-1, required=True)
def q_reject(question_ids) -> None:
    """Reject the suggested answers of QUESTION_IDS."""
    _decide("reject", question_ids)


@questionnaires.command("bulk-approve")
@click.argument("qid", type=int)
@click.option("--min-score", type=float, default=0.0, show_default=True)
@click.option("--dry-run", is_flag=True, help="List what would be approved; approve nothing.")
def q_bulk_approve(qid: int, min_score: float, dry_run: bool) -> None:
    """Approve every `suggested` answer of QID scoring at least --min-score; prints each one approved."""
    svc = service()
    rows = (svc.bulk_approve_preview(qid, min_score=min_score) if dry_run
            else svc.approve_suggested(qid, min_score=min_score))
    for r in rows:
        where = r["ref"] or f"{r['sheet']}!{r['row']}"
        click.echo(f"{r['id']}\t{where}\t{r['score']:.0f}\t{r['text'][:70]}\t-> {r['answer'][:60]}")
    click.echo(f"{'Would approve' if dry_run else 'Approved'} {len(rows)} answer(s) at confidence {min_score:g} "
               "or above.")


@questionnaires.command("edit")
@click.argument("question_id", type=int)
@click.option("--answer", required=True)
@click.option("--comment", default=None, help="New comment (default: keep the current one).")
def q_edit(question_id: int, answer: str, comment: str | None) -> None:
    """Edit the draft answer of QUESTION_ID."""
    svc = service()
    current = svc.question(question_id)
    svc.edit_answer(question_id, answer=answer, comment=current["comment"] if comment is None else comment,
                    expected_version=current["version"])
    click.echo("Saved")


@questionnaires.command("pick")
@click.argument("question_id", type=int)
@click.argument("fact_id")
def q_pick(question_id: int, fact_id: str) -> None:
    """Answer QUESTION_ID with FACT_ID chosen by hand."""
    service().pick_fact(question_id, fact_id)
    click.echo("Saved")


@questionnaires.command("export")
@click.argument("qid", type=int)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--fill", type=FILL_CHOICE, default="approved", show_default=True)
@click.option("--mark-unreviewed", is_flag=True)
@click.option("--overwrite-prefilled", is_flag=True)
def q_export(qid, output, fill, mark_unreviewed, overwrite_prefilled) -> None:
    """Write the filled copy of questionnaire QID."""
    result = service().export_filled(qid, output, fill=fill, mark_unreviewed=mark_unreviewed,
                                     overwrite_prefilled=overwrite_prefilled)
    click.echo(f"Wrote {result.written} cell(s) to {result.path}")


@questionnaires.command("report")
@click.argument("qid", type=int)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help=".csv or .xlsx")
def q_report(qid, output) -> None:
    """Write the review report of QID (question, answer, fact, confidence, status, reviewer, time)."""
    click.echo(f"Wrote {service().export_review_report(qid, output)}")


@questionnaires.command("delete")
@click.argument("qid", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def q_delete(qid: int, yes: bool) -> None:
    """Delete QID and everything derived from it (stored file, matches, decisions, exports)."""
    svc = service()
    name = svc.questionnaire(qid)["original_filename"]  # an unknown ID fails before the question is asked
    if not yes:
        click.confirm(f"Delete questionnaire {qid} ({name}) and everything derived from it?", abort=True)
    svc.delete_questionnaire(qid)
    click.echo(f"Deleted questionnaire {qid}")


