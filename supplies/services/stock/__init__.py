"""Stock: the ledger and everything that moves or reads it.

ledger (balances that never go below zero, movement rows), work (receive, transfer,
adjust, count, lot status), counting, write_off, lots, par_levels, on_hand (stock rows and
check-ledger), ledger_check (check-ledger in business time, and its repair report), card
(one supply's history at a site), levels, overview, weekly and charts (the overview's
chart), packing_slip. Imports common/, db/ and catalog.
"""
