"""Benchmark c: server time of the screens people open most, at 1M events.

Timed in-process around the WSGI call (no network), signed in through the real form.
"""

import re
import statistics
import time

from supplies import create_app
from supplies.extensions import db

PASSWORD = "bench-password-2026"  # noqa: S105  (the synthetic benchmark accounts)


def _signed_in_client(app, email: str):
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, "benchmark account could not sign in"
    return client


def time_pages(database_url: str, pages: list[tuple[str, str, str]], runs: int = 15) -> dict:
    """p50 server milliseconds per (label, email, path)."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "PASSWORD_HASH_METHOD": "scrypt"}
    )
    results = {}
    for label, email, path in pages:
        client = _signed_in_client(app, email)
        first = client.get(path)
        if first.status_code == 302:  # a home page that sends the role to its screen
            path = first.headers["Location"]
            first = client.get(path)
        assert first.status_code == 200, f"{path}: {first.status_code}"
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        results[label] = statistics.median(samples)
    with app.app_context():
        db.engine.dispose()
    return results
