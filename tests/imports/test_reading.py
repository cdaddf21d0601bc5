"""Reading real .xlsx and .csv files: layout quirks, encodings, formulas, limits, bad files."""

from datetime import date, datetime

import pytest
from openpyxl import Workbook

from supplies.services.imports import reading
from supplies.services.imports import values as cell
from supplies.services.imports.columns import STOCK, header_matcher, looks_identifying, map_columns
from tests.imports.files import STOCK_HEADER, csv_file, encrypted_xlsx, xlsx

ROW = ["HUB", "NARCAN4", "L1", "2027-01-31", "SOR", 12, "2026-01-05"]


def read(path, name=None):
    """Read a stock file the way the import does."""
    return reading.read_sheet(path, name or path.name, header_matcher(STOCK))


def test_merged_cells_repeat_their_value_and_empty_rows_are_skipped(tmp_path):
    rows = [STOCK_HEADER, ROW, [None, "FTS", None, None, None, 5, None], [], [None] * 7]
    rows += [["VAN", "FTS", None, None, None, 7, None]]
    path = xlsx(tmp_path / "merged.xlsx", rows, merges=["A2:A3"])
    sheet = read(path)
    assert sheet.header_row == 1
    assert [number for number, _ in sheet.rows] == [2, 3, 6]
    assert sheet.rows[1][1][0] == "HUB"


def test_trailing_spaces_and_header_spelling_are_forgiven(tmp_path):
    header = ["Site ", " SUPPLY", "Lot Number", "Expires-On", "funding", "Qty", "received_on"]
    path = xlsx(tmp_path / "spaces.xlsx", [header, ["HUB  ", "NARCAN4\xa0", " L1 ", None, None, 3]])
    sheet = read(path)
    columns, warnings = map_columns(STOCK, sheet.headers, sheet.header_row)
    assert set(columns) >= {"site", "supply", "lot_number", "expires_on", "quantity"}
    assert warnings == []
    assert sheet.rows[0][1][:3] == ["HUB", "NARCAN4", "L1"]


def test_a_title_row_above_the_header_keeps_spreadsheet_row_numbers(tmp_path):
    path = xlsx(tmp_path / "title.xlsx", [["Naloxone stock, 2026"], STOCK_HEADER, ROW])
    sheet = read(path)
    assert sheet.header_row == 2
    assert sheet.rows[0][0] == 3


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("03/05/2026", date(2026, 3, 5)),
        ("3/5/26", date(2026, 3, 5)),
        ("5 March 2026", date(2026, 3, 5)),
        ("Mar 5, 2026", date(2026, 3, 5)),
        (46086, date(2026, 3, 5)),
        ("46086", date(2026, 3, 5)),
        (46086.0, date(2026, 3, 5)),
        (datetime(2026, 3, 5), date(2026, 3, 5)),
        ("2026-03-05 14:30", datetime(2026, 3, 5, 14, 30)),
        ("03/05/2026 2:30 PM", datetime(2026, 3, 5, 14, 30)),
    ],
)
def test_dates_as_text_as_excel_dates_and_as_serial_numbers(typed, expected):
    assert cell.moment(typed) == expected


@pytest.mark.parametrize("typed", ["soon", "13/45/2026", "2026-02-30", 12, "next week"])
def test_a_date_that_is_not_a_date_is_refused(typed):
    with pytest.raises(cell.CellError):
        cell.moment(typed)


def test_dates_typed_as_numbers_in_xlsx_cells_are_read(tmp_path):
    path = xlsx(tmp_path / "serial.xlsx", [STOCK_HEADER, ["HUB", "FTS", None, 46086, None, 1]])
    sheet = read(path)
    assert cell.day(sheet.rows[0][1][3]) == date(2026, 3, 5)


@pytest.mark.parametrize(
    ("typed", "expected"), [(3, 3), (3.0, 3), ("3", 3), (" 12 ", 12), ("1,200", 1200)]
)
def test_quantities(typed, expected):
    assert cell.whole_number(typed, 1, 100000) == expected


@pytest.mark.parametrize("typed", [-1, "-2", 2.5, "2.5", "ten", 0, 100001, True])
def test_bad_quantities(typed):
    with pytest.raises(cell.CellError):
        cell.whole_number(typed, 1, 100000)


def test_csv_in_utf8_with_bom(tmp_path):
    path = csv_file(
        tmp_path / "bom.csv", [STOCK_HEADER, ["HUB", "Narcan – 4 mg", "L1"]], "utf-8-sig"
    )
    sheet = read(path)
    assert sheet.headers[0] == "site"
    assert sheet.rows[0][1][1] == "Narcan – 4 mg"
    assert sheet.format == "csv"


def test_csv_in_windows_1252_with_semicolons(tmp_path):
    rows = [STOCK_HEADER, ["Peña Clinic", "Café kit", "L1", "", "", "4", ""]]
    path = csv_file(tmp_path / "excel.csv", rows, "cp1252", delimiter=";")
    sheet = read(path)
    assert sheet.rows[0][1][:2] == ["Peña Clinic", "Café kit"]


def test_csv_in_utf16_as_excel_unicode_text(tmp_path):
    path = csv_file(tmp_path / "u16.txt", [STOCK_HEADER, ROW], "utf-16", delimiter="\t")
    assert read(path).rows[0][1][0] == "HUB"


def test_formulas_are_read_as_their_saved_values(tmp_path):
    path = xlsx(tmp_path / "f.xlsx", [STOCK_HEADER, ["HUB", "FTS", None, None, None, "=2*6"]])
    # openpyxl saves no cached value: the cell must be refused, never evaluated.
    sheet = read(path)
    assert sheet.rows[0][1][5] is reading.FORMULA
    # Add the value Excel would have saved along with the formula.
    cached = tmp_path / "cached.xlsx"
    _with_cached_value(path, cached, "=2*6", 12)
    assert read(cached).rows[0][1][5] == 12


def _with_cached_value(source, target, formula, value):
    """Rewrite the sheet XML so the formula cell carries a saved value, as Excel does."""
    import zipfile

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = text.replace(f"<f>{formula[1:]}</f><v></v>", f"<f>{formula[1:]}</f>")
                text = text.replace(f"<f>{formula[1:]}</f>", f"<f>{formula[1:]}</f><v>{value}</v>")
                data = text.encode()
            zout.writestr(item, data)


def test_formulas_in_csv_are_refused(tmp_path):
    path = csv_file(tmp_path / "f.csv", [STOCK_HEADER, ["HUB", "FTS", "", "", "", "=1+1"]])
    assert read(path).rows[0][1][5] is reading.FORMULA


def test_corrupt_xlsx_is_refused_clearly(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file at all" * 10)
    with pytest.raises(reading.FileRefused, match="not a readable .xlsx"):
        read(path)


def test_truncated_xlsx_is_refused_clearly(tmp_path):
    good = xlsx(tmp_path / "good.xlsx", [STOCK_HEADER, ROW])
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good.read_bytes()[:600])
    with pytest.raises(reading.FileRefused):
        read(path)


def test_password_protected_xlsx_is_refused_clearly(tmp_path):
    path = encrypted_xlsx(tmp_path / "locked.xlsx", [STOCK_HEADER, ROW])
    with pytest.raises(reading.FileRefused, match="password"):
        read(path)


def test_old_xls_and_binary_files_are_refused(tmp_path):
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(reading.FileRefused, match="old .xls"):
        read(old)
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(reading.FileRefused, match="not a spreadsheet"):
        read(binary)


def test_size_and_row_limits(tmp_path, monkeypatch):
    path = csv_file(tmp_path / "many.csv", [STOCK_HEADER] + [ROW] * 30)
    monkeypatch.setattr(reading, "MAX_ROWS", 20)
    with pytest.raises(reading.FileRefused, match="more than 20 rows"):
        read(path)
    monkeypatch.setattr(reading, "MAX_BYTES", 100)
    with pytest.raises(reading.FileRefused, match="the limit is"):
        read(path)


def test_empty_and_headerless_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(reading.FileRefused, match="empty"):
        read(empty)
    path = csv_file(tmp_path / "noheader.csv", [["a", "b"], ["1", "2"]])
    sheet = read(path)
    with pytest.raises(reading.FileRefused, match="lacks the columns site, supply, quantity"):
        map_columns(STOCK, sheet.headers, sheet.header_row)


@pytest.mark.parametrize(
    "header",
    [
        "Name",
        "First Name",
        "last_name",
        "DOB",
        "Date of Birth",
        "Phone",
        "E-mail",
        "Address",
        "Client ID",
        "client_id",
        "Participant",
        "Patient #",
        "Tel",
        "Tel.",
        "Notes",
        "Comments",
        "Gender",
        "Apt",
        "Apt #",
        "Nombre",
        "Apellidos",
        "Fecha de nacimiento",
        "Teléfono",
        "Correo electrónico",
        "Dirección",
        "Domicilio",
        "Cliente",
        "Participante",
        "Paciente",
        "Notas",
        "Comentarios",
        "Género",
        "Sexo",
        "Apartamento",
    ],  # fmt: skip
)
def test_identifying_columns_are_refused(tmp_path, header):
    sheet = read(xlsx(tmp_path / "who.xlsx", [STOCK_HEADER + [header], ROW + ["x"]]))
    with pytest.raises(reading.FileRefused, match="could identify participants"):
        map_columns(STOCK, sheet.headers, sheet.header_row)


@pytest.mark.parametrize("header", ["Hotel", "County", "Lot number", "Supply code", "Unit"])
def test_ordinary_columns_are_not_taken_for_identifying_ones(header):
    assert not looks_identifying(header)


def test_the_data_sheet_is_found_before_instructions(tmp_path):
    book = Workbook()
    book.active.title = "Instructions"
    book.active.append(["Fill in the next sheet"])
    book.create_sheet("Stock").append(STOCK_HEADER)
    book["Stock"].append(ROW)
    book.save(tmp_path / "t.xlsx")
    assert read(tmp_path / "t.xlsx").rows[0][1][0] == "HUB"


def test_row_numbers_match_excel_when_the_sheet_starts_lower(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet["B4"] = "site"
    sheet["C4"] = "supply"
    sheet["D4"] = "quantity"
    sheet["B7"], sheet["C7"], sheet["D7"] = "HUB", "FTS", 3
    book.save(tmp_path / "low.xlsx")
    found = read(tmp_path / "low.xlsx")
    assert found.header_row == 4 and [n for n, _ in found.rows] == [7]
    columns, _ = map_columns(STOCK, found.headers, found.header_row)
    assert columns["site"].label == "B (site)"
