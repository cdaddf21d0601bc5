"""Stock rules the screens and the API share, called directly."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from supplies.services.common import validation as v
from supplies.services.common.errors import Forbidden, ValidationFailed
from supplies.services.db.operations import OperationRequest
from supplies.services.stock import on_hand, work
from supplies.services.stock.work import ReceiptLine


def _request():
    return OperationRequest.new(str(uuid.uuid4()), {"n": str(uuid.uuid4())})


def test_a_new_shipment_of_a_recalled_lot_arrives_recalled(make, program):
    make.receive("HUB", "NARCAN4", 5, lot="R1")
    admin = program["users"]["admin"]
    work.set_lot_status(
        admin, _request(), {"supply": "NARCAN4", "lot_number": "R1", "status": "recalled"}
    )
    result = make.receive("VAN", "NARCAN4", 5, lot="R1")
    assert result.result["status"] == "recalled"


def test_multi_line_receipt_names_the_bad_line(make, program):
    admin = program["users"]["admin"]
    lines = [
        ReceiptLine("FTS", 100),
        ReceiptLine("NARCAN4", 0, "L9", "2028-01-01"),
        ReceiptLine("NOPE", 3),
    ]
    with pytest.raises(ValidationFailed) as refused:
        work.receive(admin, _request(), "HUB", lines, prefixes=["lines-0-", "lines-1-", "lines-2-"])
    assert set(refused.value.fields) == {"lines-1-quantity", "lines-2-supply"}
    assert on_hand.stock_rows(admin) == []


def test_found_units_of_a_medication_need_a_lot_when_several_are_on_hand(make, program):
    make.receive("HUB", "NARCAN4", 5, lot="A", expires_in_days=100)
    make.receive("HUB", "NARCAN4", 5, lot="B", expires_in_days=200)
    admin = program["users"]["admin"]
    body = {"site": "HUB", "supply": "NARCAN4", "quantity": 2, "reason": "found"}
    with pytest.raises(ValidationFailed) as refused:
        work.adjust(admin, _request(), body)
    assert "lot_number" in refused.value.fields
    work.adjust(admin, _request(), {**body, "lot_number": "B"})
    totals = {r["lot_number"]: r["quantity"] for r in on_hand.stock_rows(admin)}
    assert totals == {"A": 5, "B": 7}


def test_count_of_one_lot_changes_only_that_lot(make, program):
    make.receive("HUB", "NARCAN4", 5, lot="A", expires_in_days=100)
    make.receive("HUB", "NARCAN4", 5, lot="B", expires_in_days=200)
    admin = program["users"]["admin"]
    result = work.count(
        admin, _request(), {"site": "HUB", "supply": "NARCAN4", "counted": 3, "lot_number": "B"}
    )
    assert result.result["difference"] == -2
    totals = {r["lot_number"]: r["quantity"] for r in on_hand.stock_rows(admin)}
    assert totals == {"A": 5, "B": 3}


def test_staff_may_count_only_at_their_sites_and_never_receive(make, program):
    make.receive("VAN", "FTS", 5)
    staff = program["users"]["staff"]
    with pytest.raises(Forbidden):
        work.count(staff, _request(), {"site": "VAN", "supply": "FTS", "counted": 1})
    with pytest.raises(Forbidden):
        work.receive(staff, _request(), "HUB", [ReceiptLine("FTS", 1)])


def test_expired_stock_shows_as_expired(make, program):
    make.receive("HUB", "NARCAN4", 4, lot="OLD", expires_in_days=-1)
    rows = on_hand.stock_rows(program["users"]["admin"])
    assert rows[0]["expired"] is True and rows[0]["quantity"] == 4


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("97214", "972"),
        ("97214-1234", "972"),
        ("972", "972"),
        (" Alder County ", "Alder County"),
        ("", None),
    ],
)
def test_area_is_a_county_or_a_three_digit_zip(raw, stored):
    assert v.area(raw) == stored


@pytest.mark.parametrize("raw", ["12 Main St", "9721", "John Smith, 555-0100", 97214, "x" * 60])
def test_area_refuses_anything_else(raw):
    with pytest.raises(ValidationFailed):
        v.area(raw)


def test_occurred_at_rules():
    now = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert v.instant("2026-06-01T12:04:00Z", "UTC", now) == now + timedelta(minutes=4)
    with pytest.raises(ValidationFailed):
        v.instant("2026-06-01T12:06:00Z", "UTC", now)
    local = v.instant("2026-06-01T08:00:00", "America/New_York", now)
    assert local == datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
    with pytest.raises(ValidationFailed):
        v.instant("yesterday", "UTC", now)
