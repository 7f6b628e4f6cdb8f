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
@click.option("--dry-run", is_flag=True, help="Show what the import would add, change (field by field), leave "
              "unchanged, remove and which facts conflict; write nothing.")
@click.option("--force", is_flag=True, help="Overwrite facts edited in the knowledge base since FILE was exported "
              "(conflicts); without it a conflict stops the import.")
def kb_import(file: str | None, replace: bool, sample: bool, dry_run: bool, force: bool) -> None:
    """Import FILE (.csv, .xlsx, .yaml, .json). All rows are checked first: a bad row imports nothing.
    Facts the file states exactly as the knowledge base does are left alone."""
    from knowledge.service import SAMPLE_FACTS

    svc = service()
    if sample == bool(file):
        raise click.UsageError("Give a FILE or --sample (one of them).")
    path, name = (SAMPLE_FACTS, "sample knowledge base") if sample else (file, file)
    if dry_run:
        preview = svc.preview_import(path, replace=replace, display_name=name)
        _print_preview(preview)
        click.echo(f"Dry run of {name}, nothing written: {preview.counts()}.")
        return
    result = svc.import_library(path, replace=replace, display_name=name, force=force)
    click.echo(f"Imported {result.path}: {result.added} added, {result.updated} changed, {result.unchanged} unchanged"
               + (f", {result.overwritten} conflict(s) overwritten" if result.overwritten else "")
               + (f", {result.removed} removed" if replace else "") + f"; {result.total} facts in the knowledge base.")


def _print_preview(preview) -> None:
    for fact in preview.added:
        click.echo(f"  added      {fact.id}: {fact.question}")
    for change in preview.changed:
        click.echo(f"  changed    {change.id}: {change.describe()}")
    for change in preview.conflicts:
        click.echo(f"  CONFLICT   {change.id}: edited in the knowledge base since the export (version "
                   f"{change.kb_version} now, {change.file_version} in the file); importing would set "
                   f"{change.describe()}")
    for fact in preview.removed:
        click.echo(f"  removed    {fact.id}: {fact.question}")


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


@kb.command("products")
def kb_products() -> None:
    """List the products with their fact counts (give one to `answer` and `upload` with --product)."""
    counts = service().product_counts()
    for product, n in counts.items():
        if product:
            click.echo(f"{product:<24} {n:>5} fact(s)")
    click.echo(f"{'(no product)':<24} {counts.get('', 0):>5} fact(s), used for every questionnaire")


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
