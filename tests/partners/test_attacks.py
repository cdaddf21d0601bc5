"""A partner reaches its own agency only, and nothing of the program's stock, distribution
or workbooks; other roles do not reach the partner's forms; every form needs its CSRF token."""

import pytest

from supplies.services.partners import requests
from tests.conftest import text
from tests.partners.conftest import fulfilled, submitted


def test_a_partner_cannot_reach_another_agencys_pages(agencies, screens):
    theirs = fulfilled(agencies["clinic"], agencies["coordinator"])
    open_one = submitted(agencies["clinic"])
    screens.login("shelter@example.org")
    refused = {
        "/partners/CLINIC/requests": 403,
        "/partners/CLINIC/requests/new": 403,
        "/partners/CLINIC/received": 403,
        "/partners/CLINIC/report": 403,
        f"/partners/requests/{theirs}": 404,
        f"/partners/requests/{theirs}/slip": 404,
        f"/partners/requests/{open_one}": 404,
    }
    for url, status in refused.items():
        response = screens.get(url)
        assert response.status_code == status, url
        assert "Eastside Clinic" not in text(response), url
    # Writes naming the other agency: refused, nothing changed.
    own_page = "/partners/SHELTER/requests/new"
    assert (
        screens.post(
            "/partners/CLINIC/requests/new",
            {"lines-0-supply": "FTS", "lines-0-quantity": "5"},
            own_page,
        ).status_code
        == 403
    )
    assert (
        screens.post("/partners/CLINIC/report", {"month": "2026-01"}, own_page).status_code == 403
    )
    assert screens.post(f"/partners/requests/{open_one}/cancel", {}, own_page).status_code == 404
    assert requests.get_request(agencies["clinic"], open_one).status == "submitted"
    assert len(requests.list_requests(agencies["clinic"])) == 2


def test_an_unknown_or_non_partner_agency_is_not_found(agencies, screens):
    screens.login("clinic@example.org")
    assert screens.get("/partners/NOPE/received").status_code == 404
    assert screens.get("/partners/HUB/received").status_code == 404
    assert screens.get("/partners/requests/not-a-uuid").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/inventory/",
        "/inventory/transfer",
        "/inventory/receive",
        "/inventory/lots",
        "/inventory/stock-card?site=CLINIC&supply=NARCAN4",
        "/inventory/count",
        "/distribute/",
        "/distribute/sites/CLINIC",
        "/reports/",
        "/imports/",
        "/admin/users",
        "/partners/queue",
        "/partners/agencies",
        "/api/v1/stock?site=CLINIC",
        "/api/v1/reports/funder.xlsx?start=2026-01-01&end=2026-03-31",
    ],
)
def test_a_partner_reaches_no_stock_distribution_or_workbook_page(agencies, screens, url):
    screens.login("clinic@example.org")
    assert screens.get(url).status_code == 403, url


@pytest.mark.parametrize("email", ["staff@example.org", "funder@example.org"])
def test_staff_and_funders_reach_no_partner_page(agencies, screens, email):
    request_id = submitted(agencies["clinic"])
    screens.login(email)
    for url in (
        "/partners/",
        "/partners/CLINIC/requests",
        "/partners/CLINIC/received",
        "/partners/CLINIC/report",
        f"/partners/requests/{request_id}",
        "/partners/queue",
    ):
        assert screens.get(url).status_code == 403, url


def test_coordinators_cannot_submit_or_cancel_for_a_partner(agencies, screens):
    request_id = submitted(agencies["clinic"])
    screens.login("coord@example.org")
    assert screens.get("/partners/CLINIC/requests/new").status_code == 403
    page = f"/partners/requests/{request_id}"
    assert screens.post(f"{page}/cancel", {}, page).status_code == 403
    assert screens.post("/partners/CLINIC/report", {"month": "2026-01"}, page).status_code == 403


def test_a_partner_cannot_approve_fulfil_or_decline(agencies, screens):
    request_id = submitted(agencies["clinic"])
    screens.login("clinic@example.org")
    page = f"/partners/requests/{request_id}"
    for step, data in (
        ("approve", {"lines-0-supply": "FTS", "lines-0-quantity": "1"}),
        ("fulfil", {"from_site": "HUB"}),
        ("decline", {"reason": "other"}),
    ):
        assert screens.post(f"{page}/{step}", data, page).status_code == 403, step
    assert requests.get_request(agencies["clinic"], request_id).status == "submitted"


def test_every_partner_form_needs_its_csrf_token(agencies, screens):
    request_id = submitted(agencies["clinic"])
    screens.login("clinic@example.org")
    client = screens.client
    sent = client.post(
        "/partners/CLINIC/requests/new", data={"lines-0-supply": "FTS", "lines-0-quantity": "5"}
    )
    assert sent.status_code == 400
    assert client.post(f"/partners/requests/{request_id}/cancel").status_code == 400
    assert len(requests.list_requests(agencies["clinic"])) == 1
    assert requests.get_request(agencies["clinic"], request_id).status == "submitted"
    screens.sign_out()
    screens.login("coord@example.org")
    for step in ("approve", "fulfil", "decline"):
        assert (
            client.post(
                f"/partners/requests/{request_id}/{step}",
                data={"reason": "other", "from_site": "HUB"},
            ).status_code
            == 400
        )
    assert requests.get_request(agencies["clinic"], request_id).status == "submitted"
