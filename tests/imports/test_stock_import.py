"""Importing starting stock: a good file lands in the ledger; every bad row is named."""

from datetime import date, timedelta

import pytest

from supplies.extensions import db
from supplies.models import Batch, ImportedFile, Movement
from supplies.services.imports import runner
from supplies.services.stock import on_hand as stock
from tests.imports.files import STOCK_HEADER, csv_file, xlsx

EXPIRES = date.today() + timedelta(days=500)
RECEIVED = date.today() - timedelta(days=200)


def on_hand(user) -> dict:
    """Units on hand per (site, supply), as the stock overview adds them up."""
    totals: dict = {}
    for row in stock.stock_rows(user):
        key = (row["site"], row["supply"])
        totals[key] = totals.get(key, 0) + row["quantity"]
    return totals


def good_rows():
    """A small real-looking stock sheet, by code and by name."""
    return [
        STOCK_HEADER,
        ["HUB", "NARCAN4", "L100", EXPIRES, "SOR", 24, RECEIVED],
        ["Site VAN", "Narcan 4 mg nasal spray", "L100", EXPIRES, "Funding SOR", 12, RECEIVED],
        ["VAN", "FTS", None, None, None, 500, None],
    ]


def test_a_good_file_is_previewed_then_imported(program, tmp_path):
    admin = program["users"]["coordinator"]
    path = xlsx(tmp_path / "stock.xlsx", good_rows())
    checked = runner.preview(admin, path, "stock.xlsx", "stock")
    assert checked.errors == [] and checked.ok
    summary = checked.summary()
    assert summary["units"] == 536
    assert {(r["site"], r["supply"], r["units"]) for r in summary["by_site_supply"]} == {
        ("HUB", "NARCAN4", 24),
        ("VAN", "NARCAN4", 12),
        ("VAN", "FTS", 500),
    }
    assert db.session.execute(db.select(Movement.id)).first() is None  # nothing written yet
    outcome = runner.apply(admin, checked)
    assert outcome.created
    totals = on_hand(admin)
    assert totals[("HUB", "NARCAN4")] == 24 and totals[("VAN", "FTS")] == 500
    lot = db.session.execute(db.select(Batch).where(Batch.lot_number == "L100")).scalars().first()
    assert lot.expires_on == EXPIRES and lot.funding_source.code == "SOR"
    assert lot.received_on == RECEIVED
    assert stock.check_ledger() == []
    record = db.session.execute(db.select(ImportedFile)).scalar_one()
    assert record.rows == 3 and record.kind == "stock" and record.user_id == admin.id


def test_the_same_file_twice_is_refused_unless_forced(program, tmp_path):
    admin = program["users"]["admin"]
    path = csv_file(tmp_path / "stock.csv", good_rows())
    runner.apply(admin, runner.preview(admin, path, "stock.csv", "stock"))
    again = runner.preview(admin, path, "copy.csv", "stock")
    assert not again.ok
    assert "already imported" in again.errors[0].message and again.errors[0].row is None
    forced = runner.preview(admin, path, "copy.csv", "stock", force=True)
    assert forced.ok
    runner.apply(admin, forced)
    assert on_hand(admin)[("VAN", "FTS")] == 1000
    copies = db.session.execute(db.select(ImportedFile.copy, ImportedFile.forced)).all()
    assert sorted(copies) == [(0, False), (1, True)]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (["NOPE", "FTS", None, None, None, 5, None], "A (site)", "no site has the code"),
        (["HUB", "GLOVES", None, None, None, 5, None], "B (supply)", "no supply has the code"),
        (["HUB", "FTS", None, None, "NOGRANT", 5, None], "E (funding)", "no funding source"),
        (["HUB", "FTS", None, None, None, -5, None], "F (quantity)", "negative"),
        (["HUB", "FTS", None, None, None, 2.5, None], "F (quantity)", "fraction"),
        (["HUB", "FTS", None, None, None, "lots", None], "F (quantity)", "whole number"),
        (["HUB", "FTS", None, None, None, None, None], "F (quantity)", "is required"),
        (["HUB", "NARCAN4", "L9", "soon", None, 5, None], "D (expires_on)", "is not a date"),
        (["HUB", "NARCAN4", None, EXPIRES, None, 5, None], "C (lot_number)", "tracks lots"),
        (["HUB", "NARCAN4", "L9", None, None, 5, None], "D (expires_on)", "tracks lots"),
        (["HUB", "FTS", None, None, None, 5, "2999-01-01"], "G (received_on)", "future"),
    ],
)
def test_every_kind_of_bad_row_is_named(program, tmp_path, row, column, reason):
    admin = program["users"]["admin"]
    rows = good_rows() + [row]
    checked = runner.preview(admin, xlsx(tmp_path / "bad.xlsx", rows), "bad.xlsx", "stock")
    assert not checked.ok
    assert [(e.row, e.column) for e in checked.errors] == [(5, column)]
    assert reason in checked.errors[0].message
    assert "row 5, column " + column in str(checked.errors[0])
    with pytest.raises(runner.ImportRefused):
        runner.apply(admin, checked)
    assert db.session.execute(db.select(Movement.id)).first() is None


def test_a_lot_with_two_expiry_dates_is_refused_in_the_file_and_against_the_books(
    program, make, tmp_path
):
    admin = program["users"]["admin"]
    make.receive("HUB", "NARCAN4", 5, lot="OLD1", expires_in_days=100)
    later = EXPIRES + timedelta(days=30)
    rows = [
        STOCK_HEADER,
        ["HUB", "NARCAN4", "L7", EXPIRES, None, 5, None],
        ["VAN", "NARCAN4", "L7", later, None, 5, None],
        ["VAN", "NARCAN4", "OLD1", later, None, 5, None],
    ]
    checked = runner.preview(admin, csv_file(tmp_path / "lots.csv", rows), "lots.csv", "stock")
    messages = {e.row: e.message for e in checked.errors}
    assert "two expiry dates" in messages[3] and "row 2" in messages[3]
    assert "already known with expiry" in messages[4]


def test_every_bad_row_is_listed_not_just_the_first(program, tmp_path):
    admin = program["users"]["admin"]
    rows = [STOCK_HEADER] + [["HUB", "FTS", None, None, None, -1, None]] * 50
    checked = runner.preview(admin, csv_file(tmp_path / "many.csv", rows), "m.csv", "stock")
    assert [e.row for e in checked.errors] == list(range(2, 52))


def test_staff_and_funders_cannot_import(program, tmp_path):
    path = csv_file(tmp_path / "stock.csv", good_rows())
    for role in ("staff", "funder"):
        with pytest.raises(runner.Forbidden):
            runner.preview(program["users"][role], path, "stock.csv", "stock")


def test_a_row_refused_while_writing_rolls_back_every_row(program, tmp_path, monkeypatch):
    admin = program["users"]["admin"]
    checked = runner.preview(admin, xlsx(tmp_path / "s.xlsx", good_rows()), "s.xlsx", "stock")
    # The site is deactivated between the preview and the confirmation.
    from supplies.models import Site
    from supplies.services.db.unit_of_work import transaction

    with transaction():
        db.session.execute(db.update(Site).where(Site.code == "VAN").values(active=False))
    with pytest.raises(runner.ImportRefused) as refused:
        runner.apply(admin, checked)
    assert {e.row for e in refused.value.errors} >= {3}
    assert db.session.execute(db.select(Movement.id)).first() is None
    assert db.session.execute(db.select(ImportedFile.id)).first() is None
