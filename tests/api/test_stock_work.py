"""Receipts, transfers, adjustments, counts, lot status and stock through the API."""

import re

import pytest

from supplies.extensions import db
from supplies.models import Site
from tests.conftest import new_id, text


def _on_hand(api, token, site):
    rows = api.get("/stock", token, site=site).get_json()
    return {(r["supply"], r["lot_number"]): r["quantity"] for r in rows}


def test_receipt_creates_stock_with_lot_expiry_and_funding(program, api):
    token = program["tokens"]["coordinator"]
    body = {
        "id": new_id(),
        "site": "HUB",
        "supply": "NARCAN4",
        "quantity": 24,
        "lot_number": "A123",
        "expires_on": "2028-03-31",
        "funding": "SOR",
        "received_on": "2026-01-15",
    }
    response = api.post("/receipts", token, body)
    assert response.status_code == 201
    assert response.get_json()["lot_number"] == "A123"
    assert api.post("/receipts", token, body).status_code == 200
    rows = api.get("/stock", token, site="HUB").get_json()
    assert rows == [
        {
            "site": "HUB",
            "supply": "NARCAN4",
            "supply_name": "Narcan 4 mg nasal spray",
            "lot_number": "A123",
            "expires_on": "2028-03-31",
            "funding": "SOR",
            "status": "available",
            "expired": False,
            "quantity": 24,
            "days_left": None,  # nothing handed out yet: no rate, no forecast
        }
    ]


def test_receipt_rules(program, api):
    token = program["tokens"]["coordinator"]
    base = {"site": "HUB", "supply": "NARCAN4", "quantity": 5}
    response = api.post("/receipts", token, base)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"lot_number", "expires_on"}
    first = {**base, "lot_number": "L1", "expires_on": "2028-01-31"}
    assert api.post("/receipts", token, first).status_code == 201
    clash = {**base, "lot_number": "L1", "expires_on": "2029-01-31"}
    response = api.post("/receipts", token, clash)
    assert response.status_code == 422
    assert (
        "already known with expiry 2028-01-31"
        in response.get_json()["error"]["fields"]["expires_on"]
    )
    bad = {
        "site": "NOPE",
        "supply": "FTS",
        "quantity": 5,
        "funding": "NOPE",
        "received_on": "3000-01-01",
    }
    response = api.post("/receipts", token, bad)
    assert set(response.get_json()["error"]["fields"]) == {"site", "funding", "received_on"}
    assert api.post("/receipts", token, {**base, "colour": "red"}).status_code == 422
    assert (
        api.post("/receipts", program["tokens"]["staff"], {**first, "lot_number": "L2"}).status_code
        == 403
    )
    assert api.post("/receipts", program["tokens"]["funder"], first).status_code == 403


def test_transfer_moves_first_expiry_first_and_keeps_the_batch(make, program, api):
    make.receive("HUB", "NARCAN4", 5, lot="LATE", expires_in_days=500, funding="SOR")
    make.receive("HUB", "NARCAN4", 3, lot="SOON", expires_in_days=40)
    make.receive("HUB", "NARCAN4", 9, lot="OLD", expires_in_days=-3)
    token = program["tokens"]["coordinator"]
    body = {"from_site": "HUB", "to_site": "VAN", "supply": "NARCAN4", "quantity": 4}
    response = api.post("/transfers", token, body)
    assert response.status_code == 201
    assert [(lot["lot_number"], lot["quantity"]) for lot in response.get_json()["lots"]] == [
        ("SOON", 3),
        ("LATE", 1),
    ]
    assert _on_hand(api, token, "VAN") == {("NARCAN4", "SOON"): 3, ("NARCAN4", "LATE"): 1}
    assert _on_hand(api, token, "HUB") == {("NARCAN4", "LATE"): 4, ("NARCAN4", "OLD"): 9}
    van_rows = api.get("/stock", token, site="VAN").get_json()
    assert {r["lot_number"]: r["funding"] for r in van_rows} == {"SOON": None, "LATE": "SOR"}
    too_many = {**body, "quantity": 5}
    response = api.post("/transfers", token, too_many)
    assert response.status_code == 409
    assert response.get_json()["error"]["available"] == {"NARCAN4": 4}
    expired = {**body, "quantity": 1, "lot_number": "OLD"}
    assert api.post("/transfers", token, expired).status_code == 409
    same = {**body, "to_site": "HUB"}
    assert api.post("/transfers", token, same).status_code == 422


def test_adjustments(make, program, api):
    make.receive("HUB", "FTS", 50)
    token = program["tokens"]["coordinator"]
    body = {"site": "HUB", "supply": "FTS", "quantity": -5, "reason": "damaged"}
    assert api.post("/adjustments", token, body).status_code == 201
    assert _on_hand(api, token, "HUB") == {("FTS", None): 45}
    found = {"site": "HUB", "supply": "FTS", "quantity": 2, "reason": "found"}
    assert api.post("/adjustments", token, found).status_code == 201
    assert _on_hand(api, token, "HUB") == {("FTS", None): 47}
    other = {"site": "HUB", "supply": "FTS", "quantity": -1, "reason": "other"}
    response = api.post("/adjustments", token, other)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "note": "is required when the reason is other"
    }
    assert api.post("/adjustments", token, {**other, "note": "spilled"}).status_code == 201
    for quantity in (0, "3", 2.0, 100001):
        response = api.post("/adjustments", token, {**body, "quantity": quantity})
        assert response.status_code == 422
    response = api.post("/adjustments", token, {**body, "quantity": -100})
    assert response.status_code == 409
    response = api.post("/adjustments", token, {**body, "reason": "because"})
    assert response.status_code == 422


def test_a_stock_note_never_holds_a_persons_details(make, program, api):
    """A note about stock will one day be given a person: what can only be theirs is refused."""
    make.receive("HUB", "FTS", 50)
    token = program["tokens"]["coordinator"]
    lost = {"site": "HUB", "supply": "FTS", "quantity": -1, "reason": "lost_or_stolen"}
    refusal = (
        "must describe the stock, not a person: no phone numbers, emails, birth dates or ID numbers"
    )
    for note in (
        "Maria DOB 3/4/1990 took it",
        "her phone 555-123-4567",
        "call (555) 123 4567",
        "maria@example.org",
        "born 1988",
        "SSN 123-45-6789",
        "fecha de nacimiento 04/03/1990",
    ):
        response = api.post("/adjustments", token, {**lost, "note": note})
        assert response.status_code == 422, note
        assert response.get_json()["error"]["fields"] == {"note": refusal}
    assert _on_hand(api, token, "HUB") == {("FTS", None): 50}
    for note in ("left in the van overnight", "box 12 of 24 wet, expired 11/30/2026"):
        assert api.post("/adjustments", token, {**lost, "note": note}).status_code == 201
    recall = {"supply": "FTS", "lot_number": "X", "status": "recalled", "note": "tel 5551234567"}
    response = api.post("/lots/status", token, recall)
    assert response.get_json()["error"]["fields"] == {"note": refusal}


def test_counts(make, program, api):
    make.receive("HUB", "FTS", 50)
    coordinator = program["tokens"]["coordinator"]
    response = api.post("/counts", coordinator, {"site": "HUB", "supply": "FTS", "counted": 44})
    assert response.status_code == 201
    assert response.get_json()["difference"] == -6
    assert _on_hand(api, coordinator, "HUB") == {("FTS", None): 44}
    response = api.post("/counts", coordinator, {"site": "HUB", "supply": "FTS", "counted": 46})
    assert response.get_json() | {"id": None} == {
        "id": None,
        "site": "HUB",
        "supply": "FTS",
        "lot_number": None,
        "counted": 46,
        "expected": 44,
        "difference": 2,
    }
    staff = program["tokens"]["staff"]
    assert (
        api.post("/counts", staff, {"site": "VAN", "supply": "FTS", "counted": 1}).status_code
        == 403
    )
    assert (
        api.post("/counts", staff, {"site": "HUB", "supply": "FTS", "counted": -1}).status_code
        == 422
    )
    response = api.post("/counts", coordinator, {"site": "HUB", "supply": "FTS", "counted": 0})
    assert response.status_code == 201
    assert _on_hand(api, coordinator, "HUB") == {}


def test_a_partner_agency_is_never_counted(make, program, api, screens):
    """What an agency holds is what it received less what it reported; a count there would
    take the reported units off twice."""
    make.site("CLINIC", "partner_agency")
    make.receive("CLINIC", "FTS", 100)
    coordinator = program["tokens"]["coordinator"]
    response = api.post("/counts", coordinator, {"site": "CLINIC", "supply": "FTS", "counted": 40})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "site": "is a partner agency: it reports what it hands out each month"
    }
    assert _on_hand(api, coordinator, "CLINIC") == {("FTS", None): 100}
    screens.login("coord@example.org")
    assert "/inventory/sites/CLINIC/count" not in text(screens.get("/inventory/count"))
    assert "/inventory/sites/HUB/count" in text(screens.get("/inventory/count"))
    assert screens.get("/inventory/sites/CLINIC/count").status_code == 404


def test_counts_made_before_a_site_became_a_partner(make, program, api, screens):
    """A waiting count holds the site's kind; where the kind changed anyway (an older
    install), a replay answers as before and the waiting count says to discard it."""
    make.receive("VAN", "FTS", 50)
    coordinator, staff = program["tokens"]["coordinator"], program["tokens"]["staff_van"]
    waiting = api.post(
        "/counts", staff, {"id": new_id(), "site": "VAN", "supply": "FTS", "counted": 9}
    )
    assert waiting.status_code == 202
    screens.login("coord@example.org")
    edit = {"name": "Van", "kind": "partner_agency", "county": ""}
    response = screens.post("/inventory/catalog/site/VAN/edit", edit)
    assert response.status_code == 422 and "counts waiting" in text(response)
    counted = {"id": new_id(), "site": "VAN", "supply": "FTS", "counted": 48}
    first = api.post("/counts", coordinator, counted)
    assert first.status_code == 201
    db.session.execute(db.update(Site).where(Site.code == "VAN").values(kind="partner_agency"))
    db.session.commit()
    again = api.post("/counts", coordinator, counted)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    confirm = api.post(f"/counts/{waiting.get_json()['id']}/confirm", coordinator, {})
    assert confirm.status_code == 409
    assert confirm.get_json()["error"]["fields"] == {
        "id": "its site is a partner agency now: discard this count"
    }
    assert _on_hand(api, coordinator, "VAN") == {("FTS", None): 48}
    review = text(screens.get(f"/inventory/counts/{waiting.get_json()['id']}"))
    assert "Confirm count" not in review and "can only be discarded" in review
    assert "Discard" in review
    session = waiting.get_json()["id"]
    assert api.post(f"/counts/{session}/discard", staff, {}).status_code == 403
    dropped = api.post(f"/counts/{session}/discard", coordinator, {})
    assert dropped.status_code == 201 and dropped.get_json()["status"] == "discarded"
    assert api.post(f"/counts/{session}/discard", coordinator, {}).status_code == 409
    assert api.post("/counts/not-a-uuid/discard", coordinator, {}).status_code == 404
    assert _on_hand(api, coordinator, "VAN") == {("FTS", None): 48}


def test_a_staff_count_waits_for_a_coordinator_as_on_the_screens(make, program, api):
    make.receive("HUB", "FTS", 50)
    staff, coordinator = program["tokens"]["staff"], program["tokens"]["coordinator"]
    body = {"id": new_id(), "site": "HUB", "supply": "FTS", "counted": 100000}
    held = api.post("/counts", staff, body)
    assert held.status_code == 202, held.get_json()
    answer = held.get_json()
    assert answer["id"] == body["id"] and answer["status"] == "submitted"
    assert answer["lines"] == [
        {"supply": "FTS", "lot_number": None, "expected": 50, "counted": 100000}
    ]
    assert _on_hand(api, staff, "HUB") == {("FTS", None): 50}  # nothing changed yet
    assert api.post("/counts", staff, body).status_code == 202  # a retry records nothing new
    # Staff cannot confirm their own count; the count screens list it for a coordinator.
    assert api.post(f"/counts/{body['id']}/confirm", staff, {}).status_code == 403
    confirmed = api.post(f"/counts/{body['id']}/confirm", coordinator, {})
    assert confirmed.status_code == 201, confirmed.get_json()
    assert confirmed.get_json()["lines"][0]["difference"] == 100000 - 50
    assert _on_hand(api, staff, "HUB") == {("FTS", None): 100000}
    again = api.post(f"/counts/{body['id']}/confirm", coordinator, {})
    assert again.status_code == 409
    # No body at all is fine too; an id that is not a UUID, or unknown, is a 404.
    assert (
        api.client.post(
            f"/api/v1/counts/{new_id()}/confirm", headers={"Authorization": f"Bearer {coordinator}"}
        ).status_code
        == 404
    )
    assert api.post("/counts/not-a-uuid/confirm", coordinator, {}).status_code == 404


def test_recall_blocks_the_lot_everywhere_and_release_restores_it(make, program, api):
    make.receive("HUB", "NARCAN4", 5, lot="BAD")
    make.receive("VAN", "NARCAN4", 5, lot="BAD")
    coordinator = program["tokens"]["coordinator"]
    recall = {"supply": "NARCAN4", "lot_number": "BAD", "status": "recalled", "note": "FDA notice"}
    response = api.post("/lots/status", coordinator, recall)
    assert response.status_code == 201
    assert response.get_json()["batches"] == 2
    statuses = {r["status"] for r in api.get("/stock", coordinator).get_json()}
    assert statuses == {"recalled"}
    event = {"id": new_id(), "site": "VAN", "items": [{"supply": "NARCAN4", "quantity": 1}]}
    response = api.post("/distributions", program["tokens"]["staff_van"], event)
    assert response.status_code == 409
    again = {**recall, "status": "available"}
    assert api.post("/lots/status", coordinator, again).status_code == 201
    assert api.post("/distributions", program["tokens"]["staff_van"], event).status_code == 201
    missing = {**recall, "lot_number": "NOPE"}
    assert api.post("/lots/status", coordinator, missing).status_code == 404
    assert api.post("/lots/status", program["tokens"]["staff"], recall).status_code == 403


def test_stock_visibility_by_role(make, program, api):
    make.receive("HUB", "FTS", 5)
    make.receive("VAN", "FTS", 7)
    staff = program["tokens"]["staff"]
    assert {r["site"] for r in api.get("/stock", staff).get_json()} == {"HUB"}
    assert api.get("/stock", staff, site="VAN").status_code == 403
    assert {r["site"] for r in api.get("/stock", program["tokens"]["admin"]).get_json()} == {
        "HUB",
        "VAN",
    }
    assert api.get("/stock", program["tokens"]["funder"]).status_code == 403
    assert api.get("/stock", program["tokens"]["admin"], site="NOPE").status_code == 422


def test_catalog_endpoints(program, api):
    coordinator = program["tokens"]["coordinator"]
    site = {
        "code": "OUT1",
        "name": "Riverside outreach",
        "kind": "outreach",
        "county": "Alder County",
    }
    assert api.post("/sites", coordinator, site).status_code == 201
    assert api.post("/sites", coordinator, site).status_code == 409
    assert (
        api.post("/sites", coordinator, {**site, "code": "X2", "kind": "castle"}).status_code == 422
    )
    assert api.post("/sites", program["tokens"]["staff"], {**site, "code": "X3"}).status_code == 403
    codes = [s["code"] for s in api.get("/sites", coordinator).get_json()]
    assert codes == ["HUB", "OUT1", "VAN"]
    assert [s["code"] for s in api.get("/sites", program["tokens"]["staff"]).get_json()] == ["HUB"]
    supply = {
        "code": "ZIMHI",
        "name": "Zimhi 5 mg",
        "category": "naloxone_injectable",
        "unit": "syringe",
        "doses_per_unit": 1,
        "tracks_lots": True,
    }
    assert api.post("/supplies", coordinator, supply).status_code == 201
    response = api.post(
        "/supplies",
        coordinator,
        {**supply, "code": "Z2", "doses_per_unit": 0, "tracks_lots": False},
    )
    assert set(response.get_json()["error"]["fields"]) == {"doses_per_unit", "tracks_lots"}
    assert "ZIMHI" in [
        s["code"] for s in api.get("/supplies", program["tokens"]["funder"]).get_json()
    ]
    funding = {
        "code": "FY27",
        "name": "Foundation 2027",
        "starts_on": "2027-01-01",
        "ends_on": "2026-12-31",
    }
    response = api.post("/funding-sources", coordinator, funding)
    assert response.status_code == 422 and "ends_on" in response.get_json()["error"]["fields"]
    assert (
        api.post("/funding-sources", coordinator, {**funding, "ends_on": "2027-12-31"}).status_code
        == 201
    )
    assert "FY27" in [f["code"] for f in api.get("/funding-sources", coordinator).get_json()]


@pytest.mark.parametrize(
    "path",
    ["/sites", "/supplies", "/funding-sources", "/stock", "/distributions"],
)
def test_no_token_or_bad_token_is_401(program, api, client, path):
    assert api.get(path, None).status_code == 401
    response = api.get(path, "not-a-token")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert client.get(f"/api/v1{path}", headers={"Authorization": "Basic abc"}).status_code == 401


def test_session_writes_need_the_csrf_token(make, program, auth, client):
    make.receive("HUB", "FTS", 10)
    auth.login("staff@example.org")
    body = {"id": new_id(), "site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
    response = client.post("/api/v1/distributions", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf"
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/home", follow_redirects=True).get_data(as_text=True))
    response = client.post("/api/v1/distributions", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()
    assert client.get("/api/v1/stock").status_code == 200


def test_openapi_describes_every_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(\w+:)?\w+>", "{id}", rule.rule.removeprefix("/api/v1"))
            assert path in documented, f"{rule.rule} is missing from openapi.json"
    assert spec["paths"]["/distributions"]["post"]["responses"]["409"]


def test_unknown_api_route_and_method_are_json(program, api, client):
    response = api.get("/nothing-here", program["tokens"]["admin"])
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    response = client.delete(
        "/api/v1/sites", headers={"Authorization": f"Bearer {program['tokens']['admin']}"}
    )
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
