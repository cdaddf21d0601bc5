"""A coordinator picks "last quarter", downloads the workbook and finds it listed again."""

from openpyxl import load_workbook

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD


def test_coordinator_downloads_last_quarter(live_app, live_make, desktop, tmp_path):
    app, _ = live_app
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
    live_make.site("HUB")
    live_make.site("VAN")
    live_make.supply("NARCAN4")
    live_make.funding("SOR")
    live_make.user("coord@example.org", "coordinator")
    sign_in(desktop, "coord@example.org", PASSWORD)
    desktop.get_by_role("link", name="Reports").click()
    desktop.wait_for_url("**/reports/")
    desktop.get_by_label("Last quarter").check()
    desktop.get_by_label("Site HUB (HUB)").check()
    screenshot(desktop, "reports-desktop")
    with desktop.expect_download() as info:
        desktop.get_by_role("button", name="Download workbook").click()
    download = info.value
    assert download.suggested_filename.startswith("funder-report-")
    path = tmp_path / "downloaded.xlsx"
    download.save_as(path)
    about = load_workbook(path)["About"]
    assert {row[0].value: row[1].value for row in about.iter_rows()}["Sites"] == "HUB"
    desktop.reload()
    assert desktop.get_by_role("link", name="Download").count() == 1


def test_funder_page_on_a_phone(live_make, phone):
    live_make.site("HUB")
    live_make.user("funder@example.org", "funder")
    sign_in(phone, "funder@example.org", PASSWORD)
    phone.goto("/reports/")
    assert phone.get_by_role("heading", level=1).inner_text() == "Reports"
    assert phone.get_by_label("Event-level workbook").count() == 0
    screenshot(phone, "reports-funder-phone")
