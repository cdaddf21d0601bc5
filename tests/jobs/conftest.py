"""The multiserver tests run only when asked for (`pytest -m multiserver`, a step of .ci/run).

They start real processes against PostgreSQL and Redis; the SQLite and PostgreSQL runs of
the suite skip them, so that CI runs them once.
"""

import pytest


def pytest_collection_modifyitems(config, items):
    """Skip multiserver tests unless the run selects them by marker."""
    if "multiserver" in (config.option.markexpr or "").replace("not multiserver", ""):
        return
    skip = pytest.mark.skip(reason="multiserver tests run on their own: pytest -m multiserver")
    for item in items:
        if item.get_closest_marker("multiserver"):
            item.add_marker(skip)
