"""One display time: every page and workbook shows a moment on the program's clock.

The program works in Los Angeles. One moment, 03:30 UTC on 15 January 2026, is 19:30 on
14 January there; every screen, the audit log, the admin pages, the stock pages, the
report archive, the import history and the workbooks show that, never the UTC time.
"""

import re
import uuid
from datetime import datetime, timezone
from io import BytesIO

import pytest
from openpyxl import load_workbook

from supplies.extensions import db
from supplies.models import ApiToken, ImportedFile, User
from supplies.services.common import clock
from supplies.services.db import audit
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from supplies.services.stock import counting, work
from supplies.services.stock.counting import CountEntry
from tests.conftest import make_app, signed_in

MOMENT = datetime(2026, 1, 15, 3, 30, tzinfo=timezone.utc)
EARLIER = datetime(2026, 1, 15, 2, 0, tzinfo=timezone.utc)  # the stock arrives first
SHOWN = "Jan 14, 2026, 19:30"  # date and time, as most pages show a moment
SHOWN_TIME = "19:30"  # the distribution screen's "today"
SHOWN_DAY = "Jan 14, 2026"  # where only the day is shown


@pytest.fixture
def app(database, tmp_path):
    """The program in Los Angeles, workbooks in a temporary folder."""
    application = make_app(
        database, APP_TIMEZONE="America/Los_Angeles", EXPORT_DIR=str(tmp_path / "exports")
    )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _at(monkeypatch, moment: datetime) -> None:
    """Set the program clock and the audit trail's clock to a moment."""
    monkeypatch.setattr(clock, "now", lambda: moment)
    monkeypatch.setattr(audit, "utcnow", lambda: moment)


def _request(body=None) -> OperationRequest:
    return OperationRequest.new(str(uuid.uuid4()), body or {"n": str(uuid.uuid4())})


@pytest.fixture
def scene(make, program, monkeypatch):
    """Stock received at HUB, then at MOMENT: a distribution, a transfer, a count, an
    import and accounts; the clock stays at MOMENT while the pages are read."""
    _at(monkeypatch, EARLIER)
    make.receive("HUB", "NARCAN4", 10)
    _at(monkeypatch, MOMENT)
    admin, staff = program["users"]["admin"], program["users"]["staff"]
    body = {
        "id": str(uuid.uuid4()),
        "site": "HUB",
        "occurred_at": MOMENT.isoformat(),
        "items": [{"supply": "NARCAN4", "quantity": 2}],
    }
    events.distribute(staff, OperationRequest.new(body["id"], body), body)
    moved = {"from_site": "HUB", "to_site": "VAN", "supply": "NARCAN4", "quantity": 1}
    transfer = work.transfer(admin, _request(moved), moved)
    count = counting.submit(staff, _request(), "HUB", [CountEntry("NARCAN4", "LOT1", 7)])
    db.session.add(
        ImportedFile(
            sha256="0" * 64,
            kind="stock",
            filename="starting-stock.xlsx",
            rows=1,
            user_id=admin.id,
            operation_id=str(uuid.uuid4()),
            imported_at=MOMENT,
            summary={"units": 0},
        )
    )
    # Accounts and tokens take their creation time from the database's default: set it.
    db.session.execute(db.update(User).values(created_at=MOMENT))
    db.session.execute(db.update(ApiToken).values(created_at=MOMENT))
    db.session.commit()
    return {
        "event": body["id"],
        "transfer": transfer.result["id"],
        "count": count.result["id"],
        "staff": staff,
        "admin": admin,
        "token": program["tokens"]["admin"],
    }


def _signed_in(app, email: str):
    return signed_in(app.test_client(), email)


def _page(app, email: str, path: str) -> str:
    client = _signed_in(app, email)
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_the_distribution_screen_shows_the_programs_time(app, scene):
    client = _signed_in(app, "staff@example.org")
    html = client.get("/distribute/sites/HUB").get_data(as_text=True)
    event = html[html.index(f'id="event-{scene["event"]}"') :]
    shown = re.search(r'<time class="time" datetime="[^"]+">([^<]+)</time>', event).group(1)
    assert shown == SHOWN_TIME
    assert f"As of {SHOWN_TIME}" in html
    assert 'data-timezone="America/Los_Angeles"' in html  # the offline queue's clock
    # Voiding names the event by the same time.
    operation = re.search(r'name="operation_id" value="([^"]+)"', event).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', event).group(1)
    data = {"csrf_token": token, "operation_id": operation, "reason": "duplicate"}
    url = f"/distribute/sites/HUB/events/{scene['event']}/void"
    page = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert f"Voided the distribution of {SHOWN_TIME}:" in page


def test_the_audit_log_and_the_admin_pages_show_the_programs_time(app, scene, api):
    assert api.get("/sites", scene["token"]).status_code == 200  # the token is used now
    html = _page(app, "admin@example.org", "/admin/audit")
    row = re.compile(r'<time datetime="[^"]+">([^<]+)</time></td>\s*<td>[^<]*</td>\s*<td>([^<]+)<')
    shown = {action: when for when, action in row.findall(html)}
    assert shown["receipt.create"] == "Jan 14, 2026, 18:00"  # 02:00 UTC
    for action in ("distribution.create", "transfer.create", "count_session.submit"):
        assert shown[action] == SHOWN, action
    assert "When (UTC)" not in html
    staff = _page(app, "admin@example.org", f"/admin/users/{scene['staff'].id}")
    assert f"created {SHOWN_DAY}" in staff
    tokens = _page(app, "admin@example.org", "/admin/tokens")
    [row] = [r for r in tokens.split("<tr>") if "<td>admin@example.org</td>" in r]
    created, last_used = re.findall(r"<td>([^<]*)</td>", row)[2:4]
    assert (created, last_used) == (SHOWN, SHOWN)
    assert " UTC" not in tokens


def test_the_stock_pages_show_the_programs_time(app, scene):
    email = "admin@example.org"
    card = _page(app, email, "/inventory/stock-card?site=HUB&supply=NARCAN4")
    assert f"<td>{SHOWN}</td>" in card  # the distribution and the transfer
    assert "<td>Jan 14, 2026, 18:00</td>" in card  # the receipt, 02:00 UTC
    slip = _page(app, email, f"/inventory/transfers/{scene['transfer']}")
    assert f"<dd>{SHOWN}</dd>" in slip
    review = _page(app, email, f"/inventory/counts/{scene['count']}")
    assert f"on {SHOWN}" in review
    assert SHOWN in _page(app, email, "/inventory/count")
    assert f"counted {SHOWN}" in _page(app, email, "/inventory/")


def test_the_import_history_shows_the_programs_time(app, scene):
    html = _page(app, "admin@example.org", "/imports/")
    assert f"<td>{SHOWN}</td>" in html
    assert "UTC" not in html


def test_the_report_archive_and_the_workbook_show_the_programs_time(app, scene, ctx):
    filters = reporting.make_filters("2026-01-01", "2026-01-31")
    record = exports.events_export(scene["admin"], filters)
    book = load_workbook(BytesIO(exports.read_archive(record)))
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert about["Generated at"] == datetime(2026, 1, 14, 19, 30)
    sheet = book["Events"]
    header, *rows = sheet.iter_rows(values_only=True)
    [row] = [dict(zip(header, values, strict=True)) for values in rows]
    assert row["Occurred at"] == datetime(2026, 1, 14, 19, 30)
    assert row["Date"] == datetime(2026, 1, 14)  # a date cell reads back as midnight
    html = _page(app, "admin@example.org", "/reports/")
    assert f"<td>{SHOWN}</td>" in html
