"""The web glue the blueprints share: field errors, 403s, choices and counted words."""

import pytest
from flask import get_flashed_messages
from werkzeug.exceptions import Forbidden as Http403
from werkzeug.exceptions import NotFound as Http404
from wtforms import FieldList, Form, FormField, HiddenField, StringField

from supplies.extensions import db
from supplies.services.common.errors import Forbidden, NotFound, ValidationFailed
from supplies.services.common.messages import msg
from supplies.web import access, forms, plurals
from tests.conftest import csrf_token_from, signed_in


class _Line(Form):
    supply = StringField()
    quantity = StringField()


class _Receipt(Form):
    op = HiddenField()
    site = StringField()
    new_password = StringField()
    lines = FieldList(FormField(_Line), min_entries=2)


def test_field_errors_land_on_the_fields_they_name_and_the_rest_come_back(app):
    with app.test_request_context():
        form = _Receipt()
        fields = {
            "site": msg("no site has the code %(code)s", code="XYZ"),
            "lines-1-quantity": "must be a whole number",
            "password": "too common",
            "received_on": "not a date",
        }
        others = forms.attach_errors(form, fields, {"password": "new_password"})
        assert form.site.errors == ["no site has the code XYZ"]
        assert form.lines[1].quantity.errors == ["must be a whole number"]
        assert form.new_password.errors == ["too common"]
        assert form.lines[0].quantity.errors in ([], ())
        assert others == {"received_on": "not a date"}


def test_an_alias_function_can_leave_a_field_unplaced(app):
    with app.test_request_context():
        form = _Receipt()
        aliases = {"items[0]": "lines-0-supply"}.get  # anything else: no field shows it
        others = forms.attach_errors(form, {"items[0]": "unknown", "site": "x"}, aliases)
        assert form.lines[0].supply.errors == ["unknown"]
        assert form.site.errors in ([], ()) and others == {"site": "x"}


def test_reasons_are_shown_in_the_readers_language(app):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        form = _Receipt()
        forms.attach_errors(form, {"site": msg("staff need at least one site")})
        assert form.site.errors and form.site.errors[0] != "staff need at least one site"


def test_show_errors_flashes_the_message_and_may_name_the_other_fields(app):
    error = ValidationFailed(msg("The password was not changed."), {"site": "bad", "x": "why"})
    with app.test_request_context():
        assert forms.show_errors(_Receipt(), error) == {"x": "why"}
        assert get_flashed_messages() == ["The password was not changed."]
    with app.test_request_context():
        assert forms.show_errors(_Receipt(), error, others_in_message=True) == {}
        assert get_flashed_messages() == ["The password was not changed. x: why"]


def test_a_refusal_that_is_not_about_a_field_is_a_page(app):
    with app.test_request_context():
        with pytest.raises(Http403) as caught:
            forms.show_errors(_Receipt(), Forbidden(msg("You are not assigned to this site.")))
        assert caught.value.description == "You are not assigned to this site."
        with pytest.raises(Http404):
            forms.show_errors(None, NotFound(msg("No such site.")))


def test_forbidden_inside_the_guard_is_a_403_and_other_errors_pass(app):
    with app.test_request_context():
        with pytest.raises(Http403), access.forbidden_as_403():
            raise Forbidden(msg("Your role does not allow this."))
        with pytest.raises(ValidationFailed), access.forbidden_as_403():
            raise ValidationFailed(msg("Unknown language."))


def test_numbers_and_blanks_as_typed():
    assert forms.as_number(" 12 ") == 12 and forms.as_number("-3") == -3
    assert forms.as_number("") is None and forms.as_number("1.5") == "1.5"
    assert forms.blank_to_none("  ") is None and forms.blank_to_none(" a ") == "a"


def test_sites_supplies_and_funding_share_one_label_style(ctx, program, make):
    make.site("OLD", "outreach").active = False
    db.session.commit()
    admin = program["users"]["admin"]
    assert ("HUB", "Site HUB (HUB)") in forms.site_choices(admin)
    assert "OLD" not in dict(forms.site_choices(admin))
    assert "OLD" in dict(forms.site_choices(admin, active_only=False))
    assert ("NARCAN4", "Narcan 4 mg nasal spray (NARCAN4)") in forms.supply_choices()
    assert dict(forms.funding_choices())["SOR"].endswith("(SOR)")
    staff = program["users"]["staff"]
    assert [code for code, _ in forms.site_choices(staff)] == ["HUB"]


@pytest.mark.parametrize(
    ("language", "num", "noun", "signed", "expected"),
    [
        ("en", 1, "unit", False, "1 unit"),
        ("en", 48, "unit", False, "48 units"),
        ("en", 1, "line", False, "1 line"),
        ("en", -1, "unit", True, "-1 unit"),
        ("en", 5, "expired unit", True, "+5 expired units"),
        ("es", 1, "unit", False, "1 unidad"),
        ("es", 2, "line", False, "2 líneas"),
        ("es", 0, "expired unit", False, "0 unidades vencidas"),
    ],
)
def test_counted_words_agree_with_the_number(app, language, num, noun, signed, expected):
    with app.test_request_context(headers={"Accept-Language": language}):
        assert plurals.counted(num, noun, signed=signed) == expected


def test_a_forbidden_service_call_is_a_403_page_that_says_why(client, program):
    signed_in(client, "staff@example.org")  # staff of HUB only
    response = client.get("/distribute/sites/VAN")
    assert response.status_code == 403
    assert "You cannot log distributions at this site." in response.get_data(as_text=True)


def test_one_received_line_is_said_in_the_singular(client, program):
    signed_in(client, "coord@example.org")
    page = client.get("/inventory/receive").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(page),
        "site": "HUB",
        "source": "state_program",
        "lines-0-supply": "FTS",
        "lines-0-quantity": "1",
    }
    response = client.post("/inventory/receive", data=data, follow_redirects=True)
    assert "Received 1 unit in 1 line at HUB." in response.get_data(as_text=True)
