"""The `trustfill` command: thin click commands over the service layer.

A TrustfillError becomes one `Error: ...` line and a non-zero exit; nobody sees a traceback for a
user mistake. Commands are imported when they run (or when their own help is asked for), so
`trustfill --help` imports click alone and `trustfill answer` imports what answering needs.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import sys

import click

from trustfill import __version__

# name -> (module, attribute, one-line help shown by `trustfill --help` without importing the module;
# tests/test_cli_lazy.py checks each line against the command's own docstring).
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "answer": ("trustfill.cli.questionnaires", "answer",
               "Answer QUESTIONNAIRE from the knowledge base and write a filled copy."),
    "app": ("trustfill.cli.app", "app",
            "Start the review app at http://ADDRESS:PORT (extra --server.* options go to Streamlit)."),
    "audit": ("trustfill.cli.team", "audit", "The audit trail: who did what, when (approvers and admins)."),
    "backup": ("trustfill.cli.admin", "backup",
               "Write everything the team holds (every table and the uploaded files) to the zip FILE."),
    "inspect": ("trustfill.cli.questionnaires", "inspect",
                "Show the layout intake detects in QUESTIONNAIRE (sheets, header row, columns, question rows)."),
    "kb": ("trustfill.cli.kb", "kb", "Import, export and browse the knowledge base."),
    "limits": ("trustfill.cli.admin", "limits",
               "Limits on uploaded files (size, inflated size, sheets, rows, columns)."),
    "purge": ("trustfill.cli.admin", "purge",
              "Delete old questionnaires and everything derived from them (files, matches, decisions, exports)."),
    "questionnaires": ("trustfill.cli.questionnaires", "questionnaires",
                       "Questionnaires in the review workspace: upload, match, review, export."),
    "restore": ("trustfill.cli.admin", "restore",
                "Load the backup FILE into an empty database (or, with --force, replace what it holds)."),
    "retention": ("trustfill.cli.admin", "retention",
                  "Show or set how many DAYS an untouched questionnaire is kept (`off`: keep until deleted)."),
    "settings": ("trustfill.cli.settings", "settings",
                 "Show or change how matching decides suggested / review / unanswered."),
    "users": ("trustfill.cli.team", "users", "Accounts and roles (admins only)."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use; a module that does not exist (a later
    feature not installed) simply has no command."""

    def _available(self, name: str) -> bool:
        module = LAZY_COMMANDS[name][0]
        try:
            return importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            return False

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = [n for n in LAZY_COMMANDS if self._available(n)]
        return sorted(set(super().list_commands(ctx)) | set(lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in LAZY_COMMANDS and self._available(name):
            module_name, attr, _ = LAZY_COMMANDS[name]
            self.add_command(getattr(importlib.import_module(module_name), attr), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        limit = formatter.width - 6 - max(len(n) for n in self.list_commands(ctx))
        for name in self.list_commands(ctx):
            if name in self.commands:
                help_text = self.commands[name].get_short_help_str(limit)
            else:
                help_text = click.Command(name, help=LAZY_COMMANDS[name][2]).get_short_help_str(limit)
            rows.append((name, help_text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trustfill")
def cli() -> None:
    """Trustfill answers vendor security questionnaires from your reviewed knowledge base."""


# A command is one short process that builds hundreds of thousands of long-lived objects (the libraries,
# the knowledge base, the matching index) and few reference cycles: at the default thresholds the cyclic
# collector ran about 400 times over them during a 2,000-question `answer` (0.2 s), and once more over
# everything at exit (another 0.2 s). Cycles are still collected, every 50,000 allocations.
_GC_THRESHOLD = (50_000, 20, 20)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; ``argv`` None means this process's own command line (the ``trustfill`` script,
    ``python -m``): only then is the garbage collector tuned for a short process."""
    own_process = argv is None
    if own_process:
        gc.set_threshold(*_GC_THRESHOLD)
    try:
        return _run(argv)
    finally:
        if own_process:
            gc.freeze()  # what is left is freed at exit without the collector walking it once more


def _run(argv: list[str] | None) -> int:
    from trustfill.errors import TrustfillError

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
