"""POST /distributions, voids and listing: the field path of the offline queue."""

from datetime import datetime, timedelta, timezone

from supplies.extensions import db
from supplies.models import DistributionEvent, Movement, Site
from tests.conftest import new_id


def _event(**overrides):
    body = {
        "id": new_id(),
        "site": "HUB",
        "items": [{"supply": "NARCAN4", "quantity": 2}, {"supply": "FTS", "quantity": 10}],
        "recipient_type": "person_who_uses_drugs",
        "age_band": "25_34",
        "first_time": "yes",
        "for_others": False,
        "trained": True,
        "language": "es",
    }
    body.update(overrides)
    return body


def _stock(api, token, site="HUB"):
    rows = api.get("/stock", token, site=site).get_json()
    totals = {}
    for row in rows:
        totals[row["supply"]] = totals.get(row["supply"], 0) + row["quantity"]
    return totals


def test_distribution_is_recorded_and_lowers_stock(make, program, api):
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 100)
    token = program["tokens"]["staff"]
    response = api.post("/distributions", token, _event())
    assert response.status_code == 201
    body = response.get_json()
    assert body["site"] == "HUB"
    assert body["setting"] == "fixed_site"
    assert {item["supply"]: item["quantity"] for item in body["items"]} == {"NARCAN4": 2, "FTS": 10}
    assert next(i for i in body["items"] if i["supply"] == "NARCAN4")["doses"] == 4
    assert _stock(api, token) == {"NARCAN4": 8, "FTS": 90}


def test_replay_with_same_body_records_once(make, program, api):
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 100)
    token = program["tokens"]["staff"]
    event = _event()
    first = api.post("/distributions", token, event)
    second = api.post("/distributions", token, event)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.get_json() == first.get_json()
    assert db.session.execute(db.select(db.func.count(DistributionEvent.id))).scalar() == 1
    assert _stock(api, token) == {"NARCAN4": 8, "FTS": 90}


def test_same_id_with_other_body_is_a_conflict(make, program, api):
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 100)
    token = program["tokens"]["staff"]
    event = _event()
    assert api.post("/distributions", token, event).status_code == 201
    changed = {**event, "items": [{"supply": "NARCAN4", "quantity": 1}]}
    response = api.post("/distributions", token, changed)
    assert response.status_code == 409
    assert response.get_json()["error"]["fields"] == {"id": "already used for a different request"}


def test_too_little_stock_is_409_and_records_nothing(make, program, api):
    make.receive("HUB", "NARCAN4", 1)
    make.receive("HUB", "FTS", 100)
    token = program["tokens"]["staff"]
    response = api.post("/distributions", token, _event())
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "insufficient_stock"
    assert error["fields"] == {"items[0].quantity": "only 1 available"}
    assert error["available"] == {"NARCAN4": 1}
    assert _stock(api, token) == {"NARCAN4": 1, "FTS": 100}
    assert db.session.execute(db.select(db.func.count(Movement.id))).scalar() == 2


def test_first_expiry_first_out_skips_expired_and_quarantined(make, program, api):
    make.receive("HUB", "NARCAN4", 5, lot="LATE", expires_in_days=400)
    make.receive("HUB", "NARCAN4", 1, lot="SOON", expires_in_days=30)
    make.receive("HUB", "NARCAN4", 5, lot="GONE", expires_in_days=-1)
    make.receive("HUB", "NARCAN4", 5, lot="HELD", expires_in_days=10)
    admin = program["tokens"]["admin"]
    body = {"supply": "NARCAN4", "lot_number": "HELD", "status": "quarantined"}
    assert api.post("/lots/status", admin, body).status_code == 201
    event = _event(items=[{"supply": "NARCAN4", "quantity": 3}])
    response = api.post("/distributions", program["tokens"]["staff"], event)
    assert response.status_code == 201
    lots = response.get_json()["items"][0]["lots"]
    assert lots == [{"lot_number": "SOON", "quantity": 1}, {"lot_number": "LATE", "quantity": 2}]
    too_many = _event(items=[{"supply": "NARCAN4", "quantity": 4}])
    response = api.post("/distributions", program["tokens"]["staff"], too_many)
    assert response.status_code == 409
    assert response.get_json()["error"]["available"] == {"NARCAN4": 3}


def test_zip_is_cut_to_three_digits_and_unknown_fields_refused(make, program, api):
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 100)
    token = program["tokens"]["staff"]
    response = api.post("/distributions", token, _event(area="97214"))
    assert response.status_code == 201
    assert response.get_json()["area"] == "972"
    response = api.post("/distributions", token, _event(name="Jane Doe", phone="555-0100"))
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"name", "phone"}
    response = api.post(
        "/distributions", token, _event(items=[{"supply": "FTS", "quantity": 1, "note": "x"}])
    )
    assert response.status_code == 422
    assert "items[0].note" in response.get_json()["error"]["fields"]


def test_invalid_values_name_their_fields(make, program, api):
    make.receive("HUB", "NARCAN4", 10)
    token = program["tokens"]["staff"]
    future = (datetime.now(timezone.utc) + timedelta(minutes=10)).isoformat()
    body = _event(
        occurred_at=future,
        age_band="thirty",
        trained="yes",
        area="12 Main Street",
        items=[
            {"supply": "NARCAN4", "quantity": "2"},
            {"supply": "FTS", "quantity": 1.5},
            {"supply": "NOPE", "quantity": 1},
            {"supply": "NARCAN4", "quantity": True},
        ],
    )
    response = api.post("/distributions", token, body)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {
        "occurred_at",
        "age_band",
        "trained",
        "area",
        "items[0].quantity",
        "items[1].quantity",
        "items[2].supply",
        "items[3].supply",
    }
    for quantity in (0, 100001, -1):
        response = api.post(
            "/distributions", token, _event(items=[{"supply": "FTS", "quantity": quantity}])
        )
        assert response.status_code == 422
    assert api.post("/distributions", token, _event(id=None)).status_code == 422
    assert api.post("/distributions", token, _event(id="not-a-uuid")).status_code == 422
    assert api.post("/distributions", token, _event(items=[])).status_code == 422


def test_malformed_bodies_are_400_never_500(program, client):
    headers = {"Authorization": f"Bearer {program['tokens']['staff']}"}
    for data, content_type in (
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ("x=1", "application/x-www-form-urlencoded"),
        ("[" * 100000 + "]" * 100000, "application/json"),
        ("null", "application/json"),
    ):
        response = client.post(
            "/api/v1/distributions", data=data, content_type=content_type, headers=headers
        )
        assert response.status_code == 400, data[:20]
        assert response.get_json()["error"]["code"] == "malformed"


def test_staff_cannot_log_at_another_site(make, program, api):
    make.receive("VAN", "FTS", 100)
    body = _event(site="VAN", items=[{"supply": "FTS", "quantity": 1}])
    response = api.post("/distributions", program["tokens"]["staff"], body)
    assert response.status_code == 403
    assert api.post("/distributions", program["tokens"]["funder"], body).status_code == 403
    assert api.post("/distributions", program["tokens"]["coordinator"], body).status_code == 201


def test_a_partner_agency_logs_no_distributions(make, program, api):
    """Its units are counted by its monthly reports; an event there would count them twice."""
    make.site("CLINIC", "partner_agency")
    make.receive("CLINIC", "FTS", 100)
    body = _event(site="CLINIC", items=[{"supply": "FTS", "quantity": 1}])
    response = api.post("/distributions", program["tokens"]["coordinator"], body)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "site": "is a partner agency: it reports what it hands out each month"
    }
    # Staff of other sites learn nothing more than before: not theirs.
    assert api.post("/distributions", program["tokens"]["staff"], body).status_code == 403
    assert db.session.execute(db.select(db.func.count(DistributionEvent.id))).scalar() == 0
    assert _stock(api, program["tokens"]["coordinator"], site="CLINIC") == {"FTS": 100}


def test_an_event_recorded_before_its_site_became_a_partner_still_answers_its_replay(
    make, program, api
):
    """A phone that never heard the answer sends the same event again: 200, nothing new."""
    make.receive("VAN", "FTS", 100)
    token = program["tokens"]["coordinator"]
    body = _event(site="VAN", items=[{"supply": "FTS", "quantity": 3}])
    first = api.post("/distributions", token, body)
    assert first.status_code == 201
    # As an older install may hold: events at a site that is a partner agency now.
    db.session.execute(db.update(Site).where(Site.code == "VAN").values(kind="partner_agency"))
    db.session.commit()
    again = api.post("/distributions", token, body)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    fresh = api.post("/distributions", token, {**body, "id": new_id()})
    assert fresh.status_code == 422
    assert db.session.execute(db.select(db.func.count(DistributionEvent.id))).scalar() == 1


def test_void_reverses_stock_once(make, program, api):
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 100)
    token = program["tokens"]["staff"]
    event = _event()
    api.post("/distributions", token, event)
    response = api.post(f"/distributions/{event['id']}/void", token, {"reason": "duplicate"})
    assert response.status_code == 201
    assert response.get_json()["voided"] is True
    assert _stock(api, token) == {"NARCAN4": 10, "FTS": 100}
    again = api.post(f"/distributions/{event['id']}/void", token, {"reason": "duplicate"})
    assert again.status_code == 409
    assert _stock(api, token) == {"NARCAN4": 10, "FTS": 100}
    missing = api.post(f"/distributions/{new_id()}/void", token, {"reason": "other"})
    assert missing.status_code == 404
    assert api.post("/distributions/nope/void", token, {"reason": "other"}).status_code == 404
    assert api.post(f"/distributions/{event['id']}/void", token, {}).status_code == 422


def test_void_replay_with_same_id_is_200(make, program, api):
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 100)
    token = program["tokens"]["staff"]
    event = _event()
    api.post("/distributions", token, event)
    void = {"id": new_id(), "reason": "entered_in_error"}
    assert api.post(f"/distributions/{event['id']}/void", token, void).status_code == 201
    assert api.post(f"/distributions/{event['id']}/void", token, void).status_code == 200
    assert _stock(api, token) == {"NARCAN4": 10, "FTS": 100}


def test_staff_void_rules(make, program, api):
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 100)
    coordinator_event = _event()
    api.post("/distributions", program["tokens"]["coordinator"], coordinator_event)
    response = api.post(
        f"/distributions/{coordinator_event['id']}/void",
        program["tokens"]["staff"],
        {"reason": "other"},
    )
    assert response.status_code == 403
    old = _event()
    api.post("/distributions", program["tokens"]["staff"], old)
    db.session.execute(
        db.update(DistributionEvent)
        .where(DistributionEvent.id == old["id"])
        .values(recorded_at=datetime.now(timezone.utc) - timedelta(hours=25))
    )
    db.session.commit()
    response = api.post(
        f"/distributions/{old['id']}/void", program["tokens"]["staff"], {"reason": "other"}
    )
    assert response.status_code == 403
    response = api.post(
        f"/distributions/{old['id']}/void", program["tokens"]["coordinator"], {"reason": "other"}
    )
    assert response.status_code == 201


def test_list_distributions_is_scoped_and_paginated(make, program, api):
    make.receive("HUB", "FTS", 100)
    make.receive("VAN", "FTS", 100)
    for site, role in (("HUB", "staff"), ("HUB", "staff"), ("VAN", "staff_van")):
        body = _event(site=site, items=[{"supply": "FTS", "quantity": 1}])
        assert api.post("/distributions", program["tokens"][role], body).status_code == 201
    page = api.get("/distributions", program["tokens"]["staff"], per_page=1).get_json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["next_page"] == 2
    assert "user" not in page["items"][0] and "user_id" not in page["items"][0]
    assert api.get("/distributions", program["tokens"]["staff"], site="VAN").status_code == 403
    everything = api.get("/distributions", program["tokens"]["coordinator"]).get_json()
    assert everything["total"] == 3
    assert api.get("/distributions", program["tokens"]["funder"]).status_code == 403
    today = datetime.now(timezone.utc).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert (
        api.get("/distributions", program["tokens"]["admin"], start=tomorrow).get_json()["total"]
        == 0
    )
    assert (
        api.get("/distributions", program["tokens"]["admin"], start="yesterday").status_code == 422
    )


def test_a_distribution_draws_on_every_batch_when_the_first_few_fall_short(make, program, api):
    for _ in range(11):
        make.receive("HUB", "FTS", 1)
    token = program["tokens"]["staff"]
    body = _event(items=[{"supply": "FTS", "quantity": 10}])
    response = api.post("/distributions", token, body)
    assert response.status_code == 201
    assert sum(lot["quantity"] for lot in response.get_json()["items"][0]["lots"]) == 10
    assert _stock(api, token) == {"FTS": 1}
    response = api.post("/distributions", token, _event(items=[{"supply": "FTS", "quantity": 2}]))
    assert response.status_code == 409
    assert response.get_json()["error"]["available"] == {"FTS": 1}


def test_a_retry_after_taking_the_last_units_answers_the_first_result(make, program, api):
    make.receive("HUB", "NARCAN4", 2)
    make.receive("HUB", "FTS", 10)
    token = program["tokens"]["staff"]
    event = _event()  # 2 NARCAN4 and 10 FTS: all there is
    first = api.post("/distributions", token, event)
    again = api.post("/distributions", token, event)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert _stock(api, token) == {}
    assert db.session.execute(db.select(db.func.count(DistributionEvent.id))).scalar() == 1


def test_lines_read_their_batches_together_and_still_reach_every_batch(make, program, api):
    make.receive("HUB", "NARCAN4", 5)
    for _ in range(20):
        make.receive("HUB", "FTS", 1)
    token = program["tokens"]["staff"]
    items = [{"supply": "NARCAN4", "quantity": 2}, {"supply": "FTS", "quantity": 18}]
    response = api.post("/distributions", token, _event(items=items))
    assert response.status_code == 201
    lots = {item["supply"]: item["lots"] for item in response.get_json()["items"]}
    assert lots["NARCAN4"] == [{"lot_number": "LOT1", "quantity": 2}]
    assert sum(lot["quantity"] for lot in lots["FTS"]) == 18
    assert _stock(api, token) == {"NARCAN4": 3, "FTS": 2}
