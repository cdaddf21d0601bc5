"""check-ledger in business time: a history whose running balance dips below zero is named.

The violating histories are written as rows, as an old database or a bulk load could hold
them (the services refuse to write them): a movement dated before its lot arrived, or more
taken than the site held, with the balance table kept equal to the sum of the movements.
"""

import uuid
from datetime import timedelta

from supplies.extensions import db
from supplies.models import Balance, Batch, Movement, Operation
from supplies.services.common import clock
from supplies.services.stock import ledger_check, on_hand


def _write(site, supply, batch_id, kind, quantity, occurred_at, balance=True):
    """A movement and its operation, written directly; its balance kept equal to the ledger
    unless told not to."""
    operation_id = str(uuid.uuid4())
    db.session.add(
        Operation(id=operation_id, kind="adjustment", fingerprint="test", result={"rows": True})
    )
    movement = Movement(
        kind=kind,
        site_id=site.id,
        supply_id=supply.id,
        batch_id=batch_id,
        quantity=quantity,
        occurred_at=occurred_at,
        operation_id=operation_id,
    )
    db.session.add(movement)
    if not balance:
        db.session.commit()
        return movement
    db.session.execute(
        db.update(Balance)
        .where(Balance.site_id == site.id, Balance.batch_id == batch_id)
        .values(quantity=Balance.quantity + quantity)
    )
    db.session.commit()
    return movement


def _lot(supply, lot_number):
    return db.session.execute(
        db.select(Batch.id).where(Batch.supply_id == supply.id, Batch.lot_number == lot_number)
    ).scalar_one()


def _received_at(batch_id):
    return db.session.execute(
        db.select(Movement.occurred_at).where(
            Movement.batch_id == batch_id, Movement.kind == "receive"
        )
    ).scalar_one()


def _distribution_before_its_lot_arrived(make):
    """HUB receives 10 of lot L-LATE now; 4 were handed out from it 30 days earlier."""
    hub = make.site("HUB")
    narcan = make.supply("NARCAN4")
    make.receive("HUB", "NARCAN4", 10, lot="L-LATE")
    batch_id = _lot(narcan, "L-LATE")
    arrived = _received_at(batch_id)
    early = arrived - timedelta(days=30)
    dip = _write(hub, narcan, batch_id, "distribute", -4, early)
    return hub, narcan, batch_id, arrived, early, dip


def test_a_clean_history_passes_both_checks(app, make):
    make.site("HUB")
    make.site("VAN", "mobile_van")
    make.supply("NARCAN4")
    make.receive("HUB", "NARCAN4", 10, lot="L1")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 0, result.output
    assert "no running balance goes below zero" in result.output
    report = runner.invoke(args=["check-ledger", "--repair-report"])
    assert report.exit_code == 0, report.output
    assert "No violations" in report.output
    assert ledger_check.negative_in_time() == [] and ledger_check.repair_report() == []


def test_a_distribution_dated_before_its_lot_arrived_is_named(app, make):
    hub, narcan, batch_id, arrived, early, dip = _distribution_before_its_lot_arrived(make)
    # The balance still equals the sum of the movements (10 - 4): only time is wrong.
    assert db.session.execute(db.select(Balance.quantity)).scalar_one() == 6
    problems = on_hand.check_ledger()
    assert len(problems) == 1
    (negative,) = problems
    assert isinstance(negative, ledger_check.NegativeInTime)
    assert (negative.site, negative.supply, negative.lot_number) == ("HUB", "NARCAN4", "L-LATE")
    assert negative.occurred_at == early.replace(tzinfo=None) or negative.occurred_at == early
    assert (negative.movement_id, negative.kind, negative.balance) == (dip.id, "distribute", -4)
    assert (negative.lowest, negative.dips) == (-4, 1)

    result = app.test_cli_runner().invoke(args=["check-ledger"])
    assert result.exit_code == 1
    assert "BELOW ZERO site=HUB supply=NARCAN4 lot=L-LATE" in result.output
    assert f"at={ledger_check.when(early)} balance=-4" in result.output
    assert "--repair-report" in result.output
    assert "MISMATCH" not in result.output


def test_the_repair_report_lists_the_violation_and_changes_nothing(app, make):
    hub, narcan, batch_id, arrived, early, dip = _distribution_before_its_lot_arrived(make)
    # A second dip on the same lot, and a clean lot beside it.
    second = _write(hub, narcan, batch_id, "distribute", -2, early + timedelta(days=1))
    make.receive("HUB", "NARCAN4", 5, lot="L-FINE")
    counts = {
        model: db.session.execute(db.select(db.func.count()).select_from(model)).scalar()
        for model in (Movement, Balance, Batch, Operation)
    }
    (violation,) = ledger_check.repair_report()
    assert violation.negative.lowest == -6 and violation.negative.dips == 2
    assert [m.movement_id for m in violation.below] == [dip.id, second.id]
    assert [m.balance for m in violation.below] == [-4, -6]
    assert [(a.kind, a.quantity) for a in violation.arrivals] == [("receive", 10)]
    assert "+6" in violation.suggestion and "-6" in violation.suggestion
    assert "void those distributions" in violation.suggestion

    result = app.test_cli_runner().invoke(args=["check-ledger", "--repair-report"])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "1. HUB (Site HUB), NARCAN4 (Supply NARCAN4), lot L-LATE" in out
    assert f"first below zero: {ledger_check.when(early)}, balance -4" in out
    assert "lowest balance: -6; 2 movement(s) leave it below zero" in out
    assert f"arrived: {ledger_check.when(arrived)} receive +10" in out
    assert f"movement {dip.id}" in out and f"movement {second.id}" in out
    assert "suggested fix:" in out and "data_correction" in out
    assert "L-FINE" not in out
    assert "1 lot(s) at a site below zero" in out and "Nothing was changed." in out
    db.session.rollback()
    after = {
        model: db.session.execute(db.select(db.func.count()).select_from(model)).scalar()
        for model in (Movement, Balance, Batch, Operation)
    }
    assert after == counts
    assert db.session.get(Balance, 1).quantity == 4  # 10 - 4 - 2, untouched


def test_more_taken_than_held_is_named_at_its_first_moment(app, make):
    hub = make.site("HUB")
    strips = make.supply("FTS", category="fentanyl_test_strip")
    make.receive("HUB", "FTS", 10)
    batch_id = db.session.execute(db.select(Batch.id)).scalar_one()
    arrived = _received_at(batch_id)
    # A late correction (written first, so the balance table's CHECK holds) brings the
    # balance back above zero; before it, 15 went out in two steps: -5 between them.
    _write(hub, strips, batch_id, "adjust", 9, arrived + timedelta(hours=3))
    _write(hub, strips, batch_id, "distribute", -8, arrived + timedelta(hours=1))
    first = _write(hub, strips, batch_id, "distribute", -7, arrived + timedelta(hours=2))
    assert db.session.execute(db.select(Balance.quantity)).scalar_one() == 4
    (negative,) = on_hand.check_ledger()
    assert (negative.movement_id, negative.balance, negative.lowest) == (first.id, -5, -5)
    (violation,) = ledger_check.repair_report()
    assert "gave out or moved more" in violation.suggestion
    assert app.test_cli_runner().invoke(args=["check-ledger"]).exit_code == 1


def test_movements_at_the_same_instant_run_in_id_order(app, make):
    """A removal written after a receipt at the same instant comes after it: no dip."""
    hub = make.site("HUB")
    strips = make.supply("FTS", category="fentanyl_test_strip")
    make.receive("HUB", "FTS", 10)
    batch_id = db.session.execute(db.select(Batch.id)).scalar_one()
    arrived = _received_at(batch_id)
    _write(hub, strips, batch_id, "distribute", -10, arrived)
    assert on_hand.check_ledger() == []
    # A removal that really comes first (an earlier instant) dips.
    _write(hub, strips, batch_id, "adjust", 3, arrived)
    _write(hub, strips, batch_id, "distribute", -3, arrived - timedelta(seconds=1))
    (negative,) = on_hand.check_ledger()
    assert negative.balance == -3


def test_a_balance_mismatch_and_a_dip_are_both_reported(app, make):
    _distribution_before_its_lot_arrived(make)
    db.session.execute(db.update(Balance).values(quantity=Balance.quantity + 1))
    db.session.commit()
    kinds = sorted(type(problem).__name__ for problem in on_hand.check_ledger())
    assert kinds == ["LedgerMismatch", "NegativeInTime"]
    result = app.test_cli_runner().invoke(args=["check-ledger"])
    assert result.exit_code == 1
    assert "MISMATCH site=HUB" in result.output and "BELOW ZERO site=HUB" in result.output
    report = app.test_cli_runner().invoke(args=["check-ledger", "--repair-report"])
    assert report.exit_code == 1
    assert "MISMATCH site=HUB" in report.output and "1 balance mismatch(es)" in report.output


def test_a_lot_that_never_arrived_at_the_site(app, make):
    make.site("HUB")
    van = make.site("VAN", "mobile_van")
    narcan = make.supply("NARCAN4")
    make.receive("HUB", "NARCAN4", 10, lot="L1")
    batch_id = _lot(narcan, "L1")
    # No balance row: the CHECK keeps balances at zero or above, the ledger says -1.
    _write(van, narcan, batch_id, "distribute", -1, clock.now() - timedelta(days=1), False)
    (violation,) = ledger_check.repair_report()
    assert violation.arrivals == [] and violation.negative.site == "VAN"
    assert "Nothing ever brought lot L1 to VAN" in violation.suggestion
    report = app.test_cli_runner().invoke(args=["check-ledger", "--repair-report"])
    assert "arrived: never" in report.output and report.exit_code == 1
