"""The lots page: search and filters a page at a time, and a status change confirmed first."""

import re

from supplies.services.stock import on_hand
from tests.conftest import text


def _lots_on(page: str) -> list[str]:
    return re.findall(r'<tr data-lot="([^"]+)">', page)


def test_search_by_number_supply_status_expiry_and_site(make, program, screens):
    make.supply("NALOX1", name="Naloxone 0.4 mg vial", category="naloxone_injectable")
    make.receive("HUB", "NARCAN4", 10, lot="AB-100", expires_in_days=20)
    make.receive("VAN", "NARCAN4", 5, lot="AB-200", expires_in_days=300)
    make.receive("HUB", "NALOX1", 7, lot="ZZ_9", expires_in_days=50)
    screens.login("coord@example.org")
    assert _lots_on(text(screens.get("/inventory/lots", lot="ab-"))) == ["AB-100", "AB-200"]
    assert _lots_on(text(screens.get("/inventory/lots", lot="z_"))) == ["ZZ_9"]
    assert _lots_on(text(screens.get("/inventory/lots", lot="%"))) == []
    assert _lots_on(text(screens.get("/inventory/lots", supply="NALOX1"))) == ["ZZ_9"]
    assert _lots_on(text(screens.get("/inventory/lots", within="30"))) == ["AB-100"]
    assert _lots_on(text(screens.get("/inventory/lots", site="VAN"))) == ["AB-200"]
    screens.post(
        "/inventory/lots", {"supply": "NARCAN4", "lot_number": "AB-200", "status": "quarantined"}
    )
    page = text(screens.get("/inventory/lots", status="quarantined"))
    assert _lots_on(page) == ["AB-200"] and "1 lot found" in page
    none = text(screens.get("/inventory/lots", lot="nothing-like-it"))
    assert "No lot matches this search." in none


def test_lots_come_a_page_at_a_time(make, program, screens):
    for number in range(30):
        make.receive("HUB", "NARCAN4", 1, lot=f"P{number:02d}", expires_in_days=100 + number)
    screens.login("coord@example.org")
    first = text(screens.get("/inventory/lots"))
    assert len(_lots_on(first)) == 25 and "30 lots found, page 1 of 2" in first
    second = text(screens.get("/inventory/lots", page="2"))
    assert _lots_on(second) == [f"P{n}" for n in range(25, 30)]
    assert "Previous lots" in second


def test_recall_from_a_result_names_units_and_sites_then_returns_to_the_search(
    make, program, screens
):
    make.receive("HUB", "NARCAN4", 10, lot="R1")
    make.receive("VAN", "NARCAN4", 4, lot="R1")
    screens.login("coord@example.org")
    results = text(screens.get("/inventory/lots", lot="R1"))
    link = re.search(r'href="(/inventory/lots/status\?[^"]*status=recalled[^"]*)"', results)
    confirm_url = link.group(1).replace("&amp;", "&")
    confirm = text(screens.get(confirm_url))
    assert "14 units at 2 sites:" in confirm and "Site HUB: 10" in confirm
    assert "cannot be handed out or transferred" in confirm
    response = screens.post(
        "/inventory/lots/status",
        {
            "supply": "NARCAN4",
            "lot_number": "R1",
            "status": "recalled",
            "back": "/inventory/lots?lot=R1",
        },
        confirm_url,
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("lot=R1")
    rows = on_hand.stock_rows(program["users"]["coordinator"])
    assert {r["status"] for r in rows if r["lot_number"] == "R1"} == {"recalled"}
    page = text(screens.get("/inventory/lots", lot="R1"))
    assert "Lot R1 of Narcan 4 mg nasal spray is now recalled." in page


def test_confirmation_returns_only_to_the_lots_page(make, program, screens):
    make.receive("HUB", "NARCAN4", 1, lot="X1")
    screens.login("coord@example.org")
    page = text(
        screens.get(
            "/inventory/lots/status",
            supply="NARCAN4",
            lot_number="X1",
            status="recalled",
            back="https://evil.example/",
        )
    )
    assert 'name="back" value="/inventory/lots"' in page
    assert 'href="https://evil.example/"' not in page
    assert (
        screens.get("/inventory/lots/status", supply="NARCAN4", lot_number="NO").status_code == 404
    )
