"""Accounts: users, API tokens, sign-in and its throttle, password rules, the audit log.

Imports common/, db/ and catalog (a staff member's sites).
"""
