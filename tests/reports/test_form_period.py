"""The Reports form never answers with a period other than the one typed (issue 20, 6)."""

from io import BytesIO

from openpyxl import load_workbook

from tests.reports.test_views import _post


def test_typed_dates_choose_the_custom_period_themselves(program, client, auth):
    auth.login("coord@example.org")
    response = _post(client, preset="last_quarter", start="2026-01-01", end="2026-01-31")
    assert response.status_code == 200
    assert "funder-report-2026-01-01-to-2026-01-31.xlsx" in response.headers["Content-Disposition"]
    about = load_workbook(BytesIO(response.data))["About"]
    assert any("2026-01-01" in str(row[1].value) for row in about.iter_rows() if row[1].value)


def test_one_typed_date_is_refused_beside_the_missing_one(program, client, auth):
    auth.login("coord@example.org")
    response = _post(client, preset="last_quarter", start="2026-01-01", end="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-describedby="end-error"' in html and 'value="2026-01-01"' in html
