"""The stock overview: cells against par, suggestions, expiring and blocked lots, the chart."""

import uuid

import pytest

from supplies.extensions import db
from supplies.models import ParLevel
from supplies.services import catalog, distribution, inventory
from supplies.services.operations import OperationRequest
from tests.inventory.conftest import text


def _par(site, supply, minimum, target):
    db.session.add(ParLevel(site_id=site.id, supply_id=supply.id, minimum=minimum, target=target))
    db.session.commit()


def test_coordinator_home_is_the_stock_overview(make, program, screens):
    make.receive("HUB", "NARCAN4", 40)
    screens.login("coord@example.org")
    page = text(screens.get("/home"))
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
    page = text(screens.get("/inventory/"))
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
    inventory.set_lot_status(make.admin, OperationRequest.new(None, body), body)
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/"))
    assert "Within 0 to 30 days (7 units)" in page
    assert "Write off expired at VAN" in page
    assert "recalled" in page and "BAD" in page


def test_weekly_chart_counts_distributions_net_of_voids(make, program, screens):
    make.receive("HUB", "NARCAN4", 20)
    body = {"id": str(uuid.uuid4()), "site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 3}]}
    staff = program["users"]["staff"]
    distribution.distribute(staff, OperationRequest.new(body["id"], body), body)
    body2 = {
        "id": str(uuid.uuid4()),
        "site": "HUB",
        "items": [{"supply": "NARCAN4", "quantity": 2}],
    }
    distribution.distribute(staff, OperationRequest.new(body2["id"], body2), body2)
    void = {"reason": "entered twice"}
    distribution.void(staff, OperationRequest.new(None, void), body2["id"], void)
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/"))
    assert "naloxone nasal 3</title>" in page
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
