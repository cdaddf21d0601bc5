"""The JSON API, /api/v1: what the screens' offline queue and other programs call."""
