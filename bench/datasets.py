"""The benchmark databases: generated once into bench/data/ and reused while the schema holds."""

import json
import os
from pathlib import Path

from bench.generate import generate
from bench.harness import DATA, ROOT

SCHEMA_STAMP = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))


def database_url(events: int) -> str:
    """Where the dataset with this many events lives (PostgreSQL when BENCH_POSTGRES_URL is set)."""
    postgres = os.environ.get("BENCH_POSTGRES_URL")
    if postgres:
        return f"{postgres.rsplit('/', 1)[0]}/bench_{events}"
    return f"sqlite:///{DATA / f'events_{events}.db'}"


def _stamp_file(events: int) -> Path:
    suffix = "pg" if os.environ.get("BENCH_POSTGRES_URL") else "sqlite"
    return DATA / f"events_{events}.{suffix}.json"


def ensure(events: int) -> str:
    """Generate the dataset unless an identical one exists; return its URL."""
    DATA.mkdir(parents=True, exist_ok=True)
    url = database_url(events)
    stamp = {"events": events, "schema": SCHEMA_STAMP}
    stamp_file = _stamp_file(events)
    if stamp_file.exists() and json.loads(stamp_file.read_text()) == stamp:
        return url
    if url.startswith("postgresql"):
        create_postgres_database(url)
    print(f"generating {events:,} events into {url} ...", flush=True)
    counts = generate(url, 200, 40, 3, events, seed=7)
    print(f"  {counts}", flush=True)
    stamp_file.write_text(json.dumps(stamp))
    return url


def create_postgres_database(url: str) -> None:
    """Drop and create the PostgreSQL database the URL names."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
