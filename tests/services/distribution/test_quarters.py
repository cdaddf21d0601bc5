"""Reporting quarters close: nothing dated in a closed quarter changes, until an admin reopens."""

from datetime import date, datetime, timedelta, timezone

import pytest

from supplies.extensions import db
from supplies.models import AuditEntry
from supplies.services.common.errors import ValidationFailed
from supplies.services.db.unit_of_work import transaction
from supplies.services.distribution import quarters
from tests.conftest import new_id


def test_calendar_and_fiscal_quarters_are_named_as_funders_name_them(app):
    app.config["REPORTING_CLOSE_DAYS"] = 15
    with app.app_context():
        q = quarters.quarter_of(date(2026, 8, 14))
        assert (q.label, q.starts_on, q.ends_on) == ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30))
        assert quarters.parse("2026-q3") == q
        assert quarters.closes_on(q) == date(2026, 10, 15)
        app.config["FISCAL_YEAR_START"] = 10
        q = quarters.quarter_of(date(2026, 11, 2))
        assert (q.label, q.starts_on, q.ends_on) == (
            "FY2027-Q1",
            date(2026, 10, 1),
            date(2026, 12, 31),
        )
        assert quarters.parse("FY2027-Q1") == q
        assert quarters.quarter_of(date(2027, 9, 30)).label == "FY2027-Q4"
        with pytest.raises(ValidationFailed):
            quarters.parse("2026-Q3")  # a fiscal program names its quarters FY...
        labels = [q.label for q in quarters.quarters_between(date(2026, 9, 1), date(2027, 1, 2))]
        assert labels == ["FY2026-Q4", "FY2027-Q1", "FY2027-Q2"]


def _stocked(api, admin, days_ago):
    body = {
        "id": new_id(),
        "site": "HUB",
        "supply": "FTS",
        "quantity": 50,
        "received_on": (date.today() - timedelta(days=days_ago)).isoformat(),
    }
    assert api.post("/receipts", admin, body).status_code == 201


def _give_on(api, token, day: date | None):
    """One unit given at noon UTC on a past day, or now (no day)."""
    body = {"id": new_id(), "site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
    if day is not None:
        moment = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=12)
        body["occurred_at"] = moment.isoformat()
    return api.post("/distributions", token, body)


def test_a_distribution_or_void_in_a_closed_quarter_is_refused_until_reopened(app, api, program):
    admin = program["tokens"]["admin"]
    app.config["REPORTING_CLOSE_DAYS"] = 400  # last quarter still open by the calendar
    today = date.today()
    with app.app_context():
        this_quarter = quarters.quarter_of(today)
        last = quarters.quarter_of(this_quarter.starts_on - timedelta(days=1))
    _stocked(api, admin, (today - last.starts_on).days + 1)
    given = _give_on(api, admin, last.ends_on)
    with app.app_context(), transaction():
        quarters.close(None, last)  # closed early, as an admin may once it has ended
    refused = _give_on(api, admin, last.ends_on)
    assert refused.status_code == 409
    message = refused.get_json()["error"]["message"]
    assert f"{last.label} closed on {today.isoformat()}" in message
    void = api.post(
        f"/distributions/{given.get_json()['id']}/void", admin, {"reason": "entered_in_error"}
    )
    assert void.status_code == 409
    # Now, not noon today: before noon UTC that would be in the future.
    assert _give_on(api, admin, None).status_code == 201  # today's quarter is open
    with app.app_context(), transaction():
        quarters.reopen(None, last)
    assert _give_on(api, admin, last.ends_on).status_code == 201
    with app.app_context():
        assert [q.label for q in quarters.reopened()] == [last.label]
        actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
        assert "quarter.closed" in actions and "quarter.reopened" in actions


def test_a_quarter_closes_by_itself_after_the_close_days(app):
    app.config["REPORTING_CLOSE_DAYS"] = 15
    with app.app_context():
        today = date.today()
        long_ago = quarters.quarter_of(today - timedelta(days=200))
        assert quarters.closed_since(long_ago) == quarters.closes_on(long_ago)
        assert quarters.closed_since(quarters.quarter_of(today)) is None
        with pytest.raises(ValidationFailed):
            quarters.close(None, quarters.quarter_of(today))  # not ended yet
