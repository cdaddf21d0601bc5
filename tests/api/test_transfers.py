"""POST /transfers with lines (DESIGN.md), the one-supply body kept, all lines or none."""

from datetime import datetime, timedelta

from supplies.services.stock import on_hand
from tests.conftest import new_id


def _held(user, site) -> dict:
    found: dict = {}
    for row in on_hand.stock_rows(user):
        if row["site"] == site:
            key = (row["supply"], row["lot_number"])
            found[key] = found.get(key, 0) + row["quantity"]
    return found


def test_items_move_together_and_answer_each_line(make, program, api):
    make.receive("HUB", "NARCAN4", 10, lot="A", expires_in_days=100)
    make.receive("HUB", "NARCAN4", 10, lot="B", expires_in_days=50)
    make.receive("HUB", "FTS", 300)
    token = program["tokens"]["coordinator"]
    body = {
        "id": new_id(),
        "from_site": "HUB",
        "to_site": "VAN",
        "items": [
            {"supply": "NARCAN4", "quantity": 4, "lot_number": "A"},
            {"supply": "NARCAN4", "quantity": 12},
            {"supply": "FTS", "quantity": 100},
        ],
    }
    response = api.post("/transfers", token, body)
    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert result["units"] == 116 and len(result["items"]) == 3
    # The named lot first; the first-expiry line then takes B and what A has left.
    assert [(x["lot_number"], x["quantity"]) for x in result["items"][1]["lots"]] == [
        ("B", 10),
        ("A", 2),
    ]
    coordinator = program["users"]["coordinator"]
    assert _held(coordinator, "VAN") == {
        ("NARCAN4", "A"): 6,
        ("NARCAN4", "B"): 10,
        ("FTS", None): 100,
    }
    again = api.post("/transfers", token, body)
    assert again.status_code == 200 and again.get_json() == result
    assert _held(coordinator, "HUB") == {("NARCAN4", "A"): 4, ("FTS", None): 200}


def test_one_short_line_moves_nothing(make, program, api):
    make.receive("HUB", "NARCAN4", 10, lot="A")
    make.receive("HUB", "FTS", 30)
    token = program["tokens"]["coordinator"]
    body = {
        "from_site": "HUB",
        "to_site": "VAN",
        "items": [{"supply": "NARCAN4", "quantity": 5}, {"supply": "FTS", "quantity": 31}],
    }
    response = api.post("/transfers", token, body)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["fields"] == {"items[1].quantity": "only 30 available"}
    assert error["available"] == {"FTS": 30}
    assert _held(program["users"]["coordinator"], "VAN") == {}


def test_fields_of_lines_are_named(program, api):
    token = program["tokens"]["coordinator"]
    body = {
        "from_site": "HUB",
        "to_site": "VAN",
        "items": [{"supply": "NOPE", "quantity": 0}, {"supply": "FTS", "colour": "red"}],
    }
    error = api.post("/transfers", token, body).get_json()["error"]
    assert set(error["fields"]) == {
        "items[0].supply",
        "items[0].quantity",
        "items[1].colour",
        "items[1].quantity",
    }
    both = {"from_site": "HUB", "to_site": "VAN", "supply": "FTS", "quantity": 1, "items": []}
    assert "items" in api.post("/transfers", token, both).get_json()["error"]["fields"]
    neither = {"from_site": "HUB", "to_site": "VAN"}
    assert api.post("/transfers", token, neither).status_code == 422
    same = {"from_site": "HUB", "to_site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
    error = api.post("/transfers", token, same).get_json()["error"]
    assert error["fields"] == {"to_site": "must differ from the site it leaves"}


def test_named_lot_refusals_say_why(make, program, api):
    make.receive("HUB", "NARCAN4", 10, lot="GOOD")
    make.receive("HUB", "NARCAN4", 4, lot="OLD", expires_in_days=-2)
    make.receive("VAN", "NARCAN4", 3, lot="THERE")
    token = program["tokens"]["coordinator"]

    def refusal(lot):
        body = {"from_site": "HUB", "to_site": "VAN", "supply": "NARCAN4", "quantity": 1}
        response = api.post("/transfers", token, {**body, "lot_number": lot})
        return response.status_code, response.get_json()["error"]

    status, error = refusal("MISSING")
    assert status == 422 and error["fields"] == {"lot_number": "no lot MISSING of this supply"}
    status, error = refusal("THERE")
    assert status == 409 and error["fields"] == {"lot_number": "not at Site HUB"}
    status, error = refusal("OLD")
    assert status == 409 and error["fields"] == {"lot_number": "this lot has expired"}
    api.post(
        "/lots/status", token, {"supply": "NARCAN4", "lot_number": "GOOD", "status": "quarantined"}
    )
    status, error = refusal("GOOD")
    assert status == 409 and "quarantined" in error["message"]


def test_back_dated_lines_must_fit_every_later_moment(make, program, api):
    make.receive("HUB", "FTS", 10, days_ago=10)
    token = program["tokens"]["coordinator"]
    make.receive("HUB", "FTS", 50)  # today: not there five days ago
    five_days_ago = (datetime.now() - timedelta(days=5)).replace(microsecond=0).isoformat()
    body = {
        "from_site": "HUB",
        "to_site": "VAN",
        "occurred_at": five_days_ago,
        "items": [{"supply": "FTS", "quantity": 11}],
    }
    response = api.post("/transfers", token, body)
    assert response.status_code == 409
    assert response.get_json()["error"]["fields"] == {"items[0].quantity": "only 10 available then"}
    body["items"][0]["quantity"] = 10
    assert api.post("/transfers", token, body).status_code == 201
    assert on_hand.check_ledger() == []
