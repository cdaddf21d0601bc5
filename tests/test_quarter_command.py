"""`flask quarter close|reopen QUARTER`: an audited close or reopen, one transaction each."""

import uuid
from datetime import datetime, time, timedelta

import pytest

from supplies.extensions import db
from supplies.models import AuditEntry, QuarterState
from supplies.services.common import clock
from supplies.services.common.errors import Conflict
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events, quarters
from supplies.services.stock import work
from supplies.services.stock.work import ReceiptLine
from tests.conftest import make_app


def _app(database, **overrides):
    application = make_app(database, **overrides)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(database):
    """Quarters close only long after they end, so the last one is still open here."""
    yield from _app(database, REPORTING_CLOSE_DAYS=400)


def _last_quarter():
    current = quarters.quarter_of(clock.today())
    return quarters.quarter_of(current.starts_on - timedelta(days=1))


def _distribute_on(make, day):
    body = {
        "id": str(uuid.uuid4()),
        "site": "HUB",
        "occurred_at": datetime.combine(day, time(12)).isoformat(),
        "items": [{"supply": "FTS", "quantity": 1}],
    }
    return events.distribute(make.admin, OperationRequest.new(body["id"], body), body)


def test_close_then_reopen_a_quarter(app, make):
    make.site("HUB")
    make.supply("FTS", category="fentanyl_test_strip")
    last = _last_quarter()
    body = {"r": "stock"}
    work.receive(
        make.admin,
        OperationRequest.new(str(uuid.uuid4()), body),
        "HUB",
        [ReceiptLine("FTS", 50)],
        last.starts_on.isoformat(),
    )
    assert quarters.closed_since(last) is None
    _distribute_on(make, last.starts_on + timedelta(days=5))  # open: accepted
    runner = app.test_cli_runner()

    closed = runner.invoke(args=["quarter", "close", last.label])
    assert closed.exit_code == 0, closed.output
    span = f"{last.label} ({last.starts_on.isoformat()} to {last.ends_on.isoformat()})"
    assert f"Closed {span} on {clock.today().isoformat()}" in closed.output
    assert "It was open." in closed.output
    db.session.rollback()
    assert quarters.closed_since(last) == clock.today()
    with pytest.raises(Conflict) as refused:
        _distribute_on(make, last.starts_on + timedelta(days=6))
    assert f"closed on {clock.today().isoformat()}" in refused.value.message

    reopened = runner.invoke(args=["quarter", "reopen", last.label.lower()])
    assert reopened.exit_code == 0, reopened.output
    assert f"Reopened {span}" in reopened.output
    assert f"It had been closed since {clock.today().isoformat()}." in reopened.output
    db.session.rollback()
    assert quarters.closed_since(last) is None
    _distribute_on(make, last.starts_on + timedelta(days=7))  # accepted again

    # Both audited, by the command line (no user), each in its own committed transaction.
    entries = db.session.execute(
        db.select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.object_id)
        .where(AuditEntry.action.like("quarter.%"))
        .order_by(AuditEntry.id)
    ).all()
    assert entries == [
        ("quarter.closed", None, last.label),
        ("quarter.reopened", None, last.label),
    ]
    states = db.session.execute(db.select(QuarterState.state, QuarterState.user_id)).all()
    assert states == [("closed", None), ("reopened", None)]


def test_refusals_exit_non_zero_with_the_message_and_record_nothing(app):
    runner = app.test_cli_runner()
    current = None
    with app.app_context():
        current = quarters.quarter_of(clock.today())
    running = runner.invoke(args=["quarter", "close", current.label])
    assert running.exit_code != 0
    assert f"{current.label} has not ended yet." in running.output
    for label in ("2026-Q5", "Q3-2026", "FY2027-Q1"):
        bad = runner.invoke(args=["quarter", "reopen", label])
        assert bad.exit_code != 0, label
        assert "Name a quarter like 2026-Q3." in bad.output
    assert runner.invoke(args=["quarter", "close"]).exit_code != 0  # QUARTER is required
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(QuarterState.id))).scalar() == 0
        audited = db.select(db.func.count(AuditEntry.id)).where(AuditEntry.action.like("quarter%"))
        assert db.session.execute(audited).scalar() == 0


def test_fiscal_quarters_where_the_fiscal_year_starts_in_october(database):
    for app in _app(database, FISCAL_YEAR_START=10, REPORTING_CLOSE_DAYS=400):
        with app.app_context():
            last = _last_quarter()
        assert last.label.startswith("FY")
        runner = app.test_cli_runner()
        closed = runner.invoke(args=["quarter", "close", last.label])
        assert closed.exit_code == 0, closed.output
        assert f"Closed {last.label} ({last.starts_on.isoformat()}" in closed.output
        calendar = runner.invoke(args=["quarter", "close", "2026-Q3"])
        assert calendar.exit_code != 0
        assert "Name a quarter like FY2027-Q1." in calendar.output
