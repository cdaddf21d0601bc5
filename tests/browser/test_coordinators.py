"""Coordinators at a real program's scale (issue 20), in English and in Spanish.

Find a lot among many and recall it after seeing what it reaches; read a long stock card
newest first with recalled units apart; stock a van with three supplies in one transfer
and one packing slip; see run-out dates on the overview; adjust a lot-tracked supply;
ask the Reports form for typed dates; reach par levels and counts from the menus; create
and deactivate an account. Screenshots at 320, 375 and 1366 px go to tests/artifacts/.
"""

import re

import pytest

from supplies.services.stock import on_hand
from tests.browser.conftest import ARTIFACTS, distribute_days_ago, sign_in
from tests.conftest import PASSWORD

WIDTHS = (320, 375, 1366)
LANGUAGES = ("en", "es")

# What the screens say, per language (the checks read the reader's words).
WORDS = {
    "en": {
        "search": "Search",
        "found": "lots found",
        "recall": "Recall lot {lot}",
        "reach": "{units} units at {sites} sites:",
        "now_recalled": "is now recalled",
        "transfer": "Transfer",
        "usable": "usable",
        "fts_usable": "Fentanyl test strip: 4,800 usable",
        "slip_units": "{supply}: {num} units",
        "lines": "3 lines",
        "recalled_refusal": "is recalled: it cannot move.",
        "runs_out": "runs out in about",
        "card_runs_out": "in about",
        "older": "Older movements",
        "pick_lot": "pick one of",
        "adjusted": "lot B-2",
        "par_levels": "Par levels",
        "count": "Count",
        "deactivate_q": "Deactivate {email}?",
        "staff": "Staff",
    },
    "es": {
        "search": "Buscar",
        "found": "lotes encontrados",
        "recall": "Retirar el lote {lot}",
        "reach": "{units} unidades en {sites} sitios:",
        "now_recalled": "retirado",
        "transfer": "Trasladar",
        "usable": "utilizables",
        "fts_usable": "Fentanyl test strip: 4.800 utilizables",
        "slip_units": "{supply}: {num} unidades",
        "lines": "3 líneas",
        "recalled_refusal": "está retirado: no se puede trasladar.",
        "runs_out": "se agota en unos",
        "card_runs_out": "en unos",
        "older": "Movimientos anteriores",
        "pick_lot": "elija uno de",
        "adjusted": "lote B-2",
        "par_levels": "Niveles de reposición",
        "count": "Contar",
        "deactivate_q": "¿Desactivar {email}?",
        "staff": "Personal",
    },
}


def shots(page, name: str, language: str) -> None:
    """Full-page screenshots of the current page at each width, for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(
            path=str(ARTIFACTS / f"issue20-{name}-{language}-{width}.png"), full_page=True
        )
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        # Wide tables scroll inside their own box; the page itself never scrolls sideways.
        assert overflow <= 1, f"{name} at {width} px overflows by {overflow} px"
    page.set_viewport_size({"width": 1366, "height": 900})


def _program(make):
    make.site("HUB", name="Downtown hub")
    make.site("VAN", kind="mobile_van", name="Outreach van")
    make.site("EAST", name="Eastside clinic")
    make.supply("NARCAN4", name="Narcan 4 mg nasal spray")
    make.supply("FTS", category="fentanyl_test_strip", name="Fentanyl test strip")
    make.supply("SYR", category="syringe", name="Syringe 1 mL")
    make.funding("SOR")
    return make.user("coord@example.org", "coordinator")


def _start(page, language: str) -> None:
    sign_in(page, "coord@example.org", PASSWORD)
    page.wait_for_url("**/home")
    if language == "es":
        page.locator("button[name=lang][value=es]").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "es"


@pytest.fixture
def open_quarters(live_app):
    """Back-dated distributions weeks ago are never refused for a closed quarter."""
    live_app[0].config["REPORTING_CLOSE_DAYS"] = 400


@pytest.mark.parametrize("language", LANGUAGES)
def test_find_a_lot_among_many_and_recall_it(live_make, desktop, language):
    _program(live_make)
    for number in range(40):
        site = ("HUB", "VAN", "EAST")[number % 3]
        live_make.receive(
            site, "NARCAN4", 5 + number, lot=f"NX-{number:03d}", expires_in_days=60 + number * 9
        )
    live_make.receive("EAST", "NARCAN4", 3, lot="NX-031", expires_in_days=60 + 31 * 9)
    words = WORDS[language]
    page = desktop
    _start(page, language)
    page.goto("/inventory/lots")
    assert f"40 {words['found']}" in page.locator("table.lots-found caption").inner_text()
    assert page.locator("tr[data-lot]").count() == 25  # a page at a time
    page.locator("#lot-q").fill("031")
    page.get_by_role("button", name=words["search"]).click()
    assert [page.locator("tr[data-lot]").get_attribute("data-lot")] == ["NX-031"]
    shots(page, "lots-search", language)
    page.goto("/inventory/lots?within=90&site=HUB")
    assert page.locator("tr[data-lot]").all_inner_texts()  # filters combine: expiring at HUB
    for row in page.locator("tr[data-lot]").all():
        assert "Downtown hub" in row.inner_text()

    page.goto("/inventory/lots?lot=031")
    row = page.locator('tr[data-lot="NX-031"]')
    row.get_by_role("link", name=words["recall"].format(lot="NX-031")).click()
    reach = page.locator("#reach").inner_text()
    assert words["reach"].format(units=39, sites=2) in reach
    places = page.locator("#reach + ul").inner_text()
    assert "Outreach van: 36" in places and "Eastside clinic: 3" in places
    shots(page, "lot-recall-confirm", language)
    page.get_by_role("button", name=words["recall"].format(lot="NX-031")).click()
    assert words["now_recalled"] in page.get_by_role("status").first.inner_text()
    assert "lot=031" in page.url
    rows = page.request.get("/api/v1/stock").json()
    assert {r["status"] for r in rows if r["lot_number"] == "NX-031"} == {"recalled"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_three_line_transfer_with_one_packing_slip(live_make, desktop, language):
    _program(live_make)
    live_make.receive("HUB", "NARCAN4", 20, lot="EARLY-1", expires_in_days=40)
    live_make.receive("HUB", "NARCAN4", 815, lot="LATE-2", expires_in_days=400)
    live_make.receive("HUB", "FTS", 4800)
    live_make.receive("HUB", "SYR", 1000)
    live_make.receive("EAST", "NARCAN4", 5, lot="EAST-9", expires_in_days=300)
    words = WORDS[language]
    page = desktop
    _start(page, language)
    page.goto("/inventory/transfer")
    page.select_option("#from_site", "HUB")  # the page lists what the hub holds
    page.wait_for_selector(
        f"#lines-0-supply option:has-text('{words['usable']}')", state="attached"
    )
    supplies = page.locator("#lines-0-supply option").all_inner_texts()
    assert any("Narcan 4 mg nasal spray: 835" in text for text in supplies)
    assert words["fts_usable"] in supplies  # one number format: as the language writes it
    page.select_option("#to_site", "VAN")
    page.select_option("#lines-0-supply", "NARCAN4")
    page.fill("#lines-0-quantity", "24")
    page.select_option("#lines-0-lot_number", "LATE-2")
    page.select_option("#lines-1-supply", "FTS")
    page.fill("#lines-1-quantity", "250")
    page.select_option("#lines-2-supply", "SYR")
    page.fill("#lines-2-quantity", "300")
    lots = page.locator("#lines-0-lot_number option:not([hidden])").all_inner_texts()
    assert any("LATE-2" in text and "815" in text for text in lots)
    shots(page, "transfer-three-lines", language)
    page.get_by_role("button", name=words["transfer"], exact=True).click()
    page.wait_for_url("**/inventory/transfers/*")
    slip = page.locator("article.slip").inner_text()
    assert words["slip_units"].format(supply="Narcan 4 mg nasal spray", num=24) in slip
    assert words["slip_units"].format(supply="Syringe 1 mL", num=300) in slip
    assert words["lines"] in slip and "LATE-2" in slip and "EARLY-1" not in slip
    shots(page, "packing-slip-three-lines", language)
    assert on_hand.check_ledger() == []

    # A recalled lot is refused for what it is, beside the lot it names; nothing moves.
    page.goto("/inventory/lots?lot=LATE-2")
    page.locator('tr[data-lot="LATE-2"] a').nth(1).click()  # Recall
    page.locator("main form button.primary").click()
    page.goto("/inventory/transfer?from_site=HUB&to_site=VAN&supply=NARCAN4&quantity=2")
    page.select_option("#lines-0-lot_number", "LATE-2")
    page.select_option("#lines-1-supply", "FTS")
    page.fill("#lines-1-quantity", "10")
    page.get_by_role("button", name=words["transfer"], exact=True).click()
    assert words["recalled_refusal"] in page.get_by_role("alert").first.inner_text()
    assert page.locator("#lines-0-lot_number-error").is_visible()
    assert page.locator("#lines-1-quantity").input_value() == "10"
    shots(page, "transfer-recalled-lot", language)
    van = {r["supply"]: r["quantity"] for r in page.request.get("/api/v1/stock?site=VAN").json()}
    assert van.get("FTS") == 250  # the refused transfer moved nothing


@pytest.mark.parametrize("language", LANGUAGES)
def test_overview_and_stock_card_say_when_stock_runs_out(
    live_make, desktop, language, open_quarters
):
    coordinator = _program(live_make)
    live_make.receive("HUB", "NARCAN4", 954, lot="GOOD-1", days_ago=60, expires_in_days=500)
    live_make.receive("HUB", "NARCAN4", 10, lot="BAD-2", days_ago=60, expires_in_days=500)
    live_make.receive("VAN", "FTS", 100, days_ago=60)
    live_make.receive("HUB", "FTS", 2000, days_ago=60)
    for days_ago in range(1, 28):
        distribute_days_ago(coordinator, "VAN", "FTS", 3, days_ago)  # 21 a week: 3 a day
        distribute_days_ago(coordinator, "HUB", "NARCAN4", 1, days_ago)  # twice a day: 54 rows
        distribute_days_ago(coordinator, "HUB", "NARCAN4", 1, days_ago)
    words = WORDS[language]
    page = desktop
    _start(page, language)
    page.goto("/inventory/?show=all")
    van = page.locator('td[data-site="VAN"][data-supply="FTS"]')
    # 100 - 81 = 19 usable at 3 a day: about 6 days, within the 14-day lead time.
    assert words["runs_out"] in van.inner_text() and " 6 " in van.inner_text()
    assert "cell-soon" in van.get_attribute("class")
    hub = page.locator('td[data-site="HUB"][data-supply="NARCAN4"]')
    assert "cell-soon" not in hub.get_attribute("class")
    assert page.locator("td.cell-over").count() == 0 or page.locator(".tag-info").count() == 0
    suggestion = page.locator("#restock-h ~ .table-wrap tr", has_text="Outreach van")
    assert "Fentanyl" in suggestion.inner_text()
    shots(page, "overview-run-out", language)

    page.goto("/inventory/lots?lot=BAD-2")
    page.locator('tr[data-lot="BAD-2"] a').nth(1).click()
    page.locator("main form button.primary").click()
    page.goto("/inventory/stock-card?site=HUB&supply=NARCAN4")
    assert page.locator("#usable-now").inner_text() == "900"
    assert page.locator('dd.held-back[data-kind="recalled"]').inner_text() == "10"
    assert words["card_runs_out"] in page.locator("#runs-out").inner_text()
    balances = [int(re.sub(r"\D", "", t)) for t in page.locator("td.balance").all_inner_texts()]
    assert balances[:3] == [910, 911, 912] and len(balances) == 50  # newest first, paged
    assert page.get_by_role("link", name=words["older"]).is_visible()
    assert page.locator('tr[data-lot="BAD-2"] .tag-bad').is_visible()
    shots(page, "stock-card", language)
    for width in (375, 1366):  # the top of the card as it first appears
        page.set_viewport_size({"width": width, "height": 1000})
        page.screenshot(path=str(ARTIFACTS / f"issue20-stock-card-top-{language}-{width}.png"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_adjusting_names_the_lot(live_make, desktop, language):
    _program(live_make)
    live_make.receive("HUB", "NARCAN4", 5, lot="A-1", expires_in_days=100)
    live_make.receive("HUB", "NARCAN4", 5, lot="B-2", expires_in_days=200)
    words = WORDS[language]
    page = desktop
    _start(page, language)
    page.goto("/inventory/adjust?site=HUB&supply=NARCAN4&quantity=-1&reason=damaged")
    page.locator("main form button.primary").click()
    assert words["pick_lot"] in page.locator("#lot_number-error").inner_text()
    page.fill("#lot_number", "B-2")
    page.locator("main form button.primary").click()
    assert words["adjusted"] in page.get_by_role("status").first.inner_text()
    shots(page, "adjust-named-lot", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_reports_typed_dates_choose_the_custom_period(live_make, desktop, language):
    _program(live_make)
    page = desktop
    _start(page, language)
    page.goto("/reports/")
    page.fill("#start", "2026-01-01")
    page.fill("#end", "2026-01-31")
    with page.expect_download() as download:
        page.locator("main form button[type=submit]").first.click()
    assert "2026-01-01-to-2026-01-31" in download.value.suggested_filename
    page.goto("/reports/")
    page.fill("#start", "2026-01-01")
    page.locator("main form button[type=submit]").first.click()
    assert page.locator("#end-error").is_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_menus_new_account_and_deactivation(live_make, desktop, language):
    _program(live_make)
    live_make.user("admin@example.org", "admin")
    target = live_make.user("leaving@example.org", "staff", sites=("HUB",))
    words = WORDS[language]
    page = desktop
    _start(page, language)
    nav = page.get_by_role("navigation").first
    nav.get_by_role("link", name=words["par_levels"]).click()
    assert page.get_by_role("link", name=re.compile("Downtown hub")).count() >= 1
    nav = page.get_by_role("navigation").first
    nav.get_by_role("link", name=words["count"], exact=True).click()
    assert "/inventory/count" in page.url
    shots(page, "count-menu", language)
    page.context.clear_cookies()
    sign_in(page, "admin@example.org", PASSWORD)
    if language == "es":
        page.locator("button[name=lang][value=es]").click()
        page.wait_for_load_state()
    page.goto("/admin/users/new")
    assert page.locator("#role option:checked").inner_text() == words["staff"]
    page.goto(f"/admin/users/{target.id}")
    page.locator("form[action$='/deactivate'] button").click()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == words["deactivate_q"].format(email="leaving@example.org")
    shots(page, "deactivate-confirm", language)
    page.locator("main form button.danger").click()
    assert page.locator(".tag-bad").first.is_visible()
