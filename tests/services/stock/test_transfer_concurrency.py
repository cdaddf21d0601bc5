"""Transfers both ways and distributions at both ends, at once: no deadlock, no lost unit."""

import threading
from concurrent.futures import ThreadPoolExecutor

from supplies.extensions import db
from supplies.services.stock import on_hand
from tests.conftest import new_id


def test_crossing_transfers_and_distributions_never_deadlock(app, make, program):
    for site in ("HUB", "VAN"):
        make.receive(site, "NARCAN4", 200, lot=f"L-{site}")
        make.receive(site, "FTS", 200)
    token = program["tokens"]["admin"]
    start = threading.Barrier(6)
    lines = [{"supply": "FTS", "quantity": 1}, {"supply": "NARCAN4", "quantity": 1}]

    def worker(kind: str) -> list[int]:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        start.wait()
        statuses = []
        for _ in range(10):
            if kind in ("HUB", "VAN"):
                other = "VAN" if kind == "HUB" else "HUB"
                body = {"id": new_id(), "from_site": kind, "to_site": other, "items": lines}
                response = client.post("/api/v1/transfers", json=body, headers=headers)
            else:
                body = {"id": new_id(), "site": kind[1:], "items": list(reversed(lines))}
                response = client.post("/api/v1/distributions", json=body, headers=headers)
            statuses.append(response.status_code)
        return statuses

    kinds = ["HUB", "VAN", "dHUB", "dVAN", "HUB", "VAN"]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [status for batch in pool.map(worker, kinds) for status in batch]
    assert results == [201] * 60, results
    db.session.remove()
    assert on_hand.check_ledger() == []
    rows = on_hand.stock_rows(program["users"]["admin"])
    assert sum(r["quantity"] for r in rows if r["supply"] == "FTS") == 400 - 20
