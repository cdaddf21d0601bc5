"""The event-level export: streaming memory, the background job and its progress page."""

import re
import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone

from openpyxl import load_workbook

from supplies.extensions import db
from supplies.models import DistributionEvent, DistributionLine
from supplies.services.db.unit_of_work import transaction
from supplies.services.reporting import exports, report
from tests.conftest import csrf_token_from, wait_until

START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


def _bulk_events(site, supplies, count: int, offset: int = 0) -> None:
    """Insert many anonymous events with two lines each, straight into the tables."""
    events, lines = [], []
    for n in range(offset, offset + count):
        event_id = str(uuid.uuid4())
        events.append(
            {
                "id": event_id,
                "site_id": site.id,
                "occurred_at": START + timedelta(minutes=n),
                "recorded_at": START + timedelta(minutes=n),
                "setting": "fixed_site",
                "age_band": "25_34",
                "trained": bool(n % 2),
                "reversals_reported": n % 3,
            }
        )
        lines += [
            {"event_id": event_id, "supply_id": supplies[0].id, "quantity": 1 + n % 4},
            {"event_id": event_id, "supply_id": supplies[1].id, "quantity": 10},
        ]
    with transaction():
        db.session.execute(db.insert(DistributionEvent.__table__), events)
        db.session.execute(db.insert(DistributionLine.__table__), lines)


def test_memory_does_not_grow_with_the_rows(make):
    site = make.site("HUB")
    supplies = [make.supply("NARCAN4"), make.supply("FTS", category="fentanyl_test_strip")]
    _bulk_events(site, supplies, 2500)
    filters = report.make_filters("2026-01-01", "2026-12-31")
    assert exports.count_event_rows(filters) == 5000
    samples = []
    tracemalloc.start()
    try:
        exports.events_export(
            None, filters, lambda done: samples.append((done, tracemalloc.get_traced_memory()[0]))
        )
    finally:
        tracemalloc.stop()
    # Memory in use once the first thousand rows are buffered stays flat to the last row.
    steady = [memory for done, memory in samples if 1000 <= done < 5000]
    assert len(steady) == 4
    assert max(steady) < steady[0] * 1.25 + 50_000, samples


def test_big_export_runs_in_the_background_with_progress(program, make, client, auth, app):
    site = make.site("OUT")
    supplies = [make.supply("NAL2"), make.supply("XTS", category="xylazine_test_strip")]
    _bulk_events(site, supplies, 300)
    app.config["EXPORT_BACKGROUND_ROWS"] = 100
    auth.login("coord@example.org")
    token = csrf_token_from(client.get("/reports/").get_data(as_text=True))
    response = client.post(
        "/reports/",
        data={
            "csrf_token": token,
            "preset": "custom",
            "start": "2026-01-01",
            "end": "2026-01-31",
            "kind": "events",
        },
    )
    assert response.status_code == 303
    job_url = response.headers["Location"]

    def finished_page():
        page = client.get(job_url).get_data(as_text=True)
        assert "<progress" in page
        if "Download the workbook" in page:
            return page
        assert 'http-equiv="refresh"' in page
        return None

    page = wait_until(finished_page, "the export job's page to offer the download", timeout=60)
    link = re.search(r'href="(/reports/archive/[^"]+)"', page).group(1)
    download = client.get(link)
    assert download.status_code == 200
    wb = load_workbook(_bytes(download))
    assert wb["Events"].max_row == 601
    auth.logout()
    auth.login("admin@example.org")
    assert client.get(job_url).status_code == 404  # someone else's job
    auth.logout()
    auth.login("funder@example.org")
    assert client.get(job_url).status_code == 403


def _bytes(response):
    from io import BytesIO

    return BytesIO(response.data)
