"""The demo's history is true in time: every event after its lot arrived, no balance below
zero at any moment, and no workbook of any month or quarter opens or closes below zero."""

from datetime import timedelta
from io import BytesIO

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from supplies import demo
from supplies.extensions import db
from supplies.models import DistributionEvent, Movement, Site
from supplies.services.common import clock
from supplies.services.distribution import quarters
from supplies.services.reporting import periods
from supplies.services.reporting import report as reporting
from supplies.services.reporting.workbook import writer
from supplies.services.stock import ledger_check, on_hand
from tests.conftest import removals_before_arrival


@pytest.fixture
def seeded(app):
    """The demo as `flask seed-demo` loads it (2,000 events over six months)."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "2000 distribution events" in result.output  # none refused for want of stock
    with app.app_context():
        yield app


def _inventory(start, end) -> list[dict]:
    """The Inventory table of the funder workbook for the period, read back from the file."""
    report = reporting.funder_report(reporting.make_filters(start.isoformat(), end.isoformat()))
    data = BytesIO()
    with force_locale("en"):
        writer.funder_workbook(report).save(data)
    ws = load_workbook(data)["Inventory"]
    cells = list(ws[ws.tables["Inventory"].ref])
    header = [cell.value for cell in cells[0]]
    return [dict(zip(header, (c.value for c in row), strict=True)) for row in cells[1:]]


def test_the_demo_passes_check_ledger_in_time(seeded):
    assert ledger_check.negative_in_time() == [] and on_hand.check_ledger() == []
    result = seeded.test_cli_runner().invoke(args=["check-ledger"])
    assert result.exit_code == 0, result.output
    assert seeded.test_cli_runner().invoke(args=["check-ledger", "--repair-report"]).exit_code == 0
    # The partner agency reports what it hands out; no event is logged there.
    at_partners = (
        db.select(db.func.count(DistributionEvent.id))
        .join(Site)
        .where(Site.kind == "partner_agency")
    )
    assert db.session.execute(at_partners).scalar() == 0
    # Every removal is dated after its lot first reached the site (received or moved in).
    assert removals_before_arrival() == 0
    # The history spans the six months, written as it happened (recorded when it occurred).
    first, last = db.session.execute(
        db.select(db.func.min(Movement.occurred_at), db.func.max(Movement.occurred_at)).where(
            Movement.kind == "distribute"
        )
    ).one()
    span = clock.local_date(last) - clock.local_date(first)
    assert span >= timedelta(days=demo.EVENT_DAYS - 3)
    late = db.select(db.func.count(DistributionEvent.id)).where(
        DistributionEvent.recorded_at != DistributionEvent.occurred_at
    )
    assert db.session.execute(late).scalar() == 0


def test_replaying_the_clock_is_for_its_block_only(app):
    with app.app_context():
        moment = clock.now() - timedelta(days=100)
        with clock.replaying(moment):
            assert clock.now() == moment
            assert clock.today() == clock.local_date(moment)
        assert clock.now() - moment > timedelta(days=99)
        with pytest.raises(ValueError), clock.replaying(moment.replace(tzinfo=None)):
            pass


def test_no_workbook_of_the_demo_opens_or_closes_below_zero(seeded):
    today = clock.today()
    first = db.session.execute(db.select(db.func.min(Movement.occurred_at))).scalar()
    first_day = clock.local_date(first)
    periods_checked = []
    for month in periods.months_between(first_day, today):
        periods_checked.append((month, periods.next_month(month) - timedelta(days=1)))
    for quarter in quarters.quarters_between(first_day, today):
        periods_checked.append((quarter.starts_on, quarter.ends_on))
    assert len(periods_checked) >= 8
    for start, end in periods_checked:
        rows = _inventory(start, end)
        assert rows, (start, end)
        negative = [
            (row["Site"], row["Supply"], row["Opening"], row["Closing"])
            for row in rows
            if row["Opening"] < 0 or row["Closing"] < 0
        ]
        assert negative == [], (start, end, negative)
        # And the identity of DESIGN.md's principle 4 holds on every row.
        for row in rows:
            assert row["Closing"] == (
                row["Opening"]
                + row["Received"]
                + row["Transferred in"]
                - row["Transferred out"]
                - row["Distributed"]
                + row["Adjusted"]
            )
