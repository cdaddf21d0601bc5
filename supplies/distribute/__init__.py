"""Logging distributions at a site: the phone-first screen, its offline app shell and queue."""
