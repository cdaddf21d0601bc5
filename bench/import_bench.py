"""Benchmark of the spreadsheet import: a year of distributions, 200,000 rows, timed.

Run from the project folder: `python bench/import_bench.py [--rows 200000] [--format xlsx]`.
It builds a throw-away SQLite database (or uses BENCH_DATABASE_URL), imports starting
stock and then the distributions file through the same code as `flask import`, and
prints rows per second for the check (preview) and for the write (short transactions),
and the longest a distribution recorded meanwhile, by another process, had to wait.
"""

import argparse
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402

from supplies import create_app  # noqa: E402
from supplies.extensions import db  # noqa: E402
from supplies.services import areas, catalog
from supplies.services.accounts import users  # noqa: E402
from supplies.services.db.operations import OperationRequest  # noqa: E402
from supplies.services.db.unit_of_work import transaction  # noqa: E402
from supplies.services.distribution import events as distribution  # noqa: E402
from supplies.services.imports import runner  # noqa: E402

SITES = [
    ("HUB", "fixed_site"),
    ("VAN", "mobile_van"),
    ("NORTH", "outreach"),
    ("EAST", "fixed_site"),
]
SUPPLIES = [
    ("NARCAN4", "naloxone_nasal", "box", 2, True),
    ("FTS", "fentanyl_test_strip", "strip", 0, False),
    ("XTS", "xylazine_test_strip", "strip", 0, False),
    ("WOUND", "wound_care", "kit", 0, False),
]
HEADER = ["date", "site", "supply", "quantity", "event", "age_band", "area", "trained"]
AGE_BANDS = ["18_24", "25_34", "35_44", "45_54", None]


def _request(body) -> OperationRequest:
    return OperationRequest.new(str(uuid.uuid4()), body)


def set_up_program() -> object:
    """Sites, supplies, a funding source and an admin, as a program would have."""
    with transaction():
        admin = users.create_user("bench@example.org", "admin", "bench-password-2026", ())
        for code, kind in SITES:
            body = {"code": code, "name": f"Site {code}", "kind": kind}
            catalog.create_site(admin, _request(body), body)
        body = {"name": "Alder County"}  # the area the rows name (besides ZIP codes)
        areas.create_area(admin, _request(body), body)
        for code, category, unit, doses, lots in SUPPLIES:
            body = {
                "code": code,
                "name": f"Supply {code}",
                "category": category,
                "unit": unit,
                "doses_per_unit": doses,
                "tracks_lots": lots,
            }
            catalog.create_supply(admin, _request(body), body)
        body = {"code": "SOR", "name": "State Opioid Response", "funder": "SAMHSA"}
        catalog.create_funding_source(admin, _request(body), body)
    return admin


def stock_rows(first_day: date) -> list[list]:
    """Enough stock at every site for the year: monthly lots, plenty of units."""
    rows = [["site", "supply", "lot_number", "expires_on", "funding", "quantity", "received_on"]]
    for month in range(13):
        received = first_day + timedelta(days=30 * month)
        for site, _ in SITES:
            for code, _, _, _, lots in SUPPLIES:
                lot = f"{code}-{month:02d}" if lots else None
                expires = received + timedelta(days=900) if lots else None
                rows.append([site, code, lot, expires, "SOR", 20000, received])
    return rows


def distribution_rows(count: int, first_day: date, rng: random.Random) -> list[list]:
    """A year of events of one to three rows each, in date order."""
    rows, event = [HEADER], 0
    span = (date.today() - timedelta(days=1) - first_day).days
    while len(rows) <= count:
        event += 1
        day = first_day + timedelta(days=span * len(rows) // count)
        site = rng.choice(SITES)[0]
        label = f"e{event}"
        extras = [rng.choice(AGE_BANDS), rng.choice(["972", "Alder County", None]), "no"]
        for code in rng.sample([s[0] for s in SUPPLIES], rng.randint(1, 3)):
            if len(rows) > count:
                break
            rows.append([day, site, code, rng.randint(1, 3), label, *extras])
    return rows


def write(path: Path, rows: list[list]) -> Path:
    """Write rows as .xlsx (write-only mode) or .csv by the path's suffix."""
    if path.suffix == ".csv":
        import csv

        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(
                [[c.isoformat() if isinstance(c, date) else c for c in r] for r in rows]
            )
        return path
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Distributions")
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def timed_import(admin, path: Path, kind: str) -> tuple[int, float, float]:
    """Preview then apply a file; returns (rows, check seconds, write seconds)."""
    started = time.perf_counter()
    checked = runner.preview(admin, path, path.name, kind)
    checked_at = time.perf_counter()
    if checked.errors:
        for error in checked.errors[:20]:
            print(f"  {error}", file=sys.stderr)
        raise SystemExit(f"{kind}: {len(checked.errors)} rows refused")
    cpu = time.process_time()
    runner.apply(admin, checked)
    WRITE_CPU.append(time.process_time() - cpu)
    return checked.rows, checked_at - started, time.perf_counter() - checked_at


# The write's CPU seconds in this process: on a shared machine, wall time alone says as
# much about the other work as about the import.
WRITE_CPU: list[float] = []


def distribute_meanwhile(url: str, stop, results) -> None:
    """In a process of its own (as a staff member's request would be): record a distribution
    every 50 ms until told to stop; send back how long each took to be recorded."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, **SETTINGS})
    waits = []
    with app.app_context():
        staff = users.create_user("staff@example.org", "staff", "bench-password-2026", ("HUB",))
        body = {"site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
        while not stop.is_set():
            started = time.perf_counter()
            distribution.distribute(staff, _request(body), body)
            waits.append(time.perf_counter() - started)
            time.sleep(0.05)
        db.session.remove()
        db.engine.dispose()
    results.put(waits)


# Quarters never close here: a year of history is imported whatever today's date.
SETTINGS = {"REPORTING_CLOSE_DAYS": 36500}


def main(argv: list[str] | None = None) -> int:
    """Build the data, import it while distributions go on, print rows per second and the
    longest a distribution waited; non-zero past --max-seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--max-seconds", type=float, default=None, help="fail when slower")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{folder}/bench.db")
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, **SETTINGS})
        with app.app_context():
            db.create_all()
            admin = set_up_program()
            first_day = date.today() - timedelta(days=365)
            rng = random.Random(8)
            stock = write(Path(folder) / f"stock.{args.format}", stock_rows(first_day))
            made = time.perf_counter()
            rows = distribution_rows(args.rows, first_day, rng)
            history = write(Path(folder) / f"distributions.{args.format}", rows)
            size = history.stat().st_size / 1048576
            print(
                f"wrote {args.rows:,} rows ({size:.1f} MB {args.format}) in "
                f"{time.perf_counter() - made:.1f} s"
            )
            count, check, apply = timed_import(admin, stock, "stock")
            print(f"stock: {count:,} rows checked in {check:.1f} s, written in {apply:.1f} s")
            db.session.remove()
            db.engine.dispose()  # the distributing process opens its own connections
            fork = multiprocessing.get_context("fork")
            stop, results = fork.Event(), fork.Queue()
            staff = fork.Process(target=distribute_meanwhile, args=(url, stop, results))
            staff.start()
            time.sleep(1.5)  # its app is up and distributing before the import starts
            count, check, apply = timed_import(admin, history, "distributions")
            stop.set()
            waits = results.get(timeout=60)
            staff.join(30)
            total = check + apply
            print(
                f"distributions: {count:,} rows checked in {check:.1f} s "
                f"({count / check:,.0f} rows/s), written in {apply:.1f} s "
                f"({count / apply:,.0f} rows/s)"
            )
            print(f"import_rows_per_second {count / total:,.0f} (total {total:.1f} s)")
            print(
                f"import_write_rows_per_second {count / apply:,.0f} (write {apply:.1f} s, "
                f"{WRITE_CPU[-1]:.1f} s CPU: {count / WRITE_CPU[-1]:,.0f} rows per CPU second; "
                f"load average {os.getloadavg()[0]:.1f})"
            )
            longest = max(waits) if waits else float("nan")
            print(
                f"distribution_wait_max_ms {longest * 1000:.0f} ({len(waits)} distributions "
                f"recorded during the import, median "
                f"{sorted(waits)[len(waits) // 2] * 1000 if waits else 0:.0f} ms)"
            )
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak memory {peak:,.0f} MB")
            db.session.remove()
            db.engine.dispose()
    if args.max_seconds is not None and total > args.max_seconds:
        print(f"slower than {args.max_seconds} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
