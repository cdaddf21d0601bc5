"""A partner's request, walked on a phone and a desktop (issue 24): the partner asks on its
phone, a coordinator approves in part and sends it as one transfer with a packing slip, the
partner sees it at once and sends its monthly report, and the quarter's workbook shows the
agency in Sub-recipients with those numbers."""

from datetime import date
from io import BytesIO

from flask_babel import force_locale
from openpyxl import load_workbook
from playwright.sync_api import expect

from supplies.services.distribution import quarters
from supplies.services.reporting import report as reporting
from supplies.services.reporting.workbook import writer
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD


def _program(make):
    make.site("HUB", name="Downtown hub")
    make.site("CLINIC", kind="partner_agency", name="Eastside clinic", county="Alder County")
    make.supply("NARCAN4", name="Narcan 4 mg nasal spray")
    make.supply("FTS", category="fentanyl_test_strip", name="Fentanyl test strip")
    make.receive("HUB", "NARCAN4", 40, lot="N1", expires_in_days=300)
    make.receive("HUB", "FTS", 300)
    make.user("coord@example.org", "coordinator")
    make.user("partner@example.org", "partner", sites=("CLINIC",))


def _sub_recipients(app) -> list[dict]:
    """The Sub-recipients table of this quarter's workbook (to today), read from the file."""
    with app.app_context():
        start = quarters.quarter_of(date.today()).starts_on
        filters = reporting.make_filters(start.isoformat(), date.today().isoformat())
        data = BytesIO()
        with force_locale("en"):
            writer.funder_workbook(reporting.funder_report(filters)).save(data)
    sheet = load_workbook(data)["Sub-recipients"]
    cells = list(sheet[sheet.tables["SubRecipients"].ref])
    header = [cell.value for cell in cells[0]]
    return [dict(zip(header, (c.value for c in row), strict=True)) for row in cells[1:]]


def test_a_request_from_a_phone_to_the_monthly_report_and_the_workbook(
    live_app, live_make, phone, desktop
):
    _program(live_make)
    # The partner asks on its phone.
    sign_in(phone, "partner@example.org", PASSWORD)
    phone.wait_for_url("**/partners/")
    phone.locator("header").get_by_role("link", name="Request supplies").click()
    phone.get_by_label("Narcan 4 mg nasal spray").fill("12")
    phone.get_by_label("Fentanyl test strip").fill("100")
    phone.get_by_role("button", name="Send the request").click()
    expect(phone.get_by_role("status")).to_contain_text("Request sent: 112 units in 2 lines.")
    expect(phone.locator(".status-submitted")).to_have_text("Submitted")
    screenshot(phone, "issue24-partner-request-sent")

    # A coordinator approves 8 of the 12 boxes and all the strips, then sends them from HUB.
    sign_in(desktop, "coord@example.org", PASSWORD)
    desktop.wait_for_url("**/home")
    desktop.locator("header").get_by_role("link", name="Partners").click()
    expect(desktop.get_by_role("heading", name="Partner requests")).to_be_visible()
    desktop.get_by_label("Narcan 4 mg nasal spray").fill("8")
    desktop.get_by_role("button", name="Approve").click()
    expect(desktop.get_by_role("status")).to_contain_text("Request approved.")
    desktop.get_by_label("Send from").select_option("HUB")
    desktop.get_by_role("button", name="Send and print the packing slip").click()
    expect(desktop.get_by_role("heading", name="Packing slip")).to_be_visible()
    expect(desktop.locator(".slip")).to_contain_text("Narcan 4 mg nasal spray: 8 units")
    expect(desktop.locator(".slip")).to_contain_text("N1")
    screenshot(desktop, "issue24-packing-slip")

    # The partner sees it at once, with the lot, and reports what it handed out.
    phone.locator("header").get_by_role("link", name="Our requests").click()
    expect(phone.locator(".status-fulfilled")).to_have_text("Fulfilled")
    phone.locator("header").get_by_role("link", name="Received").click()
    expect(phone.locator(".received-list")).to_contain_text("Lot N1")
    phone.locator("header").get_by_role("link", name="Monthly report").click()
    phone.get_by_label("Narcan 4 mg nasal spray").fill("9")
    phone.get_by_label("Fentanyl test strip").fill("60")
    phone.get_by_role("button", name="Send the report").click()
    expect(phone.get_by_role("alert")).to_contain_text("Narcan 4 mg nasal spray: 9 handed out")
    phone.get_by_label("Narcan 4 mg nasal spray").fill("5")
    phone.get_by_role("button", name="Send the report").click()
    expect(phone.get_by_role("status")).to_contain_text("sent. Thank you.")
    screenshot(phone, "issue24-partner-report-sent")

    # The quarter's workbook names the agency with what it received and reported.
    rows = {row["Supply"]: row for row in _sub_recipients(live_app[0])}
    narcan, strips = rows["NARCAN4"], rows["FTS"]
    assert (narcan["Partner"], narcan["Partner name"]) == ("CLINIC", "Eastside clinic")
    assert narcan["County"] == "Alder County"
    assert (narcan["Units received"], narcan["Units reported given out"]) == (8, 5)
    assert (strips["Units received"], strips["Units reported given out"]) == (100, 60)
