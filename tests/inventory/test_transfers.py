"""Transfers of several lines: the screen, its lists, errors naming the cause, one slip."""

from supplies.extensions import db
from supplies.models import Movement
from supplies.services.stock import on_hand
from tests.conftest import text


def _on_hand(user, site, supply) -> int:
    return sum(
        r["quantity"]
        for r in on_hand.stock_rows(user)
        if r["site"] == site and r["supply"] == supply
    )


def _stock_van(make):
    make.supply("SYR", category="syringe", name="Syringe 1 mL")
    make.receive("HUB", "NARCAN4", 20, lot="EARLY", expires_in_days=60)
    make.receive("HUB", "NARCAN4", 30, lot="LATE", expires_in_days=400)
    make.receive("HUB", "FTS", 500)
    make.receive("HUB", "SYR", 1000)


def _three_lines(**overrides):
    data = {
        "from_site": "HUB",
        "to_site": "VAN",
        "lines-0-supply": "NARCAN4",
        "lines-0-quantity": "12",
        "lines-0-lot_number": "LATE",
        "lines-1-supply": "FTS",
        "lines-1-quantity": "250",
        "lines-2-supply": "SYR",
        "lines-2-quantity": "400",
    }
    data.update(overrides)
    return data


def test_three_lines_move_together_with_one_slip(make, program, screens):
    _stock_van(make)
    screens.login("coord@example.org")
    response = screens.post(
        "/inventory/transfer", _three_lines(), "/inventory/transfer?from_site=HUB"
    )
    assert response.status_code == 302
    slip = text(screens.get(response.headers["Location"]))
    assert "Narcan 4 mg nasal spray: 12 units" in slip
    assert "Fentanyl test strip: 250 units" in slip and "Syringe 1 mL: 400 units" in slip
    assert "3 lines" in slip and "662 units" in slip and "LATE" in slip and "EARLY" not in slip
    assert "Transferred 662 units in 3 lines from HUB to VAN." in slip
    coordinator = program["users"]["coordinator"]
    assert _on_hand(coordinator, "VAN", "FTS") == 250
    assert _on_hand(coordinator, "HUB", "NARCAN4") == 38


def test_one_short_line_moves_nothing_and_names_its_field(make, program, screens):
    _stock_van(make)
    screens.login("coord@example.org")
    data = _three_lines(**{"lines-2-quantity": "4000"})
    response = screens.post("/inventory/transfer", data, "/inventory/transfer?from_site=HUB")
    assert response.status_code == 409
    page = text(response)
    assert 'id="lines-2-quantity-error"' in page and "only 1,000 available" in page
    assert 'value="4000"' in page
    assert (
        db.session.execute(db.select(Movement).where(Movement.kind == "transfer_out")).first()
        is None
    )


def test_sending_site_lists_its_supplies_and_lots_with_numbers(make, program, screens):
    _stock_van(make)
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/transfer", from_site="HUB"))
    assert "Narcan 4 mg nasal spray: 50 usable" in page
    assert "Fentanyl test strip: 500 usable" in page
    assert 'data-supply="NARCAN4"' in page and "EARLY · Narcan 4 mg nasal spray" in page
    empty = text(screens.get("/inventory/transfer", from_site="VAN"))
    assert "This site holds no usable stock." in empty


def test_errors_name_the_real_cause(make, program, screens):
    _stock_van(make)
    make.receive("VAN", "NARCAN4", 5, lot="VANLOT", expires_in_days=200)
    screens.login("coord@example.org")
    url = "/inventory/transfer?from_site=HUB"
    unknown = screens.post(
        "/inventory/transfer", _three_lines(**{"lines-0-lot_number": "NOPE"}), url
    )
    assert unknown.status_code == 422
    assert "Lot NOPE of Narcan 4 mg nasal spray is not known." in text(unknown)
    elsewhere = screens.post(
        "/inventory/transfer", _three_lines(**{"lines-0-lot_number": "VANLOT"}), url
    )
    assert elsewhere.status_code == 409
    assert "Site HUB holds none of lot VANLOT of Narcan 4 mg nasal spray." in text(elsewhere)
    screens.post(
        "/inventory/lots",
        {"supply": "NARCAN4", "lot_number": "LATE", "status": "recalled"},
    )
    recalled = screens.post("/inventory/transfer", _three_lines(), url)
    assert recalled.status_code == 409
    page = text(recalled)
    assert "Lot LATE of Narcan 4 mg nasal spray is recalled: it cannot move." in page
    assert 'id="lines-0-lot_number-error"' in page
    assert "Only 0" not in page
