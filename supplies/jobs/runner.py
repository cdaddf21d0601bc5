"""Where jobs run, and the one way each attempt is claimed, run and finished.

Without REDIS_URL (the default, `make run`), a job runs in a thread of the app process
that started it, except imports, which run in a process of their own (never in a web
worker's thread: a worker killed by its timeout would take the import with it). With
REDIS_URL, it is put on an RQ queue in Redis and `flask --app wsgi worker` runs it, on
any machine. Either way the job's row in the database is the truth:
the queue only carries a job's id, so a lost queue entry is put back (see `recover`), and
a job whose process died is tried once more, then marked failed with a message.
"""

import json
import logging
import subprocess
import sys
import threading

from flask import Flask, current_app

from supplies.config import PROJECT_ROOT
from supplies.extensions import db
from supplies.jobs import store, tasks
from supplies.models import Job
from supplies.services.common.errors import DomainError
from supplies.services.common.messages import msg
from supplies.services.db.operations import OperationRequest

log = logging.getLogger(__name__)
GAVE_UP = msg(
    "The job stopped twice before it finished (a server or worker restarted), so it was "
    "given up. Nothing was saved; please start it again."
)
TIMED_OUT = msg("The job took longer than allowed and was stopped. Nothing was saved.")
NO_QUEUE = msg("The job queue could not be reached. Nothing was started; please try again.")
# RQ job states in which the queue still holds the job.
_IN_QUEUE = {"queued", "started", "scheduled", "deferred"}

_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()
_connections: dict[str, object] = {}


def start(
    kind: str, owner_id: int | None, params: dict, key: str | None = None, total: int = 0
) -> Job:
    """Create a job and send it to be run."""
    job = store.create(kind, owner_id, params, key, total)
    submit(job)
    return job


def start_once(
    request: OperationRequest, kind: str, owner_id: int | None, params: dict, total: int = 0
) -> tuple[Job, bool]:
    """Like start, for a client's operation id: the same id again is the same job."""
    job, created = store.create_once(request, kind, owner_id, params, total)
    if created:
        submit(job)
    return job, created


def submit(job: Job) -> None:
    """Hand a queued job to the thread or queue that will run it."""
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        if tasks.TASKS[job.kind].own_process and app.config.get("JOB_PROCESSES"):
            _in_process(app, job.id)
            return
        thread = threading.Thread(
            target=_in_thread, args=(app, job.id), daemon=True, name=f"job-{job.id}"
        )
        with _threads_lock:
            _threads.add(thread)
        thread.start()
        return
    try:
        queue(app).enqueue(
            "supplies.jobs.runner.execute",
            job.id,
            job_id=_queue_id(job),
            job_timeout=app.config["JOB_TIMEOUT_SECONDS"],
            result_ttl=0,
            failure_ttl=7 * 24 * 3600,
            description=job.kind,
        )
    except Exception:
        log.exception("could not put job %s on the queue", job.id)
        store.fail(job.id, NO_QUEUE, attempt=job.attempts)


def _queue_id(job: Job) -> str:
    """The queue's name for an attempt: a retry is a new entry, a lost entry is put back."""
    return f"{job.id}-{job.attempts}"


def redis(app: Flask):
    """The Redis client of REDIS_URL (one per process and URL; it pools connections)."""
    from redis import Redis

    url = app.config["REDIS_URL"]
    client = _connections.get(url)
    if client is None:
        client = _connections[url] = Redis.from_url(url)
    return client


def queue(app: Flask):
    """The RQ queue every app server and worker of the program shares (JOBS_QUEUE)."""
    from rq import Queue

    return Queue(app.config["JOBS_QUEUE"], connection=redis(app))


def _in_process(app: Flask, job_id: str) -> None:
    """Run the job in a new process of its own (python -m supplies.jobs.child), in a session
    of its own: a web worker that is restarted or killed (gunicorn's timeout) does not take
    the job with it, and the job's work never competes with requests for the worker's
    interpreter. The app's settings go to it on its standard input, never on the command
    line. A thread of this process waits for it (so `wait` can join it, and no zombie stays).
    """
    settings = {key: value for key, value in app.config.items() if _plain(value)}
    child = subprocess.Popen(  # noqa: S603 (our own interpreter and module; the id is ours)
        [sys.executable, "-m", "supplies.jobs.child", job_id],
        stdin=subprocess.PIPE,
        cwd=str(PROJECT_ROOT),
        start_new_session=True,
        close_fds=True,
    )
    try:
        child.stdin.write(json.dumps(settings).encode())
    finally:
        child.stdin.close()
    reaper = threading.Thread(target=child.wait, daemon=True, name=f"job-process-{job_id}")
    with _threads_lock:
        _threads.add(reaper)
    reaper.start()


def _plain(value) -> bool:
    """Whether a setting can travel as JSON (numbers, text, lists and mappings of them)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _in_thread(app: Flask, job_id: str) -> None:
    try:
        with app.app_context():
            execute(job_id)
    finally:
        with _threads_lock:
            _threads.discard(threading.current_thread())


def wait(timeout: float = 60) -> None:
    """Wait for the jobs running in threads of this process (tests, and a clean shutdown)."""
    with _threads_lock:
        running = list(_threads)
    for thread in running:
        thread.join(timeout)


def execute(job_id: str) -> None:
    """Run one attempt of a job: RQ calls this in a worker, the embedded runner in a thread."""
    app = current_app._get_current_object()
    with app.app_context():  # a context of its own: its own database session
        work = store.claim(job_id)
        if work is None:
            return  # finished, failed or taken by another process meanwhile
        task = tasks.TASKS[work.kind]
        store.live[work.id] = work
        heartbeat = _Heartbeat(app, work)
        heartbeat.start()
        try:
            outcome = task.run(work)
        except DomainError as error:
            store.fail(work.id, error.message, attempt=work.attempt)
        except Exception as error:
            timed_out = type(error).__name__ == "JobTimeoutException"
            log.exception("job %s (%s) failed", work.id, work.kind)
            store.fail(work.id, TIMED_OUT if timed_out else task.failure, attempt=work.attempt)
        else:
            store.finish(work, outcome.result, outcome.file_id)
        finally:
            heartbeat.stop()
            store.live.pop(work.id, None)
            db.session.remove()


class _Heartbeat(threading.Thread):
    """Writes a running attempt's heartbeat and progress every JOB_HEARTBEAT_SECONDS."""

    def __init__(self, app: Flask, work: store.Work):
        super().__init__(daemon=True, name=f"heartbeat-{work.id}")
        self.app, self.work, self.stopped = app, work, threading.Event()

    def run(self) -> None:
        every = float(self.app.config["JOB_HEARTBEAT_SECONDS"])
        with self.app.app_context():
            while not self.stopped.wait(every):
                try:
                    store.beat(self.work)
                except Exception:  # noqa: BLE001 (a missed beat is retried at the next one)
                    log.warning("heartbeat of job %s not written", self.work.id, exc_info=True)

    def stop(self) -> None:
        """Stop beating (the attempt has ended)."""
        self.stopped.set()
        self.join(5)


def follow(job_id: str | None) -> Job | None:
    """A job as it stands now, recovered first if its process died or its queue entry was
    lost: what every screen and the API read."""
    job = store.get(job_id)
    if job is not None and store.is_stale(job):
        recover(job)
        job = store.get(job_id)
    return job


def recover(job: Job) -> None:
    """Try a stale job once more, or give it up with a message (never left running)."""
    before = store.stale_before()
    if job.status == store.RUNNING:
        if job.attempts < store.MAX_ATTEMPTS:
            if store.requeue(job, before):
                log.warning("job %s (%s): its process died; trying again", job.id, job.kind)
                submit(store.get(job.id))
        elif store.fail(job.id, GAVE_UP, stale_before=before):
            log.warning("job %s (%s): its process died twice; given up", job.id, job.kind)
    elif job.status == store.QUEUED and _lost(job) and store.requeue(job, before):
        log.warning("job %s (%s) was no longer queued; queued again", job.id, job.kind)
        submit(store.get(job.id))


def _lost(job: Job) -> bool:
    """Whether a job queued for a while is no longer waiting anywhere."""
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        # A thread starts at once; a job still queued after so long lost its process.
        return True
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as QueueEntry

    try:
        entry = QueueEntry.fetch(_queue_id(job), connection=redis(app))
    except NoSuchJobError:
        return True
    return entry.get_status() not in _IN_QUEUE
