"""Temporary passwords that must be changed, one-time reset links, changing one's password."""

from supplies.extensions import db
from supplies.models import User
from supplies.services.accounts import users
from tests.conftest import PASSWORD, csrf_token_from, sign_in

NEW_PASSWORD = "marigold kettle seventy orbit"


def _token(client, path="/account/password") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def _fresh(user_id: int) -> User:
    db.session.rollback()  # end the read snapshot: see what the requests committed
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_a_temporary_password_must_be_changed_before_anything_else(make, client):
    user = make.user("staff@example.org", "funder")
    temporary = users.issue_temporary_password(make.admin, user.id)
    response = sign_in(client, "staff@example.org", temporary)
    assert response.headers["Location"] == "/account/password"
    assert client.get("/home").headers["Location"] == "/account/password"
    api = client.get("/api/v1/sites")
    assert api.status_code == 403
    assert api.get_json()["error"]["code"] == "password_change_required"
    token = _token(client)
    refused = client.post(
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
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": temporary,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert changed.headers["Location"] == "/home"
    assert client.get("/home").status_code == 200
    assert not _fresh(user.id).must_change_password


def test_a_wrong_current_password_is_named(make, client):
    make.user("a@example.org", "funder")
    sign_in(client, "a@example.org", PASSWORD)
    response = client.post(
        "/account/password",
        data={
            "csrf_token": _token(client),
            "current_password": "not my password at all",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert 'id="current_password-error"' in response.get_data(as_text=True)


def test_changing_a_password_ends_other_sessions(app, make, client):

    make.user("a@example.org", "funder")
    phone = app.test_client()
    sign_in(phone, "a@example.org", PASSWORD)
    sign_in(client, "a@example.org", PASSWORD)
    client.post(
        "/account/password",
        data={
            "csrf_token": _token(client),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert client.get("/home").status_code == 200
    assert phone.get("/home").status_code == 302


def test_a_reset_link_works_once_and_the_old_password_stops_at_once(make, client):
    user = make.user("a@example.org", "funder")
    token = users.issue_reset_token(make.admin, user.id)
    assert sign_in(client, "a@example.org", PASSWORD).status_code == 200  # refused
    page = client.get(f"/reset/{token}")
    assert page.status_code == 200 and "a@example.org" in page.get_data(as_text=True)
    done = client.post(
        f"/reset/{token}",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert done.headers["Location"] == "/"
    assert client.get(f"/reset/{token}").status_code == 404
    assert sign_in(client, "a@example.org", NEW_PASSWORD).status_code == 302


def test_a_newer_reset_link_replaces_the_older_one(make, client):
    user = make.user("a@example.org", "funder")
    old = users.issue_reset_token(make.admin, user.id)
    new = users.issue_reset_token(make.admin, user.id)
    assert client.get(f"/reset/{old}").status_code == 404
    assert client.get(f"/reset/{new}").status_code == 200
    # Change the first character of the signature: the last one of a base64 string can
    # carry unused bits, so changing it may leave the decoded signature the same.
    payload, _, signature = new.rpartition(".")
    tampered = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert client.get(f"/reset/{tampered}").status_code == 404
