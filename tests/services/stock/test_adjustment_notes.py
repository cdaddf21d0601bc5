"""Adjustment notes are about stock: at most 200 characters, never exported or shown to funders."""

import io
from datetime import timedelta

from openpyxl import load_workbook

from supplies.services.common import clock
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from tests.conftest import signed_in

NOTE = "Box crushed in the van NOTEMARK"


def _cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]


def test_a_note_is_limited_to_200_characters(make, program, api):
    make.receive("HUB", "FTS", 100)
    token = program["tokens"]["coordinator"]
    body = {"site": "HUB", "supply": "FTS", "quantity": -1, "reason": "other"}
    long = api.post("/adjustments", token, {**body, "note": "x" * 201})
    assert long.status_code == 422 and "note" in long.get_json()["error"]["fields"]
    assert api.post("/adjustments", token, {**body, "note": "x" * 200}).status_code == 201


def test_a_note_never_reaches_a_funder(make, program, api, client):
    make.receive("HUB", "FTS", 100)
    body = {"site": "HUB", "supply": "FTS", "quantity": -2, "reason": "other", "note": NOTE}
    assert api.post("/adjustments", program["tokens"]["coordinator"], body).status_code == 201
    today = clock.local_date(clock.now())
    period = {
        "start": (today - timedelta(days=1)).isoformat(),
        "end": (today + timedelta(days=1)).isoformat(),
    }
    workbook = api.get("/reports/funder.xlsx", program["tokens"]["funder"], **period)
    assert workbook.status_code == 200
    cells = _cells(workbook.data)
    assert any("FTS" in c for c in cells)  # the workbook has the stock...
    assert not any("NOTEMARK" in c for c in cells)  # ...never the note
    filters = reporting.make_filters(period["start"], period["end"])
    assert not any("NOTEMARK" in str(v) for row in exports.event_rows(filters) for v in row)
    signed_in(client, "funder@example.org")
    for page in ("/home", "/reports/"):
        answer = client.get(page, follow_redirects=True)
        assert "NOTEMARK" not in answer.get_data(as_text=True), page
