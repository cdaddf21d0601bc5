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

from supplies.services import counting, inventory
from supplies.services.counting import CountEntry
from supplies.services.operations import OperationRequest
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
    moved = inventory.transfer(make.admin, _request(body), body)
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
    }


def _pages(role: str, world) -> list[str]:
    """The screens a role works with (each must answer 200)."""
    stock = [
        "/home",
        "/inventory/receive",
        "/inventory/transfer",
        "/inventory/adjust",
        "/inventory/lots",
        "/inventory/stock-card",
        "/inventory/stock-card?site=HUB&supply=NARCAN4",
        "/inventory/catalog",
        "/inventory/catalog/site/new",
        "/inventory/catalog/supply/NARCAN4/edit",
        "/inventory/catalog/funding/SOR/edit",
        "/inventory/sites/HUB/par-levels",
        "/inventory/sites/HUB/write-off-expired",
        f"/inventory/transfers/{world['transfer']}",
        "/inventory/count",
        "/inventory/sites/HUB/count",
        f"/inventory/counts/{world['count']}",
        "/reports/",
        "/account/password",
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
            "/home",
            "/inventory/count",
            "/inventory/sites/HUB/count?blind=1",
            f"/inventory/counts/{world['count']}",
            "/inventory/stock-card?site=HUB&supply=FTS",
            "/account/password",
        ],
        "funder": ["/home", "/reports/", "/account/password"],
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
@pytest.mark.parametrize("role", ["admin", "coordinator", "staff", "funder"])
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
        page.click("main form button[type=submit]")
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


# --- the keyboard alone (the distribution screen's own test comes with that screen) ---


def _focused(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return (e.id || e.getAttribute('name') || e.textContent || '').trim(); }"
    )


def _outline(page) -> str:
    return page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")


def _tab_to(page, wanted: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused(page) == wanted:
            assert _outline(page) != "none", f"{wanted} has no visible focus"
            return
    raise AssertionError(f"Tab never reached {wanted}")


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
