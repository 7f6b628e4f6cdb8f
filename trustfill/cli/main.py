"""The `trustfill` command: thin click commands over the service layer.

A TrustfillError becomes one `Error: ...` line and a non-zero exit; nobody sees a traceback for a
user mistake.
"""

from __future__ import annotations

import sys

import click

from trustfill import __version__
from trustfill.cli.kb import kb
from trustfill.cli.questionnaires import answer, inspect, questionnaires
from trustfill.errors import TrustfillError

GROUPS = [kb, answer, inspect, questionnaires]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trustfill")
def cli() -> None:
    """Trustfill answers vendor security questionnaires from your reviewed knowledge base."""


for command in GROUPS:
    cli.add_command(command)


def _register_optional() -> None:
    # Command groups of later features register themselves here when their module exists.
    import importlib

    for module_name, attr in (("trustfill.cli.team", "COMMANDS"), ("trustfill.cli.admin", "COMMANDS"),
                              ("trustfill.cli.app", "COMMANDS"), ("trustfill.cli.settings", "COMMANDS")):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for command in getattr(module, attr):
            cli.add_command(command)


_register_optional()


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="trustfill", standalone_mode=False)
    except TrustfillError as exc:
        click.echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
