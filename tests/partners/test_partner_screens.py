"""What a partner sees and does: its own agency's menu, requests, deliveries and reports."""

import re
from datetime import date, datetime, timedelta, timezone

from supplies.services import catalog
from supplies.services.db.unit_of_work import transaction
from supplies.services.distribution import quarters
from supplies.services.partners import reports, requests
from supplies.services.stock import work
from tests.conftest import csrf_token_from, text
from tests.partners.conftest import form_for, fulfilled, line_fields, op, submitted
from tests.services.partners.conftest import stop_offering


def test_a_partner_lands_on_its_agency_with_only_its_own_menu(agencies, screens):
    screens.login("clinic@example.org")
    home = screens.get("/home")
    assert home.status_code == 302 and home.headers["Location"].endswith("/partners/")
    page = text(screens.get("/partners/"))
    assert "<h1>Eastside Clinic</h1>" in page
    for entry in ("Request supplies", "Our requests", "Received", "Monthly report"):
        assert f">{entry}</a>" in page
    for other in (">Stock<", ">Count<", ">Distribute<", ">Reports<", ">Import<", ">Partners<"):
        assert other not in page
    assert "Harbor Shelter" not in page


def test_a_request_sent_from_the_phone_form_is_recorded_once(agencies, screens):
    screens.login("clinic@example.org")
    url = "/partners/CLINIC/requests/new"
    form_page = text(screens.get(url))
    assert "Narcan 4 mg nasal spray" in form_page and "Fentanyl test strip" in form_page
    assert 'inputmode="numeric"' in form_page and 'type="date"' in form_page
    data = form_for(form_page, {"NARCAN4": "12", "FTS": "200"})
    data["op"] = re.search(r'name="op" type="hidden" value="([^"]+)"', form_page).group(1)
    data["csrf_token"] = csrf_token_from(form_page)
    first = screens.client.post(url, data=data)
    assert first.status_code == 302
    # A double tap posts the same form, with the same hidden id, again: one request.
    second = screens.client.post(url, data=data)
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert len(requests.list_requests(agencies["clinic"])) == 1
    page = text(screens.get(first.headers["Location"]))
    assert "Request sent: 212 units in 2 lines." in page
    assert "Submitted" in page and "Narcan 4 mg nasal spray" in page and ">12<" in page


def test_a_bad_quantity_is_named_beside_its_supply_and_what_was_typed_stays(agencies, screens):
    screens.login("clinic@example.org")
    url = "/partners/CLINIC/requests/new"
    form_page = text(screens.get(url))
    data = form_for(form_page, {"NARCAN4": "lots", "FTS": "20"})
    data["needed_by"] = "2001-01-01"
    response = screens.post(url, data)
    assert response.status_code == 422
    page = text(response)
    narcan_field = line_fields(form_page)["NARCAN4"]
    assert f'id="{narcan_field}-error"' in page
    assert 'value="lots"' in page and 'value="20"' in page
    assert 'id="needed_by-error"' in page and "today or later" in page
    assert requests.list_requests(agencies["clinic"]) == []


def test_the_request_form_leaves_out_a_supply_the_program_stopped_offering(agencies, screens):
    screens.login("clinic@example.org")
    url = "/partners/CLINIC/requests/new"
    # The partner opened the form while the strips were still offered...
    stale_page = text(screens.get(url))
    assert "Fentanyl test strip" in stale_page
    stop_offering(agencies["coordinator"])
    # ...the form opened now no longer lists them.
    fresh_page = text(screens.get(url))
    assert "Fentanyl test strip" not in fresh_page and "FTS" not in fresh_page
    assert "Narcan 4 mg nasal spray" in fresh_page
    # The older form sent with strips is refused, named beside the strips' line, typed kept.
    data = form_for(stale_page, {"NARCAN4": "12", "FTS": "200"})
    response = screens.post(url, data)
    assert response.status_code == 422
    page = text(response)
    strips_field = line_fields(stale_page)["FTS"]
    error = re.search(rf'<p class="field-error" id="{strips_field}-error">([^<]*)</p>', page)
    assert error and error.group(1) == "is not offered to partner agencies"
    assert "Fentanyl test strip" in page and 'value="200"' in page and 'value="12"' in page
    assert requests.list_requests(agencies["clinic"]) == []
    # Without the strips the same form goes through.
    data = form_for(stale_page, {"NARCAN4": "12"})
    assert screens.post(url, data).status_code == 302
    [sent] = requests.list_requests(agencies["clinic"])
    assert [line.supply.code for line in sent.lines] == ["NARCAN4"]


def test_a_partner_sees_its_requests_and_cancels_one_still_open(agencies, screens):
    request_id = submitted(agencies["clinic"])
    screens.login("clinic@example.org")
    listing = text(screens.get("/partners/CLINIC/requests"))
    assert f"/partners/requests/{request_id}" in listing and "Submitted" in listing
    page = text(screens.get(f"/partners/requests/{request_id}"))
    assert "Cancel this request" in page
    response = screens.post(
        f"/partners/requests/{request_id}/cancel", {}, f"/partners/requests/{request_id}"
    )
    assert response.status_code == 302
    page = text(screens.get(f"/partners/requests/{request_id}"))
    assert "Request cancelled." in page and "Cancelled" in page
    assert "Cancel this request" not in page
    assert requests.get_request(agencies["clinic"], request_id).status == "cancelled"


def test_what_was_received_shows_lot_expiry_and_a_recall(agencies, screens, make):
    request_id = fulfilled(agencies["clinic"], agencies["coordinator"], narcan=25)
    body = {"supply": "NARCAN4", "lot_number": "EARLY", "status": "recalled"}
    work.set_lot_status(make.admin, op(body), body)
    screens.login("clinic@example.org")
    page = text(screens.get("/partners/CLINIC/received"))
    assert "Lot EARLY" in page and "Lot LATE" in page and "Recalled" in page.title()
    assert f"/partners/requests/{request_id}/slip" in page
    home = text(screens.get("/partners/"))
    assert "Stop handing out these lots" in home and "EARLY" in home
    slip = text(screens.get(f"/partners/requests/{request_id}/slip"))
    assert "Packing slip" in slip and "EARLY" in slip and "LATE" in slip
    assert "Narcan 4 mg nasal spray: 25 units" in slip


def test_a_lot_past_its_expiry_is_marked_where_the_agency_sees_what_it_received(
    agencies, screens, make
):
    make.receive("CLINIC", "NARCAN4", 5, lot="PAST", expires_in_days=-3)
    make.receive("CLINIC", "NARCAN4", 5, lot="GOOD", expires_in_days=300)
    screens.login("clinic@example.org")
    page = text(screens.get("/partners/CLINIC/received"))
    items = re.findall(r"<li>(.*?)</li>", page, flags=re.S)
    past = next(item for item in items if "Lot PAST" in item)
    good = next(item for item in items if "Lot GOOD" in item)
    assert ">expired</span>" in past and "expired</span>" not in good


def test_the_monthly_report_names_the_supply_that_is_too_much_then_is_corrected(agencies, screens):
    fulfilled(agencies["clinic"], agencies["coordinator"], narcan=10, strips=100)
    screens.login("clinic@example.org")
    month = reports.reportable_months(agencies["clinic"], _site_id("CLINIC"))[0]
    url = f"/partners/CLINIC/report?month={month:%Y-%m}"
    form_page = text(screens.get(url))
    assert "At most 10" in form_page and "At most 100" in form_page
    data = {**form_for(form_page, {"NARCAN4": "11", "FTS": "40"}), "month": f"{month:%Y-%m}"}
    refused = screens.post(url, data)
    assert refused.status_code == 422
    page = text(refused)
    assert "Narcan 4 mg nasal spray: 11 handed out is more than the agency received" in page
    assert 'value="11"' in page and 'value="40"' in page
    data = {**data, **form_for(form_page, {"NARCAN4": "6", "FTS": "40"}), "encounters": "9"}
    sent = screens.post(url, data)
    assert sent.status_code == 302
    page = text(screens.get(sent.headers["Location"]))
    assert "sent. Thank you." in page and 'value="6"' in page and 'value="9"' in page
    corrected = screens.post(url, {**data, **form_for(form_page, {"NARCAN4": "7", "FTS": "40"})})
    assert corrected.status_code == 302
    assert "corrected." in text(screens.get(corrected.headers["Location"]))
    report = reports.get_report(agencies["clinic"], _site_id("CLINIC"), month)
    assert {line.supply.code: line.quantity for line in report.lines} == {"NARCAN4": 7, "FTS": 40}


def _site_id(code):
    return catalog.site_by_code(code).id


def _sent_to_clinic_days_ago(make, days_ago: int, units: int = 30) -> None:
    """Strips received at HUB and moved to CLINIC days back (a delivery of an earlier month)."""
    make.receive("HUB", "FTS", units, days_ago=days_ago + 1)
    moment = datetime.now(timezone.utc) - timedelta(days=days_ago)
    body = {
        "from_site": "HUB",
        "to_site": "CLINIC",
        "items": [{"supply": "FTS", "quantity": units}],
        "occurred_at": moment.isoformat(),
    }
    work.transfer(make.admin, op(body), body)


def test_home_asks_for_last_months_report_only_when_there_was_something_to_report(
    agencies, screens, make
):
    screens.login("clinic@example.org")
    assert "is not in yet" not in text(screens.get("/partners/"))
    # A delivery 40 days back (always before this month began): last month had strips.
    _sent_to_clinic_days_ago(make, 40)
    last = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    home = text(screens.get("/partners/"))
    assert f"Your report for {last:%B %Y} is not in yet." in home
    # The report form opens on that month.
    assert f"<h2>{last:%B %Y}</h2>" in text(screens.get("/partners/CLINIC/report"))


def test_a_report_of_a_closed_quarter_can_no_longer_be_sent(agencies, screens, make):
    _sent_to_clinic_days_ago(make, 150)
    month = (date.today().replace(day=1) - timedelta(days=120)).replace(day=1)
    quarter = quarters.quarter_of(month)
    assert quarter.ends_on < date.today()
    screens.login("clinic@example.org")
    url = f"/partners/CLINIC/report?month={month:%Y-%m}"
    form_page = text(screens.get(url))
    data = {**form_for(form_page, {"FTS": "3"}), "month": f"{month:%Y-%m}"}
    with transaction():  # as `flask quarter close` does
        quarters.close(make.admin.id, quarter)
    page = text(screens.get(url))
    assert "The quarter of this month is closed" in page and "Send the report" not in page
    refused = screens.post(url, data, url)
    assert refused.status_code == 409
    assert "can no longer be sent or corrected" in text(refused)
    assert reports.get_report(agencies["clinic"], _site_id("CLINIC"), month) is None


def test_the_partner_screens_speak_spanish(agencies, screens):
    request_id = submitted(agencies["clinic"])
    screens.login("clinic@example.org")
    screens.client.set_cookie("lang", "es")
    home = text(screens.get("/partners/"))
    assert "Pedir insumos" in home and "Solicitudes abiertas" in home and "Informe mensual" in home
    form = text(screens.get("/partners/CLINIC/requests/new"))
    assert "Enviar la solicitud" in form and "Se necesita para (opcional)" in form
    detail = text(screens.get(f"/partners/requests/{request_id}"))
    assert "Cancelar esta solicitud" in detail
    stop_offering(agencies["coordinator"])
    data = form_for(form, {"FTS": "5"})
    refused = text(screens.post("/partners/CLINIC/requests/new", data))
    assert "no se ofrece a agencias aliadas" in refused
