"""The overview's SQL aggregates agree with the per-cell rules and the ledger."""

import uuid
from datetime import timedelta

from supplies.extensions import db
from supplies.models import ParLevel
from supplies.services import catalog
from supplies.services.common import clock
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from supplies.services.stock import overview, work


def _par(site, supply, minimum, target):
    site, supply = catalog.site_by_code(site), catalog.supply_by_code(supply)
    db.session.add(ParLevel(site_id=site.id, supply_id=supply.id, minimum=minimum, target=target))
    db.session.commit()


def _recall(make, lot):
    body = {"supply": "NARCAN4", "lot_number": lot, "status": "recalled"}
    work.set_lot_status(make.admin, OperationRequest.new(None, body), body)


def _transfer(make, lot, quantity):
    body = {"from_site": "HUB", "to_site": "VAN", "supply": "NARCAN4", "lot_number": lot}
    body["quantity"] = quantity
    work.transfer(make.admin, OperationRequest.new(str(uuid.uuid4()), body), body)


def test_site_counts_match_the_cells_they_summarise(make, program):
    make.site("EAST")
    make.site("WEST", kind="outreach")
    make.receive("HUB", "NARCAN4", 100)  # over a target of 40
    make.receive("HUB", "FTS", 3)  # low against a minimum of 10
    make.receive("VAN", "NARCAN4", 4, lot="OLD", expires_in_days=-1)  # out: only expired units
    make.receive("EAST", "FTS", 20)  # ok, no par level
    make.receive("WEST", "NARCAN4", 6, lot="BAD")
    _recall(make, "BAD")  # out with no par level: every unit recalled
    _par("HUB", "NARCAN4", 10, 40)
    _par("HUB", "FTS", 10, 50)
    _par("EAST", "NARCAN4", 5, 10)  # out: a par level and no stock row at all
    view = overview.stock_overview(program["users"]["coordinator"], overview.SiteFilter("all"))
    assert [s.site.code for s in view.summaries] == ["EAST", "HUB", "VAN", "WEST"]
    for summary in view.summaries:
        states = [view.cell(summary.site, supply).state for supply in view.supplies]
        unusable = sum(view.cell(summary.site, supply).unusable for supply in view.supplies)
        counted = (states.count("out"), states.count("low"), states.count("over"), unusable)
        assert counted == (summary.out, summary.low, summary.over, summary.unusable), summary
    by_code = {s.site.code: s for s in view.summaries}
    assert (by_code["HUB"].low, by_code["HUB"].over) == (1, 1)
    assert by_code["VAN"].expired == 4 and by_code["WEST"].expired == 0
    assert by_code["EAST"].out == 1 and by_code["WEST"].unusable == 6
    assert view.totals == {"sites": 4, "attention": 4, "out": 3, "low": 1, "expired": 4}
    attention = overview.stock_overview(program["users"]["coordinator"])
    assert [s.site.code for s in attention.summaries] == ["EAST", "HUB", "VAN", "WEST"]
    outreach = overview.stock_overview(
        program["users"]["coordinator"], overview.SiteFilter("all", kind="outreach")
    )
    assert [s.site.code for s in outreach.summaries] == ["WEST"]


def test_lots_are_listed_once_each_and_a_recall_names_every_site(make, program):
    make.receive("HUB", "NARCAN4", 12, lot="SOON", expires_in_days=20)
    _transfer(make, "SOON", 5)  # one batch, now at two sites
    make.receive("HUB", "NARCAN4", 11, lot="BAD", expires_in_days=400)
    _transfer(make, "BAD", 2)
    _recall(make, "BAD")
    view = overview.stock_overview(program["users"]["coordinator"])
    (soon,) = view.expiring[30]
    assert (soon.lot_number, soon.quantity, soon.sites, soon.days_left) == ("SOON", 12, 2, 20)
    (bad,) = view.blocked
    assert bad.quantity == 11 and [s.code for s in bad.holders] == ["HUB", "VAN"]


def test_a_void_nets_the_week_of_the_event_it_undoes(make, program):
    make.receive("HUB", "NARCAN4", 50, days_ago=60)
    staff = program["users"]["staff"]
    weeks_ago = clock.now() - timedelta(days=14)
    kept = {"site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 4}]}
    undone = {"site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 3}]}
    for body in (kept, undone):
        body.update(id=str(uuid.uuid4()), occurred_at=weeks_ago.isoformat())
        events.distribute(staff, OperationRequest.new(body["id"], body), body)
    void = {"reason": "duplicate"}
    events.void(staff, OperationRequest.new(None, void), undone["id"], void)
    weekly = overview.weekly_distribution(program["users"]["coordinator"])
    assert sum(weekly.units.values()) == 4
    (week,) = [i for (i, _), n in weekly.units.items() if n]
    assert weekly.weeks[week] <= weeks_ago.astimezone(clock.program_timezone()).date()
    assert weekly.total(11) == 0


def test_a_page_number_in_other_digits_falls_back_to_the_first_page():
    SiteFilter = overview.SiteFilter
    assert SiteFilter.from_query({"page": "3"}).page == 3
    # "¹" passes str.isdigit() but int() refuses it
    assert SiteFilter.from_query({"page": "\u00b9"}).page == 1


def test_a_closed_site_neither_counts_nor_gives_and_staff_see_only_their_sites(make, program):
    make.site("NORTH")
    make.site("OLD")
    make.receive("NORTH", "FTS", 100)
    make.receive("OLD", "FTS", 500)  # more to spare than NORTH, but the site is closed
    make.receive("OLD", "NARCAN4", 3, lot="GONE", expires_in_days=-1)
    _par("VAN", "FTS", 20, 60)
    _par("HUB", "FTS", 20, 60)
    catalog.site_by_code("OLD").active = False
    db.session.commit()
    view = overview.stock_overview(program["users"]["coordinator"], overview.SiteFilter("all"))
    assert "OLD" not in [s.site.code for s in view.summaries]
    assert view.totals["expired"] == 0
    assert [(s.site.code, s.from_site.code, s.quantity) for s in view.suggestions] == [
        ("HUB", "NORTH", 60),
        ("VAN", "NORTH", 40),
    ]
    staff = overview.stock_overview(program["users"]["staff_van"], overview.SiteFilter("all"))
    assert [s.site.code for s in staff.summaries] == ["VAN"]
    assert {site_id for site_id, _ in staff.cells} == {catalog.site_by_code("VAN").id}
    # Nothing to take at the staff member's own sites: no donor from anyone else's.
    assert [(s.site.code, s.from_site) for s in staff.suggestions] == [("VAN", None)]
