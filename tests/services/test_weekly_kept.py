"""The chart keeps the weeks that have ended, and works them out again when one changes."""

import uuid
from datetime import timedelta

from supplies.services import clock, distribution, revisions, weekly
from supplies.services.operations import OperationRequest


def _distribute(user, days_ago: int, quantity: int) -> str:
    body = {
        "id": str(uuid.uuid4()),
        "site": "HUB",
        "occurred_at": (clock.now() - timedelta(days=days_ago)).isoformat(),
        "items": [{"supply": "NARCAN4", "quantity": quantity}],
    }
    distribution.distribute(user, OperationRequest.new(body["id"], body), body)
    return body["id"]


def _void(user, event_id: str) -> None:
    body = {"id": str(uuid.uuid4()), "reason": "entered twice"}
    distribution.void(user, OperationRequest.new(body["id"], body), event_id, body)


def _ended_weeks(coordinator) -> int:
    units = weekly.weekly_distribution(coordinator).units
    return sum(n for (index, _category), n in units.items() if index < 11)


def _this_week(coordinator) -> int:
    return weekly.weekly_distribution(coordinator).units.get((11, "naloxone_nasal"), 0)


def test_the_ended_weeks_follow_a_back_dated_event_and_a_void(make, program):
    make.receive("HUB", "NARCAN4", 100)
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
    make.receive("HUB", "NARCAN4", 100)
    admin, coordinator = program["users"]["admin"], program["users"]["coordinator"]
    for days_ago, quantity in ((7, 1), (30, 2), (60, 5), (0, 3)):
        _distribute(admin, days_ago, quantity)
    kept = weekly.weekly_distribution(coordinator)
    app.extensions.pop("supplies.closed_weeks")  # what another process would work out
    fresh = weekly.weekly_distribution(coordinator)
    assert kept == fresh
    assert sum(kept.units.values()) == 11
