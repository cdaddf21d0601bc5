"""Benchmarks d and e: the quarterly funder workbook and the event-level export at 1M events.

Each measurement runs in its own process so that its peak memory is its own. Peak memory
is the process's own (anonymous) memory, sampled every 10 ms: the database file's pages
that SQLite reads through its memory map are the OS page cache, shared and evictable, and
would otherwise count as if the export held the database. VmHWM, which counts them, is
reported beside it as `rss_peak_mb`:

    python -m bench.reports_bench workbook DATABASE_URL
    python -m bench.reports_bench export DATABASE_URL ROWS
    python -m bench.reports_bench bare DATABASE_URL ROWS
"""

import json
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from flask_babel import force_locale
from flask_babel.speaklater import LazyString
from openpyxl import Workbook
from sqlalchemy import func

from supplies import create_app
from supplies.extensions import db
from supplies.models import DistributionEvent, DistributionLine, QuarterCounts
from supplies.services.common import clock
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from supplies.services.reporting.workbook import writer
from supplies.services.reporting.workbook.layout import CHART_SHEET, ROWS_FOR_TABLE, SHEETS
from supplies.services.reporting.workbook.text import about_rows


def _app(database_url: str, export_dir: str):
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "EXPORT_DIR": export_dir}
    )


def _last_quarter(today: date) -> tuple[date, date]:
    first_this = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    end = first_this - timedelta(days=1)
    return date(end.year, (end.month - 1) // 3 * 3 + 1, 1), end


def _period_with_rows(rows: int) -> tuple[date, date]:
    """The most recent period (ending today) whose event lines number about `rows`."""
    end = clock.today()
    days = db.session.execute(
        db.select(func.date(DistributionEvent.occurred_at), func.count(DistributionLine.id))
        .join(DistributionLine, DistributionLine.event_id == DistributionEvent.id)
        .group_by(func.date(DistributionEvent.occurred_at))
        .order_by(func.date(DistributionEvent.occurred_at).desc())
    ).all()
    total = 0
    start = end
    for day, count in days:
        total += count
        start = day if isinstance(day, date) else date.fromisoformat(str(day))
        if total >= rows:
            break
    return start, end


class _AnonymousPeak:
    """The highest RssAnon of this process, sampled in a thread from /proc/self/status."""

    def __init__(self, interval: float = 0.01):
        self.peak_kb = 0
        thread = threading.Thread(target=self._sample, args=(interval,), daemon=True)
        thread.start()

    @staticmethod
    def _status(field: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    def _sample(self, interval: float) -> None:
        while True:
            self.peak_kb = max(self.peak_kb, self._status("RssAnon"))
            time.sleep(interval)

    def figures(self) -> dict:
        """Peak anonymous memory and peak resident set (with mapped file pages), in MB."""
        self.peak_kb = max(self.peak_kb, self._status("RssAnon"))
        return {"peak_mb": self.peak_kb / 1024, "rss_peak_mb": self._status("VmHWM") / 1024}


_MEMORY: _AnonymousPeak | None = None


def _peak() -> dict:
    return _MEMORY.figures() if _MEMORY else {"peak_mb": 0.0, "rss_peak_mb": 0.0}


def _bare_write(report, path: Path) -> tuple[int, float]:
    """The workbook's cells (About, every table, the chart's block) appended as plain values
    to a bare write-only workbook: no styles, no tables, no chart."""
    # The words as the workbook has them (lazy headers worked out in its language).
    with force_locale(report.filters.language):
        about = [
            [str(v) if isinstance(v, LazyString) else v for v in row] for row in about_rows(report)
        ]
        headers = {table: [str(c.header) for c in columns] for _, table, columns in SHEETS}
    began = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("About")
    cells = 0
    for row in about:
        ws.append(row)
        cells += len(row)
    for title, table, columns in SHEETS:
        ws = wb.create_sheet(title)
        ws.append(headers[table])
        for row in getattr(report, ROWS_FOR_TABLE[table]):
            values = [row.get(column.key) for column in columns]
            ws.append(values)
            cells += len(values)
    ws = wb.create_sheet(CHART_SHEET)
    for row in report.chart:
        values = [row["month"], *(row[category] for category in report.categories)]
        ws.append(values)
        cells += len(values)
    wb.save(path)
    return cells, time.perf_counter() - began


def _workbook_write(report, path: Path) -> None:
    """The funder workbook of a computed report written and saved, as the export does."""
    with force_locale(report.filters.language):
        writer.funder_workbook(report).save(path)


def _timed(work) -> tuple[object, float, float]:
    """What work() returns, and its wall-clock and CPU seconds in this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def run_workbook(database_url: str) -> dict:
    """Build the last quarter's funder workbook; seconds and peak memory.

    First with none of the quarter's sums over its events kept (the first workbook of a
    quarter that housekeeping has not read yet), then again as funders get it. Then, in
    the same process: how long the report's queries take on their own (run
    again), how long writing the workbook of that report takes, and how long a bare
    openpyxl write-only workbook takes to hold the same cells (the least any openpyxl
    workbook of it costs). The write and the bare write run twice, in turn, and the
    faster of each counts. Beside the wall-clock seconds, the process's CPU seconds: on a
    machine shared with other work they are what the code costs, where the wall clock
    also counts the time others held the cores. The export never reuses an archived
    workbook here (a second run on the same dataset would otherwise time a lookup).
    """
    with tempfile.TemporaryDirectory() as folder:
        app = _app(database_url, folder)
        with app.app_context():
            start, end = _last_quarter(clock.today())
            filters = reporting.make_filters(start.isoformat(), end.isoformat())
            # The first workbook of a closed quarter whose sums over its events are not
            # kept reads them (housekeeping does so when a quarter closes): timed apart,
            # then the workbook as a funder gets it once they are kept.
            db.session.execute(db.delete(QuarterCounts))
            db.session.commit()
            _, cold_seconds, cold_cpu = _timed(
                lambda: exports.funder_export(None, filters, reuse=False)
            )
            record, seconds, export_cpu = _timed(
                lambda: exports.funder_export(None, filters, reuse=False)
            )
            memory = _peak()
            report, queries, queries_cpu = _timed(lambda: reporting.funder_report(filters))
            writes, bares = [], []
            for attempt in range(2):
                bare = Path(folder) / f"bare{attempt}.xlsx"
                bares.append(_timed(lambda path=bare: _bare_write(report, path)))
                book = Path(folder) / f"book{attempt}.xlsx"
                writes.append(_timed(lambda path=book: _workbook_write(report, path)))
    cells = bares[0][0][0]
    bare, bare_cpu = min(b[1] for b in bares), min(b[2] for b in bares)
    write, write_cpu = min(w[1] for w in writes), min(w[2] for w in writes)
    return {
        "seconds": seconds,
        "cpu_seconds": export_cpu,
        **memory,
        "bytes": record.size,
        "period": f"{start}..{end}",
        "queries_seconds": queries,
        "queries_cpu_seconds": queries_cpu,
        "cells": cells,
        "write_seconds": write,
        "write_cpu_seconds": write_cpu,
        "bare_write_seconds": bare,
        "bare_write_cpu_seconds": bare_cpu,
        "ratio": export_cpu / bare_cpu,
        "write_ratio": write_cpu / bare_cpu,
        "cold_seconds": cold_seconds,
        "cold_cpu_seconds": cold_cpu,
        "cold_ratio": cold_cpu / bare_cpu,
    }


def run_export(database_url: str, rows: int) -> dict:
    """The event-level export of about `rows` lines; rows per second and peak memory."""
    with tempfile.TemporaryDirectory() as folder:
        app = _app(database_url, folder)
        with app.app_context():
            start, end = _period_with_rows(rows)
            filters = reporting.make_filters(start.isoformat(), end.isoformat())
            written = exports.count_event_rows(filters)
            began = time.perf_counter()
            exports.events_export(None, filters)
            seconds = time.perf_counter() - began
    return {
        "rows": written,
        "seconds": seconds,
        "rows_per_s": written / seconds,
        **_peak(),
    }


def run_bare(database_url: str, rows: int) -> dict:
    """The baseline: the same rows from the same query, appended to a bare write-only sheet."""
    with tempfile.TemporaryDirectory() as folder:
        app = _app(database_url, folder)
        with app.app_context():
            start, end = _period_with_rows(rows)
            filters = reporting.make_filters(start.isoformat(), end.isoformat())
            began = time.perf_counter()
            wb = Workbook(write_only=True)
            ws = wb.create_sheet("Events")
            written = 0
            for row in exports.raw_event_rows(filters):
                # The least any writer must do: Excel has no time zones.
                ws.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
                written += 1
            wb.save(Path(folder) / "bare.xlsx")
            seconds = time.perf_counter() - began
    return {
        "rows": written,
        "seconds": seconds,
        "rows_per_s": written / seconds,
        **_peak(),
    }


def measure(kind: str, database_url: str, rows: int | None = None) -> dict:
    """Run one measurement in a fresh process and return its figures."""
    command = [sys.executable, "-m", "bench.reports_bench", kind, database_url]
    if rows is not None:
        command.append(str(rows))
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    """Entry point for one measurement in this process."""
    global _MEMORY  # noqa: PLW0603  (one sampler for the one measurement of this process)
    _MEMORY = _AnonymousPeak()
    kind, url = sys.argv[1], sys.argv[2]
    if kind == "workbook":
        result = run_workbook(url)
    elif kind == "export":
        result = run_export(url, int(sys.argv[3]))
    else:
        result = run_bare(url, int(sys.argv[3]))
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
