"""Harvest actions of the service layer (mixed into ``trustfill.service.Service``).

Anyone who may propose facts (an editor) may harvest: everything it produces is a proposal that an
approver accepts or discards (``ProposalOps``). Every file is read whole before the database is touched,
and the whole harvest is one transaction: a bad file proposes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from knowledge import harvest as kb_harvest
from knowledge.harvest_read import read_filled
from trustfill.errors import TrustfillError
from trustfill.intake import LayoutOverrides

FileArg = str | os.PathLike | tuple[str | os.PathLike, str]  # a path, or (stored path, name to show)


class HarvestOps:
    def harvest_files(self, files: Sequence[FileArg], *, product: str | None = None, label: str = "",
                      overrides: list[LayoutOverrides] | None = None, today: dt.date | None = None,
                      progress: Callable[[float, str], None] | None = None) -> kb_harvest.HarvestResult:
        """Propose the answers of filled questionnaires (workbooks or CSVs) to the knowledge base.

        ``progress(fraction, what)`` is told how far it got: reading takes the first half, proposing the rest.
        """
        self.require("propose_fact", "harvest questionnaires into the knowledge base")
        if not files:
            raise TrustfillError("No file given: name one or more filled questionnaires to harvest.")
        label = " ".join((label or "").split())
        if len(label) > 200:
            raise TrustfillError(f"The source label is {len(label)} characters long; keep it under 200.")
        product = self._harvest_product(product)
        filled = []
        for n, item in enumerate(files):
            path, name = (item if isinstance(item, tuple) else (item, Path(item).name))
            if progress:
                progress(0.5 * n / len(files), f"reading {name}")
            filled.append(read_filled(path, display_name=name, limits=self.limits, overrides=overrides))
        settings = self.match_settings()

        def proposing(fraction: float) -> None:
            if progress:
                progress(0.5 + 0.5 * fraction, "proposing")

        with self.tx() as conn:
            result = kb_harvest.harvest(conn, filled, product=product, label=label, actor=self.actor.username,
                                        settings=settings, today=today, progress=proposing)
            for f, outcome in zip(filled, result.files, strict=True):
                self.audit(conn, "kb_harvest", "knowledge_base", f.name, sha256=f.sha256, product=product,
                           label=label, answered=outcome.answered, form_fields=outcome.form_fields,
                           skipped=len(outcome.skipped), proposed=dict(outcome.new), known=outcome.known,
                           stated_date=f.stated_date)
        if progress:
            progress(1.0, "done")
        return result

    def _harvest_product(self, product: str | None) -> str:
        """A product the knowledge base knows, in its spelling; a new one is fine (a cold start has none)."""
        product = " ".join((product or "").split())
        if len(product) > 200:
            raise TrustfillError(f"The product name is {len(product)} characters long; keep it under 200.")
        return next((p for p in self.products() if p.lower() == product.lower()), product)
