"""Soak: 60 s of mixed load while a gunicorn worker is killed with SIGKILL every few seconds.

Clients retry a failed request with the same id and body, as the offline queue does.
Afterwards every acknowledged (2xx) write must be in the database exactly once, and the
ledger must balance.

    python -m bench.soak [--seconds 60] [--postgres URL]
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

from bench import datasets
from bench.api_bench import app_env, prepare
from bench.generate import generate
from bench.harness import DATA, gunicorn
from supplies import create_app
from supplies.extensions import db
from supplies.models import DistributionEvent, Movement, Operation
from supplies.services.stock import on_hand

KILL_EVERY = 3.0


class Client(threading.Thread):
    """One client sending a mix of writes and reads, retrying with the same id.

    With several servers each attempt goes to one of them at random, as behind a load
    balancer: a retried write may land on another server than its first attempt.
    """

    def __init__(self, ports: list[int], token: str, deadline: float, seed: int):
        super().__init__(daemon=True)
        self.ports, self.token, self.deadline = ports, token, deadline
        self.rng = random.Random(seed)
        self.acknowledged: list[tuple[str, str]] = []  # (kind, id)
        self.counts = Counter()

    def _send(self, method: str, path: str, body: dict | None) -> int:
        port = self.rng.choice(self.ports)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            connection.request(method, path, json.dumps(body) if body else None, headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def _write(self, kind: str, path: str, body: dict) -> None:
        for _attempt in range(20):
            try:
                status = self._send("POST", path, body)
            except (OSError, http.client.HTTPException):
                self.counts["connection errors (retried)"] += 1
                time.sleep(0.05)
                continue
            if status >= 500:
                self.counts["5xx (retried)"] += 1
                time.sleep(0.05)
                continue
            self.counts[f"{kind} {status}"] += 1
            if 200 <= status < 300:
                self.acknowledged.append((kind, body["id"]))
            return
        self.counts["gave up"] += 1

    def run(self) -> None:
        """Send requests until the deadline."""
        while time.monotonic() < self.deadline:
            roll = self.rng.random()
            if roll < 0.6:
                items = [{"supply": "P001", "quantity": 1}, {"supply": "P004", "quantity": 2}]
                body = {"id": str(uuid.uuid4()), "site": "S001", "items": items, "trained": True}
                self._write("distribution", "/api/v1/distributions", body)
            elif roll < 0.75:
                body = {"id": str(uuid.uuid4()), "site": "S001", "supply": "P004", "quantity": 5}
                self._write("receipt", "/api/v1/receipts", body)
            elif roll < 0.9:
                target = f"S{self.rng.randrange(2, 50):03d}"
                body = {
                    "id": str(uuid.uuid4()),
                    "from_site": "S001",
                    "to_site": target,
                    "supply": "P004",
                    "quantity": 1,
                }
                self._write("transfer", "/api/v1/transfers", body)
            else:
                try:
                    status = self._send("GET", "/api/v1/stock?site=S001", None)
                    self.counts[f"stock read {status}"] += 1
                except (OSError, http.client.HTTPException):
                    self.counts["read errors"] += 1


def workers_of(master_pid: int) -> list[int]:
    output = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True)
    return [int(pid) for pid in output.stdout.split()]


def soak(database_url: str, seconds: int, clients: int = 8) -> dict:
    """Run the soak and verify the database; returns the figures."""
    token = prepare(database_url)
    with gunicorn("wsgi:app", app_env(database_url)) as (base, master):
        port = int(base.rsplit(":", 1)[1])
        deadline = time.monotonic() + seconds
        threads = [Client([port], token, deadline, seed) for seed in range(clients)]
        for thread in threads:
            thread.start()
        kills = 0
        rng = random.Random(1)
        wal = _WalWatch(database_url)
        wal.start()
        while time.monotonic() < deadline:
            time.sleep(KILL_EVERY)
            workers = workers_of(master.pid)
            if workers:
                os.kill(rng.choice(workers), signal.SIGKILL)
                kills += 1
        for thread in threads:
            thread.join(timeout=60)
        wal.stop()
    acknowledged = [ack for thread in threads for ack in thread.acknowledged]
    counts = sum((thread.counts for thread in threads), Counter())
    failed = ("connection errors (retried)", "5xx (retried)", "read errors")
    return {
        "kills": kills,
        "requests": sum(counts.values()) - counts["gave up"],
        "acknowledged": len(acknowledged),
        "errors": sum(counts[name] for name in failed),
        "gave up": counts["gave up"],
        **counts,
        **verify(database_url, acknowledged),
        "largest WAL (MB)": round(wal.largest / 1048576, 1),
        "WAL at the end (MB)": round(wal.last / 1048576, 1),
    }


class _WalWatch(threading.Thread):
    """Samples the size of the SQLite write-ahead log every 0.2 s (issue 23: it must stay
    bounded; PostgreSQL has none here, and reads 0)."""

    def __init__(self, database_url: str):
        super().__init__(daemon=True, name="wal-watch")
        path = database_url.split("sqlite:///", 1)[1] if database_url.startswith("sqlite") else ""
        self.path, self.largest, self.last = f"{path}-wal" if path else "", 0, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while self.path and not self.stopped.wait(0.2):
            try:
                self.last = os.path.getsize(self.path)
            except OSError:
                self.last = 0
            self.largest = max(self.largest, self.last)

    def stop(self) -> None:
        """Stop sampling."""
        self.stopped.set()
        self.join(2)


def verify(database_url: str, acknowledged: list[tuple[str, str]]) -> dict:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        ids = [operation_id for _, operation_id in acknowledged]
        found = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found |= set(
                db.session.execute(db.select(Operation.id).where(Operation.id.in_(chunk))).scalars()
            )
        lost = len(set(ids) - found)
        events = [operation_id for kind, operation_id in acknowledged if kind == "distribution"]
        doubled = 0
        for start in range(0, len(events), 500):
            chunk = events[start : start + 500]
            rows = db.session.execute(
                db.select(Movement.operation_id, db.func.sum(Movement.quantity))
                .where(Movement.operation_id.in_(chunk))
                .group_by(Movement.operation_id)
            ).all()
            doubled += sum(1 for _, total in rows if total != -3)
            present = db.session.execute(
                db.select(db.func.count(DistributionEvent.id)).where(
                    DistributionEvent.id.in_(chunk)
                )
            ).scalar()
            lost += len(chunk) - present
        ledger_problems = len(on_hand.check_ledger())
        db.engine.dispose()
    return {"lost": lost, "recorded twice": doubled, "ledger mismatches": ledger_problems}


def fresh_database(name: str = "soak") -> str:
    """A 10,000-event program of its own: the soak's writes never touch the benchmark data."""
    postgres = os.environ.get("BENCH_POSTGRES_URL")
    if postgres:
        url = f"{postgres.rsplit('/', 1)[0]}/bench_{name}"
        datasets.create_postgres_database(url)
    else:
        path = DATA / f"{name}.db"
        for leftover in DATA.glob(f"{name}.db*"):
            leftover.unlink()
        url = f"sqlite:///{path}"
    generate(url, 200, 40, 3, 10_000, seed=11)
    return url


def main() -> None:
    """Run the soak on SQLite, or on PostgreSQL with --postgres."""
    parser = argparse.ArgumentParser(description="soak test with worker kills")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (database is replaced)")
    args = parser.parse_args()
    if args.postgres:
        os.environ["BENCH_POSTGRES_URL"] = args.postgres
    figures = soak(fresh_database(), args.seconds)
    print(json.dumps(figures, indent=2))
    if any(figures[name] for name in ("lost", "recorded twice", "ledger mismatches", "gave up")):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
