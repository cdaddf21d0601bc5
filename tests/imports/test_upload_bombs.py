"""Upload bombs: small files that unpack, or parse, into far more than any import needs.

Each is built here (a few hundred KB on disk at most, the .csv ones aside), read in a
fresh Python process as an import job would read it, and must be refused within a few
seconds while the process grows by little: its peak memory is measured with
resource.getrusage (ru_maxrss) before and after the read.
"""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from supplies.config import PROJECT_ROOT
from supplies.services.imports import reading

SECONDS = 5.0  # "refused in a few seconds", with room for a slow, shared machine
GROWTH_MB = 80  # what reading one of these may add to the process at its peak

READ_IN_A_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from supplies.services.imports import reading
def status_mb(name):
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(name + ":"))
    return int(line.split()[1]) / 1024
try:
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # Linux: the peak (VmHWM) starts again from what is held now
    def peak_mb():
        return status_mb("VmHWM")
except OSError:
    def peak_mb():  # an upper bound: the process's peak since it started
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
before = status_mb("VmRSS")
started = time.monotonic()
try:
    reading.read_sheet(__import__("pathlib").Path(sys.argv[1]), sys.argv[1], lambda h: "site" in h)
    outcome = "read"
except reading.FileRefused as error:
    outcome = "refused: " + str(error)
print(json.dumps({"outcome": outcome, "seconds": time.monotonic() - started,
                  "growth_mb": peak_mb() - before}))
"""

SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
STRINGS_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _template(path: Path) -> dict[str, bytes]:
    """The parts of a real, small workbook (header and one row), to build bombs from."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Stock"
    sheet.append(["site", "supply", "quantity"])
    sheet.append(["HUB", "FTS", 5])
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path: Path, parts: dict, streamed: dict) -> Path:
    """A workbook of `parts`, with `streamed` parts written as (head, unit, times, tail)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            if name not in streamed:
                archive.writestr(name, data)
        for name, (head, unit, times, tail) in streamed.items():
            with archive.open(name, "w", force_zip64=True) as out:
                out.write(head)
                block = unit * max(1, (1 << 20) // len(unit))
                written = 0
                while written + len(block) <= times * len(unit):
                    out.write(block)
                    written += len(block)
                out.write(unit * (times - written // len(unit)))
                out.write(tail)
    return path


def _bombs(folder: Path) -> dict[str, Path]:
    parts = _template(folder / "template.xlsx")
    sheet = "xl/worksheets/sheet1.xml"
    mb = 1024 * 1024
    strings = "xl/sharedStrings.xml"
    with_strings = dict(parts)
    if strings not in parts:
        # openpyxl wrote the strings inline: declare a strings table as Excel would.
        with_strings["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
    return {
        # What the attack used: a 150 MB table of shared strings in a file of a few hundred KB.
        "shared strings": _write(
            folder / "strings.xlsx",
            with_strings,
            {strings: (STRINGS_HEAD, b"<si><t>a</t></si>", 150 * mb // 17, b"</sst>")},
        ),
        # 60 MB of empty rows, and no declared size to stop a reader.
        "empty rows": _write(
            folder / "rows.xlsx",
            parts,
            {
                sheet: (
                    SHEET_HEAD + b"<sheetData>",
                    b"<row/>",
                    60 * mb // 6,
                    b"</sheetData></worksheet>",
                )
            },
        ),
        # One cell at the sheet's far corner, and a declared size of the whole sheet.
        "far corner": _write(
            folder / "corner.xlsx",
            {
                **parts,
                sheet: SHEET_HEAD
                + b'<dimension ref="A1:XFD1048576"/><sheetData>'
                + b'<row r="1"><c r="A1" t="inlineStr"><is><t>site</t></is></c></row>'
                + b'<row r="1048576"><c r="XFD1048576"><f>1+1</f><v>2</v></c></row>'
                + b"</sheetData></worksheet>",
            },
            {},
        ),
        # A few thousand rows that each reach column XFD: billions of cells to pad out.
        "wide rows": _write(
            folder / "wide.xlsx",
            parts,
            {
                sheet: (
                    SHEET_HEAD + b'<sheetData><row><c t="inlineStr"><is><t>site</t></is></c></row>',
                    b'<row><c r="XFD1" s="1"/></row>',
                    200_000,
                    b"</sheetData></worksheet>",
                )
            },
        ),
        # A merge over the whole sheet repeats one value into 17 billion cells.
        "merged sheet": _write(
            folder / "merge.xlsx",
            {
                **parts,
                sheet: SHEET_HEAD
                + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>site</t></is></c>'
                + b'</row></sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/>'
                + b"</mergeCells></worksheet>",
            },
            {},
        ),
        # A style sheet is read whole: 100 MB of it.
        "styles": _write(
            folder / "styles.xlsx",
            parts,
            {
                "xl/styles.xml": (
                    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                    b'2006/main"><numFmts>',
                    b'<numFmt numFmtId="200" formatCode="0"/>',
                    100 * mb // 38,
                    b"</numFmts></styleSheet>",
                )
            },
        ),
        # Under the 20 MB upload limit, a .csv has no zip to unpack, but can still be
        # millions of rows or cells.
        "csv of newlines": _plain(folder / "lines.csv", b"site\n" + b"\n" * (19 * mb)),
        "csv of carriage returns": _plain(folder / "cr.csv", b"site\r" + b"\r" * (19 * mb)),
        "csv of commas": _plain(folder / "commas.csv", b"site" + b"," * (19 * mb)),
    }


def _plain(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _read_in_a_child(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", READ_IN_A_CHILD, str(path), str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    return _bombs(tmp_path_factory.mktemp("bombs"))


BOMBS = [
    "shared strings",
    "empty rows",
    "far corner",
    "wide rows",
    "merged sheet",
    "styles",
    "csv of newlines",
    "csv of carriage returns",
    "csv of commas",
]


@pytest.mark.parametrize("name", BOMBS)
def test_upload_bombs_are_refused_quickly_in_little_memory(bombs, name):
    path = bombs[name]
    if path.suffix == ".xlsx":
        assert path.stat().st_size < 1024 * 1024, "a bomb is small on disk"
    seen = _read_in_a_child(path)
    assert seen["outcome"].startswith("refused: "), (name, seen)
    assert "holds far more than an import can take" in seen["outcome"], (name, seen)
    assert seen["seconds"] < SECONDS, (name, seen)
    assert seen["growth_mb"] < GROWTH_MB, (name, seen)


def test_the_limits_sit_well_above_a_big_programs_year():
    # The import benchmark's year: 200,000 rows of 8 columns.
    assert reading.MAX_ROWS >= 200_000
    assert reading.MAX_CELLS >= 200_000 * 8 * 2
    assert reading.MAX_SHEET_ROWS > reading.MAX_ROWS
    # ...and far below what the attack used (150 MB of strings, 60 MB of rows).
    assert reading.MAX_PART_BYTES <= 150 * 1024 * 1024 // 8
    assert reading.MAX_SHEET_ROWS <= 60 * 1024 * 1024 // 6 // 20


def test_a_real_file_of_many_rows_is_still_read(tmp_path):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Stock")
    sheet.append(["site", "supply", "lot_number", "quantity"])
    for n in range(20_000):
        sheet.append(["HUB", "FTS", f"LOT{n}", n % 90 + 1])
    path = tmp_path / "real.xlsx"
    book.save(path)
    seen = _read_in_a_child(path)
    assert seen["outcome"] == "read", seen
