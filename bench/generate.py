"""Generate a realistic synthetic program in bulk (not through the API), on SQLite or PostgreSQL.

    python -m bench.generate --database-url sqlite:///bench/data/1m.db --events 1000000

Every quarter, the hub receives one lot of each supply and transfers to each site what
that site will hand out plus a small surplus; events draw from that lot, all of them after
the transfer (so only once the lot is at the site). The ledger stays consistent, now and
in business time: `flask check-ledger` passes on the result (every balance equals its
movements, and no running balance of a lot at a site is ever below zero).
"""

import argparse
import json
import random
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from supplies import create_app
from supplies.extensions import db
from supplies.models import User
from supplies.services.areas import fold
from supplies.vocab import (
    AGE_BANDS,
    FIRST_TIME,
    LANGUAGES,
    RECIPIENT_TYPES,
    SETTING_FOR_SITE_KIND,
    SITE_KINDS,
)

BENCH_PASSWORD = "bench-password-2026"  # noqa: S105  (a synthetic benchmark database)
CATEGORIES = [
    ("naloxone_nasal", "box", 2, True),
    ("naloxone_injectable", "kit", 2, True),
    ("nalmefene", "box", 2, True),
    ("fentanyl_test_strip", "strip", 0, False),
    ("xylazine_test_strip", "strip", 0, False),
    ("syringe", "each", 0, False),
    ("wound_care", "kit", 0, False),
    ("smoking_supply", "kit", 0, False),
    ("condom", "each", 0, False),
    ("hygiene", "kit", 0, False),
]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Writer:
    """Bulk rows into one table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection, dialect: str):
        self.raw = connection
        self.dialect = dialect

    def write(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        """Append rows (tuples in column order)."""
        if not rows:
            return
        cursor = self.raw.cursor()
        if self.dialect == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608
        cursor.close()


def _catalog(rng, sites: int, supplies: int):
    site_rows = []
    for index in range(sites):
        kind = "fixed_site" if index == 0 else SITE_KINDS[index % len(SITE_KINDS)]
        site_rows.append(
            (
                index + 1,
                f"S{index + 1:03d}",
                f"Site {index + 1:03d}",
                kind,
                f"County {index % 25 + 1}",
                True,
            )
        )
    supply_rows = []
    for index in range(supplies):
        category, unit, doses, lots = CATEGORIES[index % len(CATEGORIES)]
        supply_rows.append(
            (
                index + 1,
                f"P{index + 1:03d}",
                f"{category.replace('_', ' ').title()} {index + 1}",
                category,
                unit,
                doses,
                lots,
                True,
            )
        )
    return site_rows, supply_rows


def generate(
    database_url: str,
    sites: int,
    supplies: int,
    years: int,
    events: int,
    seed: int,
    engine_options: dict | None = None,
) -> dict:
    """Create the schema and load the synthetic program; returns row counts."""
    rng = random.Random(seed)
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "APP_ENV": "testing", "TESTING": True}
    if engine_options is not None:
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options  # a test's own schema
    app = create_app(settings)
    started = time.perf_counter()
    with app.app_context():
        db.drop_all()
        db.create_all()
        # Accounts through the ORM (password hashing); everything else in bulk.
        site_rows, supply_rows = _catalog(rng, sites, supplies)
        dialect = db.engine.dialect.name
        raw = db.engine.raw_connection()
        writer = Writer(raw.driver_connection, dialect)
        writer.write("sites", ["id", "code", "name", "kind", "county", "active"], site_rows)
        # The program's areas: its sites' counties (events name them, or a ZIP prefix).
        counties = sorted({row[4] for row in site_rows if row[4]})
        writer.write(
            "areas",
            ["id", "kind", "name", "state", "key"],
            [(n, "county", name, None, fold(name)) for n, name in enumerate(counties, 1)],
        )
        writer.write(
            "supplies",
            ["id", "code", "name", "category", "unit", "doses_per_unit", "tracks_lots", "active"],
            supply_rows,
        )
        writer.write(
            "funding_sources",
            ["id", "code", "name", "funder", "active"],
            [
                (1, "SOR", "State Opioid Response", "SAMHSA", True),
                (2, "STATE", "State naloxone program", "State", True),
                (3, "FOUND", "Foundation", "Foundation", True),
            ],
        )
        raw.driver_connection.commit()
        raw.close()
        for email, role, site_ids in (
            ("admin@bench.test", "admin", []),
            ("coordinator@bench.test", "coordinator", []),
            ("staff@bench.test", "staff", [1, 2]),
            ("funder@bench.test", "funder", []),
        ):
            user = User(email=email, name=role.title(), role=role)
            user.set_password(BENCH_PASSWORD)
            db.session.add(user)
            db.session.flush()
            for site_id in site_ids:
                db.session.execute(
                    text("INSERT INTO user_sites (user_id, site_id) VALUES (:u, :s)"),
                    {"u": user.id, "s": site_id},
                )
        db.session.commit()
        # Secondary indexes are built once after the load rather than kept up to date
        # through millions of inserts (random UUID keys make those slow).
        indexes = [index for table in db.metadata.sorted_tables for index in table.indexes]
        for index in indexes:
            index.drop(db.engine)
        counts = _load_history(rng, site_rows, supply_rows, years, events)
        for index in indexes:
            index.create(db.engine)
        if dialect == "postgresql":
            with db.engine.connect() as connection:
                # Rows were copied in with their ids: move each id sequence past them.
                for table in db.metadata.sorted_tables:
                    id_column = table.c.get("id")
                    if id_column is not None and id_column.type.python_type is int:
                        reset = (  # table names come from our own metadata
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                            f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                        )
                        connection.execute(text(reset))
                connection.commit()
                # VACUUM too, as autovacuum would have by now: it sets the visibility map, without
                # which every index-only scan also reads the table.
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                autocommit.execute(text("VACUUM (ANALYZE)"))
        else:
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        db.engine.dispose()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def _event_row(rng, event_id, site, occurred_at, recorded_at, user_id):
    used = rng.random() < 0.1
    return (
        event_id,
        site[0],
        occurred_at,
        recorded_at,
        SETTING_FOR_SITE_KIND[site[3]],
        rng.choice(RECIPIENT_TYPES),
        rng.choice([True, False, None]),
        rng.choice(FIRST_TIME),
        rng.choice(AGE_BANDS),
        rng.choice([site[4], None, f"{rng.randrange(100, 999)}"]),
        rng.random() < 0.3,
        rng.choice([1, 2]) if used else 0,
        "used_on_overdose" if used else rng.choice(["none", None, "gave_away"]),
        rng.choice(LANGUAGES),
        user_id,
    )


EVENT_COLUMNS = [
    "id",
    "site_id",
    "occurred_at",
    "recorded_at",
    "setting",
    "recipient_type",
    "for_others",
    "first_time",
    "age_band",
    "area",
    "trained",
    "reversals_reported",
    "resupply_reason",
    "language",
    "user_id",
]
MOVEMENT_COLUMNS = [
    "kind",
    "site_id",
    "supply_id",
    "batch_id",
    "quantity",
    "reason",
    "occurred_at",
    "recorded_at",
    "user_id",
    "operation_id",
]


def _load_history(rng, site_rows, supply_rows, years, events) -> dict:
    """Quarter by quarter: receipts at the hub, transfers out, events, in bulk."""
    end = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0) - timedelta(hours=1)
    start = end - timedelta(days=365 * years)
    quarters = years * 4
    span = (end - start) / quarters
    per_quarter = events // quarters
    # Naloxone is handed out most; supply weights favour the first categories.
    weights = [8 if s[5] else (4 if s[3].endswith("test_strip") else 1) for s in supply_rows]
    site_weights = [rng.uniform(0.2, 3.0) for _ in site_rows]
    hub = site_rows[0]
    balances: dict[tuple[int, int], int] = defaultdict(int)
    batch_id = movement_total = line_total = 0
    raw = db.engine.raw_connection()
    writer = Writer(raw.driver_connection, db.engine.dialect.name)
    if db.engine.dialect.name == "sqlite":
        # A bulk load that can simply be rerun if it fails: skip the journal and fsyncs.
        cursor = raw.driver_connection.cursor()
        for pragma in ("journal_mode = MEMORY", "synchronous = OFF", "cache_size = -400000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
    result_json = json.dumps({"bulk": True})
    for quarter in range(quarters):
        q_start = start + span * quarter
        count = per_quarter if quarter < quarters - 1 else events - per_quarter * (quarters - 1)
        # The lot is received at q_start and reaches the sites at transfer_at: events come
        # after both, and before the next quarter's receipt.
        transfer_at = q_start + timedelta(minutes=30)
        first_event = transfer_at + timedelta(minutes=1)
        seconds = int((q_start + span - first_event).total_seconds()) - 60
        moments = sorted(
            first_event + timedelta(seconds=rng.randrange(seconds)) for _ in range(count)
        )
        event_rows, line_rows, movement_rows, operation_rows = [], [], [], []
        demand: dict[tuple[int, int], int] = defaultdict(int)
        picked_sites = rng.choices(site_rows, weights=site_weights, k=count)
        for moment, site in zip(moments, picked_sites, strict=True):
            event_id = _uuid(rng)
            event_rows.append(
                _event_row(rng, event_id, site, moment, moment + timedelta(seconds=2), 3)
            )
            operation_rows.append((event_id, "distribution", "bulk", 3, moment, result_json))
            chosen = set(rng.choices(supply_rows, weights=weights, k=rng.choice([1, 1, 2, 2, 3])))
            for supply in chosen:
                quantity = rng.choice([1, 1, 2]) if supply[5] else rng.choice([1, 5, 10])
                demand[(site[0], supply[0])] += quantity
                line_rows.append((event_id, supply[0], quantity))
                movement_rows.append(
                    (
                        "distribute",
                        site[0],
                        supply[0],
                        None,
                        -quantity,
                        None,
                        moment,
                        moment,
                        3,
                        event_id,
                    )
                )
        # One lot per supply this quarter, received at the hub and sent out to each site.
        batch_rows, receipt_moves = [], []
        batch_of: dict[int, int] = {}
        surplus = {key: rng.randrange(0, 6) for key in demand if key[0] != hub[0]}
        for supply in supply_rows:
            batch_id += 1
            batch_of[supply[0]] = batch_id
            expires = (q_start + timedelta(days=730)).date() if supply[6] else None
            lot = f"LOT-{quarter:02d}-{supply[1]}" if supply[6] else None
            sent = sum(
                q + surplus[(s, p)]
                for (s, p), q in demand.items()
                if p == supply[0] and s != hub[0]
            )
            received = sent + demand.get((hub[0], supply[0]), 0) + 200
            batch_rows.append(
                (
                    batch_id,
                    supply[0],
                    lot,
                    expires,
                    1 + supply[0] % 3,
                    "available",
                    "purchase",
                    q_start.date(),
                    hub[0],
                    q_start,
                )
            )
            op_id = _uuid(rng)
            operation_rows.append((op_id, "receipt", "bulk", 1, q_start, result_json))
            receipt_moves.append(
                (
                    "receive",
                    hub[0],
                    supply[0],
                    batch_id,
                    received,
                    "purchase",
                    q_start,
                    q_start,
                    1,
                    op_id,
                )
            )
            balances[(hub[0], batch_id)] += received
        for site in site_rows[1:]:
            for supply in supply_rows:
                need = demand.get((site[0], supply[0]), 0)
                if not need:
                    continue
                moved = need + surplus[(site[0], supply[0])]
                batch = batch_of[supply[0]]
                op_id = _uuid(rng)
                operation_rows.append((op_id, "transfer", "bulk", 2, transfer_at, result_json))
                receipt_moves.append(
                    (
                        "transfer_out",
                        hub[0],
                        supply[0],
                        batch,
                        -moved,
                        None,
                        transfer_at,
                        transfer_at,
                        2,
                        op_id,
                    )
                )
                receipt_moves.append(
                    (
                        "transfer_in",
                        site[0],
                        supply[0],
                        batch,
                        moved,
                        None,
                        transfer_at,
                        transfer_at,
                        2,
                        op_id,
                    )
                )
                balances[(hub[0], batch)] -= moved
                balances[(site[0], batch)] += moved
        movement_rows = receipt_moves + [
            (*row[:3], batch_of[row[2]], *row[4:]) for row in movement_rows
        ]
        for (site_id, supply_id), quantity in demand.items():
            balances[(site_id, batch_of[supply_id])] -= quantity
        writer.write(
            "batches",
            [
                "id",
                "supply_id",
                "lot_number",
                "expires_on",
                "funding_source_id",
                "status",
                "source",
                "received_on",
                "received_at_site_id",
                "created_at",
            ],
            batch_rows,
        )
        writer.write(
            "operations",
            ["id", "kind", "fingerprint", "user_id", "created_at", "result"],
            operation_rows,
        )
        writer.write("distribution_events", EVENT_COLUMNS, event_rows)
        writer.write("distribution_lines", ["event_id", "supply_id", "quantity"], line_rows)
        writer.write("movements", MOVEMENT_COLUMNS, movement_rows)
        raw.driver_connection.commit()
        movement_total += len(movement_rows)
        line_total += len(line_rows)
    supply_of_batch = {}
    for quarter_batch in range(1, batch_id + 1):
        supply_of_batch[quarter_batch] = (quarter_batch - 1) % len(supply_rows) + 1
    balance_rows = [
        (site_id, supply_of_batch[batch], batch, quantity)
        for (site_id, batch), quantity in balances.items()
    ]
    writer.write("balances", ["site_id", "supply_id", "batch_id", "quantity"], balance_rows)
    raw.driver_connection.commit()
    if db.engine.dialect.name == "sqlite":
        raw.driver_connection.execute("PRAGMA journal_mode = WAL")
    raw.close()
    return {
        "events": events,
        "lines": line_total,
        "movements": movement_total,
        "batches": batch_id,
        "balances": len(balance_rows),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--supplies", type=int, default=40)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    counts = generate(
        args.database_url, args.sites, args.supplies, args.years, args.events, args.seed
    )
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
