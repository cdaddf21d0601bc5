"""The common core: clock, errors, messages, validation and permissions.

Imports models and extensions only; every other part of services/ may import this.
"""
