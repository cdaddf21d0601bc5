"""A log is one small round trip (issue 26): the page is updated in place from the JSON
answer, never reloaded, and the server holds exactly one event for the id the page sent,
online, after an offline replay, and after an answer lost on the way. One server and one
program serve the module; each test signs in its own staff member in a fresh browser."""

import uuid

import psycopg
import pytest
from playwright.sync_api import expect

from supplies.extensions import db
from supplies.models import DistributionEvent
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from tests.browser.conftest import PHONE, screenshot, serving
from tests.conftest import PASSWORD, TEST_DATABASE_URL, Factory, _postgres_admin_url, make_app

NARCAN = "Narcan 4 mg nasal spray"
STRIPS = "Fentanyl test strip"
MARKER = "window.__sameDocument"
EXCHANGE_LIMIT = 10_000


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app on 127.0.0.1 (SQLite, or a PostgreSQL schema under TEST_DATABASE_URL): HUB
    with 500 Narcan, 5000 strips and 12 distributions today; three staff members."""
    schema = None
    if TEST_DATABASE_URL:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(_postgres_admin_url(TEST_DATABASE_URL), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        database = (TEST_DATABASE_URL, {"connect_args": {"options": f"-csearch_path={schema}"}})
    else:
        database = (f"sqlite:///{tmp_path_factory.mktemp('light') / 'test.db'}", {})
    app = make_app(database, SERVER_NAME=None, WTF_CSRF_SSL_STRICT=False)
    with app.app_context():
        make = Factory(app)
        make.site("HUB", name="Harbor Street Hub")
        make.supply("NARCAN4", name=NARCAN)
        make.supply("FTS", category="fentanyl_test_strip", name=STRIPS)
        make.receive("HUB", "NARCAN4", 500, days_ago=2)
        make.receive("HUB", "FTS", 5000, days_ago=2)
        colleague = make.user("colleague@example.org", "staff", sites=("HUB",))
        for _ in range(12):
            items = [{"supply": "FTS", "quantity": 1}]
            body = {"id": str(uuid.uuid4()), "site": "HUB", "items": items}
            events.distribute(colleague, OperationRequest.new(body["id"], body), body)
        for name in ("online", "offline", "lost"):
            make.user(f"{name}@example.org", "staff", sites=("HUB",))
        db.session.remove()
    with serving(app) as base_url:
        yield app, base_url
    if schema:
        with psycopg.connect(_postgres_admin_url(TEST_DATABASE_URL), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def phone(browser, served):
    """A phone in a fresh browser context (its own storage and offline queue)."""
    context = browser.new_context(
        viewport=PHONE, base_url=served[1], is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


def _stored(app, event_id: str) -> int:
    with app.app_context():
        count = db.session.execute(
            db.select(db.func.count(DistributionEvent.id)).where(DistributionEvent.id == event_id)
        ).scalar()
        db.session.remove()
        return count


def _screen(page, who: str) -> None:
    page.goto("/")
    page.get_by_label("Email").fill(f"{who}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/distribute/sites/HUB")
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    page.evaluate(f"{MARKER} = true")


def _on_hand(page, supply: str):
    return page.locator("#stock tr", has_text=supply).locator(".stock-usable")


def _usable(page, supply: str) -> int:
    return int(_on_hand(page, supply).inner_text().replace(",", ""))


def _log(page, quantity: str) -> str:
    """Fill Narcan, press the button; the id the page sends (the queue's too)."""
    event_id = page.input_value("#event_id")
    page.get_by_label(NARCAN, exact=True).fill(quantity)
    page.get_by_role("button", name="Log distribution").click()
    return event_id


def _still_the_same_page(page) -> None:
    assert page.evaluate(MARKER) is True, "the page was reloaded"


def test_a_log_updates_the_page_in_place_and_the_server_holds_one_event(served, phone):
    app, _ = served
    _screen(phone, "online")
    before = _usable(phone, NARCAN)
    expect(phone.locator("#today-more")).to_have_text("2 more")
    exchanges, pages = [], []
    phone.on("requestfinished", lambda request: exchanges.append(request))
    phone.on("request", lambda request: request.is_navigation_request() and pages.append(request))
    event_id = _log(phone, "2")
    expect(phone.locator("#js-confirmation")).to_have_text(f"Logged: 2 × {NARCAN}.")
    expect(_on_hand(phone, NARCAN)).to_have_text(str(before - 2))
    narcan = phone.locator(".qty", has_text=NARCAN)
    expect(narcan.locator(".hint")).to_have_text(f"{before - 2} box on hand")
    first = phone.locator("#today-list > li").first
    expect(first).to_have_attribute("id", f"event-{event_id}")
    expect(first).to_contain_text(f"2 × {NARCAN}")
    expect(first.get_by_role("link", name="Void…")).to_be_visible()
    expect(phone.locator("#today-list > li")).to_have_count(10)  # the oldest went behind "more"
    expect(phone.locator("#today-more")).to_have_text("3 more")
    expect(phone.get_by_label(NARCAN, exact=True)).to_have_value("")  # ready for the next one
    screenshot(phone, "distribute-logged-in-place")
    _still_the_same_page(phone)
    assert pages == []
    # One request for the log, and small: request and answer, headers and bodies.
    logs = [r for r in exchanges if r.url.endswith("/distribute/log")]
    assert [r.method for r in logs] == ["POST"]
    sizes = logs[0].sizes()
    total = sum(sizes.values())
    assert total <= EXCHANGE_LIMIT, sizes
    assert not [r for r in exchanges if r.url.endswith("/distribute/sites/HUB")]
    assert _stored(app, event_id) == 1
    # Its void control opens the page's one void form under it, still without a reload.
    first.get_by_role("link", name="Void…").click()
    expect(first.get_by_role("button", name="Void this distribution")).to_be_visible()
    expect(phone.locator("#today .void-form")).to_have_count(1)
    _still_the_same_page(phone)
    first.get_by_text("Logged twice").click()
    first.get_by_role("button", name="Void this distribution").click()
    expect(phone.get_by_role("status").filter(has_text="Voided the distribution")).to_be_visible()
    expect(_on_hand(phone, NARCAN)).to_have_text(str(before))


def test_offline_a_log_waits_and_its_replay_records_it_once(served, phone):
    app, _ = served
    _screen(phone, "offline")
    before = _usable(phone, NARCAN)
    phone.context.set_offline(True)
    event_id = _log(phone, "3")
    expect(phone.locator("#js-confirmation")).to_have_text(
        f"Saved on this phone: 3 × {NARCAN}. It will be sent when the connection is back."
    )
    expect(phone.locator("#sync-status")).to_contain_text("waiting to sync (1)")
    assert _stored(app, event_id) == 0
    phone.context.set_offline(False)
    expect(phone.locator("#sync-status")).to_have_text("All distributions are synced.")
    expect(_on_hand(phone, NARCAN)).to_have_text(str(before - 3))
    expect(phone.locator("#today-list > li").first).to_have_attribute("id", f"event-{event_id}")
    _still_the_same_page(phone)
    # Another pass of the queue (the next online event, the timer) sends nothing again.
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    phone.wait_for_timeout(500)
    assert _stored(app, event_id) == 1
    expect(_on_hand(phone, NARCAN)).to_have_text(str(before - 3))


def test_an_answer_lost_on_the_way_is_replayed_and_recorded_once(served, phone):
    app, _ = served
    _screen(phone, "lost")
    before = _usable(phone, NARCAN)
    reached = []

    def lose_the_answer(route):
        # The server records it; the phone never hears back (the signal dropped).
        reached.append(route.fetch().status)
        route.abort("internetdisconnected")

    phone.context.route("**/distribute/log", lose_the_answer)
    event_id = _log(phone, "4")
    expect(phone.locator("#sync-status")).to_contain_text("waiting to sync (1)")
    assert reached == [201] and _stored(app, event_id) == 1
    phone.context.unroute("**/distribute/log")
    phone.evaluate("window.dispatchEvent(new Event('online'))")  # the queue tries again
    expect(phone.locator("#sync-status")).to_have_text("All distributions are synced.")
    expect(_on_hand(phone, NARCAN)).to_have_text(str(before - 4))
    expect(phone.locator(f"#event-{event_id}")).to_contain_text(f"4 × {NARCAN}")
    _still_the_same_page(phone)
    assert _stored(app, event_id) == 1
