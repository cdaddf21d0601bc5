"""The one place that commits: a write transaction around a whole operation."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from supplies.database import begin_immediate, sqlite_lock_path, writer_turn
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
    halfway leaves nothing behind. Reads done before the block end first, so the write
    starts on a fresh snapshot with the write lock taken at BEGIN on SQLite.
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
    if session.in_transaction():
        session.commit()
    depth_token = _depth.set(1)
    immediate_token = begin_immediate.set(True)
    try:
        with writer_turn(sqlite_lock_path(db.engine)):
            try:
                yield
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        begin_immediate.reset(immediate_token)
        _depth.reset(depth_token)
