"""Admin screens: accounts, tokens and the audit log; stopping access takes effect at once."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from supplies.extensions import db
from supplies.models import ApiToken, AuditEntry, User
from supplies.services.accounts import tokens
from supplies.services.accounts import users as accounts
from supplies.services.common.errors import Conflict, ValidationFailed
from supplies.services.db import audit
from supplies.services.db.unit_of_work import transaction
from tests.conftest import Api, csrf_token_from, signed_in


def _client(app):
    return app.test_client()


def _token(client, path="/admin/users/new") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def _fresh(model, ident):
    db.session.rollback()  # end the read snapshot: see what the requests committed
    db.session.expire_all()
    return db.session.get(model, ident)


@pytest.fixture
def api(app):
    """The API helper on a client whose requests stand alone (overrides conftest's)."""
    return Api(_client(app))


@pytest.fixture
def admin(app, program):
    """A client signed in as the program's admin."""
    return signed_in(_client(app), "admin@example.org")


def test_create_an_account_with_a_temporary_password(app, program, admin):
    response = admin.post(
        "/admin/users/new",
        data={
            "csrf_token": _token(admin),
            "email": "New.Person@Example.org",
            "name": "New Person",
            "role": "staff",
            "sites": ["HUB", "VAN"],
            "access": "temporary",
        },
    )
    assert response.status_code == 200
    temporary = re.search(r'<code id="secret">([^<]+)</code>', response.get_data(as_text=True))[1]
    user = accounts.user_by_email("new.person@example.org")
    assert user.role == "staff" and {s.code for s in user.sites} == {"HUB", "VAN"}
    assert user.must_change_password
    assert temporary not in user.password_hash
    newcomer = signed_in(_client(app), "new.person@example.org", temporary)
    assert newcomer.get("/home").headers["Location"] == "/account/password"
    entry = (
        db.session.execute(
            db.select(AuditEntry)
            .where(AuditEntry.action == "user.create")
            .order_by(AuditEntry.id.desc())
        )
        .scalars()
        .first()
    )
    assert entry.actor_id == program["users"]["admin"].id
    assert temporary not in str(entry.changes)


def test_create_with_a_link_shows_a_one_time_link(app, program, admin):
    response = admin.post(
        "/admin/users/new",
        data={
            "csrf_token": _token(admin),
            "email": "linked@example.org",
            "name": "Linked",
            "role": "funder",
            "access": "link",
        },
    )
    link = re.search(r'<code id="secret">([^<]+)</code>', response.get_data(as_text=True))[1]
    assert link.startswith("http://localhost/reset/")
    assert _client(app).get(link.replace("http://localhost", "")).status_code == 200


def test_staff_without_a_site_is_refused_and_the_form_keeps_what_was_typed(program, admin):
    response = admin.post(
        "/admin/users/new",
        data={
            "csrf_token": _token(admin),
            "email": "nosite@example.org",
            "name": "No Site",
            "role": "staff",
            "access": "temporary",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="sites-error"' in html and "staff need at least one site" in html
    assert 'value="nosite@example.org"' in html
    assert accounts.user_by_email("nosite@example.org") is None


def test_staff_work_at_program_sites_never_at_a_partner_agency(program, make):
    """Staff log and count; a partner agency reports what it hands out instead."""
    make.site("CLINIC", "partner_agency")
    with pytest.raises(ValidationFailed) as refusal:
        accounts.create_user("s@example.org", "staff", "a-long-pass-2026", ("HUB", "CLINIC"))
    assert refusal.value.fields == {"sites": "CLINIC is a partner agency, not a program site"}
    assert accounts.user_by_email("s@example.org") is None


def test_a_taken_email_is_named(program, admin):
    response = admin.post(
        "/admin/users/new",
        data={
            "csrf_token": _token(admin),
            "email": "staff@example.org",
            "name": "Dup",
            "role": "funder",
            "access": "temporary",
        },
    )
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_changing_sites_applies_on_the_next_request(app, program, admin, api):
    staff = program["users"]["staff"]
    token = program["tokens"]["staff"]
    assert api.get("/stock", token, site="VAN").status_code == 403
    response = admin.post(
        f"/admin/users/{staff.id}",
        data={
            "csrf_token": _token(admin, f"/admin/users/{staff.id}"),
            "name": "Staff",
            "role": "staff",
            "sites": ["HUB", "VAN"],
        },
    )
    assert response.status_code == 302
    assert api.get("/stock", token, site="VAN").status_code == 200


def test_deactivation_stops_the_session_and_tokens_at_once(app, program, admin, api):
    staff = program["users"]["staff"]
    token = program["tokens"]["staff"]
    phone = signed_in(_client(app), "staff@example.org")
    assert phone.get("/home", follow_redirects=True).status_code == 200
    assert api.get("/sites", token).status_code == 200
    asked = admin.post(
        f"/admin/users/{staff.id}/deactivate",
        data={"csrf_token": _token(admin, f"/admin/users/{staff.id}")},
    )
    # Deactivation asks first, naming what stops working; nothing changed yet.
    assert asked.status_code == 200
    assert "Deactivate staff@example.org?" in asked.get_data(as_text=True)
    assert _fresh(User, staff.id).active
    response = admin.post(
        f"/admin/users/{staff.id}/deactivate",
        data={"csrf_token": _token(admin, f"/admin/users/{staff.id}"), "confirm": "yes"},
    )
    assert response.status_code == 302
    assert phone.get("/home").status_code == 302
    assert phone.get("/api/v1/sites").status_code == 401
    assert api.get("/sites", token).status_code == 401
    assert not _fresh(User, staff.id).active
    # Reactivating lets the person sign in again, but the old tokens stay revoked.
    admin.post(
        f"/admin/users/{staff.id}/activate",
        data={"csrf_token": _token(admin, f"/admin/users/{staff.id}")},
    )
    assert api.get("/sites", token).status_code == 401
    again = signed_in(_client(app), "staff@example.org")
    assert again.get("/home", follow_redirects=True).status_code == 200


def test_a_password_reset_ends_the_users_sessions(app, program, admin):
    staff = program["users"]["staff"]
    phone = signed_in(_client(app), "staff@example.org")
    response = admin.post(
        f"/admin/users/{staff.id}/reset",
        data={"csrf_token": _token(admin, f"/admin/users/{staff.id}"), "access": "temporary"},
    )
    assert response.status_code == 200
    assert phone.get("/home").status_code == 302


def test_the_last_admin_and_oneself_are_protected(app, program):
    admin = program["users"]["admin"]
    setup_admin = accounts.user_by_email("setup-admin@example.org")
    with pytest.raises(Conflict):
        accounts.set_active(admin, admin.id, False)
    accounts.set_active(admin, setup_admin.id, False)
    with pytest.raises(Conflict):
        accounts.set_active(admin, admin.id, False)
    from supplies.services.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        accounts.update_user(admin, admin.id, "Admin", "coordinator", [])
    assert "role" in caught.value.fields


def test_a_token_is_shown_once_stored_hashed_and_revoked_at_once(app, program, admin, api):
    staff = program["users"]["staff"]
    response = admin.post(
        "/admin/tokens",
        data={"csrf_token": _token(admin, "/admin/tokens"), "user": str(staff.id), "name": "Van"},
    )
    assert response.status_code == 200
    token = re.search(r'<code id="secret">([^<]+)</code>', response.get_data(as_text=True))[1]
    record = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == tokens.hash_token(token))
    ).scalar_one()
    assert record.token_hash != token and record.last_used_at is None
    assert token not in admin.get("/admin/tokens").get_data(as_text=True)
    assert api.get("/sites", token).status_code == 200
    assert _fresh(ApiToken, record.id).last_used_at is not None
    assert "never" not in admin.get("/admin/tokens").get_data(as_text=True).split("Van")[1][:200]
    revoke = admin.post(
        f"/admin/tokens/{record.id}/revoke", data={"csrf_token": _token(admin, "/admin/tokens")}
    )
    assert revoke.status_code == 302
    assert api.get("/sites", token).status_code == 401
    assert program["tokens"]["staff"] != token
    assert api.get("/sites", program["tokens"]["staff"]).status_code == 200


def test_a_token_form_without_a_name_names_the_field(program, admin):
    response = admin.post(
        "/admin/tokens",
        data={"csrf_token": _token(admin, "/admin/tokens"), "user": "1", "name": ""},
    )
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)


def test_the_audit_log_filters_by_person_action_and_date_a_page_at_a_time(program, admin):
    staff = program["users"]["staff"]
    old = datetime(2026, 1, 15, 12, tzinfo=timezone.utc)
    with transaction():
        for n in range(60):
            audit.record(staff.id, "test.thing", "site", n)
        db.session.execute(
            db.update(AuditEntry)
            .where(AuditEntry.object_id == "0", AuditEntry.action == "test.thing")
            .values(occurred_at=old)
        )
    page = admin.get("/admin/audit", query_string={"user": staff.id, "action": "test.thing"})
    html = page.get_data(as_text=True)
    assert "60 entries, page 1 of 2" in html
    assert html.count("<td>test.thing</td>") == 50
    second = admin.get(
        "/admin/audit", query_string={"user": staff.id, "action": "test.thing", "page": 2}
    ).get_data(as_text=True)
    assert second.count("<td>test.thing</td>") == 10
    dated = admin.get(
        "/admin/audit", query_string={"start": "2026-01-15", "end": "2026-01-15"}
    ).get_data(as_text=True)
    assert "1 entry<" in dated and "site 0" in dated
    later = (old + timedelta(days=1)).date().isoformat()
    assert "0 entries" in admin.get(
        "/admin/audit", query_string={"start": later, "end": later}
    ).get_data(as_text=True)
    # Sign-ins are in the log too.
    signed = admin.get("/admin/audit", query_string={"action": "auth.sign_in"})
    assert "admin@example.org" in signed.get_data(as_text=True)


def test_a_blank_person_or_action_in_the_audit_filter_means_anyone(program, admin):
    # Hypothesis found "\r" as the person answered a 500: whitespace is no choice.
    for blank in ("\r", " ", "\t\n"):
        page = admin.get("/admin/audit", query_string={"user": blank, "action": blank})
        assert page.status_code == 200
        assert "admin@example.org" in page.get_data(as_text=True)
    refused = admin.get("/admin/audit", query_string={"user": "\r5x"})
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)


def test_admin_screens_refuse_other_roles(app, program):
    for email in ("coord@example.org", "staff@example.org", "funder@example.org"):
        client = signed_in(_client(app), email)
        assert client.get("/admin/users").status_code == 403
        assert client.get("/admin/audit").status_code == 403


def test_a_new_account_defaults_to_staff_and_roles_show_their_labels(program, admin):
    page = admin.get("/admin/users/new").get_data(as_text=True)
    assert '<option selected value="staff">Staff</option>' in page
    assert '<option value="admin">Admin</option>' in page
