"""The distribution screen without JavaScript: plain POSTs with CSRF, errors, idempotency."""

import re
import uuid

import pytest

from supplies.extensions import db
from supplies.models import DistributionEvent, Movement, ParLevel
from supplies.services import catalog
from tests.conftest import csrf_token_from

SCREEN = "/distribute/sites/HUB"


def _event_count() -> int:
    return db.session.execute(db.select(db.func.count(DistributionEvent.id))).scalar()


def _movement_count() -> int:
    return db.session.execute(db.select(db.func.count(Movement.id))).scalar()


def _field(html: str, label: str) -> str:
    """The id of the input whose <label> text is exactly `label`."""
    match = re.search(r'<label for="([^"]+)"[^>]*>' + re.escape(label) + "</label>", html)
    assert match, f"no label {label!r}"
    return match.group(1)


def _input_value(html: str, name: str) -> str:
    match = re.search(r'<input id="' + re.escape(name) + r'"[^>]*value="([^"]*)"', html)
    assert match, f"no input {name}"
    return match.group(1)


def _form(html: str, **quantities) -> dict:
    """The default answers of a freshly rendered form, with quantities by supply name."""
    data = {
        "csrf_token": csrf_token_from(html),
        "event_id": re.search(r'name="event_id" value="([^"]+)"', html).group(1),
        "recipient_type": "",
        "first_time": "",
        "trained": "no",
        "reversals_reported": "0",
        "setting": "fixed_site",
        "for_others": "",
        "age_band": "",
        "area": "",
        "language": "",
        "resupply_reason": "",
    }
    for label, value in quantities.items():
        data[_field(html, label)] = value
    return data


@pytest.fixture
def stocked(make, program):
    """HUB holds 10 Narcan and 100 strips; VAN holds 5 Narcan."""
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 100)
    make.receive("VAN", "NARCAN4", 5)
    return program


def _login(auth, email):
    """Sign in through the form."""
    auth.login(email)


def _staff_page(client, auth, email="staff@example.org"):
    _login(auth, email)
    page = client.get(SCREEN)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_staff_home_is_the_screen_of_their_site(client, auth, stocked):
    _login(auth, "staff@example.org")
    response = client.get("/home", follow_redirects=True)
    assert response.request.path == SCREEN
    html = response.get_data(as_text=True)
    assert ">Narcan 4 mg nasal spray</label>" in html
    assert ">Fentanyl test strip</label>" in html
    assert "Log distribution</button>" in html
    assert "Today at this site" in html
    assert 'id="items-error"' not in html
    assert 'name="csrf_token"' in html
    assert uuid.UUID(re.search(r'name="event_id" value="([^"]+)"', html).group(1))
    assert "style=" not in html
    assert "<script>" not in html


def test_staff_with_several_sites_picks_one(client, auth, make, stocked):
    make.user("both@example.org", "staff", sites=("HUB", "VAN"))
    _login(auth, "both@example.org")
    response = client.get("/home", follow_redirects=True)
    assert response.request.path == "/distribute/"
    html = response.get_data(as_text=True)
    assert 'href="/distribute/sites/HUB"' in html
    assert 'href="/distribute/sites/VAN"' in html


def test_coordinator_reaches_the_screen_by_a_link(client, auth, stocked):
    _login(auth, "coord@example.org")
    home = client.get("/home").get_data(as_text=True)
    assert 'href="/distribute/"' in home
    picker = client.get("/distribute/").get_data(as_text=True)
    assert 'href="/distribute/sites/HUB"' in picker
    assert client.get(SCREEN).status_code == 200


def test_a_partner_agency_is_never_offered_for_logging(client, auth, make, stocked):
    """A partner agency reports what it hands out each month: no screen logs events there."""
    make.site("CLINIC", "partner_agency")
    make.receive("CLINIC", "FTS", 50)
    _login(auth, "coord@example.org")
    picker = client.get("/distribute/").get_data(as_text=True)
    assert 'href="/distribute/sites/HUB"' in picker
    assert "/distribute/sites/CLINIC" not in picker
    assert client.get("/distribute/sites/CLINIC").status_code == 404
    assert client.get("/distribute/sites/CLINIC/today").status_code == 404


def test_plain_post_logs_and_lowers_stock(client, auth, stocked):
    html = _staff_page(client, auth)
    data = _form(html, **{"Narcan 4 mg nasal spray": "2", "Fentanyl test strip": "10"})
    data.update(recipient_type="person_who_uses_drugs", first_time="yes", trained="yes")
    response = client.post(SCREEN, data=data)
    assert response.status_code == 302
    page = client.get(SCREEN).get_data(as_text=True)
    assert "Logged: 10 × Fentanyl test strip, 2 × Narcan 4 mg nasal spray." in page
    event = db.session.execute(db.select(DistributionEvent)).scalar_one()
    assert event.id == data["event_id"]
    assert (event.recipient_type, event.first_time, event.trained) == (
        "person_who_uses_drugs",
        "yes",
        True,
    )
    assert event.for_others is None and event.age_band is None and event.setting == "fixed_site"
    narcan = _field(page, "Narcan 4 mg nasal spray")
    assert re.search(rf'id="{narcan}-hint"[^>]*>8 box on hand', page)


def test_overdose_toggle_records_the_resupply_reason_and_reversals(client, auth, stocked):
    html = _staff_page(client, auth)
    data = _form(html, **{"Narcan 4 mg nasal spray": "1"})
    data.update(used_on_overdose="y", reversals_reported="2")
    assert client.post(SCREEN, data=data).status_code == 302
    event = db.session.execute(db.select(DistributionEvent)).scalar_one()
    assert (event.resupply_reason, event.reversals_reported) == ("used_on_overdose", 2)


def test_post_without_csrf_records_nothing(client, auth, stocked):
    html = _staff_page(client, auth)
    data = _form(html, **{"Narcan 4 mg nasal spray": "1"})
    del data["csrf_token"]
    assert client.post(SCREEN, data=data).status_code == 400
    assert _event_count() == 0


def test_errors_name_the_field_and_keep_every_value(client, auth, make, stocked):
    make.area("Alder County", "OR")
    html = _staff_page(client, auth)
    narcan = _field(html, "Narcan 4 mg nasal spray")
    strips = _field(html, "Fentanyl test strip")
    data = _form(html, **{"Narcan 4 mg nasal spray": "two", "Fentanyl test strip": "5"})
    data.update(area="Alder County", recipient_type="friend_or_family", language="es")
    response = client.post(SCREEN, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _input_value(page, narcan) == "two"
    assert _input_value(page, strips) == "5"
    assert '<option value="Alder County" selected>Alder County, OR</option>' in page
    assert re.search(rf'id="{narcan}"[^>]*aria-describedby="[^"]*{narcan}-error"', page)
    assert f'id="{narcan}-error">must be a whole number' in page
    assert 'value="friend_or_family" checked' in page
    assert 'value="es" checked' in page
    assert data["event_id"] in page
    assert _event_count() == 0
    # The area is checked by the service: fix the number, send a name, and it names the area
    # and offers the list; the name typed is not echoed back.
    data[narcan] = "1"
    data["area"] = "John Smith"
    page = client.post(SCREEN, data=data).get_data(as_text=True)
    assert 'id="area-error">must be one of the program&#39;s areas (Alder County)' in page
    assert "John Smith" not in page
    assert _event_count() == 0


def test_the_area_is_picked_from_the_programs_list(client, auth, make, stocked):
    make.area("Doña Ana County", "NM")
    make.area(zip3="972")
    html = _staff_page(client, auth)
    picker = html[html.index('<select id="area" name="area"') :]
    picker = picker[: picker.index("</select>")]
    assert '<option value="Doña Ana County">Doña Ana County, NM</option>' in picker
    assert '<option value="972">ZIP 972…</option>' in picker
    assert '<input id="area"' not in html  # no free text box
    data = _form(html, **{"Narcan 4 mg nasal spray": "1"})
    data["area"] = "dona ana"  # an old phone's queue, say: matched without case or accents
    assert client.post(SCREEN, data=data).status_code == 302
    db.session.rollback()
    assert db.session.execute(db.select(DistributionEvent.area)).scalar_one() == "Doña Ana County"


def test_nothing_given_is_refused(client, auth, stocked):
    html = _staff_page(client, auth)
    response = client.post(SCREEN, data=_form(html))
    assert response.status_code == 422
    assert 'id="items-error"' in response.get_data(as_text=True)
    assert _event_count() == 0


def test_too_little_stock_says_how_many_and_records_nothing(client, auth, stocked):
    html = _staff_page(client, auth)
    narcan = _field(html, "Narcan 4 mg nasal spray")
    before = _movement_count()
    data = _form(html, **{"Narcan 4 mg nasal spray": "11", "Fentanyl test strip": "3"})
    response = client.post(SCREEN, data=data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Only 10 Narcan 4 mg nasal spray available" in page
    assert f'id="{narcan}-error">only 10 available' in page
    assert _input_value(page, narcan) == "11"
    assert _event_count() == 0
    assert _movement_count() == before


def test_same_form_sent_twice_records_once(client, auth, stocked):
    html = _staff_page(client, auth)
    data = _form(html, **{"Narcan 4 mg nasal spray": "2"})
    assert client.post(SCREEN, data=data).status_code == 302
    assert client.post(SCREEN, data=data).status_code == 302
    assert _event_count() == 1
    page = client.get(SCREEN).get_data(as_text=True)
    assert re.search(r'id="qty_\d+-hint"[^>]*>8 box on hand', page)


def test_same_id_with_other_values_is_refused_with_a_fresh_id(client, auth, stocked):
    html = _staff_page(client, auth)
    data = _form(html, **{"Narcan 4 mg nasal spray": "2"})
    assert client.post(SCREEN, data=data).status_code == 302
    data[_field(html, "Narcan 4 mg nasal spray")] = "3"
    response = client.post(SCREEN, data=data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "already sent with other values" in page
    assert f'name="event_id" value="{data["event_id"]}"' not in page
    assert _event_count() == 1


def test_staff_cannot_open_or_post_another_sites_screen(client, auth, stocked):
    _login(auth, "van@example.org")
    assert client.get("/distribute/sites/VAN").status_code == 200
    assert client.get(SCREEN).status_code == 403
    van = client.get("/distribute/sites/VAN").get_data(as_text=True)
    data = _form(van, **{"Narcan 4 mg nasal spray": "1"})
    assert client.post(SCREEN, data=data).status_code == 403
    assert _event_count() == 0


def test_funder_is_refused(client, auth, stocked):
    _login(auth, "funder@example.org")
    assert client.get("/distribute/").status_code == 403
    assert client.get(SCREEN).status_code == 403
    assert 'href="/distribute/"' not in client.get("/home").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client, stocked):
    response = client.get(SCREEN)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/?next=")
    assert client.get("/distribute/session").status_code == 401


def test_unknown_site_is_404(client, auth, stocked):
    _login(auth, "coord@example.org")
    assert client.get("/distribute/sites/NOPE").status_code == 404


def test_supplies_given_most_come_first_and_low_stock_is_marked(client, auth, stocked):
    hub, supply = catalog.site_by_code("HUB"), catalog.supply_by_code("NARCAN4")
    db.session.add(ParLevel(site_id=hub.id, supply_id=supply.id, minimum=10, target=20))
    db.session.commit()
    html = _staff_page(client, auth)
    narcan, strips = ">Narcan 4 mg nasal spray</label>", ">Fentanyl test strip</label>"
    assert html.index(strips) < html.index(narcan)
    assert "Low stock" not in html
    client.post(SCREEN, data=_form(html, **{"Narcan 4 mg nasal spray": "1"}))
    page = client.get(SCREEN).get_data(as_text=True)
    assert page.index(narcan) < page.index(strips)
    assert "Low stock" in page
