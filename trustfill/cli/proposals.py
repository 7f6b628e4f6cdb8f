"""`trustfill kb proposals ...`: knowledge-base changes waiting for an approver (learned wordings,
harvested facts, conflicts). Thin over the service's ProposalOps."""

from __future__ import annotations

import click

from trustfill.cli.common import service

STATUSES = ("pending", "accepted", "discarded", "applied", "undone", "all")


def _source(source: dict) -> str:
    if source.get("origin") == "approval":
        return (f"approved by {source.get('approver', '?')} in questionnaire {source.get('questionnaire')}, "
                f"{source.get('sheet', '')} row {source.get('row', '')}")
    if source.get("file"):
        return f"{source['file']} {source.get('sheet', '')}!{source.get('cell', '')}".strip()
    return ", ".join(f"{k}={v}" for k, v in source.items())


@click.group("proposals", invoke_without_command=True)
@click.option("--kind", type=click.Choice(["alternate", "fact", "conflict"]), help="Only this kind.")
@click.option("--status", type=click.Choice(STATUSES), default="pending", show_default=True)
@click.option("--sources", is_flag=True, help="Also print where each proposal came from.")
@click.pass_context
def proposals(ctx: click.Context, kind: str | None, status: str, sources: bool) -> None:
    """List knowledge-base proposals (pending by default); accept or discard them with the subcommands."""
    if ctx.invoked_subcommand is not None:
        return
    rows = service().proposals(kind=kind, statuses=None if status == "all" else (status,))
    for p in rows:
        click.echo(f"{p.id:>5}  {p.kind:<9} {p.status:<9} {p.fact_id:<30} {p.wording}")
        if p.kind == "conflict":
            click.echo(f"{'':>16}proposed: {p.payload.get('answer', '')} | {p.payload.get('comment', '')}")
            click.echo(f"{'':>16}the fact: {p.payload.get('fact_answer', '')} | {p.payload.get('fact_comment', '')}")
        if sources:
            for s in p.sources:
                click.echo(f"{'':>16}from {_source(s)}")
    click.echo(f"{len(rows)} proposal(s)" + ("" if status == "all" else f" {status}") + ".", err=True)


def _ids(ids: tuple[int, ...], take_all: bool, kind: str | None) -> list[int]:
    if take_all == bool(ids):
        raise click.UsageError("Give proposal IDs or --all (one of them).")
    return list(ids) if ids else [p.id for p in service().proposals(kind=kind)]


@proposals.command("accept")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "take_all", is_flag=True, help="Every pending proposal (of --kind, if given).")
@click.option("--kind", type=click.Choice(["alternate", "fact", "conflict"]))
def accept(ids: tuple[int, ...], take_all: bool, kind: str | None) -> None:
    """Accept proposals: wordings join their fact, new facts become active, conflicts take the new answer."""
    chosen = _ids(ids, take_all, kind)
    if not chosen:
        click.echo("Nothing pending.")
        return
    done = service().accept_proposals(chosen)
    for p in done:
        click.echo(f"accepted {p.id}: {p.summary}")
    click.echo(f"Accepted {len(done)} proposal(s).")


@proposals.command("discard")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "take_all", is_flag=True, help="Every pending proposal (of --kind, if given).")
@click.option("--kind", type=click.Choice(["alternate", "fact", "conflict"]))
def discard(ids: tuple[int, ...], take_all: bool, kind: str | None) -> None:
    """Discard proposals: nothing changes in the knowledge base, and the same change is not proposed again."""
    chosen = _ids(ids, take_all, kind)
    if not chosen:
        click.echo("Nothing pending.")
        return
    done = service().discard_proposals(chosen)
    for p in done:
        click.echo(f"discarded {p.id}: {p.summary}")
    click.echo(f"Discarded {len(done)} proposal(s).")
