"""The benchmark databases: generated once into bench/data/ and reused while the schema holds."""

import hashlib
import json
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from bench.generate import generate
from bench.harness import DATA, ROOT

# A dataset is made again when the schema or the generator changes: the migrations' text,
# not only their names (a migration reserved empty and filled later keeps its name).
SCHEMA_STAMP = hashlib.sha256(
    b"".join(p.read_bytes() for p in sorted((ROOT / "migrations" / "versions").glob("*.py")))
).hexdigest()[:16]
GENERATOR_STAMP = hashlib.sha256((ROOT / "bench" / "generate.py").read_bytes()).hexdigest()[:16]


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
    stamp = {"events": events, "schema": SCHEMA_STAMP, "generator": GENERATOR_STAMP}
    stamp_file = _stamp_file(events)
    if stamp_file.exists() and json.loads(stamp_file.read_text()) == stamp:
        return url
    if url.startswith("postgresql"):
        create_postgres_database(url)
    print(f"generating {events:,} events into {url} ...", flush=True)
    counts = generate(url, 200, 40, 3, events, seed=7)
    print(f"  {counts}", flush=True)
    stamp_file.write_text(json.dumps(stamp))
    settle()
    return url


def settle() -> None:
    """Write what was just copied or generated to disk now, before anything is timed.

    Left to the kernel, a gigabyte of dirty pages is written back over the next minutes,
    and whatever is measured meanwhile waits on the disk with it.
    """
    os.sync()


def create_postgres_database(url: str) -> None:
    """Drop and create the PostgreSQL database the URL names."""
    name = url.rsplit("/", 1)[1]
    _on_postgres_server(
        url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )


def scratch_copy(events: int) -> str:
    """A fresh copy of the dataset for a run that writes (the load runs): its URL.

    The load runs add tens of thousands of events (and a receipt) each time; on the
    dataset itself they would pile up from run to run, and the screens, workbook and
    export measured after them would no longer be of the dataset the table names.
    """
    url = database_url(events)
    if url.startswith("postgresql"):
        source, copy = url.rsplit("/", 1)[1], f"{url.rsplit('/', 1)[1]}_scratch"
        # From PostgreSQL 15 a copy is written through the WAL by default (a second
        # gigabyte to write, and a checkpoint later, in the middle of the load runs):
        # copying the files is the older way, with the checkpoint before it.
        strategy = " STRATEGY FILE_COPY" if _server_version(url) >= 150000 else ""
        _on_postgres_server(
            url,
            f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)',
            f'CREATE DATABASE "{copy}" TEMPLATE "{source}"{strategy}',
            "CHECKPOINT",
        )
        settle()
        return f"{url}_scratch"
    source = DATA / f"events_{events}.db"
    target = DATA / f"events_{events}.scratch.db"
    drop_scratch(f"sqlite:///{target}")
    with closing(sqlite3.connect(source)) as connection:
        # Everything into the file itself, so that copying the file copies it all.
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(source, target)
    settle()
    return f"sqlite:///{target}"


def drop_scratch(url: str) -> None:
    """Remove a scratch copy made by scratch_copy()."""
    if url.startswith("postgresql"):
        _on_postgres_server(url, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        return
    path = Path(url.removeprefix("sqlite:///"))
    for leftover in path.parent.glob(f"{path.name}*"):
        leftover.unlink()


def _server_version(url: str) -> int:
    import psycopg

    server = url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{server}/postgres") as connection:
        return connection.info.server_version


def _on_postgres_server(url: str, *statements: str) -> None:
    """Run statements on the server of the URL, from its maintenance database."""
    import psycopg

    server = url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)
