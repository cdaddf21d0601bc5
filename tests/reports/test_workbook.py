"""The funder workbook read back with openpyxl: sheets, tables, headers and every cell."""

import zipfile
from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from supplies.extensions import db
from supplies.models import AuditEntry
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from tests.conftest import make_app
from tests.reports import dataset

CONTRACT = {
    "Summary": ("Summary", ["Supply", "Category", "Unit", "Units distributed",
                            "Doses distributed", "Encounters"]),
    "By Month": ("ByMonth", ["Month", "Supply", "Units distributed", "Doses distributed"]),
    "By Site": ("BySite", ["Site", "Supply", "Units distributed", "Doses distributed"]),
    "Recipients": ("Recipients", ["Quarter", "Breakdown", "Value", "Encounters"]),
    "Reversals": ("Reversals", ["Quarter", "Reversals reported", "Encounters with training"]),
    "Inventory": ("Inventory", ["Site", "Supply", "Opening", "Received", "Transferred in",
                                "Transferred out", "Distributed", "Adjusted", "Closing"]),
    "Expiring Lots": ("ExpiringLots", ["Site", "Supply", "Lot", "Expires on", "Quantity",
                                       "Funding"]),
    "By Quarter": ("ByQuarter", ["Quarter", "Supply", "Units distributed",
                                 "Doses distributed"]),
    "By Category": ("ByCategory", ["Category", "Units distributed", "Doses distributed"]),
    "By Area": ("ByArea", ["Area", "Supply", "Units distributed", "Doses distributed"]),
    "Received": ("Received", ["Site", "Supply", "Source", "Funding", "Units received",
                              "Doses received"]),
    "Write-offs": ("WriteOffs", ["Site", "Supply", "Reason", "Units", "Doses"]),
    "Sub-recipients": ("SubRecipients", ["Partner", "County", "Supply", "Units received",
                                         "Units reported given out"]),
}  # fmt: skip


@pytest.fixture
def app(database, tmp_path):
    """New York time, the default suppression threshold, exports in a temporary folder."""
    application = make_app(
        database,
        APP_TIMEZONE="America/New_York",
        EXPORT_DIR=str(tmp_path / "exports"),
        PROGRAM_NAME="Alder Harm Reduction",
        # The known ledger ends on April 2: the first quarter has closed by then.
        REPORTING_CLOSE_DAYS=1,
    )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def table_rows(ws, name):
    """The rows of an Excel table as dicts keyed by header (from the table's own range)."""
    table = ws.tables[name]
    cells = list(ws[table.ref])
    header = [c.value for c in cells[0]]
    return header, [dict(zip(header, (c.value for c in row), strict=True)) for row in cells[1:]]


@pytest.fixture
def book(make, monkeypatch):
    """The Q1 2026 workbook of the known ledger, as written to the archive."""
    dataset.build(make, monkeypatch)
    filters = reporting.make_filters("2026-01-01", "2026-03-31")
    record = exports.funder_export(make.admin, filters)
    return record, load_workbook(BytesIO(exports.read_archive(record)))


def test_sheets_tables_and_headers_follow_the_contract(book):
    _, wb = book
    assert wb.sheetnames == ["About", *CONTRACT, "Chart"]
    assert not wb["About"].tables and not wb["Chart"].tables
    for sheet, (table, header) in CONTRACT.items():
        ws = wb[sheet]
        assert list(ws.tables) == [table]
        found, _ = table_rows(ws, table)
        assert found[: len(header)] == header
        assert all(cell.font.b for cell in ws[1][: len(found)])
        assert ws.freeze_panes == "A2"
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.column_dimensions["A"].width >= len(header[0])


def test_summary_cells(book):
    _, wb = book
    _, rows = table_rows(wb["Summary"], "Summary")
    assert [(r["Supply"], r["Category"], r["Unit"], r["Units distributed"],
             r["Doses distributed"], r["Encounters"], r["Units for others"]) for r in rows] == [
        ("NARCAN4", "naloxone_nasal", "box", 7, 14, "<11", 0),
        ("FTS", "fentanyl_test_strip", "each", 60, 0, "<11", 0),
    ]  # fmt: skip
    assert wb["Summary"]["D2"].value == 7  # under 1,000: shown the same without the separator
    # Nothing under or beside the table: the chart has a sheet of its own.
    assert wb["Summary"].max_row == 3 and not wb["Summary"]._charts
    charts = wb["Chart"]._charts
    assert len(charts) == 1 and charts[0].tagname == "barChart"


def test_chart_is_native_in_the_file(book):
    record, _ = book
    with zipfile.ZipFile(BytesIO(exports.read_archive(record))) as archive:
        names = archive.namelist()
        assert any(name.startswith("xl/charts/chart") for name in names)
        chart = archive.read(next(n for n in names if n.startswith("xl/charts/chart"))).decode()
    assert "<barChart>" in chart and "'Chart'!" in chart


def test_by_month_and_by_site_cells(book):
    _, wb = book
    _, months = table_rows(wb["By Month"], "ByMonth")
    assert [(r["Month"], r["Supply"], r["Units distributed"], r["Doses distributed"])
            for r in months] == [
        (datetime(2026, 1, 1), "NARCAN4", 3, 6),
        (datetime(2026, 1, 1), "FTS", 50, 0),
        (datetime(2026, 2, 1), "NARCAN4", 4, 8),
        (datetime(2026, 2, 1), "FTS", 0, 0),
        (datetime(2026, 3, 1), "NARCAN4", 0, 0),
        (datetime(2026, 3, 1), "FTS", 10, 0),
    ]  # fmt: skip
    assert wb["By Month"]["A2"].is_date and wb["By Month"]["A2"].number_format == "mmm yyyy"
    _, sites = table_rows(wb["By Site"], "BySite")
    assert [(r["Site"], r["Supply"], r["Units distributed"], r["Doses distributed"],
             r["County"]) for r in sites] == [
        ("HUB", "NARCAN4", 3, 6, "Alder County"),
        ("HUB", "FTS", 60, 0, "Alder County"),
        ("VAN", "NARCAN4", 4, 8, "Birch County"),
        ("VAN", "FTS", 0, 0, "Birch County"),
    ]  # fmt: skip


def test_inventory_cells_reconcile(book):
    _, wb = book
    header, rows = table_rows(wb["Inventory"], "Inventory")
    numbers = {(r["Site"], r["Supply"]): tuple(r[h] for h in header[2:9]) for r in rows}
    assert numbers == {
        ("HUB", "FTS"): (500, 0, 0, 0, 60, -10, 430),
        ("HUB", "NARCAN4"): (95, 0, 0, 20, 3, -2, 70),
        ("VAN", "FTS"): (0, 0, 0, 0, 0, 0, 0),
        ("VAN", "NARCAN4"): (0, 40, 20, 0, 4, 0, 56),
    }
    for opening, received, t_in, t_out, distributed, adjusted, closing in numbers.values():
        assert opening + received + t_in - t_out - distributed + adjusted == closing
    # The Summary and By Site totals agree with Inventory's Distributed column.
    _, summary = table_rows(wb["Summary"], "Summary")
    assert sum(r["Units distributed"] for r in summary) == sum(n[4] for n in numbers.values())


def test_reversals_recipients_and_lots_cells(book):
    _, wb = book
    _, reversals = table_rows(wb["Reversals"], "Reversals")
    # One closed quarter, the whole program: 3 reversals and 2 trained are under 11.
    assert [(r["Quarter"], r["Reversals reported"], r["Encounters with training"])
            for r in reversals] == [("2026-Q1", "<11", "<11")]  # fmt: skip
    _, recipients = table_rows(wb["Recipients"], "Recipients")
    assert {r["Quarter"] for r in recipients} == {"2026-Q1"}
    breakdowns = {r["Breakdown"] for r in recipients}
    assert breakdowns == {
        "recipient_type", "age_band", "first_time", "for_others", "area", "language", "setting",
        "resupply_reason", "trained",
    }  # fmt: skip
    # Three encounters: every non-zero count is under 11 and shows as "<11", never a number;
    # others are hidden ("suppressed") so that the quarter's total is not known.
    assert {r["Encounters"] for r in recipients} <= {0, "<11", "suppressed"}
    trained = next(r for r in recipients if (r["Breakdown"], r["Value"]) == ("trained", "true"))
    assert trained["Encounters"] == reversals[0]["Encounters with training"]
    _, lots = table_rows(wb["Expiring Lots"], "ExpiringLots")
    assert [(r["Site"], r["Supply"], r["Lot"], r["Expires on"], r["Quantity"], r["Funding"])
            for r in lots] == [
        ("HUB", "NARCAN4", "A", datetime(2026, 6, 30), 70, "SOR"),
        ("VAN", "NARCAN4", "A", datetime(2026, 6, 30), 16, "SOR"),
    ]  # fmt: skip
    assert wb["Expiring Lots"]["D2"].number_format == "yyyy-mm-dd"


def test_about_sheet(book):
    _, wb = book
    about = {row[0].value: row[1].value for row in wb["About"].iter_rows() if row[0].value}
    assert about["Program"] == "Alder Harm Reduction"
    assert about["Period start"] == datetime(2026, 1, 1)
    assert about["Period end"] == datetime(2026, 3, 31)
    assert about["Sites"] == "All sites" and about["Funding"] == "All funding sources"
    assert isinstance(about["Generated at"], datetime)
    assert about["Generated at"] == datetime(2026, 4, 2, 8, 0)  # local time, not UTC
    for term in ("Unit", "Dose", "Encounter", "Reversal reported", "Suppression"):
        assert about[term]
    assert "<11" in about["Suppression"] and '"suppressed"' in about["Suppression"]
    assert "whole quarters" in about["Counts of people"]
    assert about["Quarters"] == "Counts of people given for: 2026-Q1."
    assert about["Summary: Encounters"].startswith("Encounters at which each supply")
    assert "tell about people" in about["By Area, Summary: Units for others"]
    assert "units by area or for others" in about["Suppression"]
    assert "Reopened quarters" not in about


def test_no_user_or_event_id_in_the_workbook(book, make):
    record, wb = book
    from supplies.models import DistributionEvent, User

    event_ids = db.session.execute(db.select(DistributionEvent.id)).scalars().all()
    users = db.session.execute(db.select(User)).scalars().all()
    with zipfile.ZipFile(BytesIO(exports.read_archive(record))) as archive:
        text = "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    for event_id in event_ids:
        assert event_id not in text
    for user in users:
        assert user.email not in text and user.name not in text


def test_every_workbook_is_archived_and_audited(book):
    record, _ = book
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "report.export")
    ).scalar_one()
    assert entry.object_id == record.name
    assert entry.changes["sha256"] == record.sha256
    assert entry.changes["size"] == len(exports.read_archive(record))
    assert entry.changes["filters"] == {
        "start": "2026-01-01",
        "end": "2026-03-31",
        "sites": [],
        "funding": None,
        "language": "en",
    }
    assert entry.actor_id is not None


def test_text_that_looks_like_a_formula_is_written_as_text(make, monkeypatch, tmp_path):
    dataset.build(make, monkeypatch)
    make.site("EVIL", name="=SUM(1,2)", county="Alder County")
    make.supply("ATSIGN", name="@cmd|' /C calc'!A0")
    make.funding("PLUS")
    filters = reporting.make_filters("2026-01-01", "2026-03-31", ["EVIL", "HUB"], "PLUS")
    record = exports.funder_export(make.admin, filters)
    wb = load_workbook(BytesIO(exports.read_archive(record)))
    names = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    names[cell.value] = cell
                    assert cell.data_type == "s"
                    assert cell.quotePrefix
    assert "=SUM(1,2)" in names and "@cmd|' /C calc'!A0" in names
    with zipfile.ZipFile(BytesIO(exports.read_archive(record))) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in archive.read(name).decode()


def test_event_level_export_streams_rows_without_ids(make, monkeypatch):
    dataset.build(make, monkeypatch)
    filters = reporting.make_filters("2026-01-01", "2026-03-31")
    record = exports.events_export(make.admin, filters)
    wb = load_workbook(BytesIO(exports.read_archive(record)))
    assert wb.sheetnames == ["About", "Events"]
    header, rows = table_rows(wb["Events"], "Events")
    assert "User" not in header and "Id" not in header
    assert [c.name for c in wb["Events"].tables["Events"].tableColumns] == header
    lines = [(r["Event"], r["Date"], r["Site"], r["Supply"], r["Units"], r["Doses"]) for r in rows]
    assert lines == [
        (1, datetime(2026, 1, 31), "HUB", "NARCAN4", 3, 6),
        (1, datetime(2026, 1, 31), "HUB", "FTS", 50, 0),
        (2, datetime(2026, 2, 14), "VAN", "NARCAN4", 4, 8),
        (3, datetime(2026, 3, 31), "HUB", "FTS", 10, 0),
    ]
    assert rows[0]["Occurred at"] == datetime(2026, 1, 31, 23, 30)


def test_funders_are_refused_the_event_level_export(make, monkeypatch):
    from supplies.services.common.errors import Forbidden

    dataset.build(make, monkeypatch)
    funder = make.user("funder@example.org", "funder")
    staff = make.user("staff@example.org", "staff", sites=("HUB",))
    filters = reporting.make_filters("2026-01-01", "2026-03-31")
    for user in (funder, staff):
        with pytest.raises(Forbidden):
            exports.events_export(user, filters)
    with pytest.raises(Forbidden):
        exports.funder_export(staff, filters)
    assert exports.funder_export(funder, filters).kind == "funder"


def test_empty_period_still_has_every_table(make):
    make.site("HUB")
    make.supply("NARCAN4")
    record = exports.funder_export(None, reporting.make_filters("2020-01-01", "2020-01-31"))
    wb = load_workbook(BytesIO(exports.read_archive(record)))
    _, lots = table_rows(wb["Expiring Lots"], "ExpiringLots")
    assert lots == [dict.fromkeys(CONTRACT["Expiring Lots"][1] + ["Status", "Supply name"])]
    _, inventory = table_rows(wb["Inventory"], "Inventory")
    assert [(r["Site"], r["Supply"], r["Closing"]) for r in inventory] == [("HUB", "NARCAN4", 0)]
    assert date(2020, 1, 1) <= date(2020, 1, 31)


def test_whole_numbers_from_a_thousand_up_show_their_thousands_separator(tmp_path):
    from openpyxl import Workbook

    from supplies.services.reporting.workbook.layout import INTEGER, Column
    from supplies.services.reporting.workbook.writer import _write_table

    wb = Workbook(write_only=True)
    columns = [Column("Site", "site"), Column("Units", "units", INTEGER)]
    rows = [{"site": "HUB", "units": units} for units in (7, 999, 1000, 12500, -3000, 0)]
    _write_table(wb.create_sheet("Units"), "Units", columns, rows)
    wb.save(tmp_path / "units.xlsx")
    ws = load_workbook(tmp_path / "units.xlsx")["Units"]
    shown = {ws.cell(row, 2).value: ws.cell(row, 2).number_format for row in range(2, 8)}
    assert shown == {
        7: "General",
        999: "General",
        1000: "#,##0",
        12500: "#,##0",
        -3000: "#,##0",
        0: "General",
    }
    # the column is as wide as "-3,000" and "12,500" need, plus room for the filter button
    assert ws.column_dimensions["B"].width == len("12,500") + 4


def test_words_in_a_number_column_are_text_and_formula_text_stays_text(tmp_path):
    from openpyxl import Workbook

    from supplies.services.reporting.workbook.layout import INTEGER, Column
    from supplies.services.reporting.workbook.writer import _write_table

    wb = Workbook(write_only=True)
    columns = [Column("Area", "area"), Column("Units", "units", INTEGER)]
    shown = ["<10", 2500, "suppressed", "-1", 4, "=1+1", "<10"]
    rows = [{"area": f"Area {i}", "units": units} for i, units in enumerate(shown)]
    _write_table(wb.create_sheet("Units"), "Units", columns, rows)
    wb.save(tmp_path / "units.xlsx")
    cells = [load_workbook(tmp_path / "units.xlsx")["Units"].cell(row, 2) for row in range(2, 9)]
    assert [cell.value for cell in cells] == shown
    assert [cell.data_type for cell in cells] == ["s", "n", "s", "s", "n", "s", "s"]
    assert [cell.number_format for cell in cells] == [
        "General", "#,##0", "General", "General", "General", "General", "General"
    ]  # fmt: skip
    # Text a spreadsheet would read as a formula stays text, in a number column too.
    assert [cell.quotePrefix for cell in cells] == [False, False, False, True, False, True, False]


def test_a_column_is_as_wide_as_its_widest_value_as_shown():
    from supplies.services.reporting.workbook.layout import DATE, INTEGER, MONTH
    from supplies.services.reporting.workbook.writer import _column_width

    assert _column_width([None, None], INTEGER) == 0
    assert _column_width([7, -3000, None, 12], INTEGER) == len("-3,000")
    assert _column_width(["<10", 125000, None, "suppressed"], INTEGER) == len("suppressed")
    assert _column_width(["<10", 1250000], INTEGER) == len("1,250,000")
    assert _column_width([date(2026, 7, 1)], DATE) == len("2026-07-01")
    assert _column_width([date(2026, 7, 1)], MONTH) == len("Sept 2026")  # a long month name
    assert _column_width([datetime(2026, 7, 1, 9, 30), "x"], None) == len("2026-07-01 09:30")
    assert _column_width([True, False, None], None) == len("False")


def test_a_workbooks_fingerprint_changes_with_any_value_it_shows(make, monkeypatch):
    import copy
    import dataclasses

    from supplies.services.reporting.fingerprint import report_fingerprint

    dataset.build(make, monkeypatch)
    report = reporting.funder_report(reporting.make_filters("2026-01-01", "2026-03-31"))
    first = report_fingerprint(report)
    later = dataclasses.replace(report, generated_at=datetime(2030, 1, 1))
    assert report_fingerprint(later) == first
    tables = [
        field.name
        for field in dataclasses.fields(report)
        if isinstance(getattr(report, field.name), list)
        and getattr(report, field.name)
        and isinstance(getattr(report, field.name)[0], dict)
    ]
    assert {"summary", "inventory", "by_area", "received", "expiring"} <= set(tables)
    for name in tables:
        for key in getattr(report, name)[-1]:
            changed = copy.deepcopy(report)
            row = getattr(changed, name)[-1]
            row[key] = "changed" if row[key] != "changed" else "again"
            assert report_fingerprint(changed) != first, (name, key)
    # A key only the last row has is hashed too.
    changed = copy.deepcopy(report)
    changed.inventory[-1]["note"] = "x"
    assert report_fingerprint(changed) != first
    changed = copy.deepcopy(report)
    changed.people.published = ["2025-Q4"]
    assert report_fingerprint(changed) != first


def test_every_text_that_starts_like_a_formula_is_found_and_no_other():
    from supplies.services.reporting.workbook.writer import _formula_rows

    column = ["a", None, 3, "=x", "b\n=y", "\tz", "+1", "-", "@", "\rq", "", date(2026, 1, 1)]
    assert _formula_rows(column) == [3, 5, 6, 7, 8, 9]
    assert _formula_rows(["HUB", "Downtown = central", None, 12]) == []
    assert _formula_rows([]) == []
