"""What a person reads when a field is refused, and how a form names every bad field at once."""

import time
from datetime import date, datetime, timezone

import pytest

from supplies.services.common import validation as v
from supplies.services.common.errors import ValidationFailed


def refused(parse, *args, **kwargs) -> str:
    """The reason a value is refused (the test fails when it is taken)."""
    with pytest.raises(ValidationFailed) as error:
        parse(*args, **kwargs)
    return error.value.fields["value"]


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
ITEM_FIELDS = ("supply", "quantity")


# What each refusal says, word for word: the person reads it next to the field.


@pytest.mark.parametrize(("value", "kwargs", "reason"), [
    ("  ", {}, "is required"),
    (12, {}, "must be text"),
    ("Hill\x00side", {}, "must not hold control characters"),
    ("Hill clinic", {}, "must be at most 10 characters"),
    ("Hill clinic", {"required": False}, "must be at most 10 characters"),
])  # fmt: skip
def test_a_refused_text_says_what_is_wrong_with_it(value, kwargs, reason):
    assert refused(v.text, value, 10, **kwargs) == reason


def test_a_code_longer_than_32_characters_is_refused_for_its_length():
    assert refused(v.code, "A" * 33) == "must be at most 32 characters"


def test_a_code_with_other_characters_says_which_characters_a_code_may_use():
    assert refused(v.code, "two words") == "use up to 32 letters, digits, '-', '_' or '.'"


@pytest.mark.parametrize("value", ["1", 0, 100_001])
def test_a_refused_quantity_says_the_numbers_it_may_be(value):
    assert refused(v.quantity, value) == "must be a whole number from 1 to 100000"


@pytest.mark.parametrize("value", ["5", 0, 100_001, -100_001])
def test_a_refused_adjustment_says_the_numbers_it_may_be(value):
    assert refused(v.signed_quantity, value) == (
        "must be a whole number from -100000 to 100000, not 0"
    )


def test_a_refused_choice_lists_the_choices():
    allowed = ("received", "handed out", "wasted")
    assert refused(v.choice, None, allowed, required=True) == "is required"
    assert refused(v.choice, "lost", allowed) == "must be one of: received, handed out, wasted"


def test_a_refused_yes_or_no_asks_for_true_or_false():
    assert refused(v.boolean, None, required=True) == "is required"
    assert refused(v.boolean, "yes") == "must be true or false"


@pytest.mark.parametrize(("value", "reason"), [
    ("1 June 2026", "must be a date written YYYY-MM-DD"),
    ("2026-02-30", "must be a date written YYYY-MM-DD"),
    ("2026-13-01", "must be a date written YYYY-MM-DD"),
    ("1999-12-31", "must be a date from 2000-01-01 to 2100-12-31"),
    ("2101-01-01", "must be a date from 2000-01-01 to 2100-12-31"),
])  # fmt: skip
def test_a_refused_date_says_how_to_write_it_and_which_years_are_taken(value, reason):
    assert refused(v.iso_date, value) == reason


def test_a_missing_required_date_is_refused_as_required():
    assert refused(v.iso_date, "", required=True) == "is required"


def test_a_day_out_of_reach_is_refused_even_when_given_as_a_date():
    assert refused(v.plausible_date, date(1999, 12, 31)) == (
        "must be a date from 2000-01-01 to 2100-12-31"
    )
    assert v.plausible_date(date(2100, 12, 31)) == date(2100, 12, 31)


@pytest.mark.parametrize(("value", "reason"), [
    (1733300000, "must be a date and time in ISO 8601"),
    ("yesterday at noon", "must be a date and time in ISO 8601"),
    ("2026-02-30T12:00:00Z", "must be a date and time in ISO 8601"),
    ("1999-12-31T23:59:59Z", "is too far in the past"),
    ("2101-01-01T00:00:00Z", "cannot be in the future"),
    ("2026-06-01T12:06:00Z", "cannot be in the future"),
])  # fmt: skip
def test_a_refused_moment_says_why(value, reason):
    assert refused(v.instant, value, "UTC", now=NOW) == reason


def test_a_refused_operation_id_says_a_uuid_is_expected():
    assert refused(v.operation_id, None, required=True) == (
        "is required (a UUID made by the client)"
    )
    assert refused(v.operation_id, "operation-1", required=True) == "must be a UUID"


@pytest.mark.parametrize("value", [972, "Hill2", "H"])
def test_a_refused_area_asks_for_a_county_or_a_zip_prefix(value):
    assert refused(v.area, value) == "must be a county name or a 3-digit ZIP prefix"


def test_a_refusal_made_outside_a_form_carries_its_reason_as_its_message():
    with pytest.raises(ValidationFailed) as error:
        v.text(None, 40)
    assert error.value.message == "is required"
    assert str(error.value) == "is required"


# Moments: the server's clock and the stored zone.


def test_a_past_moment_is_taken_when_the_servers_own_clock_is_the_judge():
    assert v.instant("2026-06-01T12:00:00Z", "UTC") == NOW
    assert "future" in refused(v.instant, "2099-01-01T00:00:00Z", "UTC")


def test_a_utc_moment_may_end_in_either_case_of_z_and_a_t_or_space_splits_date_and_time():
    # RFC 3339 allows "z"; the API's schema takes it, so the service must too.
    assert v.instant("2026-06-01T12:00:00z", "UTC", now=NOW) == NOW
    assert v.instant(" 2026-06-01T12:00:00Z ", "UTC", now=NOW) == NOW
    assert v.instant("2026-06-01 12:00:00+00:00", "UTC", now=NOW) == NOW
    assert v.instant("2026-06-01t12:00:00Z", "UTC", now=NOW) == NOW
    for odd in ("2026-06-01Z12:00:00", "2026-06-01x12:00:00", "2026-06-01X12:00:00"):
        assert "ISO 8601" in refused(v.instant, odd, "UTC", now=NOW)
    # Without dashes (ISO 8601's basic format) is another shape the API does not take.
    assert "ISO 8601" in refused(v.instant, "20260601T12", "UTC", now=NOW)


def test_a_date_alone_is_midnight_in_the_programs_zone():
    assert v.instant("2026-06-01", "UTC", now=NOW).isoformat() == "2026-06-01T00:00:00+00:00"


def test_a_trailing_z_of_either_case_is_written_as_a_zero_offset():
    assert v.utc_as_offset("2026-06-01T12:00:00Z") == "2026-06-01T12:00:00+00:00"
    assert v.utc_as_offset("2026-06-01T12:00:00z") == "2026-06-01T12:00:00+00:00"
    assert v.utc_as_offset("2026-06-01T12:00:00") == "2026-06-01T12:00:00"


@pytest.fixture
def server_clock_in_new_york(monkeypatch):
    """The server's own clock set to local time in New York, not UTC."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("server_clock_in_new_york")
def test_a_moment_is_kept_in_utc_whatever_zone_the_servers_clock_is_in():
    moment = v.instant("2026-06-01T08:00:00-04:00", "America/Chicago", now=NOW)
    assert moment.isoformat() == "2026-06-01T12:00:00+00:00"
    local = v.instant("2026-06-01T07:00:00", "America/Chicago", now=NOW)
    assert local.isoformat() == "2026-06-01T12:00:00+00:00"


# Areas: a county name of 2 to 40 characters, or a ZIP.


def test_an_area_name_may_be_two_letters_long_but_not_one():
    assert v.area("Oz") == "Oz"
    assert "county name" in refused(v.area, "O")


def test_an_area_name_may_be_40_characters_long_but_not_41():
    assert v.area("A" * 40) == "A" * 40
    assert "county name" in refused(v.area, "A" * 41)


def test_no_area_given_is_no_area():
    assert v.area(None) is None
    assert v.area("   ") is None
    assert v.area("") is None


# Forms: every bad field named at once, each with its first reason.


def test_a_form_names_every_bad_field_at_once():
    fields = v.Fields()
    assert fields.check("name", v.text, "Hill clinic", 40) == "Hill clinic"
    assert fields.check("email", v.text, "  ", 254) is None
    assert fields.check("counted", v.quantity, -1, minimum=0) is None
    with pytest.raises(ValidationFailed) as error:
        fields.raise_if_any()
    assert error.value.message == "Some fields are not valid."
    assert error.value.fields == {
        "email": "is required",
        "counted": "must be a whole number from 0 to 100000",
    }


def test_a_form_passes_every_setting_on_to_the_rule():
    fields = v.Fields()
    assert fields.check("counted", v.quantity, 0, minimum=0) == 0
    assert fields.check("counted", v.quantity, value=5, maximum=4) is None
    assert fields.errors == {"counted": "must be a whole number from 1 to 4"}


def test_a_field_keeps_the_first_reason_it_was_refused_for():
    fields = v.Fields()
    fields.fail("start", "must be a date written YYYY-MM-DD")
    fields.fail("start", "must be before the end")
    fields.fail("end", "is required")
    assert fields.errors == {"start": "must be a date written YYYY-MM-DD", "end": "is required"}


def test_a_form_with_no_bad_field_is_not_refused():
    fields = v.Fields()
    fields.check("name", v.text, "Hill clinic", 40)
    assert fields.errors == {}
    assert fields.raise_if_any() is None


def test_a_form_may_say_in_its_own_words_what_went_wrong():
    fields = v.Fields()
    fields.fail("end", "is required")
    with pytest.raises(ValidationFailed) as error:
        fields.raise_if_any("The report cannot be made.")
    assert error.value.message == "The report cannot be made."
    assert error.value.fields == {"end": "is required"}


def test_a_field_shows_the_lookups_own_reason_not_its_general_message():
    def site(code):
        raise ValidationFailed("No such site.", {"value": f"no site has the code {code}"})

    fields = v.Fields()
    assert fields.check("site", site, "HUB") is None
    assert fields.errors == {"site": "no site has the code HUB"}


def test_a_field_refused_without_a_reason_shows_the_message():
    def password(value):
        raise ValidationFailed("Use at least 12 characters.")

    fields = v.Fields()
    fields.check("password", password, "short")
    assert fields.errors == {"password": "Use at least 12 characters."}


# The items of a body: a non-empty list of objects with known fields, not too long.


@pytest.mark.parametrize("raw", [[], None, "NARCAN", {"supply": "NARCAN", "quantity": 2}])
def test_a_body_without_a_list_of_items_asks_for_at_least_one(raw):
    fields = v.Fields()
    assert v.listed_items(raw, fields, ITEM_FIELDS, 50) == []
    assert fields.errors == {"items": "give at least one supply and quantity"}


def test_a_body_may_list_exactly_as_many_items_as_allowed_and_no_more():
    items = [{"supply": f"S{n}", "quantity": 1} for n in range(3)]
    fields = v.Fields()
    assert v.listed_items(items, fields, ITEM_FIELDS, 3) == [
        ("items[0]", items[0]),
        ("items[1]", items[1]),
        ("items[2]", items[2]),
    ]
    assert fields.errors == {}
    assert v.listed_items([*items, {"supply": "S3", "quantity": 1}], fields, ITEM_FIELDS, 3) == []
    assert fields.errors == {"items": "at most 3 lines"}


def test_each_item_that_is_not_an_object_is_named_and_the_others_are_still_read():
    good = {"supply": "NARCAN", "quantity": 2}
    fields = v.Fields()
    assert v.listed_items(["NARCAN", good, 5], fields, ITEM_FIELDS, 50) == [("items[1]", good)]
    assert fields.errors == {
        "items[0]": "must be an object with supply and quantity",
        "items[2]": "must be an object with supply and quantity",
    }


def test_a_field_an_item_does_not_have_is_named_with_its_item():
    item = {"supply": "NARCAN", "quantity": 2, "colour": "red"}
    fields = v.Fields()
    assert v.listed_items([{"supply": "FTS", "quantity": 1}, item], fields, ITEM_FIELDS, 50) == [
        ("items[0]", {"supply": "FTS", "quantity": 1}),
        ("items[1]", item),
    ]
    assert fields.errors == {"items[1].colour": "is not a field of an item"}


# Lookups: text a person could type, and UUIDs, are the only things ever looked up.


@pytest.mark.parametrize(("value", "plain"), [("Lot 24-A", True), ("", True),
                                              ("Lot\x0024", False), ("Lot\ud80024", False),
                                              (24, False), (None, False)])  # fmt: skip
def test_only_text_a_person_could_type_is_looked_up(value, plain):
    assert v.is_plain_text(value) is plain


@pytest.mark.parametrize(("value", "canonical"), [
    ("0f8fad5b-d9cb-469f-a165-70867728950e", True),
    ("0F8FAD5B-D9CB-469F-A165-70867728950E", True),
    ("{0f8fad5b-d9cb-469f-a165-70867728950e}", False),
    ("0f8fad5bd9cb469fa16570867728950e", False),
    ("session-1", False),
    (12, False),
    (None, False),
])  # fmt: skip
def test_only_a_uuid_in_its_canonical_text_is_looked_up(value, canonical):
    assert v.is_uuid(value) is canonical


# Bodies: a lone surrogate anywhere is refused, naming where it is.


@pytest.mark.parametrize(("body", "where"), [
    ("x\ud800y", "body"),
    ({"note": "x\udfffy"}, "note"),
    ({"site": "HUB", "event": {"note": "\ud800"}}, "event.note"),
    ({"items": [{"supply": "NARCAN"}, {"supply": "x\ud800"}]}, "items[1].supply"),
    ({"items": ["NARCAN", "\ud800"]}, "items[1]"),
    ({"no\ud800te": "fine"}, "no\ufffdte"),
    ({"event": {"no\ud800te": "fine"}}, "event.no\ufffdte"),
])  # fmt: skip
def test_a_lone_surrogate_is_found_wherever_it_is_and_named(body, where):
    assert v.lone_surrogate(body) == where


@pytest.mark.parametrize("body", [
    "Doña Ana",
    {"site": "HUB", "items": [{"supply": "NARCAN", "quantity": 2}], "note": None},
    [1, "two", {"three": 3.0}],
    12,
])  # fmt: skip
def test_a_body_of_plain_text_has_no_lone_surrogate(body):
    assert v.lone_surrogate(body) is None
