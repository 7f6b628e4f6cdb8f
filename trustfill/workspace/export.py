"""Export actions: the filled workbook, the review report, and the match report of the CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from trustfill import config
from trustfill.db import questions as questions_table
from trustfill.errors import InputFileError, TrustfillError
from trustfill.workspace.questionnaires import as_detected

if TYPE_CHECKING:
    from exports import CellWrite

FILL_LEVELS = {
    "approved": {"approved"},
    "suggested": {"approved", "suggested"},
    "review": {"approved", "suggested", "review"},
}
MATCH_REPORT_COLUMNS = ["sheet", "row", "question", "fact_id", "score", "status", "answer", "comment"]
DRAFT_MARKER = "[DRAFT - not reviewed]"
# What the match report reads of each question (not its layout or alternatives, which are JSON to decode).
_MATCH_REPORT_READS = ("sheet", "row", "text", "fact_id", "score", "match_status", "answer", "comment")


@dataclass
class AnswerFit:
    """What export will write for one answer, known while reviewing (``fit_answer``'s own result).

    ``choices`` are the cell's allowed values (a drop-down list, or one column per value), empty for a
    free-text cell. ``fits`` is False when the answer has no allowed value to go in the cell: export
    then leaves the cell as it is (``cell_value`` "") and moves the answer into ``comment_text``.
    """

    kind: str
    choices: list[str]
    fits: bool
    cell_value: str
    comment_text: str
    note: str


def fit_of(row: dict, answer: str | None = None, comment: str | None = None) -> AnswerFit:
    """How ``row``'s answer (or the given one) lands in its cells, exactly as ``export_filled`` writes it."""
    from exports import fit_answer

    target = as_detected(row)
    answer = row["answer"] if answer is None else answer
    comment = row["comment"] if comment is None else comment
    result = fit_answer(target, answer or "", comment or "")
    cells = {w.cell: w.value for w in result.writes}
    choices = list(target.choices) if target.answer_kind == "choice" else list(target.split_cells)
    if target.answer_kind == "split":
        cell_value = next((label for label, cell in target.split_cells.items() if cells.get(cell) == "X"), "")
    else:
        cell_value = cells.get(target.answer_cell or "", "")
    comment_text = cells.get(target.comment_cell or "", "")
    fits = bool(cell_value) or not (answer or "").strip() or target.answer_kind not in ("choice", "split")
    return AnswerFit(kind=target.answer_kind, choices=choices, fits=fits, cell_value=cell_value,
                     comment_text=comment_text, note=result.note)


@dataclass
class ExportResult:
    path: Path
    written: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, why)


def _wanted(row: dict, fill: str) -> bool:
    if row["review_status"] == "rejected" or not (row["answer"] or row["comment"]):
        return False
    if row["review_status"] == "approved":
        return True
    if row["origin"] in ("edited", "manual", "picked") and fill != "approved":
        return True
    return row["match_status"] in FILL_LEVELS[fill] and fill != "approved"


class ExportOps:
    def export_filled(self, qid: int, dest: str | os.PathLike | None = None, *, fill: str = "approved",
                      mark_unreviewed: bool = False, overwrite_prefilled: bool = False) -> ExportResult:
        """Write the chosen answers into a copy of the customer's own file (the original is untouched)."""
        self.require("export", "export questionnaires")
        if fill not in FILL_LEVELS:
            raise TrustfillError(f"--fill must be one of {', '.join(FILL_LEVELS)}, not '{fill}'.")
        qn = self.questionnaire(qid)
        src = config.upload_path(qn["stored_file"])  # refuses a stored path outside uploads/
        if not src.exists():
            raise TrustfillError(f"The stored copy of questionnaire {qid} is missing from {src.parent}; "
                                 "upload the file again.")
        dest = Path(dest) if dest else config.exports_dir() / f"q{qid}-{qn['original_filename']}"
        # The writers (and openpyxl, which the review report uses) load when something is exported, not
        # with the service: `trustfill inspect` and the app's other pages do not pay for them.
        from exports import fit_answer, write_cells, write_csv_cells

        writes: list[CellWrite] = []
        result = ExportResult(dest)
        for row in self._rows_for_export(qid):
            if row["prefilled"] and not overwrite_prefilled:
                continue
            if not _wanted(row, fill):
                continue
            marker = DRAFT_MARKER if mark_unreviewed and row["review_status"] != "approved" else None
            fit = fit_answer(as_detected(row), row["answer"], row["comment"], marker=marker,
                             overwrite_prefilled=overwrite_prefilled)
            writes += fit.writes
            if fit.note:
                result.skipped.append((f"{row['sheet']}!{row['row']}", fit.note))
        writer = write_csv_cells if qn["format"] == "csv" else write_cells
        written = writer(src, dest, writes)
        result.written = len(written.written)
        result.skipped += [(f"{s.sheet}!{s.cell}", s.reason) for s in written.skipped]
        with self.tx() as conn:
            self.audit(conn, "export", "questionnaire", qid, fill=fill, cells=result.written,
                       file=dest.name)
        return result

    def answer_fit(self, question_id: int, *, answer: str | None = None, comment: str | None = None) -> AnswerFit:
        """What export will put in the cells for this question's answer (or for ``answer``, before saving)."""
        return fit_of(self.question(question_id), answer, comment)

    def _rows_for_export(self, qid: int):
        """Stream the questions (a 100,000-row questionnaire never sits in memory twice)."""
        c = questions_table.c
        stmt = sa.select(c.id, c.sheet, c.row, c.target, c.prefilled, c.review_status, c.origin,
                         c.match_status, c.answer, c.comment).where(c.questionnaire_id == qid).order_by(c.position)
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=1000).execute(stmt):
                yield row._mapping

    def export_review_report(self, qid: int, dest: str | os.PathLike) -> Path:
        """Question, answer, comment, fact, confidence, status, reviewer and time (CSV or XLSX)."""
        self.require("read")
        dest = Path(dest)
        from exports import ReportRow, write_review_report

        rows = [ReportRow(sheet=r["sheet"], row=r["row"], question=r["text"], answer=r["answer"],
                          comment=r["comment"], fact_id=r["fact_id"] or "", confidence=r["score"],
                          status=r["review_status"] if r["review_status"] != "pending" else r["match_status"],
                          reviewer=r["reviewer"],
                          time=r["reviewed_at"].isoformat(timespec="seconds") if r["reviewed_at"] else "")
                for r in self.questions(qid)]
        write_review_report(rows, dest)
        with self.tx() as conn:
            self.audit(conn, "report_export", "questionnaire", qid, file=dest.name)
        return dest

    def write_match_report(self, qid: int, dest: str | os.PathLike) -> Path:
        """The stable CSV contract automation reads: sheet,row,question,fact_id,score,status,answer,comment."""
        self.require("read")
        dest = Path(dest)
        if not dest.parent.exists():
            raise InputFileError(dest, f"folder {dest.parent} does not exist.")
        from exports import write_csv

        # The one safe CSV writer: every field (fact IDs included) quoted and neutralised, so neither a
        # question like '=HYPERLINK(..)' nor a fact ID '=1+1' runs when the report is opened.
        return write_csv(dest, MATCH_REPORT_COLUMNS, (
            [r["sheet"], r["row"], r["text"], r["fact_id"] or "", f"{r['score']:.1f}", r["match_status"],
             r["answer"] if r["fact_id"] else "", r["comment"] if r["fact_id"] else ""]
            for r in self.questions(qid, _MATCH_REPORT_READS)))

    def answer_file(self, src: str | os.PathLike, *, product: str | None, out: str | os.PathLike,
                    report: str | os.PathLike | None = None, fill: str = "suggested",
                    mark_unreviewed: bool = False, overwrite_prefilled: bool = False,
                    overrides=None, customer: str = "", stages=None, ahead=None) -> tuple[int, ExportResult]:
        """The CLI's one-shot: upload, match, write the filled copy and the report. ``ahead``: the CLI's
        forked reading of ``src`` (trustfill/readahead.py)."""
        src, out = Path(src), Path(out)
        if out.resolve() == src.resolve():
            raise InputFileError(out, "the output would overwrite the original questionnaire; "
                                      "choose another -o file.")
        if report and Path(report).resolve() == src.resolve():
            raise InputFileError(report, "the report would overwrite the original questionnaire; "
                                         "choose another --report file.")
        if report and Path(report).resolve() == out.resolve():
            raise InputFileError(report, "the report and the filled copy (-o) are the same file, so the report "
                                         "would overwrite it; give them different names.")
        if not out.parent.exists():
            raise InputFileError(out, f"folder {out.parent} does not exist.")
        if report and not Path(report).parent.exists():
            raise InputFileError(report, f"folder {Path(report).parent} does not exist.")
        if fill not in FILL_LEVELS:
            raise TrustfillError(f"--fill must be one of {', '.join(FILL_LEVELS)}, not '{fill}'.")
        self.require("upload", "upload questionnaires")
        self.sweep_leftovers()  # what an earlier `answer` killed before its commit left in uploads/
        # Upload and matching in one transaction: killed or failed half-way, nothing is committed
        # (no half-matched questionnaire without its match_run row) and the staged copy of the file
        # goes too. The write lock is held while matching runs, a few seconds for thousands of questions.
        with self.tx() as conn:
            qid = self.upload_questionnaire(src, product=product, customer=customer, overrides=overrides,
                                           stages=stages, ahead=ahead)
            if overwrite_prefilled:  # the customer's answers give way to the knowledge base's, not kept as-is
                conn.execute(questions_table.update().where(
                    questions_table.c.questionnaire_id == qid, questions_table.c.prefilled.is_(True)).values(
                    origin="auto", answer="", comment=""))
            self.run_matching(qid, stages=stages)
        result = self.export_filled(qid, out, fill=fill, mark_unreviewed=mark_unreviewed,
                                    overwrite_prefilled=overwrite_prefilled)
        if report:
            self.write_match_report(qid, report)
        return qid, result
