"""Temporary passwords that must be changed, one-time reset links, changing one's password."""

from supplies.extensions import db
from supplies.models import User
from supplies.services.accounts import users
from tests.conftest import PASSWORD, csrf_token_from

NEW_PASSWORD = "marigold kettle seventy orbit"


def _sign_in(client, email, password):
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    return client.post("/", data={"email": email, "password": password, "csrf_token": token})


def _token(client, path="/account/password") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def _fresh(user_id: int) -> User:
    db.session.rollback()  # end the read snapshot: see what the requests committed
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_a_temporary_password_must_be_changed_before_anything_else(make, fresh_client):
    user = make.user("staff@example.org", "funder")
    temporary = users.issue_temporary_password(make.admin, user.id)
    response = _sign_in(fresh_client, "staff@example.org", temporary)
    assert response.headers["Location"] == "/account/password"
    assert fresh_client.get("/home").headers["Location"] == "/account/password"
    api = fresh_client.get("/api/v1/sites")
    assert api.status_code == 403
    assert api.get_json()["error"]["code"] == "password_change_required"
    token = _token(fresh_client)
    refused = fresh_client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": temporary,
            "new_password": "Password12345",
            "confirm": "Password12345",
        },
    )
    html = refused.get_data(as_text=True)
    assert 'id="new_password-error"' in html and "too common" in html
    assert 'aria-describedby="new_password-hint new_password-error"' in html
    changed = fresh_client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": temporary,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert changed.headers["Location"] == "/home"
    assert fresh_client.get("/home").status_code == 200
    assert not _fresh(user.id).must_change_password


def test_a_wrong_current_password_is_named(make, fresh_client):
    make.user("a@example.org", "funder")
    _sign_in(fresh_client, "a@example.org", PASSWORD)
    response = fresh_client.post(
        "/account/password",
        data={
            "csrf_token": _token(fresh_client),
            "current_password": "not my password at all",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert 'id="current_password-error"' in response.get_data(as_text=True)


def test_changing_a_password_ends_other_sessions(app, make, fresh_client):
    from tests.conftest import FreshContextClient

    make.user("a@example.org", "funder")
    phone = FreshContextClient(app, app.response_class, use_cookies=True)
    _sign_in(phone, "a@example.org", PASSWORD)
    _sign_in(fresh_client, "a@example.org", PASSWORD)
    fresh_client.post(
        "/account/password",
        data={
            "csrf_token": _token(fresh_client),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert fresh_client.get("/home").status_code == 200
    assert phone.get("/home").status_code == 302


def test_a_reset_link_works_once_and_the_old_password_stops_at_once(make, fresh_client):
    user = make.user("a@example.org", "funder")
    token = users.issue_reset_token(make.admin, user.id)
    assert _sign_in(fresh_client, "a@example.org", PASSWORD).status_code == 200  # refused
    page = fresh_client.get(f"/reset/{token}")
    assert page.status_code == 200 and "a@example.org" in page.get_data(as_text=True)
    done = fresh_client.post(
        f"/reset/{token}",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert done.headers["Location"] == "/"
    assert fresh_client.get(f"/reset/{token}").status_code == 404
    assert _sign_in(fresh_client, "a@example.org", NEW_PASSWORD).status_code == 302


def test_a_newer_reset_link_replaces_the_older_one(make, fresh_client):
    user = make.user("a@example.org", "funder")
    old = users.issue_reset_token(make.admin, user.id)
    new = users.issue_reset_token(make.admin, user.id)
    assert fresh_client.get(f"/reset/{old}").status_code == 404
    assert fresh_client.get(f"/reset/{new}").status_code == 200
    # Change the first character of the signature: the last one of a base64 string can
    # carry unused bits, so changing it may leave the decoded signature the same.
    payload, _, signature = new.rpartition(".")
    tampered = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert fresh_client.get(f"/reset/{tampered}").status_code == 404
