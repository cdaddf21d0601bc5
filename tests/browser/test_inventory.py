"""A coordinator's month in the browser: receive, transfer, count, then read the stock card.

Every number is read off the screen and checked against /api/v1/stock and check-ledger.
"""

import re
from datetime import date, timedelta

from supplies.services.stock import on_hand
from tests.browser.conftest import distribute_days_ago, screenshot, sign_in
from tests.conftest import PASSWORD


def _program(make):
    make.site("HUB", name="Downtown hub")
    make.site("VAN", kind="mobile_van", name="Outreach van")
    make.supply("NARCAN4", name="Narcan 4 mg nasal spray")
    make.supply("FTS", category="fentanyl_test_strip", name="Fentanyl test strip")
    make.funding("SOR")
    return make.user("coord@example.org", "coordinator")


def _cell(page, site, supply) -> int:
    text = page.locator(f'td[data-site="{site}"][data-supply="{supply}"] .qty').inner_text()
    return int(text)


def _api_total(page, site, supply) -> int:
    rows = page.request.get(f"/api/v1/stock?site={site}").json()
    return sum(r["quantity"] for r in rows if r["supply"] == supply)


def _balances(page) -> list[int]:
    return [int(t) for t in page.locator("td.balance").all_inner_texts()]


def test_receive_transfer_count_and_stock_card(live_make, desktop, phone):
    coordinator = _program(live_make)
    page = desktop
    sign_in(page, "coord@example.org", PASSWORD)
    page.wait_for_url("**/home")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")

    # Receive one shipment of two lines.
    expiry = (date.today() + timedelta(days=400)).isoformat()
    page.get_by_role("link", name="Receive").first.click()
    page.select_option("#site", "HUB")
    # Received five weeks ago: the back-dated distributions below come after it.
    page.fill("#received_on", (date.today() - timedelta(days=35)).isoformat())
    page.select_option("#source", "state_program")
    page.select_option("#lines-0-supply", "NARCAN4")
    page.fill("#lines-0-quantity", "24")
    page.fill("#lines-0-lot_number", "NX-1")
    page.fill("#lines-0-expires_on", expiry)
    page.select_option("#lines-0-funding", "SOR")
    page.select_option("#lines-1-supply", "FTS")
    page.fill("#lines-1-quantity", "500")
    screenshot(page, "inventory-receive-desktop")
    page.get_by_role("button", name="Receive").click()
    page.wait_for_url("**/inventory/")
    assert "Received 524 units in 2 lines at HUB." in page.get_by_role("status").first.inner_text()
    page.goto("/inventory/?show=all")  # no site needs attention yet: list them all
    assert _cell(page, "HUB", "NARCAN4") == 24 == _api_total(page, "HUB", "NARCAN4")
    assert _cell(page, "HUB", "FTS") == 500 == _api_total(page, "HUB", "FTS")

    # A mistake first: the error names the field and keeps the numbers typed.
    page.get_by_role("link", name="Transfer").first.click()
    page.select_option("#from_site", "HUB")  # lists what the hub holds (the page reloads)
    page.wait_for_selector("#lines-0-supply option:has-text('usable')", state="attached")
    page.select_option("#to_site", "VAN")
    page.select_option("#lines-0-supply", "NARCAN4")
    page.fill("#lines-0-quantity", "99")
    page.get_by_role("button", name="Transfer", exact=True).click()
    assert page.locator("#lines-0-quantity-error").inner_text() == "only 24 available"
    field = page.locator("#lines-0-quantity")
    assert field.get_attribute("aria-describedby") == "lines-0-quantity-error"
    assert field.input_value() == "99"
    screenshot(page, "inventory-transfer-error-desktop")
    page.fill("#lines-0-quantity", "10")
    page.get_by_role("button", name="Transfer", exact=True).click()
    page.wait_for_url("**/inventory/transfers/*")
    slip = page.locator("article.slip")
    assert "Narcan 4 mg nasal spray: 10 units" in slip.inner_text()
    assert "NX-1" in slip.inner_text()
    screenshot(page, "inventory-packing-slip-desktop")
    assert _api_total(page, "VAN", "NARCAN4") == 10
    assert _api_total(page, "HUB", "NARCAN4") == 14

    # Count the van: one box is missing; review, then confirm.
    page.goto("/inventory/sites/VAN/count")
    row = page.locator("tr", has_text="NX-1")
    assert row.locator("td.num").inner_text() == "10"
    row.get_by_role("textbox").fill("9")
    page.get_by_role("button", name="Review the count").click()
    page.wait_for_url("**/inventory/counts/*")
    review = page.locator("table.count-review tr", has_text="NX-1").inner_text()
    assert re.search(r"10\s+9\s+-1", review), review
    screenshot(page, "inventory-count-review-desktop")
    page.get_by_role("button", name="Confirm count").click()
    assert "confirmed" in page.get_by_role("heading", level=1).inner_text()

    # The stock card of the van: transfer in, then the count; balances on screen.
    page.goto("/inventory/stock-card?site=VAN&supply=NARCAN4")
    assert _balances(page) == [9, 10]  # newest first
    assert page.locator("#closing").inner_text() == "9"
    assert page.locator("#on-hand-now").inner_text() == "9"
    kinds = page.locator("table.stock-card tbody tr td:nth-child(2)").all_inner_texts()
    assert kinds == ["count", "transfer in slip"]  # a transfer links its packing slip
    assert "from HUB" in page.locator("table.stock-card tbody tr").last.inner_text()
    screenshot(page, "inventory-stock-card-desktop")
    page.goto("/inventory/stock-card?site=HUB&supply=NARCAN4")
    assert _balances(page) == [14, 24]

    # The overview agrees with the API and the ledger.
    page.goto("/inventory/")
    assert "No site needs attention" in page.locator("#sites-h ~ p").nth(1).inner_text()
    page.get_by_role("link", name="Show all 2 sites").click()
    assert _cell(page, "VAN", "NARCAN4") == 9 == _api_total(page, "VAN", "NARCAN4")
    assert _cell(page, "HUB", "NARCAN4") == 14 == _api_total(page, "HUB", "NARCAN4")
    assert on_hand.check_ledger() == []

    # Some weeks of distributions for the chart, then the home page on a phone.
    for days_ago, quantity in ((0, 2), (8, 3), (30, 1)):
        distribute_days_ago(coordinator, "HUB", "NARCAN4", quantity, days_ago)
    distribute_days_ago(coordinator, "HUB", "FTS", 20, 3)
    sign_in(phone, "coord@example.org", PASSWORD)
    phone.wait_for_url("**/home")
    assert phone.locator("svg.chart-svg rect.bar").count() >= 3
    phone.get_by_text("The chart as a table").click()
    screenshot(phone, "inventory-home-phone")

    # A par level for the van makes it low; the suggestion starts the transfer in one click.
    page.goto("/inventory/sites/VAN/par-levels")
    page.fill("#minimum-NARCAN4", "12")
    page.fill("#target-NARCAN4", "20")
    page.get_by_role("button", name="Save par levels").click()
    page.wait_for_url("**/inventory/")
    # Only the van needs attention now; the hub, with no par level, is listed with all sites.
    assert page.locator('tr[data-site="VAN"]').count() == 1
    assert page.locator('tr[data-site="HUB"]').count() == 0
    page.goto("/inventory/?show=all")
    assert _cell(page, "HUB", "NARCAN4") == 8 == _api_total(page, "HUB", "NARCAN4")
    van = page.locator('td[data-site="VAN"][data-supply="NARCAN4"]')
    assert "low" in van.inner_text() and "min 12 · target 20" in van.inner_text()
    screenshot(page, "inventory-overview-desktop")
    # The hub keeps what it needs for the lead time at its own rate (3 of its 8): 5 can go.
    page.get_by_role("link", name="Transfer 5").click()
    assert page.locator("#lines-0-quantity").input_value() == "5"
    assert page.locator("#lines-0-supply").input_value() == "NARCAN4"
    assert page.locator("#to_site").input_value() == "VAN"
    page.get_by_role("button", name="Transfer", exact=True).click()
    page.wait_for_url("**/inventory/transfers/*")
    page.goto("/inventory/?show=all")
    assert _cell(page, "VAN", "NARCAN4") == 14 == _api_total(page, "VAN", "NARCAN4")
    assert "low" not in page.locator('td[data-site="VAN"][data-supply="NARCAN4"]').inner_text()
    assert on_hand.check_ledger() == []


def test_staff_counts_blind_on_a_phone_and_a_coordinator_confirms(live_make, phone, desktop):
    _program(live_make)
    live_make.user("van@example.org", "staff", sites=("VAN",))
    live_make.receive("VAN", "NARCAN4", 12, lot="V-7")
    live_make.receive("VAN", "FTS", 200)

    sign_in(phone, "van@example.org", PASSWORD)
    phone.wait_for_url("**/distribute/sites/VAN")  # staff land on the distribution screen
    phone.get_by_role("link", name="Count", exact=True).click()
    phone.get_by_role("link", name="Blind count at VAN").click()
    assert phone.locator("td.expected").count() == 0  # blind: the books stay hidden
    phone.get_by_label("Counted Narcan 4 mg nasal spray lot V-7").fill("12")
    phone.get_by_label("Counted Fentanyl test strip").fill("190")
    screenshot(phone, "inventory-count-blind-phone")
    phone.get_by_role("button", name="Review the count").click()
    phone.wait_for_url("**/inventory/counts/*")
    assert phone.get_by_text("Waiting for a coordinator to confirm").is_visible()
    assert phone.get_by_role("button", name="Confirm count").count() == 0
    screenshot(phone, "inventory-count-waiting-phone")
    review_url = phone.url

    sign_in(desktop, "coord@example.org", PASSWORD)
    desktop.wait_for_url("**/home")
    desktop.get_by_role("link", name=re.compile("Outreach van: 2 lines")).click()
    assert desktop.url == review_url
    strips = desktop.locator("table.count-review tr", has_text="Fentanyl").inner_text()
    assert re.search(r"200\s+190\s+-10", strips), strips
    desktop.get_by_role("button", name="Confirm count").click()
    assert "confirmed" in desktop.get_by_role("heading", level=1).inner_text()
    assert _api_total(desktop, "VAN", "FTS") == 190
    assert _api_total(desktop, "VAN", "NARCAN4") == 12
    desktop.goto("/inventory/?show=all")
    assert _cell(desktop, "VAN", "FTS") == 190
    assert on_hand.check_ledger() == []


def test_write_off_expired_and_recall_a_lot(live_make, desktop):
    _program(live_make)
    live_make.receive("HUB", "NARCAN4", 5, lot="OLD-1", expires_in_days=-3)
    live_make.receive("HUB", "NARCAN4", 7, lot="GOOD-2", expires_in_days=45)
    live_make.receive("VAN", "NARCAN4", 4, lot="GOOD-2", expires_in_days=45)
    page = desktop
    sign_in(page, "coord@example.org", PASSWORD)
    page.wait_for_url("**/home")
    assert (
        "Within 31 to 60 days (11 units)"
        in page.locator("#expiring-h + h3 ~ h3").first.inner_text()
    )
    assert "+5 unusable" in page.locator('td[data-site="HUB"][data-supply="NARCAN4"]').inner_text()

    page.get_by_role("link", name="Write off expired at HUB").click()
    page.get_by_role("button", name="Write off 5 expired units").click()
    page.wait_for_url("**/inventory/")
    assert "Wrote off 5 expired units at HUB." in page.get_by_role("status").first.inner_text()
    assert page.get_by_text("No expired units on hand.").is_visible()
    assert _api_total(page, "HUB", "NARCAN4") == 7

    page.get_by_role("link", name="Lots").first.click()
    page.get_by_label("Lot number").fill("GOOD")
    page.get_by_role("button", name="Search").click()
    row = page.locator('tr[data-lot="GOOD-2"]')
    assert "11" in row.locator("td.num").inner_text()
    row.get_by_role("link", name="Recall lot GOOD-2").click()
    assert "11 units at 2 sites:" in page.locator("#reach").inner_text()
    page.get_by_label("Note").fill("Manufacturer recall notice")
    page.get_by_role("button", name="Recall lot GOOD-2").click()
    assert "is now recalled" in page.get_by_role("status").first.inner_text()
    assert "lot=GOOD" in page.url  # back to the search it came from
    page.goto("/inventory/")
    blocked = page.locator("#blocked-h + .table-wrap").inner_text()
    assert "Downtown hub" in blocked and "Outreach van" in blocked
    assert _cell(page, "HUB", "NARCAN4") == 0 and _cell(page, "VAN", "NARCAN4") == 0
    rows = page.request.get("/api/v1/stock").json()
    assert {r["status"] for r in rows if r["lot_number"] == "GOOD-2"} == {"recalled"}
    screenshot(page, "inventory-recall-overview-desktop")
    assert on_hand.check_ledger() == []
