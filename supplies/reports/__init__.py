"""Reports: the funder workbook and the event-level export, generated, archived and listed."""
