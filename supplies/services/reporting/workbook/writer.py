"""Writing the funder workbook (and the event-level export) with openpyxl, per DESIGN.md.

Every data sheet holds one Excel table whose display name and first headers are fixed by
the contract, and nothing else: the chart and the block it draws from have a sheet of
their own (Chart), so a table reader or pandas reads each data sheet as exactly its table.
Text that a spreadsheet could read as a formula (= + - @) is stored as text.
"""

import warnings
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from supplies.services.reporting.report import FunderReport
from supplies.services.reporting.workbook.layout import (
    CHART_SHEET,
    DATE,
    DATETIME,
    INTEGER,
    MONTH,
    ROWS_FOR_TABLE,
    SHEETS,
    Column,
)
from supplies.services.reporting.workbook.text import (
    CHART_MONTH,
    CHART_TITLE,
    CHART_UNITS,
    about_rows,
    category_label,
    localized_rows,
)

STREAMED_AS_IS = (INTEGER, DATE, DATETIME)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
TABLE_STYLE = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)


def as_text_safe(cell, value):
    """Put a value in a cell; text a spreadsheet would run as a formula stays plain text."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _column_width(values: list, number_format: str | None) -> int:
    """The widest of a column's values as shown: whole numbers by their extremes alone.

    Worked out per type of value at C speed (text by its length, dates and times by their
    format): a Python call per cell would cost more than openpyxl's writing of it.
    """
    widths = [0]
    for kind in set(map(type, values)):
        if kind is str:
            widths.append(max(map(len, [value for value in values if type(value) is str])))
        elif kind is int:
            numbers = [value for value in values if type(value) is int]
            widths += [len(f"{min(numbers):,}"), len(f"{max(numbers):,}")]
        elif issubclass(kind, datetime):
            widths.append(16)
        elif issubclass(kind, date):
            widths.append(10 if number_format == DATE else 9)
        elif kind is not type(None):
            widths += [len(str(value)) for value in values if type(value) is kind]
    return max(widths)


def _page_setup(ws, title_rows: str | None = "1:1") -> None:
    """Landscape, one page wide, header row repeated on every printed page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows


def _text_cell(ws, value, **style):
    cell = as_text_safe(WriteOnlyCell(ws), value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


class _ShownCells:
    """The styled cells one column of a table shows some of its values in.

    A write-only sheet writes each row as it is appended, so one styled cell per column
    and kind of value serves every row: a styled cell made per value costs openpyxl
    several times a plain one. Which rows need one is found per column, at the speed of
    a comprehension: a Python call per cell would cost more than the writing of it.
    """

    def __init__(self, ws, number_format: str | None):
        self.number_format = number_format
        self.number = WriteOnlyCell(ws)
        self.number.number_format = number_format or "General"
        # Text a spreadsheet would run as a formula (= + - @) is stored as text, in any
        # column. Other text in a number column ("<10", "suppressed") stays a plain cell,
        # shown as text is: lining it up with the numbers would take a styled cell per
        # value, 0.25 s of a 4.3 s workbook at 1M events, where By Area holds 37,000.
        self.formula_text = WriteOnlyCell(ws)
        self.formula_text.quotePrefix = True

    def changes(self, column: list) -> list[tuple[int, object]]:
        """(row, styled cell) for each of the column's values a plain cell would not show
        as it should; the value goes in the cell just before its row is written."""
        changes = [(row, self.formula_text) for row in _formula_rows(column)]
        if self.number_format == INTEGER:
            # A whole number under 1,000 looks the same without the thousands separator.
            rows = [r for r, v in enumerate(column) if type(v) is int and not -1000 < v < 1000]
        elif self.number_format == DATE:
            # openpyxl gives a plain date the format DATE stands for itself.
            rows = [
                r
                for r, v in enumerate(column)
                if v is not None and type(v) is not str and type(v) is not date
            ]
        elif self.number_format:
            rows = [r for r, v in enumerate(column) if v is not None and type(v) is not str]
        else:
            rows = []
        return changes + [(row, self.number) for row in rows]


def _formula_rows(column: list) -> list[int]:
    """The rows whose text starts like a formula: most columns have none, which one search
    of the column's text, joined, tells at C speed."""
    try:
        joined = "\n" + "\n".join(column)  # a column of text alone, the most common
    except TypeError:
        joined = "\n" + "\n".join([value for value in column if isinstance(value, str)])
    if not any("\n" + start in joined for start in FORMULA_STARTS):
        return []
    return [
        row
        for row, value in enumerate(column)
        if isinstance(value, str) and value.startswith(FORMULA_STARTS)
    ]


def _write_table(ws, name: str, columns: list[Column], rows: list[dict]) -> int:
    """Stream a header and rows from A1 as an Excel table; return the last row used."""
    # Translated headers are lazy: worked out once, in the workbook's language.
    headers = [str(column.header) for column in columns]
    # Rows as lists of values, in column order: measured for widths, then streamed.
    keys = [column.key for column in columns]
    values = [[row.get(key) for key in keys] for row in rows]
    by_column = [[cells[index] for cells in values] for index in range(len(columns))]
    # A write-only sheet takes its column widths before its first row, so measure first.
    for index, (header, column) in enumerate(zip(headers, columns, strict=True)):
        shown = _column_width(by_column[index], column.number_format)
        # Room for the table's filter button next to the header.
        ws.column_dimensions[get_column_letter(index + 1)].width = min(
            max(len(header), shown) + 4, 60
        )
    ws.freeze_panes = "A2"
    # Sheet properties (fit to page) are written with the first row, so set up first.
    _page_setup(ws)
    ws.append([_text_cell(ws, header, font=BOLD) for header in headers])
    styled: dict[int, list[tuple[int, object]]] = {}
    for index, column in enumerate(columns):
        for row, cell in _ShownCells(ws, column.number_format).changes(by_column[index]):
            styled.setdefault(row, []).append((index, cell))
    for row, cells in enumerate(values):
        for index, cell in styled.get(row, ()):
            value = cells[index]
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            cells[index] = cell
        ws.append(cells)
    # Excel wants at least one data row in a table; an empty table keeps one blank row.
    if not rows:
        ws.append([])
    last_row = max(len(rows) + 1, 2)
    table = Table(displayName=name, ref=f"A1:{get_column_letter(len(columns))}{last_row}")
    # A write-only sheet cannot read its header back, so the table is told its column names.
    table.tableColumns = [
        TableColumn(id=index, name=header) for index, header in enumerate(headers, 1)
    ]
    table.autoFilter = AutoFilter(ref=table.ref)
    table.tableStyleInfo = TABLE_STYLE
    with warnings.catch_warnings():
        # openpyxl always warns in write-only mode; the columns were named just above.
        warnings.simplefilter("ignore", UserWarning)
        ws.add_table(table)
    return last_row


def _write_chart(ws, report: FunderReport) -> None:
    """The chart's sheet: a month x category block from A1 and a bar chart beside it.

    The block is no Excel table and sits on no data sheet, so neither a table reader nor
    pandas reading a data sheet meets it; the chart starts two columns to its right, so
    it covers no cell of it in Excel or LibreOffice.
    """
    labels = [category_label(category) for category in report.categories]
    headers = [str(CHART_MONTH), *labels]
    for index, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(len(header), 8) + 2
    _page_setup(ws)
    ws.append([_text_cell(ws, header, font=BOLD) for header in headers])
    for row in report.chart:
        month_cell = WriteOnlyCell(ws, value=row["month"])
        month_cell.number_format = MONTH
        cells = [month_cell]
        for category in report.categories:
            cell = WriteOnlyCell(ws, value=row[category])
            cell.number_format = INTEGER
            cells.append(cell)
        ws.append(cells)
    if not report.categories:
        return
    last_row = 1 + len(report.chart)
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = str(CHART_TITLE)
    chart.y_axis.title = str(CHART_UNITS)
    chart.x_axis.title = str(CHART_MONTH)
    chart.x_axis.number_format = MONTH
    last_col = len(headers)
    data = Reference(ws, min_col=2, max_col=last_col, min_row=1, max_row=last_row)
    months = Reference(ws, min_col=1, min_row=2, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(months)
    chart.width, chart.height = 22, 11
    ws.add_chart(chart, f"{get_column_letter(last_col + 2)}1")


def funder_workbook(report: FunderReport) -> Workbook:
    """Build the funder workbook, streamed (write-only): save it once, to a path.

    Its words follow the current locale: the caller forces the workbook's language.
    """
    wb = Workbook(write_only=True)
    write_about_streaming(wb.create_sheet("About"), about_rows(report))
    for title, table_name, columns in SHEETS:
        ws = wb.create_sheet(title)
        rows = localized_rows(table_name, getattr(report, ROWS_FOR_TABLE[table_name]))
        _write_table(ws, table_name, columns, rows)
    _write_chart(wb.create_sheet(CHART_SHEET), report)
    wb.properties.creator = report.program
    wb.properties.title = _("%(program)s: funder report", program=report.program)
    return wb


def write_rows_streaming(ws, columns: list[Column], rows: Iterable[Sequence], table_name: str):
    """Stream rows (values in column order) into a write-only sheet as one Excel table;
    return how many were written.

    Every text column is checked for text a spreadsheet would run as a formula, not only
    those people type: a value that reached the database some other way is caught too.
    """
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(len(column.header) + 4, 12)
    ws.freeze_panes = "A2"
    # Write-only sheets keep page setup only when it is set before the first row.
    _page_setup(ws)
    header = []
    for column in columns:
        cell = as_text_safe(WriteOnlyCell(ws), column.header)
        cell.font = BOLD
        header.append(cell)
    ws.append(header)
    # Whole numbers, dates and times go in as plain values (openpyxl gives dates and times
    # a date format itself): a styled cell per value would cost more than the XML writing.
    styled = [
        index
        for index, column in enumerate(columns)
        if column.number_format and column.number_format not in STREAMED_AS_IS
    ]
    checked = [index for index, column in enumerate(columns) if not column.number_format]
    count = 0
    for row in rows:
        values = list(row)
        for index in styled:
            if values[index] is not None:
                cell = WriteOnlyCell(ws, value=values[index])
                cell.number_format = columns[index].number_format
                values[index] = cell
        for index in checked:
            value = values[index]
            if type(value) is str and value.startswith(FORMULA_STARTS):
                values[index] = as_text_safe(WriteOnlyCell(ws), value)
        ws.append(values)
        count += 1
    if count == 0:
        ws.append([None] * len(columns))
    table = Table(
        displayName=table_name, ref=f"A1:{get_column_letter(len(columns))}{max(count, 1) + 1}"
    )
    # A write-only sheet cannot read its header back, so the table is told its column names.
    table.tableColumns = [
        TableColumn(id=index, name=column.header) for index, column in enumerate(columns, 1)
    ]
    table.autoFilter = AutoFilter(ref=table.ref)
    table.tableStyleInfo = TABLE_STYLE
    with warnings.catch_warnings():
        # openpyxl always warns in write-only mode; the columns were named just above.
        warnings.simplefilter("ignore", UserWarning)
        ws.add_table(table)
    return count


# Printed line height (points) of 11-point text, and how many characters of running text
# a column of width W holds: fewer than W, since LibreOffice may draw with a wider font
# than Excel's Calibri; a row a little too tall costs nothing, one too short cuts text.
LINE_POINTS = 15
CHARACTERS_PER_WIDTH = 0.85
LABEL_WIDTH = (12, 40)
VALUE_WIDTH = 100


def _lines(text, width: float) -> int:
    """How many lines wrapped text takes in a column of this width."""
    if text is None or not isinstance(text, str):
        return 1
    per_line = max(int(width * CHARACTERS_PER_WIDTH), 1)
    return sum(max(-(-len(part) // per_line), 1) for part in text.split("\n"))


def write_about_streaming(ws, rows) -> None:
    """The About sheet of a write-only workbook: labels in A, wrapped text in B.

    Column A is as wide as the longest label of the workbook's language (bold text is
    wider), and every row is given the height its wrapped lines need: a spreadsheet
    program does not grow the rows of a file it opens, and LibreOffice prints rows of
    the default height over each other.
    """
    rows = list(rows)
    longest = max((len(str(label)) for label, _ in rows if label), default=0)
    label_width = min(max(round(longest * 1.15) + 3, LABEL_WIDTH[0]), LABEL_WIDTH[1])
    ws.column_dimensions["A"].width = label_width
    ws.column_dimensions["B"].width = VALUE_WIDTH
    _page_setup(ws, None)
    for number, (label, value) in enumerate(rows, start=1):
        lines = max(_lines(label, label_width / 1.15), _lines(value, VALUE_WIDTH))
        if lines > 1:
            ws.row_dimensions[number].height = lines * LINE_POINTS
        label_cell = as_text_safe(WriteOnlyCell(ws), label)
        label_cell.font = BOLD
        label_cell.alignment = Alignment(vertical="top", wrap_text=True)
        cell = as_text_safe(WriteOnlyCell(ws), value)
        if isinstance(value, datetime):
            cell.number_format = DATETIME
            cell.alignment = Alignment(horizontal="left", vertical="top")
        elif isinstance(value, date):
            cell.number_format = DATE
            cell.alignment = Alignment(horizontal="left", vertical="top")
        else:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([label_cell, cell])
