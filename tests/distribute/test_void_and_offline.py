"""Voiding from the screen, and the pieces the offline queue relies on."""

import json
import re
import struct
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from supplies.config import PROJECT_ROOT
from supplies.extensions import db
from supplies.models import DistributionEvent
from tests.conftest import csrf_token_from
from tests.distribute.test_screen import SCREEN, _form, _login, _staff_page


@pytest.fixture
def stocked(make, program):
    """HUB has held 10 Narcan and 100 strips for a month."""
    make.receive("HUB", "NARCAN4", 10, days_ago=30)
    make.receive("HUB", "FTS", 100, days_ago=30)
    return program


def _log(client, auth, email="staff@example.org", quantity="2") -> str:
    html = _staff_page(client, auth, email)
    data = _form(html, **{"Narcan 4 mg nasal spray": quantity})
    assert client.post(SCREEN, data=data).status_code == 302
    return data["event_id"]


def _void_form(html: str, event_id: str) -> dict:
    block = html[html.index(f'id="event-{event_id}"') :]
    return {
        "csrf_token": csrf_token_from(html),
        "operation_id": re.search(r'name="operation_id" value="([^"]+)"', block).group(1),
    }


def test_void_needs_a_reason_then_reverses_the_stock(client, auth, stocked):
    event_id = _log(client, auth)
    html = client.get(SCREEN).get_data(as_text=True)
    assert re.search(r'id="qty_\d+-hint"[^>]*>8 box on hand', html)
    url = f"{SCREEN}/events/{event_id}/void"
    data = _void_form(html, event_id)
    response = client.post(url, data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{SCREEN}?void={event_id}#event-{event_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="reason-{event_id}-error">choose a reason' in page
    assert re.search(rf'aria-describedby="reason-{event_id}-error"', page)
    db.session.rollback()
    assert db.session.get(DistributionEvent, event_id).voided_at is None
    data["reason"] = "wrong_quantity"
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302  # sent twice: voided once
    db.session.rollback()  # read what the requests committed
    event = db.session.get(DistributionEvent, event_id)
    assert event.void_reason == "wrong_quantity"  # the code, never text
    page = client.get(SCREEN).get_data(as_text=True)
    assert "Voided the distribution" in page
    assert re.search(r'id="qty_\d+-hint"[^>]*>10 box on hand', page)
    assert 'tag tag-bad">voided' in page


def test_staff_cannot_void_someone_elses_event(client, auth, make, stocked):
    make.user("other@example.org", "staff", sites=("HUB",))
    event_id = _log(client, auth, "other@example.org")
    auth.logout()
    html = _staff_page(client, auth)
    assert f'id="event-{event_id}"' in html  # listed for today...
    assert f"/events/{event_id}/void" not in html  # ...but not voidable by this user
    data = {"csrf_token": csrf_token_from(html), "operation_id": str(uuid.uuid4())}
    data["reason"] = "entered_in_error"
    assert client.post(f"{SCREEN}/events/{event_id}/void", data=data).status_code == 403
    db.session.rollback()
    assert db.session.get(DistributionEvent, event_id).voided_at is None


def test_coordinator_may_void_anyones_event(client, auth, stocked):
    event_id = _log(client, auth)
    auth.logout()
    _login(auth, "coord@example.org")
    html = client.get(SCREEN).get_data(as_text=True)
    data = {**_void_form(html, event_id), "reason": "duplicate"}
    assert client.post(f"{SCREEN}/events/{event_id}/void", data=data).status_code == 302
    db.session.rollback()  # read what the requests committed
    event = db.session.get(DistributionEvent, event_id)
    assert event.voided_at is not None


def test_the_queue_posts_to_the_api_with_the_session_and_csrf_header(client, auth, stocked):
    _staff_page(client, auth)
    state = client.get("/distribute/session").get_json()
    assert set(state) == {"csrf_token", "user"}
    body = {
        "id": str(uuid.uuid4()),
        "site": "HUB",
        # Queued at outreach a few days ago, sent once the phone found a signal.
        "occurred_at": (datetime.now(timezone.utc) - timedelta(days=3)).isoformat(),
        "items": [{"supply": "NARCAN4", "quantity": 1}],
        "trained": False,
        "reversals_reported": 0,
    }
    assert client.post("/api/v1/distributions", json=body).status_code == 400  # no CSRF
    headers = {"X-CSRFToken": state["csrf_token"]}
    assert client.post("/api/v1/distributions", json=body, headers=headers).status_code == 201
    assert client.post("/api/v1/distributions", json=body, headers=headers).status_code == 200
    too_many = {**body, "id": str(uuid.uuid4()), "items": [{"supply": "NARCAN4", "quantity": 99}]}
    refused = client.post("/api/v1/distributions", json=too_many, headers=headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["available"] == {"NARCAN4": 9}
    assert db.session.execute(db.select(db.func.count(DistributionEvent.id))).scalar() == 1


def test_service_worker_and_manifest_are_served_for_the_screen(client, auth, stocked):
    worker = client.get("/distribute/sw.js")
    assert worker.status_code == 200
    assert worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/distribute/"
    assert "no-cache" in worker.headers["Cache-Control"]
    manifest = client.get("/distribute/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = json.loads(manifest.get_data(as_text=True))
    assert data["start_url"] == "./" and data["display"] == "standalone"
    for icon in data["icons"]:
        path = PROJECT_ROOT / "static" / icon["src"].removeprefix("../static/")
        png = path.read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert f"{width}x{height}" == icon["sizes"]
    html = _staff_page(client, auth)
    assert 'rel="manifest" href="/distribute/manifest.webmanifest"' in html
    assert 'data-sw="/distribute/sw.js"' in html
