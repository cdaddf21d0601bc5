"""GET /stock rows carry days_left where the site uses the supply at a steady rate."""

from tests.services.stock.test_forecast import give, open_quarters  # noqa: F401


def test_days_left_on_every_row_of_a_used_supply(make, program, api, open_quarters):  # noqa: F811
    make.receive("HUB", "NARCAN4", 40, lot="A", days_ago=40)
    make.receive("HUB", "NARCAN4", 30, lot="B", days_ago=40, expires_in_days=600)
    make.receive("HUB", "FTS", 10, days_ago=40)
    for days_ago in (2, 9, 16, 23):
        give(make, "HUB", "NARCAN4", 7, days_ago)
    rows = api.get("/stock", program["tokens"]["coordinator"], site="HUB").get_json()
    days = {(r["supply"], r["lot_number"]): r["days_left"] for r in rows}
    # 70 - 28 = 42 usable at 1 a day; test strips were never handed out: no rate.
    assert days == {("NARCAN4", "A"): 42, ("NARCAN4", "B"): 42, ("FTS", None): None}
