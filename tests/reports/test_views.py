"""The Reports page: presets, filters, downloads, the archive and who may see what."""

import re
from io import BytesIO

from babel.dates import format_date
from openpyxl import load_workbook

from supplies.extensions import db
from supplies.models import AuditEntry
from supplies.services.common import clock
from supplies.services.reporting import periods
from tests.conftest import csrf_token_from


def _form(client):
    page = client.get("/reports/")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _post(client, **data):
    token = csrf_token_from(_form(client))
    return client.post("/reports/", data={"csrf_token": token, **data})


def test_coordinator_downloads_last_quarter(program, make, client, auth):
    make.receive("HUB", "NARCAN4", 10, funding="SOR")
    auth.login("coord@example.org")
    html = _form(client)
    first, last = periods.preset_period("last_quarter", clock.today())
    shown = f"{format_date(first, locale='en')} to {format_date(last, locale='en')}"
    assert shown in html
    assert "Event-level workbook" in html
    response = _post(client, preset="last_quarter", kind="funder")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert f"funder-report-{first}-to-{last}.xlsx" in response.headers["Content-Disposition"]
    wb = load_workbook(BytesIO(response.data))
    assert "Inventory" in wb.sheetnames
    listing = _form(client)
    assert "Funder workbook" in listing and shown in listing
    assert "<td>coord</td>" in listing  # who made it, for coordinators and admins
    link = re.search(r'href="(/reports/archive/[^"]+)"', listing).group(1)
    again = client.get(link)
    assert again.status_code == 200 and again.data == response.data


def test_custom_dates_sites_and_funding(program, make, client, auth):
    auth.login("admin@example.org")
    response = _post(
        client, preset="custom", start="2026-01-01", end="2026-03-31", sites=["VAN"], funding="SOR"
    )
    assert response.status_code == 200
    about = load_workbook(BytesIO(response.data))["About"]
    values = {row[0].value: row[1].value for row in about.iter_rows() if row[0].value}
    assert values["Sites"] == "VAN"
    assert values["Funding"].startswith("SOR")
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "report.export")
    ).scalar_one()
    assert entry.changes["filters"] == {
        "start": "2026-01-01",
        "end": "2026-03-31",
        "sites": ["VAN"],
        "funding": "SOR",
        "language": "en",
    }


def test_bad_custom_dates_name_the_field_and_keep_values(program, client, auth):
    auth.login("coord@example.org")
    response = _post(client, preset="custom", start="2026-05-01", end="2026-04-01")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-describedby="end-error"' in html
    assert "must be on or after the start" in html
    assert 'value="2026-05-01"' in html
    response = _post(client, preset="custom", start="", end="")
    assert 'aria-describedby="start-error"' in response.get_data(as_text=True)


def test_funder_sees_only_aggregated_workbooks(program, client, auth):
    auth.login("funder@example.org")
    html = _form(client)
    assert "Event-level workbook" not in html
    refused = _post(client, preset="last_month", kind="events")
    assert refused.status_code == 422
    assert _post(client, preset="last_month", kind="funder").status_code == 200


def test_funder_cannot_download_event_level_or_others_workbooks(program, client, auth):
    auth.login("coord@example.org")
    assert _post(client, preset="last_month", kind="events").status_code == 200
    assert _post(client, preset="last_month", kind="funder").status_code == 200
    names = re.findall(r'href="/reports/archive/([^"]+)"', _form(client))
    assert len(names) == 2
    auth.logout()
    auth.login("funder@example.org")
    assert "/reports/archive/" not in _form(client)
    for name in names:
        assert client.get(f"/reports/archive/{name}").status_code == 403
    assert client.get("/reports/archive/..%2Fsecret.xlsx").status_code == 404
    assert client.get("/reports/archive/funder-nope.xlsx").status_code == 404


def test_staff_and_strangers_are_kept_out(program, client, auth):
    assert client.get("/reports/").status_code in (302, 401)
    auth.login("staff@example.org")
    assert client.get("/reports/").status_code == 403
    assert "/reports/" not in client.get("/home").get_data(as_text=True)


def test_post_without_csrf_is_refused(program, client, auth):
    auth.login("coord@example.org")
    response = client.post("/reports/", data={"preset": "last_month", "kind": "funder"})
    assert response.status_code == 400
