"""Benchmarks a and b: POST /api/v1/distributions against the one-row floor."""

import os
import statistics
import uuid
from contextlib import ExitStack
from datetime import date, datetime, timedelta, timezone

from bench import datasets
from bench import floor as bench_floor
from bench.harness import DATA, LoadResult, gunicorn, wrk_post
from supplies import create_app
from supplies.extensions import db
from supplies.services.accounts import tokens, users
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events as distribution
from supplies.services.stock import work
from supplies.services.stock.work import ReceiptLine

DISTRIBUTION = (
    '{"id": "__ID__", "site": "S001", "items": [{"supply": "P001", "quantity": 1}, '
    '{"supply": "P004", "quantity": 2}], "recipient_type": "person_who_uses_drugs", '
    '"age_band": "25_34", "first_time": "no", "for_others": false, "trained": true, '
    '"area": "972", "language": "en", "resupply_reason": "none"}'
)
FLOOR = '{"id": "__ID__", "site": "S001"}'
# A paper tally typed in two days late at S002, after a day of other events there.
BACK_DATED_SITE = "S002"
DAY_OF_EVENTS = 100
DISTRIBUTIONS = "/api/v1/distributions"


def app_env(database_url: str) -> dict:
    """Environment for serving the app on a benchmark database."""
    return {
        "DATABASE_URL": database_url,
        "APP_ENV": "production",
        "SECRET_KEY": "bench-" + "x" * 32,
    }


def prepare(database_url: str) -> str:
    """Stock S001 with plenty of the two supplies the load hands out; return an admin token."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        admin = users.user_by_email("admin@bench.test")
        expires = (date.today() + timedelta(days=700)).isoformat()
        lines = [
            ReceiptLine("P001", 100000, f"BENCH-{uuid.uuid4().hex[:8]}", expires),
            ReceiptLine("P004", 100000),
        ]
        body = {"bench": str(uuid.uuid4())}
        work.receive(admin, OperationRequest.new(None, body), "S001", lines)
        token = tokens.create_token(admin, "benchmark")
        db.engine.dispose()
    return token


def back_dated_body() -> str:
    """The distribution body dated two days ago, at the back-dated site."""
    moment = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()
    return DISTRIBUTION.replace('"site": "S001"', f'"site": "{BACK_DATED_SITE}"').replace(
        '"id": "__ID__",', f'"id": "__ID__", "occurred_at": "{moment}",'
    )


def prepare_back_dated(database_url: str) -> None:
    """Stock S002 a month ago, then log a day of events there now: a write dated two days
    ago must read that day of history to know what it may take."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        admin = users.user_by_email("admin@bench.test")
        expires = (date.today() + timedelta(days=700)).isoformat()
        lines = [
            ReceiptLine("P001", 100000, f"BACK-{uuid.uuid4().hex[:8]}", expires),
            ReceiptLine("P004", 100000),
        ]
        received = (date.today() - timedelta(days=30)).isoformat()
        body = {"bench": str(uuid.uuid4())}
        work.receive(
            admin, OperationRequest.new(None, body), BACK_DATED_SITE, lines, received_on=received
        )
        for _ in range(DAY_OF_EVENTS):
            event_id = str(uuid.uuid4())
            event = {
                "id": event_id,
                "site": BACK_DATED_SITE,
                "items": [{"supply": "P001", "quantity": 1}, {"supply": "P004", "quantity": 2}],
            }
            distribution.distribute(admin, OperationRequest.new(event_id, event), event)
        db.engine.dispose()


def _floor_url(postgres: str | None) -> str:
    """A fresh, empty database for the one-row floor endpoint."""
    if postgres:
        url = f"{postgres.rsplit('/', 1)[0]}/bench_floor"
        datasets.create_postgres_database(url)
    else:
        url = f"sqlite:///{DATA / 'floor.db'}"
        for suffix in ("", "-wal", "-shm"):
            (DATA / f"floor.db{suffix}").unlink(missing_ok=True)
    os.environ["FLOOR_DATABASE_URL"] = url
    bench_floor.create_schema()
    return url


def median_result(runs: list[LoadResult]) -> LoadResult:
    """The run with the median throughput, with the median p50 and p99 of all runs."""
    ordered = sorted(runs, key=lambda run: run.throughput)
    middle = ordered[len(ordered) // 2]
    return LoadResult(
        middle.requests,
        middle.seconds,
        sum(run.non_2xx for run in runs),
        sum(run.timeouts for run in runs),
        statistics.median(run.p50_ms for run in runs),
        statistics.median(run.p99_ms for run in runs),
    )


def compare(
    small_url: str, big_url: str, seconds: int, rounds: int, postgres: str | None = None
) -> dict[str, LoadResult]:
    """Floor, small and big dataset served side by side and loaded in turn, round after round.

    The machine is shared: load from elsewhere comes and goes. Taking turns, in rounds,
    gives each of the three the same share of good and bad moments, and the median of
    the rounds leaves out one bad one.
    """
    floor_url = _floor_url(postgres)
    small_token, big_token = prepare(small_url), prepare(big_url)
    prepare_back_dated(big_url)
    back_dated = back_dated_body()
    targets = {
        "floor": ("bench.floor:app", {"FLOOR_DATABASE_URL": floor_url}, "/insert", FLOOR, None),
        "small": ("wsgi:app", app_env(small_url), DISTRIBUTIONS, DISTRIBUTION, small_token),
        "big": ("wsgi:app", app_env(big_url), DISTRIBUTIONS, DISTRIBUTION, big_token),
        "back_dated": ("wsgi:app", app_env(big_url), DISTRIBUTIONS, back_dated, big_token),
    }
    runs: dict[str, list[LoadResult]] = {name: [] for name in targets}
    with ExitStack() as servers:
        bases = {
            name: servers.enter_context(gunicorn(spec, env))[0]
            for name, (spec, env, *_rest) in targets.items()
        }
        for name, (_spec, _env, path, body, token) in targets.items():
            wrk_post(f"{bases[name]}{path}", body, token, 2)  # warm-up
        for _round in range(rounds):
            for name, (_spec, _env, path, body, token) in targets.items():
                runs[name].append(wrk_post(f"{bases[name]}{path}", body, token, seconds))
    return {name: median_result(results) for name, results in runs.items()}
