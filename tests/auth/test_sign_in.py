"""Sign-in hardening: password rules, the throttle, session rules, cookies, open redirects."""

import time
from datetime import timedelta

import pytest

from supplies.auth.views import FAILED_SIGN_IN, safe_next
from supplies.extensions import db
from supplies.models import AuditEntry, SignInThrottle
from supplies.services.accounts import passwords
from supplies.services.accounts import sign_in as sign_in_service
from supplies.services.accounts import users as accounts
from supplies.services.common import clock
from supplies.services.common.errors import ValidationFailed
from tests.conftest import PASSWORD, csrf_token_from, sign_in


def _flash(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('class="flash flash-error"')
    return html[html.index(">", start) + 1 : html.index("</div>", start)]


# --- password rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "short-pass",
        "password1234",
        "Password2026!",
        "qwertyuiop123",
        "aaaaaaaaaaaaaa",
        "123456789012",
        "iloveyou!!!!",
        "1q2w3e4r5t6y",
        "  LetMeIn2026  ",
    ],
)
def test_short_and_common_passwords_are_refused(ctx, password):
    with pytest.raises(ValidationFailed) as caught:
        passwords.check(password)
    assert "password" in caught.value.fields


def test_long_uncommon_passwords_pass(ctx):
    passwords.check(PASSWORD)
    passwords.check("plum tractor violet 77")
    assert len(passwords.common_passwords()) >= 300


def test_accounts_refuse_a_common_password(make):
    make.site("HUB")
    with pytest.raises(ValidationFailed) as caught:
        accounts.create_user("x@example.org", "admin", "Password1234")
    assert caught.value.fields == {
        "password": "is too common; choose a longer phrase of unrelated words"
    }


def test_passwords_are_stored_as_scrypt_hashes(make):
    user = make.user("a@example.org", "admin")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


# --- throttle ------------------------------------------------------------------------------


def test_delays_grow_after_five_failures(ctx):
    assert [sign_in_service.delay_after(n).total_seconds() for n in range(4, 10)] == [
        0,
        30,
        60,
        120,
        240,
        480,
    ]
    assert sign_in_service.delay_after(40) == timedelta(seconds=900)


def test_the_address_allowance_can_be_raised_on_its_own(app, ctx):
    app.config["SIGN_IN_ADDRESS_FREE_ATTEMPTS"] = 20
    assert sign_in_service.delay_after(5, "address:abc") == timedelta(0)
    assert sign_in_service.delay_after(20, "address:abc") == timedelta(seconds=30)
    assert sign_in_service.delay_after(5, "account:abc") == timedelta(seconds=30)


def test_account_is_throttled_after_five_failures_with_the_same_message(make, client):
    make.user("staff@example.org", "admin")
    for _ in range(5):
        response = sign_in(client, "staff@example.org", "wrong password here")
        assert response.status_code == 200
        assert _flash(response) == FAILED_SIGN_IN
    # Even the right password is refused while the account waits.
    throttled = sign_in(client, "staff@example.org", address="10.0.0.2")
    assert throttled.status_code == 200
    assert "Too many failed sign-ins" in _flash(throttled)
    # An email with no account gets exactly the same answers.
    for _ in range(5):
        response = sign_in(client, "nobody@example.org", "wrong password here", "10.0.0.3")
        assert _flash(response) == FAILED_SIGN_IN
    unknown = sign_in(client, "nobody@example.org", address="10.0.0.4")
    assert _flash(unknown) == _flash(throttled)
    actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
    assert actions.count("auth.sign_in_failed") == 10
    assert actions.count("auth.sign_in_throttled") == 2


def test_wait_passes_and_success_clears_the_account_counter(make, client, monkeypatch):
    make.user("staff@example.org", "admin")
    for _ in range(5):
        sign_in(client, "staff@example.org", "wrong password here")
    later = clock.now() + timedelta(seconds=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = sign_in(client, "staff@example.org")
    assert response.status_code == 302
    keys = sign_in_service.throttle_keys("staff@example.org", None)
    assert db.session.get(SignInThrottle, keys[0]) is None


def test_failures_from_one_address_throttle_every_account_there(make, client):
    make.user("real@example.org", "admin")
    for n in range(5):
        sign_in(client, f"guess{n}@example.org", "wrong password here", "10.9.9.9")
    refused = sign_in(client, "real@example.org", address="10.9.9.9")
    assert "Too many failed sign-ins" in _flash(refused)
    elsewhere = sign_in(client, "real@example.org", address="10.1.1.1")
    assert elsewhere.status_code == 302


def test_throttle_state_is_in_the_database_without_raw_emails(make, client):
    sign_in(client, "someone@example.org", "wrong password here", "10.0.0.7")
    keys = db.session.execute(db.select(SignInThrottle.key)).scalars().all()
    assert len(keys) == 2
    assert all("someone" not in key and "10.0.0.7" not in key for key in keys)


def test_a_deactivated_account_gets_the_ordinary_failure(make, client):
    user = make.user("gone@example.org", "funder")
    accounts.set_active(make.admin, user.id, False)
    response = sign_in(client, "gone@example.org")
    assert response.status_code == 200
    assert _flash(response) == FAILED_SIGN_IN


# --- session rules -------------------------------------------------------------------------


def test_sign_in_starts_a_new_session(make, client):
    make.user("a@example.org", "admin")
    client.get("/")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before sign-in"
    assert sign_in(client, "a@example.org").status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session


def test_idle_sessions_expire(app, make, client):
    assert app.config["SESSION_IDLE_MINUTES"] == 12 * 60
    make.user("a@example.org", "admin")
    sign_in(client, "a@example.org")
    assert client.get("/home").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 12 * 3600 - 5
    response = client.get("/home")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/")
    assert client.get("/home").status_code == 302  # still signed out


def test_idle_limit_is_configurable_and_applies_to_the_api(app, make, client):
    app.config["SESSION_IDLE_MINUTES"] = 5
    make.user("a@example.org", "admin")
    sign_in(client, "a@example.org")
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 6 * 60
    response = client.get("/api/v1/sites")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_cookies_are_httponly_lax_and_secure_over_https(make, client):
    make.user("a@example.org", "admin")
    response = sign_in(client, "a@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = client.get("/", base_url="https://localhost")
    cookie = secure.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


# --- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "home",
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        " //evil.example",
    ],
)
def test_safe_next_refuses_targets_outside_the_app(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/home", "/admin/users?page=2", "/api/v1/openapi.json"])
def test_safe_next_keeps_paths_inside_the_app(target):
    assert safe_next(target) == target


def test_sign_in_never_redirects_off_site(make, client):
    make.user("a@example.org", "admin")
    response = sign_in(client, "a@example.org", next_="//evil.example/x")
    assert response.headers["Location"] == "/home"
    client.post("/sign-out", data={"csrf_token": _token(client)})
    response = sign_in(client, "a@example.org", next_="/admin/users")
    assert response.headers["Location"] == "/admin/users"


def _token(client) -> str:
    return csrf_token_from(client.get("/account/password").get_data(as_text=True))


def test_the_shared_client_helpers_sign_in_and_out(make, auth, client):
    make.user("a@example.org", "admin")
    assert auth.login("a@example.org").status_code == 302
    assert client.get("/home").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/home").status_code == 302
