"""Engine set-up: SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for write transactions."""

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

try:
    import fcntl  # POSIX only: the writers' queue below
except ImportError:  # pragma: no cover - Windows: SQLite's busy handler queues writers alone
    fcntl = None

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
        # Keep the hot parts of large indexes (random UUID keys) in memory: a 64 MiB page
        # cache per connection, and the whole file (up to SQLite's 2 GB cap) memory-mapped.
        # Another worker's write empties this connection's page cache at its next
        # transaction; pages read through the map cost no read() and no copy then, which
        # is what keeps a write as fast at a million events as at ten thousand.
        cursor.execute("PRAGMA cache_size = -65536")
        cursor.execute("PRAGMA mmap_size = 2147418112")
        cursor.execute("PRAGMA foreign_keys = ON")
        # The unit of work checkpoints the WAL itself, outside the writers' lock (see
        # checkpoint_now); SQLite's own checkpoint, run inside the committing call, is left
        # as a backstop for writers that bypass it (migrations, bulk loads).
        cursor.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_CHECKPOINT_PAGES}")
        # When the log restarts after a complete checkpoint, SQLite cuts the file back to
        # this size instead of keeping its largest size for ever: twice the size at which
        # the log is restarted (WAL_LIMIT_BYTES), so that a restarted log overwrites the
        # file it has rather than growing a cut one again, write by write.
        cursor.execute(f"PRAGMA journal_size_limit = {2 * WAL_LIMIT_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Straight to the driver: two of these per request on the fast path, and a BEGIN
        # needs none of SQLAlchemy's statement handling.
        driver = connection.connection.driver_connection
        driver.execute("BEGIN IMMEDIATE" if begin_immediate.get() else "BEGIN").close()


# A checkpoint copies the WAL's pages back into the database file and syncs it to disk: a
# few milliseconds. SQLite runs it inside the commit that crosses its threshold, which here
# would be inside the writers' flock, so every writer would wait out the fsync. Instead each
# process checkpoints after every CHECKPOINT_EVERY write transactions, once its flock is
# released, in PASSIVE mode (it waits for no reader or writer).
#
# A PASSIVE checkpoint never lets the log start again from its beginning while readers keep
# reading: at 40 writes a second under steady reads the WAL grew to 41 MB in 40 s and never
# shrank. So when the file has grown past WAL_LIMIT_BYTES, the passive checkpoint is
# followed by a RESTART one, taken in the writers' turn and waiting at most
# RESTART_WAIT_MS for readers to let go of the log's old pages: the next write then starts
# the log again at its beginning, and its commit cuts the file back to journal_size_limit.
# If a reader holds on longer, the next checkpoint tries again. Not TRUNCATE: a log cut to
# nothing grows again write by write, and appending to a file costs more than overwriting
# it (under `make bench` a, TRUNCATE cost about a tenth of the writes' throughput).
CHECKPOINT_EVERY = 50
BACKSTOP_CHECKPOINT_PAGES = 10000
WAL_LIMIT_BYTES = 4 * 1024 * 1024
RESTART_WAIT_MS = 200
_writes = itertools.count(1)
# The WAL's size when this process last checkpointed it for its size (0: not since it was
# last within twice its limit).
_checkpointed_at_bytes = [0]


def after_write(engine: Engine) -> None:
    """Count a committed write transaction; checkpoint the SQLite WAL every so many, and
    (passively) whenever it has grown past twice its limit by another limit's worth: an
    import writes megabytes in a few transactions, and a big WAL makes the next checkpoint
    long."""
    if engine.dialect.name != "sqlite":
        return
    if next(_writes) % CHECKPOINT_EVERY == 0:
        checkpoint_now(engine)
        return
    size = wal_bytes(engine)
    if size <= 2 * WAL_LIMIT_BYTES:
        _checkpointed_at_bytes[0] = 0
    elif size > _checkpointed_at_bytes[0] + WAL_LIMIT_BYTES:
        # Not on every small write while readers keep the log from restarting (under
        # `make bench` a that was a passive checkpoint per distribution, 3% of its cost):
        # again only once the log has grown by another limit's worth.
        _checkpointed_at_bytes[0] = size
        _passive_checkpoint(engine)


def checkpoint_now(engine: Engine) -> None:
    """Copy what the WAL holds back into the database file, waiting for nobody (PASSIVE);
    once the WAL is past its limit, start the log again from nothing (TRUNCATE)."""
    _passive_checkpoint(engine)
    if wal_bytes(engine) > WAL_LIMIT_BYTES:
        # The passive pass above copied what it could without stopping anyone, so the
        # restart, which holds the writers' turn, has little left to copy.
        restart_wal(engine)


def _passive_checkpoint(engine: Engine) -> None:
    raw = engine.raw_connection()
    try:
        # Straight on the driver's connection, which is in autocommit: a checkpoint cannot
        # run inside a transaction of its own connection.
        raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").close()
    finally:
        raw.close()


def wal_bytes(engine: Engine) -> int:
    """The size of the SQLite write-ahead log beside the database file (0: none)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return 0
    try:
        return os.path.getsize(f"{database}-wal")
    except OSError:
        return 0


def restart_wal(engine: Engine) -> bool:
    """Checkpoint everything so the next write starts the WAL again from its beginning, in
    the writers' turn, waiting at most RESTART_WAIT_MS for readers; True when it will."""
    raw = engine.raw_connection()
    driver = raw.driver_connection
    try:
        with writer_turn(sqlite_lock_path(engine)):
            busy = driver.execute("PRAGMA busy_timeout").fetchone()[0]
            driver.execute(f"PRAGMA busy_timeout = {RESTART_WAIT_MS}")
            try:
                blocked, _log, _copied = driver.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            finally:
                driver.execute(f"PRAGMA busy_timeout = {int(busy)}")
        return blocked == 0
    finally:
        raw.close()


def sqlite_lock_path(engine: Engine) -> str | None:
    """The lock file that serializes SQLite writers, or None (PostgreSQL, in-memory, no flock)."""
    if engine.dialect.name != "sqlite" or fcntl is None:
        return None
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return f"{database}.writelock"


@contextmanager
def writer_turn(lock_path: str | None) -> Iterator[None]:
    """Wait for this process's turn to write, blocking in the kernel rather than polling.

    SQLite's busy handler retries a locked database by sleeping (1, 2, 5, 10 ms...), which
    leaves cores idle while writers queue. An exclusive flock on a file beside the database
    wakes the next writer the moment the last one commits. Each turn opens its own file
    description, so threads of one process exclude each other too.
    """
    if lock_path is None:
        yield
        return
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock, also if the process dies
