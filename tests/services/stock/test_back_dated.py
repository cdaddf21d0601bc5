"""Back-dated writes fit the stock at that moment and at every later one."""

from datetime import date, datetime, timedelta, timezone

import pytest

from tests.conftest import new_id

TODAY = date.today()
EXPIRES = (TODAY + timedelta(days=400)).isoformat()


def _day(days_ago: int, hour: int = 12) -> str:
    moment = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time())
    return moment.replace(hour=hour, tzinfo=timezone.utc).isoformat()


@pytest.fixture
def admin(program):
    """The admin's token on the small program (HUB, VAN, NARCAN4, FTS)."""
    return program["tokens"]["admin"]


def _receive(api, token, quantity, days_ago, lot="L1", site="HUB", supply="NARCAN4"):
    body = {
        "id": new_id(),
        "site": site,
        "supply": supply,
        "quantity": quantity,
        "received_on": (TODAY - timedelta(days=days_ago)).isoformat(),
    }
    if supply == "NARCAN4":
        body.update(lot_number=lot, expires_on=EXPIRES)
    response = api.post("/receipts", token, body)
    assert response.status_code == 201, response.get_json()
    return response


def _give(api, token, quantity, days_ago=None, hour=12, site="HUB", supply="NARCAN4"):
    body = {"id": new_id(), "site": site, "items": [{"supply": supply, "quantity": quantity}]}
    if days_ago is not None:
        body["occurred_at"] = _day(days_ago, hour)
    return api.post("/distributions", token, body)


def test_a_distribution_dated_before_the_only_lot_arrived_is_refused(api, admin):
    _receive(api, admin, 10, days_ago=5)
    refused = _give(api, admin, 2, days_ago=20)
    assert refused.status_code == 409
    message = refused.get_json()["error"]["message"]
    arrived = (TODAY - timedelta(days=5)).isoformat()
    assert f"held 0 Narcan 4 mg nasal spray; its first lot arrived {arrived}" in message
    assert (TODAY - timedelta(days=20)).isoformat() in message


def test_a_back_dated_distribution_cannot_empty_a_later_moment(api, admin):
    _receive(api, admin, 10, days_ago=10)
    assert _give(api, admin, 8, days_ago=2).status_code == 201
    # On day 5 the site held 10, but 8 went on day 2: only 2 could have gone on day 5.
    refused = _give(api, admin, 3, days_ago=5)
    assert refused.status_code == 409
    assert "could give 2 Narcan 4 mg nasal spray" in refused.get_json()["error"]["message"]
    assert refused.get_json()["error"]["fields"] == {"items[0].quantity": "only 2 available then"}
    assert _give(api, admin, 2, days_ago=5).status_code == 201
    assert _give(api, admin, 1).status_code == 409  # and now nothing is left


def test_a_back_dated_distribution_takes_only_lots_received_by_then(api, admin):
    _receive(api, admin, 5, days_ago=10, lot="EARLY")
    _receive(api, admin, 5, days_ago=1, lot="LATE")
    given = _give(api, admin, 5, days_ago=3)
    assert given.status_code == 201
    assert given.get_json()["items"][0]["lots"] == [{"lot_number": "EARLY", "quantity": 5}]
    assert _give(api, admin, 1, days_ago=3).status_code == 409


def test_writes_dated_now_and_a_little_ahead_are_recorded_at_the_servers_now(api, admin):
    _receive(api, admin, 10, days_ago=1)
    ahead = (datetime.now(timezone.utc) + timedelta(minutes=3)).isoformat()
    body = {"id": new_id(), "site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 1}]}
    recorded = api.post("/distributions", admin, {**body, "occurred_at": ahead})
    assert recorded.status_code == 201
    occurred = datetime.fromisoformat(recorded.get_json()["occurred_at"])
    assert occurred <= datetime.now(timezone.utc)


def test_a_lot_quarantined_then_is_not_given_then_though_released_since(api, admin):
    _receive(api, admin, 5, days_ago=10, lot="Q1")
    for status, days_ago in (("quarantined", 6), ("available", 1)):
        body = {
            "id": new_id(),
            "supply": "NARCAN4",
            "lot_number": "Q1",
            "status": status,
            "occurred_at": _day(days_ago),
        }
        assert api.post("/lots/status", admin, body).status_code == 201
    assert _give(api, admin, 1, days_ago=4).status_code == 409
    assert _give(api, admin, 1, days_ago=8).status_code == 201
    assert _give(api, admin, 1).status_code == 201


def test_units_found_later_do_not_fill_an_earlier_gap(api, admin):
    _receive(api, admin, 10, days_ago=10)
    assert _give(api, admin, 8, days_ago=2).status_code == 201
    found = {
        "id": new_id(),
        "site": "HUB",
        "supply": "NARCAN4",
        "quantity": 8,
        "reason": "found",
        "lot_number": "L1",
    }
    assert api.post("/adjustments", admin, found).status_code == 201
    # 10 on hand now, but on day 2 only 2 were left: a day-5 event may take 2, not 5.
    refused = _give(api, admin, 5, days_ago=5)
    assert refused.status_code == 409
    assert "could give 2 Narcan" in refused.get_json()["error"]["message"]


def test_back_dated_transfers_and_write_offs_fit_their_moment(api, admin):
    _receive(api, admin, 6, days_ago=10)
    assert _give(api, admin, 4, days_ago=1).status_code == 201
    body = {"from_site": "HUB", "to_site": "VAN", "supply": "NARCAN4"}
    early = {**body, "id": new_id(), "quantity": 3, "occurred_at": _day(5)}
    refused = api.post("/transfers", admin, early)
    assert refused.status_code == 409
    assert "could give 2 Narcan" in refused.get_json()["error"]["message"]
    assert (
        api.post("/transfers", admin, {**early, "id": new_id(), "quantity": 2}).status_code == 201
    )
    write_off = {
        "id": new_id(),
        "site": "HUB",
        "supply": "NARCAN4",
        "quantity": -1,
        "reason": "damaged",
        "occurred_at": _day(3),
    }
    assert api.post("/adjustments", admin, write_off).status_code == 409
    # The van got its 2 on day 5: it can give them on day 4, not on day 6.
    assert _give(api, admin, 2, days_ago=6, site="VAN").status_code == 409
    assert _give(api, admin, 2, days_ago=4, site="VAN").status_code == 201


def test_an_expired_lot_is_received_only_for_disposal_and_then_quarantined(api, admin):
    body = {
        "site": "HUB",
        "supply": "NARCAN4",
        "quantity": 4,
        "lot_number": "GONE",
        "expires_on": (TODAY - timedelta(days=1)).isoformat(),
    }
    refused = api.post("/receipts", admin, {**body, "id": new_id()})
    assert refused.status_code == 422
    assert "before it was received" in refused.get_json()["error"]["fields"]["expires_on"]
    kept = api.post("/receipts", admin, {**body, "id": new_id(), "for_disposal": True})
    assert kept.status_code == 201
    assert kept.get_json()["status"] == "quarantined"
    assert _give(api, admin, 1).status_code == 409  # never handed out


def test_a_lot_expiring_within_a_month_is_flagged(api, admin):
    body = {
        "id": new_id(),
        "site": "HUB",
        "supply": "NARCAN4",
        "quantity": 4,
        "lot_number": "SHORT",
        "expires_on": (TODAY + timedelta(days=20)).isoformat(),
    }
    assert api.post("/receipts", admin, body).get_json()["expiring_soon"] == ["SHORT"]
    _receive(api, admin, 4, days_ago=0, lot="LONG")


def test_expiring_lots_and_the_stock_card_show_a_lots_status_at_the_moment_they_concern(
    app, api, admin, auth
):
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.reports.test_workbook import table_rows

    body = {
        "id": new_id(),
        "site": "HUB",
        "supply": "NARCAN4",
        "quantity": 4,
        "lot_number": "RC1",
        "expires_on": (TODAY + timedelta(days=60)).isoformat(),
        "received_on": (TODAY - timedelta(days=40)).isoformat(),
    }
    assert api.post("/receipts", admin, body).status_code == 201
    recall = {"id": new_id(), "supply": "NARCAN4", "lot_number": "RC1", "status": "recalled"}
    assert api.post("/lots/status", admin, {**recall, "occurred_at": _day(20)}).status_code == 201

    def status_at_end(days_ago):
        end = (TODAY - timedelta(days=days_ago)).isoformat()
        start = (TODAY - timedelta(days=45)).isoformat()
        response = api.get("/reports/funder.xlsx", admin, start=start, end=end)
        wb = load_workbook(BytesIO(response.data))
        _, lots = table_rows(wb["Expiring Lots"], "ExpiringLots")
        return [lot["Status"] for lot in lots if lot["Lot"] == "RC1"]

    assert status_at_end(30) == ["available"]  # the recall came 20 days ago
    assert status_at_end(10) == ["recalled"]
    auth.login("admin@example.org")

    def lots_table(**dates):
        page = api.client.get(
            "/inventory/stock-card", query_string={"site": "HUB", "supply": "NARCAN4", **dates}
        ).get_data(as_text=True)
        assert "Lots as of the end of" in page
        return page.split("Lots as of the end of")[1].split("</table>")[0]

    then = lots_table(end=(TODAY - timedelta(days=30)).isoformat())
    assert "RC1" in then and "available" in then and "recalled" not in then
    assert "recalled" in lots_table()
