"""Server-side sessions (sign-out ends every copy of the cookie, an absolute limit) and API
tokens that stop with the password they were made under."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from supplies.extensions import db
from supplies.models import UserSession
from supplies.services.accounts import users
from supplies.services.common import clock
from tests.auth.test_passwords_flow import NEW_PASSWORD
from tests.conftest import PASSWORD, Api, csrf_token_from, sign_in, signed_in


def _csrf(client) -> str:
    return csrf_token_from(client.get("/account/password").get_data(as_text=True))


def _copy(app, client, address="203.0.113.9"):
    """Another browser holding a copy of the client's session cookie, from another address."""
    thief = app.test_client()
    thief.environ_base["REMOTE_ADDR"] = address
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _live_sessions() -> int:
    db.session.rollback()  # see what the requests committed
    return db.session.execute(db.select(db.func.count(UserSession.id))).scalar_one()


# --- sign-out and the absolute limit -------------------------------------------------------


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(app, program):
    client = signed_in(app.test_client(), "admin@example.org")
    token = _csrf(client)
    thief = _copy(app, client)
    assert thief.get("/home").status_code == 200  # a copy works while the session lives
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    # Pages, session API reads and session API writes (with the CSRF token) all refuse it.
    page = thief.get("/home")
    assert page.status_code == 302 and page.headers["Location"].startswith("/?next=")
    assert thief.get("/api/v1/sites").status_code == 401
    body = {"code": "STOLEN", "name": "Stolen", "kind": "outreach"}
    write = thief.post("/api/v1/sites", json=body, headers={"X-CSRFToken": token})
    assert write.status_code == 401
    assert write.get_json()["error"]["code"] == "unauthorized"
    assert _live_sessions() == 0


def test_sessions_end_after_twelve_hours_however_busy(app, program, monkeypatch):
    assert app.config["SESSION_MAX_HOURS"] == 12
    client = signed_in(app.test_client(), "staff@example.org")
    start = clock.now()
    # Busy all day: a request every few hours keeps the idle timer fresh...
    for hours in (3, 6, 9, 11.9):
        moment = start + timedelta(hours=hours)
        monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
        with client.session_transaction() as session:
            session["seen"] = int(moment.timestamp())
        assert client.get("/api/v1/sites").status_code == 200, hours
    # ...and still the session ends 12 hours after sign-in.
    late = start + timedelta(hours=12, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: late)
    with client.session_transaction() as session:
        session["seen"] = int(late.timestamp())
    assert client.get("/api/v1/sites").status_code == 401
    assert client.get("/home").status_code == 302


def test_the_absolute_limit_is_configurable(app, program, monkeypatch):
    app.config["SESSION_MAX_HOURS"] = 1
    client = signed_in(app.test_client(), "admin@example.org")
    later = clock.now() + timedelta(minutes=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    with client.session_transaction() as session:
        session["seen"] = int(later.timestamp())
    assert client.get("/home").status_code == 302


def test_a_signed_in_request_reads_one_row_and_writes_nothing(app, program):
    client = signed_in(app.test_client(), "coord@example.org")
    client.get("/api/v1/sites")  # anything once-per-process is done
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.lower())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for _ in range(3):
            assert client.get("/api/v1/sites").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    sessions = [s for s in statements if "user_sessions" in s]
    assert len(sessions) == 3, sessions  # one read per request: the user with its session
    assert all(s.lstrip().startswith("select") for s in sessions)
    writes = [s for s in statements if s.lstrip().startswith(("insert", "update", "delete"))]
    assert not writes, writes


@pytest.mark.parametrize("how", ["temporary", "link", "deactivate"])
def test_an_admin_reset_or_deactivation_removes_the_accounts_sessions(app, make, program, how):
    signed_in(app.test_client(), "staff@example.org")
    signed_in(app.test_client(), "staff@example.org")
    assert _live_sessions() == 2
    staff = program["users"]["staff"]
    if how == "temporary":
        users.issue_temporary_password(make.admin, staff.id)
    elif how == "link":
        users.issue_reset_token(make.admin, staff.id)
    else:
        users.set_active(make.admin, staff.id, False)
    assert _live_sessions() == 0


# --- API tokens stop with the old password -------------------------------------------------


def _token_works(app, token) -> bool:
    return Api(app.test_client()).get("/sites", token).status_code == 200


def test_an_admin_temporary_password_revokes_the_tokens_and_says_so(app, program):
    token = program["tokens"]["staff"]
    assert _token_works(app, token)
    admin = signed_in(app.test_client(), "admin@example.org")
    staff = program["users"]["staff"]
    page = admin.get(f"/admin/users/{staff.id}").get_data(as_text=True)
    done = admin.post(
        f"/admin/users/{staff.id}/reset",
        data={"csrf_token": csrf_token_from(page), "access": "temporary"},
    )
    assert done.status_code == 200
    assert 'id="tokens-revoked"' in done.get_data(as_text=True)
    assert not _token_works(app, token)


def test_a_reset_link_revokes_the_tokens_when_issued_and_when_used(app, make, program):
    staff = program["users"]["staff"]
    link = users.issue_reset_token(make.admin, staff.id)
    assert not _token_works(app, program["tokens"]["staff"])
    # A token made after the link was issued stops when the link is used.
    later = make.token(staff)
    client = app.test_client()
    page = client.get(f"/reset/{link}").get_data(as_text=True)
    done = client.post(
        f"/reset/{link}",
        data={
            "csrf_token": csrf_token_from(page),
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        follow_redirects=True,
    )
    assert "API tokens stopped working" in done.get_data(as_text=True)
    assert not _token_works(app, later)


def test_changing_ones_own_password_revokes_ones_tokens_and_says_so(app, program):
    token = program["tokens"]["funder"]
    client = signed_in(app.test_client(), "funder@example.org")
    done = client.post(
        "/account/password",
        data={
            "csrf_token": _csrf(client),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        follow_redirects=True,
    )
    assert "API tokens stopped working" in done.get_data(as_text=True)
    assert not _token_works(app, token)
    assert sign_in(app.test_client(), "funder@example.org", NEW_PASSWORD).status_code == 302
