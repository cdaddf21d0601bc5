"""Downloadable .xlsx templates: headers, an example row, drop-down lists and instructions."""

import io
from datetime import timedelta

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from supplies.extensions import db
from supplies.models import Site
from supplies.services import catalog
from supplies.services.common import clock
from supplies.services.imports.columns import COLUMNS, DISTRIBUTIONS, REQUIRED, STOCK
from supplies.services.imports.reading import MAX_BYTES, MAX_ROWS
from supplies.vocab import (
    AGE_BANDS,
    FIRST_TIME,
    LANGUAGES,
    RECEIPT_SOURCES,
    RECIPIENT_TYPES,
    RESUPPLY_REASONS,
    SETTINGS,
)

_YES_NO = ("yes", "no")
_ROWS_WITH_LISTS = 5000

_INSTRUCTIONS = {
    STOCK: [
        "Starting stock: one row per lot received at a site.",
        "site, supply and funding: the code (or the exact name) as the tracker lists them.",
        "lot_number and expires_on are required for supplies that track lots (medications).",
        "A lot has one expiry date: the same lot twice with two dates is refused.",
        "received_on: the day it arrived (empty: today); never in the future.",
        "source: purchase, donation, state_program or other (empty: purchase).",
    ],
    DISTRIBUTIONS: [
        "Past distributions: one row per supply handed out.",
        "Rows with the same date, site and event value form one event (one encounter);",
        "without an event column, each row is its own event.",
        "date: YYYY-MM-DD, month/day/year, or a date cell; a time of day may follow.",
        "Stock comes from the site's lots, soonest expiry first: import the stock received "
        "first, with its received_on dates. A row may not take stock before the day it was "
        "received, nor more than the site held: such rows are refused.",
        "area: one of the program's areas (the Areas screen lists them; case and accents "
        "do not matter) or a ZIP code, cut to its first 3 digits. Anything else is refused.",
        "trained and for_others: yes or no. reversals_reported: a whole number.",
    ],
}
_COMMON = [
    "",
    "Rules for every import:",
    "The header is row 1; errors name rows as the spreadsheet numbers them.",
    "Headers may differ in case, spaces and underscores (Lot Number is lot_number).",
    "Quantities are whole numbers from 1 to 100000.",
    "Never add names, birth dates, phone numbers, emails or addresses of participants:",
    "a file with such a column is refused, and nothing from it is stored.",
    "Formulas are read as the value Excel saved; save the file in Excel before uploading.",
    f"Limits: {MAX_BYTES // 1048576} MB and {MAX_ROWS:,} rows per file. Empty rows are skipped.",
    "Nothing is saved until you confirm the preview; then every row is saved, or none.",
    "The same file is not imported twice unless you force it.",
    "Delete the example row (row 2) before importing.",
]


def _example(kind: str) -> list:
    today = clock.today()
    sites = site_codes()
    supplies = catalog_supplies()
    site = sites[0] if sites else "HUB"
    supply = supplies[0] if supplies else "NARCAN4"
    if kind == STOCK:
        funding = [f.code for f in catalog.list_funding_sources()]
        return [
            site,
            supply,
            "LOT123",
            today + timedelta(days=700),
            funding[0] if funding else None,
            24,
            today - timedelta(days=30),
            "purchase",
        ]
    return [today - timedelta(days=7), site, supply, 2, "visit-1", None, "person_who_uses_drugs"]


def site_codes() -> list[str]:
    """Codes of the active sites."""
    return list(
        db.session.execute(db.select(Site.code).where(Site.active).order_by(Site.code)).scalars()
    )


def catalog_supplies() -> list[str]:
    """Codes of the active supplies."""
    return [s.code for s in catalog.list_supplies() if s.active]


def _lists(kind: str) -> dict[str, tuple]:
    sites = tuple(site_codes())
    lists = {"site": sites, "supply": tuple(catalog_supplies())}
    if kind == STOCK:
        lists["funding"] = tuple(f.code for f in catalog.list_funding_sources() if f.active)
        lists["source"] = RECEIPT_SOURCES
    else:
        lists.update(
            {
                "setting": SETTINGS,
                "recipient_type": RECIPIENT_TYPES,
                "for_others": _YES_NO,
                "first_time": FIRST_TIME,
                "age_band": AGE_BANDS,
                "trained": _YES_NO,
                "resupply_reason": RESUPPLY_REASONS,
                "language": LANGUAGES,
            }
        )
    return lists


def template(kind: str) -> bytes:
    """The template workbook for an import kind, as .xlsx bytes."""
    book = Workbook()
    data = book.active
    data.title = "Stock" if kind == STOCK else "Distributions"
    headers = list(COLUMNS[kind])
    data.append(headers)
    example = _example(kind)
    data.append(example + [None] * (len(headers) - len(example)))
    for index, name in enumerate(headers, start=1):
        cell = data.cell(row=1, column=index)
        cell.font = Font(bold=True)
        data.column_dimensions[get_column_letter(index)].width = max(14, len(name) + 4)
    for index, name in enumerate(headers, start=1):
        if name in ("expires_on", "received_on", "date"):
            data.cell(row=2, column=index).number_format = "yyyy-mm-dd"
    data.freeze_panes = "A2"
    lists_sheet = book.create_sheet("Lists")
    for column, (name, values) in enumerate(_lists(kind).items(), start=1):
        lists_sheet.cell(row=1, column=column, value=name).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            lists_sheet.cell(row=row, column=column, value=value)
        if not values:
            continue
        letter = get_column_letter(column)
        source = f"{quote_sheetname('Lists')}!${letter}$2:${letter}${len(values) + 1}"
        target = get_column_letter(headers.index(name) + 1)
        rule = DataValidation(type="list", formula1=source, allow_blank=True)
        rule.error = f"Choose a {name} from the list."
        rule.errorTitle = f"Unknown {name}"
        data.add_data_validation(rule)
        rule.add(f"{target}2:{target}{_ROWS_WITH_LISTS}")
    quantity = get_column_letter(headers.index("quantity") + 1)
    whole = DataValidation(type="whole", operator="between", formula1="1", formula2="100000")
    whole.error = "A whole number from 1 to 100000."
    data.add_data_validation(whole)
    whole.add(f"{quantity}2:{quantity}{_ROWS_WITH_LISTS}")
    lists_sheet.sheet_state = "hidden"
    _instructions(book.create_sheet("Instructions"), kind, headers)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _instructions(sheet, kind: str, headers: list[str]) -> None:
    sheet.column_dimensions["A"].width = 110
    sheet.append(["How to fill in this sheet"])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in _INSTRUCTIONS[kind] + _COMMON:
        sheet.append([line])
    sheet.append([""])
    sheet.append(["Columns (required: " + ", ".join(REQUIRED[kind]) + "):"])
    sheet.append([", ".join(headers)])
