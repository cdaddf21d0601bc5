"""Soak on a deployment of several servers: two gunicorn app servers, a job worker, Redis.

The writes of bench/soak.py go to either server at random (a retry may land on the other),
gunicorn workers of both servers are SIGKILLed in turn every few seconds, and an export
client starts event-level workbooks through one server, follows each job through the other
and downloads it from either. Halfway through, the job worker itself is SIGKILLed and a
new one started, as a crash and a restart would. Afterwards every acknowledged write is in
the database once, the ledger balances, every export started was downloaded as a workbook,
and each export id made one job and one file.

    python -m bench.soak_servers [--seconds 60] [--postgres URL] [--redis URL]
"""

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta

from bench.api_bench import app_env, prepare
from bench.harness import ROOT, VENV_BIN, gunicorn
from bench.soak import KILL_EVERY, Client, fresh_database, verify, workers_of
from supplies import create_app
from supplies.extensions import db
from supplies.models import Job, StoredFile

REDIS_URL = "redis://127.0.0.1:6379/14"
JOB_WAIT_SECONDS = 180  # an export caught by the worker's kill waits to be found stale


def redis_answers(url: str) -> bool:
    """True when Redis answers a ping at this URL."""
    from redis import Redis

    try:
        return bool(Redis.from_url(url, socket_connect_timeout=2).ping())
    except OSError:
        return False
    except Exception:  # redis's own connection errors
        return False


@contextmanager
def job_worker(env: dict, name: str):
    """`flask --app wsgi worker` in its own process group; killed whole on the way out."""
    command = [str(VENV_BIN / "flask"), "--app", "wsgi", "worker", "--name", name]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class Exporter(threading.Thread):
    """Starts event-level exports on one server, follows them on the other, downloads them."""

    def __init__(self, ports: list[int], token: str, deadline: float):
        super().__init__(daemon=True)
        self.ports, self.token, self.deadline = ports, token, deadline
        self.counts = Counter()
        self.jobs_by_export: dict[str, set[str]] = {}
        self.downloaded: set[str] = set()
        self.running = threading.Event()  # set while a followed job is seen running

    def _call(self, method: str, port: int, path: str, body: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            connection.request(method, path, json.dumps(body) if body else None, headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _retrying(self, method: str, port: int, path: str, body: dict | None = None):
        """One answer below 500, retried (same body) through connection errors and 5xx."""
        for _attempt in range(40):
            try:
                status, payload = self._call(method, port, path, body)
            except (OSError, http.client.HTTPException):
                self.counts["export connection errors (retried)"] += 1
                time.sleep(0.1)
                continue
            if status < 500:
                return status, payload
            self.counts["export 5xx (retried)"] += 1
            time.sleep(0.1)
        return None, b""

    def _one_export(self, export_id: str, first: int, other: int) -> None:
        end = date.today()
        # the program's whole history: a job runs for seconds, long enough to be killed in
        body = {
            "id": export_id,
            "start": (end - timedelta(days=3 * 366)).isoformat(),
            "end": str(end),
        }
        status, payload = self._retrying("POST", first, "/api/v1/exports/events", body)
        if status not in (200, 202):
            self.counts[f"export refused {status}"] += 1
            return
        job_id = json.loads(payload)["job"]["id"]
        self.jobs_by_export.setdefault(export_id, set()).add(job_id)
        waited_until = time.monotonic() + JOB_WAIT_SECONDS
        while time.monotonic() < waited_until:
            status, payload = self._retrying("GET", other, f"/api/v1/jobs/{job_id}")
            job = json.loads(payload) if status == 200 else {}
            if job.get("status") == "running":
                self.running.set()
            else:
                self.running.clear()
            if job.get("status") == "failed":
                self.counts["exports failed"] += 1
                return
            if job.get("status") == "done":
                status, workbook = self._retrying("GET", first, job["download"])
                if status == 200 and workbook[:2] == b"PK":
                    self.downloaded.add(export_id)
                return
            time.sleep(0.5)
        self.counts["exports never finished"] += 1

    def run(self) -> None:
        """Export after export until the deadline, alternating which server starts it."""
        turn = 0
        while time.monotonic() < self.deadline:
            first, other = self.ports[turn % 2], self.ports[(turn + 1) % 2]
            self._one_export(str(uuid.uuid4()), first, other)
            turn += 1


def soak_servers(database_url: str, seconds: int, redis_url: str, clients: int = 8) -> dict:
    """Run the two-server soak and verify the database; returns the figures."""
    token = prepare(database_url)
    env = {
        **app_env(database_url),
        "REDIS_URL": redis_url,
        "JOBS_QUEUE": f"supplies-bench-{uuid.uuid4().hex[:12]}",
        "JOB_HEARTBEAT_SECONDS": "0.5",
        "JOB_STALE_SECONDS": "4",
        "JOB_MAINTENANCE_SECONDS": "1",
    }
    with ExitStack() as stack:
        servers = [stack.enter_context(gunicorn("wsgi:app", env)) for _ in range(2)]
        ports = [int(base.rsplit(":", 1)[1]) for base, _ in servers]
        worker = stack.enter_context(job_worker(env, f"{env['JOBS_QUEUE']}-first"))
        deadline = time.monotonic() + seconds
        writers = [Client(ports, token, deadline, seed) for seed in range(clients)]
        exporter = Exporter(ports, token, deadline)
        for thread in [*writers, exporter]:
            thread.start()
        kills, worker_killed, turn = 0, False, 0
        rng = random.Random(1)
        while time.monotonic() < deadline:
            time.sleep(KILL_EVERY)
            workers = workers_of(servers[turn % 2][1].pid)
            turn += 1
            if workers:
                os.kill(rng.choice(workers), signal.SIGKILL)
                kills += 1
            if not worker_killed and time.monotonic() > deadline - seconds / 2:
                exporter.running.wait(timeout=KILL_EVERY * 3)  # kill it in the middle of a job
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
                stack.enter_context(job_worker(env, f"{env['JOBS_QUEUE']}-second"))
                worker_killed = True
        for thread in writers:
            thread.join(timeout=60)
        exporter.join(timeout=JOB_WAIT_SECONDS + 60)
    acknowledged = [ack for thread in writers for ack in thread.acknowledged]
    counts = sum((thread.counts for thread in writers), Counter())
    failed = ("connection errors (retried)", "5xx (retried)", "read errors")
    return {
        "servers": len(ports),
        "kills": kills,
        "job worker killed": int(worker_killed),
        "requests": sum(counts.values()) - counts["gave up"],
        "acknowledged": len(acknowledged),
        "errors": sum(counts[name] for name in failed),
        "gave up": counts["gave up"],
        **counts,
        **exporter.counts,
        **verify(database_url, acknowledged),
        **_verify_exports(database_url, exporter),
    }


def _verify_exports(database_url: str, exporter: Exporter) -> dict:
    """Every export started was downloaded; one job per export id; one file per done job."""
    started = len(exporter.jobs_by_export)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        jobs = db.session.execute(db.select(db.func.count(Job.id))).scalar()
        done = db.session.execute(
            db.select(db.func.count(Job.id)).where(Job.status == "done")
        ).scalar()
        files = db.session.execute(db.select(db.func.count(StoredFile.id))).scalar()
        retried = db.session.execute(
            db.select(db.func.count(Job.id)).where(Job.attempts > 1)
        ).scalar()
        db.engine.dispose()
    return {
        "exports started": started,
        "exports downloaded": len(exporter.downloaded),
        "exports lost": started - len(exporter.downloaded),
        "jobs tried again": retried,
        "exports with two jobs": sum(1 for ids in exporter.jobs_by_export.values() if len(ids) > 1),
        "jobs beyond one per export": jobs - started,
        "files beyond one per done job": files - done,
    }


def losses(figures: dict) -> bool:
    """True when the soak lost, doubled or unbalanced anything."""
    names = (
        "lost",
        "recorded twice",
        "ledger mismatches",
        "gave up",
        "exports lost",
        "exports with two jobs",
        "jobs beyond one per export",
        "files beyond one per done job",
    )
    return any(figures[name] for name in names)


def main() -> None:
    """Run the two-server soak on SQLite, or on PostgreSQL with --postgres."""
    parser = argparse.ArgumentParser(description="soak with two app servers and a worker")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (database is replaced)")
    parser.add_argument("--redis", default=REDIS_URL)
    args = parser.parse_args()
    if args.postgres:
        os.environ["BENCH_POSTGRES_URL"] = args.postgres
    if not redis_answers(args.redis):
        raise SystemExit(f"no Redis at {args.redis}")
    figures = soak_servers(fresh_database("soak_servers"), args.seconds, args.redis)
    print(json.dumps(figures, indent=2))
    if losses(figures):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
