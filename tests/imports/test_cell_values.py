"""Cells as people type them, read into clean values: each rule and what the uploader reads.

The reasons are shown after "row 7, column C:", so their English text is asserted too.
"""

from datetime import date, datetime, time, timezone

import pytest

from supplies.services.imports import values as cell


def reason(read, *args):
    """The reason the uploader reads when a cell is refused."""
    with pytest.raises(cell.CellError) as refused:
        read(*args)
    return str(refused.value)


# Blank cells


@pytest.mark.parametrize("typed", [None, "", "   ", "\t"])
def test_an_empty_cell_or_one_of_only_spaces_is_blank(typed):
    assert cell.blank(typed)


@pytest.mark.parametrize("typed", ["x", " 0 ", 0, 0.0, False])
def test_a_cell_with_anything_in_it_is_not_blank(typed):
    assert not cell.blank(typed)


@pytest.mark.parametrize(
    "read",
    [
        cell.text,
        lambda x: cell.whole_number(x, 1, 10),
        cell.moment,
        cell.day,
        cell.yes_no,
        lambda x: cell.choice(x, ("a",)),
        cell.area,
    ],
)
@pytest.mark.parametrize("typed", [None, "", "  "])
def test_a_blank_cell_is_read_as_nothing_in_every_column(read, typed):
    assert read(typed) is None


# Text


def test_text_is_trimmed_and_runs_of_spaces_become_one():
    assert cell.text("  Harm   reduction\tkit ") == "Harm reduction kit"


def test_a_number_in_a_text_column_is_written_without_a_decimal_point():
    assert cell.text(12.0) == "12"
    assert cell.text(12) == "12"
    assert cell.text(2.5) == "2.5"


def test_text_of_exactly_120_characters_is_kept_and_121_is_refused():
    assert cell.text("a" * 120) == "a" * 120
    assert reason(cell.text, "a" * 121) == "must be at most 120 characters"


def test_a_column_with_a_shorter_limit_says_its_limit():
    assert cell.text("abcd", 4) == "abcd"
    assert reason(cell.text, "abcde", 4) == "must be at most 4 characters"


def test_a_tick_box_in_a_text_column_is_refused():
    assert reason(cell.text, True) == "must be text"


@pytest.mark.parametrize("typed", [date(2026, 3, 5), datetime(2026, 3, 5, 14, 30)])
def test_a_date_in_a_text_column_is_refused_as_a_date(typed):
    assert reason(cell.text, typed) == "must be text, not a date"


# Whole numbers


def test_the_smallest_and_largest_allowed_numbers_are_accepted():
    assert cell.whole_number(1, 1, 10) == 1
    assert cell.whole_number(10, 1, 10) == 10
    assert cell.whole_number("0", 0, 1000) == 0


def test_a_number_written_with_a_decimal_point_or_an_exponent_is_read():
    assert cell.whole_number("12.0", 1, 100000) == 12
    assert cell.whole_number("1,200.00", 1, 100000) == 1200
    assert cell.whole_number("1E+03", 1, 100000) == 1000
    assert cell.whole_number("2e2", 1, 100000) == 200


def test_a_long_number_typed_as_text_is_reported_exactly():
    assert reason(cell.whole_number, "99999999999999999999", 1, 100000) == (
        "must be a whole number from 1 to 100000: 99999999999999999999 is too large"
    )


def test_a_fraction_is_refused_saying_so():
    expected = "must be a whole number from 1 to 100000: 2.5 is a fraction"
    assert reason(cell.whole_number, 2.5, 1, 100000) == expected
    assert reason(cell.whole_number, "2.5", 1, 100000) == expected
    assert reason(cell.whole_number, "2.5e0", 1, 100000) == expected


def test_a_negative_number_is_refused_as_negative():
    expected = "must be a whole number from 1 to 100000: negative"
    assert reason(cell.whole_number, -3, 1, 100000) == expected
    assert reason(cell.whole_number, "-1", 0, 10) == "must be a whole number from 0 to 10: negative"


def test_zero_where_the_least_is_one_is_too_small_not_negative():
    assert reason(cell.whole_number, 0, 1, 100000) == (
        "must be a whole number from 1 to 100000: 0 is too small"
    )


def test_a_number_below_a_higher_minimum_is_too_small():
    expected = "must be a whole number from 5 to 9: 4 is too small"
    assert reason(cell.whole_number, 4, 5, 9) == expected


def test_a_number_above_the_maximum_is_too_large():
    assert reason(cell.whole_number, "100001", 1, 100000) == (
        "must be a whole number from 1 to 100000: 100001 is too large"
    )


def test_words_in_a_number_column_are_quoted_back():
    assert reason(cell.whole_number, " ten ", 1, 100000) == (
        "must be a whole number from 1 to 100000 (found 'ten')"
    )
    assert reason(cell.whole_number, "inf", 1, 100000) == (
        "must be a whole number from 1 to 100000 (found 'inf')"
    )


def test_long_words_in_a_number_column_are_quoted_to_20_characters():
    typed = "about twenty boxes of naloxone"
    assert reason(cell.whole_number, typed, 1, 100000) == (
        "must be a whole number from 1 to 100000 (found 'about twenty boxes o')"
    )


@pytest.mark.parametrize("typed", [True, False, date(2026, 3, 5), datetime(2026, 3, 5, 9)])
def test_a_tick_box_or_a_date_in_a_number_column_is_refused(typed):
    assert reason(cell.whole_number, typed, 1, 100000) == (
        "must be a whole number from 1 to 100000"
    )


# Dates: Excel serial numbers


def test_an_excel_serial_number_for_1_jan_2000_is_read_as_that_day():
    assert cell.moment(36526) == date(2000, 1, 1)


def test_an_excel_serial_number_for_31_dec_2099_is_read_as_that_day():
    assert cell.moment(73050) == date(2099, 12, 31)


def test_an_excel_serial_with_a_fraction_of_a_day_is_a_time():
    assert cell.moment(46086.75) == datetime(2026, 3, 5, 18, 0)


@pytest.mark.parametrize(("typed", "shown"), [(36525, "36525"), (73051, "73051"), (12.5, "12.5")])
def test_a_serial_number_outside_2000_to_2099_is_refused_with_the_number(typed, shown):
    assert reason(cell.moment, typed) == (
        f"must be a date; {shown} is not a date between 2000 and 2099"
    )


# Dates: text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026/03/05", date(2026, 3, 5)),
        ("2026-03-05Z", date(2026, 3, 5)),
        ("2026-03-05T14:30:00Z", datetime(2026, 3, 5, 14, 30, tzinfo=timezone.utc)),
        ("3-5-2026", date(2026, 3, 5)),
        ("3.5.26", date(2026, 3, 5)),
        ("5 Mar 2026", date(2026, 3, 5)),
        ("March 5, 2026", date(2026, 3, 5)),
        ("March 5 2026", date(2026, 3, 5)),
        ("Mar 5 2026", date(2026, 3, 5)),
    ],
)
def test_dates_written_the_ways_people_and_systems_write_them_are_read(typed, expected):
    assert cell.moment(typed) == expected


def test_a_year_written_in_full_is_kept_as_written():
    assert cell.moment("3/5/0100") == date(100, 3, 5)
    assert cell.moment("3/5/99") == date(2099, 3, 5)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("03/05/2026 14:30", time(14, 30)),
        ("03/05/2026 14:30:15", time(14, 30, 15)),
        ("03/05/2026 2:30 PM", time(14, 30)),
        ("03/05/2026 2:30 pm", time(14, 30)),
        ("03/05/2026 2:30:15 PM", time(14, 30, 15)),
        ("03/05/2026 2:30PM", time(14, 30)),
        ("03/05/2026 9:05am", time(9, 5)),
    ],
)
def test_a_time_typed_after_a_us_date_is_read(typed, expected):
    assert cell.moment(typed) == datetime.combine(date(2026, 3, 5), expected)


def test_a_time_that_is_not_a_time_is_refused_quoting_the_cell():
    expected = "'03/05/2026 25:99' has a time that is not a time"
    assert reason(cell.moment, "03/05/2026 25:99") == expected


def test_a_long_cell_with_a_bad_time_is_quoted_to_30_characters():
    typed = "03/05/2026 after lunch, around two"
    expected = "'03/05/2026 after lunch, around' has a time that is not a time"
    assert reason(cell.moment, typed) == expected


def test_a_us_date_that_does_not_exist_is_refused_as_month_day_year():
    assert reason(cell.moment, "13/45/2026") == "'13/45/2026' is not a date (month/day/year)"


def test_text_that_is_no_date_is_refused_asking_for_year_month_day():
    assert reason(cell.moment, " soon ") == "'soon' is not a date (write YYYY-MM-DD)"
    assert reason(cell.moment, "12") == "'12' is not a date (write YYYY-MM-DD)"


def test_long_text_that_is_no_date_is_quoted_to_30_characters():
    typed = "sometime in the spring, ask Dana"
    assert reason(cell.moment, typed) == (
        "'sometime in the spring, ask Da' is not a date (write YYYY-MM-DD)"
    )


def test_a_lowercase_z_means_utc_as_an_uppercase_one_does():
    # RFC 3339 allows either case, and the API takes both.
    assert cell.moment("2026-03-05T14:30z") == datetime(2026, 3, 5, 14, 30, tzinfo=timezone.utc)


# Dates: cells Excel already holds as dates


def test_an_excel_date_with_a_time_keeps_its_time():
    assert cell.moment(datetime(2026, 3, 5, 14, 30)) == datetime(2026, 3, 5, 14, 30)


def test_an_excel_date_cell_holding_a_plain_date_is_that_day():
    assert cell.moment(date(2026, 3, 5)) == date(2026, 3, 5)


def test_an_excel_date_with_a_zone_is_read_as_its_clock_time():
    found = cell.moment(datetime(2026, 3, 5, 14, 30, tzinfo=timezone.utc))
    assert found == datetime(2026, 3, 5, 14, 30) and found.tzinfo is None
    assert cell.moment(datetime(2026, 3, 5, tzinfo=timezone.utc)) == date(2026, 3, 5)


@pytest.mark.parametrize("typed", [True, False])
def test_a_tick_box_in_a_date_column_is_refused(typed):
    assert reason(cell.moment, typed) == "must be a date"


# Days: a date without a time


@pytest.mark.parametrize(
    "typed", ["2026-03-05", datetime(2026, 3, 5), 46086, "2026-03-05 00:00", date(2026, 3, 5)]
)
def test_a_day_column_reads_a_date(typed):
    found = cell.day(typed)
    assert found == date(2026, 3, 5) and type(found) is date


@pytest.mark.parametrize(
    "typed",
    ["2026-03-05 14:30", datetime(2026, 3, 5, 14, 30), "2026-03-05T00:00:00Z", 46086.5],
)
def test_a_day_column_refuses_a_time_of_day_as_a_likely_mix_up(typed):
    assert reason(cell.day, typed) == "must be a date without a time of day"


# Yes or no


@pytest.mark.parametrize(
    "typed", ["yes", " Yes ", "Y", "true", "TRUE", "t", "x", "X", "1", 1, 1.0, True]
)
def test_yes_true_1_x_and_a_ticked_box_are_yes(typed):
    assert cell.yes_no(typed) is True


@pytest.mark.parametrize("typed", ["no", " NO ", "n", "false", "F", "0", 0, 0.0, False])
def test_no_false_0_and_an_unticked_box_are_no(typed):
    assert cell.yes_no(typed) is False


@pytest.mark.parametrize("typed", ["maybe", 2, 1.5, "yes please"])
def test_anything_else_in_a_yes_no_column_is_refused(typed):
    assert reason(cell.yes_no, typed) == "must be yes or no"


# Choices

BANDS = ("under_18", "18_24", "25_34", "55_plus")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("18-24", "18_24"),
        (" 18 - 24 ", "18_24"),
        ("Under 18", "under_18"),
        ("UNDER-18", "under_18"),
        ("55+", "55_plus"),
        ("55 +", "55_plus"),
    ],
)
def test_a_choice_forgives_case_spaces_dashes_and_a_plus(typed, expected):
    assert cell.choice(typed, BANDS) == expected


def test_a_choice_typed_as_a_number_is_read_without_a_decimal_point():
    assert cell.choice(3.0, ("1", "2", "3")) == "3"
    assert cell.choice(2, ("1", "2", "3")) == "2"


def test_a_choice_not_on_the_list_is_refused_listing_the_choices():
    assert reason(cell.choice, "35-44", BANDS) == "must be one of: under_18, 18_24, 25_34, 55_plus"


# Areas


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (2134, "02134"),
        (2134.0, "02134"),
        (1000, "01000"),
        (999, "999"),
        (21, "021"),
        (21.0, "021"),
        (90210, "90210"),
        (123456, "123456"),
    ],
)
def test_a_zip_stored_as_a_number_gets_back_its_leading_zeros(typed, expected):
    assert cell.area(typed) == expected


def test_an_area_typed_as_text_is_kept_as_typed_but_trimmed():
    assert cell.area("  Alder County ") == "Alder County"
    assert cell.area(" 02134 ") == "02134"
