"""The funder report: periods, queries (aggregated in SQL), suppression of person-derived
counts, the workbook (workbook/: writer, layout, text) and the archived exports.

Imports common/, db/, catalog, stock/ and distribution/; nothing below imports it.
"""
