"""The offline queue shows a waiting distribution's time on the program's clock, as the
screen shows it once sent, whatever zone the phone is set to."""

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in
from tests.conftest import PASSWORD

NARCAN = "Narcan 4 mg nasal spray"


def test_the_queue_shows_the_programs_time_not_the_phones(live_app, live_make, browser):
    app, base_url = live_app
    # The program works in Los Angeles (read on every request); the phone is set to Tokyo.
    app.config["APP_TIMEZONE"] = "America/Los_Angeles"
    live_make.site("HUB", name="Harbor Street Hub")
    live_make.supply("NARCAN4", name=NARCAN)
    live_make.receive("HUB", "NARCAN4", 10)
    live_make.user("staff@example.org", "staff", sites=("HUB",))
    context = browser.new_context(
        viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True, timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    try:
        sign_in(page, "staff@example.org", PASSWORD)
        page.wait_for_url("**/distribute/sites/HUB")
        page.wait_for_selector("html[data-offline-ready]", state="attached")
        context.set_offline(True)
        page.reload()
        page.get_by_label(NARCAN, exact=True).fill("1")
        page.get_by_role("button", name="Log distribution").click()
        waiting = page.locator("#queue-list li .time")
        expect(waiting).to_have_count(1)
        queued_at = waiting.text_content()
        context.set_offline(False)
        expect(page.locator("#sync-status")).to_have_text("All distributions are synced.")
        page.reload()
        sent = page.locator("#today time.time")
        expect(sent).to_have_count(1)
        assert queued_at == sent.text_content()
        tokyo = page.evaluate(
            "(iso) => new Date(iso).toLocaleTimeString('en', {timeZone: 'Asia/Tokyo',"
            " hour: '2-digit', minute: '2-digit', hourCycle: 'h23'})",
            sent.get_attribute("datetime"),
        )
        assert queued_at != tokyo  # 17 hours apart
    finally:
        context.close()
