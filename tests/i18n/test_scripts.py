"""The distribution screen's scripts say nothing in English of their own; the page gives them
its sentences, in the reader's language, and the offline page follows the language too."""

import json
import re
from pathlib import Path

import pytest

from supplies.distribute.texts import screen_texts
from supplies.extensions import db
from supplies.models import DistributionEvent
from tests.conftest import csrf_token_from

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "static" / "distribute").glob("*.js"))
SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}
SCREEN = "/distribute/sites/HUB"

# Technical strings that look like words: headers, tags, directives.
TECHNICAL = {"use strict", "Content-Type", "X-CSRFToken", "FIELDSET", "text/html; charset=utf-8"}
# Two words in a row ("waiting to sync"), or one capitalised word alone ("Discard", "Offline.").
PROSE = re.compile(r"[A-Za-z]{2,}[,.;:!?]? +[A-Za-z]{2,}")
WORD = re.compile(r"[A-Z][a-z]+[.!?…:]*")
# Where a "/" starts a regular expression rather than a division.
REGEX_BEFORE = set("(,=:[!&|?{};") | {""}


def string_literals(source: str) -> list[str]:
    """Every string literal of a script, comments and regular expressions skipped."""
    found, i, previous = [], 0, ""
    while i < len(source):
        char = source[i]
        if source.startswith("//", i):
            i = source.find("\n", i)
            i = len(source) if i < 0 else i
            continue
        if source.startswith("/*", i):
            i = source.index("*/", i + 2) + 2
            continue
        if char == "/" and (previous in REGEX_BEFORE or source[:i].rstrip().endswith("return")):
            i += 1
            in_class = False
            while source[i] != "/" or in_class:
                if source[i] == "\\":
                    i += 1
                elif source[i] == "[":
                    in_class = True
                elif source[i] == "]":
                    in_class = False
                i += 1
            i += 1
            previous = "/"
            continue
        if char in "\"'`":
            j, text = i + 1, []
            while source[j] != char:
                if source[j] == "\\":
                    text.append(source[j : j + 2])
                    j += 2
                    continue
                text.append(source[j])
                j += 1
            found.append("".join(text))
            i, previous = j + 1, "x"
            continue
        if not char.isspace():
            previous = char
        i += 1
    return found


def english_in(source: str) -> list[str]:
    """String literals that read as words for a person rather than code."""
    found = []
    for text in string_literals(source):
        stripped = text.strip()
        if stripped in TECHNICAL or stripped[:1] in ".#[":  # CSS selectors
            continue
        if PROSE.search(stripped) or WORD.fullmatch(stripped):
            found.append(text)
    return found


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_hold_no_english_sentences(path):
    found = english_in(path.read_text())
    assert not found, f"{path.name} shows text of its own; give it from the page: {found}"


def test_the_check_finds_english_in_a_script():
    source = (
        '"use strict"; var a = "Saved on this phone"; b.textContent = "Discard";\n'
        "// a comment with words in it\n"
        'var re = /^(\\d{3})"x"$/; el.querySelector(".qty input"); c = say("all_synced");\n'
        "alert('It was never recorded.'); headers['Content-Type'] = 'application/json';"
    )
    assert english_in(source) == ["Saved on this phone", "Discard", "It was never recorded."]


def test_every_text_a_script_asks_for_is_given_by_the_page(app):
    asked = set()
    for path in SCRIPTS:
        asked |= set(re.findall(r"say\(\s*\"(\w+)\"", path.read_text()))
        for pair in re.findall(r"say\(\s*\w+ \? \"(\w+)\" : \"(\w+)\"", path.read_text()):
            asked |= set(pair)
    with app.test_request_context():
        given = screen_texts()
    assert asked and asked <= set(given), sorted(asked - set(given))


def _texts(html: str) -> dict:
    block = re.search(r"data-texts='([^']*)'", html)
    assert block, "no texts on the screen"
    return json.loads(block.group(1))


def test_the_screen_gives_its_scripts_spanish(client, auth, make, program):
    make.receive("HUB", "NARCAN4", 10)
    auth.login("staff@example.org")
    english = _texts(client.get(SCREEN).get_data(as_text=True))
    assert english["waiting"] == "Saved on this phone, waiting to sync ({n})."
    client.set_cookie("lang", "es")
    html = client.get(SCREEN).get_data(as_text=True)
    texts = _texts(html)
    assert texts["waiting"] == "Guardado en este teléfono, en espera de sincronizar ({n})."
    assert texts["need_attention"] == {
        "one": "{n} entrega requiere su atención abajo.",
        "other": "{n} entregas requieren su atención abajo.",
    }
    assert texts["saved_offline"] == (
        "Guardado en este teléfono: {given}. Se enviará cuando vuelva la conexión."
    )
    assert "<h1>Registrar una entrega" in html and ">Registrar entrega</button>" in html
    assert ">¿Para quién es?</legend>" in html and ">Persona que usa drogas</label>" in html
    assert re.search(r'-hint"[^>]*>10 en existencia \(caja\)', html)
    assert "<script>" not in html


def test_the_offline_page_follows_the_language(client):
    english = client.get("/distribute/offline").get_data(as_text=True)
    assert '<html lang="en">' in english and "You are offline" in english
    spanish = client.get("/distribute/offline", headers=SPANISH)
    html = spanish.get_data(as_text=True)
    assert spanish.status_code == 200 and '<html lang="es">' in html
    assert "No tiene conexión" in html and "Abra la pantalla de entregas" in html
    assert spanish.headers["Cache-Control"] == "no-cache"


def test_the_service_worker_falls_back_to_the_offline_page(client):
    worker = client.get("/distribute/sw.js").get_data(as_text=True)
    assert 'new URL("offline", SCOPE)' in worker and "cache.add(OFFLINE_PAGE)" in worker


def test_spanish_errors_and_void_on_the_plain_form(app, client, auth, make, program):
    make.receive("HUB", "NARCAN4", 10)
    auth.login("staff@example.org")
    client.set_cookie("lang", "es")
    page = client.get(SCREEN).get_data(as_text=True)
    narcan = re.search(r'<label for="([^"]+)"[^>]*>Narcan 4 mg nasal spray</label>', page)
    event_id = re.search(r'name="event_id" value="([^"]+)"', page).group(1)
    base = {"csrf_token": csrf_token_from(page), "event_id": event_id, "trained": "no"}
    refused = client.post(SCREEN, data={**base, narcan.group(1): "11"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Solo hay 10 de Narcan 4 mg nasal spray disponibles en" in html
    assert f'id="{narcan.group(1)}-error">solo hay 10 disponibles' in html
    logged = client.post(SCREEN, data={**base, narcan.group(1): "2"}, follow_redirects=True)
    assert "Registrado: 2 × Narcan 4 mg nasal spray." in logged.get_data(as_text=True)
    # "Anular…" is a link: this screen again, with the event's void form open (issue 26).
    link = re.search(r'href="([^"]+)"[^>]*>Anular…</a>', logged.get_data(as_text=True))
    screen = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    void_url = re.search(r'action="(/distribute/sites/HUB/events/[0-9a-f-]+/void)"', screen).group(
        1
    )
    operation = re.search(r'name="operation_id" value="([^"]+)"', screen).group(1)
    data = {
        "csrf_token": csrf_token_from(screen),
        "operation_id": operation,
        "reason": "duplicate",
    }
    voided = client.post(void_url, data=data, follow_redirects=True).get_data(as_text=True)
    assert "Se anuló la entrega de las" in voided and "Se registró dos veces." in voided
    with app.app_context():
        event = db.session.execute(db.select(DistributionEvent)).scalar_one()
        assert event.void_reason == "duplicate"  # the record keeps the code
