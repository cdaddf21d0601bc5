"""The benchmark's synthetic program: a ledger that balances, and the history it claims."""

from bench.generate import generate
from supplies.extensions import db
from supplies.models import Balance, DistributionEvent, DistributionLine, Movement
from supplies.services.stock import ledger_check, on_hand
from tests.conftest import make_app, removals_before_arrival


def test_a_generated_program_balances_and_holds_what_it_says(database):
    url, engine_options = database
    counts = generate(url, 6, 10, 1, 800, seed=3, engine_options=engine_options)
    app = make_app(database, create_schema=False)
    with app.app_context():
        assert on_hand.check_ledger() == []  # balances equal movements, and never below zero
        assert ledger_check.negative_in_time() == []
        assert db.session.execute(db.select(db.func.count(DistributionEvent.id))).scalar() == 800
        lines = db.session.execute(db.select(db.func.count(DistributionLine.id))).scalar()
        assert lines == counts["lines"] > 800
        kinds = dict(
            db.session.execute(
                db.select(Movement.kind, db.func.count(Movement.id)).group_by(Movement.kind)
            ).all()
        )
        assert set(kinds) == {"receive", "transfer_out", "transfer_in", "distribute"}
        assert kinds["transfer_in"] == kinds["transfer_out"]
        # every balance is what its movements add up to, and none is below zero
        negative = db.select(db.func.count(Balance.id)).where(Balance.quantity < 0)
        assert db.session.execute(negative).scalar() == 0
        db.session.remove()
        db.engine.dispose()


def test_a_dense_history_is_true_in_time(database):
    """Enough events a quarter that some fall in its first half hour, before the lot reached
    the sites (the generator once dated events there): none is before its lot arrived."""
    url, engine_options = database
    generate(url, 6, 10, 1, 10_000, seed=5, engine_options=engine_options)
    app = make_app(database, create_schema=False)
    with app.app_context():
        assert ledger_check.negative_in_time() == []
        assert removals_before_arrival() == 0
        db.session.remove()
        db.engine.dispose()
