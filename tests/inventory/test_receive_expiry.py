"""The receive screen: an expired lot only for disposal, a lot expiring soon gets a word."""

from datetime import date, timedelta

from tests.conftest import text
from tests.inventory.test_stock_work import _on_hand, _receipt


def test_an_expired_lot_is_refused_on_the_screen_unless_for_disposal(program, screens):
    screens.login("coord@example.org")
    expired = (date.today() - timedelta(days=3)).isoformat()
    refused = screens.post("/inventory/receive", _receipt(**{"lines-0-expires_on": expired}))
    assert refused.status_code == 422
    assert "before it was received" in text(refused)
    assert _on_hand(program["users"]["coordinator"], "HUB", "NARCAN4") == 0
    kept = screens.post(
        "/inventory/receive",
        _receipt(**{"lines-0-expires_on": expired, "for_disposal": "y"}),
        follow_redirects=True,
    )
    assert kept.status_code == 200
    lots = text(screens.get("/inventory/lots"))
    assert "NX1" in lots and "quarantined" in lots


def test_a_lot_expiring_within_30_days_is_named_after_receiving(program, screens):
    screens.login("coord@example.org")
    soon = (date.today() + timedelta(days=12)).isoformat()
    page = screens.post(
        "/inventory/receive", _receipt(**{"lines-0-expires_on": soon}), follow_redirects=True
    )
    assert "Lot NX1 expires within 30 days: hand it out first." in text(page)
