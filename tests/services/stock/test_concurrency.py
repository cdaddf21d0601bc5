"""Two staff taking the last box at once cannot both succeed, on SQLite or PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from supplies.extensions import db
from supplies.models import DistributionEvent
from supplies.services.stock import on_hand
from tests.conftest import new_id


def test_120_one_unit_distributions_from_60_units(app, make, program):
    make.receive("HUB", "NARCAN4", 60)
    token = program["tokens"]["staff"]
    start = threading.Barrier(8)

    def worker(count: int) -> list[int]:
        client = app.test_client()
        start.wait()
        statuses = []
        for _ in range(count):
            body = {"id": new_id(), "site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 1}]}
            response = client.post(
                "/api/v1/distributions", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            statuses.append(response.status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [status for batch in pool.map(worker, [15] * 8) for status in batch]

    assert len(results) == 120
    assert results.count(201) == 60
    assert results.count(409) == 60
    db.session.remove()
    assert db.session.execute(db.select(db.func.count(DistributionEvent.id))).scalar() == 60
    rows = on_hand.stock_rows(program["users"]["admin"])
    assert [row for row in rows if row["supply"] == "NARCAN4"] == []
    assert on_hand.check_ledger() == []


def test_the_same_event_sent_by_many_threads_records_once(app, make, program):
    make.receive("HUB", "NARCAN4", 60)
    token = program["tokens"]["staff"]
    body = {"id": new_id(), "site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 1}]}
    start = threading.Barrier(8)

    def worker(_):
        client = app.test_client()
        start.wait()
        response = client.post(
            "/api/v1/distributions", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(worker, range(8)))
    assert sorted(statuses) == [200] * 7 + [201]
    db.session.remove()
    assert db.session.execute(db.select(db.func.count(DistributionEvent.id))).scalar() == 1
    assert on_hand.check_ledger() == []


def test_a_back_dated_and_a_now_distribution_of_the_last_units_cannot_both_succeed(
    app, make, program
):
    """Rounds of two threads: one dated yesterday, one now, each for the last 3 units."""
    token = program["tokens"]["admin"]
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    for round_number in range(6):
        make.receive("HUB", "NARCAN4", 3, lot=f"R{round_number}", days_ago=3)
        db.session.commit()
        start = threading.Barrier(2)

        def worker(occurred_at, start=start):
            client = app.test_client()
            body = {"id": new_id(), "site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 3}]}
            if occurred_at:
                body["occurred_at"] = occurred_at
            start.wait()
            response = client.post(
                "/api/v1/distributions", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            return response.status_code

        with ThreadPoolExecutor(max_workers=2) as pool:
            statuses = sorted(pool.map(worker, [yesterday, None]))
        assert statuses == [201, 409], f"round {round_number}: {statuses}"
        db.session.remove()
        assert on_hand.check_ledger() == []
