"""The stock card: newest first a page at a time, held-back units apart, the run-out date."""

import re

from tests.conftest import text
from tests.services.stock.test_forecast import give, open_quarters  # noqa: F401


def test_newest_first_in_pages_with_true_balances(make, program, screens):
    make.receive("HUB", "FTS", 1000)
    screens.login("coord@example.org")
    for _ in range(60):
        data = {"site": "HUB", "supply": "FTS", "quantity": "-1", "reason": "damaged"}
        screens.post("/inventory/adjust", data)
    first = text(screens.get("/inventory/stock-card", site="HUB", supply="FTS"))
    balances = [
        int(b.replace(",", "")) for b in re.findall(r'class="num balance">([\d,]+)<', first)
    ]
    assert balances[:3] == [940, 941, 942] and len(balances) == 50
    assert "page 1 of 2" in first and "Older movements" in first
    second = text(screens.get("/inventory/stock-card", site="HUB", supply="FTS", page="2"))
    balances = [
        int(b.replace(",", "")) for b in re.findall(r'class="num balance">([\d,]+)<', second)
    ]
    assert balances == [990 + n for n in range(10)] + [1000]
    assert "Newer movements" in second


def test_recalled_units_are_shown_apart_from_usable_ones(make, program, screens):
    make.receive("HUB", "NARCAN4", 944, lot="GOOD")
    make.receive("HUB", "NARCAN4", 10, lot="BAD")
    screens.login("coord@example.org")
    screens.post(
        "/inventory/lots", {"supply": "NARCAN4", "lot_number": "BAD", "status": "recalled"}
    )
    page = text(screens.get("/inventory/stock-card", site="HUB", supply="NARCAN4"))
    assert 'id="usable-now">944<' in page and 'id="on-hand-now">954<' in page
    assert 'data-kind="recalled">10<' in page
    assert re.search(r'data-lot="BAD">.*?tag-bad">recalled<', page, re.S)


def test_the_card_says_when_the_stock_runs_out(make, program, screens, open_quarters):  # noqa: F811
    make.receive("HUB", "FTS", 100, days_ago=40)
    for days_ago in (3, 10, 17, 24):
        give(make, "HUB", "FTS", 14, days_ago)
    screens.login("coord@example.org")
    page = text(screens.get("/inventory/stock-card", site="HUB", supply="FTS"))
    # 44 usable at 2 a day.
    assert "in about 22 days" in page and "(2 a day, the median week of the last four)" in page
    quiet = text(screens.get("/inventory/stock-card", site="VAN", supply="FTS"))
    assert "No steady use in the last four weeks" in quiet
