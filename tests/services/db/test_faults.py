"""Telling database faults apart from the drivers' own errors (issue 23)."""

import sqlite3

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy.exc import DataError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from supplies.services.db import faults


def _wrapped(original) -> OperationalError:
    return OperationalError("SELECT 1", {}, original)


def _sqlite(text: str, code: int):
    error = sqlite3.OperationalError(text)
    error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize(
    "original, kind, status",
    [
        (_sqlite("database or disk is full", 13), faults.DISK_FULL, 507),
        (_sqlite("unable to open database file", 14), faults.UNREACHABLE, 502),
        (_sqlite("database is locked", 5), faults.BUSY, 503),
        (pg.DiskFull("could not extend file: No space left on device"), faults.DISK_FULL, 507),
        (pg.AdminShutdown("terminating connection due to administrator command"),
         faults.UNREACHABLE, 502),
        (pg.CannotConnectNow("the database system is starting up"), faults.UNREACHABLE, 502),
        (psycopg.OperationalError("connection failed: Connection refused"),
         faults.UNREACHABLE, 502),
        (pg.LockNotAvailable("canceling statement due to lock timeout"), faults.BUSY, 503),
        (pg.DeadlockDetected("deadlock detected"), faults.BUSY, 503),
        (pg.TooManyConnections("sorry, too many clients already"), faults.BUSY, 503),
    ],
)  # fmt: skip
def test_each_fault_is_told_by_the_drivers_code(original, kind, status):
    fault = faults.classify(_wrapped(original))
    assert (fault.code, fault.status) == (kind, status)
    assert type(original).__name__ in faults.cause(_wrapped(original))


def test_a_pool_with_no_free_connection_is_busy():
    assert faults.classify(PoolTimeout("QueuePool limit reached")).code == faults.BUSY


def test_each_fault_has_its_own_status_and_words():
    found = list(faults.FAULTS.values())
    assert len({f.status for f in found}) == len({str(f.message) for f in found}) == 3


def test_a_value_the_driver_refuses_is_a_bug_not_a_busy_database():
    refused = DataError("SELECT 1", {}, ValueError("text cannot contain NUL bytes"))
    assert not faults.is_fault(refused)
    assert not faults.is_fault(ProgrammingError("SELEC 1", {}, ValueError("syntax")))
    assert faults.is_fault(OperationalError("SELECT 1", {}, ValueError("database is locked")))
