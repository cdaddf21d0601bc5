"""Count sessions, lot status and the stock card, through the screens."""

import re

from supplies.extensions import db
from supplies.models import AuditEntry, CountSession, Movement
from supplies.services.stock import on_hand
from tests.conftest import text


def _count_lines(page: str) -> dict[tuple[str, str], int]:
    """The count sheet's lines: (supply, lot) -> index."""
    found = {}
    for index, supply, lot in re.findall(
        r'name="line-(\d+)-supply" value="([^"]*)">\s*<input type="hidden" name="line-\d+-lot" '
        r'value="([^"]*)"',
        page,
    ):
        found[(supply, lot)] = int(index)
    return found


def _submit_count(screens, site, counts: dict, blind=False):
    url = f"/inventory/sites/{site}/count" + ("?blind=1" if blind else "")
    page = text(screens.get(url))
    lines = _count_lines(page)
    data = {}
    for (supply, lot), index in lines.items():
        data[f"line-{index}-supply"] = supply
        data[f"line-{index}-lot"] = lot
        data[f"line-{index}-counted"] = str(counts.get((supply, lot), ""))
    if blind:
        data["blind"] = "y"
    return screens.post(f"/inventory/sites/{site}/count", data, page_url=url)


def test_staff_counts_their_site_and_a_coordinator_confirms(make, program, screens, client, auth):
    make.receive("HUB", "NARCAN4", 10, lot="A1")
    make.receive("HUB", "NARCAN4", 5, lot="B2", expires_in_days=500)
    make.receive("HUB", "FTS", 100)
    screens.login("staff@example.org")
    sheet = text(screens.get("/inventory/sites/HUB/count?blind=1"))
    assert "Expected" not in sheet  # blind: the books are hidden
    response = _submit_count(screens, "HUB", {("NARCAN4", "A1"): 8, ("FTS", ""): 100}, blind=True)
    assert response.status_code == 302
    review = text(screens.get(response.headers["Location"]))
    assert "Waiting for a coordinator to confirm" in review and "Confirm count" not in review
    assert "<strong>-2</strong>" not in review and "the books stay hidden" in review
    coordinator = program["users"]["coordinator"]
    assert (
        sum(r["quantity"] for r in on_hand.stock_rows(coordinator) if r["supply"] == "NARCAN4")
        == 15
    )
    # Staff may not confirm their own count.
    session_id = response.headers["Location"].rsplit("/", 1)[1]
    assert (
        screens.post(
            f"/inventory/counts/{session_id}/confirm",
            {},
            page_url=f"/inventory/counts/{session_id}",
        ).status_code
        == 403
    )

    screens.sign_out()
    screens.login("coord@example.org")
    home = text(screens.get("/home"))
    assert "Counts waiting for confirmation" in home
    review_url = f"/inventory/counts/{session_id}"
    assert "<strong>-2</strong>" in text(screens.get(review_url))  # the coordinator sees the books
    response = screens.post(f"{review_url}/confirm", {}, page_url=review_url)
    assert response.status_code == 302
    after = text(screens.get(review_url))
    assert "confirmed" in after and "Confirm count" not in after
    rows = db.session.execute(db.select(Movement).where(Movement.kind == "count")).scalars().all()
    assert [m.quantity for m in rows] == [-2]  # one movement per difference
    assert db.session.get(CountSession, session_id).status == "confirmed"
    assert on_hand.check_ledger() == []
    actions = set(db.session.execute(db.select(AuditEntry.action)).scalars())
    assert {"count_session.submit", "count_session.confirm", "count.create"} <= actions
    # Confirming twice changes nothing.
    again = screens.post(f"{review_url}/confirm", {}, page_url=review_url)
    assert again.status_code == 302
    assert len(db.session.execute(db.select(Movement).where(Movement.kind == "count")).all()) == 1


def test_staff_cannot_count_another_site(program, screens):
    screens.login("staff@example.org")
    assert screens.get("/inventory/sites/VAN/count").status_code == 403


def test_count_errors_name_the_box_and_keep_values(make, program, screens):
    make.receive("HUB", "FTS", 10)
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/sites/HUB/count"))
    index = _count_lines(page)[("FTS", "")]
    data = {f"line-{index}-supply": "FTS", f"line-{index}-lot": "", f"line-{index}-counted": "ten"}
    response = screens.post("/inventory/sites/HUB/count", data)
    assert response.status_code == 422
    html = text(response)
    assert f'id="line-{index}-counted-error"' in html and 'value="ten"' in html
    empty = screens.post("/inventory/sites/HUB/count", {})
    assert empty.status_code == 422 and "enter at least one count" in text(empty)


def test_discard_leaves_stock_alone(make, program, screens):
    make.receive("HUB", "FTS", 10)
    screens.login("coord@example.org")
    response = _submit_count(screens, "HUB", {("FTS", ""): 4})
    review_url = response.headers["Location"]
    assert screens.post(f"{review_url}/discard", {}, page_url=review_url).status_code == 302
    assert "discarded" in text(screens.get(review_url))
    assert db.session.execute(db.select(Movement).where(Movement.kind == "count")).first() is None


def test_recall_blocks_a_lot_everywhere(make, program, screens):
    make.receive("HUB", "NARCAN4", 10, lot="R9")
    make.receive("VAN", "NARCAN4", 4, lot="R9")
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/lots"))
    assert re.search(r'data-lot="R9">.*?<td class="num">14</td>', page, re.S)
    confirm = text(
        screens.get("/inventory/lots/status", supply="NARCAN4", lot_number="R9", status="recalled")
    )
    assert "Recall lot R9 of Narcan 4 mg nasal spray?" in confirm
    assert "14 units at 2 sites:" in confirm and "Site VAN: 4" in confirm
    data = {"supply": "NARCAN4", "lot_number": "R9", "status": "recalled", "note": "FDA notice"}
    response = screens.post("/inventory/lots", data)
    assert response.status_code == 302
    rows = on_hand.stock_rows(program["users"]["coordinator"])
    assert {r["status"] for r in rows if r["lot_number"] == "R9"} == {"recalled"}
    transfer = {
        "from_site": "HUB",
        "to_site": "VAN",
        "lines-0-supply": "NARCAN4",
        "lines-0-quantity": "1",
    }
    refused = screens.post("/inventory/transfer", transfer)
    assert refused.status_code == 409  # recalled units never move
    assert "recalled" in text(screens.get("/inventory/"))


def test_lot_status_errors_name_the_field(make, program, screens):
    make.receive("HUB", "NARCAN4", 1, lot="Q1")
    screens.login("coord@example.org")
    data = {"supply": "NARCAN4", "lot_number": "Q1", "status": "lost", "note": "typed note"}
    url = "/inventory/lots/status?supply=NARCAN4&lot_number=Q1&status=recalled"
    response = screens.post("/inventory/lots/status", data, url)
    assert response.status_code == 422
    html = text(response)
    assert 'aria-describedby="status-error"' in html and 'value="typed note"' in html


def test_stock_card_shows_running_balance_and_stock_as_of_a_date(make, program, screens):
    make.receive("HUB", "FTS", 100)
    screens.login("coord@example.org")
    screens.post(
        "/inventory/adjust",
        {"site": "HUB", "supply": "FTS", "quantity": "-30", "reason": "damaged"},
    )
    page = text(screens.get("/inventory/stock-card", site="HUB", supply="FTS"))
    balances = re.findall(r'<td class="num balance">(\d+)</td>', page)
    assert balances == ["70", "100"]  # newest first
    assert 'id="closing">70<' in page and 'id="on-hand-now">70<' in page
    assert "damaged" in page and "coord" in page
    past = text(screens.get("/inventory/stock-card", site="HUB", supply="FTS", end="2020-01-01"))
    assert 'id="closing">0<' in past and "No movements in this period" in past


def test_stock_card_errors_name_the_field(program, screens):
    screens.login("coord@example.org")
    response = screens.get("/inventory/stock-card", site="HUB", supply="NOPE", end="soon")
    assert response.status_code == 422
    assert 'id="card-supply-error"' in text(response)


def test_staff_sees_the_stock_card_of_their_own_site_only(make, program, screens):
    make.receive("HUB", "FTS", 10)
    screens.login("staff@example.org")
    assert screens.get("/inventory/stock-card", site="HUB", supply="FTS").status_code == 200
    assert screens.get("/inventory/stock-card", site="VAN", supply="FTS").status_code == 403


def test_stock_card_links_transfers_to_their_packing_slip(make, program, screens):
    make.receive("HUB", "FTS", 10)
    screens.login("coord@example.org")
    data = {"from_site": "HUB", "to_site": "VAN", "lines-0-supply": "FTS", "lines-0-quantity": "4"}
    slip_url = screens.post("/inventory/transfer", data).headers["Location"]
    card = text(screens.get("/inventory/stock-card", site="VAN", supply="FTS"))
    assert f'href="{slip_url}"' in card and "from HUB" in card


def test_lots_with_units_come_first(make, program, screens):
    make.receive("HUB", "NARCAN4", 2, lot="GONE", expires_in_days=10)
    make.receive("HUB", "NARCAN4", 3, lot="HERE", expires_in_days=300)
    screens.login("coord@example.org")
    screens.post(
        "/inventory/adjust",
        {
            "site": "HUB",
            "supply": "NARCAN4",
            "quantity": "-2",
            "reason": "damaged",
            "lot_number": "GONE",
        },
    )
    page = text(screens.get("/inventory/lots"))
    assert page.index('data-lot="HERE"') < page.index('data-lot="GONE"')
