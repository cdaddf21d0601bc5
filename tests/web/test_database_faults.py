"""Database faults (issue 23): error pages drawn without the database; disk full,
unreachable and busy told apart, each with its own status and words, and logged."""

import logging
import sqlite3
import uuid

import pytest
from sqlalchemy import event

from supplies.extensions import db
from tests.conftest import TEST_DATABASE_URL, make_app, new_id, signed_in

UNREACHABLE_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"


def _database_down(app, tmp_path):
    """The same program (same secret key) with its database gone."""
    url = UNREACHABLE_POSTGRES if TEST_DATABASE_URL else f"sqlite:///{tmp_path}/gone/x.db"
    return make_app((url, {}), create_schema=False, SECRET_KEY=app.config["SECRET_KEY"])


def _carry_cookies(source, target) -> None:
    for name in ("session", "lang", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value, domain=cookie.domain)


@pytest.mark.parametrize("language, words", [("en", "cannot be reached"), ("es", "No se puede")])
def test_a_signed_in_page_with_the_database_down_says_so_in_the_readers_language(
    app, client, make, tmp_path, caplog, language, words
):
    make.user("coord@example.org", "coordinator")
    signed_in(client, "coord@example.org")
    client.set_cookie("lang", language, domain="localhost")
    down = _database_down(app, tmp_path)
    reader = down.test_client()
    _carry_cookies(client, reader)
    with caplog.at_level(logging.ERROR, logger="supplies.errors"):
        page = reader.get("/home")
    html = page.get_data(as_text=True)
    assert page.status_code == 502
    assert words in html and "Internal Server Error" not in html
    assert f'lang="{language}"' in html
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged and "database_unreachable" in logged[0].getMessage()
    api = reader.get("/api/v1/sites", headers={"Authorization": "Bearer nothing"})
    assert api.status_code == 502
    assert api.get_json()["error"]["code"] == "database_unreachable"
    assert int(api.headers["Retry-After"]) > 0


def test_an_unforeseen_error_page_is_drawn_without_the_account(app, client, make):
    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    make.user("coord@example.org", "coordinator")
    signed_in(client, "coord@example.org")
    page = client.get("/boom")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.get_data(as_text=True)


def _full_disk(app):
    """Every new connection may not grow the database file any more."""
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _no_room(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
            cursor.close()

        engine.dispose()


def test_a_full_disk_is_507_and_logged_not_busy(app, api, make, program, caplog):
    if TEST_DATABASE_URL:
        pytest.skip("PostgreSQL's disk_full is classified in test_faults.py (no disk to fill)")
    make.receive("HUB", "NARCAN4", 50)
    _full_disk(app)
    token = program["tokens"]["coordinator"]
    statuses = set()
    with caplog.at_level(logging.ERROR, logger="supplies.errors"):
        # Enough rows to need a new page of the file.
        for _ in range(40):
            body = {"id": new_id(), "site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 1}]}
            answer = api.post("/distributions", token, body)
            statuses.add(answer.status_code)
            if answer.status_code == 507:
                break
    assert answer.status_code == 507, statuses
    assert answer.get_json()["error"]["code"] == "disk_full"
    assert "disk is full" in answer.get_json()["error"]["message"]
    assert "Retry-After" not in answer.headers
    assert any("disk_full" in r.getMessage() and "full" in r.getMessage() for r in caplog.records)


def test_a_busy_database_is_503_with_a_retry_after(app, api, make, program, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from supplies.services.distribution import events

    def locked(*_args, **_kwargs):
        original = sqlite3.OperationalError("database is locked")
        original.sqlite_errorcode = 5
        raise OperationalError("INSERT ...", {}, original)

    monkeypatch.setattr(events, "distribute", locked)
    body = {"id": str(uuid.uuid4()), "site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 1}]}
    answer = api.post("/distributions", program["tokens"]["coordinator"], body)
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "busy"
    assert answer.headers["Retry-After"] == "2"
