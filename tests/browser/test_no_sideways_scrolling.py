"""No page scrolls sideways on a phone, for any role, in English and in Spanish (issue 19).

Every page reachable from the menus (the top bar's, and the stock and admin tabs on the
pages it leads to) is opened at 320 px and measured again at 375 px; the document must be
no wider than the screen. At 375 px every control in the main content is at least 44 x 44
px, except links inside a sentence (WCAG 2.5.8's inline exception); a radio or checkbox is
measured by the label that is its target. One server and one program serve the module.

A table may scroll inside its own box, but the tables of a name and its figures that people
read on a phone (the distribution screen's stock, a count waiting for review, what a partner
agency still holds) must show every column in full at 320 and 375 px: nothing off the right
edge of their box, which does not scroll sideways either.
"""

import threading
import uuid
from datetime import date

import pytest
from werkzeug.serving import make_server

from supplies.extensions import db
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import bundles, events
from supplies.services.partners import reports, requests
from supplies.services.stock import counting, work
from supplies.services.stock.counting import CountEntry
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD, Factory, make_app

WIDTHS = (320, 375)
ROLES = ("admin", "coordinator", "staff", "funder", "partner")
LANGUAGES = ("en", "es")
# Pages the menus lead to that are actions, not pages.
SKIPPED = ("/sign-out", "/language", "/logout")
# Screens one step past the menus that this issue built or that hold wide content.
EXTRA = {
    "admin": ["/inventory/bundles", "/inventory/bundles/usual/edit", "/distribute/sites/HUB"],
    "coordinator": ["/inventory/bundles/new", "/inventory/areas", "/distribute/sites/VAN"],
    "staff": ["/distribute/sites/HUB/today"],  # the rest of a busy day (issue 26)
    "funder": [],
    "partner": [],
}
# Pages of records the served program makes (a partner's requests and slip), by role.
MADE: dict[str, list[str]] = {}
# Pages, by role, whose tables of figures must show every column on a phone, without
# scrolling inside their box either (the count review's path is filled in by `served`).
FIGURES: dict[str, list[str]] = {
    "staff": ["/distribute/sites/HUB"],
    "coordinator": [],
    "partner": ["/partners/CLINIC/received"],
}

MENU_LINKS = """() => {
  const links = document.querySelectorAll(
    'header nav a[href], main nav a[href], main .subnav a[href]');
  return [...new Set([...links].map(a => a.getAttribute('href')))];
}"""

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = document.documentElement.scrollWidth;
  if (wide <= width) { return null; }
  // Name the elements that reach past the screen, innermost first, for the report.
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0 && out.length < 6) {
      out.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ` (${Math.round(box.right)}px)`
        + ' ' + (el.textContent || '').trim().slice(0, 30));
    }
  }
  return `${wide}px wide: ` + out.join('; ');
}"""

# The tables of main: how many, and each one whose box scrolls sideways or whose cells reach
# past that box or the screen (the first such cell named, for the report).
TABLES_CUT = """() => {
  const screen = document.documentElement.clientWidth;
  const tables = document.querySelectorAll('main table');
  const cut = [];
  tables.forEach((table, index) => {
    const box = table.closest('.table-wrap') || table.parentElement;
    const edge = Math.min(box.getBoundingClientRect().right, screen);
    const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
    const name = `table ${index + 1} (${heads.join(' | ')})`;
    if (box.scrollWidth > box.clientWidth) {
      cut.push(`${name} scrolls sideways: ${box.scrollWidth}px in a ${box.clientWidth}px box`);
    }
    for (const cell of table.querySelectorAll('th, td')) {
      const right = cell.getBoundingClientRect().right;
      if (right > edge + 0.5) {
        cut.push(`${name}: "${cell.textContent.trim().slice(0, 20)}" ends at `
          + `${Math.round(right)}px, past ${Math.round(edge)}px`);
        break;
      }
    }
  });
  return {count: tables.length, cut};
}"""

SMALL_TARGETS = """() => {
  const small = [];
  const controls = document.querySelectorAll(['main a[href]', 'main button',
    'main input:not([type=hidden])', 'main select', 'main textarea', 'main summary'].join());
  for (let el of controls) {
    if (el.closest('[hidden], [aria-hidden="true"], details:not([open]) > :not(summary)')) {
      continue;
    }
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') { continue; }
    if (el.tagName === 'A' && style.display === 'inline') { continue; }  // a link in a sentence
    if (el.type === 'radio' || el.type === 'checkbox') {
      el = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest('label') || el;
    }
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) { continue; }
    if (box.width < 43.5 || box.height < 43.5) {
      const name = (el.textContent || el.name || el.id || '').trim().slice(0, 30);
      const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
      small.push(`${el.tagName.toLowerCase()} "${name}" ${size}`);
    }
  }
  return small.slice(0, 8);
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One app on 127.0.0.1 for the module, with a program every page has something to show."""
    path = tmp_path_factory.mktemp("overflow") / "test.db"
    app = make_app((f"sqlite:///{path}", {}), SERVER_NAME=None, WTF_CSRF_SSL_STRICT=False)
    with app.app_context():
        make = Factory(app)
        make.site("HUB", name="Harbor Street Community Health Hub")
        make.site("VAN", kind="mobile_van", name="Outreach van (east side)")
        make.supply("NARCAN4", name="Narcan 4 mg nasal spray")
        make.supply("FTS", category="fentanyl_test_strip", name="Fentanyl test strip")
        make.supply("WOUND", category="wound_care", name="Wound care kit with gauze and tape")
        make.funding("SOR")
        make.area("Doña Ana County", "NM")
        make.site("CLINIC", kind="partner_agency", name="Eastside Recovery Clinic and Shelter")
        make.receive("HUB", "NARCAN4", 40, lot="N1", funding="SOR")
        make.receive("HUB", "NARCAN4", 5, lot="OLD", expires_in_days=-3)
        make.receive("HUB", "FTS", 300)
        make.receive("HUB", "WOUND", 30)
        request = OperationRequest.new(None, {"t": 1})
        work.transfer(
            make.admin,
            request,
            {"from_site": "HUB", "to_site": "VAN", "supply": "FTS", "quantity": 20},
        )
        kit = {
            "code": "usual",
            "name": "Narcan + 5 test strips",
            "items": [{"supply": "NARCAN4", "quantity": 2}, {"supply": "FTS", "quantity": 5}],
        }
        bundles.create_bundle(make.admin, OperationRequest.new(None, kit), kit)
        users = {}
        for role in ROLES:
            sites = {"staff": ("HUB",), "partner": ("CLINIC",)}.get(role, ())
            users[role] = make.user(f"{role}@example.org", role, sites=sites)
        given = {"id": str(uuid.uuid4()), "site": "HUB", "items": kit["items"]}
        events.distribute(make.admin, OperationRequest.new(given["id"], given), given)
        _partner_requests(make)
        _count_waiting_for_review(users["staff"])
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _partner_requests(make) -> None:
    """The clinic's requests: one sent (a slip, a delivery, a report), one approved, one
    waiting; their pages join the partner's and the coordinator's (issue 24)."""
    partner = make.user("clinic-partner@example.org", "partner", sites=("CLINIC",))

    def ask(items):
        body = {"site": "CLINIC", "items": items, "needed_by": None}
        return requests.submit(partner, OperationRequest.new(None, body), body).result["id"]

    sent = ask([{"supply": "NARCAN4", "quantity": 6}, {"supply": "WOUND", "quantity": 4}])
    body = {"from_site": "HUB"}
    requests.fulfil(make.admin, OperationRequest.new(None, body), sent, body)
    approved = ask([{"supply": "FTS", "quantity": 40}, {"supply": "NARCAN4", "quantity": 2}])
    part = {"items": [{"supply": "FTS", "quantity": 25}, {"supply": "NARCAN4", "quantity": 2}]}
    requests.approve(make.admin, OperationRequest.new(None, part), approved, part)
    waiting = ask([{"supply": "WOUND", "quantity": 12}, {"supply": "FTS", "quantity": 100}])
    month = f"{date.today():%Y-%m}"
    report = {"site": "CLINIC", "month": month, "items": [{"supply": "WOUND", "quantity": 1}]}
    reports.submit(partner, OperationRequest.new(None, report), report)
    mine = [f"/partners/requests/{sent}", f"/partners/requests/{sent}/slip"]
    MADE["partner"] = [
        *mine,
        f"/partners/requests/{waiting}",
        f"/partners/CLINIC/report?month={month}",
    ]
    MADE["coordinator"] = [
        *mine,
        f"/partners/requests/{approved}",
        f"/partners/requests/{waiting}",
        "/partners/CLINIC/report",
        "/partners/CLINIC/received",
    ]


def _count_waiting_for_review(staff) -> None:
    """A shelf count at the hub by staff, with differences: it waits for a coordinator."""
    _, lines = counting.count_sheet(staff, "HUB")
    entries = [
        CountEntry(line.supply, line.lot_number, line.expected + index % 3 - 1)
        for index, line in enumerate(lines)
    ]
    count = counting.submit(staff, OperationRequest.new(None, {"count": 1}), "HUB", entries)
    review = f"/inventory/counts/{count.result['id']}"
    FIGURES["staff"].append(review)
    FIGURES["coordinator"].append(review)
    for role in ("staff", "coordinator"):
        MADE.setdefault(role, []).append(review)


def _sign_in(page, role: str) -> None:
    page.goto("/")
    page.fill("#email", f"{role}@example.org")
    page.fill("#password", PASSWORD)
    page.click("form:not(.language-switch) button[type=submit]")
    page.wait_for_function("() => location.pathname !== '/'")


def _menu_pages(page) -> list[str]:
    """The menus' pages: the top bar's, then the tabs found on those pages."""
    found = [href for href in page.evaluate(MENU_LINKS) if not href.startswith(SKIPPED)]
    for href in list(found):
        page.goto(href)
        for more in page.evaluate(MENU_LINKS):
            if more not in found and not more.startswith(SKIPPED):
                found.append(more)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_and_targets_are_big_enough(browser, served, role, language):
    context = browser.new_context(
        viewport={"width": WIDTHS[0], "height": 640},
        base_url=served,
        is_mobile=True,
        has_touch=True,
    )
    context.add_cookies([{"name": "lang", "value": language, "url": served}])
    page = context.new_page()
    problems = []
    try:
        _sign_in(page, role)
        pages = _menu_pages(page)
        assert len(pages) >= 3, pages
        pages += EXTRA[role] + MADE.get(role, [])
        for href in pages:
            page.set_viewport_size({"width": WIDTHS[0], "height": 640})
            response = page.goto(href)
            assert response.status == 200, f"{href}: {response.status}"
            for width in WIDTHS:
                if width != WIDTHS[0]:
                    page.set_viewport_size({"width": width, "height": 667})
                wide = page.evaluate(OVERFLOW)
                if wide:
                    problems.append(f"{href} at {width} px [{language}]: {wide}")
                    name = href.strip("/").replace("/", "-").replace("?", "-") or "home"
                    screenshot(page, f"overflow-{role}-{language}-{width}-{name}")
            small = page.evaluate(SMALL_TARGETS)
            if small:
                problems.append(f"{href} [{language}] targets under 44 px: {small}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_tables_of_figures_show_every_column_on_a_phone(browser, served, language):
    problems = []
    for role, pages in FIGURES.items():
        context = browser.new_context(
            viewport={"width": WIDTHS[0], "height": 640},
            base_url=served,
            is_mobile=True,
            has_touch=True,
        )
        context.add_cookies([{"name": "lang", "value": language, "url": served}])
        page = context.new_page()
        try:
            _sign_in(page, role)
            for href in pages:
                page.set_viewport_size({"width": WIDTHS[0], "height": 640})
                response = page.goto(href)
                assert response.status == 200, f"{href}: {response.status}"
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 667})
                    tables = page.evaluate(TABLES_CUT)
                    assert tables["count"], f"{href} [{language}] as {role}: no table"
                    if tables["cut"]:
                        problems.extend(
                            f"{href} at {width} px [{language}] as {role}: {cut}"
                            for cut in tables["cut"]
                        )
                        name = href.strip("/").replace("/", "-")
                        screenshot(page, f"table-cut-{role}-{language}-{width}-{name}")
        finally:
            context.close()
    assert not problems, "\n".join(problems)
