"""Who may void a distribution, what a void leaves behind, and how the list shows it."""

from supplies.extensions import db
from supplies.models import AuditEntry, DistributionEvent
from supplies.services import catalog
from supplies.services.accounts import users as accounts
from supplies.services.db.operations import OperationRequest
from tests.conftest import new_id


def _event(site="HUB", supply="FTS", quantity=2):
    return {
        "id": new_id(),
        "site": site,
        "items": [{"supply": supply, "quantity": quantity}],
        "trained": True,
    }


def _void(api, token, event_id, reason="entered_in_error"):
    return api.post(f"/distributions/{event_id}/void", token, {"reason": reason})


def _fts_on_hand(api, token, site="HUB") -> int:
    rows = api.get("/stock", token, site=site).get_json()
    return sum(row["quantity"] for row in rows if row["supply"] == "FTS")


def test_staff_who_lost_the_site_cannot_void_their_own_distribution(make, program, api):
    make.receive("HUB", "FTS", 20)
    staff = program["tokens"]["staff"]
    event = _event()
    assert api.post("/distributions", staff, event).status_code == 201
    admin = program["users"]["admin"]
    accounts.update_user(admin, program["users"]["staff"].id, "Moved", "staff", ["VAN"])

    assert _void(api, staff, event["id"]).status_code == 403
    coordinator = program["tokens"]["coordinator"]
    assert _fts_on_hand(api, coordinator) == 18  # nothing given back
    listed = api.get("/distributions", coordinator, site="HUB").get_json()
    assert [row["voided"] for row in listed["items"]] == [False]


def test_a_void_is_audited_with_its_reason_and_who_voided(make, program, api):
    make.receive("HUB", "FTS", 20)
    staff = program["tokens"]["staff"]
    event = _event()
    api.post("/distributions", staff, event)
    assert _void(api, staff, event["id"], "duplicate").status_code == 201
    entries = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "distribution.void")
    ).scalars()
    assert [(e.actor_id, e.object_type, e.object_id, e.changes) for e in entries] == [
        (program["users"]["staff"].id, "distribution", event["id"], {"reason": "duplicate"})
    ]
    assert _fts_on_hand(api, program["tokens"]["coordinator"]) == 20


def test_the_list_says_which_distributions_were_voided(make, program, api):
    make.receive("HUB", "FTS", 20)
    staff = program["tokens"]["staff"]
    kept, voided = _event(), _event()
    for event in (kept, voided):
        api.post("/distributions", staff, event)
    _void(api, staff, voided["id"])
    listed = api.get("/distributions", program["tokens"]["coordinator"], site="HUB").get_json()
    assert {row["id"]: row["voided"] for row in listed["items"]} == {
        kept["id"]: False,
        voided["id"]: True,
    }


def test_an_inactive_supply_is_not_handed_out(make, program, api):
    make.supply("CONDOM", name="Condom")
    request = OperationRequest.new(new_id(), {"active": False})
    catalog.set_active(make.admin, request, "supply", "CONDOM", False)
    response = api.post("/distributions", program["tokens"]["staff"], _event(supply="CONDOM"))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"items[0].supply": "this supply is inactive"}


def test_voiding_a_distribution_that_does_not_exist_says_so(program, api):
    response = _void(api, program["tokens"]["coordinator"], new_id())
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "No such distribution."


def test_staff_are_told_why_they_may_not_void(make, program, api):
    make.receive("HUB", "FTS", 20)
    coordinators = _event()
    api.post("/distributions", program["tokens"]["coordinator"], coordinators)
    response = _void(api, program["tokens"]["staff"], coordinators["id"])
    assert response.status_code == 403
    message = response.get_json()["error"]["message"]
    assert message == "Staff can void only distributions they recorded."


def test_a_second_void_is_refused_naming_the_id_and_the_first_voider_is_kept(make, program, api):
    make.receive("HUB", "FTS", 20)
    staff = program["tokens"]["staff"]
    event = _event()
    api.post("/distributions", staff, event)
    assert _void(api, staff, event["id"]).status_code == 201
    again = _void(api, program["tokens"]["coordinator"], event["id"])
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["message"] == "This distribution was already voided."
    assert error["fields"] == {"id": "already voided"}
    stored = db.session.get(DistributionEvent, event["id"])
    assert stored.voided_by_id == program["users"]["staff"].id
    assert stored.void_reason == "entered_in_error"
    assert _fts_on_hand(api, program["tokens"]["coordinator"]) == 20  # given back once
