"""GET /api/v1/reports/funder.xlsx and `flask export-report`: the same workbook."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from supplies.extensions import db
from supplies.models import AuditEntry


@pytest.fixture(autouse=True)
def _export_dir(app, tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")


def _tables(data) -> dict:
    wb = load_workbook(BytesIO(data) if isinstance(data, bytes) else data)
    values = {}
    for ws in wb.worksheets:
        if ws.title == "About":
            continue
        for name, ref in ws.tables.items():
            values[name] = [[c.value for c in row] for row in ws[ref]]
    return values


def test_funder_token_gets_the_workbook(program, make, api):
    make.receive("HUB", "NARCAN4", 12, funding="SOR")
    response = api.get(
        "/reports/funder.xlsx",
        program["tokens"]["funder"],
        start="2026-01-01",
        end="2026-12-31",
        site=["HUB,VAN"],
        funding="SOR",
    )
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    tables = _tables(response.data)
    assert set(tables) == {
        "Summary", "ByMonth", "BySite", "Recipients", "Reversals", "Inventory", "ExpiringLots",
        "ByQuarter", "ByCategory", "ByArea", "Received", "WriteOffs", "SubRecipients",
    }  # fmt: skip
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "report.export")
    ).scalar_one()
    assert entry.actor_id == program["users"]["funder"].id
    assert entry.changes["filters"]["sites"] == ["HUB", "VAN"]


def test_refusals(program, api):
    params = {"start": "2026-01-01", "end": "2026-03-31"}
    assert api.get("/reports/funder.xlsx", None, **params).status_code == 401
    assert api.get("/reports/funder.xlsx", program["tokens"]["staff"], **params).status_code == 403
    token = program["tokens"]["coordinator"]
    response = api.get("/reports/funder.xlsx", token, start="2026-13-01", site="NOPE")
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"start", "end", "site"}


def test_cli_and_api_write_the_same_workbook(program, make, api, app, tmp_path):
    make.receive("HUB", "NARCAN4", 12, funding="SOR")
    make.receive("VAN", "FTS", 40)
    params = {"start": "2026-01-01", "end": "2026-12-31"}
    response = api.get("/reports/funder.xlsx", program["tokens"]["coordinator"], **params)
    output = tmp_path / "cli.xlsx"
    result = app.test_cli_runner().invoke(
        args=["export-report", "--start", "2026-01-01", "--end", "2026-12-31", "--output", output]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {output}" in result.output
    assert _tables(str(output)) == _tables(response.data)
    assert (
        db.session.execute(
            db.select(db.func.count(AuditEntry.id)).where(AuditEntry.action == "report.export")
        ).scalar()
        == 2
    )


def test_cli_names_bad_options(program, app):
    result = app.test_cli_runner().invoke(
        args=["export-report", "--start", "2026-02-01", "--end", "2026-01-01", "--site", "NOPE"]
    )
    assert result.exit_code != 0
    assert "--end" in result.output and "--site" in result.output


def test_openapi_describes_the_workbook(api):
    spec = api.get("/openapi.json", None).get_json()
    operation = spec["paths"]["/reports/funder.xlsx"]["get"]
    assert [p["name"] for p in operation["parameters"]] == [
        "start",
        "end",
        "site",
        "funding",
        "language",
    ]
