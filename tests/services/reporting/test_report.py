"""The funder report's numbers on a known ledger, the inventory identity and suppression."""

from datetime import date

import pytest

from supplies.services.reporting import report as reporting
from supplies.services.reporting.suppression import shown_as, suppress_group, suppress_quarter
from supplies.services.stock import on_hand as stock
from tests.conftest import make_app
from tests.reports import dataset


@pytest.fixture
def app(database, tmp_path):
    """The app in New York time, suppression off so every count can be checked."""
    application = make_app(
        database,
        APP_TIMEZONE="America/New_York",
        SUPPRESS_BELOW=0,
        EXPORT_DIR=str(tmp_path / "exports"),
        PROGRAM_NAME="Alder Harm Reduction",
        # The known ledger ends on April 2: the first quarter has closed by then.
        REPORTING_CLOSE_DAYS=1,
    )
    yield application
    from supplies.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def q1(make, monkeypatch):
    """The known ledger and the report for January to March 2026."""
    dataset.build(make, monkeypatch)
    return reporting.funder_report(reporting.make_filters("2026-01-01", "2026-03-31"))


def _by(rows, *keys):
    return {tuple(row[k] for k in keys): row for row in rows}


def test_summary_units_doses_and_encounters(q1):
    rows = _by(q1.summary, "supply")
    assert rows[("NARCAN4",)]["units"] == 7
    assert rows[("NARCAN4",)]["doses"] == 14
    assert rows[("NARCAN4",)]["encounters"] == 2
    assert rows[("FTS",)]["units"] == 60
    assert rows[("FTS",)]["doses"] == 0
    assert rows[("FTS",)]["encounters"] == 2


def test_by_month_counts_in_program_time_with_zero_rows(q1):
    units = {(r["month"], r["supply"]): r["units"] for r in q1.by_month}
    assert units == {
        (date(2026, 1, 1), "FTS"): 50,
        (date(2026, 1, 1), "NARCAN4"): 3,
        (date(2026, 2, 1), "FTS"): 0,
        (date(2026, 2, 1), "NARCAN4"): 4,
        (date(2026, 3, 1), "FTS"): 10,
        (date(2026, 3, 1), "NARCAN4"): 0,
    }
    assert [c["naloxone_nasal"] for c in q1.chart] == [3, 4, 0]
    assert [c["fentanyl_test_strip"] for c in q1.chart] == [50, 0, 10]


def test_by_site_keeps_sites_that_gave_nothing(q1):
    units = {(r["site"], r["supply"]): (r["units"], r["doses"]) for r in q1.by_site}
    assert units == {
        ("HUB", "FTS"): (60, 0),
        ("HUB", "NARCAN4"): (3, 6),
        ("VAN", "FTS"): (0, 0),
        ("VAN", "NARCAN4"): (4, 8),
    }


def test_inventory_reconciles_to_the_unit(q1):
    rows = _by(q1.inventory, "site", "supply")
    columns = (
        "opening",
        "received",
        "transferred_in",
        "transferred_out",
        "distributed",
        "adjusted",
        "closing",
    )
    assert tuple(rows[("HUB", "NARCAN4")][c] for c in columns) == (95, 0, 0, 20, 3, -2, 70)
    assert tuple(rows[("HUB", "FTS")][c] for c in columns) == (500, 0, 0, 0, 60, -10, 430)
    assert tuple(rows[("VAN", "NARCAN4")][c] for c in columns) == (0, 40, 20, 0, 4, 0, 56)
    assert tuple(rows[("VAN", "FTS")][c] for c in columns) == (0, 0, 0, 0, 0, 0, 0)
    for row in q1.inventory:
        assert (
            row["opening"]
            + row["received"]
            + row["transferred_in"]
            - row["transferred_out"]
            - row["distributed"]
            + row["adjusted"]
            == row["closing"]
        )


def test_reversals_and_training_per_quarter_over_the_whole_program(q1):
    assert q1.reversals == [
        {"quarter": "2026-Q1", "reversals": 3, "trained": 2, "partner_encounters": 0}
    ]


def test_recipients_breakdowns_add_up_to_the_encounters(q1):
    assert {r["quarter"] for r in q1.recipients} == {"2026-Q1"}
    rows = {(r["breakdown"], r["value"]): r["encounters"] for r in q1.recipients}
    assert rows[("recipient_type", "person_who_uses_drugs")] == 1
    assert rows[("recipient_type", "friend_or_family")] == 1
    assert rows[("recipient_type", "not recorded")] == 1
    assert rows[("recipient_type", "unknown")] == 0
    assert rows[("area", "Alder County")] == 1
    assert rows[("area", "not recorded")] == 2
    assert rows[("language", "es")] == 1
    assert rows[("setting", "fixed_site")] == 2
    assert rows[("setting", "mobile_van")] == 1
    assert rows[("trained", "true")] == 2
    assert rows[("resupply_reason", "not recorded")] == 3
    for name in ("recipient_type", "age_band", "first_time", "for_others", "area", "language"):
        assert sum(n for (b, _), n in rows.items() if b == name) == 3


def test_expiring_lots_at_the_end_of_the_period(q1):
    lots = [
        (r["site"], r["supply"], r["lot"], r["expires_on"], r["quantity"], r["funding"])
        for r in q1.expiring
    ]
    assert lots == [
        ("HUB", "NARCAN4", "A", date(2026, 6, 30), 70, "SOR"),
        ("VAN", "NARCAN4", "A", date(2026, 6, 30), 16, "SOR"),
    ]


def test_funding_filter_counts_only_that_sources_batches(make, monkeypatch):
    dataset.build(make, monkeypatch)
    report = reporting.funder_report(
        reporting.make_filters("2026-01-01", "2026-03-31", funding_code="SOR")
    )
    assert _by(report.summary, "supply")[("NARCAN4",)]["units"] == 7
    assert _by(report.summary, "supply")[("FTS",)]["units"] == 0
    # Counts of people are never filtered: the whole program's quarter, Summary's empty.
    assert _by(report.summary, "supply")[("NARCAN4",)]["encounters"] is None
    assert report.people.encounters_reason == "filtered"
    van = _by(report.inventory, "site", "supply")[("VAN", "NARCAN4")]
    assert (van["received"], van["transferred_in"], van["distributed"], van["closing"]) == (
        0,
        20,
        4,
        16,
    )
    whole = reporting.funder_report(reporting.make_filters("2026-01-01", "2026-03-31"))
    assert report.reversals == whole.reversals and report.recipients == whole.recipients


def test_site_filter(make, monkeypatch):
    dataset.build(make, monkeypatch)
    report = reporting.funder_report(reporting.make_filters("2026-01-01", "2026-03-31", ["VAN"]))
    assert {r["site"] for r in report.by_site} == {"VAN"}
    assert {r["site"] for r in report.inventory} == {"VAN"}
    assert _by(report.summary, "supply")[("NARCAN4",)]["units"] == 4


def test_period_boundaries_are_program_days(make, monkeypatch):
    dataset.build(make, monkeypatch)
    january = reporting.funder_report(reporting.make_filters("2026-01-01", "2026-01-31"))
    assert _by(january.summary, "supply")[("FTS",)]["units"] == 50
    one_day = reporting.funder_report(reporting.make_filters("2026-03-31", "2026-03-31"))
    assert _by(one_day.summary, "supply")[("FTS",)]["units"] == 10
    april = reporting.funder_report(reporting.make_filters("2026-04-01", "2026-04-01"))
    assert _by(april.summary, "supply")[("NARCAN4",)]["units"] == 1
    february_first = reporting.funder_report(reporting.make_filters("2026-02-01", "2026-02-01"))
    assert _by(february_first.summary, "supply")[("FTS",)]["units"] == 0


def test_months_follow_the_program_clock_across_daylight_saving(make, monkeypatch):
    make.site("HUB")
    make.supply("FTS", category="fentanyl_test_strip")
    ledger = dataset.Ledger(monkeypatch, make.admin)
    ledger.receive("2026-10-01T09:00", "HUB", "FTS", 100)
    # Daylight saving time ends at 02:00 on November 1, 2026 in New York.
    ledger.distribute("2026-10-31T23:30", "HUB", {"FTS": 1})  # 03:30 UTC on November 1
    ledger.distribute("2026-11-01T00:30", "HUB", {"FTS": 2})
    ledger.distribute("2026-11-01T23:59", "HUB", {"FTS": 4})  # 04:59 UTC on November 2
    report = reporting.funder_report(reporting.make_filters("2026-10-15", "2026-11-01"))
    assert [(r["month"], r["units"]) for r in report.by_month] == [
        (date(2026, 10, 1), 1),
        (date(2026, 11, 1), 6),
    ]


def test_closing_equals_the_stock_page_when_the_period_ends_today(make, monkeypatch):
    dataset.build(make, monkeypatch)
    report = reporting.funder_report(reporting.make_filters("2026-01-01", "2026-04-02"))
    for row in report.inventory:
        site = next(s for s in make_sites() if s.code == row["site"])
        on_hand = stock.on_hand_by_supply(site.id)
        supply_id = next(s.id for s in make_supplies() if s.code == row["supply"])
        assert row["closing"] == on_hand.get(supply_id, 0)


def make_sites():
    from supplies.extensions import db
    from supplies.models import Site

    return db.session.execute(db.select(Site)).scalars().all()


def make_supplies():
    from supplies.extensions import db
    from supplies.models import Supply

    return db.session.execute(db.select(Supply)).scalars().all()


def test_filters_name_the_bad_field(make):
    from supplies.services.common.errors import ValidationFailed

    make.site("HUB")
    with pytest.raises(ValidationFailed) as error:
        reporting.make_filters("2026-03-01", "2026-02-01", ["NOPE"], "NOFUND")
    assert set(error.value.fields) == {"end", "site", "funding"}
    with pytest.raises(ValidationFailed) as error:
        reporting.make_filters("March", None)
    assert set(error.value.fields) == {"start", "end"}


@pytest.mark.parametrize(
    ("counts", "below", "shown"),
    [
        ([20, 30, 0], 11, [20, 30, 0]),
        # A complement is "suppressed", never "<11": it may be large.
        ([5, 30, 40], 11, ["<11", "suppressed", 40]),
        # Hidden cells add up to at least N-1 + (k-1), so no <N cell is narrowed.
        ([5, 7, 40, 60], 11, ["<11", "<11", "suppressed", 60]),
        ([3, 12, 14, 50], 11, ["<11", "suppressed", "suppressed", 50]),
        ([10, 11, 0], 11, ["<11", "suppressed", 0]),
        ([1, 2, 3], 0, [1, 2, 3]),
        ([4, 12, 12, 50], 5, ["<5", "suppressed", 12, 50]),
        ([0, 0, 0], 11, [0, 0, 0]),
        # The only non-zero complement is large, which is enough: 5 + ? = 35.
        ([5, 0, 30], 11, ["<11", 0, "suppressed"]),
        # 2 + 3 + 7 = 12 = 10 + 2: one hidden zero makes each anything from 1 to 10.
        ([2, 3, 7, 0], 11, ["<11", "<11", "<11", "suppressed"]),
    ],
)
def test_small_cells_and_their_complement_are_hidden(counts, below, shown):
    assert suppress_group(counts, below) == shown


@pytest.mark.parametrize(("count", "shown"), [(0, 0), (1, "<11"), (10, "<11"), (11, 11), (12, 12)])
def test_a_lone_count_of_exactly_the_threshold_is_shown(count, shown):
    assert shown_as(count, 11) == shown
    assert shown_as(count, 0) == count  # suppression off


def test_a_breakdown_no_complement_can_protect_hides_the_quarter_total():
    """5 + 0 cannot reach 10: no choice of complements keeps the <11 cell from being
    narrowed while the total is known, so every breakdown of the quarter hides a cell."""
    assert suppress_group([5, 0], 11) is None
    shown, total_hidden = suppress_quarter({"age": [5, 0], "language": [3, 2, 0]}, 11)
    assert total_hidden
    assert shown == {"age": ["<11", "suppressed"], "language": ["<11", "<11", "suppressed"]}
    # Nothing small anywhere: everything shown, the total known.
    assert suppress_quarter({"age": [20, 30]}, 11) == ({"age": [20, 30]}, False)


def test_no_single_hidden_cell_in_any_breakdown(make, monkeypatch, app):
    app.config["SUPPRESS_BELOW"] = 11
    dataset.build(make, monkeypatch)
    report = reporting.funder_report(reporting.make_filters("2026-01-01", "2026-03-31"))
    for name in {r["breakdown"] for r in report.recipients}:
        cells = [r["encounters"] for r in report.recipients if r["breakdown"] == name]
        # Every breakdown of a quarter this small hides one cell at least (its total,
        # under 11, must not be known) and shows "<11" only for 1 to 10.
        assert "suppressed" in cells or set(cells) == {"<11"}
    assert {r["encounters"] for r in report.recipients} <= {0, "<11", "suppressed"}
    assert _by(report.summary, "supply")[("FTS",)]["units"] == 60


def test_ledger_reads_go_through_the_period_index(make, monkeypatch, app):
    """At a million events a report reading the whole ledger takes seconds: every read of
    movements must be a range on the period (SQLite's planner, without STAT4, would walk a
    whole kind or site index unless the competing columns are kept from it)."""
    from sqlalchemy import event

    from supplies.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans from its own statistics; the plan checked is SQLite's")
    dataset.build(make, monkeypatch)
    statements = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if "movements" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        reporting.funder_report(reporting.make_filters("2026-01-01", "2026-03-31"))
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert statements
    connection = db.session.connection()
    for statement, parameters in statements:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        reads = [row[-1] for row in plan if " movements" in row[-1]]
        assert reads, statement
        for read in reads:
            if "site_id=? AND supply_id=?" in read:
                continue  # the per-(site, supply) history check: one keyed lookup each
            assert "occurred_at>" in read and "SCAN" not in read, (read, statement[:120])
