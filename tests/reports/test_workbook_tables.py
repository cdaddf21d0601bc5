"""The newer workbook tables (By Quarter, By Category, By Area, Received, Write-offs,
Summary's Units for others) read back from the file and checked against an independent
recomputation from the database; Inventory's identity with write-offs split out; every
sheet read with pandas as exactly its table."""

import math
import uuid
from collections import defaultdict
from datetime import date, datetime
from io import BytesIO

import pandas as pd
import pytest
from openpyxl import load_workbook

from supplies.services.db.operations import OperationRequest
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from supplies.services.reporting.workbook.layout import SHEETS
from supplies.services.stock import work
from tests.reports import dataset, rich_ledger
from tests.reports.rich_ledger import Scope, Truth
from tests.reports.test_workbook import app, table_rows  # noqa: F401

SCOPES = {
    "Q1, whole program": Scope(date(2026, 1, 1), date(2026, 3, 31)),
    "Q4 2025 and Q1 2026, whole program": Scope(date(2025, 10, 1), date(2026, 3, 31)),
    "Q1, two sites": Scope(date(2026, 1, 1), date(2026, 3, 31), sites=("MAIL", "VAN")),
    "Q1, one funding source": Scope(date(2026, 1, 1), date(2026, 3, 31), funding="SOR"),
    "part of Q1 and Q2": Scope(date(2026, 2, 15), date(2026, 4, 1)),
    "fiscal year from October": Scope(date(2025, 12, 1), date(2026, 3, 31), fiscal_start=10),
    "fiscal year from July, a site and a funding source": Scope(
        date(2025, 12, 1), date(2026, 4, 1), sites=("HUB",), funding="STATE", fiscal_start=7
    ),
}


# By Area's and Units for others' cells other than 0, worked out by hand from the raw units
# of rich_ledger (N = 11; zero cells left out). 2026-Q1, per supply over the places 123,
# Alder County, Birch County, not recorded:
# - NARCAN4 0, 3, 4, 0 (total 7): two small cells, and the zeros cannot make up the
#   10 + 1 units needed to protect them against By Quarter's total: the column is hidden.
# - ZIMHI 2 and OPVEE 1 at 123 alone: hidden likewise, the zeros as "suppressed".
# - FTS 0, 60, 0, 20: nothing small, shown. KIT 5, 0, 0, 10: two small cells whose sum (15)
#   zeros cannot protect (a hidden cell is 0 or 11 and up, so neither small cell could be 4):
#   hidden likewise.
# Units for others: NARCAN4 3, OPVEE 1 (small), FTS 50.
# 2025-Q4: NARCAN4 5 at Alder County (the hub's county), for others: its column hidden.
# Over both quarters a total is shown only where both parts are; else "suppressed".
SHOWN_BY_AREA = {
    "Q1, whole program": {
        ("123", "NARCAN4"): "suppressed",
        ("Alder County", "NARCAN4"): "<11",
        ("Birch County", "NARCAN4"): "<11",
        ("not recorded", "NARCAN4"): "suppressed",
        ("123", "ZIMHI"): "<11",
        ("Alder County", "ZIMHI"): "suppressed",
        ("Birch County", "ZIMHI"): "suppressed",
        ("not recorded", "ZIMHI"): "suppressed",
        ("123", "OPVEE"): "<11",
        ("Alder County", "OPVEE"): "suppressed",
        ("Birch County", "OPVEE"): "suppressed",
        ("not recorded", "OPVEE"): "suppressed",
        ("Alder County", "FTS"): 60,
        ("not recorded", "FTS"): 20,
        ("123", "KIT"): "<11",
        ("Alder County", "KIT"): "suppressed",
        ("Birch County", "KIT"): "suppressed",
        ("not recorded", "KIT"): "<11",
    },
}
SHOWN_BY_AREA["Q4 2025 and Q1 2026, whole program"] = {
    **{key: "suppressed" for key in SHOWN_BY_AREA["Q1, whole program"]},
    ("Alder County", "FTS"): 60,
    ("not recorded", "FTS"): 20,
}
SHOWN_FOR_OTHERS = {
    "Q1, whole program": {"NARCAN4": "<11", "ZIMHI": 0, "OPVEE": "<11", "FTS": 50, "KIT": 0},
    "Q4 2025 and Q1 2026, whole program": {
        "NARCAN4": "suppressed",
        "ZIMHI": 0,
        "OPVEE": "suppressed",
        "FTS": 50,
        "KIT": 0,
    },
}


def _consistent_with_the_raw_units(shown: dict, raw: dict) -> None:
    """Every shown number is the raw one, every <11 hides 1 to 10 units."""
    for key, cell in shown.items():
        if isinstance(cell, int):
            assert cell == raw.get(key, 0), key
        elif cell == "<11":
            assert 1 <= raw.get(key, 0) <= 10, key
        else:
            assert cell == "suppressed", key


@pytest.fixture
def rich(make, monkeypatch, app):  # noqa: F811
    rich_ledger.build(make, monkeypatch)
    return make


def _workbook(app, make, scope: Scope):  # noqa: F811
    app.config["FISCAL_YEAR_START"] = scope.fiscal_start
    filters = reporting.make_filters(
        scope.start.isoformat(), scope.end.isoformat(), scope.sites, scope.funding
    )
    record = exports.funder_export(make.admin, filters)
    data = exports.read_archive(record)
    return data, load_workbook(BytesIO(data))


def _rows(wb, sheet, table):
    return table_rows(wb[sheet], table)[1]


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


@pytest.mark.parametrize("name", list(SCOPES))
def test_new_tables_match_an_independent_recomputation(rich, app, name):  # noqa: F811
    scope = SCOPES[name]
    _, wb = _workbook(app, rich, scope)
    truth = Truth()
    doses = {code: supply.doses_per_unit for code, supply in truth.supplies.items()}

    quarters = _rows(wb, "By Quarter", "ByQuarter")
    assert {(r["Quarter"], r["Supply"]): r["Units distributed"] for r in quarters} == (
        truth.by_quarter(scope)
    )
    assert len(quarters) == len(truth.by_quarter(scope))
    for row in quarters:
        assert row["Doses distributed"] == row["Units distributed"] * doses[row["Supply"]]
        assert row["Fiscal year"] == row["Quarter"].split("-Q")[0]
        assert scope.start <= _day(row["From"]) <= _day(row["To"]) <= scope.end
        assert rich_ledger.quarter_label(_day(row["From"]), scope.fiscal_start) == row["Quarter"]

    categories = _rows(wb, "By Category", "ByCategory")
    assert {
        r["Category"]: (r["Units distributed"], r["Doses distributed"]) for r in categories
    } == truth.by_category(scope)
    assert categories[-1]["Category"] == "reversal_medication_total"

    # By Area and Units for others split units by answers about the person: published like
    # Encounters (whole closed quarters, whole program), suppressed, else left empty.
    areas = _rows(wb, "By Area", "ByArea")
    shown = {(r["Area"], r["Supply"]): r["Units distributed"] for r in areas}
    summary = _rows(wb, "Summary", "Summary")
    others = {r["Supply"]: r["Units for others"] for r in summary}
    if name in SHOWN_BY_AREA:
        assert {key: cell for key, cell in shown.items() if cell != 0} == SHOWN_BY_AREA[name]
        assert others == SHOWN_FOR_OTHERS[name]
        _consistent_with_the_raw_units(shown, truth.by_area(scope))
        _consistent_with_the_raw_units(others, truth.for_others(scope))
    else:
        assert set(shown.values()) == {None} and set(others.values()) == {None}
        assert all(r["Doses distributed"] is None for r in areas)
    for r in areas:
        if isinstance(r["Units distributed"], int):
            assert r["Doses distributed"] == r["Units distributed"] * doses[r["Supply"]]
        elif r["Units distributed"] is not None:
            assert r["Doses distributed"] == "suppressed"

    received = _rows(wb, "Received", "Received")
    got = defaultdict(int)
    for r in received:
        if r["Units received"]:
            got[(r["Site"], r["Supply"], r["Source"], r["Funding"])] += r["Units received"]
        assert r["Doses received"] == r["Units received"] * doses[r["Supply"]]
    assert dict(got) == truth.received(scope)

    written = _rows(wb, "Write-offs", "WriteOffs")
    got = {(r["Site"], r["Supply"], r["Reason"]): r["Units"] for r in written if r["Units"]}
    assert got == truth.write_offs(scope)
    assert all(r["Doses"] == r["Units"] * doses[r["Supply"]] for r in written)
    # Every site and supply of the workbook has a row (a zero row without a reason).
    pairs = {(r["Site"], r["Supply"]) for r in _rows(wb, "By Site", "BySite")}
    assert {(r["Site"], r["Supply"]) for r in written} == pairs
    assert {(r["Site"], r["Supply"]) for r in received} == pairs

    # The tables agree with each other: units by quarter, category, area and site alike.
    total = sum(r["Units distributed"] for r in summary)
    assert sum(r["Units distributed"] for r in quarters) == total
    if all(isinstance(cell, int) for cell in shown.values()):
        assert sum(shown.values()) == total
    assert sum(r["Units distributed"] for r in categories[:-1]) == total


@pytest.mark.parametrize("name", list(SCOPES))
def test_inventory_identity_holds_with_write_offs_split_out(rich, app, name):  # noqa: F811
    scope = SCOPES[name]
    _, wb = _workbook(app, rich, scope)
    truth = Truth().inventory(scope)
    inventory = _rows(wb, "Inventory", "Inventory")
    written = defaultdict(int)
    for r in _rows(wb, "Write-offs", "WriteOffs"):
        written[(r["Site"], r["Supply"])] += r["Units"]
    received = defaultdict(int)
    for r in _rows(wb, "Received", "Received"):
        received[(r["Site"], r["Supply"])] += r["Units received"]
    assert truth, "the scope should hold movements"
    for row in inventory:
        key = (row["Site"], row["Supply"])
        parts = defaultdict(int, truth.get(key, {}))
        # opening + received + in - out - distributed - written off + other adjustments
        assert (
            parts["opening"]
            + parts["received"]
            + parts["transferred_in"]
            - parts["transferred_out"]
            - parts["distributed"]
            - parts["written_off"]
            + parts["other_adjustments"]
            == parts["closing"]
        )
        assert (
            row["Opening"],
            row["Received"],
            row["Transferred in"],
            row["Transferred out"],
            row["Distributed"],
            row["Closing"],
        ) == (
            parts["opening"],
            parts["received"],
            parts["transferred_in"],
            parts["transferred_out"],
            parts["distributed"],
            parts["closing"],
        ), key
        # Adjusted keeps every adjustment (DESIGN.md); Write-offs breaks the negative out.
        assert written[key] == parts["written_off"], key
        assert row["Adjusted"] == parts["other_adjustments"] - parts["written_off"], key
        assert received[key] == row["Received"], key
        assert (
            row["Opening"]
            + row["Received"]
            + row["Transferred in"]
            - row["Transferred out"]
            - row["Distributed"]
            - written[key]
            + (row["Adjusted"] + written[key])
            == row["Closing"]
        )


def test_the_first_quarter_by_hand(rich, app):  # noqa: F811
    # Suppression off, to see where By Area puts each event's units (the suppressed cells
    # are checked above).
    app.config["SUPPRESS_BELOW"] = 0
    _, wb = _workbook(app, rich, SCOPES["Q1, whole program"])
    categories = {
        r["Category"]: (r["Units distributed"], r["Doses distributed"], r["Category name"])
        for r in _rows(wb, "By Category", "ByCategory")
    }
    # Narcan 3 + 4 (2 doses a box), Zimhi 2, Opvee 1 (a dose each); the void is left out.
    assert categories["reversal_medication_total"] == (
        10,
        17,
        "All reversal medications (naloxone and nalmefene)",
    )
    assert categories["naloxone_nasal"] == (7, 14, "Naloxone (nasal)")
    assert categories["wound_care"][:2] == (15, 0)
    areas = {
        (r["Area"], r["Supply"]): r["Units distributed"] for r in _rows(wb, "By Area", "ByArea")
    }
    assert areas[("123", "ZIMHI")] == 2 and areas[("123", "OPVEE")] == 1  # 12345 cut to 123
    assert areas[("Birch County", "NARCAN4")] == 4  # no area: the van's county
    assert areas[("not recorded", "KIT")] == 10  # no area, a site without a county
    assert areas[("Alder County", "KIT")] == 0  # a listed area with nothing still appears
    assert sum(areas.values()) == sum(units for units, _, _ in categories.values()) - 10
    summary = {r["Supply"]: r["Units for others"] for r in _rows(wb, "Summary", "Summary")}
    assert summary == {"NARCAN4": 3, "ZIMHI": 0, "OPVEE": 1, "FTS": 50, "KIT": 0}
    received = [
        (r["Site"], r["Supply"], r["Source"], r["Funding"], r["Units received"], r["Funder"])
        for r in _rows(wb, "Received", "Received")
        if r["Units received"]
    ]
    assert received == [
        ("HUB", "ZIMHI", "purchase", "SOR", 30, "SAMHSA"),
        ("HUB", "OPVEE", "donation", None, 20, None),
        ("HUB", "KIT", "purchase", "STATE", 200, "SAMHSA"),
        ("MAIL", "FTS", "state_program", "SOR", 300, "SAMHSA"),
        ("VAN", "NARCAN4", "state_program", "STATE", 40, "SAMHSA"),
    ]
    written = [
        (r["Site"], r["Supply"], r["Reason"], r["Units"], r["Doses"])
        for r in _rows(wb, "Write-offs", "WriteOffs")
        if r["Units"]
    ]
    assert written == [
        ("HUB", "NARCAN4", "expired", 2, 4),
        ("HUB", "NARCAN4", "recalled", 3, 6),
        ("HUB", "ZIMHI", "damaged", 1, 1),
        ("MAIL", "KIT", "expired", 2, 0),
        ("VAN", "NARCAN4", "lost_or_stolen", 1, 2),
    ]
    quarters = _rows(wb, "By Quarter", "ByQuarter")
    assert {(r["Quarter"], r["Fiscal year"], r["From"], r["To"]) for r in quarters} == {
        ("2026-Q1", "2026", datetime(2026, 1, 1), datetime(2026, 3, 31))
    }


def test_fiscal_quarters_and_their_year(rich, app):  # noqa: F811
    _, wb = _workbook(app, rich, SCOPES["fiscal year from October"])
    spans = {
        (r["Quarter"], r["Fiscal year"], _day(r["From"]), _day(r["To"]))
        for r in _rows(wb, "By Quarter", "ByQuarter")
    }
    # October to December 2025 is FY2026's first quarter; the period starts in December.
    assert spans == {
        ("FY2026-Q1", "FY2026", date(2025, 12, 1), date(2025, 12, 31)),
        ("FY2026-Q2", "FY2026", date(2026, 1, 1), date(2026, 3, 31)),
    }
    about = {row[0]: row[1] for row in wb["About"].iter_rows(values_only=True) if row[0]}
    assert "fiscal year, which starts in October" in about["By Quarter"]
    reversals = _rows(wb, "Reversals", "Reversals")
    assert [r["Quarter"] for r in reversals] == ["FY2026-Q1", "FY2026-Q2"]


def _same(cell, frame_value) -> bool:
    if cell is None:
        return frame_value is None or (isinstance(frame_value, float) and math.isnan(frame_value))
    if isinstance(cell, datetime):
        return pd.Timestamp(cell) == frame_value
    if isinstance(cell, str) and not isinstance(frame_value, str):
        # pandas reads text of digits (a calendar year, a ZIP prefix) as a number.
        return cell == str(frame_value)
    return cell == frame_value


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_sheet_reads_with_pandas_as_exactly_its_table(rich, app, language):  # noqa: F811
    filters = reporting.make_filters("2026-01-01", "2026-03-31", language=language)
    data = exports.read_archive(exports.funder_export(rich.admin, filters))
    wb = load_workbook(BytesIO(data))
    frames = pd.read_excel(BytesIO(data), sheet_name=None)
    assert list(frames) == wb.sheetnames
    for title, table, columns in SHEETS:
        header, rows = table_rows(wb[title], table)
        # An empty table keeps one blank row (Excel wants one); pandas reads no row there.
        rows = [row for row in rows if any(value is not None for value in row.values())]
        frame = frames[title]
        assert list(frame.columns) == header, title
        assert len(header) == len(columns)
        # pandas reads the sheet as exactly the table: no block under it, no chart cells.
        assert frame.shape == (len(rows), len(header)), title
        for index, row in enumerate(rows):
            for name in header:
                assert _same(row[name], frame.iloc[index][name]), (title, index, name)
    areas = {row["Area"] for row in table_rows(wb["By Area"], "ByArea")[1]}
    assert ("no registrado" if language == "es" else "not recorded") in areas
    chart = frames["Chart"]
    assert chart.shape[0] == 3 and chart.columns[0] == ("Mes" if language == "es" else "Month")
    about = frames["About"]
    assert about.shape[1] == 2


def test_expiring_lots_give_each_lots_status_at_the_periods_end(make, monkeypatch, app):  # noqa: F811
    ledger = dataset.build(make, monkeypatch)

    def set_status(status, since):
        body = {"supply": "NARCAN4", "lot_number": "A", "status": status, "occurred_at": since}
        work.set_lot_status(make.admin, OperationRequest.new(str(uuid.uuid4()), body), body)

    ledger.at("2026-04-02T08:00")
    # Lot A was quarantined in March (typed later) and recalled after the quarter ended.
    set_status("quarantined", "2026-03-15T09:00:00")
    set_status("recalled", "2026-04-01T10:00:00")
    filters = reporting.make_filters("2026-01-01", "2026-03-31")
    wb = load_workbook(BytesIO(exports.read_archive(exports.funder_export(make.admin, filters))))
    lots = {(r["Site"], r["Lot"]): r["Status"] for r in _rows(wb, "Expiring Lots", "ExpiringLots")}
    # Today lot A is recalled; at the end of March it was quarantined.
    assert lots == {("HUB", "A"): "quarantined", ("VAN", "A"): "quarantined"}
