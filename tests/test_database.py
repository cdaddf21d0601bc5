"""SQLite engine set-up: the WAL is checkpointed by the unit of work, outside the writers' lock."""

import sqlite3
from contextlib import closing

import pytest

from supplies import database
from supplies.extensions import db
from supplies.services.db.audit import record
from supplies.services.db.unit_of_work import transaction


@pytest.fixture
def sqlite_only(ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the WAL and its checkpoints are SQLite's")


def test_every_fiftieth_write_checkpoints_the_wal_on_sqlite(ctx, monkeypatch):
    checkpoints = []
    monkeypatch.setattr(database, "checkpoint_now", lambda engine: checkpoints.append(engine))
    monkeypatch.setattr(database, "_writes", iter(range(1, 1000)))
    for number in range(120):
        with transaction():
            record(None, "test.write", "test", number)
    assert len(checkpoints) == (2 if db.engine.dialect.name == "sqlite" else 0)


def test_a_checkpoint_copies_the_committed_writes_into_the_database_file(
    sqlite_only, ctx, monkeypatch
):
    database.checkpoint_now(db.engine)  # the schema
    monkeypatch.setattr(database, "_writes", iter(range(1, 1000)))  # none of its own below
    for number in range(30):
        with transaction():
            record(None, "test.write", "test", number)

    def entries_in_the_file() -> int:
        # immutable=1 reads the database file alone, as if the WAL were not there
        path = db.engine.url.database
        with closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as file_only:
            return file_only.execute("SELECT count(*) FROM audit_entries").fetchone()[0]

    assert entries_in_the_file() == 0
    database.checkpoint_now(db.engine)
    assert entries_in_the_file() == 30


def test_the_wal_stays_bounded_under_steady_writes_and_reads(sqlite_only, ctx, monkeypatch):
    # Issue 23: PASSIVE checkpoints alone never restart the log while readers keep reading,
    # and the WAL grew for ever. A smaller limit than production's keeps the test short.
    import threading

    from sqlalchemy import text

    monkeypatch.setattr(database, "WAL_LIMIT_BYTES", 256 * 1024)
    monkeypatch.setattr(database, "CHECKPOINT_EVERY", 10)
    monkeypatch.setattr(database, "_writes", iter(range(1, 100000)))
    engine, stop, largest = db.engine, threading.Event(), [0]

    def read_all_the_time():
        while not stop.is_set():
            with engine.connect() as connection:
                connection.execute(text("SELECT count(*) FROM audit_entries")).all()

    reader = threading.Thread(target=read_all_the_time, daemon=True)
    reader.start()
    try:
        for number in range(1500):
            with transaction():
                record(None, "test.write", "test", number, {"padding": "x" * 2000})
            largest[0] = max(largest[0], database.wal_bytes(engine))
    finally:
        stop.set()
        reader.join(10)
    # Without the restart this run leaves a log of several MB; with it, about the limit.
    assert largest[0] < 4 * 256 * 1024, largest[0]
