"""The rules every field of every form, import and API body goes through, at their edges."""

from datetime import date, datetime, timedelta, timezone

import pytest

from supplies.services.common import validation as v
from supplies.services.common.errors import ValidationFailed


def refused(parse, *args, **kwargs) -> str:
    """The reason a value is refused (the test fails when it is taken)."""
    with pytest.raises(ValidationFailed) as error:
        parse(*args, **kwargs)
    return error.value.fields["value"]


def test_text_is_trimmed_and_may_be_exactly_its_longest():
    assert v.text("  Hill clinic \t", 12) == "Hill clinic"
    assert v.text("x" * 40, 40) == "x" * 40
    assert "at most 40" in refused(v.text, "x" * 41, 40)
    # Trimmed first: spaces around the longest text are not counted.
    assert v.text(" " + "x" * 40 + " ", 40) == "x" * 40


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x0b"])
def test_text_with_a_control_character_is_refused(character):
    assert "control characters" in refused(v.text, f"Hill{character}side", 40)


def test_blank_text_is_absent_when_optional_and_refused_when_required():
    assert v.text("   ", 10, required=False) is None
    assert v.text(None, 10, required=False) is None
    assert "required" in refused(v.text, "  ", 10)
    assert "must be text" in refused(v.text, 12, 10)


@pytest.mark.parametrize("good", ["HUB", "a", "NARCAN-4_mg.2", "A" * 32])
def test_codes_that_are_taken(good):
    assert v.code(good) == good
    assert v.is_code(good)


@pytest.mark.parametrize("bad", ["A" * 33, "two words", "-HUB", ".HUB", "HÜB", "HUB/1", "é"])
def test_codes_that_are_refused(bad):
    assert "letters, digits" in refused(v.code, bad) or "at most" in refused(v.code, bad)
    assert not v.is_code(bad)


def test_is_code_never_takes_what_is_not_text():
    assert not v.is_code(None)
    assert not v.is_code(12)


@pytest.mark.parametrize(("value", "taken"), [(1, True), (100_000, True), (0, False),
                                              (100_001, False), (-1, False), (True, False),
                                              (1.0, False), ("1", False)])  # fmt: skip
def test_quantities_are_whole_numbers_from_1_to_100000(value, taken):
    if taken:
        assert v.quantity(value) == value
    else:
        assert "whole number from 1 to 100000" in refused(v.quantity, value)


def test_a_count_may_be_zero():
    assert v.quantity(0, minimum=0) == 0
    assert "from 0 to" in refused(v.quantity, -1, minimum=0)


@pytest.mark.parametrize(("value", "taken"), [(-100_000, True), (100_000, True), (-1, True),
                                              (0, False), (100_001, False), (-100_001, False),
                                              (False, False), (2.5, False)])  # fmt: skip
def test_adjustments_are_signed_whole_numbers_but_never_zero(value, taken):
    if taken:
        assert v.signed_quantity(value) == value
    else:
        assert "not 0" in refused(v.signed_quantity, value)


def test_choices():
    allowed = ("yes", "no")
    assert v.choice("yes", allowed) == "yes"
    assert v.choice("", allowed) is None
    assert v.choice(None, allowed) is None
    assert "required" in refused(v.choice, "", allowed, required=True)
    assert "one of: yes, no" in refused(v.choice, "maybe", allowed)
    assert "one of" in refused(v.choice, ["yes"], allowed)


def test_booleans_are_json_booleans_only():
    assert v.boolean(False) is False
    assert v.boolean(None) is None
    assert "required" in refused(v.boolean, None, required=True)
    for bad in ("true", 1, 0):
        assert "true or false" in refused(v.boolean, bad)


@pytest.mark.parametrize(("value", "day"), [("2000-01-01", date(2000, 1, 1)),
                                            ("2100-12-31", date(2100, 12, 31)),
                                            (" 2026-02-28 ", date(2026, 2, 28))])  # fmt: skip
def test_dates_from_2000_to_2100_are_taken(value, day):
    assert v.iso_date(value) == day


@pytest.mark.parametrize("value", ["1999-12-31", "2101-01-01", "2026-02-30", "20260101",
                                   "2026-W01-1", "2026-1-5", 20260101])  # fmt: skip
def test_other_dates_are_refused(value):
    assert "date" in refused(v.iso_date, value)


def test_a_date_is_optional_unless_required():
    assert v.iso_date("") is None
    assert "required" in refused(v.iso_date, None, required=True)
    assert v.iso_date(date(2026, 5, 1)) == date(2026, 5, 1)


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def test_a_moment_without_offset_is_the_programs_local_time():
    moment = v.instant("2026-06-01T08:00:00", "America/New_York", now=NOW)
    assert moment == datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert v.instant("2026-06-01T12:00:00Z", "UTC", now=NOW) == NOW
    assert v.instant(None, "UTC") is None


def test_a_moment_may_be_five_minutes_ahead_of_the_server_and_no_more():
    ahead = NOW + timedelta(minutes=5)
    assert v.instant(ahead.isoformat(), "UTC", now=NOW) == ahead
    too_far = (ahead + timedelta(seconds=1)).isoformat()
    assert "future" in refused(v.instant, too_far, "UTC", now=NOW)


@pytest.mark.parametrize(("value", "why"), [("1999-12-31T23:00:00+00:00", "too far in the past"),
                                            ("0001-01-01T00:00:00+05:00", "too far in the past"),
                                            ("2101-01-01T00:00:00", "future"),
                                            ("9999-12-31T23:59:59-05:00", "future"),
                                            ("yesterday", "ISO 8601")])  # fmt: skip
def test_moments_out_of_reach_are_refused(value, why):
    assert why in refused(v.instant, value, "UTC", now=NOW)


@pytest.mark.parametrize("value", [1733300000, ["2026-06-01"], {"at": "2026-06-01"}])
def test_a_moment_that_is_not_text_is_refused(value):
    assert "ISO 8601" in refused(v.instant, value, "UTC", now=NOW)


def test_operation_ids_are_canonical_uuids():
    assert v.operation_id("0F8FAD5B-D9CB-469F-A165-70867728950E", required=True) == (
        "0f8fad5b-d9cb-469f-a165-70867728950e"
    )
    for bad in ("{0f8fad5b-d9cb-469f-a165-70867728950e}", "0f8fad5bd9cb469fa16570867728950e", 7):
        assert "UUID" in refused(v.operation_id, bad, required=True)
    assert v.operation_id(None, required=False) is None
    assert "required" in refused(v.operation_id, None, required=True)


def test_the_first_and_last_years_are_reachable():
    first = v.instant("2000-01-01T00:00:00+00:00", "UTC", now=NOW)
    assert first == datetime(2000, 1, 1, tzinfo=timezone.utc)
    last_day = datetime(2100, 12, 31, 12, 0, tzinfo=timezone.utc)
    assert v.instant("2100-12-31T11:00:00Z", "UTC", now=last_day) < last_day


@pytest.mark.parametrize("bad", [".Hill", "'Ohio", "-Lane", "Hill2", "Hill@"])
def test_an_area_name_starts_with_a_letter_and_holds_no_digits_or_symbols(bad):
    assert "county name" in refused(v.area, bad)


def test_area_names_with_accents_spaces_dots_apostrophes_and_dashes_are_taken():
    assert v.area("  Doña  Ana ") == "Doña Ana"
    assert v.area("St. Mary's-on-the-Hill") == "St. Mary's-on-the-Hill"
    assert v.area("97214-1234") == "972"
