"""The funder workbook as LibreOffice prints it: every sheet converted to PDF by
`soffice --headless`, then read back with poppler's pdftotext.

Two checks per workbook, in both languages: every cell's text is in the PDF's text layer
(a cut label or a row printed over another loses words), and no two words of a page sit
on each other (`pdftotext -bbox`: rows of wrapped text without heights, a chart over
data, a label running into the next column). The pages are kept as PNG images under
tests/artifacts/ for a person to look at.

Set REQUIRE_LIBREOFFICE=1 (CI does) to turn a missing soffice or poppler into a failure
instead of a skip.
"""

import os
import re
import shutil
import subprocess
import uuid
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from tests.reports import rich_ledger
from tests.reports.test_workbook import app  # noqa: F401

pytestmark = pytest.mark.libreoffice
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
TOOLS = ("soffice", "pdftotext", "pdftoppm")
# Two words overlap when their boxes share more than a point across and more than half
# the smaller one's height: a word's box takes in the font's ascent and descent, so the
# boxes of wrapped lines set close together touch a little without any text overlapping.
OVERLAP_POINTS = 1.0
OVERLAP_HEIGHT = 0.5
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def find_tools() -> dict[str, str]:
    """Where soffice, pdftotext and pdftoppm are: a skip without them, or a failure where
    REQUIRE_LIBREOFFICE=1 (CI), as REQUIRE_BROWSER does for the browser tests."""
    found = {name: shutil.which(name) for name in TOOLS}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        packages = "apt-get install libreoffice-calc poppler-utils"
        reason = f"{', '.join(missing)} not installed ({packages})"
        if os.environ.get("REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(f"LibreOffice tests required but {reason}")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def tools() -> dict[str, str]:
    """The converters, found once for the run."""
    return find_tools()


def _to_pdf(tools, xlsx: Path) -> Path:
    # A profile of its own: two conversions at once must not share (and lock) one.
    profile = xlsx.parent / f"lo-profile-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [
            tools["soffice"],
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(xlsx.parent),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = xlsx.with_suffix(".pdf")
    assert pdf.exists(), "LibreOffice wrote no PDF"
    return pdf


def _shown(cell) -> str:
    """A cell's text roughly as a spreadsheet shows it (enough to compare words)."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime):
        if cell.number_format == "mmm yyyy":
            return value.strftime("%b %Y")
        if cell.number_format == "yyyy-mm-dd hh:mm":
            return value.strftime("%Y-%m-%d %H:%M")
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"{value:,}" if "#,##0" in cell.number_format else str(value)
    return str(value)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _sheet_words(path: Path) -> dict[str, Counter]:
    wb = load_workbook(path)
    words = {}
    for ws in wb.worksheets:
        found = Counter()
        for row in ws.iter_rows():
            for cell in row:
                found.update(_words(_shown(cell)))
        words[ws.title] = found
    return words


def _pdf_words(tools, pdf: Path) -> Counter:
    text = subprocess.run(
        [tools["pdftotext"], "-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return Counter(_words(text))


def _overlaps(tools, pdf: Path) -> list[str]:
    """Pairs of words whose boxes overlap on a page."""
    html = subprocess.run(
        [tools["pdftotext"], "-bbox", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # The -bbox output is XHTML: pages of <word xMin= yMin= xMax= yMax=>text</word>.
    problems = []
    for number, page in enumerate(html.split("<page ")[1:], start=1):
        boxes = [
            (float(x0), float(y0), float(x1), float(y1), text)
            for x0, y0, x1, y1, text in WORD.findall(page)
        ]
        boxes.sort()
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                if b[0] >= a[2] - OVERLAP_POINTS:
                    break  # sorted by left edge: nothing further right can overlap a
                wide = min(a[2], b[2]) - max(a[0], b[0])
                tall = min(a[3], b[3]) - max(a[1], b[1])
                height = min(a[3] - a[1], b[3] - b[1])
                if wide > OVERLAP_POINTS and tall > OVERLAP_HEIGHT * height:
                    problems.append(f"page {number}: {a[4]!r} over {b[4]!r}")
    return problems


def _pages_as_images(tools, pdf: Path, name: str) -> list[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(
        [tools["pdftoppm"], "-png", "-r", "60", str(pdf), str(ARTIFACTS / name)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_sheet_prints_whole_and_without_overlapping_text(
    tools, make, monkeypatch, tmp_path, language
):
    rich_ledger.build(make, monkeypatch)
    filters = reporting.make_filters("2026-01-01", "2026-03-31", language=language)
    xlsx = tmp_path / f"funder-{language}.xlsx"
    xlsx.write_bytes(exports.read_archive(exports.funder_export(make.admin, filters)))
    pdf = _to_pdf(tools, xlsx)
    printed = _pdf_words(tools, pdf)
    for sheet, words in _sheet_words(xlsx).items():
        missing = words - printed
        assert not missing, f"{sheet}: not printed (cut or hidden): {sorted(missing)[:20]}"
    assert _overlaps(tools, pdf) == []
    pages = _pages_as_images(tools, pdf, f"workbook-{language}")
    assert pages, "pdftoppm wrote no page"


def test_a_row_printed_over_another_is_caught(tools, tmp_path):
    """The check itself: About text wrapped in rows left at the default height overlaps."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    ws = wb.active
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 30
    ws.append(["Ocultación de cifras pequeñas", "short"])
    for n in range(3):
        ws.append([f"Label {n}", "a long sentence that wraps over several lines " * 3])
        ws.cell(ws.max_row, 2).alignment = Alignment(wrap_text=True)
        ws.row_dimensions[ws.max_row].height = 15
    xlsx = tmp_path / "bad.xlsx"
    wb.save(xlsx)
    pdf = _to_pdf(tools, xlsx)
    missing = _sheet_words(xlsx)["Sheet"] - _pdf_words(tools, pdf)
    assert missing or _overlaps(tools, pdf)


def test_missing_soffice_fails_where_required_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "soffice" else name)
    monkeypatch.setenv("REQUIRE_LIBREOFFICE", "1")
    with pytest.raises(pytest.fail.Exception, match="soffice not installed"):
        find_tools()
    monkeypatch.delenv("REQUIRE_LIBREOFFICE")
    with pytest.raises(pytest.skip.Exception):
        find_tools()
