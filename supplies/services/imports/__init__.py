"""The spreadsheet import: reading (bounded .xlsx/.csv reading), values, columns, rows
(one spreadsheet row to one service call), stock_check (a whole file against the stock on
hand), templates (blank workbooks to fill in) and runner (all or nothing).

Imports every part below it: common/, db/, catalog, stock/, distribution/.
"""
