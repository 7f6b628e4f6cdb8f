"""`trustfill kb harvest FILE...`: turn questionnaires you already answered into knowledge-base proposals.
Thin over the service's HarvestOps; the proposals are reviewed with `trustfill kb proposals`."""

from __future__ import annotations

from pathlib import Path

import click

from trustfill.cli.common import layout_options, service
from trustfill.errors import InputFileError

SUFFIXES = (".xlsx", ".xlsm", ".csv")


@click.command("harvest")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--product", "-p", default="", help="The product these answers are about (default: every product).")
@click.option("--source", "label", default="", help="A label kept with every proposal, e.g. 'HECVAT 2022'.")
@layout_options
def harvest(files: tuple[str, ...], product: str, label: str, overrides) -> None:
    """Propose the answers of filled questionnaires (FILES: .xlsx, .xlsm, .csv, or folders of them) to the KB.

    A question the knowledge base already answers the same way becomes a new wording of that fact, one it
    answers differently a conflict, anything else a new fact; nothing is used for answering until an
    approver accepts it (`trustfill kb proposals accept ...`). Harvesting a file again proposes nothing new.
    """
    paths: list[Path] = []
    for f in map(Path, files):
        if f.is_dir():  # a folder of answered questionnaires: its workbooks and CSVs, not Excel's ~$ lock files
            found = sorted(p for p in f.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                           and not p.name.startswith("~$"))
            if not found:
                raise InputFileError(f, f"no {', '.join(SUFFIXES)} file in this folder.")
            paths += found
        elif f.is_file():
            paths.append(f)
        else:
            raise InputFileError(f, "file not found. Check the path.")
    result = service().harvest_files(paths, product=product, label=label, overrides=overrides)
    for f in result.files:
        new = ", ".join(f"{n} {kind}" for kind, n in sorted(f.new.items())) or "nothing new"
        click.echo(f"{f.name}: {f.answered} answered question(s): {new}; {f.known} already known; "
                   f"{f.form_fields} form field(s) and {f.unanswered} unanswered question(s) left out.")
        for where, why in f.skipped[:20]:
            click.echo(f"  skipped {where}: {why}")
    total = sum(result.new.values())
    click.echo(f"Proposed {total}: {result.new['fact']} new fact(s), {result.new['alternate']} new wording(s), "
               f"{result.new['conflict']} conflict(s)."
               + (" Review them with `trustfill kb proposals`." if total else ""))
