"""The domain: every rule of the program, with no request, session, flash or template.

One subpackage per part, and the arrows run one way (a part imports only those below it):

    imports, reporting  ->  distribution  ->  stock  ->  catalog  ->  accounts, db  ->  common

- common/        clock, errors, messages, validation, permissions: the base every part uses
- db/            unit of work (the one commit), idempotent operations, inserts, prepared
                 statements, revision counters, the audit trail
- catalog.py     sites, supplies, funding sources: look-ups and administration
- accounts/      users, API tokens, sign-in, passwords, the audit log's reading
- stock/         the ledger, receipts/transfers/adjustments (work), counts, write-offs, lots,
                 par levels, on-hand reads, the stock card, the overview and its weekly chart
- distribution/  distribution events and voids, history, the site's day
- reporting/     the funder report's queries, suppression, periods, exports, workbook/
- imports/       the spreadsheet import: reading, values, columns, rows, checks, templates

Views, forms, commands and the API call these; nothing here imports them.
"""
