"""Report tests write their workbooks to a temporary folder, never to the repository."""

import pytest


@pytest.fixture(autouse=True)
def _export_dir(app, tmp_path):
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
