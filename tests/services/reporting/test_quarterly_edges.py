"""The quarterly person-derived grain at its edges, as a funder reads the workbook."""

import uuid
from datetime import date

import pytest

from supplies.extensions import db
from supplies.models import PartnerReport
from supplies.services.reporting import report as reporting
from supplies.services.reporting.quarterly import _totals
from tests.reports.dataset import Ledger, strips_at_hub

AGE_BANDS_SPREAD = ["under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus"]


def test_a_total_over_quarters_counts_a_quarter_without_the_cell_as_zero():
    assert _totals([{1: 12}, {2: 15}]) == {1: 12, 2: 15}
    assert _totals([{1: 12}, {1: 3}, {1: 0}]) == {1: 15}
    assert _totals([{1: 12}, {2: "<11"}]) == {1: 12, 2: "suppressed"}


def test_a_workbook_of_no_closed_quarter_has_no_totals():
    assert _totals([]) == {}


def _partner_report(site, month, encounters, reversals=None):
    db.session.add(
        PartnerReport(
            id=str(uuid.uuid4()),
            site_id=site.id,
            month=month,
            encounters=encounters,
            reversals_reported=reversals,
        )
    )
    db.session.commit()


@pytest.fixture
def half_year(app, make, monkeypatch):
    """Two closed quarters of 2026, seen on July 10.

    First quarter: 12 encounters at HUB (Alder County), each 2 test strips, trained, one
    reversal each; 11 of them a kit too; the first 6 for others. One partner agency
    reports 20 encounters and 3 reversals.
    Second quarter: 15 encounters at VAN (Birch County), a test strip each, the ages spread
    so thin that no breakdown can be protected (the quarter's total is kept unknown); one
    bottle of water. Two agencies report 20 and 15 encounters.
    """
    app.config.update(REPORTING_CLOSE_DAYS=1, APP_TIMEZONE="America/New_York")
    make.site("HUB", county="Alder County")
    make.site("VAN", "mobile_van", county="Birch County")
    first = make.site("P1", "partner_agency", county="Alder County")
    second = make.site("P2", "partner_agency", county="Alder County")
    supplies = {code: make.supply(code, category="other").id for code in ("FTS", "KIT", "WATER")}
    ledger = Ledger(monkeypatch, make.admin)
    for site in ("HUB", "VAN"):
        for code in supplies:
            ledger.receive("2025-12-01T09:00", site, code, 500)
    for day in range(1, 13):
        items = {"FTS": 2, "KIT": 1} if day > 1 else {"FTS": 2}
        extra = {"for_others": True} if day <= 6 else {}
        ledger.distribute(
            f"2026-02-{day:02d}T12:00", "HUB", items, trained=True, reversals_reported=1, **extra
        )
    for day in range(1, 16):
        age = AGE_BANDS_SPREAD[day % 7] if day < 15 else "unknown"
        items = {"FTS": 1, "WATER": 1} if day == 1 else {"FTS": 1}
        ledger.distribute(f"2026-05-{day:02d}T12:00", "VAN", items, age_band=age)
    _partner_report(first, date(2026, 1, 1), 20, 3)
    _partner_report(first, date(2026, 4, 1), 20)
    _partner_report(second, date(2026, 6, 1), 15)
    ledger.at("2026-07-10T08:00")
    return supplies


def _people(start, end):
    return reporting.funder_report(reporting.make_filters(start, end)).people


def test_a_quarter_shows_each_supplys_encounters_and_a_lone_eleven_in_full(half_year):
    people = _people("2026-01-01", "2026-03-31")
    assert people.encounters_reason is None
    # FTS went to every encounter: its 12 is the quarter's total, kept unknown since a lone
    # small cell of the quarter cannot be protected against a known total.
    assert people.encounters == {half_year["FTS"]: "suppressed", half_year["KIT"]: 11}


def test_a_supply_handed_out_at_every_encounter_hides_a_total_kept_unknown(half_year):
    people = _people("2026-04-01", "2026-06-30")
    ages = [
        (r["quarter"], r["value"], r["encounters"])
        for r in people.recipients
        if r["breakdown"] == "age_band"
    ]
    bands = [*AGE_BANDS_SPREAD, "unknown", "not recorded"]
    # Kept unknown, the total is still 15 or 16 (15 test strip encounters, 16 units), too
    # narrow for eight "<11" ages: none could be 10. So the quarter shows no breakdown.
    assert ages == [("2026-Q2", band, "suppressed") for band in bands]
    # 15 test strips encounters would be the quarter's total: hidden; the one water "<11".
    assert people.encounters == {half_year["FTS"]: "suppressed", half_year["WATER"]: "<11"}


def test_a_total_over_two_quarters_is_shown_only_where_each_quarter_shows_it(half_year):
    people = _people("2026-01-01", "2026-06-30")
    assert people.published == ["2026-Q1", "2026-Q2"] and people.open == []
    fts, kit, water = half_year["FTS"], half_year["KIT"], half_year["WATER"]
    # A part hidden in either quarter hides the total, as "suppressed" even if small.
    assert people.encounters == {fts: "suppressed", kit: 11, water: "suppressed"}
    assert people.places == ["Alder County", "Birch County"]
    assert people.by_area == {
        "Alder County": {fts: 24, kit: 11, water: "suppressed"},
        "Birch County": {fts: 15, kit: 0, water: "suppressed"},
    }
    # Units handed on for others: 6 encounters of 2 strips; 5 kits are "<11".
    assert people.for_others == {fts: 12, kit: "suppressed"}


def test_units_for_others_and_by_area_in_one_quarter(half_year):
    people = _people("2026-04-01", "2026-06-30")
    fts, water = half_year["FTS"], half_year["WATER"]
    # One bottle of water in one area of two: no complement can protect it, so the
    # whole column is hidden, its zero too.
    assert people.by_area == {
        "Alder County": {fts: 0, water: "suppressed"},
        "Birch County": {fts: 15, water: "<11"},
    }
    assert people.for_others == {}
    people = _people("2026-01-01", "2026-03-31")
    assert people.for_others == {half_year["FTS"]: 12, half_year["KIT"]: "<11"}


def test_one_partner_agencys_encounters_are_hidden_and_two_agencies_are_shown(half_year):
    people = _people("2026-01-01", "2026-06-30")
    assert people.reversals == [
        # 12 reversals at the program's encounters and 3 a partner reported.
        {
            "quarter": "2026-Q1",
            "reversals": 15,
            "trained": "suppressed",  # every encounter: the total, kept unknown
            "partner_encounters": "suppressed",
        },
        {"quarter": "2026-Q2", "reversals": 0, "trained": "suppressed", "partner_encounters": 35},
    ]


def test_units_at_a_site_with_no_county_are_listed_as_not_recorded(app, make, monkeypatch):
    app.config.update(REPORTING_CLOSE_DAYS=1, APP_TIMEZONE="America/New_York")
    make.site("HUB", county="Alder County")
    make.site("OUT", "outreach", county=None)
    fts = make.supply("FTS", category="other").id
    ledger = Ledger(monkeypatch, make.admin)
    ledger.receive("2025-12-01T09:00", "OUT", "FTS", 500)
    for day in range(1, 13):
        ledger.distribute(f"2026-02-{day:02d}T12:00", "OUT", {"FTS": 2})
    ledger.at("2026-04-10T08:00")
    people = _people("2026-01-01", "2026-03-31")
    assert people.places == ["Alder County", "not recorded"]
    assert people.by_area == {"Alder County": {fts: 0}, "not recorded": {fts: 24}}


def test_a_period_that_starts_or_ends_inside_a_quarter_leaves_encounters_empty(half_year):
    for start, end in (("2026-01-01", "2026-05-31"), ("2026-02-01", "2026-06-30")):
        people = _people(start, end)
        assert people.encounters_reason == "partial"
        assert people.encounters is None and people.by_area is None
        assert people.published == ["2026-Q1", "2026-Q2"]


def test_a_reopened_earlier_quarter_does_not_hold_back_a_later_closed_one(half_year, app):
    assert app.test_cli_runner().invoke(args=["quarter", "reopen", "2026-Q1"]).exit_code == 0
    people = _people("2026-01-01", "2026-06-30")
    assert people.published == ["2026-Q2"]
    assert [label for label, _ in people.open] == ["2026-Q1"]
    assert people.reopened == ["2026-Q1"]
    assert {row["quarter"] for row in people.recipients} == {"2026-Q2"}
    assert people.encounters_reason == "open" and people.encounters is None


def test_a_closed_quarter_with_no_encounters_reports_zero_reversals(half_year):
    people = _people("2025-07-01", "2025-09-30")
    assert people.reversals == [
        {"quarter": "2025-Q3", "reversals": 0, "trained": 0, "partner_encounters": 0}
    ]
    assert {row["encounters"] for row in people.recipients} == {0}


def test_an_encounter_on_a_quarters_last_day_counts_in_it_and_not_in_the_next(
    app, make, monkeypatch
):
    # March 30 and March 31 late in the evening (local time) are the first quarter's;
    # April 1 is the second's.
    ledger = strips_at_hub(app, make, monkeypatch)
    for day in range(1, 12):
        ledger.distribute(f"2026-03-{day:02d}T12:00", "HUB", {"FTS": 1})
    ledger.distribute("2026-03-30T12:00", "HUB", {"FTS": 1})
    ledger.distribute("2026-03-31T23:30", "HUB", {"FTS": 1})
    for day in range(1, 16):
        ledger.distribute(f"2026-04-{day:02d}T12:00", "HUB", {"FTS": 1})
    ledger.at("2026-07-10T08:00")
    people = _people("2026-01-01", "2026-06-30")
    settings = {
        (r["quarter"], r["value"]): r["encounters"]
        for r in people.recipients
        if r["breakdown"] == "setting" and r["value"] == "fixed_site"
    }
    assert settings == {("2026-Q1", "fixed_site"): 13, ("2026-Q2", "fixed_site"): 15}


def test_a_supplys_exact_encounters_bound_the_hidden_total_from_below(app, make, monkeypatch):
    """Twelve encounters, 7 collecting for others and 5 not. "<11" + "<11" + "suppressed"
    would let the total be 11 (then either could be 1), but test strips went to 12
    encounters, shown in full: the two add up to 12, neither could be 1, so nothing of the
    quarter is shown."""
    ledger = strips_at_hub(app, make, monkeypatch)
    for day in range(1, 13):
        ledger.distribute(f"2026-02-{day:02d}T12:00", "HUB", {"FTS": 1}, for_others=day <= 7)
    ledger.at("2026-04-10T08:00")
    people = _people("2026-01-01", "2026-03-31")
    assert {row["encounters"] for row in people.recipients} == {"suppressed"}
