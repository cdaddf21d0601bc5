"""Benchmark g: the distribution screen on a slow phone network (issue 26).

Chromium (Debian's, through Playwright) with the Slow 3G profile set through the DevTools
protocol (Network.emulateNetworkConditions: 400 ms latency, 400 kbit/s each way), on the
page and on the service worker (a page's conditions do not reach the worker's own
requests; set on the worker they take effect in some runs only, so the screen's worker
uses navigation preload: the page of a warm load is the browser's request for the tab,
under the tab's conditions). The app runs under gunicorn on 127.0.0.1 with a site of 20
supplies and a busy day (200 events today) at it:

- cold load: an empty cache, signed in; time to the load event, and every byte the visit
  moved until the network is quiet (the service worker's install included);
- warm load: the second visit (HTTP cache and service worker); the same figures;
- a log: from the tap on "Log distribution" to the confirmation shown, and the bytes.

Bytes are what crossed the (emulated) network: the encoded (compressed) body and headers
as Chromium counts them, and the request headers and bodies sent; requests answered from
a cache or by the worker from its cache count nothing. Alone: `python -m bench --parts g`
or `python -m bench.slow_network`.
"""

import json
import random
import re
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from bench.generate import BENCH_PASSWORD, generate
from bench.harness import DATA, gunicorn
from supplies import create_app
from supplies.extensions import db
from supplies.services.accounts import users
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events as distribution
from supplies.services.stock import work
from supplies.services.stock.work import ReceiptLine

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# DevTools' "Slow 3G" as the issue states it: 400 ms, 400 kbit/s = 50,000 bytes/s each way.
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 50_000,
    "uploadThroughput": 50_000,
}
SITE = "S001"
SUPPLIES = 20
EVENTS_TODAY = 200
STAFF = "staff@bench.test"
PHONE = {"width": 360, "height": 740}
QUIET_SECONDS = 1.5  # the network counts as quiet after this long without a request
STALLED_SECONDS = 5.0


def build_database(folder: Path = DATA, name: str = "slow_network") -> str:
    """A program of 2 sites and 20 supplies, S001 stocked, with 200 events there today."""
    path = folder / f"{name}.db"
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob(f"{name}.db*"):
        leftover.unlink()
    url = f"sqlite:///{path}"
    generate(url, 2, SUPPLIES, 1, 2_000, seed=26)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    rng = random.Random(26)
    with app.app_context():
        admin = users.user_by_email("admin@bench.test")
        staff = users.user_by_email(STAFF)
        expires = (date.today() + timedelta(days=700)).isoformat()
        lines = [
            ReceiptLine(f"P{n:03d}", 5_000, f"SLOW-{n:03d}", expires)
            if (n - 1) % 10 < 3  # the generator's lot-tracked categories (naloxone)
            else ReceiptLine(f"P{n:03d}", 5_000)
            for n in range(1, SUPPLIES + 1)
        ]
        received = (date.today() - timedelta(days=7)).isoformat()
        body = {"bench": str(uuid.uuid4())}
        work.receive(admin, OperationRequest.new(None, body), SITE, lines, received_on=received)
        for _ in range(EVENTS_TODAY):
            event_id = str(uuid.uuid4())
            chosen = rng.sample(range(1, SUPPLIES + 1), rng.randint(1, 3))
            event = {
                "id": event_id,
                "site": SITE,
                "items": [{"supply": f"P{n:03d}", "quantity": rng.randint(1, 3)} for n in chosen],
                "recipient_type": "person_who_uses_drugs",
                "age_band": "25_34",
                "first_time": "no",
                "for_others": False,
                "trained": rng.random() < 0.5,
                "language": "en",
                "resupply_reason": "none",
            }
            distribution.distribute(staff, OperationRequest.new(event_id, event), event)
        db.engine.dispose()
    return url


class Traffic:
    """What crossed the emulated network, from the page's and the worker's Network events."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: dict[str, dict] = {}
        self.last_activity = time.monotonic()

    def mark(self) -> int:
        """A point to count from: the number of requests seen so far."""
        with self.lock:
            return len(self.requests)

    def event(self, source: str, method: str, params: dict) -> None:
        """One Network event of the page (source "page") or of the worker ("worker")."""
        key = f"{source}:{params.get('requestId')}"
        with self.lock:
            self.last_activity = time.monotonic()
            self._record(key, source, method, params)
            if key in self.requests:
                self.requests[key]["last"] = self.last_activity

    def _record(self, key: str, source: str, method: str, params: dict) -> None:
        """Fold one event into the request it belongs to."""
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith("http"):
                return  # data: addresses (the page's own images) never leave the phone
            entry = self.requests.setdefault(key, {"source": source, "bytes": 0})
            entry.setdefault("network", True)
            entry["url"] = url
            # What went up: the body here, the headers in the ExtraInfo event.
            entry["sent"] = entry.get("sent", 0) + len(params["request"].get("postData", ""))
        elif method == "Network.requestWillBeSentExtraInfo":
            entry = self.requests.setdefault(key, {"source": source, "bytes": 0})
            headers = params.get("headers", {})
            # The request line is a few dozen bytes more; HTTP/1.1 headers as sent.
            head = sum(len(name) + len(value) + 4 for name, value in headers.items())
            entry["sent"] = entry.get("sent", 0) + head + 40
        elif method == "Network.responseReceived":
            entry = self.requests.setdefault(key, {"source": source, "bytes": 0})
            response = params["response"]
            # Answered by the worker (its cache or its own fetch, counted on its side),
            # or from the HTTP cache: nothing crossed the network for this one.
            entry["network"] = not (
                response.get("fromServiceWorker")
                or response.get("fromDiskCache")
                or response.get("fromPrefetchCache")
            )
            entry["status"] = response.get("status")
            headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
            entry["encoding"] = headers.get("content-encoding", "")
            # The headers' bytes; a body nobody reads (a clock check) finishes no loading.
            entry["bytes"] = max(entry.get("bytes", 0), response.get("encodedDataLength", 0))
        elif method == "Network.dataReceived":
            entry = self.requests.setdefault(key, {"source": source, "bytes": 0})
            entry["bytes"] = entry.get("bytes", 0) + params.get("encodedDataLength", 0)
        elif method == "Network.loadingFinished":
            entry = self.requests.setdefault(key, {"source": source, "network": True})
            entry["done"] = True
            entry["bytes"] = max(entry.get("bytes", 0), params.get("encodedDataLength", 0))
        elif method == "Network.loadingFailed":
            if key in self.requests:
                self.requests[key]["failed"] = params.get("errorText", "failed")
                self.requests[key]["done"] = True
        elif method == "Network.requestServedFromCache":
            self.requests.setdefault(key, {"source": source, "bytes": 0})["network"] = False

    def wait_quiet(self, quiet: float = QUIET_SECONDS, limit: float = 60) -> None:
        """Until nothing has happened for `quiet` seconds and no request is under way.

        A throttled transfer can go a second without an event (the emulation delivers in
        bursts), so silence alone is not the end of one.
        """
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with self.lock:
                idle = time.monotonic() - self.last_activity
                # Unfinished, and heard from lately (a body nobody reads, such as the clock
                # check's, never finishes: after STALLED seconds it no longer counts).
                pending = [
                    entry
                    for entry in self.requests.values()
                    if entry.get("url")
                    and not entry.get("done")
                    and time.monotonic() - entry.get("last", 0) < STALLED_SECONDS
                ]
            if idle >= quiet and not pending:
                return
            time.sleep(0.1)

    def since(self, mark: int) -> list[dict]:
        """The requests that crossed the network since the mark."""
        with self.lock:
            entries = list(self.requests.values())[mark:]
        # Nothing down and nothing up: answered inside the browser after all (the worker's
        # fetch of a file the HTTP cache holds reports no cache flag).
        return [
            entry
            for entry in entries
            if entry.get("network")
            and entry.get("url")
            and entry.get("bytes", 0) + entry.get("sent", 0) > 0
        ]


def _total(entries: list[dict]) -> int:
    return sum(entry.get("bytes", 0) + entry.get("sent", 0) for entry in entries)


def _describe(entries: list[dict]) -> str:
    names = []
    for entry in entries:
        url = entry.get("url", "?")
        path = re.sub(r"^https?://[^/]+", "", url).split("?")[0]
        failed = f" failed: {entry['failed']}" if entry.get("failed") else ""
        names.append(
            f"{path} {entry.get('status', '-')} {entry.get('encoding') or 'identity'}"
            f" {entry.get('bytes', 0)} B down, {entry.get('sent', 0)} B up"
            f" ({entry['source']}){failed}"
        )
    return "; ".join(names)


class WorkerThrottle:
    """Slow 3G on the service worker's own requests too, through a browser-level session.

    Network.emulateNetworkConditions on the page throttles only the page's requests; the
    worker is a target of its own. The browser session attaches to each worker as it
    appears and sets the same conditions there (they took effect in some runs only: see
    bench/README.md; the warm load's page comes by navigation preload, under the page's).
    """

    def __init__(self, browser, traffic: Traffic):
        self.session = browser.new_browser_cdp_session()
        self.traffic = traffic
        self.sessions: dict[str, str] = {}
        self.throttled = threading.Event()
        self.session.on("Target.targetCreated", self._created)
        self.session.on("Target.receivedMessageFromTarget", self._message)
        self.session.send("Target.setDiscoverTargets", {"discover": True})
        self._next_id = 0

    def _send(self, session_id: str, method: str, params: dict | None = None) -> None:
        self._next_id += 1
        message = json.dumps({"id": self._next_id, "method": method, "params": params or {}})
        self.session.send(
            "Target.sendMessageToTarget", {"sessionId": session_id, "message": message}
        )

    def _created(self, params: dict) -> None:
        info = params["targetInfo"]
        if info["type"] != "service_worker" or info["targetId"] in self.sessions:
            return
        attached = self.session.send(
            "Target.attachToTarget", {"targetId": info["targetId"], "flatten": False}
        )
        session_id = attached["sessionId"]
        self.sessions[info["targetId"]] = session_id
        self._send(session_id, "Network.enable")
        self._send(session_id, "Network.emulateNetworkConditions", SLOW_3G)
        self.throttled.set()

    def _message(self, params: dict) -> None:
        message = json.loads(params["message"])
        method = message.get("method", "")
        if method.startswith("Network."):
            self.traffic.event("worker", method, message.get("params", {}))


def _sign_in(context, base: str) -> None:
    """Signed in through the real form, outside the measurement (the context's cookies)."""
    page = context.request.get(f"{base}/").text()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = context.request.post(
        f"{base}/",
        form={"email": STAFF, "password": BENCH_PASSWORD, "csrf_token": token},
        max_redirects=0,
    )
    assert answer.status == 302, f"the benchmark account could not sign in: {answer.status}"


def _throttled_page(context, traffic: Traffic):
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    for method in (
        "Network.requestWillBeSent",
        "Network.requestWillBeSentExtraInfo",
        "Network.responseReceived",
        "Network.dataReceived",
        "Network.loadingFinished",
        "Network.loadingFailed",
        "Network.requestServedFromCache",
    ):
        cdp.on(method, lambda params, method=method: traffic.event("page", method, params))
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    return page, cdp


def _load_seconds(page) -> float:
    timing = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return n.loadEventEnd - n.startTime; }"
    )
    return timing / 1000


def _visit(page, url: str, traffic: Traffic) -> dict:
    mark = traffic.mark()
    page.goto(url, wait_until="load", timeout=120_000)
    seconds = _load_seconds(page)
    # Everything the visit sets off counts: on the first, the worker's install and the copy
    # of the screen kept for offline use (the page marks when they are done).
    page.wait_for_function(
        "() => document.documentElement.dataset.offlineReady === '1'", timeout=120_000
    )
    traffic.wait_quiet()
    moved = traffic.since(mark)
    return {"seconds": seconds, "bytes": _total(moved), "requests": len(moved), "moved": moved}


def _log_one(page, traffic: Traffic) -> dict:
    """Fill the form as staff would, tap Log, and time until the confirmation shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.locator(".qty input:not([type=hidden])").first.fill("1")
    page.get_by_role("group", name="Who is it for?").get_by_text("Person who uses drugs").click()
    page.get_by_role("group", name="Overdose response training given?").get_by_text("Yes").click()
    button = page.locator("#distribution-form button[type=submit]").last
    mark = traffic.mark()
    page.evaluate(
        "() => { window.__logged = null; const target = document.getElementById('js-confirmation');"
        " new MutationObserver(() => { if (target.textContent.trim() && !window.__logged)"
        " window.__logged = performance.now(); }).observe(target,"
        " {childList: true, characterData: true, subtree: true}); }"
    )
    started = page.evaluate("() => { window.__samePage = true; return performance.now(); }")
    button.click()
    try:
        page.wait_for_function("() => window.__logged !== null", timeout=30_000)
    except PlaywrightTimeout:
        return {
            "seconds": float("inf"),
            "bytes": 0,
            "requests": 0,
            "moved": [],
            "confirmation": None,
            "reloaded": True,
        }
    seconds = (page.evaluate("() => window.__logged") - started) / 1000
    text = page.locator("#js-confirmation").inner_text()
    traffic.wait_quiet()
    moved = traffic.since(mark)
    return {
        "seconds": seconds,
        "bytes": _total(moved),
        "requests": len(moved),
        "moved": moved,
        "confirmation": text,
        "reloaded": not page.evaluate("() => window.__samePage === true"),
    }


def _one_round(playwright, base: str, with_log: bool) -> dict:
    """A fresh browser (empty cache, no worker): cold load, warm load, one log."""
    screen = f"{base}/distribute/sites/{SITE}"
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        traffic = Traffic()
        WorkerThrottle(browser, traffic)
        context = browser.new_context(viewport=PHONE, locale="en-US")
        _sign_in(context, base)
        page, _cdp = _throttled_page(context, traffic)
        results = {"cold": _visit(page, screen, traffic)}
        page.goto("about:blank")
        results["warm"] = _visit(page, screen, traffic)
        results["warm"]["controlled"] = page.evaluate("() => !!navigator.serviceWorker.controller")
        if with_log:
            results["log"] = _log_one(page, traffic)
        return results
    finally:
        browser.close()


def measure(database_url: str, rounds: int = 3, with_log: bool = True) -> list[dict]:
    """`rounds` rounds of cold load, warm load and (with_log) one log, on one server."""
    from playwright.sync_api import sync_playwright

    from bench.api_bench import app_env

    with gunicorn("wsgi:app", app_env(database_url)) as (base, _), sync_playwright() as playwright:
        return [_one_round(playwright, base, with_log) for _ in range(rounds)]


def median_round(runs: list[dict]) -> dict:
    """Per step, the round with the median time (its bytes and requests beside it)."""
    middle = {}
    for step in runs[0]:
        ordered = sorted(runs, key=lambda run: run[step]["seconds"])
        middle[step] = ordered[len(ordered) // 2][step]
    return middle


def network_floor(figures: dict) -> float:
    """The least time the emulated network allows for one request of these bytes."""
    page = max(figures["moved"], key=lambda entry: entry.get("bytes", 0))
    down = page.get("bytes", 0) / SLOW_3G["downloadThroughput"]
    up = page.get("sent", 0) / SLOW_3G["uploadThroughput"]
    return SLOW_3G["latency"] / 1000 + down + up


def report(runs: list[dict]) -> None:
    """Print every round's figures and what each step moved, request by request."""
    for number, results in enumerate(runs, 1):
        times = ", ".join(f"{step} {figures['seconds']:.2f} s" for step, figures in results.items())
        print(f"(g, round {number}: {times})", flush=True)
    for step, figures in median_round(runs).items():
        print(
            f"(g, {step}, median round: {figures['seconds']:.2f} s, {figures['requests']}"
            f" requests, {figures['bytes'] / 1000:.1f} kB: {_describe(figures['moved'])})",
            flush=True,
        )


def main() -> None:
    """Build the database, measure three rounds, print them."""
    runs = measure(build_database())
    report(runs)
    print(
        json.dumps(
            {
                step: {k: v for k, v in f.items() if k != "moved"}
                for step, f in median_round(runs).items()
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
