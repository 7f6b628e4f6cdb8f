"""What every CLI command shares: the service for the acting user, and the layout override options."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # imported when a command runs: `trustfill --help` stays fast
    from trustfill.roles import Actor
    from trustfill.service import Service


def resolve_actor() -> Actor | None:
    """The CLI user: TRUSTFILL_USER names an account once accounts exist (see `trustfill users`)."""
    from trustfill.accounts import actor_for_cli  # the team workflow decides who the CLI user is

    return actor_for_cli(os.environ.get("TRUSTFILL_USER"))


def service() -> Service:
    # Before numpy loads (with the service): one BLAS thread. The CLI's products are small (one per
    # 500 questions), and a second BLAS thread only spun, on the core a matching worker uses
    # (trustfill/workspace/parallel.py): 0.1 s of CPU per process in a 2,000-question run. Each product's
    # sums are the same either way (OpenBLAS splits the output, not the sums). A value already set wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from trustfill.service import Service

    return Service(actor=resolve_actor())


def layout_options(func):
    """--sheet/--header-row/--question-col/--answer-col/--comment-col, as one LayoutOverrides."""
    options = [
        click.option("--sheet", help="Apply the overrides to this sheet only."),
        click.option("--header-row", type=int, help="1-based row holding the column headers."),
        click.option("--question-col", help="Column letter of the questions, e.g. B."),
        click.option("--answer-col", help="Column letter where answers go."),
        click.option("--comment-col", help="Column letter where comments go."),
    ]
    for option in reversed(options):
        func = option(func)

    @functools.wraps(func)
    def wrapper(*args, sheet, header_row, question_col, answer_col, comment_col, **kwargs):
        values = dict(sheet=sheet, header_row=header_row, question_col=question_col,
                      answer_col=answer_col, comment_col=comment_col)
        from trustfill.intake import LayoutOverrides

        overrides = None
        if any(v is not None for k, v in values.items() if k != "sheet"):
            for key in ("question_col", "answer_col", "comment_col"):
                if values[key]:
                    values[key] = values[key].strip().upper()
            overrides = [LayoutOverrides(**values)]
        return func(*args, overrides=overrides, **kwargs)

    return wrapper
