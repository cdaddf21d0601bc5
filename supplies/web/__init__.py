"""Glue the blueprints share, with no routes: form errors, numbers and choices, 403s, plurals.

Modules here may import the services, supplies.i18n and supplies.extensions; never a blueprint.
"""
