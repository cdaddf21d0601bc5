"""Areas from a list (DESIGN.md principle 1): a name typed as an area never gets in or out."""

from datetime import timedelta

import pytest

from supplies.api.openapi import openapi_spec
from supplies.extensions import db
from supplies.models import DistributionEvent
from supplies.services import areas
from supplies.services.common import clock
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from supplies.services.reporting.suppression import counted_breakdowns, encounter_tallies
from tests.conftest import csrf_token_from, new_id

NAMES = ["John Smith", "Jane Doe-Roe", "Apt B Elm St", "Alder County 9", "12 Main Street"]


def _event(**fields):
    body = {"id": new_id(), "site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
    return {**body, **fields}


@pytest.fixture
def listed(make, program):
    make.receive("HUB", "FTS", 100)
    make.area("Alder County", "OR")
    make.area("Doña Ana County", "NM")
    make.area(zip3="972")
    return program


def test_the_list_is_kept_at_the_api_by_admins_and_coordinators(make, program, api):
    tokens = program["tokens"]
    county = api.post("/areas", tokens["coordinator"], {"name": "Doña Ana County", "state": "nm"})
    assert county.status_code == 201
    assert county.get_json() == {
        "kind": "county",
        "name": "Doña Ana County",
        "state": "NM",
        "zip3": None,
    }
    assert api.post("/areas", tokens["admin"], {"zip3": "972"}).status_code == 201
    # The same county however spelled, and the same prefix, are refused as duplicates.
    again = api.post("/areas", tokens["admin"], {"name": "DONA ANA"})
    assert again.status_code == 409 and "name" in again.get_json()["error"]["fields"]
    assert api.post("/areas", tokens["admin"], {"zip3": "972"}).status_code == 409
    for body, field in [
        ({}, "name"),
        ({"name": "John Smith 2"}, "name"),
        ({"name": "Alder", "state": "Oregon"}, "state"),
        ({"zip3": "97214"}, "zip3"),
        ({"zip3": "972", "name": "Alder"}, "name"),
        ({"zip3": 972}, "zip3"),
    ]:
        response = api.post("/areas", tokens["admin"], body)
        assert response.status_code == 422, body
        assert field in response.get_json()["error"]["fields"], body
    assert api.post("/areas", tokens["staff"], {"zip3": "973"}).status_code == 403
    assert api.post("/areas", tokens["funder"], {"zip3": "973"}).status_code == 403
    listed = api.get("/areas", tokens["staff"]).get_json()
    assert [(a["kind"], a["name"]) for a in listed] == [
        ("county", "Doña Ana County"),
        ("zip3", "972"),
    ]


def test_the_openapi_document_shows_the_areas():
    spec = openapi_spec()
    assert set(spec["paths"]["/areas"]) == {"get", "post"}
    area = spec["components"]["schemas"]["Area"]
    assert set(area["properties"]) == {"id", "name", "state", "zip3"}
    described = spec["components"]["schemas"]["Distribution"]["properties"]["area"]
    assert "GET /areas" in described["description"]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_typed_as_an_area_is_refused_with_the_list_offered(listed, api, name):
    response = api.post("/distributions", listed["tokens"]["staff"], _event(area=name))
    assert response.status_code == 422
    why = response.get_json()["error"]["fields"]["area"]
    assert "Alder County" in why and "Doña Ana County" in why and name not in why
    assert db.session.execute(db.select(DistributionEvent.id)).first() is None


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Doña Ana", "Doña Ana County"),
        ("dona ana county", "Doña Ana County"),
        ("  ALDER  county ", "Alder County"),
        ("97214", "972"),
        ("97214-1234", "972"),
        ("021", "021"),  # any 3-digit ZIP prefix (DESIGN.md), listed or not
        ("", None),
        (None, None),
    ],
)
def test_listed_areas_match_without_case_or_accents(listed, api, typed, stored):
    response = api.post("/distributions", listed["tokens"]["staff"], _event(area=typed))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["area"] == stored


def test_areas_not_on_the_list_are_reported_and_exported_as_other_area(listed, api, app):
    token = listed["tokens"]["admin"]
    for area in ("Alder County", "972", None, "Alder County", "Alder County"):
        assert api.post("/distributions", token, _event(area=area)).status_code == 201
    # Events typed before there was a list hold whatever was typed.
    alder = DistributionEvent.area == "Alder County"
    ids = db.session.execute(db.select(DistributionEvent.id).where(alder)).scalars().all()
    for event_id, old in zip(ids, ["John Smith", "Jane Doe-Roe"], strict=False):
        db.session.execute(
            db.update(DistributionEvent).where(DistributionEvent.id == event_id).values(area=old)
        )
    db.session.commit()
    assert areas.unlisted_counts() == [("Jane Doe-Roe", 1), ("John Smith", 1)]
    result = app.test_cli_runner().invoke(args=["check-areas"])
    assert result.exit_code == 1
    assert "area='John Smith' events=1" in result.output
    assert '2 event(s) name 2 area(s) not on the list; exports show them as "other area"' in (
        result.output
    )
    today = clock.local_date(clock.now())
    filters = reporting.make_filters(
        (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()
    )
    shown = [row[10] for row in exports.event_rows(filters) if row[10] is not None]
    assert sorted(shown) == ["972", "Alder County", "other area", "other area"]
    by_area = dict(
        counted_breakdowns(encounter_tallies(reporting.event_conditions(filters))[0])["area"]
    )
    assert by_area["other area"] == 2 and "John Smith" not in by_area
    assert by_area["Alder County"] == 1 and by_area["972"] == 1


def test_check_areas_passes_when_every_area_is_listed(listed, app):
    result = app.test_cli_runner().invoke(args=["check-areas"])
    assert result.exit_code == 0, result.output


def test_coordinators_keep_the_list_on_a_screen(client, auth, program):
    auth.login("coord@example.org")
    page = client.get("/inventory/areas").get_data(as_text=True)
    assert "No areas yet." in page
    data = {"csrf_token": csrf_token_from(page), "op": new_id(), "name": "Doña Ana County"}
    data["state"] = "NM"
    response = client.post("/inventory/areas", data=data)
    assert response.status_code == 302
    page = client.get("/inventory/areas").get_data(as_text=True)
    assert "Doña Ana County" in page
    data = {"csrf_token": csrf_token_from(page), "op": new_id(), "name": "John Smith 3"}
    response = client.post("/inventory/areas", data=data)
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)
    auth.logout()
    auth.login("staff@example.org")
    assert client.get("/inventory/areas").status_code == 403


def test_the_demo_lists_its_sites_counties(app):
    from supplies import demo

    listed = {body.get("name") or body.get("zip3") for body in demo.AREAS}
    assert {county for _, _, _, county in demo.SITES} <= listed
    assert {"Alder County", "Birch County", "972"} <= listed  # what its events name
