"""Which units a distribution takes: first expiry first, and never an expired, quarantined or
recalled lot, however many lots the site holds."""

from supplies.services.stock import ledger
from tests.conftest import new_id


def _give(api, token, quantity, supply="NARCAN4"):
    body = {
        "id": new_id(),
        "site": "HUB",
        "items": [{"supply": supply, "quantity": quantity}],
        "trained": True,
    }
    return api.post("/distributions", token, body)


def _lots_taken(response) -> dict[str, int]:
    return {lot["lot_number"]: lot["quantity"] for lot in response.get_json()["items"][0]["lots"]}


def _on_hand(api, token) -> dict[str, int]:
    rows = api.get("/stock", token, site="HUB").get_json()
    return {row["lot_number"]: row["quantity"] for row in rows if row["supply"] == "NARCAN4"}


def test_a_lot_expiring_today_is_still_given_today_and_first(make, program, api):
    make.receive("HUB", "NARCAN4", 3, lot="LATER", expires_in_days=90)
    make.receive("HUB", "NARCAN4", 3, lot="TODAY", expires_in_days=0)
    response = _give(api, program["tokens"]["staff"], 4)
    assert response.status_code == 201
    assert _lots_taken(response) == {"TODAY": 3, "LATER": 1}


def test_past_the_first_lots_read_expired_and_quarantined_lots_are_still_never_given(
    make, program, api
):
    """A distribution reads a site's first few lots and all of them only when those fall
    short: that second reading must leave out unusable lots as the first does."""
    lots = ledger.FIRST_BATCHES + 1
    for number in range(lots):
        make.receive("HUB", "NARCAN4", 1, lot=f"GOOD{number}", expires_in_days=30 + number)
    make.receive("HUB", "NARCAN4", 10, lot="OLD", expires_in_days=-5)
    make.receive("HUB", "NARCAN4", 10, lot="HELD", expires_in_days=10)
    coordinator = program["tokens"]["coordinator"]
    held = {"supply": "NARCAN4", "lot_number": "HELD", "status": "quarantined"}
    assert api.post("/lots/status", coordinator, held).status_code == 201

    too_many = _give(api, program["tokens"]["staff"], lots + 1)
    assert too_many.status_code == 409
    assert f"{lots}" in too_many.get_json()["error"]["message"]

    response = _give(api, program["tokens"]["staff"], lots)
    assert response.status_code == 201
    assert _lots_taken(response) == {f"GOOD{number}": 1 for number in range(lots)}
    assert _on_hand(api, coordinator) == {"OLD": 10, "HELD": 10}


def test_a_used_up_lot_is_not_held_and_takes_no_part_in_the_next_removal(make, program, api):
    make.receive("HUB", "NARCAN4", 2, lot="FIRST", expires_in_days=20)
    make.receive("HUB", "NARCAN4", 5, lot="NEXT", expires_in_days=60)
    assert _lots_taken(_give(api, program["tokens"]["staff"], 2)) == {"FIRST": 2}
    response = _give(api, program["tokens"]["staff"], 1)
    # No zero-unit portion of FIRST in the removal (it would be a movement of 0 units).
    assert _lots_taken(response) == {"NEXT": 1}
    assert _on_hand(api, program["tokens"]["coordinator"]) == {"NEXT": 4}
