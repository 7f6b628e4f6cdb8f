"""`trustfill settings`: the matching thresholds and answerers, as the app's settings panel shows them."""

from __future__ import annotations

import click

from trustfill.cli.common import service

_FIELDS = {
    "suggest": "suggest_threshold",
    "review": "review_threshold",
    "agreement": "suggest_agreement",
    "semantic": "semantic",
    "answerers": "answerers",
}


@click.group("settings")
def settings() -> None:
    """Show or change how matching decides suggested / review / unanswered."""


@settings.command("show")
def show() -> None:
    """Print the matching settings in force (defaults were measured on the development questionnaires)."""
    from answerers import MatchingEngine

    svc = service()
    s = svc.match_settings()
    changed = svc.changed_match_settings()
    engine_s = MatchingEngine([], s).settings  # the profile's own thresholds where nobody set one

    def line(label: str, field: str, value) -> None:
        mark = "" if field in changed else "  (default)"
        click.echo(f"{label:<22}{value}{mark}")

    line("suggest threshold", "suggest_threshold", f"{engine_s.suggest_threshold:g}")
    line("review threshold", "review_threshold", f"{engine_s.review_threshold:g}")
    line("suggest agreement", "suggest_agreement", f"{s.suggest_agreement:g}")
    line("semantic answerer", "semantic", "on" if s.semantic else "off")
    line("answerers", "answerers", ", ".join(s.answerers) if s.answerers else "all available")


@settings.command("set")
@click.option("--suggest", type=click.FloatRange(0, 100), help="Confidence from which a match is 'suggested'.")
@click.option("--review", type=click.FloatRange(0, 100), help="Confidence below which a question is left unanswered.")
@click.option("--agreement", type=click.FloatRange(0, 1),
              help="Share of ranking answerers that must put a fact first for it to be 'suggested'.")
@click.option("--semantic/--no-semantic", default=None, help="Use the semantic answerer when it is installed.")
@click.option("--answerers", help="Comma-separated answerer names to use (default: all available).")
def set_(suggest, review, agreement, semantic, answerers) -> None:
    """Change matching settings; re-run matching on a questionnaire to apply them."""
    values = {"suggest_threshold": suggest, "review_threshold": review, "suggest_agreement": agreement,
              "semantic": semantic,
              "answerers": [a.strip() for a in answerers.split(",") if a.strip()] if answerers else None}
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        raise click.UsageError("Give at least one setting to change (see --help).")
    svc = service()
    if "answerers" in values:
        from answerers import available_answerers
        from trustfill.errors import ConfigError

        unknown = [a for a in values["answerers"] if a not in available_answerers()]
        if unknown:
            raise ConfigError(f"Unknown or unavailable answerer(s): {', '.join(unknown)}. "
                              f"Available: {', '.join(available_answerers())}.")
    svc.set_match_settings(**values)
    click.echo("Matching settings saved: " + ", ".join(f"{k}={v}" for k, v in values.items()))


@settings.command("reset")
@click.argument("names", nargs=-1, type=click.Choice(sorted(_FIELDS)))
def reset(names: tuple[str, ...]) -> None:
    """Put settings back to their measured defaults (all of them when no NAMES are given)."""
    svc = service()
    fields = [_FIELDS[n] for n in names] or list(svc.changed_match_settings())
    svc.set_match_settings(**dict.fromkeys(fields))
    click.echo("Back to defaults: " + (", ".join(names) if names else "all matching settings"))


COMMANDS = [settings]


@settings.command("learning")
@click.argument("mode", required=False, type=click.Choice(["propose", "auto", "off"]))
def learning(mode: str | None) -> None:
    """Show or set what an approval teaches the knowledge base: `propose` (default: the customer's wording
    waits in `trustfill kb proposals` for an approver), `auto` (applied at once, undone when the approval
    is reopened, rejected or edited) or `off`."""
    svc = service()
    if mode:
        svc.set_learning_mode(mode)
    click.echo(f"learning: {svc.learning_mode()}")
