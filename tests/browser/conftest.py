"""Browser fixtures: the app served on 127.0.0.1 in a thread, driven by Debian's Chromium.

Set REQUIRE_BROWSER=1 (CI does) to turn a missing Chromium or Playwright into a failure
instead of a skip.
"""

import os
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from supplies.extensions import db
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from tests.conftest import Factory, make_app

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test."""
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _missing(reason: str):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed")
    if not Path(CHROMIUM).exists():
        _missing(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@contextmanager
def serving(app):
    """Serve the app on a free port of 127.0.0.1 from a thread; yields its base url."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def live_app(database):
    """The app on a free port of 127.0.0.1, with a fresh database; yields (app, base url)."""
    app = make_app(database, SERVER_NAME=None, WTF_CSRF_SSL_STRICT=False)
    with serving(app) as base_url:
        yield app, base_url


@pytest.fixture
def live_make(live_app):
    """Factories writing into the live app's database."""
    app, _ = live_app
    with app.app_context():
        yield Factory(app)
        db.session.remove()


@pytest.fixture
def phone(browser, live_app):
    """A phone-sized page at the live app."""
    context = browser.new_context(
        viewport=PHONE, base_url=live_app[1], is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser, live_app):
    """A desktop-sized page at the live app."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_app[1])
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    """Save a screenshot under tests/artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, email: str, password: str) -> None:
    """Sign in through the form by its labels."""
    page.goto("/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def distribute_days_ago(user, site, supply, quantity, days_ago):
    """Record a distribution a minute before now, days_ago days back (never in the future)."""
    moment = (datetime.now(timezone.utc) - timedelta(days=days_ago, minutes=1)).isoformat()
    body = {
        "id": str(uuid.uuid4()),
        "site": site,
        "occurred_at": moment,
        "items": [{"supply": supply, "quantity": quantity}],
    }
    events.distribute(user, OperationRequest.new(body["id"], body), body)
