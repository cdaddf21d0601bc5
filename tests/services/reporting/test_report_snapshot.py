"""A report reads one snapshot: a distribution committed while it runs changes none of it."""

import threading

from supplies.services.common import clock
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from supplies.services.reporting import queries as q
from supplies.services.reporting import report as reporting
from tests.conftest import new_id


def _distribute(user, quantity: int) -> None:
    body = {"id": new_id(), "site": "HUB", "items": [{"supply": "NARCAN4", "quantity": quantity}]}
    events.distribute(user, OperationRequest.new(body["id"], body), body)


def test_a_distribution_during_the_report_is_in_none_of_its_tables(app, make, program, monkeypatch):
    make.receive("HUB", "NARCAN4", 100)
    admin = program["users"]["admin"]
    _distribute(admin, 10)
    today = clock.local_date(clock.now()).isoformat()
    filters = reporting.make_filters(today, today, ["HUB"])
    read_inventory = q.inventory

    def inventory_then_a_distribution_elsewhere(*args):
        numbers = read_inventory(*args)

        # committed by another request (its own context, session and connection) between
        # the report's inventory query and its distribution queries
        def other_request():
            with app.app_context():
                _distribute(admin, 5)

        writer = threading.Thread(target=other_request)
        writer.start()
        writer.join()
        return numbers

    monkeypatch.setattr(q, "inventory", inventory_then_a_distribution_elsewhere)
    report = reporting.funder_report(filters)
    inventory = next(r for r in report.inventory if r["supply"] == "NARCAN4")
    by_site = next(r for r in report.by_site if r["supply"] == "NARCAN4")
    summary = next(r for r in report.summary if r["supply"] == "NARCAN4")
    assert (inventory["distributed"], by_site["units"], summary["units"]) == (10, 10, 10)
    # A site's workbook gives no counts of people (those are per closed quarter).
    assert summary["encounters"] is None
    assert inventory["closing"] == 90
    # the next report sees it
    again = reporting.funder_report(filters)
    assert next(r for r in again.summary if r["supply"] == "NARCAN4")["units"] == 15
