"""Person-derived counts at one grain: whole closed quarters over the whole program."""

import random
from io import BytesIO

import pytest
from openpyxl import load_workbook

from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from supplies.services.reporting.quarterly import _totals
from supplies.services.reporting.suppression import (
    suppress_group,
    suppress_quarter,
    suppress_units,
)
from tests.reports import dataset


def _report(start, end, sites=(), funding=None, language="en"):
    return reporting.funder_report(reporting.make_filters(start, end, sites, funding, language))


@pytest.fixture
def closed(app, make, monkeypatch):
    """The known ledger on April 2, 2026, with the first quarter closed the day before."""
    app.config.update(REPORTING_CLOSE_DAYS=1, APP_TIMEZONE="America/New_York")
    dataset.build(make, monkeypatch)
    return app


def test_every_workbook_shows_the_same_quarter_whatever_its_filters(closed):
    whole = _report("2026-01-01", "2026-03-31")
    assert whole.people.published == ["2026-Q1"]
    assert whole.people.encounters_reason is None
    for asked in (
        _report("2026-02-01", "2026-02-28"),
        _report("2026-01-01", "2026-03-31", ["VAN"]),
        _report("2026-02-10", "2026-03-05", ["HUB"], "SOR"),
        _report("2026-01-01", "2026-03-31", funding="SOR"),
    ):
        assert asked.recipients == whole.recipients
        assert asked.reversals == whole.reversals
        assert {row["encounters"] for row in asked.summary} == {None}
    assert _report("2026-02-01", "2026-02-28").people.encounters_reason == "partial"
    assert _report("2026-01-01", "2026-03-31", ["VAN"]).people.encounters_reason == "filtered"
    # Supply units stay exactly what was asked.
    van = _report("2026-01-01", "2026-03-31", ["VAN"])
    assert {r["supply"]: r["units"] for r in van.summary} == {"NARCAN4": 4, "FTS": 0}


def test_an_open_quarter_is_not_published(closed):
    # April 1 is in the second quarter, still running on April 2.
    report = _report("2026-03-15", "2026-04-02")
    assert report.people.published == ["2026-Q1"]
    assert [label for label, _ in report.people.open] == ["2026-Q2"]
    assert {row["quarter"] for row in report.recipients} == {"2026-Q1"}
    closed.config["REPORTING_CLOSE_DAYS"] = 15
    report = _report("2026-01-01", "2026-03-31")
    assert report.recipients == [] and report.reversals == []
    assert report.people.encounters_reason == "open"
    assert {row["encounters"] for row in report.summary} == {None}


def test_the_about_sheet_says_which_quarters_and_why_in_both_languages(closed, make):
    filters = reporting.make_filters("2026-02-01", "2026-04-02", ["HUB"])
    wb = load_workbook(BytesIO(exports.read_archive(exports.funder_export(make.admin, filters))))
    about = {row[0]: row[1] for row in wb["About"].iter_rows(values_only=True) if row[0]}
    assert "whole program" in about["Counts of people"]
    assert about["Quarters"].startswith("Counts of people given for: 2026-Q1.")
    assert "2026-Q2 (closes on 2026-07-01)" in about["Quarters"]
    assert about["Summary: Encounters"].startswith("Left empty: this workbook is limited")
    units = about["By Area, Summary: Units for others"]
    assert units.startswith("Left empty: this workbook is limited")
    assert {row[2] for row in wb["By Area"].iter_rows(min_row=2, values_only=True)} == {None}
    spanish = reporting.make_filters("2026-02-01", "2026-02-28", language="es")
    wb = load_workbook(BytesIO(exports.read_archive(exports.funder_export(make.admin, spanish))))
    about = {row[0]: row[1] for row in wb["About"].iter_rows(values_only=True) if row[0]}
    assert "trimestres completos" in about["Cifras de personas"]
    assert about["Trimestres"] == "Cifras de personas dadas para: 2026-Q1."
    assert about["Summary: Encounters"].startswith("Se deja vacío: el período")
    assert about["By Area, Summary: Units for others"].startswith("Se deja vacío: el período")
    assert "zona" in about["Ocultación de cifras pequeñas"]
    assert '"suppressed"' in about["Ocultación de cifras pequeñas"]


def test_a_reopened_quarter_is_left_out_then_named(closed, make):
    runner = closed.test_cli_runner()
    assert runner.invoke(args=["quarter", "reopen", "2026-Q1"]).exit_code == 0
    report = _report("2026-01-01", "2026-03-31")
    assert report.recipients == [] and report.people.reopened == ["2026-Q1"]
    assert runner.invoke(args=["quarter", "close", "2026-Q1"]).exit_code == 0
    filters = reporting.make_filters("2026-01-01", "2026-03-31")
    wb = load_workbook(BytesIO(exports.read_archive(exports.funder_export(make.admin, filters))))
    about = {row[0]: row[1] for row in wb["About"].iter_rows(values_only=True) if row[0]}
    assert "reopened 2026-Q1" in about["Reopened quarters"]
    assert {row[0] for row in wb["Recipients"].iter_rows(min_row=2, values_only=True)} == {
        "2026-Q1"
    }


def test_a_total_over_quarters_is_shown_only_where_every_part_is():
    quarters = [{1: 40, 2: "<11", 3: 0, 4: "<11"}, {1: 12, 2: 30, 3: 5, 4: 0}]
    # A hidden part hides the total, as "suppressed" even where it is small (cell 4).
    assert _totals(quarters) == {1: 52, 2: "suppressed", 3: 5, 4: "suppressed"}
    # One quarter: its own cells.
    assert _totals(quarters[:1]) == {1: 40, 2: "<11", 3: 0, 4: "<11"}


def _range(cells, shown, index, below, total):
    """What an attacker learns of a hidden cell from the breakdown's known total, reading
    each other cell as a reader can: a number as itself, "<N" as 1..N-1, "suppressed" as 0
    or N and up (never 1..N-1, which would read "<N"). The values left for it."""
    sums = {0}
    for i, value in enumerate(shown):
        if i == index:
            continue
        if isinstance(value, int):
            options = [value]
        elif value == f"<{below}":
            options = range(1, below)
        else:
            options = [0, *range(below, total + 1)]
        sums = {part + option for part in sums for option in options if part + option <= total}
    return {total - part for part in sums if 1 <= total - part <= below - 1}


def test_no_small_cell_is_narrowed_by_its_breakdowns_total():
    rng = random.Random(3)
    below = 11
    for _ in range(3000):
        counts = [rng.choice((0, 0, 1, 2, 3, 5, 9, 10, 11, 12, 15, 40)) for _ in range(4)]
        shown = suppress_group(counts, below)
        if shown is None:
            continue  # the quarter then hides its total: see the next test
        for index, value in enumerate(shown):
            assert value == counts[index] or not isinstance(value, int)
            if value == f"<{below}":
                assert _range(counts, shown, index, below, sum(counts)) == set(range(1, below)), (
                    counts,
                    shown,
                )


def test_a_quarter_that_cannot_protect_a_breakdown_hides_its_total_everywhere():
    # Four people of 12 in four small groups: 12 = 3+3+3+3 cannot be protected if the
    # quarter's total were known, so no breakdown is left fully shown.
    shown, total_hidden = suppress_quarter({"a": [3, 3, 3, 3, 0], "b": [12, 0, 0]}, 11)
    assert total_hidden
    assert shown["a"] == ["<11", "<11", "<11", "<11", "suppressed"]
    assert shown["b"] == ["suppressed", 0, 0]
    shown, total_hidden = suppress_quarter({"a": [3, 30, 0], "b": [33, 0]}, 11)
    assert not total_hidden
    assert shown == {"a": ["<11", "suppressed", 0], "b": [33, 0]}


def test_units_by_area_get_complements_or_hide_their_whole_column():
    # By Quarter publishes the column's total: 5 + 10 = 15 with hidden zeros would let a
    # reader rule out 4 for either small cell (the other would be 11, or the zeros 11 and
    # the other 0), since a hidden cell is 0 or 11 and up: nothing of it is shown.
    assert suppress_units([5, 0, 0, 10], 11) == ["<11", "suppressed", "suppressed", "<11"]
    # 5 + 30 = 35 protects both: with either small cell at 1..10, the rest is 25..34.
    assert suppress_units([5, 30, 0, 10], 11) == ["<11", "suppressed", 0, "<11"]
    # 3 + 4 = 7 cannot hide a cell of 1..10 from a known total: nothing of it is shown.
    assert suppress_units([0, 3, 4, 0], 11) == ["suppressed", "<11", "<11", "suppressed"]
    assert suppress_units([0, 60, 0, 20], 11) == [0, 60, 0, 20]
    assert suppress_units([0, 3, 4, 0], 0) == [0, 3, 4, 0]
