"""GET and POST /bundles: the usual kits the distribution screen offers as one tap."""

from supplies.extensions import db
from supplies.models import AuditEntry, Bundle
from tests.conftest import new_id


def _kit(**overrides):
    body = {
        "code": "usual",
        "name": "Narcan + 5 test strips",
        "items": [{"supply": "NARCAN4", "quantity": 2}, {"supply": "FTS", "quantity": 5}],
    }
    body.update(overrides)
    return body


def test_a_coordinator_creates_a_bundle_and_staff_list_it(program, api):
    created = api.post("/bundles", program["tokens"]["coordinator"], _kit())
    assert created.status_code == 201
    assert created.get_json() == {
        "code": "usual",
        "name": "Narcan + 5 test strips",
        "site": None,
        "active": True,
        "items": [{"supply": "NARCAN4", "quantity": 2}, {"supply": "FTS", "quantity": 5}],
    }
    van = _kit(code="van-kit", name="Van kit", site="VAN", items=[{"supply": "FTS", "quantity": 3}])
    assert api.post("/bundles", program["tokens"]["admin"], van).status_code == 201
    # Staff of HUB see the program's bundle, not the van's.
    listed = api.get("/bundles", program["tokens"]["staff"]).get_json()
    assert [b["code"] for b in listed] == ["usual"]
    at_van = api.get("/bundles", program["tokens"]["coordinator"], site="VAN").get_json()
    assert [b["code"] for b in at_van] == ["usual", "van-kit"]
    assert api.get("/bundles", program["tokens"]["staff"], site="VAN").status_code == 403
    assert (
        db.session.execute(
            db.select(AuditEntry.action).where(AuditEntry.object_id == "usual")
        ).scalar_one()
        == "bundle.create"
    )


def test_bad_bundles_name_their_fields(program, api):
    token = program["tokens"]["coordinator"]
    body = _kit(
        code="bad code",
        name="",
        site="NOPE",
        items=[
            {"supply": "NARCAN4", "quantity": 0},
            {"supply": "NOPE", "quantity": 1},
            {"supply": "NARCAN4", "quantity": 1},
        ],
    )
    response = api.post("/bundles", token, body)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {
        "code",
        "name",
        "site",
        "items[0].quantity",
        "items[1].supply",
        "items[2].supply",
    }
    assert api.post("/bundles", token, _kit(items=[])).status_code == 422
    odd = _kit(items=[{"supply": {}, "quantity": 1}, {"supply": ["FTS"], "quantity": 1}])
    refused = api.post("/bundles", token, odd)  # once a server error (schemathesis)
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {"items[0].supply", "items[1].supply"}
    assert api.post("/bundles", token, _kit()).status_code == 201
    again = api.post("/bundles", token, _kit(name="Another"))
    assert again.status_code == 409
    assert again.get_json()["error"]["fields"] == {"code": "is already in use"}
    assert db.session.execute(db.select(db.func.count(Bundle.id))).scalar() == 1


def test_staff_and_funders_cannot_create_bundles(program, api):
    assert api.post("/bundles", program["tokens"]["staff"], _kit()).status_code == 403
    assert api.post("/bundles", program["tokens"]["funder"], _kit()).status_code == 403
    assert api.get("/bundles", program["tokens"]["funder"]).status_code == 403


def test_trained_null_is_not_asked(make, program, api):
    make.receive("HUB", "FTS", 10)
    token = program["tokens"]["staff"]
    base = {"site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
    for trained in (None, "absent", True, False):
        body = {"id": new_id(), **base}
        if trained != "absent":
            body["trained"] = trained
        response = api.post("/distributions", token, body)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["trained"] == (None if trained == "absent" else trained)
    listed = api.get("/distributions", token).get_json()["items"]
    assert sorted(str(item["trained"]) for item in listed) == ["False", "None", "None", "True"]
