"""The sign-in page at /, sign-out and each role's plain home page."""

import pytest

from tests.conftest import PASSWORD, csrf_token_from


def test_anonymous_visitors_get_the_sign_in_form(client):
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<label for="email">Email</label>' in html
    assert '<label for="password">Password</label>' in html
    assert ">Sign in</button>" in html
    assert 'name="csrf_token"' in html


def test_home_requires_sign_in(client):
    response = client.get("/home")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/?next=")


@pytest.mark.parametrize("role", ["admin", "coordinator", "staff", "funder"])
def test_each_role_signs_in_to_its_home(program, auth, client, role):
    email = {
        "admin": "admin@example.org",
        "coordinator": "coord@example.org",
        "staff": "staff@example.org",
        "funder": "funder@example.org",
    }[role]
    response = auth.login(email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    home = client.get("/home", follow_redirects=True).get_data(as_text=True)
    assert ("Log a distribution" if role == "staff" else "Welcome") in home
    assert client.get("/").status_code == 302
    assert auth.logout().status_code == 302
    assert client.get("/home").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(program, auth):
    wrong = auth.login("staff@example.org", "wrong password here").get_data(as_text=True)
    unknown = auth.login("nobody@example.org", "wrong password here").get_data(as_text=True)
    message = "That email and password do not match an active account."
    assert message in wrong and message in unknown
    assert 'value="staff@example.org"' in wrong


def test_sign_in_without_csrf_token_is_refused(program, client):
    response = client.post("/", data={"email": "staff@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_next_redirects_only_within_the_app(program, client):
    for target, expected in (
        ("/api/v1/stock", "/api/v1/stock"),
        ("https://evil.example/", "/home"),
        ("//evil.example/", "/home"),
        ("/\\evil.example", "/home"),
    ):
        token = csrf_token_from(client.get("/").get_data(as_text=True))
        response = client.post(
            "/",
            query_string={"next": target},
            data={"email": "staff@example.org", "password": PASSWORD, "csrf_token": token},
        )
        assert response.headers["Location"] == expected, target
        home = client.get("/home", follow_redirects=True)
        home_token = csrf_token_from(home.get_data(as_text=True))
        client.post("/sign-out", data={"csrf_token": home_token})


def test_deactivated_user_loses_the_session_at_once(app, program, auth, client, api):
    from supplies.extensions import db
    from supplies.models import User

    auth.login("staff@example.org")
    assert client.get("/home", follow_redirects=True).status_code == 200
    token = program["tokens"]["staff"]
    assert api.get("/stock", token).status_code == 200
    db.session.execute(
        db.update(User).where(User.email == "staff@example.org").values(active=False)
    )
    db.session.commit()
    assert client.get("/home").status_code == 302
    assert api.get("/stock", token).status_code == 401


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
