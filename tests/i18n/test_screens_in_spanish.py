"""Screens finished late in Spanish: import problems with the offending value, the audit
log's times, the stock overview and its chart."""

import io
import re
from datetime import timedelta

from supplies.jobs import runner as jobs
from supplies.services.common import clock
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from tests.conftest import csrf_token_from, new_id
from tests.imports.files import STOCK_HEADER, csv_file


def test_import_problems_name_the_value_in_spanish(program, client, auth, tmp_path):
    auth.login("admin@example.org")
    client.set_cookie("lang", "es")
    rows = [STOCK_HEADER, ["HUB", "GLOVES", None, None, None, 3, None]]
    rows += [["HUB", "FTS", None, None, None, "tres", None]]
    rows += [["HUB", "FTS", None, None, None, "2.5", None]]
    path = csv_file(tmp_path / "bad.csv", rows)
    page = client.get("/imports/")
    data = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "kind": "stock",
        "file": (io.BytesIO(path.read_bytes()), path.name),
    }
    uploaded = client.post("/imports/", data=data, content_type="multipart/form-data")
    jobs.wait()
    html = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "ningún insumo tiene el código o nombre &#39;GLOVES&#39;" in html
    assert "debe ser un número entero del 1 al 100000 (se encontró &#39;tres&#39;)" in html
    assert "debe ser un número entero del 1 al 100000: 2.5 tiene decimales" in html
    # The same preview, read by someone in English, is in English.
    client.set_cookie("lang", "en")
    english = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "no supply has the code or name &#39;GLOVES&#39;" in english


def test_audit_times_follow_the_locale_and_keep_the_iso_value(program, client, auth):
    auth.login("admin@example.org")
    english = client.get("/admin/audit").get_data(as_text=True)
    client.set_cookie("lang", "es")
    spanish = client.get("/admin/audit").get_data(as_text=True)
    iso = re.search(r'<time datetime="(\d{4}-\d\d-\d\dT[^"]+)">([^<]+)</time>', spanish)
    assert iso, "no <time datetime> in the audit log"
    months_es = (
        "ene",
        "feb",
        "mar",
        "abr",
        "may",
        "jun",
        "jul",
        "ago",
        "sept",
        "oct",
        "nov",
        "dic",
    )
    assert any(f" {month} " in iso.group(2) for month in months_es), iso.group(2)
    shown_en = re.search(r'<time datetime="[^"]+">([^<]+)</time>', english).group(1)
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", shown_en), shown_en


def test_stock_overview_and_chart_in_spanish(make, program, client, auth):
    make.receive("HUB", "NARCAN4", 100)
    auth.login("coord@example.org")
    client.set_cookie("lang", "es")
    html = client.get("/inventory/", query_string={"show": "all"}).get_data(as_text=True)
    assert "<h1>Resumen del inventario</h1>" in html
    assert "0 de 2 sitios requieren atención" in html
    assert 'aria-label="Tareas de inventario"' in html and ">Resumen</a>" in html
    assert "Unidades entregadas por semana" in html
    assert "<summary>El gráfico como tabla</summary>" in html
    assert '<th scope="col">Semana del</th>' in html


def test_an_event_of_another_day_shows_its_day_in_the_locale(make, program, client, auth):
    make.receive("HUB", "NARCAN4", 10, days_ago=30)
    body = {
        "id": new_id(),
        "site": "HUB",
        "occurred_at": (clock.now() - timedelta(days=3)).isoformat(),
        "items": [{"supply": "NARCAN4", "quantity": 1}],
    }
    staff = program["users"]["staff"]
    events.distribute(staff, OperationRequest.new(body["id"], body), body)
    auth.login("staff@example.org")
    english = client.get("/distribute/sites/HUB").get_data(as_text=True)
    shown = re.search(r'<time class="time" datetime="[^"]+">([^<]+)</time>', english).group(1)
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d\d", shown), shown
    client.set_cookie("lang", "es")
    spanish = client.get("/distribute/sites/HUB").get_data(as_text=True)
    shown = re.search(r'<time class="time" datetime="[^"]+">([^<]+)</time>', spanish).group(1)
    assert re.fullmatch(r"\d{1,2} [a-z]{3,4}\.?, \d{1,2}:\d\d", shown), shown
