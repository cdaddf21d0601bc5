"""The small rules an attack on the API checked: Allow on 405, canonical UUID ids, the role
before any look-up, workbooks reused and never cached, null ids and empty parameters."""

from datetime import date, timedelta

import pytest

from supplies.extensions import db
from supplies.models import AuditEntry, StoredFile
from supplies.services.accounts import tokens
from tests.conftest import new_id, signed_in


@pytest.fixture(autouse=True)
def _export_dir(app, tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")


# --- 405 says what is allowed ---------------------------------------------------------------


def test_a_405_names_the_allowed_methods(program, api, client):
    headers = {"Authorization": f"Bearer {program['tokens']['admin']}"}
    api_answer = client.delete("/api/v1/sites", headers=headers)
    assert api_answer.status_code == 405
    assert set(api_answer.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert api_answer.get_json()["error"]["code"] == "method_not_allowed"
    page = client.put("/sign-out")
    assert page.status_code == 405
    assert "POST" in page.headers["Allow"]


# --- ids are UUIDs in their canonical text --------------------------------------------------

UUID = "6f1c6c5e-58a4-4c6e-9d3e-9b8f0f7c2a11"


@pytest.mark.parametrize(
    "spelling",
    [f"{{{UUID}}}", f"urn:uuid:{UUID}", UUID.replace("-", ""), f" {UUID}", f"{UUID}\n"],
)
def test_ids_in_another_spelling_of_a_uuid_are_refused(make, program, api, spelling):
    make.receive("HUB", "FTS", 10)
    token = program["tokens"]["admin"]
    body = {"id": spelling, "site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
    refused = api.post("/distributions", token, body)
    assert refused.status_code == 422
    assert "id" in refused.get_json()["error"]["fields"]
    site = {"id": spelling, "code": "NEW", "name": "New", "kind": "outreach"}
    assert api.post("/sites", token, site).status_code == 422
    void = api.post(f"/distributions/{spelling.strip()}/void", token, {"reason": "duplicate"})
    assert void.status_code == 404


def test_upper_case_is_the_same_uuid(make, program, api):
    make.receive("HUB", "FTS", 10)
    token = program["tokens"]["admin"]
    body = {"id": UUID.upper(), "site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
    assert api.post("/distributions", token, body).status_code == 201
    again = api.post("/distributions", token, {**body, "id": UUID})
    assert again.status_code == 200  # the same operation, not a second one
    assert again.get_json()["id"] == UUID


# --- the role is checked before anything is looked up ----------------------------------------


@pytest.mark.parametrize(
    "path,known,unknown",
    [
        (
            "/receipts",
            {"site": "HUB", "supply": "FTS", "quantity": 1},
            {"site": "NOPE", "supply": "NOPE", "quantity": 1},
        ),
        (
            "/counts",
            {"site": "HUB", "supply": "FTS", "counted": 1},
            {"site": "NOPE", "supply": "FTS", "counted": 1},
        ),
        (
            "/distributions",
            {"id": new_id(), "site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]},
            {"id": new_id(), "site": "NOPE", "items": [{"supply": "FTS", "quantity": 1}]},
        ),
        ("/lots/status", {"supply": "FTS", "lot_number": "L", "status": "recalled"}, {}),
    ],
)
def test_a_funder_learns_nothing_from_codes_it_may_not_use(program, api, path, known, unknown):
    token = program["tokens"]["funder"]
    assert api.post(path, token, known).status_code == 403
    assert api.post(path, token, unknown).status_code == 403


def test_a_funder_cannot_tell_sites_apart_by_their_answers(app, program, api):
    token = program["tokens"]["funder"]
    for site in ("HUB", "NOPE"):
        assert api.get("/distributions", token, site=site).status_code == 403
        assert api.get("/stock", token, site=site).status_code == 403
    browser = signed_in(app.test_client(), "funder@example.org")
    for site in ("HUB", "NOPE"):
        assert browser.get(f"/distribute/sites/{site}").status_code == 403


def test_every_api_route_that_needs_a_role_says_which(app):
    from supplies.api.views import PUBLIC_ENDPOINTS, ROLE_NEEDED

    open_to_every_role = {
        "api.list_sites",
        "api.list_supplies",
        "api.list_funding_sources",
        "api.list_areas",
        "api.job",
        "api.job_download",
    }
    unsaid = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        and rule.endpoint not in PUBLIC_ENDPOINTS | set(ROLE_NEEDED) | open_to_every_role
    ]
    assert not unsaid, (
        "Say which role these API routes need in ROLE_NEEDED (supplies/api/views.py), or add "
        f"them to open_to_every_role here: {unsaid}"
    )


# --- workbooks: reused for the same filters and data, never cached ---------------------------


def _exports() -> int:
    db.session.rollback()
    return db.session.execute(
        db.select(db.func.count(StoredFile.id)).where(StoredFile.kind == "export")
    ).scalar_one()


def test_the_same_workbook_request_reuses_its_archived_file(make, program, api):
    make.receive("HUB", "FTS", 50)
    funder, coordinator = program["tokens"]["funder"], program["tokens"]["coordinator"]
    today = date.today()
    period = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}
    first = api.get("/reports/funder.xlsx", funder, **period)
    assert first.status_code == 200
    for token in (funder, funder, coordinator):
        again = api.get("/reports/funder.xlsx", token, **period)
        assert again.status_code == 200
        assert again.data == first.data  # the archived file itself, not a new one
    assert _exports() == 1
    # Each request is still audited; the coordinator has an entry of its own.
    actions = db.session.execute(
        db.select(AuditEntry.action, AuditEntry.actor_id).where(
            AuditEntry.action.in_(["report.export", "report.download"])
        )
    ).all()
    assert sorted(a for a, _ in actions) == ["report.download"] * 2 + ["report.export"] * 2
    # Other data: another workbook.
    event = {"id": new_id(), "site": "HUB", "items": [{"supply": "FTS", "quantity": 3}]}
    assert api.post("/distributions", coordinator, event).status_code == 201
    changed = api.get("/reports/funder.xlsx", funder, **period)
    assert changed.status_code == 200 and changed.data != first.data
    assert _exports() == 2
    # Other filters: another workbook too.
    assert api.get("/reports/funder.xlsx", funder, **period, language="es").status_code == 200
    assert _exports() == 3


def test_workbook_downloads_are_never_cached(app, make, program, api):
    make.receive("HUB", "FTS", 5)
    period = {"start": "2026-01-01", "end": "2026-03-31"}
    answer = api.get("/reports/funder.xlsx", program["tokens"]["funder"], **period)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Disposition"].startswith("attachment")
    browser = signed_in(app.test_client(), "coord@example.org")
    template = browser.get("/imports/templates/stock.xlsx")
    assert template.status_code == 200
    assert template.headers["Cache-Control"] == "no-store"


# --- null ids and empty query parameters, as the document says ------------------------------


def test_a_null_id_is_absent_where_the_id_is_optional_and_refused_where_required(
    make, program, api
):
    make.receive("HUB", "FTS", 10)
    token = program["tokens"]["admin"]
    site = {"id": None, "code": "NEW", "name": "New", "kind": "outreach"}
    assert api.post("/sites", token, site).status_code == 201
    event = {"id": None, "site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
    refused = api.post("/distributions", token, event)
    assert refused.status_code == 422
    assert "id" in refused.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "path,params",
    [
        ("/stock", {"site": ""}),
        ("/distributions", {"site": ""}),
        ("/distributions", {"start": ""}),
        ("/distributions", {"page": ""}),
        ("/reports/funder.xlsx", {"start": "2026-01-01", "end": "2026-03-31", "site": ""}),
        ("/reports/funder.xlsx", {"start": "2026-01-01", "end": "2026-03-31", "funding": ""}),
        ("/reports/funder.xlsx", {"start": "2026-01-01", "end": "2026-03-31", "site": "HUB,"}),
    ],
)
def test_an_empty_query_parameter_is_refused_naming_it(program, api, path, params):
    response = api.get(path, program["tokens"]["admin"], **params)
    assert response.status_code == 422, response.get_json()
    empty = next(name for name, value in params.items() if value in ("", "HUB,"))
    assert empty in response.get_json()["error"]["fields"]


def test_the_document_states_the_rules(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    site = spec["components"]["schemas"]["Site"]["properties"]["id"]
    assert site["format"] == "uuid" and site["pattern"].startswith("^[0-9a-fA-F]{8}-")
    receipt = spec["components"]["schemas"]["Receipt"]["properties"]["received_on"]
    assert "2100" in receipt["pattern"] and receipt["pattern"].startswith("^$|")  # "": absent
    period = spec["paths"]["/reports/funder.xlsx"]["get"]["parameters"][0]["schema"]
    assert "2100" in period["pattern"] and period["format"] == "date"
    counts = spec["paths"]["/counts"]["post"]["responses"]
    assert "202" in counts and "201" in counts
    assert "/counts/{id}/confirm" in spec["paths"]


def test_a_revoked_token_is_refused_however_often_it_was_used(make, program, api):
    user = program["users"]["coordinator"]
    token = tokens.create_token(user, "spare")
    assert api.get("/sites", token).status_code == 200
    tokens.revoke_all_tokens(user.id)
    db.session.commit()
    assert api.get("/sites", token).status_code == 401
