"""Each role signs in through the real page and lands on its home."""

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD


# Staff land on the distribution screen instead: see test_distribute.py.
@pytest.mark.parametrize("role", ["admin", "coordinator", "funder"])
def test_each_role_signs_in_and_out(live_make, phone, role):
    live_make.site("HUB")
    live_make.user(f"{role}@example.org", role, sites=("HUB",) if role == "staff" else ())
    sign_in(phone, f"{role}@example.org", PASSWORD)
    phone.wait_for_url("**/home")
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    screenshot(phone, f"home-{role}-phone")
    phone.get_by_role("button", name="Sign out").click()
    phone.wait_for_url("**/")
    assert phone.get_by_role("button", name="Sign in").is_visible()


def test_wrong_password_keeps_the_email(live_make, desktop):
    live_make.user("coord@example.org", "coordinator")
    sign_in(desktop, "coord@example.org", "not the right password")
    assert desktop.get_by_role("alert").inner_text() == (
        "That email and password do not match an active account."
    )
    assert desktop.get_by_label("Email").input_value() == "coord@example.org"
