"""The worker of `flask --app wsgi worker`: runs the jobs of the Redis queue (REDIS_URL).

An RQ SimpleWorker: each job runs in the worker's own process (no fork per job, so the
database connection pool is never shared with a child). Run as many workers as jobs
should run at once; a worker that dies mid-job leaves the job to be tried again by
whoever next sees its heartbeat stale (another worker's maintenance round, or an app
server showing the job). The worker also keeps the housekeeping schedule.
"""

from flask import Flask

from supplies.jobs import maintenance, runner


class NoQueue(Exception):
    """REDIS_URL is not set: jobs run inside the app, and no worker is needed."""


def work(app: Flask, burst: bool = False, name: str | None = None) -> None:
    """Work off the queue until stopped (burst: until it is empty)."""
    if not app.config.get("REDIS_URL"):
        raise NoQueue("REDIS_URL is not set: jobs run inside the app processes, no worker needed.")
    from rq import SimpleWorker

    maintenance.start(app)
    worker = SimpleWorker([runner.queue(app)], connection=runner.redis(app), name=name)
    worker.work(burst=burst, logging_level="INFO", with_scheduler=False)
