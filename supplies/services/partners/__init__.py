"""Partner agencies: their supply requests and monthly reports (DESIGN.md, issue 24).

Holds: the request and report bodies (bodies), a request's life from submission through
approval and fulfilment (requests), a partner's monthly reports and what follows from them
-- what an agency received and still holds, who has not reported (reports). Fulfilment
is one ordinary transfer (services.stock.transfers); reports never touch the ledger.

May import: models, vocab, services.common, services.db, services.catalog, services.stock
and services.distribution.quarters (the quarter close). Nothing above it imports it but
the reporting workbook, the API and the screens.
"""
