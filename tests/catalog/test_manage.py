"""Managing sites, supplies, funding sources and par levels through the screens."""

import re

from supplies.extensions import db
from supplies.models import AuditEntry, ParLevel, Site, Supply
from supplies.services import catalog
from tests.conftest import new_id, text


def _audit_actions() -> set[str]:
    return set(db.session.execute(db.select(AuditEntry.action)).scalars())


def test_create_and_edit_a_site_keeping_its_code(program, screens):
    screens.login("coord@example.org")
    data = {"code": "NORTH", "name": "North clinic", "kind": "fixed_site", "county": "Birch"}
    assert screens.post("/inventory/catalog/site/new", data).status_code == 302
    edit = {"name": "North harm reduction clinic", "kind": "partner_agency", "county": ""}
    assert screens.post("/inventory/catalog/site/NORTH/edit", edit).status_code == 302
    site = catalog.site_by_code("NORTH")
    db.session.refresh(site)
    assert (site.name, site.kind, site.county) == (
        "North harm reduction clinic",
        "partner_agency",
        None,
    )
    assert {"site.create", "site.edit"} <= _audit_actions()


def test_a_site_keeps_its_side_of_the_partner_line_once_it_has_history(program, make, screens, api):
    """Distributions logged at a site, or an agency's accounts, requests and reports, hold
    its kind on its side: partner figures and accounts' scope would be wrong otherwise."""
    make.receive("VAN", "FTS", 10)
    event = {"id": new_id(), "site": "VAN", "items": [{"supply": "FTS", "quantity": 1}]}
    assert api.post("/distributions", program["tokens"]["coordinator"], event).status_code == 201
    make.site("CLINIC", "partner_agency")
    make.user("clinic@example.org", "partner", sites=("CLINIC",))
    make.site("EMPTY", "partner_agency")
    screens.login("coord@example.org")
    refusal = "cannot change to or from partner agency once the site has distributions"
    for code, kind in (("VAN", "partner_agency"), ("CLINIC", "fixed_site")):
        edit = {"name": f"Site {code}", "kind": kind, "county": ""}
        response = screens.post(f"/inventory/catalog/site/{code}/edit", edit)
        assert response.status_code == 422 and refusal in text(response), code
    assert catalog.site_by_code("VAN").kind == "mobile_van"
    assert catalog.site_by_code("CLINIC").kind == "partner_agency"
    make.site("NEW", "outreach")
    make.user("new@example.org", "staff", sites=("NEW",))
    edit = {"name": "Site NEW", "kind": "partner_agency", "county": ""}
    response = screens.post("/inventory/catalog/site/NEW/edit", edit)
    assert response.status_code == 422 and refusal in text(response)
    # No history on either side: a kind is only a setting yet; other kinds change freely.
    for code, kind in (("EMPTY", "fixed_site"), ("VAN", "outreach")):
        edit = {"name": f"Site {code}", "kind": kind, "county": ""}
        assert screens.post(f"/inventory/catalog/site/{code}/edit", edit).status_code == 302


def test_a_site_edit_sent_again_answers_as_it_did(program, make):
    """The same edit replayed after the site gained history: its stored answer, no refusal."""
    from supplies.services.db.operations import OperationRequest

    make.site("SPARE", "outreach")
    to_partner = {"name": "Spare", "kind": "partner_agency", "county": ""}
    request = OperationRequest.new(new_id(), to_partner)
    first = catalog.update_site(make.admin, request, "SPARE", to_partner)
    back = {"name": "Spare", "kind": "outreach", "county": ""}
    catalog.update_site(make.admin, OperationRequest.new(new_id(), back), "SPARE", back)
    make.user("new@example.org", "staff", sites=("SPARE",))
    replay = OperationRequest.new(request.id, to_partner)
    again = catalog.update_site(make.admin, replay, "SPARE", to_partner)
    assert again.result == first.result and not again.created
    assert catalog.site_by_code("SPARE").kind == "outreach"


def test_site_form_errors_name_fields_and_keep_values(program, screens):
    screens.login("coord@example.org")
    data = {"code": "HUB", "name": "Second hub", "kind": ""}
    response = screens.post("/inventory/catalog/site/new", data)
    assert response.status_code == 422
    page = text(response)
    assert 'id="kind-error"' in page and 'value="Second hub"' in page
    data["kind"] = "fixed_site"
    response = screens.post("/inventory/catalog/site/new", data)
    assert response.status_code == 409 and 'id="code-error"' in text(response)


def test_medication_supplies_need_doses_and_lots(program, screens):
    screens.login("coord@example.org")
    data = {"code": "KLOX8", "name": "Kloxxado 8 mg", "category": "naloxone_nasal", "unit": "box"}
    response = screens.post("/inventory/catalog/supply/new", data)
    assert response.status_code == 422
    page = text(response)
    assert 'id="doses_per_unit-error"' in page and 'id="tracks_lots-error"' in page
    data.update({"doses_per_unit": "2", "tracks_lots": "y"})
    assert screens.post("/inventory/catalog/supply/new", data).status_code == 302
    supply = catalog.supply_by_code("KLOX8")
    assert supply.tracks_lots and supply.doses_per_unit == 2


def _offered_box(page: str) -> str:
    return re.search(r'<input[^>]*name="offered_to_partners"[^>]*>', page).group(0)


def _supply_row(page: str, code: str) -> str:
    return re.search(rf"<tr><td>{code}</td>.*?</tr>", page, re.S).group(0)


def test_a_coordinator_stops_offering_a_supply_to_partner_agencies(program, screens, api):
    screens.login("coord@example.org")
    # A new supply is offered to partner agencies unless the box is unticked.
    assert "checked" in _offered_box(text(screens.get("/inventory/catalog/supply/new")))
    edit_url = "/inventory/catalog/supply/FTS/edit"
    assert "checked" in _offered_box(text(screens.get(edit_url)))
    # The box left unticked: the strips are no longer offered; nothing else changes.
    data = {"name": "Fentanyl test strip", "category": "fentanyl_test_strip", "unit": "each"}
    assert screens.post(edit_url, data).status_code == 302
    fts = db.session.execute(db.select(Supply).where(Supply.code == "FTS")).scalar_one()
    db.session.refresh(fts)
    assert fts.offered_to_partners is False and fts.active
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "supply.edit")
    ).scalar_one()
    assert entry.object_id == "FTS"
    assert entry.changes == {"offered_to_partners": [True, False]}
    assert "checked" not in _offered_box(text(screens.get(edit_url)))
    page = text(screens.get("/inventory/catalog"))
    assert '<th scope="col">Partners</th>' in page
    assert "<td>—</td><td>active</td>" in _supply_row(page, "FTS")
    assert "<td>offered</td>" in _supply_row(page, "NARCAN4")
    # Ticked again: offered again.
    assert screens.post(edit_url, {**data, "offered_to_partners": "y"}).status_code == 302
    db.session.refresh(fts)
    assert fts.offered_to_partners is True
    # The API lists it, and takes it when a supply is created (offered unless it says not).
    coordinator = program["tokens"]["coordinator"]
    screens.post(edit_url, data)
    listed = {s["code"]: s for s in api.get("/supplies", coordinator).get_json()}
    assert listed["FTS"]["offered_to_partners"] is False
    assert listed["NARCAN4"]["offered_to_partners"] is True
    wound = {"code": "WOUND", "name": "Wound care kit", "category": "other", "unit": "kit"}
    created = api.post("/supplies", coordinator, {**wound, "id": new_id()})
    assert created.status_code == 201 and created.get_json()["offered_to_partners"] is True
    kept = {**wound, "id": new_id(), "code": "WOUND2", "offered_to_partners": False}
    created = api.post("/supplies", coordinator, kept)
    assert created.status_code == 201 and created.get_json()["offered_to_partners"] is False
    bad = {**wound, "id": new_id(), "code": "WOUND3", "offered_to_partners": "maybe"}
    refused = api.post("/supplies", coordinator, bad)
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {"offered_to_partners"}


def test_lot_tracking_is_fixed_once_stock_was_received(make, program, screens):
    make.receive("HUB", "FTS", 10)
    screens.login("coord@example.org")
    data = {
        "name": "Strips",
        "category": "fentanyl_test_strip",
        "unit": "strip",
        "tracks_lots": "y",
    }
    response = screens.post("/inventory/catalog/supply/FTS/edit", data)
    assert response.status_code == 422 and 'id="tracks_lots-error"' in text(response)


def test_deactivating_needs_the_stock_gone_and_nothing_is_deleted(make, program, screens):
    make.receive("VAN", "FTS", 3)
    screens.login("coord@example.org")
    screens.post(
        "/inventory/catalog/site/VAN/active", {"active": "0"}, page_url="/inventory/catalog"
    )
    van = db.session.execute(db.select(Site).where(Site.code == "VAN")).scalar_one()
    db.session.refresh(van)
    assert van.active  # 3 units still there
    screens.post(
        "/inventory/adjust", {"site": "VAN", "supply": "FTS", "quantity": "-3", "reason": "damaged"}
    )
    screens.post(
        "/inventory/catalog/site/VAN/active", {"active": "0"}, page_url="/inventory/catalog"
    )
    db.session.refresh(van)
    assert not van.active
    page = text(screens.get("/inventory/catalog"))
    assert "Reactivate VAN" in page
    screens.post(
        "/inventory/catalog/site/VAN/active", {"active": "1"}, page_url="/inventory/catalog"
    )
    db.session.refresh(van)
    assert van.active
    assert {"site.deactivate", "site.activate"} <= _audit_actions()
    fts = db.session.execute(db.select(Supply).where(Supply.code == "FTS")).scalar_one()
    assert fts.active


def test_funding_source_dates_are_checked(program, screens):
    screens.login("coord@example.org")
    data = {
        "code": "OPIOID-SETTLE",
        "name": "Settlement",
        "starts_on": "2026-07-01",
        "ends_on": "2025-06-30",
    }
    response = screens.post("/inventory/catalog/funding/new", data)
    assert response.status_code == 422 and 'id="ends_on-error"' in text(response)
    data["ends_on"] = "2027-06-30"
    assert screens.post("/inventory/catalog/funding/new", data).status_code == 302
    edit = {
        "name": "Opioid settlement",
        "funder": "County",
        "starts_on": "2026-07-01",
        "ends_on": "",
    }
    assert screens.post("/inventory/catalog/funding/OPIOID-SETTLE/edit", edit).status_code == 302
    assert catalog.funding_by_code("OPIOID-SETTLE").ends_on is None


def test_staff_cannot_manage_the_catalog(program, screens):
    screens.login("staff@example.org")
    assert screens.get("/inventory/catalog").status_code == 403
    assert screens.get("/inventory/catalog/site/new").status_code == 403


def test_par_levels_are_set_changed_and_removed(program, screens):
    screens.login("coord@example.org")
    url = "/inventory/sites/VAN/par-levels"
    data = {"minimum-NARCAN4": "10", "target-NARCAN4": "30", "minimum-FTS": "", "target-FTS": ""}
    assert screens.post(url, data).status_code == 302
    level = db.session.execute(db.select(ParLevel)).scalar_one()
    assert (level.minimum, level.target) == (10, 30)
    page = text(screens.get(url))
    assert 'value="30"' in page
    bad = {"minimum-NARCAN4": "10", "target-NARCAN4": "5", "minimum-FTS": "x", "target-FTS": "1"}
    response = screens.post(url, bad)
    assert response.status_code == 422
    page = text(response)
    assert 'id="target-NARCAN4-error"' in page and 'id="minimum-FTS-error"' in page
    assert 'value="x"' in page
    clear = {"minimum-NARCAN4": "", "target-NARCAN4": "", "minimum-FTS": "", "target-FTS": ""}
    assert screens.post(url, clear).status_code == 302
    assert db.session.execute(db.select(ParLevel)).first() is None
    assert "par_levels.set" in _audit_actions()
