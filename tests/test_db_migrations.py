"""Schema migrations keep data, and IDs of deleted rows are never handed out again."""

from __future__ import annotations

import sqlalchemy as sa

from trustfill import db


def _v2_database(path):
    """A database as Trustfill created it before migration 3 (no AUTOINCREMENT), with data in it."""
    engine = sa.create_engine(f"sqlite:///{path}")
    sa.event.listen(engine, "connect", db._on_sqlite_connect)
    tables = (db.questionnaires, db.questions)
    try:
        for t in tables:
            t.dialect_kwargs["sqlite_autoincrement"] = False
        with engine.begin() as conn:
            db.schema_version.create(conn)
            db._migration_1(conn)
            db._migration_2(conn)
            conn.execute(db.schema_version.insert().values(version=2))
            qid = conn.execute(db.questionnaires.insert().values(
                name="old", original_filename="a.xlsx", stored_file="x", format="xlsx")).inserted_primary_key[0]
            conn.execute(db.questions.insert().values(questionnaire_id=qid, position=0, sheet="S", row=2,
                                                      text="Do you encrypt?", target={}))
            # Version 2 had no match note (migration 4 adds it).
            conn.exec_driver_sql("ALTER TABLE questions DROP COLUMN match_note")
    finally:
        for t in tables:
            t.dialect_kwargs["sqlite_autoincrement"] = True
    return engine, qid


def test_migrations_3_and_4_keep_rows_and_stop_id_reuse(tmp_path):
    engine, qid = _v2_database(tmp_path / "v2.db")
    assert db.migrate(engine) == db.SCHEMA_VERSION
    with engine.begin() as conn:
        assert conn.execute(sa.select(db.questions.c.text)).scalars().all() == ["Do you encrypt?"]
        assert conn.execute(sa.select(db.questions.c.match_note)).scalars().all() == [""]
        conn.execute(db.questionnaires.delete())
        # the foreign key still cascades after the rebuild
        assert conn.execute(sa.select(sa.func.count()).select_from(db.questions)).scalar() == 0
        new = conn.execute(db.questionnaires.insert().values(
            name="new", original_filename="b.xlsx", stored_file="y", format="xlsx")).inserted_primary_key[0]
    assert new > qid
    assert db.migrate(engine) == db.SCHEMA_VERSION  # idempotent


def test_a_new_database_never_reuses_a_deleted_questionnaire_id(tf_home):
    engine = db.get_engine()
    with engine.begin() as conn:
        ids = []
        for name in ("a", "b"):
            ids.append(conn.execute(db.questionnaires.insert().values(
                name=name, original_filename="a.xlsx", stored_file=name, format="xlsx")).inserted_primary_key[0])
        conn.execute(db.questionnaires.delete().where(db.questionnaires.c.id == ids[-1]))
        again = conn.execute(db.questionnaires.insert().values(
            name="c", original_filename="a.xlsx", stored_file="c", format="xlsx")).inserted_primary_key[0]
    assert again > ids[-1]


def test_migration_4_adds_the_match_note_to_a_version_3_database(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'v3.db'}")
    sa.event.listen(engine, "connect", db._on_sqlite_connect)
    db.migrate(engine)
    with engine.begin() as conn:  # back to what version 3 was: no match_note column
        conn.exec_driver_sql("ALTER TABLE questions DROP COLUMN match_note")
        conn.execute(db.schema_version.update().values(version=3))
    assert "match_note" not in {c["name"] for c in sa.inspect(engine).get_columns("questions")}
    assert db.migrate(engine) == db.SCHEMA_VERSION >= 4
    assert "match_note" in {c["name"] for c in sa.inspect(engine).get_columns("questions")}
