"""Administration: accounts, API tokens and the audit log (admins only)."""
