"""Real spreadsheet files written for the import tests."""

import csv
from pathlib import Path

from openpyxl import Workbook

STOCK_HEADER = [
    "site",
    "supply",
    "lot_number",
    "expires_on",
    "funding",
    "quantity",
    "received_on",
]
DISTRIBUTION_HEADER = ["date", "site", "supply", "quantity"]


def xlsx(path: Path, rows: list[list], title: str = "Data", merges=(), extra_sheets=()) -> Path:
    """Write rows (the first is the header) to an .xlsx; merges are ranges like A2:A4."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    for name in extra_sheets:
        book.create_sheet(name).append(["ignored"])
    book.save(path)
    return path


def csv_file(path: Path, rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    """Write rows to a CSV in the given encoding (utf-8-sig adds the BOM)."""
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def encrypted_xlsx(path: Path, rows: list[list], password: str = "secret") -> Path:  # noqa: S107
    """An .xlsx protected with a password, as Excel's File > Info > Encrypt writes it."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = xlsx(path.with_suffix(".plain.xlsx"), rows)
    with plain.open("rb") as source, path.open("wb") as out:
        OOXMLFile(source).encrypt(password, out)
    return path
