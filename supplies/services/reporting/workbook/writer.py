"""Writing the funder workbook (and the event-level export) with openpyxl, per DESIGN.md.

Every data sheet holds one Excel table whose display name and first headers are fixed by
the contract. Text that a spreadsheet could read as a formula (= + - @) is stored as text.
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


def _display_width(value, number_format: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10 if number_format == DATE else 9
    if isinstance(value, int) and not isinstance(value, bool):
        return len(f"{value:,}")
    return len(str(value))


def _column_width(values: list, number_format: str | None) -> int:
    """The widest of a column's values as shown: whole numbers by their extremes alone."""
    present = [value for value in values if value is not None]
    if not present:
        return 0
    if all(type(value) is int for value in present):
        return max(_display_width(min(present), None), _display_width(max(present), None))
    return max(_display_width(value, number_format) for value in present)


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


def _write_table(ws, name: str, columns: list[Column], rows: list[dict]) -> int:
    """Stream a header and rows from A1 as an Excel table; return the last row used."""
    # Translated headers are lazy: worked out once, in the workbook's language.
    headers = [str(column.header) for column in columns]
    # Rows as lists of values, in column order: measured for widths, then streamed.
    keys = [column.key for column in columns]
    values = [[row.get(key) for key in keys] for row in rows]
    # A write-only sheet takes its column widths before its first row, so measure first.
    for index, (header, column) in enumerate(zip(headers, columns, strict=True)):
        shown = _column_width([row[index] for row in values], column.number_format)
        # Room for the table's filter button next to the header.
        ws.column_dimensions[get_column_letter(index + 1)].width = min(
            max(len(header), shown) + 4, 60
        )
    ws.freeze_panes = "A2"
    # Sheet properties (fit to page) are written with the first row, so set up first.
    _page_setup(ws)
    ws.append([_text_cell(ws, header, font=BOLD) for header in headers])
    right = Alignment(horizontal="right")
    # A write-only sheet writes each row as it is appended, so one formatted cell per
    # column serves every row: styling a new cell per value would cost more than the XML.
    formatted = {}
    for index, column in enumerate(columns):
        if column.number_format:
            formatted[index] = WriteOnlyCell(ws)
            formatted[index].number_format = column.number_format
    grouped = {index for index, column in enumerate(columns) if column.number_format == INTEGER}
    # openpyxl gives a plain date the format DATE stands for itself, without a styled cell.
    dated = {index for index, column in enumerate(columns) if column.number_format == DATE}
    for cells in values:
        for index, value in enumerate(cells):
            if value is None:
                continue
            if isinstance(value, str):
                if index in formatted:
                    cells[index] = _text_cell(ws, value, alignment=right)
                elif value.startswith(FORMULA_STARTS):
                    cells[index] = _text_cell(ws, value)
            elif index in formatted:
                # A whole number under 1,000 looks the same with or without the thousands
                # separator; leaving it plain spares openpyxl a styled cell, which costs it
                # several times a plain one, on most cells of the big tables.
                if index in grouped and -1000 < value < 1000:
                    continue
                if index in dated and type(value) is date:
                    continue
                formatted[index].value = value
                cells[index] = formatted[index]
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


def _write_chart(ws, report: FunderReport, below_row: int) -> None:
    """A small month x category block under the Summary table, and a bar chart of it."""
    if not report.categories:
        return
    title_row = below_row + 3
    header_row = title_row + 1
    ws.append([])
    ws.append([])
    title = str(CHART_TITLE)
    ws.append([_text_cell(ws, title, font=BOLD)])
    labels = [category_label(category) for category in report.categories]
    ws.append([_text_cell(ws, label, font=BOLD) for label in [str(CHART_MONTH), *labels]])
    for row in report.chart:
        month_cell = WriteOnlyCell(ws, value=row["month"])
        month_cell.number_format = MONTH
        cells = [month_cell]
        for category in report.categories:
            cell = WriteOnlyCell(ws, value=row[category])
            cell.number_format = INTEGER
            cells.append(cell)
        ws.append(cells)
    last_row = header_row + len(report.chart)
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = title
    chart.y_axis.title = str(CHART_UNITS)
    chart.x_axis.title = str(CHART_MONTH)
    chart.x_axis.number_format = MONTH
    last_col = len(report.categories) + 1
    data = Reference(ws, min_col=2, max_col=last_col, min_row=header_row, max_row=last_row)
    months = Reference(ws, min_col=1, min_row=header_row + 1, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(months)
    chart.width, chart.height = 22, 11
    ws.add_chart(chart, f"{get_column_letter(len(SHEETS[0][2]) + 2)}2")


def funder_workbook(report: FunderReport) -> Workbook:
    """Build the funder workbook, streamed (write-only): save it once, to a path.

    Its words follow the current locale: the caller forces the workbook's language.
    """
    wb = Workbook(write_only=True)
    write_about_streaming(wb.create_sheet("About"), about_rows(report))
    for title, table_name, columns in SHEETS:
        ws = wb.create_sheet(title)
        rows = localized_rows(table_name, getattr(report, ROWS_FOR_TABLE[table_name]))
        last_row = _write_table(ws, table_name, columns, rows)
        if table_name == "Summary":
            _write_chart(ws, report, last_row)
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


def write_about_streaming(ws, rows) -> None:
    """The About sheet of a write-only workbook."""
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 100
    _page_setup(ws, None)
    for label, value in rows:
        label_cell = as_text_safe(WriteOnlyCell(ws), label)
        label_cell.font = BOLD
        label_cell.alignment = Alignment(vertical="top")
        cell = as_text_safe(WriteOnlyCell(ws), value)
        if isinstance(value, datetime):
            cell.number_format = DATETIME
            cell.alignment = Alignment(horizontal="left")
        elif isinstance(value, date):
            cell.number_format = DATE
            cell.alignment = Alignment(horizontal="left")
        else:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([label_cell, cell])
