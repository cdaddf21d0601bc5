"""The stock overview: cells against par, suggestions, expiring and blocked lots, the chart."""

import uuid

import pytest

from supplies.extensions import db
from supplies.models import ParLevel
from supplies.services import catalog
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from supplies.services.stock import overview, work
from tests.conftest import text


def _par(site, supply, minimum, target):
    db.session.add(ParLevel(site_id=site.id, supply_id=supply.id, minimum=minimum, target=target))
    db.session.commit()


def test_coordinator_home_is_the_stock_overview(make, program, screens):
    make.receive("HUB", "NARCAN4", 40)
    screens.login("coord@example.org")
    page = text(screens.get("/home", show="all"))
    assert "Welcome," in page and "Stock overview" in page
    assert 'data-site="HUB" data-supply="NARCAN4"' in page
    assert "Units distributed per week" in page
    assert "<svg" in page and "<script" not in page and "style=" not in page


def test_cells_mark_out_low_and_over_and_suggest_a_transfer(make, program, screens):
    hub, van = catalog.site_by_code("HUB"), catalog.site_by_code("VAN")
    narcan, fts = catalog.supply_by_code("NARCAN4"), catalog.supply_by_code("FTS")
    make.receive("HUB", "NARCAN4", 100)
    make.receive("VAN", "FTS", 5)
    _par(hub, narcan, 10, 40)
    _par(van, narcan, 10, 30)
    _par(van, fts, 10, 50)
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/", show="all"))
    assert "cell-over" in page  # HUB holds 100 against a target of 40
    assert "cell-out" in page  # VAN has no naloxone
    assert "cell-low" in page  # VAN has 5 strips against a minimum of 10
    # VAN needs 30 naloxone; HUB can spare 60 above its target: one click starts the transfer.
    assert (
        "/inventory/transfer?from_site=HUB&amp;to_site=VAN&amp;supply=NARCAN4&amp;quantity=30"
        in page
    )
    assert "No site has surplus" in page  # nobody has spare strips


def test_expiring_expired_and_recalled_lots_are_listed(make, program, screens):
    make.receive("HUB", "NARCAN4", 7, lot="SOON", expires_in_days=20)
    make.receive("VAN", "NARCAN4", 3, lot="OLD", expires_in_days=-5)
    make.receive("HUB", "NARCAN4", 9, lot="BAD", expires_in_days=400)
    body = {"supply": "NARCAN4", "lot_number": "BAD", "status": "recalled"}
    work.set_lot_status(make.admin, OperationRequest.new(None, body), body)
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/"))
    assert "Within 0 to 30 days (7 units)" in page
    assert "Write off expired at VAN" in page
    assert "recalled" in page and "BAD" in page


def test_weekly_chart_counts_distributions_net_of_voids(make, program, screens):
    make.receive("HUB", "NARCAN4", 20)
    body = {"id": str(uuid.uuid4()), "site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 3}]}
    staff = program["users"]["staff"]
    events.distribute(staff, OperationRequest.new(body["id"], body), body)
    body2 = {
        "id": str(uuid.uuid4()),
        "site": "HUB",
        "items": [{"supply": "NARCAN4", "quantity": 2}],
    }
    events.distribute(staff, OperationRequest.new(body2["id"], body2), body2)
    void = {"reason": "duplicate"}
    events.void(staff, OperationRequest.new(None, void), body2["id"], void)
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/"))
    assert "naloxone, nasal: 3</title>" in page  # Week of ... — category: units
    assert '<td class="num">3</td>' in page


@pytest.mark.parametrize("email", ["staff@example.org", "funder@example.org"])
def test_staff_and_funders_cannot_open_the_overview(program, screens, email):
    screens.login(email)
    assert screens.get("/inventory/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/inventory/receive")
    assert response.status_code == 302 and "/?next=" in response.headers["Location"]


def test_admin_home_is_the_stock_overview_too(make, program, screens):
    screens.login("admin@example.org")
    page = text(screens.get("/home"))
    assert "Stock overview" in page and 'href="/inventory/"' in page


def test_staff_nav_offers_counting_at_their_sites_only(program, screens):
    screens.login("staff@example.org")
    home = text(screens.get("/distribute/sites/HUB"))  # staff's home: the distribution screen
    assert 'href="/inventory/count"' in home and 'href="/inventory/"' not in home
    page = text(screens.get("/inventory/count"))
    assert "Blind count at HUB" in page and "VAN" not in page


def test_overview_opens_on_the_sites_needing_attention(make, program, screens):
    hub, narcan = catalog.site_by_code("HUB"), catalog.supply_by_code("NARCAN4")
    make.receive("HUB", "NARCAN4", 5)
    make.receive("VAN", "NARCAN4", 50)
    screens.login("coord@example.org")
    calm = text(screens.get("/inventory/"))
    assert "0 of 2 sites need attention" in calm and "No site needs attention" in calm
    assert 'href="/inventory/?show=all"' in calm and "data-supply=" not in calm
    _par(hub, narcan, 10, 40)  # HUB is now low; VAN, with no par level, is not listed
    page = text(screens.get("/inventory/"))
    assert "1 of 2 sites need attention: 0 supplies out, 1 low" in page
    assert '<tr data-site="HUB">' in page and '<tr data-site="VAN">' not in page
    assert 'data-site="HUB" data-supply="NARCAN4"' in page
    assert 'data-site="VAN"' not in page
    # The suggestion still takes VAN's spare units, though VAN is not listed.
    assert (
        "/inventory/transfer?from_site=VAN&amp;to_site=HUB&amp;supply=NARCAN4&amp;quantity=35"
        in page
    )
    everyone = text(screens.get("/inventory/", show="all"))
    assert (
        '<tr data-site="VAN">' in everyone and 'data-site="VAN" data-supply="NARCAN4"' in everyone
    )


def test_overview_filters_by_kind_and_county(make, program, screens):
    make.site("EAST", kind="outreach", county="Birch County")
    screens.login("coord@example.org")
    vans = text(screens.get("/inventory/", show="all", kind="mobile_van"))
    assert '<tr data-site="VAN">' in vans and '<tr data-site="HUB">' not in vans
    birch = text(screens.get("/inventory/", show="all", county="Birch County"))
    assert '<tr data-site="EAST">' in birch and '<tr data-site="VAN">' not in birch
    assert '<option value="Birch County" selected>' in birch
    nobody = text(screens.get("/inventory/", kind="vending"))
    assert "No site matches these filters" in nobody


def test_overview_pages_through_many_sites(make, program, screens, monkeypatch):
    monkeypatch.setattr(overview, "PAGE_SIZE", 2)
    make.site("EAST")
    make.site("WEST")
    screens.login("coord@example.org")
    first = text(screens.get("/home", show="all"))
    assert "4 sites, page 1 of 2" in first
    assert '<tr data-site="EAST">' in first and '<tr data-site="HUB">' in first
    assert '<tr data-site="VAN">' not in first
    assert 'href="/home?page=2&amp;show=all&amp;kind=&amp;county="' in first
    second = text(screens.get("/home", show="all", page="2"))
    assert '<tr data-site="VAN">' in second and '<tr data-site="WEST">' in second
    assert "Previous sites" in second and "Next sites" not in second
    # A page past the end, or not a number, shows a page that exists.
    assert "page 2 of 2" in text(screens.get("/home", show="all", page="9"))
    assert "page 1 of 2" in text(screens.get("/home", show="all", page="x"))


def test_long_lot_lists_show_the_soonest_and_point_to_all_lots(make, program, screens, monkeypatch):
    monkeypatch.setattr(overview, "LIST_ROWS", 1)
    make.receive("HUB", "NARCAN4", 2, lot="FIRST", expires_in_days=-9)
    make.receive("VAN", "NARCAN4", 3, lot="LATER", expires_in_days=-2)
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/"))
    assert "5 units in 2 lots" in page
    assert 'The 1 soonest of 2 lots; <a href="/inventory/lots">all lots</a>' in page
    assert "FIRST" in page and "LATER" not in page


def test_long_suggestion_lists_are_cut_with_a_note(make, program, screens, monkeypatch):
    monkeypatch.setattr(overview, "LIST_ROWS", 1)
    hub, van = catalog.site_by_code("HUB"), catalog.site_by_code("VAN")
    for supply in (catalog.supply_by_code("NARCAN4"), catalog.supply_by_code("FTS")):
        _par(hub, supply, 10, 20)
        _par(van, supply, 10, 20)
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/"))
    assert "The first 1 of 4 suggestions" in page
    assert page.count("No site has surplus") == 1
