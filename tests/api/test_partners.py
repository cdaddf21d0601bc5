"""Partner agencies over the API: requests, their steps, monthly reports, and refusals."""

from datetime import date, datetime, timedelta

import pytest

from supplies.api import openapi
from supplies.services.stock import on_hand, transfers
from tests.api.jsonschema_check import errors, resolve
from tests.api.test_openapi_schema import _forbidden
from tests.conftest import new_id
from tests.services.partners.conftest import op, stop_offering


@pytest.fixture
def agencies(make, program):
    """CLINIC and SHELTER, a partner account and token each, and stock at HUB."""
    make.site("CLINIC", "partner_agency", name="Eastside Clinic")
    make.site("SHELTER", "partner_agency", name="Harbor Shelter", county="Birch County")
    clinic = make.user("clinic@example.org", "partner", sites=("CLINIC",))
    shelter = make.user("shelter@example.org", "partner", sites=("SHELTER",))
    make.receive("HUB", "NARCAN4", 30, lot="SOON", expires_in_days=40)
    make.receive("HUB", "NARCAN4", 30, lot="LATE", expires_in_days=400)
    make.receive("HUB", "FTS", 1000, days_ago=100)
    return {**program["tokens"], "clinic": make.token(clinic), "shelter": make.token(shelter)}


SPEC = openapi.openapi_spec()
SCHEMAS = SPEC["components"]["schemas"]


def _ask(api, token, site="CLINIC", items=None, **extra):
    body = {
        "id": new_id(),
        "site": site,
        "items": items
        or [{"supply": "NARCAN4", "quantity": 24}, {"supply": "FTS", "quantity": 50}],
        **extra,
    }
    return api.post("/requests", token, body)


def test_a_request_walks_from_submission_to_fulfilment(api, agencies, program):
    needed = (date.today() + timedelta(days=10)).isoformat()
    body = {
        "id": new_id(),
        "site": "CLINIC",
        "items": [{"supply": "NARCAN4", "quantity": 24}, {"supply": "FTS", "quantity": 50}],
        "needed_by": needed,
    }
    created = api.post("/requests", agencies["clinic"], body)
    assert created.status_code == 201, created.get_json()
    request_id = created.get_json()["id"]
    assert created.get_json()["status"] == "submitted"
    again = api.post("/requests", agencies["clinic"], body)
    assert again.status_code == 200 and again.get_json() == created.get_json()
    coordinator = agencies["coordinator"]
    listed = api.get("/requests", coordinator, status="submitted").get_json()
    assert [r["id"] for r in listed] == [request_id]
    partial = {"items": [{"supply": "NARCAN4", "quantity": 12}, {"supply": "FTS", "quantity": 50}]}
    approved = api.post(f"/requests/{request_id}/approve", coordinator, partial)
    assert approved.status_code == 201, approved.get_json()
    assert [i["approved"] for i in approved.get_json()["items"]] == [12, 50]
    assert api.post(f"/requests/{request_id}/approve", coordinator, partial).status_code == 200
    # The partner sees the new status at once.
    mine = api.get("/requests", agencies["clinic"]).get_json()
    assert [(r["id"], r["status"]) for r in mine] == [(request_id, "approved")]
    fulfil = {"from_site": "HUB"}
    sent = api.post(f"/requests/{request_id}/fulfil", coordinator, fulfil)
    assert sent.status_code == 201, sent.get_json()
    result = sent.get_json()
    assert result["status"] == "fulfilled" and result["from_site"] == "HUB"
    narcan = result["packing_slip"]["items"][0]
    assert [(x["lot_number"], x["quantity"]) for x in narcan["lots"]] == [("SOON", 12)]
    repeat = api.post(f"/requests/{request_id}/fulfil", coordinator, fulfil)
    assert repeat.status_code == 200 and repeat.get_json()["transfer"] == result["transfer"]
    held = {
        (row["supply"], row["lot_number"]): row["quantity"]
        for row in on_hand.stock_rows(program["users"]["admin"])
        if row["site"] == "CLINIC"
    }
    assert held == {("NARCAN4", "SOON"): 12, ("FTS", None): 50}


def test_decline_and_cancel_answer_like_every_step(api, agencies):
    coordinator = agencies["coordinator"]
    declined = _ask(api, agencies["clinic"]).get_json()["id"]
    refused = api.post(f"/requests/{declined}/decline", coordinator, {"reason": "no stock, sorry"})
    assert refused.status_code == 422 and "reason" in refused.get_json()["error"]["fields"]
    answer = api.post(f"/requests/{declined}/decline", coordinator, {"reason": "out_of_stock"})
    assert answer.status_code == 201 and answer.get_json()["decline_reason"] == "out_of_stock"
    late = api.post(f"/requests/{declined}/cancel", agencies["clinic"], {})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "conflict"
    withdrawn = _ask(api, agencies["clinic"]).get_json()["id"]
    # No body at all is a cancel too.
    first = api.client.post(
        f"/api/v1/requests/{withdrawn}/cancel",
        headers={"Authorization": f"Bearer {agencies['clinic']}"},
    )
    assert first.status_code == 201 and first.get_json()["status"] == "cancelled"
    assert api.post(f"/requests/{withdrawn}/cancel", agencies["clinic"], {}).status_code == 200


def test_fulfilment_with_too_little_stock_moves_nothing(api, agencies, program):
    coordinator = agencies["coordinator"]
    request_id = _ask(
        api,
        agencies["clinic"],
        items=[{"supply": "FTS", "quantity": 50}, {"supply": "NARCAN4", "quantity": 61}],
    ).get_json()["id"]
    answer = api.post(f"/requests/{request_id}/fulfil", coordinator, {"from_site": "HUB"})
    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error["code"] == "insufficient_stock" and error["available"] == {"NARCAN4": 60}
    rows = on_hand.stock_rows(program["users"]["admin"])
    assert not [row for row in rows if row["site"] == "CLINIC"]
    listed = api.get("/requests", coordinator).get_json()
    # Nothing of the step stays: the approval it made on the way rolled back with it.
    assert listed[0]["status"] == "submitted"


def test_a_supply_the_program_stopped_offering_is_refused_by_name(api, agencies, program):
    clinic, coordinator = agencies["clinic"], agencies["coordinator"]
    earlier = _ask(api, clinic).get_json()["id"]
    stop_offering(program["users"]["coordinator"])
    items = [{"supply": "FTS", "quantity": 50}, {"supply": "NARCAN4", "quantity": 6}]
    refused = _ask(api, clinic, items=items)
    assert refused.status_code == 422
    fields = refused.get_json()["error"]["fields"]
    assert fields == {"items[0].supply": "is not offered to partner agencies"}
    assert [r["id"] for r in api.get("/requests", coordinator).get_json()] == [earlier]
    # The other supplies can still be asked for.
    narcan_only = _ask(api, clinic, items=[{"supply": "NARCAN4", "quantity": 6}])
    assert narcan_only.status_code == 201
    # A request sent before, strips included, is still approved and sent in full.
    sent = api.post(f"/requests/{earlier}/fulfil", coordinator, {"from_site": "HUB"})
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["status"] == "fulfilled"
    assert {i["supply"]: i["approved"] for i in sent.get_json()["items"]} == {
        "NARCAN4": 24,
        "FTS": 50,
    }


def test_staff_funders_and_partners_cannot_approve_fulfil_or_decline(api, agencies):
    request_id = _ask(api, agencies["clinic"]).get_json()["id"]
    for who in ("staff", "funder", "clinic", "shelter"):
        for step, body in (
            ("approve", {}),
            ("fulfil", {"from_site": "HUB"}),
            ("decline", {"reason": "other"}),
        ):
            answer = api.post(f"/requests/{request_id}/{step}", agencies[who], body)
            assert answer.status_code == 403, (who, step)
    assert api.get("/requests", agencies["staff"]).status_code == 403
    assert api.get("/requests", agencies["funder"]).status_code == 403


def test_a_partner_reaches_no_other_agency(api, agencies):
    theirs = _ask(api, agencies["shelter"], site="SHELTER").get_json()["id"]
    clinic = agencies["clinic"]
    assert _ask(api, clinic, site="SHELTER").status_code == 403
    assert _ask(api, clinic, site="HUB").status_code == 403
    assert api.get("/requests", clinic).get_json() == []
    assert api.post(f"/requests/{theirs}/cancel", clinic, {}).status_code == 404
    assert api.get("/partner-reports", clinic, site="SHELTER").status_code == 403
    month = date.today().strftime("%Y-%m")
    report = {"site": "SHELTER", "month": month, "items": [{"supply": "FTS", "quantity": 0}]}
    assert api.post("/partner-reports", clinic, report).status_code == 403


def test_a_partner_reaches_no_stock_no_workbook_and_no_program_lists(api, agencies):
    clinic = agencies["clinic"]
    today = date.today().isoformat()
    for path, params in (
        ("/stock", {}),
        ("/stock", {"site": "CLINIC"}),
        ("/distributions", {}),
        ("/reports/funder.xlsx", {"start": today, "end": today}),
        ("/sites", {}),
        ("/supplies", {}),
        ("/funding-sources", {}),
        ("/areas", {}),
        ("/bundles", {}),
    ):
        assert api.get(path, clinic, **params).status_code == 403, path
    transfer = {"from_site": "HUB", "to_site": "CLINIC", "supply": "FTS", "quantity": 1}
    assert api.post("/transfers", clinic, transfer).status_code == 403
    event = {"id": new_id(), "site": "CLINIC", "items": [{"supply": "FTS", "quantity": 1}]}
    assert api.post("/distributions", clinic, event).status_code == 403
    assert api.post("/exports/events", clinic, {"start": today, "end": today}).status_code == 403


def test_monthly_reports_over_the_api(app, api, agencies, program):
    app.config["REPORTING_CLOSE_DAYS"] = 400
    coordinator = agencies["coordinator"]
    request_id = _ask(
        api, agencies["clinic"], items=[{"supply": "FTS", "quantity": 50}]
    ).get_json()["id"]
    api.post(f"/requests/{request_id}/fulfil", coordinator, {"from_site": "HUB"})
    month = date.today().strftime("%Y-%m")
    body = {
        "id": new_id(),
        "site": "CLINIC",
        "month": month,
        "items": [{"supply": "FTS", "quantity": 51}],
        "encounters": 14,
    }
    over = api.post("/partner-reports", agencies["clinic"], body)
    assert over.status_code == 422
    assert over.get_json()["error"]["fields"] == {
        "items[0].quantity": "Fentanyl test strip: at most 50 (received less already reported)"
    }
    body["items"] = [{"supply": "FTS", "quantity": 20}]
    sent = api.post("/partner-reports", agencies["clinic"], body)
    assert sent.status_code == 201, sent.get_json()
    assert api.post("/partner-reports", agencies["clinic"], body).status_code == 200
    fixed = {**body, "id": new_id(), "items": [{"supply": "FTS", "quantity": 25}]}
    corrected = api.post("/partner-reports", agencies["clinic"], fixed)
    assert corrected.status_code == 201 and corrected.get_json()["corrected"] is True
    listed = api.get("/partner-reports", coordinator, site="CLINIC").get_json()
    assert [(r["month"], r["items"], r["encounters"]) for r in listed] == [
        (month, [{"supply": "FTS", "quantity": 25}], 14)
    ]
    assert api.get("/partner-reports", agencies["shelter"]).get_json() == []
    assert api.get("/partner-reports", agencies["staff"]).status_code == 403
    # Coordinators see reports; they do not write them (DESIGN.md, roles).
    assert api.post("/partner-reports", coordinator, {**fixed, "id": new_id()}).status_code == 403
    start = (date.today() + timedelta(days=40)).isoformat()
    assert api.get("/partner-reports", coordinator, start=start).get_json() == []


def test_odd_input_gets_named_errors_not_500(api, agencies):
    clinic, coordinator = agencies["clinic"], agencies["coordinator"]
    for body in (
        {"site": "CLINIC", "items": []},
        {"site": "CLINIC", "items": [{"supply": "FTS", "quantity": "5"}]},
        {"site": "CLINIC", "items": [["FTS", 5]]},
        {"site": "CLINIC", "items": [{"supply": "FTS", "quantity": 5, "note": "x"}]},
        {"site": "CLINIC", "items": [{"supply": "FTS", "quantity": 5}], "needed_by": "soon"},
        {"site": 7, "items": [{"supply": "FTS", "quantity": 5}]},
    ):
        assert api.post("/requests", clinic, body).status_code == 422, body
    assert api.post("/requests", clinic, {"site": "CLINIC", "items": [], "x": 1}).status_code == 422
    assert api.get("/requests", coordinator, status="lost").status_code == 422
    assert api.post("/requests/not-a-uuid/approve", coordinator, {}).status_code == 404
    assert api.post(f"/requests/{new_id()}/approve", coordinator, {}).status_code == 404
    request_id = _ask(api, clinic).get_json()["id"]
    for body in ({"from_site": "NOPE"}, {}, {"from_site": "HUB", "items": "all"}):
        assert api.post(f"/requests/{request_id}/fulfil", coordinator, body).status_code == 422
    for month in ("2026-13", "26-01", "", None, 202601):
        body = {"site": "CLINIC", "month": month, "items": [{"supply": "FTS", "quantity": 1}]}
        assert api.post("/partner-reports", clinic, body).status_code == 422, month
    assert api.get("/partner-reports", coordinator, start="yesterday").status_code == 422
    assert api.get("/partner-reports", coordinator, site="NOPE").status_code == 422
    # A program site is no partner agency: a bad value of the query, as the document says
    # (found by schemathesis: it answered an undocumented 404).
    not_partner = api.get("/partner-reports", coordinator, site="HUB")
    assert not_partner.status_code == 422
    assert not_partner.get_json()["error"]["fields"] == {"site": "is not a partner agency"}


def test_back_dated_receipts_count_for_their_month(app, api, agencies, program):
    """A unit received in a month can be reported for that month, not for the one before."""
    app.config["REPORTING_CLOSE_DAYS"] = 400
    coordinator = program["users"]["coordinator"]
    today = date.today()
    last_month_day = today.replace(day=1) - timedelta(days=20)
    moment = datetime.combine(last_month_day, datetime.min.time()) + timedelta(hours=9)
    body = {
        "from_site": "HUB",
        "to_site": "CLINIC",
        "items": [{"supply": "FTS", "quantity": 30}],
        "occurred_at": moment.isoformat(),
    }
    transfers.transfer(coordinator, op(body), body)
    month = last_month_day.strftime("%Y-%m")
    report = {"site": "CLINIC", "month": month, "items": [{"supply": "FTS", "quantity": 30}]}
    assert api.post("/partner-reports", agencies["clinic"], report).status_code == 201
    next_report = {**report, "month": today.strftime("%Y-%m")}
    refused = api.post("/partner-reports", agencies["clinic"], next_report)
    assert refused.status_code == 422  # all 30 were reported for last month already


# --- the document and the answers agree ----------------------------------------------------


def _ok(path: str) -> dict:
    response = SPEC["paths"][path]["get"]["responses"]["200"]
    return response["content"]["application/json"]["schema"]


def test_list_answers_conform_to_the_document(app, api, agencies):
    app.config["REPORTING_CLOSE_DAYS"] = 400
    coordinator = agencies["coordinator"]
    declined = _ask(api, agencies["clinic"]).get_json()["id"]
    api.post(f"/requests/{declined}/decline", coordinator, {"reason": "other"})
    sent = _ask(api, agencies["clinic"], items=[{"supply": "FTS", "quantity": 5}]).get_json()["id"]
    api.post(f"/requests/{sent}/fulfil", coordinator, {"from_site": "HUB"})
    _ask(api, agencies["clinic"], needed_by=date.today().isoformat())
    report = {
        "site": "CLINIC",
        "month": date.today().strftime("%Y-%m"),
        "items": [{"supply": "FTS", "quantity": 2}],
        "reversals_reported": 1,
    }
    assert api.post("/partner-reports", agencies["clinic"], report).status_code == 201
    for path in ("/requests", "/partner-reports"):
        for token in (coordinator, agencies["clinic"]):
            answer = api.get(path, token).get_json()
            assert answer and not errors(SPEC, _ok(path), answer), (path, answer)


# Bodies, the example each breaks, who sends it, and where.
BODIES = {
    "SupplyRequest": (
        "clinic",
        "/requests",
        {"site": "CLINIC", "items": [{"supply": "FTS", "quantity": 1}]},
    ),
    "PartnerReport": (
        "clinic",
        "/partner-reports",
        {"site": "CLINIC", "month": "2026-01", "items": [{"supply": "FTS", "quantity": 0}]},
    ),
    "SupplyRequestFulfilment": ("coordinator", "/requests/{id}/fulfil", {"from_site": "HUB"}),
    "SupplyRequestDecline": ("coordinator", "/requests/{id}/decline", {"reason": "other"}),
    "SupplyRequestApproval": (
        "coordinator",
        "/requests/{id}/approve",
        {"items": [{"supply": "FTS", "quantity": 1}]},
    ),
}


@pytest.mark.parametrize("title", list(BODIES))
def test_what_the_document_forbids_is_refused_naming_the_field(api, agencies, title):
    who, path, example = BODIES[title]
    request_id = _ask(api, agencies["clinic"]).get_json()["id"]
    path = path.format(id=request_id)
    schema = SCHEMAS[title]
    variants = [
        ({k: x for k, x in example.items() if k != name}, name) for name in schema["required"]
    ]
    for name, field in schema["properties"].items():
        variants += [({**example, name: value}, name) for value in _forbidden(field)]
    item_schema = (
        resolve(SPEC, schema["properties"]["items"]["items"])
        if "items" in schema["properties"]
        else None
    )
    if item_schema and "items" in example:
        item = example["items"][0]
        for name, field in item_schema["properties"].items():
            variants += [
                ({**example, "items": [{**item, name: value}]}, f"items[0].{name}")
                for value in _forbidden(field)
            ]
    variants.append(({**example, "extra": 1}, "extra"))
    assert len(variants) >= 8
    for body, name in variants:
        assert errors(SPEC, schema, body), (title, body)
        response = api.post(path, agencies[who], body)
        assert response.status_code == 422, (title, body, response.get_json())
        assert name in response.get_json()["error"]["fields"], (title, body)


def test_two_coordinators_fulfilling_at_once_send_it_once(app, api, agencies, program):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from supplies.extensions import db

    request_id = _ask(api, agencies["clinic"], items=[{"supply": "FTS", "quantity": 10}])
    request_id = request_id.get_json()["id"]
    tokens = [agencies["coordinator"], agencies["admin"]] * 2
    start = threading.Barrier(len(tokens))

    def fulfil(token):
        client = app.test_client()
        start.wait()
        return client.post(
            f"/api/v1/requests/{request_id}/fulfil",
            json={"from_site": "HUB"},
            headers={"Authorization": f"Bearer {token}"},
        )

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        answers = list(pool.map(fulfil, tokens))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.get_json()["transfer"] for a in answers}) == 1
    db.session.remove()
    assert on_hand.check_ledger() == []
    held = [r for r in on_hand.stock_rows(program["users"]["admin"]) if r["site"] == "CLINIC"]
    assert [(r["supply"], r["quantity"]) for r in held] == [("FTS", 10)]
