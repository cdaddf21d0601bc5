"""Sign-in hardening: password rules, the throttle, session rules, cookies, open redirects."""

import hashlib
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
    # The account-wide wait starts later and stays short.
    assert sign_in_service.delay_after(19, "account:abc") == timedelta(0)
    assert sign_in_service.delay_after(20, "account:abc") == timedelta(seconds=30)
    assert sign_in_service.delay_after(99, "account:abc") == timedelta(seconds=120)


def test_the_address_allowance_can_be_raised_on_its_own(app, ctx):
    app.config["SIGN_IN_ADDRESS_FREE_ATTEMPTS"] = 20
    assert sign_in_service.delay_after(5, "address:abc") == timedelta(0)
    assert sign_in_service.delay_after(20, "address:abc") == timedelta(seconds=30)
    assert sign_in_service.delay_after(5, "pair:abc") == timedelta(seconds=30)


def test_an_address_is_throttled_after_five_failures_with_the_same_message(make, client):
    make.user("staff@example.org", "admin")
    for _ in range(5):
        response = sign_in(client, "staff@example.org", "wrong password here")
        assert response.status_code == 200
        assert _flash(response) == FAILED_SIGN_IN
    # Even the right password is refused from there while that address waits.
    throttled = sign_in(client, "staff@example.org")
    assert throttled.status_code == 200
    assert "Too many failed sign-ins" in _flash(throttled)
    # An email with no account gets exactly the same answers.
    for _ in range(5):
        response = sign_in(client, "nobody@example.org", "wrong password here", "10.0.0.3")
        assert _flash(response) == FAILED_SIGN_IN
    unknown = sign_in(client, "nobody@example.org", address="10.0.0.3")
    assert _flash(unknown) == _flash(throttled)
    actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
    assert actions.count("auth.sign_in_failed") == 10
    assert actions.count("auth.sign_in_throttled") == 2


def test_strangers_failing_from_many_addresses_do_not_block_the_right_password(app, make):
    make.user("real@example.org", "funder")
    # What the attack found: five failures from five addresses held the owner out.
    for n in range(5):
        sign_in(app.test_client(), "real@example.org", "wrong password here", f"10.0.{n}.1")
    # Four more from one of them: that address waits, nobody else does.
    for _ in range(4):
        sign_in(app.test_client(), "real@example.org", "wrong password here", "10.0.0.1")
    assert "Too many failed sign-ins" in _flash(
        sign_in(app.test_client(), "real@example.org", address="10.0.0.1")
    )
    # The owner, from anywhere else, gets straight in.
    assert sign_in(app.test_client(), "real@example.org", address="10.9.0.1").status_code == 302


def test_a_known_device_is_never_locked_out_by_strangers(app, make):
    make.user("real@example.org", "funder")
    phone = app.test_client()
    assert sign_in(phone, "real@example.org", address="192.0.2.10").status_code == 302
    assert phone.get_cookie("device") is not None
    phone.post("/sign-out", data={"csrf_token": _token(phone)})
    # Strangers everywhere, and at the phone's own address (the same café), fail and fail.
    for n in range(30):
        sign_in(app.test_client(), "real@example.org", "wrong password here", f"10.1.{n}.1")
    for _ in range(10):
        sign_in(app.test_client(), "real@example.org", "wrong password here", "192.0.2.10")
    stranger = sign_in(app.test_client(), "real@example.org", address="192.0.2.10")
    assert "Too many failed sign-ins" in _flash(stranger)
    assert sign_in(phone, "real@example.org", address="192.0.2.10").status_code == 302


def test_a_guesser_with_many_addresses_waits_a_turn_for_every_guess(app, make, monkeypatch):
    make.user("real@example.org", "funder")
    for n in range(20):  # the account's free attempts, each from its own address
        sign_in(app.test_client(), "real@example.org", "wrong password here", f"10.2.{n}.1")
    guesser = app.test_client()
    first = sign_in(guesser, "real@example.org", "guess one", "10.3.0.1")
    assert "Too many failed sign-ins" in _flash(first)  # a turn in 30 s, not a guess now
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(seconds=31))
    heard = sign_in(guesser, "real@example.org", "guess two", "10.3.0.1")
    assert _flash(heard) == FAILED_SIGN_IN  # heard, and wrong
    again = sign_in(guesser, "real@example.org", "guess three", "10.3.0.1")
    assert "Too many failed sign-ins" in _flash(again)  # the turn is used up: wait again
    # Meanwhile the owner on a new phone waits their own turn, which strangers' failures
    # do not lengthen, and the right password then gets in.
    owner = app.test_client()
    assert "Too many failed sign-ins" in _flash(sign_in(owner, "real@example.org"))
    for n in range(10):
        sign_in(app.test_client(), "real@example.org", "wrong password here", f"10.4.{n}.1")
    wait = sign_in_service.delay_after(40, "account:x").total_seconds()
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(seconds=31 + wait + 1))
    assert sign_in(owner, "real@example.org").status_code == 302


def test_wait_passes_and_success_clears_the_counter(make, client, monkeypatch):
    make.user("staff@example.org", "admin")
    for _ in range(5):
        sign_in(client, "staff@example.org", "wrong password here")
    later = clock.now() + timedelta(seconds=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = sign_in(client, "staff@example.org")
    assert response.status_code == 302
    keys = sign_in_service.throttle_keys("staff@example.org", "127.0.0.1")
    assert db.session.get(SignInThrottle, keys["pair"]) is None


def test_failures_from_one_address_throttle_every_account_there(make, client):
    make.user("real@example.org", "admin")
    for n in range(5):
        sign_in(client, f"guess{n}@example.org", "wrong password here", "10.9.9.9")
    refused = sign_in(client, "real@example.org", address="10.9.9.9")
    assert "Too many failed sign-ins" in _flash(refused)
    elsewhere = sign_in(client, "real@example.org", address="10.1.1.1")
    assert elsewhere.status_code == 302


def test_throttle_keys_are_keyed_hashes_without_raw_emails(app, make, client):
    sign_in(client, "someone@example.org", "wrong password here", "10.0.0.7")
    keys = db.session.execute(db.select(SignInThrottle.key)).scalars().all()
    assert sorted(key.partition(":")[0] for key in keys) == ["account", "address", "pair"]
    assert all("someone" not in key and "10.0.0.7" not in key for key in keys)
    # Not a plain SHA-256 that anyone could compute from a list of emails: an HMAC with
    # the secret key (another key, other hashes).
    plain = hashlib.sha256(b"someone@example.org").hexdigest()
    assert not any(plain in key for key in keys)
    expected = sign_in_service.throttle_keys("someone@example.org", "10.0.0.7")
    assert set(keys) == set(expected.values())
    app.config["SECRET_KEY"] = "another secret key for this test only"
    assert sign_in_service.throttle_keys("someone@example.org", None)["account"] not in keys


def test_the_current_password_check_is_throttled_per_session(app, make):
    make.user("a@example.org", "funder")
    thief = app.test_client()
    sign_in(thief, "a@example.org")
    owner = app.test_client()
    sign_in(owner, "a@example.org", address="192.0.2.44")

    def change(client, current):
        return client.post(
            "/account/password",
            data={
                "csrf_token": _token(client),
                "current_password": current,
                "new_password": "marigold kettle seventy orbit",
                "confirm": "marigold kettle seventy orbit",
            },
        )

    for n in range(5):
        assert "is not your current password" in change(thief, f"guess {n} here!!").get_data(
            as_text=True
        )
    refused = change(thief, PASSWORD)  # even the right one, while the session waits
    assert "too many wrong tries" in refused.get_data(as_text=True)
    assert refused.status_code == 200
    # The owner's own session is not held up by the thief's guesses.
    assert change(owner, PASSWORD).status_code == 302
    actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
    assert actions.count("auth.password_check_failed") == 5


def test_a_deactivated_account_gets_the_ordinary_failure(make, client):
    user = make.user("gone@example.org", "funder")
    accounts.set_active(make.admin, user.id, False)
    response = sign_in(client, "gone@example.org")
    assert response.status_code == 200
    assert _flash(response) == FAILED_SIGN_IN


def test_text_no_one_can_type_in_the_email_is_an_ordinary_failure(make, client):
    make.user("a@example.org", "funder")
    for email in ("a\x00@example.org", "a@example.org\x00"):
        response = sign_in(client, email, "wrong password here")
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


def test_an_unknown_email_costs_a_password_hash_like_a_known_one(make, client, monkeypatch):
    make.user("a@example.org", "funder")
    checks = []
    real = sign_in_service.check_password_hash
    monkeypatch.setattr(
        sign_in_service,
        "check_password_hash",
        lambda stored, given: checks.append(stored) or real(stored, given),
    )
    sign_in(client, "nobody@example.org", "wrong password here")
    assert len(checks) == 1  # the same scrypt work as a real account's check
    assert checks[0].startswith("scrypt:")


def test_sign_in_sign_out_and_failures_are_audited(make, client):
    make.user("a@example.org", "funder")
    sign_in(client, "a@example.org", "wrong password here")
    sign_in(client, "a@example.org")
    client.post("/sign-out", data={"csrf_token": _token(client)})
    actions = (
        db.session.execute(db.select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    )
    assert [a for a in actions if a.startswith("auth.")] == [
        "auth.sign_in_failed",
        "auth.sign_in",
        "auth.sign_out",
    ]
