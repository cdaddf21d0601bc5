"""The chart keeps the weeks that have ended, and works them out again when one changes."""

import uuid
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import event

from supplies.extensions import db
from supplies.services.common import clock
from supplies.services.db import revisions
from supplies.services.db.operations import OperationRequest
from supplies.services.db.unit_of_work import transaction
from supplies.services.distribution import events
from supplies.services.stock import weekly


def _distribute(user, days_ago: int, quantity: int) -> str:
    body = {
        "id": str(uuid.uuid4()),
        "site": "HUB",
        "occurred_at": (clock.now() - timedelta(days=days_ago)).isoformat(),
        "items": [{"supply": "NARCAN4", "quantity": quantity}],
    }
    events.distribute(user, OperationRequest.new(body["id"], body), body)
    return body["id"]


def _void(user, event_id: str) -> None:
    body = {"id": str(uuid.uuid4()), "reason": "duplicate"}
    events.void(user, OperationRequest.new(body["id"], body), event_id, body)


def _ended_weeks(coordinator) -> int:
    units = weekly.weekly_distribution(coordinator).units
    return sum(n for (index, _category), n in units.items() if index < 11)


def _this_week(coordinator) -> int:
    return weekly.weekly_distribution(coordinator).units.get((11, "naloxone_nasal"), 0)


def test_the_ended_weeks_follow_a_back_dated_event_and_a_void(make, program):
    make.receive("HUB", "NARCAN4", 100, days_ago=60)
    admin, coordinator = program["users"]["admin"], program["users"]["coordinator"]
    first = _distribute(admin, 14, 3)
    assert _ended_weeks(coordinator) == 3  # worked out, and kept
    before = revisions.current(weekly.CLOSED_WEEKS)
    _distribute(admin, 0, 2)  # this week: read every time, nothing to announce
    assert revisions.current(weekly.CLOSED_WEEKS) == before
    assert _this_week(coordinator) == 2
    _distribute(admin, 21, 4)  # back-dated into an ended week
    assert revisions.current(weekly.CLOSED_WEEKS) == before + 1
    assert _ended_weeks(coordinator) == 7
    _void(admin, first)  # the void nets the week the event was in
    assert _ended_weeks(coordinator) == 4


def test_the_kept_weeks_are_the_ones_worked_out_afresh(make, program, app):
    make.receive("HUB", "NARCAN4", 100, days_ago=60)
    admin, coordinator = program["users"]["admin"], program["users"]["coordinator"]
    for days_ago, quantity in ((7, 1), (30, 2), (60, 5), (0, 3)):
        _distribute(admin, days_ago, quantity)
    weekly.weekly_distribution(coordinator)  # works the ended weeks out, and keeps them
    reads = []

    def on_execute(_conn, _cursor, statement, _params, _context, _many):
        if "FROM movements" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        kept = weekly.weekly_distribution(coordinator)
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    assert len(reads) == 1  # this week's movements only: the ended weeks came from memory
    app.extensions.pop("supplies.closed_weeks")  # what another process would work out
    fresh = weekly.weekly_distribution(coordinator)
    assert kept == fresh
    assert sum(kept.units.values()) == 11


def test_only_a_write_dated_in_an_ended_week_or_its_last_minute_announces_itself(
    make, program, monkeypatch
):
    monday = clock.today() - timedelta(days=clock.today().weekday())
    tz = clock.program_timezone()

    def bumps(now: datetime, dated: datetime) -> bool:
        monkeypatch.setattr(clock, "now", lambda: now.astimezone(timezone.utc))
        before = revisions.current(weekly.CLOSED_WEEKS)
        with transaction():
            weekly.note_dated(dated)
        return revisions.current(weekly.CLOSED_WEEKS) == before + 1

    wednesday_noon = datetime.combine(monday + timedelta(days=2), time(12), tz)
    assert not bumps(wednesday_noon, wednesday_noon)  # this week: read every time
    assert not bumps(wednesday_noon, datetime.combine(monday, time(0, 0), tz))
    assert bumps(wednesday_noon, datetime.combine(monday, time(0, 0), tz) - timedelta(minutes=1))
    # In a week's last minute a write may commit after midnight, once its week has ended
    # and been kept without it: it announces itself.
    sunday_night = datetime.combine(monday + timedelta(days=6), time(23, 59, 30), tz)
    assert bumps(sunday_night, sunday_night)
