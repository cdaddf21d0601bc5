"""Spreadsheet imports: upload, preview, confirm; and the templates to fill in."""
