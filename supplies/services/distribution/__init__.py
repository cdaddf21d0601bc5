"""Distribution events: logging and voiding them (events), history, the site's day.

Imports common/, db/, catalog and stock/ (the ledger fills an event's lines).
"""
