"""The import's row checks, rule by rule, as a coordinator reads the refusals they name."""

import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from supplies.extensions import db
from supplies.models import FundingSource, Site, Supply
from supplies.services.common import clock
from supplies.services.db.unit_of_work import transaction
from supplies.services.imports import rows as checks
from supplies.services.imports import runner
from supplies.services.imports.columns import map_columns
from tests.imports.files import DISTRIBUTION_HEADER, STOCK_HEADER, csv_file, xlsx

EXPIRES = date.today() + timedelta(days=500)
RECEIVED = date.today() - timedelta(days=200)


def stock_preview(user, tmp_path, rows, header=STOCK_HEADER):
    """What the preview of a stock sheet with these rows (after the header) says."""
    path = csv_file(tmp_path / "stock.csv", [header, *rows])
    return runner.preview(user, path, "stock.csv", "stock")


def lines(checked) -> list[str]:
    """The refusals as the preview page lists them."""
    return [str(error) for error in checked.errors]


# --- starting stock ------------------------------------------------------------------


def test_a_refusal_of_the_whole_file_reads_as_the_message_alone(program, tmp_path):
    checked = stock_preview(program["users"]["admin"], tmp_path, [])
    assert lines(checked) == ["The file has a header but no rows."]


def test_a_row_without_a_site_or_a_supply_is_refused_as_incomplete(program, tmp_path):
    rows = [[None, "FTS", None, None, None, 5, None], ["HUB", None, None, None, None, 5, None]]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows)
    assert lines(checked) == [
        "row 2, column A (site): is required",
        "row 3, column B (supply): is required",
    ]
    assert checked.plan == []


def test_a_lot_number_longer_than_64_characters_names_its_row(program, tmp_path):
    rows = [
        ["HUB", "FTS", "L" * 64, None, None, 5, None],
        ["HUB", "FTS", "M" * 65, None, None, 5, None],
    ]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows)
    assert lines(checked) == ["row 3, column C (lot_number): must be at most 64 characters"]


def test_a_day_received_that_is_not_a_date_names_its_row(program, tmp_path):
    rows = [["HUB", "FTS", None, None, None, 5, "last spring"]]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows)
    assert [(e.row, e.column) for e in checked.errors] == [(2, "G (received_on)")]


def test_stock_received_today_is_accepted_but_tomorrow_is_in_the_future(program, tmp_path):
    today = clock.today()
    rows = [
        ["HUB", "FTS", None, None, None, 5, today.isoformat()],
        ["HUB", "FTS", None, None, None, 5, (today + timedelta(days=1)).isoformat()],
    ]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows)
    assert lines(checked) == ["row 3, column G (received_on): cannot be in the future"]


def test_a_lot_that_expired_before_it_was_received_is_sent_to_disposal_or_return(program, tmp_path):
    received = RECEIVED.isoformat()
    before = (RECEIVED - timedelta(days=1)).isoformat()
    rows = [
        ["HUB", "NARCAN4", "SAMEDAY", received, None, 5, received],
        ["HUB", "NARCAN4", "GONE", before, None, 5, received],
    ]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows)
    assert lines(checked) == [
        f"row 3, column D (expires_on): expired on {before}, before it was received: "
        "receive it for disposal or return instead"
    ]


def test_a_lot_tracked_supply_in_a_file_without_a_lot_column_asks_for_the_lot(program, tmp_path):
    header = ["site", "supply", "expires_on", "quantity"]
    rows = [["HUB", "NARCAN4", EXPIRES.isoformat(), 5], ["HUB", "NARCAN4", None, 5]]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows, header)
    assert lines(checked) == [
        "row 2: NARCAN4 tracks lots: enter the lot number",
        "row 3: NARCAN4 tracks lots: enter the lot number",
        "row 3, column C (expires_on): NARCAN4 tracks lots: enter the expiry",
    ]


def test_a_lot_tracked_supply_in_a_file_without_an_expiry_column_asks_for_the_expiry(
    program, tmp_path
):
    header = ["site", "supply", "lot_number", "quantity"]
    checked = stock_preview(
        program["users"]["admin"], tmp_path, [["HUB", "NARCAN4", "L1", 5]], header
    )
    assert lines(checked) == ["row 2: NARCAN4 tracks lots: enter the expiry"]


def test_a_missing_expiry_is_named_even_when_the_row_has_other_errors(program, tmp_path):
    rows = [["HUB", "NARCAN4", "L1", None, None, -5, None]]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows)
    assert lines(checked) == [
        "row 2, column D (expires_on): NARCAN4 tracks lots: enter the expiry",
        "row 2, column F (quantity): must be a whole number from 1 to 100000: negative",
    ]


def test_expiry_dates_without_a_lot_are_not_compared(program, tmp_path):
    later = EXPIRES + timedelta(days=30)
    rows = [
        ["HUB", "FTS", None, None, None, 5, None],
        ["HUB", "FTS", None, EXPIRES.isoformat(), None, 5, None],
        ["HUB", "FTS", None, later.isoformat(), None, 5, None],
        [None, None, None, later.isoformat(), None, 5, None],
    ]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows)
    assert [(e.row, e.column) for e in checked.errors] == [(5, "A (site)"), (5, "B (supply)")]


def test_a_lot_given_two_expiry_dates_in_the_file_names_both(program, tmp_path):
    later = EXPIRES + timedelta(days=30)
    rows = [
        ["HUB", "NARCAN4", "L7", EXPIRES.isoformat(), None, 5, None],
        ["VAN", "NARCAN4", "L7", later.isoformat(), None, 5, None],
    ]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows)
    assert lines(checked) == [
        f"row 3, column D (expires_on): lot L7 has two expiry dates: {EXPIRES.isoformat()} "
        f"in row 2 and {later.isoformat()} here"
    ]


def test_a_lot_already_on_the_books_with_another_expiry_names_the_known_one(
    program, make, tmp_path
):
    make.receive("HUB", "NARCAN4", 5, lot="OLD1", expires_in_days=100)
    known = date.today() + timedelta(days=100)
    rows = [["VAN", "NARCAN4", "OLD1", EXPIRES.isoformat(), None, 5, None]]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows)
    assert lines(checked) == [
        f"row 2, column D (expires_on): lot OLD1 is already known with expiry {known}"
    ]


def test_the_source_column_says_how_the_stock_came(program, tmp_path):
    header = [*STOCK_HEADER, "source"]
    rows = [
        ["HUB", "FTS", None, None, None, 5, RECEIVED.isoformat(), "donation"],
        ["HUB", "FTS", None, None, None, 5, RECEIVED.isoformat(), "purchase"],
        ["HUB", "FTS", None, None, None, 5, RECEIVED.isoformat(), "stolen"],
    ]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows, header)
    assert [(e.row, e.column) for e in checked.errors] == [(4, "H (source)")]
    assert "must be one of" in checked.errors[0].message
    assert [(receipt.source, len(receipt.lines)) for receipt in checked.plan] == [
        ("donation", 1),
        ("purchase", 1),
    ]


def test_a_long_stock_file_reports_progress_every_thousand_rows(program):
    columns, _ = map_columns("stock", ["site", "supply", "quantity"], 1)
    for count, expected in ((999, []), (1000, [1000])):
        reported: list[int] = []
        sheet = [(row, ["HUB", "FTS", 1]) for row in range(2, count + 2)]
        plan, errors, _ = checks.check_stock(sheet, columns, checks.lookups(), reported.append)
        assert errors == [] and reported == expected
    sheet = [(row, ["HUB", "FTS", 1]) for row in range(2, 1002)]
    plan, errors, counts = checks.check_stock(sheet, columns, checks.lookups())
    assert counts[("HUB", "FTS")] == {"rows": 1000, "units": 1000}


def test_a_long_distribution_file_reports_progress_every_thousand_rows(program):
    columns, _ = map_columns("distributions", DISTRIBUTION_HEADER, 1)
    day = date.today() - timedelta(days=3)
    for count, expected in ((999, []), (1000, [1000])):
        reported: list[int] = []
        sheet = [(row, [day, "NOWHERE", "FTS", 1]) for row in range(2, count + 2)]
        checks.check_distributions(sheet, columns, checks.lookups(), reported.append)
        assert reported == expected
    sheet = [(row, [day, "NOWHERE", "FTS", 1]) for row in range(2, 1002)]
    _, errors, _ = checks.check_distributions(sheet, columns, checks.lookups())
    assert len(errors) == 1000


def test_rows_received_at_one_site_on_one_day_become_receipts_of_at_most_100_lines(program):
    columns, _ = map_columns("stock", ["site", "supply", "quantity", "received_on"], 1)
    sheet = [(row, ["HUB", "FTS", 1, RECEIVED]) for row in range(2, 203)]
    sheet += [(203, ["VAN", "FTS", 1, RECEIVED]), (204, ["HUB", "FTS", 1, None])]
    plan, errors, _ = checks.check_stock(sheet, columns, checks.lookups())
    assert errors == []
    assert [(r.site, r.received_on, len(r.lines)) for r in plan] == [
        ("HUB", RECEIVED, 100),
        ("HUB", RECEIVED, 100),
        ("HUB", RECEIVED, 1),
        ("VAN", RECEIVED, 1),
        ("HUB", None, 1),
    ]
    assert [row for row, _ in plan[2].lines] == [202]


# --- past distributions ----------------------------------------------------------------

DAY = date.today() - timedelta(days=60)
EVENT_HEADER = [*DISTRIBUTION_HEADER, "event", "age_band", "trained"]


def history_preview(user, tmp_path, rows, header=EVENT_HEADER):
    """What the preview of a distribution history with these rows says."""
    path = csv_file(tmp_path / "history.csv", [header, *rows])
    return runner.preview(user, path, "history.csv", "distributions")


@pytest.fixture
def stocked(program, receive_on):
    """HUB received 20 Narcan and 100 test strips a year ago."""
    receive_on("HUB", "NARCAN4", 20)
    receive_on("HUB", "FTS", 100)
    return program


def test_a_distribution_row_missing_its_date_site_supply_or_quantity_is_refused(stocked, tmp_path):
    day = DAY.isoformat()
    rows = [
        [None, "HUB", "FTS", 1],
        [day, None, "FTS", 1],
        [day, "HUB", None, 1],
        [day, "HUB", "FTS", None],
        [day, "HUB", "FTS", 1],
    ]
    checked = history_preview(stocked["users"]["admin"], tmp_path, rows, DISTRIBUTION_HEADER)
    assert lines(checked) == [
        "row 2, column A (date): is required",
        "row 3, column B (site): is required",
        "row 4, column C (supply): is required",
        "row 5, column D (quantity): is required",
    ]
    assert [[row for row, _, _ in event.items] for event in checked.plan] == [[6]]


def test_an_event_label_longer_than_64_characters_is_refused(stocked, tmp_path):
    day = DAY.isoformat()
    rows = [[day, "HUB", "FTS", 1, "e" * 64], [day, "HUB", "FTS", 1, "f" * 65]]
    checked = history_preview(stocked["users"]["admin"], tmp_path, rows)
    assert lines(checked) == ["row 3, column E (event): must be at most 64 characters"]


def test_an_event_whose_rows_disagree_names_the_first_row_and_its_value(stocked, tmp_path):
    day = DAY.isoformat()
    rows = [
        [day, "HUB", "FTS", 1, "a", "18-24", None],
        [day, "HUB", "NARCAN4", 1, "a", "25-34", "yes"],
        [day, "HUB", "FTS", 2, "a", "35-44", "no"],
        [day, "HUB", "FTS", 3, "b", None, None],
    ]
    checked = history_preview(stocked["users"]["admin"], tmp_path, rows)
    assert lines(checked) == [
        "row 3, column F (age_band): differs from row 2 of the same event ('18_24')",
        "row 4, column C (supply): FTS is listed twice in the same event",
        "row 4, column F (age_band): differs from row 2 of the same event ('18_24')",
        "row 4, column G (trained): differs from row 3 of the same event (True)",
    ]
    # The refused event is left out whole; the good one is kept.
    assert [(event.first_row, len(event.items)) for event in checked.plan] == [(5, 1)]


def test_events_are_checked_against_the_stock_in_the_order_they_happened(stocked, tmp_path):
    rows = [
        [(DAY + timedelta(days=2)).isoformat(), "HUB", "FTS", 1, "c"],
        [DAY.isoformat(), "HUB", "FTS", 1, "b"],
        [DAY.isoformat(), "HUB", "FTS", 1, "a"],
        [(DAY + timedelta(days=1)).isoformat(), "HUB", "FTS", 1, "a"],
    ]
    checked = history_preview(stocked["users"]["admin"], tmp_path, rows)
    assert checked.errors == []
    assert [event.first_row for event in checked.plan] == [3, 4, 5, 2]
    assert [event.site.code for event in checked.plan] == ["HUB"] * 4


def test_a_time_with_its_own_offset_is_taken_at_that_offset(stocked, tmp_path):
    rows = [[f"{DAY.isoformat()}T10:00:00+02:00", "HUB", "FTS", 1]]
    checked = history_preview(stocked["users"]["admin"], tmp_path, rows, DISTRIBUTION_HEADER)
    assert checked.errors == []
    assert checked.plan[0].occurred_at == datetime(
        DAY.year, DAY.month, DAY.day, 8, tzinfo=timezone.utc
    )


def test_a_time_without_an_offset_is_read_on_the_programs_clock(
    stocked, tmp_path, app, monkeypatch
):
    app.config["APP_TIMEZONE"] = "America/Chicago"
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # the server's own zone plays no part
    time.tzset()
    rows = [[f"{DAY.isoformat()} 09:30", "HUB", "FTS", 1]]
    try:
        checked = history_preview(stocked["users"]["admin"], tmp_path, rows, DISTRIBUTION_HEADER)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert checked.errors == []
    local = datetime(DAY.year, DAY.month, DAY.day, 9, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert checked.plan[0].occurred_at == local.astimezone(timezone.utc)
    assert checked.plan[0].occurred_at.utcoffset() == timedelta(0)


def test_a_time_up_to_five_minutes_ahead_of_the_clock_is_allowed(stocked):
    columns, _ = map_columns("distributions", DISTRIBUTION_HEADER, 1)
    now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
    sheet = [
        (2, [now + timedelta(minutes=5), "HUB", "FTS", 1]),
        (3, [now + timedelta(minutes=5, seconds=1), "HUB", "FTS", 1]),
    ]
    with clock.replaying(now):
        plan, errors, _ = checks.check_distributions(sheet, columns, checks.lookups())
    assert [str(error) for error in errors] == ["row 3, column A (date): is in the future"]
    assert [event.first_row for event in plan] == [2]


def test_the_first_day_of_2000_is_not_before_2000(stocked):
    columns, _ = map_columns("distributions", DISTRIBUTION_HEADER, 1)
    sheet = [(2, [date(2000, 1, 1), "HUB", "FTS", 1]), (3, [date(1999, 12, 31), "HUB", "FTS", 1])]
    _, errors, _ = checks.check_distributions(sheet, columns, checks.lookups())
    # 2000-01-01 passes the date check and is then held to the stock on hand that day.
    assert sorted((e.row, e.message.split(":")[0]) for e in errors) == [
        (2, "stock would go negative"),
        (3, "is before 2000"),
    ]


FIELDS_HEADER = [
    *DISTRIBUTION_HEADER,
    "setting",
    "recipient_type",
    "for_others",
    "first_time",
    "age_band",
    "area",
    "trained",
    "reversals_reported",
    "resupply_reason",
    "language",
]


def test_every_event_field_is_read_as_the_coordinator_wrote_it(stocked, tmp_path):
    rows = [
        FIELDS_HEADER,
        [DAY, "HUB", "FTS", 1, "Mobile Van", "friend or family", "yes", True, "65+"]
        + ["97201", "no", 2, "used on overdose", "Español"],
        [DAY, "HUB", "FTS", 1, None, None, None, False, None, None, None, 0, None, " English "],
        [DAY, "HUB", "FTS", 1, None, None, None, "unknown", None, None, None, None, None, "es"],
        [DAY, "HUB", "FTS", 1, None, None, None, None, None, None, None, None, None, "SPANISH"],
    ]
    path = xlsx(tmp_path / "fields.xlsx", rows)
    checked = runner.preview(stocked["users"]["admin"], path, "fields.xlsx", "distributions")
    assert checked.errors == []
    assert [event.fields for event in checked.plan] == [
        {
            "setting": "mobile_van",
            "recipient_type": "friend_or_family",
            "for_others": True,
            "first_time": "yes",
            "age_band": "65_plus",
            "area": "972",
            "trained": False,
            "reversals_reported": 2,
            "resupply_reason": "used_on_overdose",
            "language": "es",
        },
        {"first_time": "no", "reversals_reported": 0, "language": "en"},
        {"first_time": "unknown", "language": "es"},
        {"language": "es"},
    ]


def test_event_fields_out_of_range_are_refused_by_name(stocked, tmp_path):
    rows = [
        [DAY, "HUB", "FTS", 1, "home", "stranger", "perhaps", "twice", None]
        + [None, None, 1001, "bored", "Klingon"],
        [DAY, "HUB", "FTS", 1, None, None, None, None, None, None, None, 1000, None, None],
    ]
    path = xlsx(tmp_path / "bad-fields.xlsx", [FIELDS_HEADER, *rows])
    checked = runner.preview(stocked["users"]["admin"], path, "bad.xlsx", "distributions")
    assert [(e.row, e.column) for e in checked.errors] == [
        (2, "E (setting)"),
        (2, "F (recipient_type)"),
        (2, "G (for_others)"),
        (2, "H (first_time)"),
        (2, "L (reversals_reported)"),
        (2, "M (resupply_reason)"),
        (2, "N (language)"),
    ]
    assert checked.errors[-1].message == "must be one of: en, es, other"


def test_sites_and_supplies_are_found_by_code_or_name_in_any_case(stocked, tmp_path):
    rows = [
        [DAY.isoformat(), "hub", "fts", 1],
        [DAY.isoformat(), "site  hub", "FENTANYL TEST STRIP", 1],
        [DAY.isoformat(), "HUB", "narcan 4 mg nasal spray", 1],
    ]
    checked = history_preview(stocked["users"]["admin"], tmp_path, rows, DISTRIBUTION_HEADER)
    assert checked.errors == []
    assert [(e.site.code, e.items[0][1].code) for e in checked.plan] == [
        ("HUB", "FTS"),
        ("HUB", "FTS"),
        ("HUB", "NARCAN4"),
    ]


def test_a_name_shared_by_two_sites_asks_for_the_code(stocked, make, tmp_path):
    make.site("NORTH", name="Outreach")
    make.site("SOUTH", name="outreach")
    make.site("EAST", name="north")
    rows = [
        [DAY.isoformat(), "OUTREACH", "FTS", 1],
        [DAY.isoformat(), "Nowhere", "FTS", 1],
        [DAY.isoformat(), "x" * 121, "FTS", 1],
        [DAY.isoformat(), "NORTH", "FTS", 1],  # the code wins over another site's name
    ]
    checked = history_preview(stocked["users"]["admin"], tmp_path, rows, DISTRIBUTION_HEADER)
    assert lines(checked) == [
        "row 2, column B (site): 'OUTREACH' names more than one site; use the code",
        "row 3, column B (site): no site has the code or name 'Nowhere'",
        "row 4, column B (site): must be at most 120 characters",
        "row 5, column D (quantity): stock would go negative: only 0 FTS usable at NORTH on "
        f"{DAY.isoformat()}, 1 distributed",
    ]


def test_a_distribution_at_a_partner_agency_is_refused(stocked, make, tmp_path):
    """A partner agency reports what it hands out each month; its stock can still arrive."""
    make.site("CLINIC", "partner_agency", name="Eastside Clinic")
    make.receive("CLINIC", "FTS", 50)
    rows = [[DAY.isoformat(), "Eastside Clinic", "FTS", 1], [DAY.isoformat(), "HUB", "FTS", 1]]
    checked = history_preview(stocked["users"]["admin"], tmp_path, rows, DISTRIBUTION_HEADER)
    assert lines(checked) == [
        "row 2, column B (site): is a partner agency: it reports what it hands out each month"
    ]
    stock = [["CLINIC", "FTS", None, None, "SOR", 5, None]]
    assert lines(stock_preview(stocked["users"]["admin"], tmp_path, stock)) == []


def test_a_row_of_an_event_without_a_supply_is_refused_and_the_rest_still_checked(
    stocked, tmp_path
):
    day = DAY.isoformat()
    rows = [[day, "HUB", None, 1, "a"], [day, "HUB", "FTS", 1, "a"]]
    checked = history_preview(stocked["users"]["admin"], tmp_path, rows)
    assert lines(checked) == ["row 2, column C (supply): is required"]
    assert checked.plan == []


def test_an_inactive_site_or_supply_is_refused_but_an_ended_grant_still_paid(program, tmp_path):
    with transaction():
        db.session.execute(db.update(Site).where(Site.code == "VAN").values(active=False))
        db.session.execute(db.update(Supply).where(Supply.code == "FTS").values(active=False))
        db.session.execute(db.update(FundingSource).values(active=False))
    rows = [
        ["VAN", "NARCAN4", "L1", EXPIRES.isoformat(), "SOR", 5, None],
        ["HUB", "FTS", None, None, "sor", 5, None],
        ["HUB", "NARCAN4", "L1", EXPIRES.isoformat(), "Funding SOR", 5, None],
    ]
    checked = stock_preview(program["users"]["admin"], tmp_path, rows)
    assert lines(checked) == [
        "row 2, column A (site): site VAN is inactive",
        "row 3, column B (supply): supply FTS is inactive",
    ]
    assert [line.funding for _, line in checked.plan[0].lines] == ["SOR"]


def test_a_short_row_reads_its_missing_cells_as_blank(program, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("site,supply,lot_number,expires_on,funding,quantity\nHUB,FTS\n")
    checked = runner.preview(program["users"]["admin"], path, "short.csv", "stock")
    assert lines(checked) == ["row 2, column F (quantity): is required"]


def test_a_formula_without_a_saved_value_asks_to_save_the_file_in_excel(program, tmp_path):
    rows = [STOCK_HEADER, ["HUB", "FTS", None, None, None, "=2+3", None]]
    path = xlsx(tmp_path / "formula.xlsx", rows)
    checked = runner.preview(program["users"]["admin"], path, "formula.xlsx", "stock")
    assert lines(checked) == [
        "row 2, column F (quantity): is a formula without a saved value; save the file in Excel"
    ]


def test_every_row_of_an_event_in_a_closed_quarter_is_named_and_the_event_left_out(
    stocked, tmp_path, app
):
    app.config["REPORTING_CLOSE_DAYS"] = 15
    old = (date.today() - timedelta(days=300)).isoformat()
    rows = [
        [DAY.isoformat(), "HUB", "FTS", 1, "new"],
        [old, "HUB", "FTS", 1, "old"],
        [DAY.isoformat(), "HUB", "FTS", 1, "newer"],
        [old, "HUB", "NARCAN4", 1, "old"],
        [old, "HUB", "FTS", 1, "old"],
    ]
    checked = history_preview(stocked["users"]["admin"], tmp_path, rows)
    assert [(e.row, e.column) for e in checked.errors] == [
        (3, "A (date)"),
        (5, "A (date)"),
        (6, "C (supply)"),
    ]
    assert [event.first_row for event in checked.plan] == [2, 4]


def test_a_file_without_lot_or_expiry_columns_asks_for_both_at_once(program, tmp_path):
    # Found by the mutation run: the lot's refusal (no column) hid the expiry's.
    checked = stock_preview(
        program["users"]["admin"], tmp_path, [["HUB", "NARCAN4", 5]], ["site", "supply", "quantity"]
    )
    assert lines(checked) == [
        "row 2: NARCAN4 tracks lots: enter the lot number",
        "row 2: NARCAN4 tracks lots: enter the expiry",
    ]
