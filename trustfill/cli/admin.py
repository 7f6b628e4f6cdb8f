"""Admin commands: `trustfill purge`, `retention`, `limits`, `backup`, `restore`."""

from __future__ import annotations

import click

from trustfill.cli.common import service
from trustfill.config import Limits


@click.command()
@click.option("--older-than", "days", type=click.IntRange(min=0), metavar="DAYS",
              help="Purge questionnaires with no activity for DAYS days (default: the retention setting).")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge(days: int | None, dry_run: bool, yes: bool) -> None:
    """Delete old questionnaires and everything derived from them (files, matches, decisions, exports)."""
    svc = service()
    preview = svc.purge(older_than_days=days, dry_run=True)
    verb = "Would purge" if dry_run else "Purging"
    click.echo(f"{verb} {len(preview.questionnaires)} questionnaire(s) with no activity since "
               f"{preview.cutoff:%Y-%m-%d %H:%M} UTC")
    for q in preview.questionnaires:
        click.echo(f"  {q['id']:>5}  {q['name'][:60]:<60} last activity {q['last_activity']:%Y-%m-%d}")
    if preview.abandoned_uploads:
        click.echo(f"{'Would remove' if dry_run else 'Removed'} {len(preview.abandoned_uploads)} abandoned "
                   "app upload(s) older than a day")
    if dry_run or not preview.questionnaires:
        if not dry_run and preview.abandoned_uploads:
            svc.purge(older_than_days=days)
        return
    if not yes:
        click.confirm("Delete them for good?", abort=True)
    done = svc.purge(older_than_days=days)
    click.echo(f"Purged {len(done.questionnaires)} questionnaire(s)")


@click.command()
@click.argument("days", required=False)
def retention(days: str | None) -> None:
    """Show or set how many DAYS an untouched questionnaire is kept (`off`: keep until deleted)."""
    svc = service()
    if days is None:
        current = svc.retention_days()
        click.echo(f"Retention: {current} days" if current else "Retention: off (questionnaires are kept "
                                                                  "until deleted)")
        return
    if days.lower() in ("off", "none", "never"):
        svc.set_retention_days(None)
        click.echo("Retention: off")
        return
    try:
        value = int(days)
    except ValueError:
        raise click.BadParameter(f"'{days}' is not a number of days (or 'off').", param_hint="DAYS") from None
    svc.set_retention_days(value)
    click.echo(f"Retention: {value} days. Run `trustfill purge` daily (e.g. from cron) to apply it.")


@click.group()
def limits() -> None:
    """Limits on uploaded files (size, inflated size, sheets, rows, columns)."""


@limits.command("show")
def limits_show() -> None:
    """Each limit in force and where it comes from."""
    svc = service()
    stored = svc.stored_limits()
    env = Limits().model_fields_set
    current = svc.limits
    for name, field in Limits.model_fields.items():
        source = "environment" if name in env else "settings" if name in stored else "default"
        click.echo(f"{name:<22} {getattr(current, name):>14,}  ({source}) {field.description or ''}")


@limits.command("set")
@click.argument("name", type=click.Choice(list(Limits.model_fields)))
@click.argument("value")
def limits_set(name: str, value: str) -> None:
    """Set limit NAME to VALUE in the settings table (an environment variable still wins)."""
    svc = service()
    svc.set_limits(**{name: value.replace("_", "")})
    click.echo(f"{name} = {getattr(svc.limits, name):,}")


@limits.command("reset")
@click.argument("name", type=click.Choice(list(Limits.model_fields)))
def limits_reset(name: str) -> None:
    """Put limit NAME back to its default."""
    svc = service()
    svc.set_limits(**{name: None})
    click.echo(f"{name} = {getattr(svc.limits, name):,}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
def backup(file: str) -> None:
    """Write everything the team holds (every table and the uploaded files) to the zip FILE."""
    result = service().backup(file)
    rows = ", ".join(f"{n} {t}" for t, n in result.tables.items() if n)
    click.echo(f"Wrote {result.path}: {rows or 'no rows'}; {result.files} uploaded file(s)")
    if result.missing_files:
        click.echo(f"warning: {len(result.missing_files)} uploaded file(s) were missing from the uploads "
                   "folder and are not in the backup", err=True)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace everything in a database that is not empty.")
@click.option("--yes", is_flag=True, help="With --force: do not ask for confirmation.")
@click.option("--trust-unsigned", is_flag=True,
              help="Restore a backup with no signature, or one signed with another backup key (audited).")
def restore(file: str, force: bool, yes: bool, trust_unsigned: bool) -> None:
    """Load the backup FILE into an empty database (or, with --force, replace what it holds)."""
    if force and not yes:
        click.confirm("Replace every questionnaire, fact, user and setting in this database?", abort=True)
    result = service().restore(file, force=force, trust_unsigned=trust_unsigned)
    if result.signature != "valid":
        click.echo(f"Warning: the backup's signature is {result.signature}; restored because of --trust-unsigned "
                   f"(recorded in the audit trail with its SHA-256 {result.sha256[:16]}...).", err=True)
    rows = ", ".join(f"{n} {t}" for t, n in result.tables.items() if n)
    click.echo(f"Restored {result.path}: {rows or 'no rows'}; {result.files} uploaded file(s)")


COMMANDS = [purge, retention, limits, backup, restore]
