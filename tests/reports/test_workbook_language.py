"""The workbook's language: English unless one is chosen; Spanish keeps DESIGN.md's contract."""

import zipfile
from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from supplies.extensions import db
from supplies.jobs import runner, store, tasks
from supplies.models import AuditEntry
from supplies.services.common.errors import ValidationFailed
from supplies.services.db import files
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from tests.conftest import csrf_token_from
from tests.reports import dataset
from tests.reports.test_workbook import CONTRACT, app, table_rows  # noqa: F401

# The further columns after the contract's headers, in a Spanish workbook.
SPANISH_EXTRAS = {
    "Summary": ["Units for others", "Nombre del insumo", "Dosis por unidad"],
    "By Month": ["Nombre del insumo", "Categoría"],
    "By Site": ["Nombre del sitio", "Condado", "Nombre del insumo"],
    "Recipients": [],
    "Reversals": ["Contactos en agencias aliadas"],
    "Inventory": ["Nombre del sitio", "Nombre del insumo"],
    "Expiring Lots": ["Estado", "Nombre del insumo"],
    "By Quarter": ["Año fiscal", "Desde", "Hasta", "Nombre del insumo", "Categoría"],
    "By Category": ["Nombre de la categoría"],
    "By Area": ["Nombre del insumo", "Categoría"],
    "Received": ["Financiador", "Nombre del sitio", "Nombre del insumo"],
    "Write-offs": ["Nombre del sitio", "Nombre del insumo"],
    "Sub-recipients": ["Nombre de la agencia aliada", "Nombre del insumo"],
}


def _about(wb) -> dict:
    return {row[0]: row[1] for row in wb["About"].iter_rows(values_only=True) if row[0]}


@pytest.fixture
def spanish(make, monkeypatch):
    """The Q1 2026 workbook of the known ledger, written in Spanish."""
    dataset.build(make, monkeypatch)
    filters = reporting.make_filters("2026-01-01", "2026-03-31", language="es")
    record = exports.funder_export(make.admin, filters)
    return record, load_workbook(BytesIO(exports.read_archive(record)))


def test_spanish_keeps_every_sheet_table_and_contract_header_in_english(spanish):
    _, wb = spanish
    assert wb.sheetnames == ["About", *CONTRACT, "Chart"]
    for sheet, (table, header) in CONTRACT.items():
        ws = wb[sheet]
        assert list(ws.tables) == [table]
        found, _ = table_rows(ws, table)
        assert found[: len(header)] == header
        assert found[len(header) :] == SPANISH_EXTRAS[sheet]
        names = [column.name for column in ws.tables[table].tableColumns]
        assert names == found


def test_spanish_about_sheet_chart_and_values(spanish):
    record, wb = spanish
    about = _about(wb)
    assert about["Programa"] == "Alder Harm Reduction"
    assert about["Sitios"] == "Todos los sitios"
    assert about["Financiamiento"] == "Todas las fuentes de financiamiento"
    assert "quedan en inglés" in about["Idioma del libro"]
    assert about["Idioma del libro"].startswith("Español.")
    assert isinstance(about["Generado el"], datetime)
    assert about["Inicio del período"] == datetime(2026, 1, 1)
    assert "unidad" in about["Unidad"] and "dosis" in about["Dosis"]
    assert "se muestran como <" in about["Ocultación de cifras pequeñas"]
    text = " ".join(str(value) for value in about.values())
    assert "Funder report" not in text and "Definitions" not in text
    chart = list(wb["Chart"].iter_rows(values_only=True))
    assert chart[0][:3] == ("Mes", "Naloxona (nasal)", "Tiras reactivas de fentanilo")
    _, categories = table_rows(wb["By Category"], "ByCategory")
    assert categories[-1]["Category"] == "reversal_medication_total"
    assert categories[-1]["Nombre de la categoría"].startswith("Todos los medicamentos")
    # Stored codes, numbers and dates stay as they are.
    _, rows = table_rows(wb["Summary"], "Summary")
    assert rows[0]["Category"] == "naloxone_nasal" and rows[0]["Units distributed"] == 7
    _, months = table_rows(wb["By Month"], "ByMonth")
    assert months[0]["Month"] == datetime(2026, 1, 1)
    _, recipients = table_rows(wb["Recipients"], "Recipients")
    values = {row["Value"] for row in recipients}
    assert "not recorded" not in values and "no registrado" in values
    with zipfile.ZipFile(BytesIO(exports.read_archive(record))) as archive:
        chart = next(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        xml = archive.read(chart).decode()
    assert "Unidades entregadas por mes y categoría" in xml and "Unidades" in xml
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "report.export")
    ).scalar_one()
    assert entry.changes["filters"]["language"] == "es"


def test_english_is_the_default_and_says_so(make, monkeypatch):
    dataset.build(make, monkeypatch)
    record = exports.funder_export(make.admin, reporting.make_filters("2026-01-01", "2026-03-31"))
    wb = load_workbook(BytesIO(exports.read_archive(record)))
    about = _about(wb)
    assert about["Workbook language"] == "English"
    assert about["Sites"] == "All sites"
    found, _ = table_rows(wb["Summary"], "Summary")
    assert found[6:] == ["Units for others", "Supply name", "Doses per unit"]


def test_an_unknown_language_is_refused_by_the_service(program):
    with pytest.raises(ValidationFailed) as refused:
        reporting.make_filters("2026-01-01", "2026-03-31", language="fr")
    assert set(refused.value.fields) == {"language"}


def _post(client, **data):
    token = csrf_token_from(client.get("/reports/").get_data(as_text=True))
    return client.post("/reports/", data={"csrf_token": token, "preset": "last_month", **data})


def test_the_form_offers_english_first_and_writes_spanish_when_chosen(program, client, auth):
    auth.login("coord@example.org")
    page = client.get("/reports/").get_data(as_text=True)
    assert "Workbook language" in page
    assert '<option selected value="en">English</option>' in page
    response = _post(client, kind="funder", language="es")
    assert response.status_code == 200
    assert "Idioma del libro" in _about(load_workbook(BytesIO(response.data)))


def test_the_form_refuses_an_unknown_language(program, client, auth):
    auth.login("coord@example.org")
    response = _post(client, kind="funder", language="fr")
    assert response.status_code == 422
    assert 'id="language-error"' in response.get_data(as_text=True)


def test_the_cli_takes_a_language_and_refuses_others(program, app, tmp_path):  # noqa: F811
    runner = app.test_cli_runner()
    output = tmp_path / "es.xlsx"
    args = ["export-report", "--start", "2026-01-01", "--end", "2026-03-31"]
    result = runner.invoke(args=[*args, "--language", "es", "--output", output])
    assert result.exit_code == 0, result.output
    assert "Programa" in _about(load_workbook(output))
    refused = runner.invoke(args=[*args, "--language", "fr"])
    assert refused.exit_code != 0 and "--language" in refused.output


def test_the_api_refuses_an_unknown_language(program, api):
    token = program["tokens"]["coordinator"]
    params = {"start": "2026-01-01", "end": "2026-03-31"}
    response = api.get("/reports/funder.xlsx", token, language="fr", **params)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"language"}
    spanish = api.get("/reports/funder.xlsx", token, language="es", **params)
    assert "Programa" in _about(load_workbook(BytesIO(spanish.data)))


def test_the_background_export_job_carries_the_language(program, make, app):  # noqa: F811
    make.receive("HUB", "NARCAN4", 10, funding="SOR")
    filters = reporting.make_filters("2026-01-01", "2026-12-31", language="es")
    job = runner.start(tasks.EVENTS_EXPORT, make.admin.id, tasks.export_params(filters), total=1)
    runner.wait()
    finished = store.get(job.id)
    assert finished.status == "done" and finished.result["name"].startswith("events-")
    wb = load_workbook(BytesIO(files.read_bytes(files.get(finished.file_id))))
    about = _about(wb)
    assert about["Programa"] and "quedan en inglés" in about["Idioma del libro"]
    assert next(wb["Events"].iter_rows(values_only=True))[:3] == ("Event", "Occurred at", "Date")


@pytest.mark.parametrize("language", ["en", "es"])
def test_about_rows_have_heights_and_labels_fit(make, monkeypatch, language):
    dataset.build(make, monkeypatch)
    filters = reporting.make_filters("2026-01-01", "2026-03-31", language=language)
    wb = load_workbook(BytesIO(exports.read_archive(exports.funder_export(make.admin, filters))))
    ws = wb["About"]
    labels = [row[0].value for row in ws.iter_rows() if row[0].value]
    # Bold labels are wider than their count of characters: room for the longest one.
    assert ws.column_dimensions["A"].width >= max(len(label) for label in labels) * 1.1
    width = ws.column_dimensions["B"].width
    for row in ws.iter_rows():
        text = row[1].value
        if isinstance(text, str) and len(text) > width * 0.85:
            # A wrapped row has the height of its lines: programs do not grow rows on opening.
            assert ws.row_dimensions[row[1].row].height >= 30, text[:40]
