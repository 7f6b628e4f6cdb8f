"""Questionnaire actions of the service layer: upload, list, match, delete."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from pydantic import ValidationError

from answerers import MatchSettings, fit, picklist
from knowledge import store
from trustfill import config
from trustfill.db import facts as facts_table
from trustfill.db import questionnaires as q_table
from trustfill.db import questions as questions_table
from trustfill.db import settings as settings_table
from trustfill.db import utcnow
from trustfill.errors import ConfigError, InputFileError, NotFound, TrustfillError
from trustfill.intake import LayoutOverrides, read_questionnaire
from trustfill.intake.model import DetectedQuestion, Intake
from trustfill.readahead import ReadAhead
from trustfill.workspace import parallel
from trustfill.workspace.matching import engine_for
from trustfill.workspace.names import safe_display_name

SUPPORTED = (".xlsx", ".xlsm", ".csv")
# A person wrote or chose these answers: a re-run of matching never replaces them.
KEEP_ORIGINS = ("edited", "manual", "prefilled", "picked")
# A progress listener: stage name ("reading workbook", "saving", "matching") and how far it got, 0..1.
Stages = Callable[[str, float], None]
_PUNCT = re.compile(r"[^\w\s]+")  # questions that differ only in punctuation or case are one gap


@dataclass
class Progress:
    total: int = 0
    suggested: int = 0
    review: int = 0
    unanswered: int = 0
    approved: int = 0
    rejected: int = 0
    prefilled: int = 0
    held: int = 0  # suggestions held for review: the questionnaire is mostly outside the knowledge base

    @property
    def done_share(self) -> float:
        return (self.approved + self.prefilled) / self.total if self.total else 0.0


class QuestionnaireOps:
    # ---- settings
    def match_settings(self) -> MatchSettings:
        """The defaults (measured, answerers/fusion.json) with only what someone changed on top: a
        threshold nobody set follows the active profile and a refitted fusion.json."""
        self.require("read")
        return MatchSettings(cache_dir=str(config.home() / "cache"), **self.changed_match_settings())

    def changed_match_settings(self) -> dict:
        """The matching settings someone set (the rest follow the defaults)."""
        self.require("read")
        with self.tx() as conn:
            row = conn.execute(sa.select(settings_table.c.value).where(settings_table.c.key == "matching")).first()
        stored = dict(row[0]) if row else {}
        stored.pop("cache_dir", None)
        return {k: v for k, v in stored.items() if k in MatchSettings.model_fields}

    def set_match_settings(self, **values) -> MatchSettings:
        """Change some matching settings (``None`` puts one back to its default)."""
        self.require("settings", "change settings")
        unknown = sorted(set(values) - set(MatchSettings.model_fields) - {"cache_dir"})
        if unknown:
            raise ConfigError(f"Unknown matching setting(s): {', '.join(unknown)}. "
                              f"Known: {', '.join(sorted(MatchSettings.model_fields))}.")
        stored = self.changed_match_settings()
        stored.update(values)
        stored = {k: v for k, v in stored.items() if v is not None and k != "cache_dir"}
        try:
            new = MatchSettings(**stored)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"Invalid matching setting: {problems}.") from None
        with self.tx() as conn:
            conn.execute(settings_table.delete().where(settings_table.c.key == "matching"))
            conn.execute(settings_table.insert().values(key="matching",
                                                        value=new.model_dump(mode="json", include=set(stored))))
            self.audit(conn, "settings_change", "settings", "matching", values=values)
        return self.match_settings()

    # ---- checks
    def check_product(self, product: str | None) -> str:
        self.require("read")
        product = (product or "").strip()
        if not product:
            return ""
        known = self.products()
        for p in known:
            if p.lower() == product.lower():
                return p
        listed = ", ".join(known) if known else "none: the knowledge base has only product-less facts"
        raise NotFound(f"Unknown product '{product}'. Products in the knowledge base: {listed}.")

    # ---- intake
    def inspect_file(self, path: str | os.PathLike, overrides: list[LayoutOverrides] | None = None,
                     display_name: str | None = None) -> Intake:
        self.require("read")
        return read_questionnaire(path, overrides or None, self.limits, display_name=display_name)

    def upload_questionnaire(self, src: str | os.PathLike, *, original_filename: str | None = None,
                             product: str | None = None, customer: str = "", name: str = "",
                             due_date: dt.date | None = None, owner: str = "",
                             overrides: list[LayoutOverrides] | None = None,
                             stages: Stages | None = None, ahead: ReadAhead | None = None) -> int:
        """Store a copy of the file, detect its questions, and record them. Returns the questionnaire ID.
        ``stages(name, share)`` hears "reading workbook" and "saving" as they progress (the app's bar).
        ``ahead``: the CLI's forked reading of the same file (trustfill/readahead.py), used when it read
        it exactly as this would."""
        self.require("upload", "upload questionnaires")
        src = Path(src)
        display = safe_display_name(original_filename or src.name)
        suffix = Path(display).suffix.lower()
        if suffix not in SUPPORTED:
            if suffix == ".xls":
                raise InputFileError(display, "legacy Excel 97-2003 (.xls) files are not read. Open it in Excel "
                                              "or LibreOffice, save it as .xlsx, and upload again.")
            raise InputFileError(display, f"unsupported file type '{suffix or '(none)'}'. "
                                          f"Upload one of {', '.join(SUPPORTED)}.")
        product = self.check_product(product)
        for label, value, limit in (("customer", customer, 300), ("name", name, 300), ("owner", owner, 200)):
            if len(value or "") > limit:
                raise TrustfillError(f"The {label} is {len(value)} characters long; keep it under {limit}.")
        if stages:
            stages("reading workbook", 0.0)
        intake = ahead.take(src, overrides or None, self.limits, display) if ahead else None
        if intake is None:
            intake = read_questionnaire(src, overrides or None, self.limits, display_name=display, progress=stages)
        if not intake.questions:
            raise InputFileError(display, "no questions were found. Run `trustfill inspect` on it and "
                                          "give the question column with --question-col (and --sheet).")
        if stages:
            stages("saving", 0.0)
        stored_name = f"{uuid.uuid4().hex}{suffix}"
        stored = config.uploads_dir() / stored_name
        staged = config.staged_upload("upload", stored_name)  # renamed once the rows are committed
        shutil.copyfile(src, staged)
        try:
            with self.tx() as conn:
                self._after_commit(lambda: os.replace(staged, stored), else_=lambda: staged.unlink(missing_ok=True))
                qid = conn.execute(q_table.insert().values(
                    name=name or Path(display).stem, customer=customer, product=product, due_date=due_date,
                    owner=owner or self.actor.username, original_filename=display, stored_file=stored_name,
                    format=intake.layout.format, layout=intake.layout.model_dump(mode="json"),
                    overrides=[o.model_dump(mode="json") for o in overrides or []],
                    created_by=self.actor.username, created_at=utcnow(),
                ).returning(q_table.c.id)).scalar_one()
                self._insert_questions(conn, qid, intake.questions)
                self.audit(conn, "upload", "questionnaire", qid, file=display, product=product,
                           questions=len(intake.questions))
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        return qid

    def _insert_questions(self, conn, qid: int, detected: list[DetectedQuestion]) -> None:
        rows = []
        for pos, q in enumerate(detected):
            rows.append(dict(
                questionnaire_id=qid, position=pos, sheet=q.sheet, row=q.row, ref=_clean(q.ref),
                section=_clean(q.section),
                text=_clean(q.text), target=q.model_dump(mode="json"), prefilled=q.prefilled,
                answer=_clean(q.existing_answer) if q.prefilled else "",
                comment=_clean(q.existing_comment) if q.prefilled else "",
                origin="prefilled" if q.prefilled else "auto", updated_at=utcnow()))
        if rows:
            conn.execute(questions_table.insert(), rows)

    # ---- reading
    def questionnaire(self, qid: int) -> dict:
        self.require("read")
        with self.tx() as conn:
            row = conn.execute(sa.select(q_table).where(q_table.c.id == qid)).first()
        if row is None:
            raise _no_questionnaire(qid)
        return dict(row._mapping)

    def _check_questionnaire(self, conn, qid: int) -> None:
        """A questionnaire ID that does not exist is a user mistake, not an empty list of questions."""
        if conn.execute(sa.select(q_table.c.id).where(q_table.c.id == qid)).first() is None:
            raise _no_questionnaire(qid)

    def stored_path(self, qid: int) -> Path:
        return config.upload_path(self.questionnaire(qid)["stored_file"])

    def list_questionnaires(self) -> list[dict]:
        self.require("read")
        with self.tx() as conn:
            rows = [dict(r._mapping) for r in conn.execute(sa.select(q_table).order_by(q_table.c.id.desc()))]
            for r in rows:
                r["progress"] = self._progress(conn, r["id"])
        return rows

    def progress(self, qid: int) -> Progress:
        self.require("read")
        with self.tx() as conn:
            self._check_questionnaire(conn, qid)
            return self._progress(conn, qid)

    def _progress(self, conn, qid: int) -> Progress:
        p = Progress()
        stmt = sa.select(questions_table.c.match_status, questions_table.c.review_status,
                         questions_table.c.prefilled, sa.func.count()).where(
            questions_table.c.questionnaire_id == qid).group_by(
            questions_table.c.match_status, questions_table.c.review_status, questions_table.c.prefilled)
        for match_status, review_status, prefilled, n in conn.execute(stmt):
            p.total += n
            if review_status == "approved":
                p.approved += n
            elif review_status == "rejected":
                p.rejected += n
            elif prefilled:
                p.prefilled += n
            else:
                setattr(p, match_status, getattr(p, match_status) + n)
        c = questions_table.c
        p.held = conn.execute(sa.select(sa.func.count()).where(
            c.questionnaire_id == qid, c.match_note.startswith(fit.HOLD_PREFIX, autoescape=True))).scalar_one()
        return p

    def questions(self, qid: int, columns: Sequence[str] | None = None) -> list[dict]:
        """The questions of ``qid`` in sheet order, as dicts of every column (or only ``columns``)."""
        self.require("read")
        table = questions_table
        wanted = [table.c[name] for name in columns] if columns else [table]
        with self.tx() as conn:
            self._check_questionnaire(conn, qid)
            rows = conn.execute(sa.select(*wanted).where(table.c.questionnaire_id == qid).order_by(table.c.position))
            keys = list(rows.keys())  # once: ``row._mapping`` rebuilds the key list for every row
            return [dict(zip(keys, r, strict=True)) for r in rows]

    def question(self, question_id: int) -> dict:
        self.require("read")
        with self.tx() as conn:
            return self._get(conn, question_id)  # ReviewOps._get: one lookup for every caller

    # ---- change detection and usage, for the app's caches and its Overview page
    def questions_fingerprint(self, qid: int) -> tuple[int, int]:
        """(question count, sum of their versions): every write bumps a row's version, so any change to
        a question of ``qid`` changes this. One aggregate query; the app keys its caches on it."""
        self.require("read")
        with self.tx() as conn:
            count, total = conn.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(questions_table.c.version), 0))
                .where(questions_table.c.questionnaire_id == qid)).one()
        return int(count), int(total)

    def kb_fingerprint(self) -> tuple[int, int, str]:
        """(fact count, sum of versions, latest update) of the knowledge base: changes with any fact
        written, added or removed (a replacing import can keep count and versions, not the time)."""
        self.require("read")
        with self.tx() as conn:
            count, total, latest = conn.execute(sa.select(
                sa.func.count(), sa.func.coalesce(sa.func.sum(facts_table.c.version), 0),
                sa.func.max(facts_table.c.updated_at))).one()
        return int(count), int(total), str(latest or "")

    def usage_stats(self, *, top_facts: int | None = 15, top_gaps: int | None = 20) -> dict:
        """Which facts answer questions, and which questions no fact answered, across questionnaires.

        ``facts``: one row per fact matched to any question (fact_id, question: its canonical question
        or "(removed)", questions, approved, questionnaires), most approved first.
        ``gaps``: questions left unanswered (not pre-filled, not approved) or answered by hand, grouped by
        their wording ignoring case and punctuation (question, times, questionnaires, by_hand), most
        asked first: the candidates for new facts.
        """
        self.require("read")
        q = questions_table
        approved = sa.func.sum(sa.case((q.c.review_status == "approved", 1), else_=0))
        with self.tx() as conn:
            used = conn.execute(
                sa.select(q.c.fact_id, facts_table.c.question, sa.func.count(), approved,
                          sa.func.count(sa.distinct(q.c.questionnaire_id)))
                .select_from(q.outerjoin(facts_table, facts_table.c.id == q.c.fact_id))
                .where(q.c.fact_id.is_not(None), q.c.fact_id != "")
                .group_by(q.c.fact_id, facts_table.c.question)).all()
            open_rows = conn.execute(sa.select(q.c.text, q.c.questionnaire_id, q.c.origin).where(sa.or_(
                sa.and_(q.c.match_status == "unanswered", q.c.prefilled.is_(False),
                        q.c.review_status != "approved"),
                q.c.origin == "manual")).order_by(q.c.id)).all()
        facts = sorted(({"fact_id": f, "question": text if text is not None else "(removed)",
                         "questions": int(n), "approved": int(a or 0), "questionnaires": int(qs)}
                        for f, text, n, a, qs in used),
                       key=lambda r: (-r["approved"], -r["questions"], r["fact_id"]))
        groups: dict[str, dict] = {}
        for text, questionnaire, origin in open_rows:
            key = " ".join(_PUNCT.sub(" ", (text or "").lower()).split())
            g = groups.setdefault(key, {"question": text, "times": 0, "questionnaires": set(), "by_hand": 0})
            g["times"] += 1
            g["questionnaires"].add(questionnaire)
            g["by_hand"] += origin == "manual"
        gaps = sorted(({**g, "questionnaires": len(g["questionnaires"])} for g in groups.values()),
                      key=lambda r: (-r["times"], -r["questionnaires"]))
        return {"facts": facts[:top_facts], "gaps": gaps[:top_gaps]}

    # ---- matching
    def run_matching(self, qid: int, *, progress: Callable[[float], None] | None = None,
                     chunk: int = 500, stages: Stages | None = None) -> Progress:
        """Match every question; approved, edited and hand-written answers are never overwritten.

        Works in chunks (bounded memory on a 100,000-row sheet, short write transactions so
        reviewers are not blocked), and each update is conditional on the version that was read:
        a decision a reviewer makes while matching runs always wins.
        """
        self.require("match", "run matching")
        qn = self.questionnaire(qid)
        product = qn["product"] or None
        with self.tx() as conn:
            facts = store.list_facts(conn, product=product)
            c = questions_table.c
            rows = conn.execute(sa.select(c.id, c.sheet, c.text, c.review_status, c.origin, c.fact_id, c.version).where(
                c.questionnaire_id == qid).order_by(c.position)).all()
        by_id = {f.id: f for f in facts}
        # Options of a pick list, one per row under their prompt (answerers/picklist.py): what they ask
        # depends on the prompt, so a suggestion for one goes to a person.
        options = {rows[i].id: rows[p].text for i, p in picklist.pick_options(
            [r.text for r in rows], [r.sheet for r in rows]).items()}
        if stages:
            stages("matching", 0.0)
        engine = engine_for(facts, self.match_settings())
        parts = [rows[start:start + chunk] for start in range(0, len(rows), chunk)]
        texts = [[r.text for r in part] for part in parts]
        # A large run matches its later chunks in a forked worker meanwhile (parallel.py): the same
        # engine.match call per chunk, so the same matches, saved in the same order.
        fork = parallel.worth_forking([len(t) for t in texts])
        done = matching = 0
        with parallel.in_order(lambda part_texts: engine.match(part_texts, product), texts, fork=fork) as matched:
            for part, matches in zip(parts, matched, strict=True):
                # One executemany per shape of update (a person's answer kept or not), not one statement
                # per question: 2,000 single-row UPDATEs took 0.55 s of a 5.5 s run.
                shapes: dict[tuple[str, ...], list[dict]] = {}
                now = utcnow()
                for row, match in zip(part, matches, strict=True):
                    if row.id in options:
                        match = picklist.hold_option(match, options[row.id])
                    values = {**_match_values(row, match, by_id), "version": row.version + 1, "updated_at": now,
                              "b_id": row.id, "b_version": row.version}
                    shapes.setdefault(tuple(sorted(values)), []).append(values)
                with self.tx() as conn:
                    for batch in shapes.values():
                        conn.execute(_CONDITIONAL_UPDATE, batch)
                done += len(part)
                matching += sum(m.status != "unanswered" for m in matches)
                share = min(1.0, done / max(len(rows), 1))
                if progress:
                    progress(share)
                if stages:
                    stages("matching", share)
        with self.tx() as conn:
            c = questions_table.c
            suggested = [tuple(r) for r in conn.execute(sa.select(c.fact_id, c.text).where(
                c.questionnaire_id == qid, c.match_status == "suggested"))]
            for fact_id, times in fit.repeated_facts(suggested, len(rows)).items():
                # One fact suggested for many questions of one questionnaire (answerers/fit.py): which of
                # them it answers is for a person.
                conn.execute(questions_table.update().where(
                    c.questionnaire_id == qid, c.match_status == "suggested", c.fact_id == fact_id).values(
                    match_status="review", match_note=sa.literal(fit.repeat_reason(fact_id, times)) + c.match_note,
                    version=c.version + 1, updated_at=utcnow()))
            if fit.holds_suggestions(len(rows), matching):
                # A questionnaire mostly outside the knowledge base: its suggestions go to a person
                # (answerers/fit.py). Only the engine's verdict changes; a reviewer's decision stands.
                conn.execute(questions_table.update().where(
                    c.questionnaire_id == qid, c.match_status == "suggested").values(
                    match_status="review", match_note=sa.literal(fit.hold_reason(len(rows), matching)) + c.match_note,
                    version=c.version + 1, updated_at=utcnow()))
            conn.execute(q_table.update().where(q_table.c.id == qid).values(matched_at=utcnow()))
            p = self._progress(conn, qid)
            self.audit(conn, "match_run", "questionnaire", qid, questions=len(rows), facts=len(facts),
                       suggested=p.suggested, review=p.review, unanswered=p.unanswered, held=p.held)
        if stages:
            stages("saving", 1.0)
        return p

    def delete_questionnaire(self, qid: int) -> None:
        """Delete the questionnaire, its questions, decisions and stored file; the audit keeps no content."""
        self.require("delete_questionnaire", "delete questionnaires")
        qn = self.questionnaire(qid)
        with self.tx() as conn:
            conn.execute(questions_table.delete().where(questions_table.c.questionnaire_id == qid))
            conn.execute(q_table.delete().where(q_table.c.id == qid))
            self.audit(conn, "questionnaire_delete", "questionnaire", qid)
        config.remove_upload(qn["stored_file"])  # never follows a stored path outside uploads/
        for f in config.exports_dir().glob(f"q{qid}-*"):
            f.unlink(missing_ok=True)

    # ---- the app's upload: one call, named stages, and a word when the same file is already here
    def upload_and_match(self, src: str | os.PathLike, *, progress: Stages | None = None,
                         **upload) -> tuple[int, Progress]:
        """What the app's "Add and run matching" does, in one call: upload, then match, reporting
        ``progress(stage, fraction of the whole job)`` as the work goes: "reading workbook" (from the
        first byte read), "saving" (the rows), "matching" (after each chunk is matched and saved) and
        "saving" (the last write, at 1.0)."""
        report = progress or (lambda stage, fraction: None)
        spans = {"reading workbook": (0.0, 0.08), "matching": (0.1, 0.95)}
        reached = [0.0]

        def stage(name: str, fraction: float) -> None:
            # "saving" has no span: the uploaded rows first (0.09), the match run's last write at the end (1.0)
            lo, hi = spans.get(name, (0.09, 0.09) if reached[0] < spans["matching"][0] else (1.0, 1.0))
            overall = lo + (hi - lo) * fraction
            reached[0] = max(reached[0], overall)
            report(name, reached[0])

        qid = self.upload_questionnaire(src, stages=stage, **upload)
        return qid, self.run_matching(qid, stages=stage)

    def same_file_questionnaires(self, path: str | os.PathLike) -> list[dict]:
        """Questionnaires whose stored file has exactly these bytes (SHA-256), newest first."""
        self.require("read")
        digest = _sha256(Path(path))
        return [q for q in self.list_questionnaires()
                if _stored_sha256(config.uploads_dir() / q["stored_file"]) == digest]


def _no_questionnaire(qid: int) -> NotFound:
    return NotFound(f"No questionnaire with ID {qid}. `trustfill questionnaires list` shows them.")


# Each row written only if nobody changed it since it was read (its version); SET from the batch's keys.
_CONDITIONAL_UPDATE = questions_table.update().where(questions_table.c.id == sa.bindparam("b_id"),
                                                     questions_table.c.version == sa.bindparam("b_version"))


def _match_values(row, match, by_id: dict) -> dict:
    # A Candidate's fields are a string or a float, JSON values as they are: copied, not serialised one by
    # one through pydantic (~10,000 alternatives for 2,000 questions; the same JSON stored).
    values = dict(fact_id=match.fact_id, score=round(float(match.score), 1), match_status=match.status,
                  match_note=match.note, alternatives=[dict(vars(c)) for c in match.alternatives])
    if row.review_status == "approved" or row.origin in KEEP_ORIGINS:
        return values  # a person's answer stays; only the suggestion beside it is refreshed
    fact = by_id.get(match.fact_id) if match.fact_id else None
    values.update(answer=fact.answer if fact else "", comment=fact.comment if fact else "", origin="auto")
    if row.review_status == "rejected" and row.fact_id != match.fact_id:
        values["review_status"] = "pending"  # a different suggestion deserves a fresh look
    return values


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# Stored uploads never change (a new upload gets a new name), so each is hashed once per process.
_STORED_DIGESTS: dict[tuple[str, int, int], str] = {}


def _stored_sha256(path: Path) -> str | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _STORED_DIGESTS:
        _STORED_DIGESTS[key] = _sha256(path)
    return _STORED_DIGESTS[key]


def _clean(text: str) -> str:
    """PostgreSQL text cannot hold NUL; a customer's file may."""
    return (text or "").replace("\x00", "")


def as_detected(row: dict) -> DetectedQuestion:
    try:
        return DetectedQuestion.model_validate(row["target"])
    except Exception as exc:  # a target written by an older intake
        raise TrustfillError(f"Question {row['id']} has an unreadable layout; re-upload the file.") from exc
