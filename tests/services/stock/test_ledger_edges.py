"""The ledger at its edges: which lots are usable on a day, how few rows a distribution reads
and that it locks them, a removal that no longer fits its balance, and what each movement row
keeps for the funder's records."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from supplies.extensions import db
from supplies.models import Movement
from supplies.services import catalog
from supplies.services.db.operations import OperationRequest
from supplies.services.stock import counting, ledger, write_off
from tests.conftest import new_id

TODAY = date.today()


def _give(api, token, items, site="HUB"):
    body = {
        "id": new_id(),
        "site": site,
        "items": [{"supply": code, "quantity": quantity} for code, quantity in items],
    }
    return api.post("/distributions", token, body)


class _Reads:
    """The balances-with-batches reads a block of code runs, as executed."""

    def __init__(self):
        self.statements = []

    def __call__(self, conn, clauseelement, multiparams, params, execution_options):
        text = str(clauseelement)
        if "FROM balances JOIN batches" in text:
            self.statements.append((clauseelement, text))


@pytest.fixture
def reads(app):
    watcher = _Reads()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_execute", watcher)
    yield watcher
    event.remove(engine, "before_execute", watcher)


# --- which units a distribution reads, and locks ----------------------------------------


def test_a_distribution_from_a_site_with_many_lots_reads_only_the_first_few_of_each_supply(
    make, program, api, reads
):
    for number in range(ledger.FIRST_BATCHES + 2):
        make.receive("HUB", "NARCAN4", 1, lot=f"N{number}", expires_in_days=30 + number)
    make.receive("HUB", "FTS", 5)
    reads.statements.clear()
    response = _give(api, program["tokens"]["staff"], [("NARCAN4", 1), ("FTS", 1)])
    assert response.status_code == 201
    assert len(reads.statements) == 1  # the first few were enough: no second reading
    assert " LIMIT " in reads.statements[0][1]


def test_lots_that_just_cover_a_distribution_need_no_second_reading(make, program, api, reads):
    for number in range(ledger.FIRST_BATCHES):
        make.receive("HUB", "NARCAN4", 1, lot=f"N{number}", expires_in_days=30 + number)
    reads.statements.clear()
    response = _give(api, program["tokens"]["staff"], [("NARCAN4", ledger.FIRST_BATCHES)])
    assert response.status_code == 201
    assert len(response.get_json()["items"][0]["lots"]) == ledger.FIRST_BATCHES
    assert len(reads.statements) == 1


def test_a_distribution_of_two_supplies_reads_the_first_few_lots_of_each_at_once(
    make, program, api, reads
):
    """The first reading's limit grows with the lines: a second supply's lots are not
    crowded out by the first supply's many lots."""
    for number in range(ledger.FIRST_BATCHES + 2):
        make.receive("HUB", "NARCAN4", 1, lot=f"N{number}", expires_in_days=30 + number)
    make.receive("HUB", "FTS", 5)
    reads.statements.clear()
    response = _give(api, program["tokens"]["staff"], [("NARCAN4", 2), ("FTS", 2)])
    assert response.status_code == 201
    assert len(reads.statements) == 1


def test_a_distribution_locks_the_balances_it_reads_so_two_cannot_take_the_last_unit(
    make, program, api, reads
):
    for number in range(ledger.FIRST_BATCHES + 1):
        make.receive("HUB", "NARCAN4", 1, lot=f"N{number}", expires_in_days=30 + number)
    reads.statements.clear()
    # More than the first few lots hold: the first reading and the full one both lock.
    response = _give(api, program["tokens"]["staff"], [("NARCAN4", ledger.FIRST_BATCHES + 1)])
    assert response.status_code == 201
    assert len(reads.statements) == 2
    for statement, _text in reads.statements:
        assert statement._for_update_arg is not None


# --- usable lots, read for one supply ----------------------------------------------------


def test_units_usable_on_a_day_are_available_lots_unexpired_that_day(make, program):
    make.receive("HUB", "NARCAN4", 2, lot="TODAY", expires_in_days=0)
    make.receive("HUB", "NARCAN4", 3, lot="LATER", expires_in_days=90)
    make.receive("HUB", "NARCAN4", 4, lot="OLD", expires_in_days=-3)
    site, supply = catalog.site_by_code("HUB"), catalog.supply_by_code("NARCAN4")
    usable = ledger.holdings(site.id, supply.id, usable_on=TODAY)
    assert [(h.lot_number, h.quantity) for h in usable] == [("TODAY", 2), ("LATER", 3)]
    tomorrow = ledger.holdings(site.id, supply.id, usable_on=TODAY + timedelta(days=1))
    assert [h.lot_number for h in tomorrow] == ["LATER"]
    every = ledger.holdings(site.id, supply.id)
    assert [h.lot_number for h in every] == ["OLD", "TODAY", "LATER"]
    one_lot = ledger.holdings(site.id, supply.id, lot_number="LATER")
    assert [(h.lot_number, h.quantity) for h in one_lot] == [("LATER", 3)]


# --- a removal that no longer fits --------------------------------------------------------


def test_a_removal_larger_than_the_balance_it_read_is_refused_and_leaves_the_balance(make, program):
    make.receive("HUB", "NARCAN4", 3)
    site, supply = catalog.site_by_code("HUB"), catalog.supply_by_code("NARCAN4")
    (holding,) = ledger.holdings(site.id, supply.id)
    with pytest.raises(ledger.StockChanged) as changed:
        ledger.remove([(holding, 4)])
    assert changed.value.message == "The stock changed while this was being recorded. Try again."
    db.session.rollback()
    assert [h.quantity for h in ledger.holdings(site.id, supply.id)] == [3]


def test_a_shortfall_says_how_many_usable_units_there_are(make, program):
    make.receive("HUB", "NARCAN4", 3)
    site, supply = catalog.site_by_code("HUB"), catalog.supply_by_code("NARCAN4")
    with pytest.raises(ledger.Shortfall) as short:
        ledger.allocate(ledger.holdings(site.id, supply.id), 4)
    assert short.value.available == 3
    assert str(short.value) == "3"


def test_writing_off_expired_stock_lists_each_lot_with_its_expiry(make, program):
    make.receive("HUB", "NARCAN4", 2, lot="OLD", expires_in_days=-3)
    make.receive("HUB", "NARCAN4", 5, lot="GOOD", expires_in_days=90)
    request = OperationRequest.new(new_id(), {"write_off": "HUB"})
    outcome = write_off.write_off_expired(program["users"]["admin"], request, "HUB")
    assert outcome.result["lines"] == [
        {
            "supply": "NARCAN4",
            "lot_number": "OLD",
            "expires_on": (TODAY - timedelta(days=3)).isoformat(),
            "quantity": 2,
        }
    ]


# --- what each movement row keeps ---------------------------------------------------------


def test_a_write_off_row_keeps_its_reason_note_and_who_recorded_it(make, program, api):
    make.receive("HUB", "NARCAN4", 5)
    operation_id = new_id()
    body = {
        "id": operation_id,
        "site": "HUB",
        "supply": "NARCAN4",
        "quantity": -2,
        "reason": "other",
        "note": "dropped in the rain",
    }
    assert api.post("/adjustments", program["tokens"]["coordinator"], body).status_code == 201
    (row,) = db.session.execute(
        db.select(Movement).where(Movement.operation_id == operation_id)
    ).scalars()
    assert (row.kind, row.quantity, row.reason, row.note) == (
        "adjust",
        -2,
        "other",
        "dropped in the rain",
    )
    assert row.user_id == program["users"]["coordinator"].id
    assert row.recorded_at is not None


def test_a_transfer_locks_the_balances_of_both_sites_it_reads(make, program, api, reads):
    make.receive("VAN", "NARCAN4", 5)
    reads.statements.clear()
    body = {"id": new_id(), "from_site": "VAN", "to_site": "HUB", "supply": "NARCAN4"}
    response = api.post("/transfers", program["tokens"]["admin"], {**body, "quantity": 2})
    assert response.status_code == 201
    assert len(reads.statements) == 2  # the receiving site's rows, then the giving site's
    for statement, _text in reads.statements:
        assert statement._for_update_arg is not None


def test_a_back_dated_write_off_locks_the_balances_it_reads(make, program, api, reads):
    make.receive("HUB", "NARCAN4", 5, days_ago=10)
    assert _give(api, program["tokens"]["staff"], [("NARCAN4", 1)]).status_code == 201
    reads.statements.clear()
    write_off = {
        "id": new_id(),
        "site": "HUB",
        "supply": "NARCAN4",
        "quantity": -1,
        "reason": "damaged",
        "occurred_at": f"{(TODAY - timedelta(days=5)).isoformat()}T12:00:00+00:00",
    }
    assert api.post("/adjustments", program["tokens"]["admin"], write_off).status_code == 201
    assert len(reads.statements) >= 2  # the rows now, then again with their history
    for statement, _text in reads.statements:
        assert statement._for_update_arg is not None


def test_opening_the_count_sheet_locks_no_stock_so_it_never_holds_up_a_distribution(
    make, program, reads
):
    make.receive("HUB", "NARCAN4", 5)
    reads.statements.clear()
    site, lines = counting.count_sheet(program["users"]["admin"], "HUB")
    assert [(line.supply, line.expected) for line in lines if line.supply == "NARCAN4"] == [
        ("NARCAN4", 5)
    ]
    assert reads.statements
    for statement, _text in reads.statements:
        assert statement._for_update_arg is None
