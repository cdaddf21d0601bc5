"""A job's row in the database: created queued, claimed by one process, finished once.

Every change of state is a conditional update (`WHERE status = ... AND attempts = ...`), so
two servers can never both claim a job, and an attempt given up for dead cannot overwrite
the attempt that replaced it. Progress and the heartbeat are written outside the unit of
work, on a connection of their own: on SQLite an import holds the write lock for its whole
transaction, and a heartbeat must never queue behind it (it is skipped instead, and the
process that holds the job is seen to be alive: see `alive`).
"""

import os
import re
import socket
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from supplies.extensions import db
from supplies.models import Job
from supplies.models.types import utcnow
from supplies.services.common.messages import portable, restore
from supplies.services.db import operations
from supplies.services.db.operations import OperationRequest
from supplies.services.db.unit_of_work import transaction
from supplies.vocab import JOB_STATUSES

QUEUED, RUNNING, DONE, FAILED = JOB_STATUSES
UNFINISHED = (QUEUED, RUNNING)
# A job whose process dies is tried once more, then given up with a message.
MAX_ATTEMPTS = 2
HOST = socket.gethostname()
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


class Work:
    """One attempt of a job as its task sees it: what to do and how far it has come."""

    def __init__(self, job: Job):
        self.id, self.kind, self.params = job.id, job.kind, dict(job.params or {})
        self.owner_id, self.attempt = job.owner_id, job.attempts
        self.done, self.total = 0, job.total

    def advance(self, amount: int = 1) -> None:
        """Count work done (a row checked, an event written)."""
        self.done += amount
        self.total = max(self.total, self.done)

    def reach(self, done: int) -> None:
        """Say how much is done in all (rows written so far)."""
        self.done = done
        self.total = max(self.total, done)


# The attempts running in this process, by job id: a reader here sees their live progress
# (on SQLite the written one may lag behind while an import holds the write lock).
live: dict[str, Work] = {}


def this_process() -> str:
    """This process as a job's `worker`: host and process id."""
    return f"{HOST}:{os.getpid()}"


def _setting(name: str):
    return current_app.config[name]


def create(
    kind: str, owner_id: int | None, params: dict, key: str | None = None, total: int = 0
) -> Job:
    """A new queued job (committed, so any process may claim it)."""
    with transaction():
        job = _new(kind, owner_id, params, key, total)
        db.session.add(job)
    return job


def create_once(
    request: OperationRequest, kind: str, owner_id: int | None, params: dict, total: int = 0
) -> tuple[Job, bool]:
    """A new queued job for a client's operation id, or the job that id made before."""

    def write() -> dict:
        job = _new(kind, owner_id, params, None, total)
        db.session.add(job)
        db.session.flush()
        return {"job": job.id}

    outcome = operations.run_once(request, kind, owner_id, write)
    return get(outcome.result["job"]), outcome.created


def _new(kind, owner_id, params, key, total) -> Job:
    now = utcnow()
    return Job(
        id=uuid.uuid4().hex,
        kind=kind,
        key=key,
        owner_id=owner_id,
        status=QUEUED,
        params=params,
        total=total,
        done=0,
        attempts=0,
        created_at=now,
        # While queued, the heartbeat says when it was (re)queued.
        heartbeat_at=now,
    )


def get(job_id: str | None) -> Job | None:
    """The job as the database has it now, or None (also for anything not shaped like an id)."""
    if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
        return None
    return db.session.execute(
        select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def latest(key: str, with_file: bool = False) -> Job | None:
    """The newest job with this key (with_file: the newest that holds a file)."""
    conditions = [Job.key == key]
    if with_file:
        conditions.append(Job.file_id.is_not(None))
    return db.session.execute(
        select(Job)
        .where(*conditions)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def progress(job: Job) -> tuple[int, int]:
    """How far a job has come (done, total): live when it runs in this process."""
    work = live.get(job.id)
    if job.status == RUNNING and work is not None:
        return work.done, work.total
    return job.done, job.total


def message(job: Job):
    """Why a job failed, translatable again (a Message), or None."""
    return restore(job.message)


def claim(job_id: str) -> Work | None:
    """Take a queued job for this process; None when it is not queued (done, or taken)."""
    now = utcnow()
    with transaction():
        taken = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == QUEUED)
            .values(
                status=RUNNING,
                attempts=Job.attempts + 1,
                worker=this_process(),
                started_at=now,
                heartbeat_at=now,
            )
        ).rowcount
    if taken != 1:
        return None
    return Work(get(job_id))


def beat(work: Work) -> bool:
    """Write the heartbeat and progress of a running attempt; False when it was skipped."""
    statement = (
        update(Job)
        .where(Job.id == work.id, Job.attempts == work.attempt, Job.status == RUNNING)
        .values(heartbeat_at=utcnow(), done=work.done, total=max(work.total, work.done))
    )
    return _quietly(statement)


def _quietly(statement) -> bool:
    """Run one update on a connection of its own, never waiting long for SQLite's write lock."""
    engine = db.engine
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        try:
            if sqlite:
                connection.exec_driver_sql("PRAGMA busy_timeout = 200")
            connection.execute(statement)
            connection.commit()
            return True
        except OperationalError:
            connection.rollback()
            return False
        finally:
            if sqlite:
                busy = int(_setting("SQLITE_BUSY_TIMEOUT_MS"))
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {busy}")
                connection.rollback()


def finish(work: Work, result: dict, file_id: int | None = None) -> bool:
    """Record a finished attempt's outcome; False when the attempt was given up meanwhile."""
    now = utcnow()
    with transaction():
        return (
            db.session.execute(
                update(Job)
                .where(Job.id == work.id, Job.attempts == work.attempt, Job.status == RUNNING)
                .values(
                    status=DONE,
                    result=_portable(result),
                    file_id=file_id,
                    done=max(work.done, work.total),
                    total=max(work.done, work.total),
                    finished_at=now,
                    heartbeat_at=now,
                    worker=None,
                )
            ).rowcount
            == 1
        )


def fail(job_id: str, why, attempt: int | None = None, stale_before: datetime | None = None):
    """Mark an unfinished job failed with a message; False when it was not unfinished.

    attempt: only that attempt (a task that failed); stale_before: only if its heartbeat
    is older (a job given up for dead, which must not have beaten meanwhile).
    """
    conditions = [Job.id == job_id, Job.status.in_(UNFINISHED)]
    if attempt is not None:
        conditions.append(Job.attempts == attempt)
    if stale_before is not None:
        conditions.append(Job.heartbeat_at < stale_before)
    now = utcnow()
    with transaction():
        return (
            db.session.execute(
                update(Job)
                .where(*conditions)
                .values(status=FAILED, message=portable(why), finished_at=now, heartbeat_at=now)
            ).rowcount
            == 1
        )


def requeue(job: Job, stale_before: datetime) -> bool:
    """Put a job whose process died (or whose queue entry was lost) back in the queue."""
    with transaction():
        return (
            db.session.execute(
                update(Job)
                .where(
                    Job.id == job.id,
                    Job.status == job.status,
                    Job.attempts == job.attempts,
                    Job.heartbeat_at < stale_before,
                )
                .values(status=QUEUED, worker=None, heartbeat_at=utcnow())
            ).rowcount
            == 1
        )


def stale_before() -> datetime:
    """A heartbeat older than this is silent for too long."""
    return utcnow() - timedelta(seconds=_setting("JOB_STALE_SECONDS"))


def alive(job: Job) -> bool | None:
    """Whether the process running the job is alive: known on this host, else None.

    A process of this host that is gone cannot be running anything; one that is there
    may be busy behind a long write (its heartbeat skipped), so it is left alone.
    """
    if job.worker == this_process():
        return job.id in live
    host, _, pid = (job.worker or "").rpartition(":")
    if host != HOST or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(job: Job) -> bool:
    """A running job whose process is gone (or silent past every limit), or a job queued
    for longer than a heartbeat may be silent."""
    if job.status not in UNFINISHED or job.heartbeat_at is None:
        return False
    if job.heartbeat_at >= stale_before():
        return False
    if job.status == QUEUED:
        return True
    limit = utcnow() - timedelta(seconds=_setting("JOB_TIMEOUT_SECONDS"))
    return alive(job) is not True or job.heartbeat_at < limit - timedelta(minutes=5)


def unfinished_and_silent() -> list[Job]:
    """Jobs queued or running whose heartbeat is older than the stale limit."""
    return list(
        db.session.execute(
            select(Job).where(Job.status.in_(UNFINISHED), Job.heartbeat_at < stale_before())
        ).scalars()
    )


def purge_finished(before: datetime) -> int:
    """Remove jobs that finished before the moment; how many went."""
    with transaction():
        return db.session.execute(
            Job.__table__.delete().where(Job.status.in_((DONE, FAILED)), Job.finished_at < before)
        ).rowcount


def _portable(value):
    """Messages anywhere in a result as template and values (JSON that translates later)."""
    if isinstance(value, dict):
        return {key: _portable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_portable(item) for item in value]
    return portable(value)


def restored(value):
    """A stored result with its messages translatable again."""
    if isinstance(value, dict):
        if set(value) == {"template", "values"}:
            return restore(value)
        return {key: restored(item) for key, item in value.items()}
    if isinstance(value, list):
        return [restored(item) for item in value]
    return value
