"""A closed quarter's sums over its events: read once, kept, never given for changed events."""

import gc
import json
from datetime import date

import pytest

from supplies.extensions import db
from supplies.models import DistributionEvent, QuarterCounts
from supplies.services.distribution import quarters
from supplies.services.reporting import breakdowns, exports, quarter_counts, suppression
from supplies.services.reporting import report as reporting
from supplies.services.reporting.quarter_counts import quarter_bounds
from tests.reports import dataset

PERSON_DERIVED = ("recipients", "reversals", "summary", "by_area")


def _report():
    return reporting.funder_report(reporting.make_filters("2026-01-01", "2026-03-31"))


def _shown(report) -> dict:
    """What a funder reads of the person-derived tables (and the rest of the workbook)."""
    return {name: getattr(report, name) for name in PERSON_DERIVED} | {
        "inventory": report.inventory,
        "by_month": report.by_month,
    }


def _kept() -> list[QuarterCounts]:
    db.session.expire_all()
    return list(db.session.execute(db.select(QuarterCounts)).scalars())


def _fresh() -> dict:
    """The workbook's tables with nothing kept: every sum read from the events."""
    db.session.execute(db.delete(QuarterCounts))
    db.session.commit()
    return _shown(_report())


@pytest.fixture
def closed(app, make, monkeypatch):
    """The known ledger on April 2, 2026, with the first quarter closed the day before."""
    app.config.update(REPORTING_CLOSE_DAYS=1, APP_TIMEZONE="America/New_York")
    return dataset.build(make, monkeypatch)


def _events_unread(monkeypatch) -> None:
    def unread(*_args, **_kwargs):
        raise AssertionError("the quarter's events were read again")

    monkeypatch.setattr(suppression, "encounter_tallies", unread)
    monkeypatch.setattr(breakdowns, "line_totals", unread)


def test_a_closed_quarters_sums_are_read_once_and_kept(closed, monkeypatch):
    first = _shown(_report())
    kept = _kept()
    assert [row.starts_on for row in kept] == [date(2026, 1, 1)]
    # Three encounters (the voided one left out): 3 + 50 + 4 + 10 units, 1 + 2 reversals,
    # two at the drop-in and one at the van.
    assert kept[0].counts["event_units"] == 67
    assert kept[0].counts["reversals"] == 3
    assert sorted(n for _, n in kept[0].counts["tallies"]["setting"]) == [1, 2]
    _events_unread(monkeypatch)
    assert _shown(_report()) == first


def test_a_quarter_still_open_keeps_nothing(app, closed):
    app.config["REPORTING_CLOSE_DAYS"] = 15
    assert _report().people.open
    assert _kept() == []


def test_sums_are_read_again_once_a_reopened_quarters_events_change(closed):
    before = _report()
    assert _kept()[0].counts["event_units"] == 67
    quarters.reopen(None, quarters.parse("2026-Q1"))
    db.session.commit()
    closed.distribute("2026-03-10T10:00", "VAN", {"NARCAN4": 6}, trained=True)
    event = closed.distribute("2026-03-11T10:00", "HUB", {"FTS": 5})
    closed.void("2026-03-12T10:00", event.result["id"])
    closed.at("2026-04-02T08:00")
    quarters.close(None, quarters.parse("2026-Q1"))
    db.session.commit()
    after = _shown(_report())
    assert _kept()[0].counts["event_units"] == 67 + 6
    assert after != _shown(before)
    assert after == _fresh()


def test_the_stamp_changes_with_every_event_and_every_void_dated_in_the_quarter(closed):
    _, lower, upper = quarter_bounds(quarters.parse("2026-Q2"))
    stamps = [quarter_counts._stamp(lower, upper, set())]
    event = closed.distribute("2026-04-02T09:00", "HUB", {"FTS": 1})
    stamps.append(quarter_counts._stamp(lower, upper, set()))
    closed.void("2026-04-02T09:30", event.result["id"])
    stamps.append(quarter_counts._stamp(lower, upper, set()))
    assert len(set(stamps)) == 3
    # Nothing dated in the first quarter moved: its stamp is what it was.
    _, lower, upper = quarter_bounds(quarters.parse("2026-Q1"))
    first = quarter_counts._stamp(lower, upper, set())
    closed.distribute("2026-04-02T10:00", "HUB", {"FTS": 1})
    assert quarter_counts._stamp(lower, upper, set()) == first


def test_sums_kept_in_another_shape_are_read_again(closed):
    first = _shown(_report())
    row = _kept()[0]
    stamp = row.stamp
    row.stamp = "v0;" + stamp.split(";", 1)[1]
    row.counts = {"combinations": []}  # an older shape, which this code cannot read
    db.session.commit()
    assert _shown(_report()) == first
    assert _kept()[0].stamp == stamp
    assert stamp.startswith(f"v{quarter_counts.SHAPE}")


def test_the_same_quarter_kept_twice_keeps_one_row_with_the_later_sums(closed):
    _report()
    row = _kept()[0]
    events = quarter_counts.QuarterSums(**row.counts)
    events.reversals = 99
    quarter_counts.keep([quarter_counts.FreshSums(row.starts_on, "later", events)])
    kept = _kept()
    assert [(r.starts_on, r.stamp, r.counts["reversals"]) for r in kept] == [
        (date(2026, 1, 1), "later", 99)
    ]


def test_a_workbook_is_written_with_the_cycle_collector_paused_then_resumed(closed, monkeypatch):
    seen = []
    write = exports.writer.funder_workbook

    def funder_workbook(report):
        seen.append(gc.isenabled())
        return write(report)

    monkeypatch.setattr(exports.writer, "funder_workbook", funder_workbook)
    filters = reporting.make_filters("2026-01-01", "2026-03-31")
    exports.funder_export(None, filters)
    assert seen == [False] and gc.isenabled()

    def broken(report):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports.writer, "funder_workbook", broken)
    with pytest.raises(RuntimeError):
        exports.funder_export(None, reporting.make_filters("2026-01-01", "2026-02-28"))
    assert gc.isenabled()


def test_housekeeping_reads_newly_closed_quarters_sums_before_any_workbook(
    app, closed, monkeypatch
):
    from supplies.jobs import maintenance

    expected = _fresh()
    db.session.execute(db.delete(QuarterCounts))
    db.session.commit()
    # The last four quarters that are closed on April 2, 2026; not the second, still open.
    assert maintenance.run_once(app)["quarters"] == 4
    assert sorted(row.starts_on for row in _kept()) == [
        date(2025, 4, 1),
        date(2025, 7, 1),
        date(2025, 10, 1),
        date(2026, 1, 1),
    ]
    assert maintenance.run_once(app)["quarters"] == 0  # kept already: nothing read again
    _events_unread(monkeypatch)
    assert _shown(_report()) == expected


def test_sums_are_read_again_when_the_quarters_bounds_move_with_the_time_zone(app, closed):
    _report()
    stamp = _kept()[0].stamp
    # 23:30 on January 31 in New York is 20:30 in Los Angeles: the quarter's ends move.
    app.config["APP_TIMEZONE"] = "America/Los_Angeles"
    moved = _shown(_report())
    assert _kept()[0].stamp != stamp
    assert moved == _fresh()


def test_a_workbook_is_made_even_when_its_sums_cannot_be_kept(closed, monkeypatch, caplog):
    from contextlib import contextmanager

    from sqlalchemy.exc import OperationalError

    @contextmanager
    def locked():
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        yield

    monkeypatch.setattr(quarter_counts, "transaction", locked)
    report = _report()
    assert report.people.published == ["2026-Q1"] and report.recipients
    assert _kept() == []
    assert "quarter sums not kept" in caplog.text
    monkeypatch.undo()
    assert _shown(report) == _fresh()


def test_an_area_typed_outside_the_list_is_never_copied_into_the_kept_sums(closed, make):
    # An event typed before there was a list holds whatever was typed: a name, one day.
    event = db.session.execute(
        db.select(DistributionEvent).where(DistributionEvent.area == "Alder County")
    ).scalar_one()
    event.area = "John Smith"
    db.session.commit()
    first = _shown(_report())
    kept = _kept()[0]
    assert "John Smith" not in json.dumps(kept.counts)
    assert ["other area", 1] in kept.counts["tallies"]["area"]
    assert first == _fresh()
    # Listed later, an area shows as itself: the sums kept before are read again.
    stamp = _kept()[0].stamp
    make.area("Birch County", "NY")
    _report()
    assert _kept()[0].stamp != stamp
