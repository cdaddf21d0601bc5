"""axe-core on every page each role can reach, in English and in Spanish; the keyboard alone.

axe-core is the npm package, installed by `make test-browser` (or here, on first use)
into the git-ignored .axe/ folder. It is run through the DevTools protocol, so the
app's Content-Security-Policy stays as it is. A serious or critical violation fails.
"""

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from supplies.extensions import db
from supplies.models import DistributionEvent
from supplies.services.db.operations import OperationRequest
from supplies.services.partners import requests as partner_requests
from supplies.services.stock import counting, work
from supplies.services.stock.counting import CountEntry
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}
LANGUAGES = ("en", "es")


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The axe-core script, installed with npm into .axe/ when it is not there yet."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("REQUIRE_BROWSER") == "1":
                pytest.fail("npm is needed to install axe-core (apt-get install -y npm)")
            pytest.skip("npm is not installed, so axe-core cannot be")
        subprocess.run(
            [
                npm,
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                ".axe",
                "axe-core@4",
            ],
            cwd=ROOT,
            check=True,
            timeout=300,
        )
    return AXE.read_text()


def _request(body=None) -> OperationRequest:
    return OperationRequest.new(str(uuid.uuid4()), body or {"n": str(uuid.uuid4())})


@pytest.fixture
def world(live_make):
    """Sites, stock (an expired lot too), a transfer, a pending count and one user per role."""
    make = live_make
    make.site("HUB", name="Downtown hub")
    make.site("VAN", kind="mobile_van", name="Outreach van")
    make.supply("NARCAN4", name="Narcan 4 mg nasal spray")
    make.supply("FTS", category="fentanyl_test_strip", name="Fentanyl test strip")
    make.funding("SOR")
    make.receive("HUB", "NARCAN4", 40, lot="N1", funding="SOR")
    make.receive("HUB", "NARCAN4", 5, lot="OLD", expires_in_days=-3)
    make.receive("HUB", "FTS", 300)
    body = {"from_site": "HUB", "to_site": "VAN", "supply": "FTS", "quantity": 20}
    moved = work.transfer(make.admin, _request(body), body)
    users = {
        "admin": make.user("admin@example.org", "admin"),
        "coordinator": make.user("coord@example.org", "coordinator"),
        "staff": make.user("staff@example.org", "staff", sites=("HUB",)),
        "funder": make.user("funder@example.org", "funder"),
    }
    entries = [CountEntry("FTS", None, 279)]
    count = counting.submit(users["staff"], _request(), "HUB", entries, blind=True)
    return {
        "users": users,
        "transfer": moved.result["id"],
        "count": count.result["id"],
        **_partner_world(make, users),
    }


def _partner_world(make, users) -> dict:
    """A partner agency, its partner, and a request sent, one approved and one waiting."""
    make.site("CLINIC", kind="partner_agency", name="Eastside clinic")
    users["partner"] = partner = make.user("partner@example.org", "partner", sites=("CLINIC",))

    def ask(units):
        body = {"site": "CLINIC", "items": [{"supply": "FTS", "quantity": units}]}
        return partner_requests.submit(partner, _request(body), body).result["id"]

    sent, approved, waiting = ask(10), ask(20), ask(30)
    partner_requests.fulfil(make.admin, _request(), sent, {"from_site": "HUB"})
    partner_requests.approve(make.admin, _request(), approved, {})
    return {"requests": {"sent": sent, "approved": approved, "waiting": waiting}}


def _pages(role: str, world) -> list[str]:
    """The screens a role works with (each must answer 200)."""
    stock = [
        "/home",
        "/inventory/receive",
        "/inventory/transfer",
        "/inventory/transfer?from_site=HUB",
        "/inventory/adjust",
        "/inventory/lots",
        "/inventory/lots?lot=N&status=available",
        "/inventory/lots/status?supply=NARCAN4&lot_number=N1&status=recalled",
        "/inventory/par-levels",
        "/inventory/stock-card",
        "/inventory/stock-card?site=HUB&supply=NARCAN4",
        "/inventory/catalog",
        "/inventory/catalog/site/new",
        "/inventory/catalog/supply/NARCAN4/edit",
        "/inventory/catalog/funding/SOR/edit",
        "/inventory/areas",
        "/inventory/sites/HUB/par-levels",
        "/inventory/sites/HUB/write-off-expired",
        f"/inventory/transfers/{world['transfer']}",
        "/inventory/count",
        "/inventory/sites/HUB/count",
        f"/inventory/counts/{world['count']}",
        "/reports/",
        "/account/password",
        "/distribute/",
        "/distribute/sites/HUB",
        "/partners/queue",
        "/partners/agencies",
        "/partners/CLINIC/requests",
        "/partners/CLINIC/received",
        "/partners/CLINIC/report",
        *(f"/partners/requests/{r}" for r in world["requests"].values()),
        f"/partners/requests/{world['requests']['sent']}/slip",
    ]
    admin = [
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{world['users']['staff'].id}",
        "/admin/tokens",
        "/admin/audit",
    ]
    return {
        "admin": stock + admin,
        "coordinator": stock,
        "staff": [
            "/distribute/sites/HUB",
            "/distribute/offline",
            "/home",
            "/inventory/count",
            "/inventory/sites/HUB/count?blind=1",
            f"/inventory/counts/{world['count']}",
            "/inventory/stock-card?site=HUB&supply=FTS",
            "/account/password",
        ],
        "funder": ["/home", "/reports/", "/account/password"],
        "partner": [
            "/partners/",
            "/partners/CLINIC/requests/new",
            "/partners/CLINIC/requests",
            "/partners/CLINIC/received",
            "/partners/CLINIC/report",
            f"/partners/requests/{world['requests']['sent']}",
            f"/partners/requests/{world['requests']['waiting']}",
            f"/partners/requests/{world['requests']['sent']}/slip",
            "/account/password",
        ],
    }[role]


def _violations(page, axe_source: str) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now."""
    page.evaluate(axe_source)
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )
    return [json.dumps(v) for v in result if v["impact"] in FAILING_IMPACTS]


def _context(browser, base_url: str, language: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url)
    context.add_cookies([{"name": "lang", "value": language, "url": base_url}])
    return context


def _sign_in(page, email: str) -> None:
    page.goto("/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form:not(.language-switch) button[type=submit]")
    # Each role lands on its own screen (staff: the distribution screen, once merged).
    page.wait_for_function("() => location.pathname !== '/'")


def _check(page, url: str, axe_source: str, problems: list, language: str) -> None:
    response = page.goto(url)
    assert response.status == 200, f"{url}: {response.status}"
    html_lang = page.get_attribute("html", "lang")
    assert html_lang == language, f"{url}: <html lang={html_lang}>"
    problems.extend(f"{url} [{language}]: {v}" for v in _violations(page, axe_source))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ["admin", "coordinator", "staff", "funder", "partner"])
def test_every_page_of_a_role_passes_axe(browser, live_app, world, axe_source, role, language):
    context = _context(browser, live_app[1], language)
    page = context.new_page()
    problems: list[str] = []
    try:
        _sign_in(page, world["users"][role].email)
        for url in _pages(role, world):
            _check(page, url, axe_source, problems, language)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_signed_out_pages_and_errors_pass_axe(browser, live_app, world, axe_source, language):
    context = _context(browser, live_app[1], language)
    page = context.new_page()
    problems: list[str] = []
    try:
        _check(page, "/", axe_source, problems, language)
        page.fill("#email", "nobody@example.org")
        page.fill("#password", "not the password at all")
        page.click("form:not(.language-switch) button[type=submit]")
        problems.extend(f"failed sign-in [{language}]: {v}" for v in _violations(page, axe_source))
        page.goto("/reset/not-a-token")
        problems.extend(f"reset link [{language}]: {v}" for v in _violations(page, axe_source))
        _sign_in(page, world["users"]["coordinator"].email)
        page.goto("/no/such/page")
        problems.extend(f"404 [{language}]: {v}" for v in _violations(page, axe_source))
        # A refused form: errors beside their fields.
        page.goto("/inventory/transfer")
        page.click("main form button.primary")
        assert page.locator("[aria-invalid=true]").count() > 0
        problems.extend(f"transfer errors [{language}]: {v}" for v in _violations(page, axe_source))
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_axe_check_catches_a_violation(browser, live_app, axe_source):
    context = browser.new_context(base_url=live_app[1])
    page = context.new_page()
    try:
        page.goto("/")
        page.evaluate(
            "() => { const i = document.createElement('input'); i.type = 'text';"
            " document.querySelector('main').appendChild(i); }"
        )
        found = _violations(page, axe_source)
    finally:
        context.close()
    assert any('"label"' in v for v in found), found


# --- the keyboard alone ---


def _focused(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return (e.id || e.getAttribute('name') || e.textContent || '').trim(); }"
    )


def _outline(page) -> str:
    return page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")


VISIBLE_FOCUS = """() => {
  const e = document.activeElement;
  // Radios and the overdose toggle are drawn by their label, which carries the ring.
  const drawn = (e.type === 'radio' || e.type === 'checkbox') && e.nextElementSibling
    ? e.nextElementSibling : e;
  const s = getComputedStyle(drawn);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  return outline || s.boxShadow !== 'none';
}"""


def _tab_until(page, predicate: str, backwards: bool = False, limit: int = 80) -> None:
    """Tab (or Shift+Tab) until the focused element passes predicate(e); its focus is seen."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(f"() => (e => {predicate})(document.activeElement)"):
            assert page.evaluate(VISIBLE_FOCUS), f"no visible focus on {predicate}"
            return
    raise AssertionError(f"{key} never reached {predicate}")


def _tab_to(page, wanted: str) -> None:
    """Tab until the focused element's id, name or text is `wanted`."""
    name = "(e.id || e.getAttribute('name') || e.textContent || '').trim()"
    _tab_until(page, f"{name} === {json.dumps(wanted)}")


def test_sign_in_switch_language_and_count_with_the_keyboard(desktop, world):
    page = desktop
    page.goto("/")
    page.keyboard.press("Tab")
    assert _focused(page) == "Skip to content" and _outline(page) != "none"
    _tab_to(page, "lang")  # the switch offers Español
    page.keyboard.press("Enter")
    page.wait_for_selector("html[lang=es]")
    _tab_to(page, "email")
    page.keyboard.type(world["users"]["staff"].email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.pathname !== '/'")
    assert page.get_attribute("html", "lang") == "es"
    assert "Cerrar sesión" in page.inner_text("header")
    page.goto("/inventory/sites/HUB/count")
    _tab_to(page, "line-0-counted")
    page.keyboard.type("279")
    _tab_to(page, "Revisar el conteo")
    page.keyboard.press("Enter")
    page.wait_for_url("**/inventory/counts/**")
    assert "Conteo guardado" in page.inner_text("main")


# --- the distribution screen, in Spanish, with the keyboard alone ---------------------------


def _checked(page, name: str) -> str:
    return page.evaluate(f"() => document.querySelector('input[name={name}]:checked').value")


def test_staff_logs_a_distribution_in_spanish_with_the_keyboard(
    browser, live_app, world, axe_source
):
    context = _context(browser, live_app[1], "es")
    page = context.new_page()
    try:
        page.goto("/")
        _tab_until(page, "e.id === 'email'")
        page.keyboard.type(world["users"]["staff"].email)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/distribute/sites/HUB")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Registrar una entrega")
        page.wait_for_selector("html[data-offline-ready]", state="attached")
        narcan = page.evaluate(
            "() => document.querySelector('.qty[data-supply=NARCAN4]').dataset.field"
        )
        strips = page.evaluate(
            "() => document.querySelector('.qty[data-supply=FTS]').dataset.field"
        )

        # Too many: the refusal is announced and tied to the field.
        _tab_until(page, f"e.id === '{narcan}'")
        page.keyboard.type("99")
        _tab_until(page, "e.id === 'log-button'")
        page.keyboard.press("Enter")
        alert = page.locator("#form-error[role=alert]")
        expect(alert).to_contain_text("Solo hay 40 de Narcan 4 mg nasal spray disponibles")
        error = page.locator(f"#{narcan}-error")
        expect(error).to_have_text("solo hay 40 disponibles")
        described = page.get_attribute(f"#{narcan}", "aria-describedby").split()
        assert f"{narcan}-error" in described
        assert page.get_attribute(f"#{narcan}", "aria-invalid") == "true"
        problems = [f"refused [es]: {v}" for v in _violations(page, axe_source)]
        assert not problems, "\n".join(problems)

        # Fixed by keyboard: back to the field, a smaller number, three strips by the stepper.
        _tab_until(page, f"e.id === '{narcan}'", backwards=True)
        page.keyboard.press("End")
        for _ in range(3):
            page.keyboard.press("Backspace")
        page.keyboard.type("2")
        _tab_until(page, f"e.dataset.for === '{strips}' && e.dataset.step === '1'")
        assert page.evaluate("() => document.activeElement.textContent.trim()").endswith("Uno más")
        for _ in range(3):
            page.keyboard.press("Space")
        expect(page.locator(f"#{strips}")).to_have_value("3")
        _tab_until(page, "e.name === 'recipient_type'")
        page.keyboard.press("ArrowRight")
        assert _checked(page, "recipient_type") == "person_who_uses_drugs"
        _tab_until(page, "e.name === 'trained'")
        page.keyboard.press("ArrowRight")
        assert _checked(page, "trained") == "yes"
        _tab_until(page, "e.id === 'used_on_overdose'")
        page.keyboard.press("Space")
        expect(page.locator("#reversals_reported")).to_have_value("1")
        _tab_until(page, "e.id === 'log-button'")
        page.keyboard.press("Enter")
        confirmation = page.locator("#js-confirmation")
        expect(confirmation).to_have_text(
            "Registrado: 3 × Fentanyl test strip, 2 × Narcan 4 mg nasal spray."
        )
        assert page.get_attribute("#js-confirmation", "aria-live") == "polite"
        expect(alert).to_be_hidden()
        expect(page.locator("#today .event")).to_have_count(1)

        db.session.rollback()
        [event] = db.session.execute(db.select(DistributionEvent)).scalars().all()
        lines = sorted((line.supply.code, line.quantity) for line in event.lines)
        assert lines == [("FTS", 3), ("NARCAN4", 2)]
        assert (event.recipient_type, event.trained) == ("person_who_uses_drugs", True)
        assert (event.resupply_reason, event.reversals_reported) == ("used_on_overdose", 1)

        # Void it by keyboard: open "Anular…", pick "Se registró dos veces", send.
        _tab_until(page, "e.classList.contains('void-link') && e.closest('#today')")
        page.keyboard.press("Enter")
        _tab_until(page, "e.name === 'reason'")
        page.keyboard.press("Space")
        for _ in range(3):
            page.keyboard.press("ArrowDown")
        assert _checked(page, "reason") == "duplicate"
        _tab_until(page, "e.type === 'submit' && e.closest('.void-form')")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status").filter(has_text="Se anuló la entrega")).to_contain_text(
            "Se registró dos veces"
        )
        expect(page.locator("#today .event.voided")).to_have_count(1)
        db.session.rollback()
        assert db.session.get(DistributionEvent, event.id).void_reason == "duplicate"
    finally:
        context.close()


# --- a partner agency's request, with the keyboard alone (issue 24) --------------------------


def test_a_partner_requests_supplies_with_the_keyboard(desktop, world):
    page = desktop
    page.goto("/")
    _tab_to(page, "email")
    page.keyboard.type("partner@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.pathname !== '/'")
    page.goto("/partners/CLINIC/requests/new")
    # The first supply's box, a number, then past the other boxes to the button.
    _tab_until(page, "e.name === 'lines-0-quantity'")
    page.keyboard.type("6")
    _tab_to(page, "Send the request")
    page.keyboard.press("Enter")
    page.wait_for_url("**/partners/requests/**")
    expect(page.get_by_role("status").filter(has_text="Request sent")).to_contain_text("6 units")
    assert "Submitted" in page.inner_text("main")
