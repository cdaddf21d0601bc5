"""Benchmarks a and b: POST /api/v1/distributions against the one-row floor."""

import os
import uuid
from datetime import date, timedelta

from bench import datasets
from bench import floor as bench_floor
from bench.harness import DATA, LoadResult, gunicorn, wrk_post
from supplies import create_app
from supplies.extensions import db
from supplies.services import accounts, inventory
from supplies.services.inventory import ReceiptLine
from supplies.services.operations import OperationRequest

DISTRIBUTION = (
    '{"id": "__ID__", "site": "S001", "items": [{"supply": "P001", "quantity": 1}, '
    '{"supply": "P004", "quantity": 2}], "recipient_type": "person_who_uses_drugs", '
    '"age_band": "25_34", "first_time": "no", "for_others": false, "trained": true, '
    '"area": "972", "language": "en", "resupply_reason": "none"}'
)
FLOOR = '{"id": "__ID__", "site": "S001"}'


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
        admin = accounts.user_by_email("admin@bench.test")
        expires = (date.today() + timedelta(days=700)).isoformat()
        lines = [
            ReceiptLine("P001", 100000, f"BENCH-{uuid.uuid4().hex[:8]}", expires),
            ReceiptLine("P004", 100000),
        ]
        body = {"bench": str(uuid.uuid4())}
        inventory.receive(admin, OperationRequest.new(None, body), "S001", lines)
        token = accounts.create_token(admin, "benchmark")
        db.engine.dispose()
    return token


def floor(seconds: int, postgres: str | None = None) -> LoadResult:
    """The one-row insert endpoint under the same load, on the same kind of database."""
    if postgres:
        url = f"{postgres.rsplit('/', 1)[0]}/bench_floor"
        datasets.create_postgres_database(url)
    else:
        url = f"sqlite:///{DATA / 'floor.db'}"
        (DATA / "floor.db").unlink(missing_ok=True)
    os.environ["FLOOR_DATABASE_URL"] = url
    bench_floor.create_schema()
    with gunicorn("bench.floor:app", {"FLOOR_DATABASE_URL": url}) as (base, _):
        wrk_post(f"{base}/insert", FLOOR, None, 2)  # warm-up
        return wrk_post(f"{base}/insert", FLOOR, None, seconds)


def distributions(database_url: str, seconds: int) -> LoadResult:
    """POST /api/v1/distributions with two lines and realistic fields."""
    token = prepare(database_url)
    with gunicorn("wsgi:app", app_env(database_url)) as (base, _):
        wrk_post(f"{base}/api/v1/distributions", DISTRIBUTION, token, 2)
        return wrk_post(f"{base}/api/v1/distributions", DISTRIBUTION, token, seconds)
