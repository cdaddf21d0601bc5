"""What a coordinator sees and does: the queue, approving in part, fulfilling as one
transfer with its packing slip, declining with a reason, agencies that have not reported."""

import re

from supplies.services import catalog
from supplies.services.partners import reports, requests
from supplies.services.stock import on_hand, work
from tests.conftest import text
from tests.partners.conftest import fulfilled, op, submitted


def _usable(user, site, supply) -> int:
    return sum(
        r["quantity"]
        for r in on_hand.stock_rows(user)
        if r["site"] == site and r["supply"] == supply
    )


def _approve_data(page: str, request_id: str, units: dict[str, str]) -> dict:
    """The queue's approve form of one request, with the units to send per supply."""
    form = page.split(f'action="/partners/requests/{request_id}/approve"', 1)[1].split("</form>")[0]
    data = {}
    for name, code in re.findall(r'name="(lines-\d+)-supply" type="hidden" value="([^"]*)"', form):
        data[f"{name}-supply"] = code
        data[f"{name}-quantity"] = units[code]
    return data


def test_the_queue_lists_open_requests_oldest_first_with_use_and_stock(agencies, screens):
    older = submitted(agencies["shelter"], "SHELTER", narcan=5, strips=10)
    newer = submitted(agencies["clinic"], "CLINIC", narcan=30, strips=50)
    screens.login("coord@example.org")
    page = text(screens.get("/partners/queue"))
    assert page.index("Harbor Shelter") < page.index("Eastside Clinic")
    assert (
        f"/partners/requests/{older}/approve" in page
        and f"/partners/requests/{newer}/approve" in page
    )
    # Program stock beside each line: 80 Narcan and 500 strips usable at HUB.
    shelter = page.split(f"/partners/requests/{older}/approve", 1)[1].split("</form>")[0]
    assert (
        "Asked 5 · their use a month: not reported · still with them: 0 · program stock: 80"
        in shelter
    )
    assert 'id="r1-lines-0-quantity"' in page and 'id="r2-lines-0-quantity"' in page


def test_approve_in_part_then_fulfil_from_a_site_prints_one_slip(agencies, screens):
    request_id = submitted(agencies["clinic"], narcan=30, strips=100)
    screens.login("coord@example.org")
    queue = text(screens.get("/partners/queue"))
    data = _approve_data(queue, request_id, {"NARCAN4": "25", "FTS": "0"})
    approved = screens.post(f"/partners/requests/{request_id}/approve", data, "/partners/queue")
    assert approved.status_code == 302
    found = requests.get_request(agencies["coordinator"], request_id)
    assert found.status == "approved"
    assert {line.supply.code: line.approved for line in found.lines} == {"NARCAN4": 25, "FTS": 0}
    detail = text(screens.get(f"/partners/requests/{request_id}"))
    assert "Approved" in detail and "Send from" in detail
    assert "Site HUB (HUB): Narcan 4 mg nasal spray 80" in detail
    sent = screens.post(
        f"/partners/requests/{request_id}/fulfil",
        {"from_site": "HUB"},
        f"/partners/requests/{request_id}",
    )
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/{request_id}/slip")
    slip = text(screens.get(sent.headers["Location"]))
    assert "Sent as one transfer." in slip and "Packing slip" in slip
    assert "Narcan 4 mg nasal spray: 25 units" in slip and "Fentanyl" not in slip
    # First expiry first: the 20 of EARLY, then 5 of LATE.
    assert "EARLY" in slip and "LATE" in slip and "data-print" in slip
    coordinator = agencies["coordinator"]
    assert _usable(coordinator, "HUB", "NARCAN4") == 55
    assert _usable(coordinator, "CLINIC", "NARCAN4") == 25
    # The partner sees it at once: fulfilled, and the same slip.
    screens.sign_out()
    screens.login("clinic@example.org")
    mine = text(screens.get(f"/partners/requests/{request_id}"))
    assert "Fulfilled" in mine and "Packing slip (lots and expiry)" in mine
    assert "Narcan 4 mg nasal spray: 25 units" in text(
        screens.get(f"/partners/requests/{request_id}/slip")
    )


def test_more_than_asked_is_refused_beside_the_line(agencies, screens):
    request_id = submitted(agencies["clinic"], narcan=10, strips=100)
    screens.login("coord@example.org")
    queue = text(screens.get("/partners/queue"))
    data = _approve_data(queue, request_id, {"NARCAN4": "11", "FTS": "100"})
    refused = screens.post(f"/partners/requests/{request_id}/approve", data, "/partners/queue")
    assert refused.status_code == 422
    page = text(refused)
    assert "at most the 10 requested" in page and 'value="11"' in page
    assert requests.get_request(agencies["coordinator"], request_id).status == "submitted"


def test_decline_takes_a_reason_code_and_the_partner_sees_it(agencies, screens):
    request_id = submitted(agencies["clinic"])
    screens.login("coord@example.org")
    url = f"/partners/requests/{request_id}"
    page = text(screens.get(url))
    assert '<option value="out_of_stock">' in page and "<textarea" not in page
    declined = screens.post(f"{url}/decline", {"reason": "out_of_stock"}, url)
    assert declined.status_code == 302
    screens.sign_out()
    screens.login("clinic@example.org")
    mine = text(screens.get(url))
    assert "Declined" in mine and "out of stock" in mine
    assert "Cancel this request" not in mine


def test_agencies_that_have_not_reported_last_month_are_named(agencies, screens):
    screens.login("coord@example.org")
    page = text(screens.get("/partners/agencies"))
    missing = page.split('id="missing-h"', 1)[1].split("</section>")[0]
    assert "Eastside Clinic" in missing and "Harbor Shelter" in missing


def test_the_stock_overview_shows_what_is_with_partners_apart(agencies, screens):
    fulfilled(agencies["clinic"], agencies["coordinator"], narcan=12, strips=100)
    month = reports.reportable_months(agencies["clinic"], catalog.site_by_code("CLINIC").id)[0]
    body = {
        "site": "CLINIC",
        "month": f"{month:%Y-%m}",
        "items": [{"supply": "FTS", "quantity": 30}],
    }
    reports.submit(agencies["clinic"], op(body), body)
    recall = {"supply": "NARCAN4", "lot_number": "EARLY", "status": "recalled"}
    work.set_lot_status(agencies["admin"], op(recall), recall)
    screens.login("coord@example.org")
    for url in ("/inventory/", "/home"):
        page = text(screens.get(url))
        section = page.split("data-with-partners", 1)[1].split("</section>")[0]
        assert "With partner agencies" in section
        strips = section.split('data-supply="FTS"', 1)[1].split("</tr>")[0]
        assert re.findall(r">(\d+)</td>", strips) == ["70", "100", "30"]
        narcan = section.split('data-supply="NARCAN4"', 1)[1].split("</tr>")[0]
        assert re.findall(r">(\d+)</td>", narcan) == ["12", "12", "0"]
        assert "Eastside Clinic: Narcan 4 mg nasal spray, lot EARLY, 12 units (recalled)" in section


def test_too_little_stock_at_the_site_sends_nothing_and_says_so(agencies, screens):
    request_id = submitted(agencies["clinic"], narcan=90, strips=10)
    requests.approve(agencies["coordinator"], op({"a": request_id}), request_id, {})
    screens.login("coord@example.org")
    url = f"/partners/requests/{request_id}"
    refused = screens.post(f"{url}/fulfil", {"from_site": "HUB"}, url)
    assert refused.status_code == 409
    page = text(refused)
    assert "only 80 available" in page and "Send from" in page
    assert requests.get_request(agencies["coordinator"], request_id).status == "approved"
    assert _usable(agencies["coordinator"], "CLINIC", "NARCAN4") == 0
