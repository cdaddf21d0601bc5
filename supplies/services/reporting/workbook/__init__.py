"""The funder workbook in openpyxl: writer (sheets and tables), layout (widths, styles),
text (the About sheet and labels). Imports reporting's report and suppression only.
"""
