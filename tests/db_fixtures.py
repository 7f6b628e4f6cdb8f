"""Database fixtures: every database test runs on SQLite and, when available, on PostgreSQL.

``db_url`` is parametrized over ``sqlite`` and ``postgresql``. Each test gets a fresh, empty,
migrated database of its own (a new SQLite file, or ``CREATE DATABASE`` on the cluster named by
``TRUSTFILL_TEST_POSTGRES_URL``, dropped afterwards) and a fresh ``TRUSTFILL_HOME``, with
``TRUSTFILL_DATABASE_URL`` pointing at that database, so the service, the CLI run in-process and
any CLI subprocess inheriting the environment all use it.

Without ``TRUSTFILL_TEST_POSTGRES_URL`` (``.ci/postgres.sh`` sets it) the PostgreSQL cases skip
with a reason; they never silently run on SQLite.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
import sqlalchemy as sa

POSTGRES_ENV = "TRUSTFILL_TEST_POSTGRES_URL"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV, "").strip() or None


def _fresh_postgres(admin_url: str) -> tuple[str, str]:
    """Create an empty database on the test cluster; returns (its URL, its name)."""
    name = f"tf_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            try:
                # A production-like collation (en-US, not bytewise C): ORDER BY on text then
                # differs from SQLite's, and tests catch code that depends on database order.
                conn.execute(sa.text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu "
                                     "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8' ENCODING 'UTF8'"))
            except sa.exc.DBAPIError:  # PostgreSQL < 15 or built without ICU
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = sa.engine.make_url(admin_url).set(database=name)
    return url.render_as_string(hide_password=False), name


def _drop_postgres(admin_url: str, name: str) -> None:
    # FORCE ends what still holds the database, but ending a process of another role (seen: an
    # autovacuum worker) needs pg_signal_backend, which .ci/postgres.sh grants; a reused older
    # cluster may lack it, so a refused drop is tried again once that process is done.
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        for attempt in range(20):
            try:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            except sa.exc.DBAPIError:
                if attempt == 19:
                    raise
                time.sleep(0.25)
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, monkeypatch):
    """A fresh database URL (and home) for this test, set as TRUSTFILL_DATABASE_URL/TRUSTFILL_HOME."""
    from trustfill.db import dispose_all

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("TRUSTFILL_HOME", str(home))
    monkeypatch.delenv("TRUSTFILL_USER", raising=False)
    dispose_all()
    made: list[str] = []
    url = _make_database(request.param, tmp_path / "trustfill.db", made)
    monkeypatch.setenv("TRUSTFILL_DATABASE_URL", url)
    request.node.tf_backend = request.param
    request.node.tf_made = made
    yield url
    dispose_all()  # close pooled connections first, or the database cannot be dropped
    for name in made:
        _drop_postgres(postgres_admin_url(), name)


def _make_database(backend: str, sqlite_path, made: list[str]) -> str:
    if backend == "sqlite":
        return f"sqlite:///{sqlite_path}"
    admin_url = postgres_admin_url()
    if not admin_url:
        pytest.skip(f"{POSTGRES_ENV} is not set (run .ci/postgres.sh to start a throwaway cluster)")
    url, name = _fresh_postgres(admin_url)
    made.append(name)
    return url


@pytest.fixture
def another_db(request, db_url, tmp_path):
    """Factory: another fresh, empty database on the same backend as ``db_url`` (e.g. a restore target)."""
    counter = iter(range(1, 1000))

    def make() -> str:
        return _make_database(request.node.tf_backend, tmp_path / f"other-{next(counter)}.db",
                              request.node.tf_made)

    return make


@pytest.fixture
def backend(db_url) -> str:
    return sa.engine.make_url(db_url).get_backend_name()


def table_counts(url: str | None = None) -> dict[str, int]:
    """Rows in every table of the schema: compare before/after to prove a failure changed nothing."""
    from trustfill.db import get_engine, metadata

    engine = get_engine(url)
    with engine.connect() as conn:
        return {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
                for t in metadata.sorted_tables}


def database_snapshot(url: str | None = None) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: for 'nothing changed at all' assertions."""
    from trustfill.db import get_engine, metadata

    engine = get_engine(url)
    out = {}
    with engine.connect() as conn:
        for t in metadata.sorted_tables:
            order = list(t.primary_key.columns) or list(t.columns)
            out[t.name] = [tuple(r) for r in conn.execute(sa.select(t).order_by(*order))]
    return out


def lexical_service(tmp_path, facts):
    """A Service on the test's database whose knowledge base is ``facts`` ((question, answer, comment) each, IDs
    fact-0, fact-1, ...), imported from a CSV file, matching with the default (lexical) answerers."""
    import csv

    from trustfill.service import Service

    library = tmp_path / "library.csv"
    with library.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ID", "Question", "Answer", "Comment"])
        w.writerows([f"fact-{i}", *fact] for i, fact in enumerate(facts))
    svc = Service()
    svc.set_match_settings(semantic=False)
    svc.import_library(library)
    return svc
