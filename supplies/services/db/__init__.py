"""Writing to the database: the unit of work (the one commit), idempotent operations,
row inserts, prepared-statement helpers, revision counters and the audit trail.

Imports common/ and the models; the parts of the domain above it write through it.
"""
