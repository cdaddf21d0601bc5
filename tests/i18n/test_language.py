"""The language: Accept-Language, the switch's cookie, the account's setting; Spanish shown."""

from datetime import date

import pytest
from flask import render_template_string

from supplies.extensions import db
from supplies.models import AuditEntry, User
from tests.conftest import csrf_token_from

SPANISH = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


def _switch(client, lang: str, next_url: str = "/home", page: str = "/"):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post("/language", data={"lang": lang, "next": next_url, "csrf_token": token})


def test_the_browser_language_is_followed(client):
    english = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Sign in" in english
    spanish = client.get("/", headers=SPANISH).get_data(as_text=True)
    assert '<html lang="es">' in spanish and "Iniciar sesión" in spanish
    assert "Correo electrónico" in spanish
    french = client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert '<html lang="en">' in french


def test_the_switch_sets_a_cookie_that_beats_the_browser(client):
    response = _switch(client, "es", next_url="/?next=%2Fhome")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?next=%2Fhome"
    assert "lang=es" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in page
    # The switch offers the other language, marked with its own lang for screen readers.
    assert 'lang="en"' in page and ">English</button>" in page


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil", ""])
def test_the_switch_only_redirects_inside_the_app(client, target):
    response = _switch(client, "es", next_url=target)
    assert response.headers["Location"] == "/"


def test_the_switch_needs_csrf_and_a_known_language(client):
    assert client.post("/language", data={"lang": "es"}).status_code == 400
    assert _switch(client, "de").status_code == 400


def test_a_signed_in_person_keeps_the_language_on_any_browser(app, client, auth, program):
    auth.login(program["users"]["funder"].email)
    assert _switch(client, "es", page="/home").status_code == 302
    with app.app_context():
        user = db.session.get(User, program["users"]["funder"].id)
        assert user.language == "es"
        actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
        assert "user.language" in actions
    client.delete_cookie("lang")
    page = client.get("/home", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in page and "Informes" in page and "Inicio" in page
    assert "(financiador)" in page  # the role, in Spanish


def test_flash_and_form_errors_are_in_spanish(client, program):
    token = csrf_token_from(client.get("/", headers=SPANISH).get_data(as_text=True))
    data = {"email": "staff@example.org", "password": "wrong password here", "csrf_token": token}
    page = client.post("/", data=data, headers=SPANISH, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "Ese correo y esa contraseña no corresponden a una cuenta activa." in html
    missing = client.post("/", data={"csrf_token": token}, headers=SPANISH)
    assert "Este campo es obligatorio." in missing.get_data(as_text=True)  # WTForms' own catalog


def test_api_errors_follow_accept_language(client, program):
    bearer = {"Authorization": f"Bearer {program['tokens']['staff']}"}
    body = {"id": "not-a-uuid", "site": "HUB", "items": [{"supply": "FTS", "quantity": 0}]}
    english = client.post("/api/v1/distributions", json=body, headers=bearer)
    spanish = client.post("/api/v1/distributions", json=body, headers={**bearer, **SPANISH})
    assert english.status_code == spanish.status_code == 422
    assert english.get_json()["error"]["fields"]["id"] == "must be a UUID"
    assert spanish.get_json()["error"]["fields"]["id"] == "debe ser un UUID"
    assert spanish.get_json()["error"]["code"] == "invalid"  # codes never change


def test_service_messages_keep_english_text_and_their_template():
    from supplies.services.common.messages import msg

    message = msg("Unknown site %(code)s.", code="HUB")
    assert message == "Unknown site HUB." and isinstance(message, str)
    assert message.template == "Unknown site %(code)s." and message.values == {"code": "HUB"}


def test_dates_and_numbers_follow_the_locale(app):
    template = "{{ day|date }} · {{ 12345|number }} · {{ 'fentanyl_test_strip'|label }}"
    with app.test_request_context(headers=SPANISH):
        assert render_template_string(template, day=date(2026, 11, 26)) == (
            "26 nov 2026 · 12.345 · tiras reactivas de fentanilo"
        )
    with app.test_request_context():
        assert render_template_string(template, day=date(2026, 11, 26)) == (
            "Nov 26, 2026 · 12,345 · fentanyl test strips"
        )


def test_unit_counts_in_service_messages_are_shown_as_numbers_are(app):
    """ "only 12,345 available" as the stock beside it reads; a row number stays as written."""
    from supplies.i18n import translate
    from supplies.services.common.messages import msg

    short = msg("only %(available)s available", available=12345)
    row = msg("The CSV file cannot be read near row %(row)s: %(error)s.", row=12345, error="x")
    with app.test_request_context():
        assert translate(short) == "only 12,345 available"
        assert translate(row) == "The CSV file cannot be read near row 12345: x."
    with app.test_request_context(headers=SPANISH):
        assert translate(short) == "solo hay 12.345 disponibles"
    assert short == "only 12345 available"  # the English text in logs is unchanged


def test_the_funder_workbook_stays_english_when_the_screens_are_spanish(
    client, auth, make, program
):
    from io import BytesIO

    from openpyxl import load_workbook

    make.receive("HUB", "NARCAN4", 10, funding="SOR")
    auth.login("coord@example.org")
    _switch(client, "es", page="/home")
    page = client.get("/reports/").get_data(as_text=True)
    assert "Libro para financiadores" in page and "Trimestre pasado" in page
    token = csrf_token_from(page)
    data = {"csrf_token": token, "preset": "last_quarter", "kind": "funder"}
    response = client.post("/reports/", data=data)
    assert response.status_code == 200
    workbook = load_workbook(BytesIO(response.data))
    assert "Summary" in workbook.sheetnames and "Inventory" in workbook.sheetnames
    cells = [c for row in workbook["About"].iter_rows(values_only=True) for c in row if c]
    text = " ".join(str(c) for c in cells)
    assert "Last quarter" in text or "period" in text.lower()
    assert "Trimestre" not in text and "financiador" not in text.lower()


def test_a_workbook_is_spanish_only_when_spanish_is_chosen_for_it(client, auth, make, program):
    from io import BytesIO

    from openpyxl import load_workbook

    make.receive("HUB", "NARCAN4", 10, funding="SOR")
    auth.login("coord@example.org")
    _switch(client, "es", page="/home")
    page = client.get("/reports/").get_data(as_text=True)
    # Spanish screens still offer an English workbook first.
    assert "Idioma del libro" in page and '<option selected value="en">' in page
    data = {"csrf_token": csrf_token_from(page), "preset": "last_quarter", "kind": "funder"}
    response = client.post("/reports/", data={**data, "language": "es"})
    assert response.status_code == 200
    workbook = load_workbook(BytesIO(response.data))
    assert workbook.sheetnames[1:3] == ["Summary", "By Month"]
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True) if row[0]}
    assert "Programa" in about and "Program" not in about
    assert list(workbook["Summary"].tables) == ["Summary"]
    refused = client.post("/reports/", data={**data, "language": "de"})
    assert refused.status_code == 422


def test_a_person_held_on_the_password_screen_can_still_switch(app, client, auth, make, program):
    user = make.user("new@example.org", "staff", sites=("HUB",))
    with app.app_context():
        record = db.session.get(User, user.id)
        record.set_password("a long enough temporary pass")
        record.must_change_password = True  # as after an admin's temporary password
        db.session.commit()
    auth.login("new@example.org", "a long enough temporary pass")
    response = _switch(client, "es", next_url="/account/password", page="/account/password")
    assert response.status_code == 302
    page = client.get("/account/password").get_data(as_text=True)
    assert "Cambie su contraseña" in page
