"""Housekeeping on a schedule: old files (uploads after an hour) and finished jobs purged,
stale jobs recovered, the sums of newly closed quarters read for the funder workbook.

The worker runs it every JOB_MAINTENANCE_SECONDS; without a worker (no REDIS_URL) each app
process does, from a thread started by its first request. Every step is a conditional
delete or update, so several processes running it at once do no harm.
"""

import logging
import os
import threading
from datetime import timedelta

from flask import Flask

from supplies.extensions import db
from supplies.jobs import runner, store
from supplies.models.types import utcnow
from supplies.services.common import clock
from supplies.services.db import files
from supplies.services.reporting import quarter_counts

log = logging.getLogger(__name__)
_started: dict[int, threading.Thread] = {}
_lock = threading.Lock()


def run_once(app: Flask) -> dict:
    """One round: purge expired files and old finished jobs, recover stale jobs, read the
    sums of closed quarters that have none kept."""
    with app.app_context():
        try:
            purged_files = files.purge_expired()
            # Uploads an hour old go, whatever happened to their check or import.
            purged_files += files.purge_older(files.UPLOAD, utcnow() - files.UPLOAD_KEEP)
            keep = timedelta(days=app.config["JOB_KEEP_DAYS"])
            purged_jobs = store.purge_finished(utcnow() - keep)
            recovered = 0
            for job in store.unfinished_and_silent():
                if store.is_stale(job):
                    runner.recover(job)
                    recovered += 1
            quarters = quarter_counts.count_recently_closed(clock.today())
            return {
                "files": purged_files,
                "jobs": purged_jobs,
                "recovered": recovered,
                "quarters": quarters,
            }
        finally:
            db.session.remove()


def _loop(app: Flask, every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            done = run_once(app)
            if any(done.values()):
                log.info("job maintenance: %s", done)
        except Exception:  # noqa: BLE001 (tried again at the next round)
            log.exception("job maintenance failed")


def start(app: Flask, stop: threading.Event | None = None) -> threading.Thread | None:
    """Start this process's maintenance thread once (again in a forked child)."""
    every = app.config["JOB_MAINTENANCE_SECONDS"]
    if every <= 0:
        return None
    with _lock:
        thread = _started.get(os.getpid())
        if thread is None or not thread.is_alive():
            thread = threading.Thread(
                target=_loop,
                args=(app, every, stop or threading.Event()),
                daemon=True,
                name="job-maintenance",
            )
            _started[os.getpid()] = thread
            thread.start()
        return thread


def register(app: Flask) -> None:
    """Without a worker, the app's own processes keep the schedule (not in tests)."""
    if app.config.get("REDIS_URL") or app.testing or app.config["JOB_MAINTENANCE_SECONDS"] <= 0:
        return

    @app.before_request
    def _start_maintenance() -> None:
        if os.getpid() not in _started:
            start(app)
