"""Property: for any ledger and any period, the Inventory sheet reconciles to the unit."""

import contextlib
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplies.extensions import db
from supplies.models import DistributionEvent, DistributionLine, Movement, Site, Supply
from supplies.services.common.errors import DomainError
from supplies.services.reporting import report as reporting
from supplies.services.stock import on_hand as stock
from tests.conftest import make_app
from tests.reports.dataset import Ledger, local

SITES = ("HUB", "VAN")
SUPPLIES = ("NARCAN4", "FTS")
FIRST_DAY = date(2026, 1, 1)
DAYS = 40


@pytest.fixture
def app(database, tmp_path):
    """New York time, where days and months do not line up with UTC."""
    application = make_app(
        database, APP_TIMEZONE="America/New_York", EXPORT_DIR=str(tmp_path / "exports")
    )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ledger(make, monkeypatch):
    """Two sites and two supplies, written to through the real services."""
    for code in SITES:
        make.site(code)
    make.supply("NARCAN4")
    make.supply("FTS", category="fentanyl_test_strip")
    make.funding("SOR")
    return Ledger(monkeypatch, make.admin)


operation = st.tuples(
    st.sampled_from(["receive", "distribute", "void", "transfer", "adjust", "count"]),
    st.integers(0, DAYS - 1),
    st.integers(0, 23),
    st.integers(0, 1),
    st.integers(0, 1),
    st.integers(1, 30),
)


def _apply(ledger, events, kind, day, hour, site_i, supply_i, quantity):
    when = f"{FIRST_DAY + timedelta(days=day)}T{hour:02d}:17"
    site, supply = SITES[site_i], SUPPLIES[supply_i]
    if kind == "receive":
        lot = ("L1", "2027-12-31") if supply == "NARCAN4" else (None, None)
        funding = "SOR" if quantity % 2 else None
        ledger.receive(when, site, supply, quantity, *lot, funding)
    elif kind == "distribute":
        events.append(ledger.distribute(when, site, {supply: quantity}).result["id"])
    elif kind == "void" and events:
        ledger.void(when, events.pop(quantity % len(events)))
    elif kind == "transfer":
        ledger.transfer(when, site, SITES[1 - site_i], supply, quantity)
    elif kind == "adjust":
        ledger.adjust(when, site, supply, quantity if hour % 2 else -quantity, "found")
    elif kind == "count":
        ledger.count(when, site, supply, quantity)


def _ids(model):
    return {row.code: row.id for row in db.session.execute(db.select(model)).scalars()}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    operations=st.lists(operation, min_size=1, max_size=14),
    start=st.integers(0, DAYS),
    length=st.integers(0, DAYS),
)
def test_inventory_identity_holds(ledger, operations, start, length):
    events = []
    for op in operations:
        with contextlib.suppress(DomainError):  # too little stock: refused, nothing written
            _apply(ledger, events, *op)
    first = FIRST_DAY + timedelta(days=start)
    last = first + timedelta(days=length)
    report = reporting.funder_report(reporting.make_filters(first.isoformat(), last.isoformat()))
    upper = local(f"{last + timedelta(days=1)}T00:00")
    lower = local(f"{first}T00:00")
    sites, supplies = _ids(Site), _ids(Supply)
    assert len(report.inventory) == len(SITES) * len(SUPPLIES)
    for row in report.inventory:
        assert (
            row["opening"]
            + row["received"]
            + row["transferred_in"]
            - row["transferred_out"]
            - row["distributed"]
            + row["adjusted"]
            == row["closing"]
        )
        where = (
            Movement.site_id == sites[row["site"]],
            Movement.supply_id == supplies[row["supply"]],
        )
        closing = db.session.execute(
            db.select(db.func.coalesce(db.func.sum(Movement.quantity), 0)).where(
                *where, Movement.occurred_at < upper
            )
        ).scalar()
        assert row["closing"] == closing
        given_out = db.session.execute(
            db.select(db.func.coalesce(db.func.sum(DistributionLine.quantity), 0))
            .join(DistributionEvent, DistributionEvent.id == DistributionLine.event_id)
            .where(
                DistributionEvent.site_id == sites[row["site"]],
                DistributionLine.supply_id == supplies[row["supply"]],
                DistributionEvent.voided_at.is_(None),
                DistributionEvent.occurred_at >= lower,
                DistributionEvent.occurred_at < upper,
            )
        ).scalar()
        assert row["distributed"] == given_out
    # A period that runs to today closes on what the stock page shows now.
    ledger.at(f"{FIRST_DAY + timedelta(days=DAYS)}T12:00")
    today = FIRST_DAY + timedelta(days=DAYS)
    now = reporting.funder_report(reporting.make_filters(first.isoformat(), today.isoformat()))
    for row in now.inventory:
        on_hand = stock.on_hand_by_supply(sites[row["site"]])
        assert row["closing"] == on_hand.get(supplies[row["supply"]], 0)
