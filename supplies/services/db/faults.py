"""What went wrong with the database, told apart: its disk is full, it cannot be reached, or
it is busy. Each has its own message and HTTP status, and is logged at ERROR with its cause.

Before, every OperationalError was answered "busy, try again": a full disk gave hundreds
of such answers and no log line. The cause is read from the driver's own error: SQLite's
result code (Python's sqlite3 exceptions carry it) and PostgreSQL's SQLSTATE (psycopg's),
falling back to the text of the message where a driver gives nothing better.
"""

import sqlite3
from dataclasses import dataclass

from sqlalchemy import exc

from supplies.services.common.messages import Message, msg

DISK_FULL, UNREACHABLE, BUSY = "disk_full", "database_unreachable", "busy"


@dataclass(frozen=True)
class Fault:
    """A kind of database failure: its code (the API's error code), status and message."""

    code: str
    status: int
    message: Message
    # Seconds a client should wait before trying again (None: not worth retrying soon).
    retry_after: int | None


FAULTS = {
    DISK_FULL: Fault(
        DISK_FULL,
        507,
        msg(
            "The server's disk is full, so nothing can be recorded. Nothing was recorded; "
            "tell an admin."
        ),
        None,
    ),
    UNREACHABLE: Fault(
        UNREACHABLE,
        502,
        msg(
            "The database cannot be reached. Nothing was recorded; please try again in a "
            "few minutes."
        ),
        30,
    ),
    BUSY: Fault(BUSY, 503, msg("The database is busy; nothing was recorded. Please try again."), 2),
}

# SQLite primary result codes (https://www.sqlite.org/rescode.html).
_SQLITE = {13: DISK_FULL, 14: UNREACHABLE, 5: BUSY, 6: BUSY}
# PostgreSQL SQLSTATEs and classes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_POSTGRES = {
    "53100": DISK_FULL,  # disk_full
    "57P01": UNREACHABLE,  # admin_shutdown
    "57P02": UNREACHABLE,  # crash_shutdown
    "57P03": UNREACHABLE,  # cannot_connect_now (starting up, or in recovery)
    "53300": BUSY,  # too_many_connections
    "55P03": BUSY,  # lock_not_available
    "57014": BUSY,  # query_canceled (a statement timeout)
    "40001": BUSY,  # serialization_failure
    "40P01": BUSY,  # deadlock_detected
}
_POSTGRES_CLASSES = {"08": UNREACHABLE, "53": BUSY}
_TEXTS = (
    ("no space left on device", DISK_FULL),
    ("database or disk is full", DISK_FULL),
    ("disk full", DISK_FULL),
    ("unable to open database file", UNREACHABLE),
    ("connection refused", UNREACHABLE),
    ("could not connect", UNREACHABLE),
    ("connection failed", UNREACHABLE),
    ("server closed the connection", UNREACHABLE),
    ("terminating connection", UNREACHABLE),
    ("the connection is closed", UNREACHABLE),
    ("name or service not known", UNREACHABLE),
    ("timeout expired", UNREACHABLE),
    ("database is locked", BUSY),
    ("database table is locked", BUSY),
)


def is_fault(error: BaseException) -> bool:
    """Whether the database failed (a fault to tell the user about), not the statement: a
    value the driver refuses or malformed SQL is a bug, never "busy, try again"."""
    return not isinstance(error, (exc.DataError, exc.ProgrammingError, exc.NotSupportedError))


def classify(error: BaseException) -> Fault:
    """The kind of database failure an exception is (busy when nothing says otherwise)."""
    return FAULTS[_kind(error)]


def _kind(error: BaseException) -> str:
    if isinstance(error, exc.TimeoutError):
        return BUSY  # no connection free in the pool: every one is working
    original = getattr(error, "orig", None) or error
    if isinstance(original, sqlite3.Error):
        code = getattr(original, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _SQLITE:
            return _SQLITE[code & 0xFF]
    state = getattr(original, "sqlstate", None)
    if state:
        if state in _POSTGRES:
            return _POSTGRES[state]
        if state[:2] in _POSTGRES_CLASSES:
            return _POSTGRES_CLASSES[state[:2]]
    text = str(original).casefold()
    for words, kind in _TEXTS:
        if words in text:
            return kind
    if getattr(error, "connection_invalidated", False):
        return UNREACHABLE
    # psycopg raises OperationalError without a SQLSTATE when no connection could be made.
    if (
        state is None
        and type(original).__name__ == "OperationalError"
        and (type(original).__module__.startswith("psycopg"))
    ):
        return UNREACHABLE
    return BUSY


def cause(error: BaseException) -> str:
    """The driver's own words for the failure, on one line, for the log."""
    original = getattr(error, "orig", None) or error
    text = " ".join(str(original).split())
    return f"{type(original).__module__}.{type(original).__name__}: {text}"[:500]
