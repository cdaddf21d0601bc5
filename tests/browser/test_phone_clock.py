"""A phone whose clock is an hour fast (issue 23): distributions are dated on the server's
clock, queued ones corrected by the phone's offset, and nothing leaves the queue until the
server accepted it, refused it with the form still open, or the person discarded it."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from supplies.extensions import db
from supplies.models import DistributionEvent
from supplies.services.common import clock
from tests.browser.conftest import PHONE, sign_in
from tests.conftest import PASSWORD

NARCAN = "Narcan 4 mg nasal spray"
# Every clock of the page an hour ahead: Date.now() and new Date() alike.
AN_HOUR_FAST = """
(() => {
  const Real = Date, shift = 3600 * 1000;
  class Fast extends Real {
    constructor(...args) {
      if (args.length === 0) { super(Real.now() + shift); } else { super(...args); }
    }
    static now() { return Real.now() + shift; }
  }
  window.Date = Fast;
})();
"""


@pytest.fixture
def hub(live_make):
    """A site holding 10 Narcan, and a staff member working there."""
    live_make.site("HUB", name="Harbor Street Hub")
    live_make.supply("NARCAN4", name=NARCAN)
    live_make.receive("HUB", "NARCAN4", 10)
    live_make.user("staff@example.org", "staff", sites=("HUB",))
    return live_make


@pytest.fixture
def fast_phone(browser, live_app):
    """A phone-sized page whose clock is an hour ahead of the server's."""
    context = browser.new_context(
        viewport=PHONE, base_url=live_app[1], is_mobile=True, has_touch=True
    )
    context.add_init_script(AN_HOUR_FAST)
    page = context.new_page()
    yield page
    context.close()


def _events() -> list[DistributionEvent]:
    db.session.rollback()
    return list(db.session.execute(db.select(DistributionEvent)).scalars())


def _screen(page):
    sign_in(page, "staff@example.org", PASSWORD)
    page.wait_for_url("**/distribute/sites/HUB")
    assert page.evaluate("Date.now() - performance.timeOrigin - performance.now()") > 3500e3


def _log(page, quantity: str):
    page.get_by_label(NARCAN, exact=True).fill(quantity)
    page.get_by_role("button", name="Log distribution").click()


def test_a_distribution_from_a_phone_an_hour_fast_is_recorded_at_the_servers_now(hub, fast_phone):
    _screen(fast_phone)
    _log(fast_phone, "2")
    expect(fast_phone.locator("#js-confirmation")).to_have_text(f"Logged: 2 × {NARCAN}.")
    [event] = _events()
    assert abs(event.occurred_at - clock.now()) < timedelta(minutes=2)


def test_a_queued_entry_is_dated_when_it_was_saved_on_the_servers_clock(hub, fast_phone):
    _screen(fast_phone)
    fast_phone.wait_for_selector("html[data-offline-ready]", state="attached")
    fast_phone.context.set_offline(True)
    fast_phone.reload()
    saved_at = clock.now()
    _log(fast_phone, "1")
    expect(fast_phone.locator("#sync-status")).to_contain_text("waiting to sync (1)")
    fast_phone.wait_for_timeout(1500)
    fast_phone.context.set_offline(False)
    expect(fast_phone.locator("#sync-status")).to_have_text("All distributions are synced.")
    [event] = _events()
    # Saved offline at saved_at (server time), sent later: dated then, not an hour ahead.
    assert abs(event.occurred_at - saved_at) < timedelta(seconds=30), event.occurred_at


def test_an_entry_refused_online_and_fixed_in_place_is_dated_on_the_servers_clock(hub, fast_phone):
    # Refused while the person is at the table: fixed in the form, never kept on the phone
    # (tests/browser/test_distribute.py checks the queue across a reload).
    _screen(fast_phone)
    _log(fast_phone, "11")
    expect(fast_phone.locator("#form-error")).to_contain_text(f"Only 10 {NARCAN} available")
    expect(fast_phone.get_by_label(NARCAN, exact=True)).to_have_value("11")
    _log(fast_phone, "10")
    expect(fast_phone.locator("#js-confirmation")).to_have_text(f"Logged: 10 × {NARCAN}.")
    expect(fast_phone.locator("#attention")).to_be_hidden()
    [event] = _events()
    assert [line.quantity for line in event.lines] == [10]
    assert abs(event.occurred_at - clock.now()) < timedelta(minutes=2)


def test_the_screen_comes_from_the_cache_when_the_server_answers_an_error(
    hub, fast_phone, live_app
):
    # Issue 23: with the database down the server answers 502 or 503; the service worker
    # shows the last good screen (staff keep logging to the queue), as when offline.
    _screen(fast_phone)
    fast_phone.wait_for_selector("html[data-offline-ready]", state="attached")
    answered = []

    def database_down(**_address):
        answered.append(_address)
        return "the database cannot be reached", 502

    # The server itself answers the error: the worker takes the screen from the browser's
    # navigation preload (issue 26), a request the page's routes never see.
    app = live_app[0]
    screen = app.view_functions["distribute.screen"]
    app.view_functions["distribute.screen"] = database_down
    try:
        fast_phone.reload()
        expect(fast_phone.get_by_label(NARCAN, exact=True)).to_be_visible()
    finally:
        app.view_functions["distribute.screen"] = screen
    assert answered  # the server was asked, and answered an error
    assert "cannot be reached" not in fast_phone.content()


def test_the_screen_learns_the_clock_from_itself_and_stored_copies_do_not_carry_it(hub, fast_phone):
    # Issue 26: a warm load makes one request, the screen; the offset comes from the moment
    # the server rendered it, not from a request of its own. A stored copy, read offline
    # hours later, must not set the clock: it is stored without that moment.
    _screen(fast_phone)
    fast_phone.wait_for_selector("html[data-offline-ready]", state="attached")
    offset = fast_phone.evaluate("JSON.parse(localStorage.getItem('distribute-clock-offset'))")
    assert abs(offset + 3600e3) < 5e3, offset  # the phone is an hour fast
    asked = fast_phone.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(name => name.includes('/distribute/session'))"
    )
    assert asked == []
    assert fast_phone.locator("#distribute[data-served-at]").count() == 0  # read, then dropped
    stored_screens = """async () => {
      const cache = await caches.open('distribute-pages-v1');
      const texts = await Promise.all((await cache.keys()).map(
        async (request) => (await cache.match(request)).text()));
      return texts.filter(text => text.includes('id="distribute"'));
    }"""
    stored = fast_phone.evaluate(stored_screens)  # kept by the page, first visit
    assert stored and not any("data-served-at" in text for text in stored)
    fast_phone.reload()  # now through the service worker, which stores the screen again
    expect(fast_phone.get_by_label(NARCAN, exact=True)).to_be_visible()
    fast_phone.wait_for_timeout(500)
    stored = fast_phone.evaluate(stored_screens)
    assert stored and not any("data-served-at" in text for text in stored)
