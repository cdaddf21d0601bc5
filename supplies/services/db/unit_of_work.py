"""The one place that commits: a write transaction around a whole operation."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from supplies.database import after_write, begin_immediate, sqlite_lock_path, writer_turn
from supplies.extensions import db

_depth: ContextVar[int] = ContextVar("unit_of_work_depth", default=0)


def in_transaction() -> bool:
    """True inside a unit of work (so a caller knows nothing is committed yet)."""
    return _depth.get() > 0


@contextmanager
def transaction() -> Iterator[None]:
    """Run the block as one write transaction: commit at the end, roll back on any error.

    Nested use becomes a savepoint inside the outer transaction, so a command that runs
    many operations (an import, the demo seed) commits once, and an operation that fails
    halfway leaves nothing behind. On SQLite, reads done before the block end first, so
    the write starts on a fresh snapshot with the write lock taken at BEGIN.
    """
    depth = _depth.get()
    if depth:
        token = _depth.set(depth + 1)
        savepoint = db.session.begin_nested()
        try:
            yield
            savepoint.commit()
        except BaseException:
            savepoint.rollback()
            raise
        finally:
            _depth.reset(token)
        return
    session = db.session()
    engine = db.engine
    if session.in_transaction() and _reads_must_end(session, engine.dialect.name):
        session.commit()
    depth_token = _depth.set(1)
    immediate_token = begin_immediate.set(True)
    try:
        with writer_turn(sqlite_lock_path(engine)):
            try:
                yield
                session.commit()
            except BaseException:
                session.rollback()
                raise
        after_write(engine)
    finally:
        begin_immediate.reset(immediate_token)
        _depth.reset(depth_token)


@contextmanager
def snapshot() -> Iterator[None]:
    """Run a report's many reads against one snapshot of the database.

    SQLite's read transaction is a snapshot already. PostgreSQL at READ COMMITTED gives
    every statement its own, so a distribution committed between two of a report's
    queries would make its tables disagree (closing stock against units distributed):
    there the block reads at REPEATABLE READ.
    """
    if in_transaction():
        raise RuntimeError("a snapshot for reads cannot begin inside a write transaction")
    session = db.session()
    if session.in_transaction():
        session.commit()  # ends the reads before it; nothing is written outside a unit of work
    if db.engine.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()  # a read-only transaction: ends the snapshot, keeps loaded objects


def _reads_must_end(session, dialect: str) -> bool:
    """Whether the reads before a write transaction are committed before it begins.

    SQLite must: its write lock is taken at BEGIN IMMEDIATE. PostgreSQL reads at READ
    COMMITTED take no locks and every statement sees the latest commits, so the write
    goes on in the same transaction, on the same connection: one commit, one pool
    checkout and its liveness ping fewer per request. Changes left pending in the
    session are still committed first, as before.
    """
    return dialect == "sqlite" or bool(session.new or session.dirty or session.deleted)
