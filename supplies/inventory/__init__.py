"""Coordinators' stock screens: overview, receive, transfer, adjust, count, lots."""
