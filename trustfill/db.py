"""The database: one SQLAlchemy Core schema for SQLite (default) and PostgreSQL (by URL).

The schema is versioned: ``schema_version`` holds the number of the last migration applied, and
``migrate`` applies the missing ones in order inside one transaction, so an upgrade never
half-happens. Add a migration by appending a function to ``MIGRATIONS``; never edit an old one.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from trustfill import config
from trustfill.errors import ConfigError

metadata = sa.MetaData()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, nullable=False),
)

facts = sa.Table(
    "facts", metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, default=""),
    sa.Column("alternate_questions", sa.JSON, nullable=False, default=list),
    sa.Column("category", sa.String(200), nullable=False, default=""),
    sa.Column("product", sa.String(200), nullable=False, default=""),
    sa.Column("tags", sa.JSON, nullable=False, default=list),
    sa.Column("owner", sa.String(200), nullable=False, default=""),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("last_reviewed", sa.Date, nullable=True),
    sa.Column("review_interval_days", sa.Integer, nullable=False, default=365),
    sa.Column("status", sa.String(20), nullable=False, default="active"),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", sa.DateTime, nullable=False, default=utcnow),
    sa.Column("updated_at", sa.DateTime, nullable=False, default=utcnow),
)

questionnaires = sa.Table(
    "questionnaires", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("customer", sa.String(300), nullable=False, default=""),
    sa.Column("product", sa.String(200), nullable=False, default=""),
    sa.Column("due_date", sa.Date, nullable=True),
    sa.Column("owner", sa.String(200), nullable=False, default=""),
    sa.Column("original_filename", sa.String(300), nullable=False),
    sa.Column("stored_file", sa.String(300), nullable=False),  # relative to the home's uploads/
    sa.Column("format", sa.String(10), nullable=False),
    sa.Column("layout", sa.JSON, nullable=True),
    sa.Column("overrides", sa.JSON, nullable=False, default=list),
    sa.Column("created_by", sa.String(200), nullable=False, default=""),
    sa.Column("created_at", sa.DateTime, nullable=False, default=utcnow),
    sa.Column("matched_at", sa.DateTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sqlite_autoincrement=True,  # a deleted questionnaire's ID is never reused: the audit trail names it
)

# One row per detected question, with its review state: what was matched, what the reviewer decided.
questions = sa.Table(
    "questions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("questionnaire_id", sa.Integer,
              sa.ForeignKey("questionnaires.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("sheet", sa.String(300), nullable=False),
    sa.Column("row", sa.Integer, nullable=False),
    sa.Column("ref", sa.String(100), nullable=False, default=""),
    sa.Column("section", sa.Text, nullable=False, default=""),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("target", sa.JSON, nullable=False),  # the intake DetectedQuestion, as JSON
    sa.Column("prefilled", sa.Boolean, nullable=False, default=False),
    # matching
    sa.Column("fact_id", sa.String(200), nullable=True),
    sa.Column("score", sa.Float, nullable=False, default=0.0),
    sa.Column("match_status", sa.String(20), nullable=False, default="unanswered"),
    sa.Column("alternatives", sa.JSON, nullable=False, default=list),
    sa.Column("match_note", sa.Text, nullable=False, default="", server_default=""),  # why that status
    # review
    sa.Column("answer", sa.Text, nullable=False, default=""),
    sa.Column("comment", sa.Text, nullable=False, default=""),
    sa.Column("review_status", sa.String(20), nullable=False, default="pending"),  # pending|approved|rejected
    sa.Column("origin", sa.String(20), nullable=False, default="auto"),  # auto|edited|manual|prefilled
    sa.Column("reviewer", sa.String(200), nullable=False, default=""),
    sa.Column("reviewed_at", sa.DateTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("updated_at", sa.DateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("questionnaire_id", "sheet", "row", name="uq_question_cell"),
    sqlite_autoincrement=True,
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(200), nullable=False, unique=True),
    sa.Column("email", sa.String(300), nullable=False, default=""),
    sa.Column("display_name", sa.String(300), nullable=False, default=""),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(300), nullable=True),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime, nullable=False, default=utcnow),
)

# Append-only: the service layer has no function that updates or deletes a row here.
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, default=utcnow, index=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(60), nullable=False, index=True),
    sa.Column("object_type", sa.String(60), nullable=False, default=""),
    sa.Column("object_id", sa.String(300), nullable=False, default=""),
    sa.Column("details", sa.JSON, nullable=False, default=dict),
)

# Knowledge-base changes waiting for an approver (knowledge/proposals.py): new wordings of a fact,
# new facts, conflicting answers. Kept after a decision, so a discarded wording is never proposed again.
proposals = sa.Table(
    "proposals", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),  # alternate | fact | conflict
    sa.Column("fact_id", sa.String(200), nullable=False, index=True),
    sa.Column("wording", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),  # what makes two proposals the same change
    sa.Column("payload", sa.JSON, nullable=False, default=dict),
    sa.Column("sources", sa.JSON, nullable=False, default=list),  # provenance, one entry per time proposed
    sa.Column("status", sa.String(20), nullable=False, default="pending", index=True),
    sa.Column("created_by", sa.String(200), nullable=False, default=""),
    sa.Column("created_at", sa.DateTime, nullable=False, default=utcnow),
    sa.Column("decided_by", sa.String(200), nullable=False, default=""),
    sa.Column("decided_at", sa.DateTime, nullable=True),
)

settings = sa.Table(
    "settings", metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
)


# Failed sign-ins of one (account, client) in a burst still going on: what delays the next
# attempt, and what the burst's audit row will count. Not history (the audit trail is): the row
# goes when its burst is written to the trail. An unknown user name is never stored; such attempts
# count under "(unknown)".
sign_in_throttle = sa.Table(
    "sign_in_throttle", metadata,
    sa.Column("username", sa.String(200), primary_key=True),
    sa.Column("client", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False, default=0),  # in this burst: sets the delay
    sa.Column("pending", sa.JSON, nullable=False, default=dict),  # reason -> attempts not yet in the trail
    sa.Column("first_at", sa.DateTime, nullable=False),
    sa.Column("last_at", sa.DateTime, nullable=False),
    sa.Column("reported_at", sa.DateTime, nullable=False),
    sa.Column("next_allowed_at", sa.DateTime, nullable=False),
)


def _migration_1(conn: Connection) -> None:
    """Initial schema."""
    metadata.create_all(conn, tables=[facts, questionnaires, questions, users, audit_log, settings])
    # Later tables are created by their own migrations, so every database reaches them the same way.


def _migration_2(conn: Connection) -> None:
    """The audit trail refuses UPDATE and DELETE in the database itself, not only in the code."""
    if conn.dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql")
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")


def _migration_3(conn: Connection) -> None:
    """SQLite: never reuse the ID of a deleted questionnaire or question (PostgreSQL sequences never do).

    SQLite can only add AUTOINCREMENT by rebuilding a table. The new parent is built first and the
    new child points at it, so dropping the old parent cascades into nothing; renames then restore
    the names (SQLite rewrites the child's foreign key on rename).
    """
    if conn.dialect.name != "sqlite":
        return
    from sqlalchemy.schema import CreateIndex, CreateTable

    def has_autoincrement(name: str) -> bool:
        sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (name,)).scalar()
        return "AUTOINCREMENT" in (sql or "").upper()

    if has_autoincrement("questionnaires") and has_autoincrement("questions"):
        return
    for table in (questionnaires, questions):
        ddl = str(CreateTable(table).compile(dialect=conn.dialect))
        ddl = ddl.replace(f"CREATE TABLE {table.name} (", f"CREATE TABLE {table.name}__new (", 1)
        ddl = ddl.replace("REFERENCES questionnaires (", "REFERENCES questionnaires__new (")
        conn.exec_driver_sql(ddl)
        # Only the columns the old table has: later migrations add the others.
        have = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
        cols = ", ".join(c.name for c in table.columns if c.name in have)
        conn.exec_driver_sql(f"INSERT INTO {table.name}__new ({cols}) SELECT {cols} FROM {table.name}")
    conn.exec_driver_sql("DROP TABLE questions")
    conn.exec_driver_sql("DROP TABLE questionnaires")
    conn.exec_driver_sql("ALTER TABLE questionnaires__new RENAME TO questionnaires")
    conn.exec_driver_sql("ALTER TABLE questions__new RENAME TO questions")
    for table in (questionnaires, questions):
        for index in table.indexes:
            conn.execute(CreateIndex(index))


def _migration_4(conn: Connection) -> None:
    """Each match keeps the reason for its status ("only 4 of 6 signals rank it first")."""
    if "match_note" not in {c["name"] for c in sa.inspect(conn).get_columns("questions")}:
        conn.exec_driver_sql("ALTER TABLE questions ADD COLUMN match_note TEXT NOT NULL DEFAULT ''")


def _migration_5(conn: Connection) -> None:
    """Proposals: knowledge-base changes (learned wordings, harvested facts, conflicts) wait for an approver."""
    proposals.create(conn, checkfirst=True)


def _migration_6(conn: Connection) -> None:
    """Security round two (#17): REPLACE cannot rewrite the audit trail; failed sign-ins throttle.

    SQLite's ``REPLACE INTO`` / ``INSERT OR REPLACE`` deletes the conflicting row without firing
    DELETE triggers (unless recursive_triggers is on, which every connection now also sets), so
    an insert whose ID is already taken is refused outright. PostgreSQL has no REPLACE, and its
    ``ON CONFLICT DO UPDATE`` fires the UPDATE trigger of migration 2.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_replace BEFORE INSERT ON audit_log "
            "WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    sign_in_throttle.create(conn, checkfirst=True)


MIGRATIONS: list[Callable[[Connection], None]] = [_migration_1, _migration_2, _migration_3, _migration_4,
                                                  _migration_5, _migration_6]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    value = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
    return int(value or 0)


def migrate(engine: Engine) -> int:
    """Bring the schema up to date; returns the version now in force."""
    with engine.begin() as conn:
        if not sa.inspect(conn).has_table("schema_version"):
            schema_version.create(conn)
        have = current_version(conn)
        if have > SCHEMA_VERSION:
            raise ConfigError(
                f"The database is at schema version {have}, newer than this Trustfill ({SCHEMA_VERSION}). "
                "Upgrade Trustfill before using this database.")
        for number in range(have + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[number - 1](conn)
            conn.execute(schema_version.delete())
            conn.execute(schema_version.insert().values(version=number))
    return SCHEMA_VERSION


class _QuietAfterAbort(logging.Filter):
    """psycopg warns "error ignored terminating <Pipeline>: pipeline aborted" when a batch insert
    fails (a restore refusing a duplicate key): the error itself is already reported, once, as
    the user's `Error:` line; the echo would be a second, confusing line on stderr."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("error ignored terminating")


logging.getLogger("psycopg").addFilter(_QuietAfterAbort())

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _on_sqlite_connect(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA recursive_triggers=ON")  # REPLACE's implicit delete fires DELETE triggers too
    cur.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer: several reviewers at once
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def get_engine(url: str | None = None) -> Engine:
    """One migrated engine per database URL per process."""
    url = url or config.database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            try:
                engine = sa.create_engine(url, future=True, pool_pre_ping=True)
            except (sa.exc.ArgumentError, ImportError) as exc:
                raise ConfigError(f"TRUSTFILL_DATABASE_URL is not usable ({exc}). "
                                  "Use e.g. postgresql+psycopg://user:pass@host/db or sqlite:///path.db") from exc
            if engine.dialect.name == "sqlite":
                sa.event.listen(engine, "connect", _on_sqlite_connect)
            try:
                migrate(engine)
            except sa.exc.OperationalError as exc:
                raise ConfigError(f"Cannot open the database at {engine.url.render_as_string(hide_password=True)}:"
                                  f" {exc.orig}") from exc
            _engines[url] = engine
        return engine


def dispose_all() -> None:
    """Forget cached engines (tests switch homes between cases)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
