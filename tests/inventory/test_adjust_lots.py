"""Adjusting a lot-tracked supply names the lot whenever the site holds more than one."""

from tests.conftest import text


def _adjust(screens, **fields):
    data = {"site": "HUB", "supply": "NARCAN4", "quantity": "-1", "reason": "damaged", **fields}
    return screens.post("/inventory/adjust", data)


def test_several_lots_held_and_none_named_is_refused_listing_them(make, program, screens):
    make.receive("HUB", "NARCAN4", 5, lot="A1", expires_in_days=100)
    make.receive("HUB", "NARCAN4", 5, lot="B2", expires_in_days=200)
    screens.login("coord@example.org")
    response = _adjust(screens)
    assert response.status_code == 422
    page = text(response)
    assert 'id="lot_number-error"' in page and "pick one of A1, B2" in page
    assert "Site HUB holds 2 lots of Narcan 4 mg nasal spray (A1, B2): say which one." in page
    done = _adjust(screens, lot_number="B2")
    assert done.status_code == 302
    card = text(screens.get(done.headers["Location"]))
    assert "Adjusted -1 unit of Narcan 4 mg nasal spray, lot B2, at HUB (damaged)." in card


def test_the_only_lot_is_named_in_the_confirmation(make, program, screens):
    make.receive("HUB", "NARCAN4", 5, lot="ONLY")
    screens.login("coord@example.org")
    done = _adjust(screens)
    assert done.status_code == 302
    card = text(screens.get(done.headers["Location"]))
    assert "lot ONLY, at HUB" in card
