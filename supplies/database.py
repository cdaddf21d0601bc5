"""Engine set-up: SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for write transactions."""

from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Set by the unit of work while it runs a write transaction, so that SQLite takes the write
# lock at BEGIN instead of upgrading a read lock halfway through (which can fail at once).
begin_immediate: ContextVar[bool] = ContextVar("begin_immediate", default=False)


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    """Attach the SQLite connection and transaction hooks; PostgreSQL needs none."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own BEGIN handling is switched off; _on_begin emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if begin_immediate.get() else "BEGIN")
