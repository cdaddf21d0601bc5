"""Back-dated writes at their edges: what counts as later, a lot's status and expiry on the
day, units that arrived at the very moment, and the refusal naming what was on hand then."""

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from supplies.extensions import db
from supplies.models import Batch, LotStatusChange, Movement, Operation
from supplies.services import catalog
from supplies.services.stock import timeline
from tests.conftest import new_id

TODAY = date.today()
EXPIRES = (TODAY + timedelta(days=400)).isoformat()
NARCAN = "Narcan 4 mg nasal spray"


def _day(days_ago: int, hour: int = 12) -> str:
    moment = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time())
    return moment.replace(hour=hour, tzinfo=timezone.utc).isoformat()


def _date(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


@pytest.fixture
def admin(program):
    """The admin's token on the small program (HUB, VAN, NARCAN4, FTS)."""
    return program["tokens"]["admin"]


def _receive(api, token, quantity, days_ago, lot="L1", site="HUB", supply="NARCAN4", **extra):
    body = {
        "id": new_id(),
        "site": site,
        "supply": supply,
        "quantity": quantity,
        "received_on": _date(days_ago),
    }
    if supply != "FTS":
        body.update(lot_number=lot, expires_on=extra.pop("expires_on", EXPIRES))
    response = api.post("/receipts", token, {**body, **extra})
    assert response.status_code == 201, response.get_json()
    return response


def _give(api, token, quantity, at=None, site="HUB", supply="NARCAN4"):
    body = {"id": new_id(), "site": site, "items": [{"supply": supply, "quantity": quantity}]}
    if at is not None:
        body["occurred_at"] = at
    return api.post("/distributions", token, body)


def _lots(response) -> list[dict]:
    assert response.status_code == 201, response.get_json()
    return response.get_json()["items"][0]["lots"]


def _status(api, token, lot, status, at, supply="NARCAN4"):
    body = {
        "id": new_id(),
        "supply": supply,
        "lot_number": lot,
        "status": status,
        "occurred_at": at,
    }
    response = api.post("/lots/status", token, body)
    assert response.status_code == 201, response.get_json()


def _transfer(api, token, quantity, at, from_site="HUB", to_site="VAN"):
    body = {
        "id": new_id(),
        "from_site": from_site,
        "to_site": to_site,
        "supply": "NARCAN4",
        "quantity": quantity,
        "occurred_at": at,
    }
    response = api.post("/transfers", token, body)
    assert response.status_code == 201, response.get_json()


def _error(response) -> dict:
    assert response.status_code == 409, response.get_json()
    return response.get_json()["error"]


# --- what makes a write back-dated ------------------------------------------------------


def test_a_dated_distribution_with_nothing_of_its_own_later_is_refused_with_the_plain_message(
    api, admin, make
):
    """Only this site's later movements of this supply, or later status changes of this
    supply's lots, make a write back-dated: others elsewhere leave the plain refusal."""
    make.supply("NAL2", name="Naloxone 2")
    _receive(api, admin, 3, days_ago=10)
    _receive(api, admin, 4, days_ago=1, site="VAN")  # the same supply, another site
    _receive(api, admin, 4, days_ago=1, supply="FTS")  # another supply, the same site
    _receive(api, admin, 4, days_ago=10, supply="NAL2", lot="X")
    _status(api, admin, "X", "quarantined", _day(1), supply="NAL2")  # another supply's lot
    error = _error(_give(api, admin, 5, at=_day(5)))
    assert error["message"] == f"Only 3 {NARCAN} available at Site HUB."
    assert error["fields"] == {"items[0].quantity": "only 3 available"}


def test_a_movement_at_the_very_same_moment_does_not_make_a_write_back_dated(api, admin):
    _receive(api, admin, 10, days_ago=10)
    assert _give(api, admin, 1, at=_day(5)).status_code == 201
    error = _error(_give(api, admin, 20, at=_day(5)))
    assert error["message"] == f"Only 9 {NARCAN} available at Site HUB."


def test_a_status_change_at_the_very_moment_counts_as_before_it(api, admin):
    _receive(api, admin, 5, days_ago=10, lot="Q")
    _status(api, admin, "Q", "quarantined", _day(5))
    # Nothing dated after the moment yet: the plain refusal, from the lot's status now.
    assert _error(_give(api, admin, 1, at=_day(5)))["message"] == (
        f"Only 0 {NARCAN} available at Site HUB."
    )
    _status(api, admin, "Q", "available", _day(1))
    # Released since, but at that moment it had just been quarantined.
    assert _error(_give(api, admin, 1, at=_day(5)))["message"] == (
        f"On {_date(5)} Site HUB could give 0 {NARCAN} without leaving a later balance "
        "below zero; 1 requested."
    )
    assert _lots(_give(api, admin, 1, at=_day(6))) == [{"lot_number": "Q", "quantity": 1}]


# --- a lot's status and expiry on the day ------------------------------------------------


def test_a_lot_quarantined_since_may_still_be_given_on_a_day_before_its_quarantine(api, admin):
    _receive(api, admin, 5, days_ago=10, lot="Q")
    _status(api, admin, "Q", "quarantined", _day(3))
    assert _lots(_give(api, admin, 2, at=_day(5))) == [{"lot_number": "Q", "quantity": 2}]
    assert _give(api, admin, 1).status_code == 409  # quarantined now


def test_a_lots_status_then_is_its_latest_change_by_date_not_by_when_it_was_typed_in(api, admin):
    _receive(api, admin, 5, days_ago=10, lot="Q")
    _receive(api, admin, 5, days_ago=1, lot="LATER")  # makes day 2 back-dated
    _status(api, admin, "Q", "quarantined", _day(3))
    _status(api, admin, "Q", "available", _day(8))  # typed in afterwards, dated before
    # On day 2 the lot had been quarantined (day 3) since its release (day 8).
    assert _give(api, admin, 1, at=_day(2)).status_code == 409
    assert _lots(_give(api, admin, 1, at=_day(5))) == [{"lot_number": "Q", "quantity": 1}]


def test_a_back_dated_distribution_gives_a_lot_on_its_expiry_day_but_not_the_day_after(api, admin):
    _receive(api, admin, 5, days_ago=20, lot="SHORT", expires_on=_date(5))
    _receive(api, admin, 5, days_ago=20, lot="LONG")
    assert _lots(_give(api, admin, 1)) == [{"lot_number": "LONG", "quantity": 1}]
    assert _lots(_give(api, admin, 1, at=_day(5))) == [{"lot_number": "SHORT", "quantity": 1}]
    assert _lots(_give(api, admin, 1, at=_day(4))) == [{"lot_number": "LONG", "quantity": 1}]


# --- spare units: the balance then and every later one ------------------------------------


def test_a_lot_received_later_does_not_lift_what_an_earlier_lot_could_give(api, admin):
    _receive(api, admin, 5, days_ago=10, lot="EARLY", expires_on=_date(-100))
    _receive(api, admin, 5, days_ago=3, lot="LATE")
    assert _lots(_give(api, admin, 3, at=_day(2))) == [{"lot_number": "EARLY", "quantity": 3}]
    # On day 6 only EARLY was there, and 3 of its 5 went on day 2.
    error = _error(_give(api, admin, 3, at=_day(6)))
    assert error["message"] == (
        f"On {_date(6)} Site HUB could give 2 {NARCAN} without leaving a later balance "
        "below zero; 3 requested."
    )
    assert error["fields"] == {"items[0].quantity": "only 2 available then"}
    assert _lots(_give(api, admin, 2, at=_day(6))) == [{"lot_number": "EARLY", "quantity": 2}]


def test_units_that_left_for_another_site_later_still_limit_what_this_site_could_give(api, admin):
    _receive(api, admin, 10, days_ago=10)
    _transfer(api, admin, 4, _day(3))
    # On day 5 the hub held 10, but 4 left on day 3: it could give 6, the van's 4 aside.
    error = _error(_give(api, admin, 7, at=_day(5)))
    assert error["message"] == (
        f"On {_date(5)} Site HUB could give 6 {NARCAN} without leaving a later balance "
        "below zero; 7 requested."
    )
    assert _give(api, admin, 6, at=_day(5)).status_code == 201


def test_units_that_arrived_at_the_very_moment_may_be_given_at_that_moment(api, admin):
    _receive(api, admin, 10, days_ago=10)
    _transfer(api, admin, 5, _day(5))
    assert _give(api, admin, 1, at=_day(2), site="VAN").status_code == 201
    assert _lots(_give(api, admin, 4, at=_day(5), site="VAN")) == [
        {"lot_number": "L1", "quantity": 4}
    ]
    # Nothing left then; the lot had arrived (at that very moment), so no "arrived later".
    error = _error(_give(api, admin, 1, at=_day(5), site="VAN"))
    assert error["message"] == (
        f"On {_date(5)} Site VAN could give 0 {NARCAN} without leaving a later balance "
        "below zero; 1 requested."
    )


def test_units_found_later_do_not_add_to_what_could_be_given_before(api, admin):
    _receive(api, admin, 5, days_ago=10)
    found = {
        "id": new_id(),
        "site": "HUB",
        "supply": "NARCAN4",
        "quantity": 3,
        "reason": "found",
        "lot_number": "L1",
        "occurred_at": _day(2),
    }
    assert api.post("/adjustments", admin, found).status_code == 201
    error = _error(_give(api, admin, 6, at=_day(5)))
    assert "could give 5 Narcan" in error["message"]
    assert _give(api, admin, 5, at=_day(5)).status_code == 201


def test_a_lot_with_nothing_spare_then_is_passed_over_for_the_next(api, admin):
    _receive(api, admin, 5, days_ago=1, lot="SOON", expires_on=_date(-100))
    _receive(api, admin, 5, days_ago=10, lot="LONG")
    # SOON expires first but had not arrived on day 5: LONG alone gives, and only LONG shows.
    assert _lots(_give(api, admin, 2, at=_day(5))) == [{"lot_number": "LONG", "quantity": 2}]


def test_a_lot_with_a_single_unit_spare_then_gives_it(api, admin):
    _receive(api, admin, 1, days_ago=10, lot="ONE")
    _receive(api, admin, 5, days_ago=1, lot="LATER")
    assert _lots(_give(api, admin, 1, at=_day(5))) == [{"lot_number": "ONE", "quantity": 1}]


def test_a_back_dated_write_off_takes_the_named_lot_whatever_its_status_then(api, admin):
    _receive(api, admin, 5, days_ago=10, lot="SOON", expires_on=_date(-100))
    _receive(api, admin, 5, days_ago=10, lot="Q")
    _status(api, admin, "Q", "quarantined", _day(8))
    assert _lots(_give(api, admin, 1, at=_day(1))) == [{"lot_number": "SOON", "quantity": 1}]
    write_off = {
        "id": new_id(),
        "site": "HUB",
        "supply": "NARCAN4",
        "quantity": -2,
        "reason": "damaged",
        "lot_number": "Q",
        "occurred_at": _day(5),
    }
    assert api.post("/adjustments", admin, write_off).status_code == 201
    rows = api.get("/stock", admin, site="HUB").get_json()
    assert {row["lot_number"]: row["quantity"] for row in rows} == {"SOON": 4, "Q": 3}


# --- the refusal names the day, the site and what was on hand ----------------------------


def test_a_refusal_before_the_first_lot_arrived_names_that_arrival_at_this_site(api, admin):
    _receive(api, admin, 5, days_ago=10, site="VAN")  # elsewhere, earlier
    _receive(api, admin, 5, days_ago=10, supply="FTS")  # another supply, earlier
    _receive(api, admin, 1, days_ago=3)  # this site's first: one unit
    error = _error(_give(api, admin, 1, at=_day(5)))
    assert error["message"] == (
        f"On {_date(5)} Site HUB held 0 {NARCAN}; its first lot arrived {_date(3)}."
    )
    assert error["fields"] == {"items[0].quantity": "only 0 available then"}


def test_a_refusal_where_the_supply_never_arrived_says_none_has_arrived_since(api, admin):
    _receive(api, admin, 5, days_ago=10, lot="V", site="VAN")
    _status(api, admin, "V", "quarantined", _day(1))  # a later change of one of its lots
    response = _give(api, admin, 1, at=_day(5))
    error = _error(response)
    assert error["message"] == (
        f"On {_date(5)} Site HUB held 0 {NARCAN}; none has arrived there since."
    )
    assert error["fields"] == {"items[0].quantity": "only 0 available then"}


def test_a_refusal_after_everything_later_went_says_none_could_be_given(api, admin):
    _receive(api, admin, 10, days_ago=10)
    assert _give(api, admin, 10, at=_day(2)).status_code == 201
    error = _error(_give(api, admin, 1, at=_day(5)))
    assert error["message"] == (
        f"On {_date(5)} Site HUB could give 0 {NARCAN} without leaving a later balance "
        "below zero; 1 requested."
    )
    assert error["fields"] == {"items[0].quantity": "only 0 available then"}


def test_the_refusal_carries_the_units_available_by_supply_code(ctx, program, make):
    make.receive("HUB", "NARCAN4", 4, days_ago=10)
    site, supply = catalog.site_by_code("HUB"), catalog.supply_by_code("NARCAN4")
    moment = datetime.fromisoformat(_day(5))
    refusal = timeline.shortfall(site, supply, moment, 6, 4, "quantity")
    assert refusal.available == {"NARCAN4": 4}
    assert refusal.fields == {"quantity": "only 4 available then"}
    assert str(refusal.message) == (
        f"On {_date(5)} Site HUB could give 4 {NARCAN} without leaving a later balance "
        "below zero; 6 requested."
    )


def test_a_lots_status_then_is_read_for_its_own_supply_though_another_shares_its_number(
    api, admin, make
):
    make.supply("NAL2", name="Naloxone 2")
    _receive(api, admin, 5, days_ago=10, lot="A")
    _receive(api, admin, 5, days_ago=10, supply="NAL2", lot="A")
    _receive(api, admin, 5, days_ago=10, supply="NAL2", lot="B")
    _status(api, admin, "A", "quarantined", _day(9), supply="NAL2")
    _status(api, admin, "A", "recalled", _day(5))
    narcan, nal2 = catalog.supply_by_code("NARCAN4"), catalog.supply_by_code("NAL2")
    lots = {(narcan.id, "A"), (nal2.id, "B"), (nal2.id, None)}
    # NAL2's lot A changed too, but was not asked about; NAL2's lot B never changed.
    assert timeline.statuses_at(lots, datetime.fromisoformat(_day(7))) == {
        (narcan.id, "A"): "available"
    }
    assert timeline.statuses_at(lots, datetime.fromisoformat(_day(1))) == {
        (narcan.id, "A"): "recalled"
    }


def test_of_two_status_changes_dated_the_same_instant_the_one_recorded_later_holds(api, admin):
    _receive(api, admin, 5, days_ago=10, lot="A")
    _status(api, admin, "A", "quarantined", _day(5))
    _status(api, admin, "A", "available", _day(5))  # a correction typed in afterwards
    # The first change's time edited and put back: PostgreSQL then stores that row after
    # the second, so the order rows are stored in must not decide (SQLite keeps id order).
    first = min(db.session.execute(db.select(LotStatusChange.id)).scalars())
    for moment in (_day(4), _day(5)):
        db.session.execute(
            update(LotStatusChange)
            .where(LotStatusChange.id == first)
            .values(occurred_at=datetime.fromisoformat(moment))
        )
    narcan = catalog.supply_by_code("NARCAN4")
    later = datetime.fromisoformat(_day(3))
    assert timeline.statuses_at({(narcan.id, "A")}, later) == {(narcan.id, "A"): "available"}


def test_a_lot_held_at_a_moment_carries_its_status_then_not_todays(api, admin):
    _receive(api, admin, 5, days_ago=10, lot="A")
    _status(api, admin, "A", "quarantined", _day(6))
    _status(api, admin, "A", "available", _day(2))
    site, narcan = catalog.site_by_code("HUB"), catalog.supply_by_code("NARCAN4")
    then = datetime.fromisoformat(_day(4))
    # A write-off or a count reads every lot whatever its status; handing out skips it.
    held = timeline.holdings_at(site.id, narcan.id, then, usable=False)
    assert [(h.lot_number, h.quantity, h.status) for h in held] == [("A", 5, "quarantined")]
    assert timeline.holdings_at(site.id, narcan.id, then, usable=True) == []


def test_a_back_dated_transfer_lists_the_lots_it_moved_with_their_expiry(api, admin):
    _receive(api, admin, 10, days_ago=10)
    assert _give(api, admin, 1, at=_day(2)).status_code == 201
    body = {"from_site": "HUB", "to_site": "VAN", "supply": "NARCAN4", "quantity": 3}
    moved = api.post("/transfers", admin, {**body, "id": new_id(), "occurred_at": _day(5)})
    assert moved.status_code == 201, moved.get_json()
    assert moved.get_json()["items"][0]["lots"] == [
        {"lot_number": "L1", "expires_on": EXPIRES, "quantity": 3}
    ]


def test_a_refusal_names_the_first_arrival_even_where_an_old_history_dated_removals_before_it(
    ctx, program, make
):
    """An old database or a bulk load can hold a removal (or a zero count line) dated before
    its lot arrived: the first arrival is still the first unit that came in."""
    make.receive("HUB", "NARCAN4", 10, lot="L1", days_ago=3)
    site, supply = catalog.site_by_code("HUB"), catalog.supply_by_code("NARCAN4")
    batch_id = db.session.execute(
        db.select(Batch.id).where(Batch.supply_id == supply.id, Batch.lot_number == "L1")
    ).scalar_one()
    for kind, quantity, days_ago in (("distribute", -4, 30), ("count", 0, 35)):
        operation_id = str(uuid.uuid4())
        db.session.add(
            Operation(id=operation_id, kind="adjustment", fingerprint="t", result={"rows": True})
        )
        db.session.add(
            Movement(
                kind=kind,
                site_id=site.id,
                supply_id=supply.id,
                batch_id=batch_id,
                quantity=quantity,
                occurred_at=datetime.fromisoformat(_day(days_ago)),
                operation_id=operation_id,
            )
        )
    db.session.commit()
    refusal = timeline.shortfall(site, supply, datetime.fromisoformat(_day(40)), 1, 0, "quantity")
    assert refusal.message == (
        f"On {_date(40)} Site HUB held 0 {NARCAN}; its first lot arrived {_date(3)}."
    )
