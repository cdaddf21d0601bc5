"""Benchmark g's setup and accounting: the busy day it measures, and how bytes are counted."""

import re
from datetime import datetime, timedelta, timezone

from bench import slow_network
from bench.generate import BENCH_PASSWORD
from supplies import create_app
from supplies.extensions import db
from supplies.models import DistributionEvent
from tests.conftest import csrf_token_from


def test_the_busy_day_is_what_the_table_names(tmp_path):
    url = slow_network.build_database(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        events = db.session.execute(db.select(db.func.count(DistributionEvent.id))).scalar()
        today = db.session.execute(
            db.select(db.func.count(DistributionEvent.id)).where(
                DistributionEvent.recorded_at >= datetime.now(timezone.utc) - timedelta(hours=1)
            )
        ).scalar()
        assert today >= slow_network.EVENTS_TODAY and events > today
        db.engine.dispose()
    client = app.test_client()
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    form = {"email": slow_network.STAFF, "password": BENCH_PASSWORD, "csrf_token": token}
    assert client.post("/", data=form).status_code == 302
    screen = client.get(f"/distribute/sites/{slow_network.SITE}")
    html = screen.get_data(as_text=True)
    assert screen.status_code == 200
    assert len(re.findall(r'<div class="qty', html)) == slow_network.SUPPLIES
    with app.app_context():
        db.engine.dispose()


def test_only_what_crossed_the_network_is_counted():
    traffic = slow_network.Traffic()
    mark = traffic.mark()
    sent = {"request": {"url": "http://127.0.0.1/distribute/log", "postData": "x" * 300}}
    traffic.event("page", "Network.requestWillBeSent", {"requestId": "1", **sent})
    traffic.event(
        "page", "Network.requestWillBeSentExtraInfo", {"requestId": "1", "headers": {"A": "b"}}
    )
    answer = {"status": 201, "headers": {"Content-Encoding": "gzip"}, "encodedDataLength": 200}
    traffic.event("page", "Network.responseReceived", {"requestId": "1", "response": answer})
    traffic.event("page", "Network.loadingFinished", {"requestId": "1", "encodedDataLength": 900})
    # Answered by the worker from its cache, and a data: image: nothing crossed the network.
    cached = {"request": {"url": "http://127.0.0.1/static/app.css?v=1"}}
    traffic.event("page", "Network.requestWillBeSent", {"requestId": "2", **cached})
    from_worker = {"status": 200, "fromServiceWorker": True, "encodedDataLength": 0}
    traffic.event("page", "Network.responseReceived", {"requestId": "2", "response": from_worker})
    image = {"request": {"url": "data:image/svg+xml;base64,AAAA"}}
    traffic.event("page", "Network.requestWillBeSent", {"requestId": "3", **image})
    moved = traffic.since(mark)
    assert [entry["url"] for entry in moved] == ["http://127.0.0.1/distribute/log"]
    assert moved[0]["encoding"] == "gzip" and moved[0]["bytes"] == 900
    assert moved[0]["sent"] == 300 + len("A") + len("b") + 4 + 40
