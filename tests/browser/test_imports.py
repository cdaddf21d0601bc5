"""A coordinator imports a stock spreadsheet on a phone: upload, preview, confirm."""

from datetime import date, timedelta

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD
from tests.imports.files import STOCK_HEADER, xlsx


def test_upload_preview_and_confirm_an_import(live_app, live_make, phone, tmp_path):
    live_make.site("HUB")
    live_make.supply("NARCAN4")
    live_make.user("coord@example.org", "coordinator")
    expires = date.today() + timedelta(days=400)
    good = xlsx(tmp_path / "stock.xlsx", [STOCK_HEADER, ["HUB", "NARCAN4", "L1", expires, None, 6]])
    sign_in(phone, "coord@example.org", PASSWORD)
    phone.get_by_role("link", name="Import").click()
    phone.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(str(good))
    phone.get_by_role("button", name="Upload and preview").click()
    phone.get_by_role("heading", name="Preview: stock.xlsx").wait_for(timeout=15000)
    assert phone.get_by_role("cell", name="NARCAN4").is_visible()
    screenshot(phone, "import-preview-phone")
    phone.get_by_role("button", name="Import these rows").click()
    phone.get_by_role("heading", name="Imported").wait_for(timeout=15000)
    assert "6 units" in phone.get_by_role("status").inner_text()
    screenshot(phone, "import-done-phone")


def test_bad_rows_are_listed_with_row_and_column(live_app, live_make, desktop, tmp_path):
    live_make.site("HUB")
    live_make.supply("NARCAN4")
    live_make.user("coord@example.org", "coordinator")
    bad = xlsx(tmp_path / "bad.xlsx", [STOCK_HEADER, ["HUB", "NARCAN4", None, None, None, -3]])
    sign_in(desktop, "coord@example.org", PASSWORD)
    desktop.goto("/imports/")
    desktop.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(str(bad))
    desktop.get_by_role("button", name="Upload and preview").click()
    desktop.get_by_role("heading", name="Preview: bad.xlsx").wait_for(timeout=15000)
    text = desktop.locator(".import-errors").inner_text()
    assert "C (lot_number)" in text and "F (quantity)" in text and "negative" in text
    assert desktop.get_by_role("button", name="Import these rows").count() == 0
    screenshot(desktop, "import-errors-desktop")
