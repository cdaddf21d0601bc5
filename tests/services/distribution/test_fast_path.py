"""The distribution write stays on DESIGN.md's fast path: few statements, one short write."""

import pytest
from sqlalchemy import event

from supplies.extensions import db
from supplies.services import catalog
from supplies.services.common import clock
from supplies.services.common.errors import Conflict
from supplies.services.stock import ledger
from tests.conftest import new_id


def _body(site="HUB"):
    return {
        "id": new_id(),
        "site": site,
        "items": [{"supply": "NARCAN4", "quantity": 1}, {"supply": "FTS", "quantity": 2}],
        "trained": True,
    }


def test_a_two_line_distribution_takes_few_statements_and_one_batch_of_updates(
    app, make, program, api
):
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 10, lot="A")
    make.receive("HUB", "FTS", 10, lot="B")
    token = program["tokens"]["staff"]
    assert api.post("/distributions", token, _body()).status_code == 201  # touches the token
    statements, full, checkouts = [], [], []

    def on_execute(_conn, _cursor, statement, _params, _context, _many):
        if not statement.startswith("BEGIN"):
            statements.append(" ".join(statement.split()[:3]))
            full.append(" ".join(statement.split()))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine.pool, "checkout", lambda *_: checkouts.append(1))
    try:
        assert api.post("/distributions", token, _body()).status_code == 201
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    reads = [s for s in statements if s.startswith("SELECT")]
    # the token, the staff member's sites, the site, the supplies; every line's batches at once
    assert len(reads) == 5
    assert sum(s.startswith("UPDATE balances") for s in statements) == 1
    tables = [
        "audit_entries",
        "distribution_events",
        "distribution_lines",
        "movements",
        "operations",
    ]
    if engine.dialect.name == "sqlite":
        inserts = sorted(s.split()[2] for s in statements if s.startswith("INSERT"))
        assert inserts == tables
        assert len(statements) == 11
        # SQLite ends the reads before BEGIN IMMEDIATE
        assert len(checkouts) == 2
    else:
        # PostgreSQL: every row in one statement of data-modifying CTEs, and the write goes
        # on in the reads' transaction, on the same connection
        together = [s for s in full if s.startswith("WITH")]
        assert len(together) == 1
        assert [t for t in tables if f"INSERT INTO {t} " in together[0]] == tables
        assert len(statements) == 7
        assert len(checkouts) == 1


@pytest.mark.parametrize(
    ("area", "area_reads"), [("97214", []), ("hill county", ["SELECT areas.name"])]
)
def test_an_area_costs_the_write_at_most_one_row(app, make, program, api, area, area_reads):
    """A ZIP prefix reads nothing; a county name reads its own row by key, never the list."""
    make.area("Hill", "OR")
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        make.area(f"{letter} Valley", "OR")
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 10, lot="A")
    token = program["tokens"]["staff"]
    assert api.post("/distributions", token, _body()).status_code == 201
    statements = []

    def on_execute(_conn, _cursor, statement, _params, _context, _many):
        statements.append(" ".join(statement.split()[:2]))

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        response = api.post("/distributions", token, dict(_body(), area=area))
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    assert response.status_code == 201
    assert [s for s in statements if "areas" in s] == area_reads


def test_a_balance_changed_between_plan_and_update_is_refused(ctx, make, program):
    make.receive("HUB", "NARCAN4", 3)
    site = catalog.site_by_code("HUB")
    supply = catalog.supply_by_code("NARCAN4")
    held = ledger.usable_first(site.id, {supply.id: 3}, clock.today())[supply.id]
    plan = ledger.allocate(held, 3)
    assert [portion for _, portion in plan] == [3]
    db.session.execute(db.text("UPDATE balances SET quantity = 1"))
    try:
        ledger.remove(plan)
    except Conflict as refused:
        assert "changed" in refused.message
    else:
        raise AssertionError("a removal below what was read went through")
    finally:
        db.session.rollback()
