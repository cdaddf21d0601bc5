"""Writing to the database: the unit of work (the one commit), idempotent operations,
row inserts, prepared-statement helpers, revision counters, the audit trail, and files
kept in the database (uploads, archived workbooks, import reports: files.py).

Imports common/ and the models; the parts of the domain above it write through it.
"""
