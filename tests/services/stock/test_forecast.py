"""The run-out forecast: median weekly use of four weeks, robust to one big day."""

import uuid
from datetime import timedelta

import pytest

from supplies.extensions import db
from supplies.models import ParLevel
from supplies.services import catalog
from supplies.services.common import clock
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from supplies.services.stock import forecast, overview


@pytest.fixture
def open_quarters(app):
    """Distributions dated weeks back are never refused for a closed quarter here."""
    app.config["REPORTING_CLOSE_DAYS"] = 400


def give(make, site, supply, quantity, days_ago):
    """A distribution dated days_ago (noon, so it stays in its week)."""
    moment = clock.now() - timedelta(days=days_ago, hours=1)
    body = {
        "id": str(uuid.uuid4()),
        "site": site,
        "occurred_at": clock.local_time(moment).replace(tzinfo=None).isoformat(),
        "items": [{"supply": supply, "quantity": quantity}],
    }
    events.distribute(make.admin, OperationRequest.new(body["id"], body), body)


def test_rate_is_the_median_week_over_seven_days():
    assert forecast.rate_of((7, 14, 21, 700)).per_day == pytest.approx(17.5 / 7)
    assert forecast.rate_of((0, 0, 0, 700)).per_day == 0  # one big day is no rate
    rate = forecast.rate_of((14, 14, 14, 14))
    assert rate.per_day == 2 and rate.days_left(29) == 14 and rate.covering(14) == 28
    assert forecast.rate_of((0, 0, 0, 0)).days_left(10) is None


def test_rates_read_distributions_voids_and_transfers_out(make, program, open_quarters):
    make.receive("HUB", "FTS", 1000, days_ago=40)
    for days_ago in (3, 10, 17, 24):
        give(make, "HUB", "FTS", 14, days_ago)
    give(make, "HUB", "FTS", 500, 5)  # one big day: same week as the 3-days-ago one
    site, supply = catalog.site_by_code("HUB"), catalog.supply_by_code("FTS")
    rate = forecast.rates()[(site.id, supply.id)]
    assert rate.weekly == (14, 14, 14, 514)
    assert rate.per_day == 2
    assert forecast.forecast(site.id, supply.id, 20).days_left == 10
    assert forecast.forecast(site.id, supply.id, 20).soon  # within 14 days


def test_overview_flags_a_run_out_within_the_lead_time_and_suggests_enough(
    make, program, open_quarters
):
    make.receive("HUB", "FTS", 100, days_ago=40)
    make.receive("VAN", "FTS", 400, days_ago=40)
    for days_ago in (3, 10, 17, 24):
        give(make, "HUB", "FTS", 21, days_ago)  # 3 a day: 16 left last 5 days
    hub, fts = catalog.site_by_code("HUB"), catalog.supply_by_code("FTS")
    db.session.add(ParLevel(site_id=hub.id, supply_id=fts.id, minimum=5, target=30))
    db.session.commit()
    view = overview.stock_overview(program["users"]["coordinator"])
    cell = view.cells[(hub.id, fts.id)]
    assert cell.usable == 16 and cell.days_left == 5 and cell.state == "soon"
    (suggestion,) = view.suggestions
    # Enough for the lead time (14 days x 3 = 42), more than the target of 30.
    assert suggestion.target == 42 and suggestion.need == 26
    assert suggestion.from_site.code == "VAN" and suggestion.quantity == 26
