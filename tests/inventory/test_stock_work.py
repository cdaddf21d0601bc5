"""Receive, transfer with its packing slip, adjust and write off expired, through the forms."""

import re
from datetime import date, timedelta

from supplies.extensions import db
from supplies.models import AuditEntry, Movement
from supplies.services.stock import on_hand
from tests.conftest import csrf_token_from, text


def _on_hand(user, site, supply) -> int:
    return sum(
        r["quantity"]
        for r in on_hand.stock_rows(user)
        if r["site"] == site and r["supply"] == supply
    )


def _audit(action) -> int:
    return len(db.session.execute(db.select(AuditEntry).where(AuditEntry.action == action)).all())


def _receipt(**overrides):
    expires = (date.today() + timedelta(days=300)).isoformat()
    data = {
        "site": "HUB",
        "received_on": date.today().isoformat(),
        "source": "state_program",
        "lines-0-supply": "NARCAN4",
        "lines-0-quantity": "24",
        "lines-0-lot_number": "NX1",
        "lines-0-expires_on": expires,
        "lines-0-funding": "SOR",
        "lines-1-supply": "FTS",
        "lines-1-quantity": "500",
    }
    data.update(overrides)
    return data


def test_receive_several_lines_in_one_shipment(program, screens):
    screens.login("coord@example.org")
    response = screens.post("/inventory/receive", _receipt())
    assert response.status_code == 302
    coordinator = program["users"]["coordinator"]
    assert _on_hand(coordinator, "HUB", "NARCAN4") == 24
    assert _on_hand(coordinator, "HUB", "FTS") == 500
    assert _audit("receipt.create") == 1
    page = text(screens.get("/inventory/"))
    assert "Received 524 units in 2 lines at HUB." in page


def test_receive_errors_name_the_line_field_and_keep_values(program, screens):
    screens.login("coord@example.org")
    response = screens.post(
        "/inventory/receive",
        _receipt(**{"lines-0-lot_number": "", "lines-1-quantity": "lots"}),
    )
    assert response.status_code == 422
    page = text(response)
    assert 'id="lines-0-lot_number-error"' in page and "tracks lots" in page
    assert 'aria-describedby="lines-0-lot_number-error"' in page
    assert 'id="lines-1-quantity-error"' in page
    assert 'value="lots"' in page  # what was typed stays
    assert _on_hand(program["users"]["coordinator"], "HUB", "FTS") == 0


def test_receive_checks_a_known_lot_has_the_same_expiry(make, program, screens):
    make.receive("HUB", "NARCAN4", 5, lot="NX1", expires_in_days=100)
    screens.login("coord@example.org")
    response = screens.post("/inventory/receive", _receipt())
    assert response.status_code == 422
    assert "already known with expiry" in text(response)


def test_a_double_submitted_receipt_records_once(program, screens):
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/receive"))
    data = _receipt(
        csrf_token=csrf_token_from(page),
        op=re.search(r'name="op" type="hidden" value="([^"]*)"', page).group(1),
    )
    assert screens.client.post("/inventory/receive", data=data).status_code == 302
    assert screens.client.post("/inventory/receive", data=data).status_code == 302
    assert _on_hand(program["users"]["coordinator"], "HUB", "NARCAN4") == 24


def test_receive_without_csrf_is_refused(program, screens):
    screens.login("coord@example.org")
    response = screens.client.post("/inventory/receive", data=_receipt())
    assert response.status_code == 400
    assert _on_hand(program["users"]["coordinator"], "HUB", "NARCAN4") == 0


def test_staff_cannot_receive(program, screens):
    screens.login("staff@example.org")
    assert screens.get("/inventory/receive").status_code == 403


def test_transfer_moves_first_expiry_first_and_prints_a_slip(make, program, screens):
    make.receive("HUB", "NARCAN4", 10, lot="LATE", expires_in_days=300)
    make.receive("HUB", "NARCAN4", 4, lot="EARLY", expires_in_days=60)
    screens.login("coord@example.org")
    data = {
        "from_site": "HUB",
        "to_site": "VAN",
        "lines-0-supply": "NARCAN4",
        "lines-0-quantity": "6",
    }
    response = screens.post("/inventory/transfer", data)
    assert response.status_code == 302 and "/inventory/transfers/" in response.headers["Location"]
    slip = text(screens.get(response.headers["Location"]))
    assert "Packing slip" in slip and "EARLY" in slip and "LATE" in slip
    assert "Supply NARCAN4" not in slip and "Narcan 4 mg nasal spray: 6 units" in slip
    coordinator = program["users"]["coordinator"]
    assert _on_hand(coordinator, "VAN", "NARCAN4") == 6
    assert _on_hand(coordinator, "HUB", "NARCAN4") == 8
    assert _audit("transfer.create") == 1


def test_transfer_form_is_prefilled_from_a_suggestion(program, screens):
    screens.login("coord@example.org")
    page = text(
        screens.get(
            "/inventory/transfer", from_site="HUB", to_site="VAN", supply="FTS", quantity="30"
        )
    )
    assert '<option selected value="VAN">' in page or 'value="VAN" selected' in page
    assert 'value="30"' in page


def test_transfer_shortfall_names_the_quantity(make, program, screens):
    make.receive("HUB", "FTS", 5)
    screens.login("coord@example.org")
    data = {"from_site": "HUB", "to_site": "VAN", "lines-0-supply": "FTS", "lines-0-quantity": "9"}
    response = screens.post("/inventory/transfer", data)
    assert response.status_code == 409
    page = text(response)
    assert 'id="lines-0-quantity-error"' in page and "only 5 available" in page
    assert 'value="9"' in page


def test_adjust_other_needs_a_note(make, program, screens):
    make.receive("HUB", "FTS", 50)
    screens.login("coord@example.org")
    data = {"site": "HUB", "supply": "FTS", "quantity": "-5", "reason": "other"}
    response = screens.post("/inventory/adjust", data)
    assert response.status_code == 422
    assert 'id="note-error"' in text(response)
    data["note"] = "Maria Lopez 555-123-4567 took them"
    response = screens.post("/inventory/adjust", data)
    assert response.status_code == 422
    assert "must describe the stock, not a person" in text(response)
    assert _on_hand(program["users"]["coordinator"], "HUB", "FTS") == 50
    data["note"] = "water damage in storage"
    response = screens.post("/inventory/adjust", data)
    assert response.status_code == 302
    assert _on_hand(program["users"]["coordinator"], "HUB", "FTS") == 45
    assert _audit("adjustment.create") == 1


def test_write_off_all_expired_stock_of_a_site(make, program, screens):
    make.receive("HUB", "NARCAN4", 6, lot="OLD1", expires_in_days=-10)
    make.receive("HUB", "NARCAN4", 2, lot="OLD2", expires_in_days=-1)
    make.receive("HUB", "NARCAN4", 9, lot="GOOD", expires_in_days=200)
    screens.login("coord@example.org")
    confirm = text(screens.get("/inventory/sites/HUB/write-off-expired"))
    assert "Write off 8 expired units" in confirm
    response = screens.post("/inventory/sites/HUB/write-off-expired", {})
    assert response.status_code == 302
    assert _on_hand(program["users"]["coordinator"], "HUB", "NARCAN4") == 9
    rows = db.session.execute(
        db.select(Movement).where(Movement.kind == "adjust", Movement.reason == "expired")
    ).scalars()
    assert sorted(m.quantity for m in rows) == [-6, -2]
    assert _audit("adjustment.write_off_expired") == 1
    assert on_hand.check_ledger() == []
    again = text(screens.get("/inventory/sites/HUB/write-off-expired"))
    assert "No expired stock" in again


def test_unknown_site_in_the_address_is_a_404(program, screens):
    screens.login("coord@example.org")
    assert screens.get("/inventory/sites/NOPE/write-off-expired").status_code == 404


def test_more_lines_keeps_what_was_typed_and_records_nothing(program, screens):
    screens.login("coord@example.org")
    response = screens.post("/inventory/receive", _receipt(more_lines="1"))
    assert response.status_code == 200
    page = text(response)
    assert 'id="lines-7-supply"' in page and 'value="NX1"' in page
    assert _on_hand(program["users"]["coordinator"], "HUB", "NARCAN4") == 0


def test_a_recorded_form_sent_again_with_other_values_gets_a_fresh_id(make, program, screens):
    make.receive("HUB", "FTS", 50)
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/adjust"))
    data = {
        "csrf_token": csrf_token_from(page),
        "op": re.search(r'name="op" type="hidden" value="([^"]*)"', page).group(1),
        "site": "HUB",
        "supply": "FTS",
        "quantity": "-5",
        "reason": "damaged",
    }
    assert screens.client.post("/inventory/adjust", data=data).status_code == 302
    response = screens.client.post("/inventory/adjust", data={**data, "quantity": "-6"})
    assert response.status_code == 409
    html = text(response)
    assert "already recorded" in html and data["op"] not in html
    assert _on_hand(program["users"]["coordinator"], "HUB", "FTS") == 45
