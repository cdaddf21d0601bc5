"""Reading a spreadsheet (.xlsx or .csv) into numbered rows of cells, safely.

Rows keep the numbers the spreadsheet shows (the header is row 1). Formulas are read as
the values Excel saved with them, never evaluated; a formula without a saved value is
refused. Merged cells repeat their value over the merged area. Empty rows are skipped.
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.utils import get_column_letter, range_boundaries

from supplies.services.common.messages import msg

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 500
# What a file may hold, whatever it weighs: well above a big program's year of
# distributions (200,000 rows of about ten columns), far below what a crafted file can
# unpack to. Everything is counted before a parser builds anything, so such a file is
# refused in well under a second with little memory (tests/imports/test_upload_bombs.py).
# An .xlsx is a zip: what it unpacks to in all...
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
# ...in any part a parser reads whole (shared strings, styles, the workbook): worksheets
# alone are read as a stream, and are bounded by their rows and cells instead...
MAX_PART_BYTES = 16 * 1024 * 1024
# ...the texts of the shared strings table (all held in memory while the sheet is read)...
MAX_STRINGS = 400_000
# ...and the rows (empty ones too) and cells of the worksheets, and the zip's entries.
MAX_SHEET_ROWS = 250_000
MAX_CELLS = 5_000_000
MAX_PARTS = 2_000
# Cells the rows hold once padded out: a cell in column XFD makes a row 16,384 wide. Past
# MAX_COLUMNS, empty cells are dropped at C speed (a bound on that work); the rest are
# looked at one by one (a bound on that).
MAX_RAW_POSITIONS = 50_000_000
MAX_CELL_POSITIONS = 8_000_000
MAX_MERGES = 10_000
EXCEL_COLUMNS = 16_384  # a .csv line with more cells is no spreadsheet's
HEADER_SEARCH_ROWS = 10
FORMULA = object()  # a cell holding a formula with no saved value

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)\"")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_SPACES = re.compile(r"[\s_\-\.]+")
# Opening tags of a worksheet's rows and cells and of a shared string, namespace prefix or not.
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
_STRING_TAG = re.compile(rb"<(?:\w+:)?si[\s>/]")
_WORKSHEET_PART = re.compile(r"^xl/worksheets/sheet[0-9]{1,4}\.xml$")
_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_OVERRIDE = re.compile(rb"<(?:\w+:)?Override\b[^>]*>")
_PART_NAME = re.compile(rb"\bPartName=\"/?([^\"]+)\"")
_CONTENT_TYPE = re.compile(rb"\bContentType=\"([^\"]+)\"")


class FileRefused(Exception):
    """The file as a whole cannot be read; the message tells the person what to do."""


class IdentifyingColumns(FileRefused):
    """The file has columns that could identify participants: it must not be kept."""


@dataclass
class Sheet:
    """A sheet's header cells and its data rows as (row number, cells) pairs."""

    header_row: int
    headers: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)
    format: str = "xlsx"


def normalize_header(text) -> str:
    """A header as compared: case, spaces, underscores, dashes and dots ignored."""
    return _SPACES.sub("", str(text or "").replace("\xa0", " ")).lower()


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 is A)."""
    return get_column_letter(index + 1)


def read_sheet(
    path: Path,
    filename: str,
    is_header: Callable[[list[str]], bool],
    progress: Callable[[int], None] | None = None,
) -> Sheet:
    """Read the file's data sheet; the header is the first row is_header() accepts."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise FileRefused(
            msg(
                "The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.",
                size=f"{size / 1048576:.1f}",
                limit=MAX_BYTES // 1048576,
            )
        )
    if size == 0:
        raise FileRefused(msg("The file is empty."))
    with path.open("rb") as handle:
        start = handle.read(8)
    suffix = Path(filename).suffix.lower()
    if start.startswith(_CFB_MAGIC):
        if _ENCRYPTED_MARK in path.read_bytes():
            raise FileRefused(
                msg(
                    "The file is protected with a password. Open it in Excel, remove the "
                    "password (File > Info > Protect Workbook), save, and upload it again."
                )
            )
        raise FileRefused(msg("This is an old .xls workbook: save it as .xlsx or .csv first."))
    if start.startswith(b"PK"):
        return _read_xlsx(path, is_header, progress)
    if suffix in (".xlsx", ".xlsm"):
        raise FileRefused(msg("The file is not a readable .xlsx workbook (it may be damaged)."))
    if suffix in (".xls", ".ods", ".numbers"):
        raise FileRefused(
            msg("%(suffix)s files are not read: save the sheet as .xlsx or .csv.", suffix=suffix)
        )
    return _read_csv(path, is_header, progress)


def _collect(
    numbered: Iterator[tuple[int, list]],
    is_header: Callable[[list[str]], bool],
    progress: Callable[[int], None] | None,
    fmt: str,
) -> Sheet:
    """Find the header among the first rows, then keep the non-empty rows after it."""
    first_seen: tuple[int, list] | None = None
    sheet = None
    for number, cells in numbered:
        if sheet is None:
            texts = [" ".join(str(c).split()) if isinstance(c, str) else c for c in cells]
            if first_seen is None and any(_filled(c) for c in cells):
                first_seen = (number, texts)
            if is_header([normalize_header(c) for c in texts if isinstance(c, str)]):
                sheet = Sheet(number, [c if isinstance(c, str) else "" for c in texts], format=fmt)
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        if len(cells) > MAX_COLUMNS and any(_filled(c) for c in cells[MAX_COLUMNS:]):
            raise FileRefused(
                msg("Row %(row)s has more than %(limit)s columns.", row=number, limit=MAX_COLUMNS)
            )
        if not any(_filled(c) for c in cells):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise FileRefused(
                msg(
                    "The file has more than %(limit)s rows; split it into smaller files.",
                    limit=f"{MAX_ROWS:,}",
                )
            )
        sheet.rows.append((number, cells))
        if progress and len(sheet.rows) % 1000 == 0:
            progress(1000)
    if sheet is None:
        if first_seen is None:
            raise FileRefused(msg("The file has no rows."))
        number, texts = first_seen
        sheet = Sheet(number, [c if isinstance(c, str) else "" for c in texts], format=fmt)
    return sheet


def _filled(cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _clean(value):
    if isinstance(value, str):
        value = value.replace("\xa0", " ").strip()
        if len(value) > MAX_CELL_CHARS:
            value = value[:MAX_CELL_CHARS]
    return value


# --- .xlsx ---------------------------------------------------------------------------


def _read_xlsx(path: Path, is_header, progress) -> Sheet:
    # A file object, not the path: openpyxl would insist on the name ending in .xlsx.
    with path.open("rb") as handle:
        book = _open_workbook(handle)
        try:
            sheet = _data_worksheet(book)
            # Rows as long as their own cells: a declared size (A1:XFD1048576) is not trusted.
            sheet.reset_dimensions()
            merges, has_formulas = _scan_sheet_xml(book, sheet)
            formulas = _formula_cells(path, sheet.title) if has_formulas else set()
            rows = _xlsx_rows(sheet, merges, formulas)
            return _collect(rows, is_header, progress, "xlsx")
        except FileRefused:
            raise
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError):
            raise FileRefused(
                msg("The workbook is damaged and cannot be read to the end.")
            ) from None
        finally:
            book.close()


def _open_workbook(handle, data_only: bool = True):
    try:
        with zipfile.ZipFile(handle) as archive:
            check_contents(archive)
        handle.seek(0)
        return load_workbook(handle, read_only=True, data_only=data_only)
    except FileRefused:
        raise
    except Exception:
        raise FileRefused(
            msg(
                "The file is not a readable .xlsx workbook (it may be damaged or not a "
                "spreadsheet). Open it in Excel and save it again, or save it as .csv."
            )
        ) from None


def _too_big() -> FileRefused:
    return FileRefused(
        msg(
            "The file holds far more than an import can take (at most %(rows)s rows); "
            "it is refused. Split it into smaller files.",
            rows=f"{MAX_ROWS:,}",
        )
    )


def check_contents(archive: zipfile.ZipFile) -> dict[str, int]:
    """Refuse a workbook that would unpack to more than any import needs, before openpyxl
    reads a byte of it.

    The sizes a zip declares bound what it unpacks to (Python stops at them). The rows,
    cells and shared strings of every part are counted as it unpacks, stopping at the
    first limit passed. Only worksheets may be large (openpyxl reads them as a stream);
    any other part, and any part holding shared strings, must be small, since a parser
    reads it whole.
    """
    infos = archive.infolist()
    if len(infos) > MAX_PARTS or sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise _too_big()
    worksheets = _worksheet_parts(archive)
    totals = {"rows": 0, "cells": 0, "strings": 0}
    for info in infos:
        if info.is_dir():
            continue
        if info.file_size > MAX_PART_BYTES and info.filename not in worksheets:
            raise _too_big()
        holds_strings = _count_tags(archive, info, totals)
        if holds_strings and info.file_size > MAX_PART_BYTES:
            raise _too_big()  # a worksheet's name on a table of strings, which is read whole
    return totals


def _worksheet_parts(archive: zipfile.ZipFile) -> set[str]:
    """The parts that are worksheets (read as a stream): named and typed as Excel names them."""
    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        return set()
    if info.file_size > MAX_PART_BYTES:
        raise _too_big()
    manifest = archive.read(info)
    parts = set()
    for tag in _OVERRIDE.finditer(manifest):
        name, kind = _PART_NAME.search(tag.group(0)), _CONTENT_TYPE.search(tag.group(0))
        if name and kind and kind.group(1).decode(errors="replace") == _WORKSHEET_TYPE:
            part = name.group(1).decode(errors="replace")
            if _WORKSHEET_PART.match(part):
                parts.add(part)
    return parts


def _count_tags(archive: zipfile.ZipFile, info: zipfile.ZipInfo, totals: dict) -> bool:
    """Add a part's rows, cells and shared strings to the totals as it unpacks, refusing
    the file once one passes its limit; whether the part holds shared strings."""
    holds_strings, tail = False, b""
    with archive.open(info) as source:
        while True:
            chunk = source.read(1 << 20)
            data = tail + chunk
            # A tag holds no "<": one cut in two by the chunking starts at the last "<".
            last = data.rfind(b"<", max(len(data) - 32, 0)) if chunk else -1
            cut = last if last >= 0 else len(data)
            totals["rows"] += len(_ROW_TAG.findall(data, 0, cut))
            totals["cells"] += len(_CELL_TAG.findall(data, 0, cut))
            strings = len(_STRING_TAG.findall(data, 0, cut))
            holds_strings = holds_strings or strings > 0
            totals["strings"] += strings
            if (
                totals["rows"] > MAX_SHEET_ROWS
                or totals["cells"] > MAX_CELLS
                or totals["strings"] > MAX_STRINGS
            ):
                raise _too_big()
            if not chunk:
                return holds_strings
            tail = data[cut:]


def _data_worksheet(book):
    """The first worksheet that is not the template's instructions or lists."""
    for sheet in book.worksheets:
        skipped = normalize_header(sheet.title) in ("instructions", "lists", "readme")
        if not skipped and getattr(sheet, "sheet_state", "visible") == "visible":
            return sheet
    raise FileRefused(msg("The workbook has no data sheet."))


def _scan_sheet_xml(book, sheet) -> tuple[list[tuple[int, int, int, int]], bool]:
    """Merged ranges and whether any formula is present, from one pass over the raw XML."""
    merges, has_formula, tail = [], False, b""
    with book._archive.open(sheet._worksheet_path) as source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            has_formula = has_formula or bool(_FORMULA_TAG.search(data))
            for match in _MERGE.finditer(data):
                merges.append(match.group(1))
            # Keep a tail so a tag cut in two by the chunking is still seen once.
            cut = max(data.rfind(b"<"), len(data) - 200)
            tail = data[cut:]
            merges = list(dict.fromkeys(merges))
            if len(merges) > MAX_MERGES:
                raise _too_big()
    ranges, area = [], 0
    for ref in merges:
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode())
        # A merge repeats its value over its area: A1:XFD1048576 would be 17 billion cells.
        area += (max_row - min_row + 1) * (max_col - min_col + 1)
        if max_row > MAX_SHEET_ROWS or area > MAX_CELL_POSITIONS:
            raise _too_big()
        ranges.append((min_row, max_row, min_col, max_col))
    return ranges, has_formula


def _formula_cells(path: Path, title: str) -> set[tuple[int, int]]:
    """(row, column) of every formula cell: a second read that sees formulas, not values."""
    with path.open("rb") as handle:
        return _formula_cells_in(load_workbook(handle, read_only=True, data_only=False), title)


def _formula_cells_in(book, title: str) -> set[tuple[int, int]]:
    try:
        found = set()
        sheet = book[title]
        sheet.reset_dimensions()
        # Formulas past MAX_COLUMNS matter to no import: the row would be refused anyway.
        empty = None  # the missing rows between two far apart come as one same tuple
        for number, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            if number > MAX_SHEET_ROWS:
                raise _too_big()
            if row is empty:
                continue
            if all(cell is EMPTY_CELL for cell in row):
                empty = row
                continue
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    found.add((cell.row, cell.column))
        return found
    finally:
        book.close()


def _bounded(rows, empty) -> Iterator[tuple[int, tuple]]:
    """Number the rows, narrowed (see _narrowed), refusing the file past MAX_SHEET_ROWS
    rows (empty ones count: a row numbered 1,048,576 brings all those before it) or past
    the cells it may hold."""
    raw = positions = 0
    for number, values in enumerate(rows, start=1):
        raw += len(values)
        values = _narrowed(values, empty)
        positions += len(values)
        if number > MAX_SHEET_ROWS or raw > MAX_RAW_POSITIONS or positions > MAX_CELL_POSITIONS:
            raise _too_big()
        yield number, values


def _narrowed(values, empty):
    """The row without its empty cells past MAX_COLUMNS, found at C speed; a row with
    something out there is kept whole, for _collect to name."""
    if len(values) <= MAX_COLUMNS:
        return values
    beyond = values[MAX_COLUMNS:]
    if beyond.count(empty) == len(beyond) or not any(_filled(c) for c in beyond):
        return values[:MAX_COLUMNS]
    return values


def _xlsx_rows(sheet, merges, formulas) -> Iterator[tuple[int, list]]:
    by_row: dict[int, list] = {}
    for min_row, max_row, min_col, max_col in merges:
        for number in range(min_row, max_row + 1):
            by_row.setdefault(number, []).append((min_row, min_col, max_col))
    anchors: dict[tuple[int, int], object] = {}
    for number, values in _bounded(sheet.iter_rows(values_only=True), None):
        cells = [_clean(v) for v in values]
        for column in range(len(cells)):
            if (number, column + 1) in formulas and cells[column] is None:
                cells[column] = FORMULA
        for min_row, min_col, max_col in by_row.get(number, ()):
            if min_row == number and len(cells) >= min_col:
                anchors[(min_row, min_col)] = cells[min_col - 1]
            value = anchors.get((min_row, min_col))
            if len(cells) < max_col:
                cells.extend([None] * (max_col - len(cells)))
            for column in range(min_col - 1, max_col):
                cells[column] = value
        yield number, cells


# --- .csv ----------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    """Text in UTF-8 (with or without BOM), UTF-16 with BOM, or else Windows-1252."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _read_csv(path: Path, is_header, progress) -> Sheet:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096] and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(msg("The file is not a spreadsheet (.xlsx) or text (.csv) file."))
    text = _decode(raw)
    del raw
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    _check_csv_size(text, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list]]:
        number = 0
        try:
            for number, values in _bounded(reader, ""):
                yield number, [_csv_cell(v) for v in values]
        except csv.Error as error:
            raise FileRefused(
                msg(
                    "The CSV file cannot be read near row %(row)s: %(error)s.",
                    row=number,
                    error=str(error),
                )
            ) from None

    return _collect(numbered(), is_header, progress, "csv")


def _check_csv_size(text: str, delimiter: str) -> None:
    """Refuse text with more lines, or a line with more cells, than an import takes, before
    the csv module builds a list of cells (a 20 MB line of commas is 20 million of them)."""
    lines = max(text.count("\n"), text.count("\r"))  # Unix, Windows or old Mac endings
    if lines > MAX_SHEET_ROWS or text.count(delimiter) > MAX_CELL_POSITIONS:
        raise _too_big()
    widest, start = EXCEL_COLUMNS, 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        # Quoted delimiters count too: a bound, not the exact number of cells.
        if text.count(delimiter, start, end) > widest and _csv_line_too_wide(
            text[start:end], delimiter, widest
        ):
            raise _too_big()
        start = end + 1


def _csv_line_too_wide(line: str, delimiter: str, widest: int) -> bool:
    """Whether a line outside quotes holds more than `widest` delimiters."""
    return sum(part.count(delimiter) for part in line.split('"')[::2]) > widest


def _csv_cell(value: str):
    value = _clean(value)
    if value == "":
        return None
    if value.startswith("="):
        # A CSV has no saved values: a formula here would have to be evaluated; refuse it.
        return FORMULA
    return value


def estimate_rows(path: Path) -> int:
    """About how many rows a file has, cheaply, for a progress bar (0 when unknown)."""
    try:
        with path.open("rb") as handle:
            start = handle.read(4)
        if not start.startswith(b"PK"):
            with path.open("rb") as handle:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        # The rows the check counts (every sheet's): no parser runs, and a file the check
        # refuses is estimated at 0 (reading it refuses it properly).
        with zipfile.ZipFile(path) as archive:
            return check_contents(archive)["rows"]
    except Exception:  # noqa: BLE001 (only a progress estimate: never fail the import on it)
        return 0
