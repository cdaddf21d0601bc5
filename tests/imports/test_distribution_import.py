"""Importing past distributions: events grouped, fields checked, stock never negative."""

from datetime import date, datetime, timedelta

import pytest

from supplies.extensions import db
from supplies.models import DistributionEvent, DistributionLine, Movement
from supplies.services.distribution import quarters
from supplies.services.imports import runner
from supplies.services.stock import on_hand
from tests.imports.files import DISTRIBUTION_HEADER, csv_file, xlsx

DAY = date.today() - timedelta(days=60)
HEADER = DISTRIBUTION_HEADER + ["event", "Age Band", "area", "trained", "for others"]


@pytest.fixture
def stocked(program, receive_on):
    """HUB received 20 Narcan and 100 test strips a year ago; VAN 10 Narcan."""
    receive_on("HUB", "NARCAN4", 20)
    receive_on("HUB", "FTS", 100)
    receive_on("VAN", "NARCAN4", 10, lot="LV")
    return program


def test_rows_sharing_date_site_and_event_form_one_event(stocked, make, tmp_path):
    make.area("Alder County", "OR")
    coordinator = stocked["users"]["coordinator"]
    rows = [
        HEADER,
        [DAY, "HUB", "NARCAN4", 2, "v1", "25-34", "97201", "yes", "no"],
        [DAY, "HUB", "FTS", 10, "v1", None, None, None, None],
        [DAY, "HUB", "NARCAN4", 1, "v2", "65+", "Alder County", "no", "yes"],
        [DAY + timedelta(days=1), "VAN", "NARCAN4", 3, "v1", None, None, None, None],
    ]
    path = xlsx(tmp_path / "history.xlsx", rows)
    checked = runner.preview(coordinator, path, "history.xlsx", "distributions")
    assert checked.errors == []
    summary = checked.summary()
    assert summary["events"] == 3 and summary["units"] == 16
    assert db.session.execute(db.select(DistributionEvent.id)).first() is None
    runner.apply(coordinator, checked)
    events = db.session.execute(db.select(DistributionEvent)).scalars().all()
    assert len(events) == 3
    first = next(e for e in events if e.age_band == "25_34")
    assert first.area == "972"  # a full ZIP is cut to 3 digits
    assert first.trained is True and first.for_others is False
    assert first.setting == "fixed_site"
    assert sorted(line.quantity for line in first.lines) == [2, 10]
    assert first.occurred_at.date() == DAY
    assert {e.age_band for e in events} == {"25_34", "65_plus", None}
    assert on_hand.check_ledger() == []
    lines = db.session.execute(db.select(DistributionLine.quantity)).scalars().all()
    assert sum(lines) == 16


def test_without_an_event_column_each_row_is_one_event(stocked, tmp_path):
    admin = stocked["users"]["admin"]
    rows = [DISTRIBUTION_HEADER] + [[DAY.isoformat(), "HUB", "FTS", 1]] * 5
    path = csv_file(tmp_path / "d.csv", rows, "utf-8-sig")
    checked = runner.preview(admin, path, "d.csv", "distributions")
    assert checked.summary()["events"] == 5
    runner.apply(admin, checked)
    assert len(db.session.execute(db.select(DistributionEvent.id)).all()) == 5


def test_dates_with_times_as_text_and_as_serial_numbers(stocked, tmp_path):
    admin = stocked["users"]["admin"]
    serial = (DAY - date(1899, 12, 30)).days
    rows = [
        DISTRIBUTION_HEADER,
        [DAY.strftime("%m/%d/%Y") + " 2:30 PM", "HUB", "FTS", 1],
        [serial, "HUB", "FTS", 1],
        [datetime.combine(DAY, datetime.min.time()).replace(hour=9), "HUB", "FTS", 1],
    ]
    checked = runner.preview(admin, xlsx(tmp_path / "t.xlsx", rows), "t.xlsx", "distributions")
    assert checked.errors == []
    runner.apply(admin, checked)
    hours = sorted(
        e.occurred_at.hour for e in db.session.execute(db.select(DistributionEvent)).scalars()
    )
    assert hours == [0, 9, 14]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (["someday", "HUB", "FTS", 1], "A (date)", "is not a date"),
        (["2999-01-01", "HUB", "FTS", 1], "A (date)", "future"),
        (["1999-12-31", "HUB", "FTS", 1], "A (date)", "before 2000"),
        ([DAY, "ATTIC", "FTS", 1], "B (site)", "no site"),
        ([DAY, "HUB", "CANDY", 1], "C (supply)", "no supply"),
        ([DAY, "HUB", "FTS", -1], "D (quantity)", "negative"),
        ([DAY, "HUB", "FTS", 1.5], "D (quantity)", "fraction"),
        ([DAY, "HUB", "FTS", 101], "D (quantity)", "stock would go negative"),
        ([DAY, "HUB", "FTS", 1, "x", "teen"], "F (age_band)", "must be one of"),
        ([DAY, "HUB", "FTS", 1, "x", None, "97201-1234x"], "G (area)", "ZIP code"),
        ([DAY, "HUB", "FTS", 1, "x", None, None, "maybe"], "H (trained)", "yes or no"),
    ],
)
def test_every_kind_of_bad_distribution_row_is_named(stocked, tmp_path, row, column, reason):
    admin = stocked["users"]["admin"]
    header = DISTRIBUTION_HEADER + ["event", "age_band", "area", "trained"]
    rows = [header, [DAY, "HUB", "NARCAN4", 1], row]
    path = xlsx(tmp_path / "bad.xlsx", rows)
    checked = runner.preview(admin, path, "bad.xlsx", "distributions")
    assert [(e.row, e.column) for e in checked.errors] == [(3, column)], checked.errors
    assert reason in checked.errors[0].message
    with pytest.raises(runner.ImportRefused):
        runner.apply(admin, checked)
    assert db.session.execute(db.select(DistributionEvent.id)).first() is None


def test_stock_running_out_over_the_year_names_the_row_where_it_does(stocked, tmp_path):
    admin = stocked["users"]["admin"]
    rows = [DISTRIBUTION_HEADER] + [
        [DAY + timedelta(days=n), "VAN", "NARCAN4", 3] for n in range(5)
    ]
    checked = runner.preview(admin, csv_file(tmp_path / "v.csv", rows), "v.csv", "distributions")
    # 10 on hand: rows 2-4 take 9, rows 5 and 6 would each go negative.
    assert [e.row for e in checked.errors] == [5, 6]
    assert "only 1 NARCAN4 usable at VAN" in checked.errors[0].message


def test_identifying_columns_refuse_the_file_and_nothing_is_stored(stocked, tmp_path):
    admin = stocked["users"]["admin"]
    rows = [DISTRIBUTION_HEADER + ["Client Name", "DOB"], [DAY, "HUB", "FTS", 1, "Jo Doe", DAY]]
    checked = runner.preview(admin, xlsx(tmp_path / "p.xlsx", rows), "p.xlsx", "distributions")
    assert not checked.ok and checked.plan == []
    assert "Client Name, DOB" in checked.errors[0].message
    assert "Jo Doe" not in str(checked.errors) and "Jo Doe" not in str(checked.summary())


def test_event_fields_that_disagree_within_an_event_are_refused(stocked, tmp_path):
    admin = stocked["users"]["admin"]
    header = DISTRIBUTION_HEADER + ["event", "age_band"]
    rows = [header, [DAY, "HUB", "FTS", 1, "a", "18_24"], [DAY, "HUB", "NARCAN4", 1, "a", "25_34"]]
    rows += [[DAY, "HUB", "FTS", 2, "a", None]]
    checked = runner.preview(admin, xlsx(tmp_path / "e.xlsx", rows), "e.xlsx", "distributions")
    assert [(e.row, e.column) for e in checked.errors] == [(3, "F (age_band)"), (4, "C (supply)")]
    assert "differs from row 2" in checked.errors[0].message
    assert "listed twice" in checked.errors[1].message


def test_expired_lots_are_not_used_for_later_dates(program, receive_on, tmp_path):
    admin = program["users"]["admin"]
    receive_on("HUB", "NARCAN4", 5, lot="SHORT", expires_in_days=-10)
    rows = [DISTRIBUTION_HEADER, [date.today() - timedelta(days=30), "HUB", "NARCAN4", 5]]
    rows += [[date.today() - timedelta(days=1), "HUB", "NARCAN4", 1]]
    path = csv_file(tmp_path / "x.csv", rows)
    checked = runner.preview(admin, path, "x.csv", "distributions")
    assert [e.row for e in checked.errors] == [3]
    assert (
        db.session.execute(db.select(Movement.id).where(Movement.kind == "distribute")).first()
        is None
    )


def test_stock_cannot_be_distributed_before_it_was_received(program, receive_on, tmp_path):
    admin = program["users"]["admin"]
    receive_on("HUB", "FTS", 10, days_ago=30)
    rows = [DISTRIBUTION_HEADER, [date.today() - timedelta(days=40), "HUB", "FTS", 2]]
    rows += [[date.today() - timedelta(days=20), "HUB", "FTS", 2]]
    path = csv_file(tmp_path / "early.csv", rows)
    checked = runner.preview(admin, path, "early.csv", "distributions")
    assert [e.row for e in checked.errors] == [2]
    assert "had only 0 FTS received by" in checked.errors[0].message


def test_a_back_dated_row_may_not_empty_a_later_day_of_the_ledger(program, receive_on, tmp_path):
    admin = program["users"]["admin"]
    receive_on("HUB", "FTS", 10, days_ago=30)
    # Yesterday, 8 of the 10 strips were handed out through the app.
    later = [DISTRIBUTION_HEADER, [date.today() - timedelta(days=1), "HUB", "FTS", 8]]
    runner.apply(
        admin, runner.preview(admin, csv_file(tmp_path / "a.csv", later), "a", "distributions")
    )
    rows = [DISTRIBUTION_HEADER, [date.today() - timedelta(days=10), "HUB", "FTS", 2]]
    rows += [[date.today() - timedelta(days=9), "HUB", "FTS", 1]]
    checked = runner.preview(admin, csv_file(tmp_path / "b.csv", rows), "b", "distributions")
    assert [e.row for e in checked.errors] == [3]
    assert on_hand.check_ledger() == []


def test_rows_in_a_closed_quarter_are_named_before_anything_is_written(stocked, tmp_path, app):
    app.config["REPORTING_CLOSE_DAYS"] = 15
    admin = stocked["users"]["admin"]
    old_day = date.today() - timedelta(days=300)
    rows = [DISTRIBUTION_HEADER, [old_day.isoformat(), "HUB", "FTS", 1], [DAY, "HUB", "FTS", 1]]
    path = csv_file(tmp_path / "old.csv", rows)
    checked = runner.preview(admin, path, "old.csv", "distributions")
    quarter = quarters.quarter_of(old_day)  # checked on its own in test_quarters.py
    assert [str(error) for error in checked.errors] == [
        f"row 2, column A (date): is in {quarter.label}, closed on "
        f"{quarters.closes_on(quarter).isoformat()}: an admin must reopen the quarter before "
        "history is entered there"
    ]
    assert db.session.execute(db.select(DistributionEvent.id)).first() is None


def test_an_area_must_be_on_the_list_or_a_zip(stocked, make, tmp_path):
    make.area("Doña Ana County", "NM")
    admin = stocked["users"]["admin"]
    header = DISTRIBUTION_HEADER + ["event", "area"]
    rows = [
        header,
        [DAY, "HUB", "FTS", 1, "a", "DONA ANA"],
        [DAY, "HUB", "FTS", 1, "b", "John Smith"],
        [DAY, "HUB", "FTS", 1, "c", "Apt B Elm St"],
        [DAY, "HUB", "FTS", 1, "d", 2134],
    ]
    path = xlsx(tmp_path / "areas.xlsx", rows)
    checked = runner.preview(admin, path, "areas.xlsx", "distributions")
    assert [(e.row, e.column) for e in checked.errors] == [(3, "F (area)"), (4, "F (area)")]
    assert "Doña Ana County" in checked.errors[0].message  # the list is offered
    assert "John Smith" not in checked.errors[0].message
    rows = [header, rows[1], rows[4]]
    path = xlsx(tmp_path / "areas-ok.xlsx", rows)
    checked = runner.preview(admin, path, "areas-ok.xlsx", "distributions")
    assert checked.errors == []
    runner.apply(admin, checked)
    stored = db.session.execute(db.select(DistributionEvent.area)).scalars().all()
    assert sorted(stored) == ["021", "Doña Ana County"]
