"""The distribution screen in Chromium on a phone: log, double click, too much, offline, void."""

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from supplies.extensions import db
from supplies.models import DistributionEvent
from supplies.services.common import clock
from supplies.services.distribution import bundles
from tests.browser.conftest import ARTIFACTS, PHONE, screenshot, sign_in
from tests.conftest import PASSWORD

NARCAN = "Narcan 4 mg nasal spray"
STRIPS = "Fentanyl test strip"


@pytest.fixture
def hub(live_make):
    """A site holding 10 Narcan and 100 strips, and a staff member working there."""
    live_make.site("HUB", name="Harbor Street Hub")
    live_make.supply("NARCAN4", name=NARCAN)
    live_make.supply("FTS", category="fentanyl_test_strip", name=STRIPS)
    live_make.receive("HUB", "NARCAN4", 10)
    live_make.receive("HUB", "FTS", 100)
    live_make.user("staff@example.org", "staff", sites=("HUB",))
    return live_make


@pytest.fixture
def routed_phone(browser, live_app):
    """A phone whose pages register no service worker, for tests that fake the server's
    answers: a request passing through a service worker escapes page.route(), so with the
    worker in control a faked answer was sometimes the real server's (a flaky test)."""
    context = browser.new_context(
        viewport=PHONE,
        base_url=live_app[1],
        is_mobile=True,
        has_touch=True,
        service_workers="block",
    )
    page = context.new_page()
    yield page
    context.close()


def _events() -> list[DistributionEvent]:
    db.session.rollback()  # end any earlier read so the live server's writes are seen
    return list(db.session.execute(db.select(DistributionEvent)).scalars())


def _on_hand(page, supply: str):
    return page.locator("#stock tr", has_text=supply).locator(".stock-usable")


def _staff_screen(page):
    sign_in(page, "staff@example.org", PASSWORD)
    page.wait_for_url("**/distribute/sites/HUB")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Log a distribution")


def _log_button(page):
    return page.get_by_role("button", name="Log distribution")


def test_staff_signs_in_to_the_screen_and_logs_by_labels(hub, phone):
    errors = []
    phone.on("pageerror", lambda error: errors.append(str(error)))
    _staff_screen(phone)
    expect(_on_hand(phone, NARCAN)).to_have_text("10")
    screenshot(phone, "distribute-phone")
    phone.get_by_label(NARCAN, exact=True).fill("2")
    strips = phone.locator(".qty", has_text=STRIPS)
    for _ in range(3):
        strips.get_by_role("button", name="One more").click()
    expect(phone.get_by_label(STRIPS, exact=True)).to_have_value("3")
    phone.get_by_role("group", name="Who is it for?").get_by_text("Person who uses drugs").click()
    phone.get_by_role("group", name="Overdose response training given?").get_by_text("Yes").click()
    _log_button(phone).click()
    expect(phone.locator("#js-confirmation")).to_have_text(f"Logged: 3 × {STRIPS}, 2 × {NARCAN}.")
    expect(_on_hand(phone, NARCAN)).to_have_text("8")
    expect(_on_hand(phone, STRIPS)).to_have_text("97")
    expect(phone.get_by_label(NARCAN, exact=True)).to_have_value("")
    expect(phone.locator("#today .event")).to_have_count(1)
    [event] = _events()
    assert (event.recipient_type, event.trained, event.setting) == (
        "person_who_uses_drugs",
        True,
        "fixed_site",
    )
    screenshot(phone, "distribute-phone-logged")
    assert errors == []


def test_desktop_layout(hub, desktop):
    _staff_screen(desktop)
    desktop.get_by_label(NARCAN, exact=True).fill("1")
    _log_button(desktop).click()
    expect(_on_hand(desktop, NARCAN)).to_have_text("9")
    desktop.get_by_text("More details (optional)").click()
    screenshot(desktop, "distribute-desktop")


def test_the_area_is_picked_from_the_list_and_the_form_resets_it(hub, phone):
    hub.area("Doña Ana County", "NM")
    hub.area(zip3="880")
    _staff_screen(phone)
    phone.get_by_text("More details (optional)").click()
    picker = phone.get_by_label("Area", exact=True)
    expect(picker.locator("option")).to_have_text(["Not asked", "Doña Ana County, NM", "ZIP 880…"])
    picker.select_option("Doña Ana County")
    phone.get_by_label(NARCAN, exact=True).fill("1")
    _log_button(phone).click()
    expect(phone.locator("#today .event")).to_have_count(1)
    expect(picker).to_have_value("")  # ready for the next person
    [event] = _events()
    assert event.area == "Doña Ana County"


def test_overdose_toggle_asks_how_many_reversals(hub, phone):
    _staff_screen(phone)
    reversals = phone.get_by_label("How many overdoses reversed?")
    expect(reversals).to_be_hidden()
    phone.get_by_text("Naloxone was used on an overdose").click()
    expect(reversals).to_have_value("1")
    phone.locator("#reversals").get_by_role("button", name="One more").click()
    phone.get_by_label(NARCAN, exact=True).fill("1")
    screenshot(phone, "distribute-phone-overdose")
    _log_button(phone).click()
    expect(_on_hand(phone, NARCAN)).to_have_text("9")
    [event] = _events()
    assert (event.resupply_reason, event.reversals_reported) == ("used_on_overdose", 2)


def test_double_click_records_one_event(hub, phone):
    _staff_screen(phone)
    phone.get_by_label(NARCAN, exact=True).fill("1")
    _log_button(phone).dblclick()
    expect(_on_hand(phone, NARCAN)).to_have_text("9")
    phone.wait_for_timeout(500)
    assert len(_events()) == 1


def test_too_much_keeps_the_values_and_says_how_many_are_available(hub, phone):
    _staff_screen(phone)
    phone.get_by_label(NARCAN, exact=True).fill("11")
    phone.get_by_label(STRIPS, exact=True).fill("5")
    _log_button(phone).click()
    expect(phone.locator("#form-error")).to_contain_text(f"Only 10 {NARCAN} available")
    expect(phone.locator(".qty", has_text=NARCAN).locator(".field-error")).to_have_text(
        "only 10 available"
    )
    expect(phone.get_by_label(NARCAN, exact=True)).to_have_value("11")
    expect(phone.get_by_label(NARCAN, exact=True)).to_have_attribute("aria-invalid", "true")
    expect(phone.get_by_label(STRIPS, exact=True)).to_have_value("5")
    screenshot(phone, "distribute-phone-too-much")
    assert _events() == []


def _go_offline_after_first_visit(page):
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_label(NARCAN, exact=True)).to_be_visible()


def test_offline_log_waits_then_syncs_exactly_once(hub, phone):
    _staff_screen(phone)
    _go_offline_after_first_visit(phone)
    phone.get_by_label(NARCAN, exact=True).fill("2")
    _log_button(phone).click()
    expect(phone.locator("#sync-status")).to_contain_text("waiting to sync (1)")
    expect(phone.locator("#queue-list li")).to_have_count(1)
    expect(phone.get_by_label(NARCAN, exact=True)).to_have_value("")
    screenshot(phone, "distribute-phone-offline")
    assert _events() == []
    phone.context.set_offline(False)
    expect(phone.locator("#sync-status")).to_have_text("All distributions are synced.")
    expect(_on_hand(phone, NARCAN)).to_have_text("8")
    expect(phone.locator("#queue-panel")).to_be_hidden()
    phone.reload()
    expect(_on_hand(phone, NARCAN)).to_have_text("8")
    [event] = _events()
    assert [line.quantity for line in event.lines] == [2]


def test_offline_refusal_is_shown_until_fixed(hub, phone):
    _staff_screen(phone)
    _go_offline_after_first_visit(phone)
    for _ in range(2):
        phone.get_by_label(NARCAN, exact=True).fill("8")
        _log_button(phone).click()
        expect(phone.get_by_label(NARCAN, exact=True)).to_have_value("")
    expect(phone.locator("#sync-status")).to_contain_text("waiting to sync (2)")
    phone.context.set_offline(False)
    attention = phone.locator("#attention")
    expect(attention).to_be_visible()
    expect(attention).to_contain_text(f"Only 2 {NARCAN} available")
    expect(_on_hand(phone, NARCAN)).to_have_text("2")
    expect(phone.locator("#sync-status")).to_have_text("1 distribution needs your attention below.")
    expect(phone.locator("#js-confirmation")).to_be_empty()
    screenshot(phone, "distribute-phone-refused")
    attention.get_by_role("button", name="Fix and send again").click()
    expect(phone.get_by_label(NARCAN, exact=True)).to_have_value("8")
    expect(phone.locator(".qty", has_text=NARCAN).locator(".field-error")).to_have_text(
        "only 2 available"
    )
    phone.get_by_label(NARCAN, exact=True).fill("2")
    _log_button(phone).click()
    expect(_on_hand(phone, NARCAN)).to_have_text("0")
    expect(attention).to_be_hidden()
    assert sorted(line.quantity for e in _events() for line in e.lines) == [2, 8]


def _queued(page) -> list[dict]:
    """The entries the offline queue holds on this phone (IndexedDB)."""
    return page.evaluate("window.DistributionQueue.all()")


def _after_a_reload(page, *, worker: bool = True) -> None:
    """Reload online and let the script draw its panels and try the queue."""
    page.reload()
    expect(page.get_by_label(STRIPS, exact=True)).to_be_visible()
    if worker:
        page.wait_for_selector("html[data-offline-ready]", state="attached")
    page.wait_for_timeout(500)


def test_too_much_online_is_fixed_in_the_form_and_never_kept_on_the_phone(hub, phone):
    # A refusal sending again cannot change (409): the person is at the table, so the form
    # says why with the values kept, and nothing waits on the phone under "Needs your
    # attention" (sent from there once stock arrived, it would record a hand-out that never
    # happened).
    _staff_screen(phone)
    phone.get_by_label(STRIPS, exact=True).fill("99999")
    _log_button(phone).click()
    expect(phone.locator(".qty", has_text=STRIPS).locator(".field-error")).to_have_text(
        "only 100 available"
    )
    expect(phone.get_by_label(STRIPS, exact=True)).to_have_value("99999")
    expect(phone.locator("#attention")).to_be_hidden()
    expect(phone.locator("#queue-panel")).to_be_hidden()
    expect(phone.locator("#sync-status")).to_be_empty()
    assert _queued(phone) == []
    _after_a_reload(phone)
    expect(phone.locator("#attention")).to_be_hidden()
    expect(phone.locator("#queue-panel")).to_be_hidden()
    expect(phone.locator("#sync-status")).to_be_empty()
    assert _queued(phone) == [] and _events() == []


@pytest.mark.parametrize(
    ("status", "parked"), [(422, False), (409, False), (502, True), (503, True), (504, True)]
)
def test_only_answers_a_retry_can_fix_keep_the_entry_on_the_phone(
    hub, routed_phone, status, parked
):
    phone = routed_phone
    _staff_screen(phone)
    refusal = {"error": {"code": "invalid", "message": "Check the form.", "fields": {}}}
    phone.route(
        "**/distribute/log",
        lambda route: route.fulfill(status=status, json=refusal if status < 500 else {}),
    )
    phone.get_by_label(NARCAN, exact=True).fill("1")
    _log_button(phone).click()
    if parked:  # saved on this phone, sent when the server answers again
        expect(phone.locator("#sync-status")).to_contain_text("waiting to sync (1)")
        expect(phone.locator("#queue-list li")).to_have_count(1)
        expect(phone.get_by_label(NARCAN, exact=True)).to_have_value("")
    else:  # refused: fixed in the form, not kept
        expect(phone.locator("#form-error")).to_contain_text("Check the form.")
        expect(phone.get_by_label(NARCAN, exact=True)).to_have_value("1")
        expect(phone.locator("#queue-panel")).to_be_hidden()
    expect(phone.locator("#attention")).to_be_hidden()
    assert len(_queued(phone)) == (1 if parked else 0)


def test_a_network_failure_keeps_the_entry_on_the_phone_until_it_is_sent(hub, routed_phone):
    phone = routed_phone
    _staff_screen(phone)
    phone.route("**/distribute/log", lambda route: route.abort("internetdisconnected"))
    phone.get_by_label(NARCAN, exact=True).fill("2")
    _log_button(phone).click()
    expect(phone.locator("#sync-status")).to_contain_text("waiting to sync (1)")
    _after_a_reload(phone, worker=False)  # still saved, never under "Needs your attention"
    expect(phone.locator("#queue-list li")).to_have_count(1)
    expect(phone.locator("#attention")).to_be_hidden()
    assert _events() == []
    phone.unroute("**/distribute/log")
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.locator("#sync-status")).to_have_text("All distributions are synced.")
    [event] = _events()
    assert [line.quantity for line in event.lines] == [2]


def test_an_entry_refused_on_replay_stays_parked_until_fixed(hub, phone):
    # Queued offline, refused when replayed: its person has gone, so it stays under
    # "Needs your attention", across reloads and a fix that is refused again, until a fix
    # is accepted (or it is discarded).
    _staff_screen(phone)
    _go_offline_after_first_visit(phone)
    for _ in range(2):
        phone.get_by_label(NARCAN, exact=True).fill("8")
        _log_button(phone).click()
        expect(phone.get_by_label(NARCAN, exact=True)).to_have_value("")
    phone.context.set_offline(False)
    attention = phone.locator("#attention")
    expect(attention).to_contain_text(f"Only 2 {NARCAN} available")
    _after_a_reload(phone)
    expect(attention).to_contain_text(f"Only 2 {NARCAN} available")
    attention.get_by_role("button", name="Fix and send again").click()
    phone.get_by_label(NARCAN, exact=True).fill("3")
    _log_button(phone).click()
    expect(phone.get_by_label(NARCAN, exact=True)).to_have_value("3")
    expect(phone.locator("#form-error")).to_contain_text(f"Only 2 {NARCAN} available")
    expect(attention.locator("li")).to_have_count(1)
    _after_a_reload(phone)
    expect(attention.locator("li")).to_have_count(1)
    expect(attention).to_contain_text(f"3 × {NARCAN}")
    attention.get_by_role("button", name="Fix and send again").click()
    phone.get_by_label(NARCAN, exact=True).fill("2")
    _log_button(phone).click()
    expect(attention).to_be_hidden()
    assert _queued(phone) == []
    assert sorted(line.quantity for e in _events() for line in e.lines) == [2, 8]


def _sign_out_answering(page, accept: bool) -> str:
    """Press Sign out, answer the question it asks, and return the question."""
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", answer)
    page.get_by_role("button", name="Sign out").click(no_wait_after=True)
    for _ in range(100):
        if asked:
            return asked[0]
        page.wait_for_timeout(50)
    raise AssertionError("signing out asked nothing")


def test_sign_out_warns_before_dropping_unsent_events(hub, phone):
    _staff_screen(phone)
    _go_offline_after_first_visit(phone)
    phone.get_by_label(NARCAN, exact=True).fill("1")
    _log_button(phone).click()
    expect(phone.locator("#sync-status")).to_contain_text("waiting to sync (1)")
    question = _sign_out_answering(phone, accept=False)
    assert "1 distribution has not been sent yet" in question
    expect(phone.locator("#sync-status")).to_contain_text("waiting to sync (1)")  # still queued
    _sign_out_answering(phone, accept=True)  # warned, and chose to sign out: queue emptied
    phone.wait_for_function("!document.getElementById('distribution-form')")
    phone.context.set_offline(False)
    phone.goto("/distribute/sites/HUB")
    if phone.get_by_role("button", name="Sign in").count():  # the sign-out reached the server
        sign_in(phone, "staff@example.org", PASSWORD)
    expect(phone.get_by_label(NARCAN, exact=True)).to_be_visible()
    phone.wait_for_timeout(500)
    expect(phone.locator("#queue-panel")).to_be_hidden()
    expect(phone.locator("#sync-status")).to_be_empty()
    assert _events() == []


def test_void_with_a_reason_restores_the_stock(hub, phone):
    _staff_screen(phone)
    phone.get_by_label(NARCAN, exact=True).fill("3")
    _log_button(phone).click()
    expect(_on_hand(phone, NARCAN)).to_have_text("7")
    event = phone.locator("#today .event").first
    event.get_by_text("Void…").click()
    event.get_by_role("button", name="Void this distribution").click()
    expect(phone.locator("#today .event").first.locator(".field-error")).to_have_text(
        "choose a reason"
    )
    event = phone.locator("#today .event").first
    event.get_by_text("Logged twice").click()
    screenshot(phone, "distribute-phone-void")
    event.get_by_role("button", name="Void this distribution").click()
    expect(phone.get_by_role("status").filter(has_text="Voided the distribution")).to_be_visible()
    expect(_on_hand(phone, NARCAN)).to_have_text("10")
    expect(phone.locator("#today .event.voided")).to_have_count(1)
    [voided] = _events()
    assert voided.void_reason == "duplicate"


def test_without_javascript_the_form_still_logs(hub, browser, live_app):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, base_url=live_app[1], java_script_enabled=False
    )
    page = context.new_page()
    try:
        _staff_screen(page)
        expect(page.locator(".qty .step").first).to_be_hidden()  # steppers need the script
        page.get_by_label(NARCAN, exact=True).fill("4")
        page.get_by_role("group", name="First time here?").get_by_text("Yes").click()
        _log_button(page).click()
        expect(page.get_by_role("status").filter(has_text="Logged:")).to_have_text(
            f"Logged: 4 × {NARCAN}."
        )
        expect(_on_hand(page, NARCAN)).to_have_text("6")
        page.get_by_label(NARCAN, exact=True).fill("7")
        _log_button(page).click()
        expect(page.locator("#form-error")).to_contain_text(f"Only 6 {NARCAN} available")
        expect(page.get_by_label(NARCAN, exact=True)).to_have_value("7")
        screenshot(page, "distribute-phone-no-javascript")
        [event] = _events()
        assert event.first_time == "yes"
    finally:
        context.close()


def test_offline_in_spanish_the_queue_and_the_offline_page_speak_spanish(hub, browser, live_app):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, base_url=live_app[1], is_mobile=True, has_touch=True
    )
    context.add_cookies([{"name": "lang", "value": "es", "url": live_app[1]}])
    page = context.new_page()
    try:
        sign_in_es(page)
        _go_offline_after_first_visit(page)
        page.get_by_label(NARCAN, exact=True).fill("2")
        page.get_by_role("button", name="Registrar entrega").click()
        expect(page.locator("#sync-status")).to_have_text(
            "Sin conexión. Guardado en este teléfono, en espera de sincronizar (1)."
        )
        expect(page.locator("#js-confirmation")).to_have_text(
            f"Guardado en este teléfono: 2 × {NARCAN}. Se enviará cuando vuelva la conexión."
        )
        expect(page.get_by_role("heading", name="Guardado en este teléfono")).to_be_visible()
        screenshot(page, "distribute-phone-offline-es")
        # An address of the screen never stored: the worker's page, in Spanish.
        page.evaluate(
            "() => caches.open('distribute-pages-v1').then(c => c.delete(new URL('/distribute/',"
            " location.href).href))"
        )
        page.goto("/distribute/sites/HUB/not-stored")
        expect(page.get_by_role("heading", level=1)).to_have_text("No tiene conexión")
        assert page.get_attribute("html", "lang") == "es"
        page.context.set_offline(False)
        page.goto("/distribute/sites/HUB")
        expect(page.locator("#sync-status")).to_have_text(
            "Todas las entregas están sincronizadas.", timeout=15000
        )
        expect(_on_hand(page, NARCAN)).to_have_text("8")
        assert [line.quantity for e in _events() for line in e.lines] == [2]
    finally:
        context.close()


def sign_in_es(page) -> None:
    """Sign in through the Spanish form by its labels."""
    page.goto("/")
    page.get_by_label("Correo electrónico").fill("staff@example.org")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url("**/distribute/sites/HUB")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Registrar una entrega")


# --- at the table (issue 19): bundles, always reachable, paper tallies --------------------

SMALL_PHONE = {"width": 375, "height": 667}


@pytest.fixture
def busy_hub(live_make):
    """A site carrying 15 supplies, received three days ago, with the usual kit as a bundle."""
    make = live_make
    make.site("HUB", name="Harbor Street Hub")
    make.site("VAN", kind="mobile_van", name="Outreach van")
    make.supply("NARCAN4", name=NARCAN)
    make.supply("FTS", category="fentanyl_test_strip", name=STRIPS)
    make.receive("HUB", "NARCAN4", 40, days_ago=3)
    make.receive("HUB", "FTS", 200, days_ago=3)
    for number in range(13):
        code = f"KIT{number:02d}"
        make.supply(code, name=f"Wound care kit size {number}")
        make.receive("HUB", code, 20, days_ago=3)
    body = {
        "code": "usual",
        "name": "Narcan + strips",
        "items": [{"supply": "NARCAN4", "quantity": 2}, {"supply": "FTS", "quantity": 5}],
    }
    bundles.create_bundle(make.admin, make._request(body), body)
    make.user("staff@example.org", "staff", sites=("HUB", "VAN"))
    return make


def _context(browser, live_app, viewport, language="en"):
    context = browser.new_context(
        viewport=viewport, base_url=live_app[1], is_mobile=viewport["width"] < 700, has_touch=True
    )
    context.add_cookies([{"name": "lang", "value": language, "url": live_app[1]}])
    return context


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def _open_screen(page):
    sign_in(page, "staff@example.org", PASSWORD)
    page.wait_for_url("**/distribute/**")
    if "/sites/" not in page.url:  # two sites and none used yet: the picker
        page.get_by_role("link", name="Harbor Street Hub").click()
    page.wait_for_url("**/distribute/sites/HUB")
    page.wait_for_selector("#bundles:not([hidden])")


def test_a_bundle_logs_in_two_taps_without_scrolling(busy_hub, browser, live_app):
    context = _context(browser, live_app, SMALL_PHONE)
    page = context.new_page()
    try:
        _open_screen(page)
        bundle = page.get_by_role("button", name="Narcan + strips")
        assert _in_view(page, bundle) and _in_view(page, _log_button(page))
        assert page.evaluate("window.scrollY") == 0
        screenshot(page, "distribute-375-bundles")
        page.screenshot(path=str(ARTIFACTS / "distribute-375-bundles-viewport.png"))
        bundle.tap()
        expect(page.locator("#running-summary")).to_have_text("7 items")
        expect(page.get_by_label(STRIPS, exact=True)).to_have_value("5")  # still editable
        _log_button(page).tap()
        expect(page.locator("#js-confirmation")).to_have_text(
            f"Logged: 5 × {STRIPS}, 2 × {NARCAN}."
        )
        assert page.evaluate("window.scrollY") == 0  # cleared in place: no jump
        assert _in_view(page, page.locator("#js-confirmation"))
        expect(page.get_by_label(NARCAN, exact=True)).to_have_value("")
        expect(page.locator("#running-summary")).to_be_empty()
        page.screenshot(path=str(ARTIFACTS / "distribute-375-logged-viewport.png"))
        [event] = _events()
        assert sorted((line.supply.code, line.quantity) for line in event.lines) == [
            ("FTS", 5),
            ("NARCAN4", 2),
        ]
        assert (event.trained, event.recipient_type) == (None, None)  # not asked
        # "Same as last" repeats it at one tap; the rest of the supplies fold away.
        page.get_by_role("button", name="Same as last").tap()
        expect(page.get_by_label(NARCAN, exact=True)).to_have_value("2")
        expect(page.locator("#more-supplies")).not_to_have_attribute("open", "")
        expect(page.locator("#more-supplies summary")).to_have_text("10 more supplies")
        # The last site is remembered: back to /distribute/ lands here, not on the picker.
        page.goto("/distribute/")
        page.wait_for_url("**/distribute/sites/HUB")
    finally:
        context.close()


def test_a_paper_tally_dated_yesterday_afternoon(busy_hub, browser, live_app):
    context = _context(browser, live_app, SMALL_PHONE)
    page = context.new_page()
    try:
        _open_screen(page)
        # The program's day (APP_TIMEZONE is UTC in tests), not this machine's.
        yesterday = (datetime.now(timezone.utc).date() - timedelta(days=1)).isoformat()
        page.get_by_text("Typing in a paper tally? Set when").click()
        page.get_by_label("Date", exact=True).fill(yesterday)
        page.get_by_label("Time", exact=True).fill("14:00")
        banner = page.locator("#when-banner")
        expect(banner).to_contain_text(f"Paper tally: dated {yesterday} 14:00")
        page.get_by_label(NARCAN, exact=True).fill("1")
        page.get_by_role("group", name="Overdose response training given?").get_by_text(
            "No", exact=True
        ).click()
        _log_button(page).click()
        expect(page.locator("#js-confirmation")).to_have_text(f"Logged: 1 × {NARCAN}.")
        expect(banner).to_be_visible()  # kept for the next line of the sheet
        screenshot(page, "distribute-375-paper-tally")
        page.get_by_label(STRIPS, exact=True).fill("3")
        _log_button(page).click()
        expect(page.locator("#js-confirmation")).to_have_text(f"Logged: 3 × {STRIPS}.")
        # Offline, the date still stands (kept on the device across the reload) and goes
        # with the queued entry; the on-hand hint counts what waits on the phone.
        _go_offline_after_first_visit(page)
        expect(banner).to_contain_text(f"Paper tally: dated {yesterday} 14:00")
        page.get_by_label(NARCAN, exact=True).fill("4")
        _log_button(page).click()
        expect(page.locator("#sync-status")).to_contain_text("waiting to sync (1)")
        narcan = page.locator(".qty", has_text=NARCAN)
        expect(narcan.locator(".hint")).to_have_text("35 box on hand, less 4 saved on this phone")
        screenshot(page, "distribute-375-offline-hint")
        page.context.set_offline(False)
        expect(page.locator("#sync-status")).to_have_text("All distributions are synced.")
        expect(narcan.locator(".hint")).to_have_text("35 box on hand")
        page.get_by_role("button", name="Clear date").click()
        expect(banner).to_be_hidden()
        page.get_by_label(STRIPS, exact=True).fill("2")
        _log_button(page).click()
        expect(page.locator("#js-confirmation")).to_have_text(f"Logged: 2 × {STRIPS}.")
        events = sorted(_events(), key=lambda e: e.recorded_at)
        moments = [clock.local_time(e.occurred_at).strftime("%Y-%m-%d %H:%M") for e in events]
        assert moments[:3] == [f"{yesterday} 14:00"] * 3
        assert moments[3] > f"{yesterday} 14:00"
        assert [e.trained for e in events] == [False, None, None, None]
    finally:
        context.close()


def test_errors_name_the_field_and_take_the_focus(busy_hub, browser, live_app):
    context = _context(browser, live_app, SMALL_PHONE)
    page = context.new_page()
    try:
        _open_screen(page)
        page.get_by_label(NARCAN, exact=True).fill("41")
        _log_button(page).click()
        summary = page.locator("#error-summary")
        expect(summary).to_have_text(f"{NARCAN}: only 40 available")
        expect(page.get_by_label(NARCAN, exact=True)).to_be_focused()
        page.get_by_label(NARCAN, exact=True).fill("")
        _log_button(page).click()
        expect(summary).to_have_text("What was given: enter how many of at least one supply")
        screenshot(page, "distribute-375-errors")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_screenshots_of_the_screen(busy_hub, browser, live_app, language):
    for width, height in ((320, 640), (375, 667), (1366, 900)):
        context = _context(browser, live_app, {"width": width, "height": height}, language)
        page = context.new_page()
        try:
            sign_in_page = page.goto("/")
            assert sign_in_page.status == 200
            page.fill("#email", "staff@example.org")
            page.fill("#password", PASSWORD)
            page.click("form:not(.language-switch) button[type=submit]")
            page.goto("/distribute/sites/HUB")
            page.wait_for_selector("#bundles:not([hidden])")
            page.locator(".bundle").first.click()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"distribute-{width}-{language}")
            page.screenshot(path=str(ARTIFACTS / f"distribute-{width}-{language}-viewport.png"))
        finally:
            context.close()
