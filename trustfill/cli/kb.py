"""`trustfill kb ...`: the knowledge base."""

from __future__ import annotations

import click

from trustfill.cli.common import service


@click.group()
def kb() -> None:
    """Import, export and browse the knowledge base."""


@kb.command("import")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--replace", is_flag=True, help="Replace the whole knowledge base (default: upsert by ID).")
@click.option("--sample", is_flag=True, help="Import the sample knowledge base that ships with Trustfill.")
def kb_import(file: str | None, replace: bool, sample: bool) -> None:
    """Import FILE (.csv, .xlsx, .yaml, .json). All rows are checked first: a bad row imports nothing."""
    svc = service()
    if sample == bool(file):
        raise click.UsageError("Give a FILE or --sample (one of them).")
    result = svc.import_sample(replace=replace) if sample else svc.import_library(file, replace=replace)
    click.echo(f"Imported {result.path}: {result.added} added, {result.updated} updated"
               + (f", {result.removed} replaced" if replace else "") + f"; {result.total} facts in the knowledge base.")


@kb.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--product", help="Only this product's facts and the product-less ones.")
def kb_export(file: str, product: str | None) -> None:
    """Export the knowledge base to FILE; the format follows the extension."""
    svc = service()
    if product:
        product = svc.check_product(product)
    path = svc.export_library(file, product=product)
    click.echo(f"Wrote {path}")


@kb.command("list")
@click.option("--product")
@click.option("--category")
@click.option("--search", help="Text to look for in questions, answers and comments.")
def kb_list(product: str | None, category: str | None, search: str | None) -> None:
    """List facts: ID, product, answer and question."""
    svc = service()
    facts = svc.facts(product=svc.check_product(product) if product else None, category=category,
                      search=search)
    for f in facts:
        click.echo(f"{f.id:<32} {f.product or '*':<10} {f.answer[:24]:<24} {f.question}")
    click.echo(f"{len(facts)} fact(s)")


@kb.command("show")
@click.argument("fact_id")
def kb_show(fact_id: str) -> None:
    """Show one fact in full."""
    fact = service().fact(fact_id)
    for name, value in fact.model_dump(mode="json").items():
        if isinstance(value, list):
            value = " | ".join(value)
        click.echo(f"{name:>22}: {value}")


@kb.command("lint")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Check as of this date (default: today).")
@click.option("--threshold", type=click.FloatRange(0, 100), default=90, show_default=True,
              help="token_set_ratio at or above which two facts' questions count as the same question.")
@click.option("--strict", is_flag=True, help="Exit with an error when anything is found (for CI).")
def kb_lint(today, threshold: float, strict: bool) -> None:
    """Report stale facts, conflicting near-duplicate questions and facts never used."""
    from trustfill.errors import TrustfillError

    report = service().kb_lint(today=today.date() if today else None, threshold=threshold)
    click.echo(report.as_text())
    if strict and report.problems:
        raise TrustfillError(f"kb lint found {report.problems} problem(s).")


from trustfill.cli.proposals import proposals  # noqa: E402  (a subgroup of its own module)

kb.add_command(proposals)
from trustfill.cli.harvest import harvest  # noqa: E402

kb.add_command(harvest)
