"""The Sub-recipients table and the counts partners report, read back from the workbook and
checked against an independent recomputation from the database."""

from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from supplies.extensions import db
from supplies.services.common import clock
from supplies.services.distribution import quarters
from supplies.services.partners import reports as partner_reports
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from supplies.services.stock import transfers
from tests.reports.test_workbook import table_rows
from tests.services.partners.conftest import op

HEADER = ["Partner", "County", "Supply", "Units received", "Units reported given out"]


def _last_quarter() -> quarters.Quarter:
    return quarters.quarter_of(quarters.quarter_of(date.today()).starts_on - timedelta(days=1))


def _send(coordinator, site, supply, quantity, day=None):
    """A transfer from the hub, at 11:00 on a past day, or now (no day)."""
    items = [{"supply": supply, "quantity": quantity}]
    body = {"from_site": "HUB", "to_site": site, "items": items}
    if day is not None:
        moment = datetime.combine(day, datetime.min.time()) + timedelta(hours=11)
        body["occurred_at"] = moment.isoformat()
    transfers.transfer(coordinator, op(body), body)


def _report(partner, site, month, items, **counts):
    body = {"site": site, "month": month.strftime("%Y-%m"), "items": items, **counts}
    partner_reports.submit(partner, op(body), body)


@pytest.fixture
def quarter(app, make, program):
    """Last quarter: CLINIC and SHELTER received supplies and reported each month."""
    app.config["REPORTING_CLOSE_DAYS"] = 400  # open while the partners report
    q = _last_quarter()
    make.site("CLINIC", "partner_agency", name="Eastside Clinic", county="Alder County")
    make.site("SHELTER", "partner_agency", name="Harbor Shelter", county="Birch County")
    clinic = make.user("clinic@example.org", "partner", sites=("CLINIC",))
    shelter = make.user("shelter@example.org", "partner", sites=("SHELTER",))
    make.receive("HUB", "FTS", 1000, days_ago=260)
    make.receive("HUB", "NARCAN4", 100, days_ago=260, funding="SOR")
    coordinator = program["users"]["coordinator"]
    _send(coordinator, "CLINIC", "FTS", 100, q.starts_on + timedelta(days=4))
    _send(coordinator, "CLINIC", "NARCAN4", 20, q.starts_on + timedelta(days=4))
    _send(coordinator, "SHELTER", "FTS", 40, q.starts_on + timedelta(days=40))
    months = [q.starts_on, date(q.starts_on.year, q.starts_on.month + 1, 1)]
    third = date(q.starts_on.year, q.starts_on.month + 2, 1)
    fts, narcan = "FTS", "NARCAN4"
    _report(
        clinic,
        "CLINIC",
        months[0],
        [{"supply": fts, "quantity": 30}, {"supply": narcan, "quantity": 5}],
        encounters=12,
        reversals_reported=2,
    )
    _report(clinic, "CLINIC", months[1], [{"supply": fts, "quantity": 20}])
    _report(shelter, "SHELTER", third, [{"supply": fts, "quantity": 15}], encounters=3,
            reversals_reported=1)  # fmt: skip
    # Something outside the quarter, which its workbook must leave out: now (11:00 today
    # was in the future before 11:00, or in UTC's tomorrow in the evening in New York).
    _send(coordinator, "CLINIC", "FTS", 7)
    app.config["REPORTING_CLOSE_DAYS"] = 1  # and now the quarter has closed
    return q


def _workbook(make, q, sites=(), funding=None):
    filters = reporting.make_filters(q.starts_on.isoformat(), q.ends_on.isoformat(), sites, funding)
    return load_workbook(BytesIO(exports.read_archive(exports.funder_export(make.admin, filters))))


def test_the_quarters_workbook_shows_each_agency_with_the_right_numbers(make, quarter):
    wb = _workbook(make, quarter)
    header, rows = table_rows(wb["Sub-recipients"], "SubRecipients")
    assert header[:5] == HEADER
    found = {
        (r["Partner"], r["County"], r["Supply"]): (
            r["Units received"],
            r["Units reported given out"],
        )
        for r in rows
    }
    assert found == {
        ("CLINIC", "Alder County", "FTS"): (100, 50),
        ("CLINIC", "Alder County", "NARCAN4"): (20, 5),
        ("SHELTER", "Birch County", "FTS"): (40, 15),
        ("SHELTER", "Birch County", "NARCAN4"): (0, 0),  # zero rows stay in
    }
    assert {r["Partner name"] for r in rows} == {"Eastside Clinic", "Harbor Shelter"}


def test_inventory_gives_a_partner_what_it_received_and_about_says_where_reports_are(make, quarter):
    """A partner hands out outside the ledger: Inventory shows no distribution there (its
    reports are in Sub-recipients), and About says so, so a funder reads Closing aright."""
    wb = _workbook(make, quarter)
    _, rows = table_rows(wb["Inventory"], "Inventory")
    clinic = {r["Supply"]: r for r in rows if r["Site"] == "CLINIC"}
    assert clinic["FTS"]["Transferred in"] == 100 and clinic["FTS"]["Distributed"] == 0
    assert clinic["FTS"]["Closing"] == 100  # 50 reported handed out: in Sub-recipients
    about = {row[0].value: row[1].value for row in wb["About"].iter_rows() if row[0].value}
    assert "partner agency" in about["Inventory"] and "Sub-recipients" in about["Inventory"]


def test_partner_counts_join_the_programs_quarter_never_per_partner(make, quarter):
    wb = _workbook(make, quarter)
    _, reversals = table_rows(wb["Reversals"], "Reversals")
    (row,) = reversals
    assert row["Quarter"] == quarter.label
    # 2 + 1 reversals reported by partners (no events): small, so shown as <11.
    assert row["Reversals reported"] == "<11"
    assert row["Partner encounters"] == 15  # 12 at CLINIC, 3 at SHELTER: two agencies
    for title, table in (("Recipients", "Recipients"), ("Reversals", "Reversals"),
                         ("Sub-recipients", "SubRecipients")):  # fmt: skip
        header, rows = table_rows(wb[title], table)
        if title == "Sub-recipients":
            assert not {"Encounters", "Reversals reported", "Partner encounters"} & set(header)
        else:
            cells = {value for r in rows for value in r.values()}
            assert not {"CLINIC", "SHELTER", "Eastside Clinic", "Harbor Shelter"} & cells


def test_a_funding_filter_counts_its_units_and_leaves_reports_empty(make, quarter):
    wb = _workbook(make, quarter, funding="SOR")
    _, rows = table_rows(wb["Sub-recipients"], "SubRecipients")
    received = {(r["Partner"], r["Supply"]): r["Units received"] for r in rows}
    assert received[("CLINIC", "NARCAN4")] == 20 and received[("CLINIC", "FTS")] == 0
    assert {r["Units reported given out"] for r in rows} == {None}


def test_a_workbook_of_program_sites_lists_no_partner(make, quarter):
    wb = _workbook(make, quarter, sites=("HUB",))
    header, rows = table_rows(wb["Sub-recipients"], "SubRecipients")
    assert header[:5] == HEADER
    assert [r for r in rows if any(v is not None for v in r.values())] == []


def test_sub_recipients_agree_with_an_independent_recomputation(make, quarter):
    """Every row equals sums taken straight from the ledger and the reports tables."""
    lower = clock.start_of_day(quarter.starts_on)
    upper = clock.start_of_day(quarter.ends_on + timedelta(days=1))
    received = {
        (site, supply): int(units)
        for site, supply, units in db.session.execute(
            text(
                "SELECT s.code, p.code, SUM(m.quantity) FROM movements m "
                "JOIN sites s ON s.id = m.site_id JOIN supplies p ON p.id = m.supply_id "
                "WHERE s.kind = 'partner_agency' AND m.kind IN ('receive', 'transfer_in') "
                "AND m.occurred_at >= :lower AND m.occurred_at < :upper "
                "GROUP BY s.code, p.code"
            ),
            {"lower": lower.replace(tzinfo=None), "upper": upper.replace(tzinfo=None)},
        )
    }
    reported = {
        (site, supply): int(units)
        for site, supply, units in db.session.execute(
            text(
                "SELECT s.code, p.code, SUM(l.quantity) FROM partner_report_lines l "
                "JOIN partner_reports r ON r.id = l.report_id JOIN sites s ON s.id = r.site_id "
                "JOIN supplies p ON p.id = l.supply_id "
                "WHERE r.month >= :first AND r.month <= :last GROUP BY s.code, p.code"
            ),
            {"first": quarter.starts_on, "last": quarter.ends_on},
        )
    }
    _, rows = table_rows(_workbook(make, quarter)["Sub-recipients"], "SubRecipients")
    for row in rows:
        key = (row["Partner"], row["Supply"])
        assert row["Units received"] == received.get(key, 0), key
        assert row["Units reported given out"] == reported.get(key, 0), key
    assert {(r["Partner"], r["Supply"]) for r in rows} >= set(received) | set(reported)


def test_encounters_one_agency_alone_reported_are_suppressed(make, quarter):
    # With SHELTER's count taken out, the program's partner total would be CLINIC's own.
    db.session.execute(text("UPDATE partner_reports SET encounters = NULL WHERE encounters = 3"))
    db.session.commit()
    _, reversals = table_rows(_workbook(make, quarter)["Reversals"], "Reversals")
    assert [row["Partner encounters"] for row in reversals] == ["suppressed"]
