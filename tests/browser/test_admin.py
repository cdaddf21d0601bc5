"""An admin creates an account on a phone; the new person changes the temporary password."""

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD

NEW_PASSWORD = "lantern otter cobalt ninety"


def test_admin_creates_an_account_and_the_person_sets_a_password(
    browser, live_app, live_make, phone
):
    live_make.site("HUB")
    live_make.site("VAN", "mobile_van")
    live_make.user("admin@example.org", "admin")
    problems = []
    phone.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sign_in(phone, "admin@example.org", PASSWORD)
    phone.wait_for_url("**/home")
    phone.get_by_role("link", name="Admin").click()
    phone.get_by_role("link", name="New account").click()
    phone.get_by_label("Email").fill("outreach@example.org")
    phone.get_by_label("Name").fill("Outreach Worker")
    phone.get_by_label("Role").select_option("staff")
    phone.get_by_label("Site VAN (VAN)").check()
    screenshot(phone, "admin-new-user-phone")
    phone.get_by_role("button", name="Create account").click()
    temporary = phone.locator("#secret").inner_text().strip()
    screenshot(phone, "admin-temporary-password-phone")
    assert len(temporary) >= 12

    context = browser.new_context(base_url=live_app[1], viewport={"width": 360, "height": 740})
    newcomer = context.new_page()
    sign_in(newcomer, "outreach@example.org", temporary)
    newcomer.wait_for_url("**/account/password")
    newcomer.get_by_label("Current password").fill(temporary)
    newcomer.get_by_label("New password", exact=True).fill("password123456")
    newcomer.get_by_label("New password again").fill("password123456")
    newcomer.get_by_role("button", name="Change password").click()
    error = newcomer.locator("#new_password-error")
    assert "too common" in error.inner_text()
    screenshot(newcomer, "change-password-error-phone")
    newcomer.get_by_label("Current password").fill(temporary)
    newcomer.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    newcomer.get_by_label("New password again").fill(NEW_PASSWORD)
    newcomer.get_by_role("button", name="Change password").click()
    newcomer.wait_for_url("**/distribute/sites/VAN")  # a staff member's home
    context.close()

    phone.goto("/admin/audit")
    screenshot(phone, "admin-audit-phone")
    assert "user.password_change" in phone.content()
    assert not [p for p in problems if "Content Security Policy" in p], problems


def test_admin_makes_and_revokes_a_token_on_a_desktop(live_make, desktop):
    live_make.site("HUB")
    live_make.user("admin@example.org", "admin")
    live_make.user("staff@example.org", "staff", sites=("HUB",))
    sign_in(desktop, "admin@example.org", PASSWORD)
    desktop.wait_for_url("**/home")
    desktop.goto("/admin/users")
    desktop.get_by_role("link", name="staff@example.org").click()
    screenshot(desktop, "admin-edit-user-desktop")
    desktop.get_by_role("link", name="API tokens").click()
    desktop.get_by_label("Account").select_option(label="staff@example.org (staff)")
    desktop.get_by_label("What it is for").fill("Van tablet")
    desktop.get_by_role("button", name="Create token").click()
    assert len(desktop.locator("#secret").inner_text().strip()) >= 40
    desktop.get_by_role("link", name="Back to API tokens").click()
    desktop.get_by_role("button", name="Revoke").first.click()
    assert desktop.get_by_text("revoked").first.is_visible()
    screenshot(desktop, "admin-tokens-desktop")
