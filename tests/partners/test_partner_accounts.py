"""The admin screens offer the partner role, tied to one partner agency."""

from supplies.services.accounts import users as accounts
from tests.conftest import text


def test_an_admin_makes_a_partner_account_at_a_partner_agency(agencies, screens):
    screens.login("admin@example.org")
    page = text(screens.get("/admin/users/new"))
    assert '<option value="partner">Partner agency</option>' in page
    assert "Eastside Clinic (CLINIC) · partner agency" in page
    assert "Site HUB (HUB) · partner" not in page
    data = {
        "email": "new-partner@example.org",
        "name": "New Partner",
        "role": "partner",
        "sites": ["CLINIC"],
        "access": "temporary",
    }
    created = screens.post("/admin/users/new", data, "/admin/users/new")
    assert created.status_code == 200 and "new-partner@example.org" in text(created)
    user = accounts.user_by_email("new-partner@example.org")
    assert user.role == "partner" and [s.code for s in user.sites] == ["CLINIC"]
    listing = text(screens.get("/admin/users"))
    row = listing.split("new-partner@example.org", 1)[1].split("</tr>")[0]
    assert "partner agency" in row and "CLINIC" in row


def test_a_partner_account_needs_one_partner_agency(agencies, screens):
    screens.login("admin@example.org")
    data = {
        "email": "wrong-partner@example.org",
        "name": "Wrong",
        "role": "partner",
        "sites": ["HUB"],
        "access": "temporary",
    }
    refused = screens.post("/admin/users/new", data, "/admin/users/new")
    assert accounts.user_by_email("wrong-partner@example.org") is None
    assert 'id="sites-error"' in text(refused)
