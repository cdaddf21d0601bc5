"""Two app servers, a worker, PostgreSQL and Redis: any server follows any job.

Each test starts the real processes of a deployment (docs/deploy.md) on 127.0.0.1: two
gunicorn instances on two ports and `flask --app wsgi worker`, all with one DATABASE_URL
(a fresh schema of the test database) and one REDIS_URL (a queue named for the test, so
parallel runs never share jobs). A job started through one server is followed and
downloaded through the other; an upload previewed on one is confirmed on the other; a
worker killed in the middle of an import leaves the import tried again (once, whole) and
the ledger balanced.

Marked `multiserver`: skipped without PostgreSQL or Redis on this machine, unless
REQUIRE_MULTISERVER=1 (CI sets it), which turns the skip into a failure. `.ci/run` runs
these tests in a step of their own; the other runs leave them out.
"""

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date, datetime, timedelta, timezone
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg
import pytest
from openpyxl import load_workbook

from supplies import create_app
from supplies.extensions import db
from supplies.models import (
    DistributionEvent,
    DistributionLine,
    ImportedFile,
    ImportRun,
    Job,
    Movement,
    Site,
    Supply,
)
from supplies.services.db.unit_of_work import transaction
from tests.conftest import PASSWORD, Factory
from tests.imports.files import STOCK_HEADER

pytestmark = pytest.mark.multiserver

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DATABASE_URL = (
    os.environ.get("MULTISERVER_DATABASE_URL")
    or os.environ.get("TEST_DATABASE_URL")
    or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# Database 15 of the local Redis, and a queue of the test's own.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IMPORTED_ROWS = 12_000  # 120 receipts of 100 lines: long enough to kill a worker in it


def _missing(reason: str):
    if os.environ.get("REQUIRE_MULTISERVER") == "1":
        pytest.fail(f"multiserver tests required but {reason}")
    pytest.skip(reason)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="module")
def services():
    """PostgreSQL and Redis are there (else skip, or fail under REQUIRE_MULTISERVER=1)."""
    if not DATABASE_URL.startswith("postgresql"):
        _missing(f"the database URL is not PostgreSQL: {DATABASE_URL}")
    try:
        psycopg.connect(_libpq(DATABASE_URL), connect_timeout=3).close()
    except psycopg.Error as error:
        _missing(f"no PostgreSQL at {DATABASE_URL} ({error})")
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except RedisError as error:
        _missing(f"no Redis at {REDIS_URL} ({error})")
    if not (BIN / "gunicorn").exists():
        _missing(f"no gunicorn in {BIN}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """The processes of one deployment, their settings, and the test's own app on the data."""

    def __init__(self, tmp_path: Path, schema: str):
        self.tmp_path, self.schema = tmp_path, schema
        self.url = f"{DATABASE_URL}?options=-csearch_path%3D{schema}"
        self.queue = f"supplies-test-{uuid.uuid4().hex[:12]}"
        self.env = {
            **os.environ,
            "APP_ENV": "production",
            "SECRET_KEY": uuid.uuid4().hex * 2,  # one key for every server: shared sessions
            "DATABASE_URL": self.url,
            "REDIS_URL": REDIS_URL,
            "JOBS_QUEUE": self.queue,
            "JOB_HEARTBEAT_SECONDS": "0.5",
            "JOB_STALE_SECONDS": "4",
            "JOB_MAINTENANCE_SECONDS": "1",
            "EXPORT_DIR": str(tmp_path / "exports"),
            "PYTHONUNBUFFERED": "1",
        }
        self.servers: list[str] = []
        self.processes: dict[str, subprocess.Popen] = {}
        self.app = None

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """A flask command against the cluster's database, as an operator would run it."""
        return subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed whole, workers included
        )  # fmt: skip
        self.processes[name] = process
        return process

    def start_server(self, name: str) -> str:
        """A gunicorn instance with two workers on a port of its own; its base URL."""
        port = _free_port()
        gunicorn = [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}"]
        # No control socket: gunicorn's default path is one per user, and two servers run.
        self._start(name, [*gunicorn, "--no-control-socket", "--graceful-timeout", "5", "wsgi:app"])
        base = f"http://127.0.0.1:{port}"
        self.servers.append(base)
        return base

    def start_worker(self, name: str = "worker") -> subprocess.Popen:
        """`flask --app wsgi worker`."""
        command = [str(BIN / "flask"), "--app", "wsgi", "worker", "--name", f"{self.queue}-{name}"]
        return self._start(name, command)

    def kill(self, name: str) -> None:
        """SIGKILL a process and everything it started, as a crash or the OOM killer would."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)  # reaped: its process id is no one's now

    def logs(self) -> str:
        """The tail of every process's log, for a failure's message."""
        parts = []
        for path in sorted(self.tmp_path.glob("*.log")):
            parts.append(f"--- {path.name}\n" + path.read_text()[-3000:])
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop every process (TERM, then KILL)."""
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        self.processes.clear()


@pytest.fixture
def cluster(services, tmp_path):
    """A fresh schema, migrated by init-db; two servers and a worker; a small program."""
    schema = f"ms_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq(DATABASE_URL), autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    deployment = Cluster(tmp_path, schema)
    try:
        migrated = deployment.run("init-db")
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        deployment.app = create_app(
            {
                "TESTING": True,
                "APP_ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": deployment.url,
                "REDIS_URL": REDIS_URL,
                "JOBS_QUEUE": deployment.queue,
                "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
            }
        )
        with deployment.app.app_context():
            make = Factory(deployment.app)
            make.site("HUB")
            make.supply("FTS", category="fentanyl_test_strip")
            make.user("coord@example.org", "coordinator")
            deployment.token = make.token(make.user("admin@example.org", "admin"))
            db.session.remove()
        deployment.start_server("server-a")
        deployment.start_server("server-b")
        deployment.start_worker()
        for base in deployment.servers:
            _wait(lambda base=base: _answers(base), f"{base} to answer", deployment)
        yield deployment
    finally:
        deployment.stop()
        if deployment.app is not None:
            with deployment.app.app_context():
                _forget_queue(deployment)
                db.session.remove()
                db.engine.dispose()
        with psycopg.connect(_libpq(DATABASE_URL), autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def _forget_queue(deployment: Cluster) -> None:
    """Remove what the test left in Redis: its queue, registries and queue entries."""
    from supplies.jobs import runner

    redis = runner.redis(deployment.app)
    runner.queue(deployment.app).delete(delete_jobs=True)
    job_ids = db.session.execute(db.select(Job.id)).scalars().all()
    patterns = [f"rq:*{deployment.queue}*", *(f"rq:*{job_id}*" for job_id in job_ids)]
    for pattern in patterns:
        for key in redis.scan_iter(match=pattern, count=1000):
            redis.delete(key)
    workers = [w for w in redis.smembers("rq:workers") if deployment.queue.encode() in w]
    if workers:
        redis.srem("rq:workers", *workers)


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/", timeout=2) as response:  # noqa: S310 (http://127.0.0.1)
            return response.status == 200
    except OSError:
        return False


def _wait(condition, what: str, cluster: Cluster, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if outcome:
            return outcome
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:g} s for {what}; last seen {outcome!r}\n{cluster.logs()}")
        time.sleep(0.3)


class _Keep3xx(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the test follows redirects itself, to the server it chooses


class Browser:
    """Cookies shared by both servers (127.0.0.1, any port), as one browser behind a balancer."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _Keep3xx()
        )

    def open(self, url: str, data: bytes | None = None, headers: dict | None = None):
        """(status, headers, body) of a request; 3xx and errors are answers too."""
        request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers, answer.read()

    def page(self, url: str) -> str:
        """A page's HTML (fails on anything but 200, or 422 for a form or file refused)."""
        status, _, body = self.open(url)
        assert status in (200, 422), (url, status, body[:500])
        return body.decode()

    def form(self, url: str, fields: dict, upload: tuple[str, bytes] | None = None):
        """POST a form (multipart when a file goes with it)."""
        if upload is None:
            data = urllib.parse.urlencode(fields).encode()
            return self.open(url, data, {"Content-Type": "application/x-www-form-urlencoded"})
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            )
        filename, content = upload
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
        )
        body = (
            "".join(parts).encode() + head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.open(url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def sign_in(self, base: str, email: str) -> None:
        """Sign in through the form of one server."""
        token = _csrf(self.page(base + "/"))
        status, _, _ = self.form(
            base + "/", {"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert status == 302, f"{email} could not sign in at {base}: {status}"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def _api(base: str, path: str, token: str, body: dict | None = None):
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    return Browser().open(f"{base}/api/v1{path}", data, headers)


def _bulk_events(count: int) -> None:
    """Anonymous events of 2026 with one line each, straight into the tables (no stock)."""
    site = db.session.execute(db.select(Site.id).where(Site.code == "HUB")).scalar_one()
    supply = db.session.execute(db.select(Supply.id).where(Supply.code == "FTS")).scalar_one()
    start = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    events, lines = [], []
    for n in range(count):
        event_id, moment = str(uuid.uuid4()), start + timedelta(minutes=n)
        events.append({"id": event_id, "site_id": site, "occurred_at": moment,
                       "recorded_at": moment, "setting": "fixed_site"})  # fmt: skip
        lines.append({"event_id": event_id, "supply_id": supply, "quantity": 1})
    with transaction():
        db.session.execute(db.insert(DistributionEvent.__table__), events)
        db.session.execute(db.insert(DistributionLine.__table__), lines)


def _stock_csv(rows: int) -> bytes:
    out = io.StringIO()
    out.write(",".join(STOCK_HEADER) + "\n")
    for n in range(rows):
        out.write(f"HUB,FTS,,,,{1 + n % 7},\n")
    return out.getvalue().encode()


def _upload(browser: Browser, base: str, rows: int) -> str:
    """Upload a stock file through one server; the upload's page (path and query)."""
    token = _csrf(browser.page(base + "/imports/"))
    status, headers, body = browser.form(
        base + "/imports/",
        {"csrf_token": token, "kind": "stock"},
        ("stock.csv", _stock_csv(rows)),
    )
    assert status == 302, (status, body[:500])
    return headers["Location"].replace("http://localhost", "")


def test_an_export_started_on_one_server_is_followed_and_downloaded_on_the_other(cluster):
    a, b = cluster.servers
    with cluster.app.app_context():
        _bulk_events(1500)
        db.session.remove()
    body = {"id": str(uuid.uuid4()), "start": "2026-01-01", "end": "2026-12-31"}
    status, headers, answer = _api(a, "/exports/events", cluster.token, body)
    assert status == 202, answer
    job = json.loads(answer)["job"]

    def finished():
        status, _, answer = _api(b, f"/jobs/{job['id']}", cluster.token)
        assert status == 200, answer
        followed = json.loads(answer)
        assert followed["status"] in ("queued", "running", "done"), (followed, cluster.logs())
        return followed["status"] == "done" and followed

    followed = _wait(finished, "the export to finish, followed on the other server", cluster)
    assert followed["done"] == followed["total"] == 1500
    status, headers, workbook = _api(b, followed["download"].removeprefix("/api/v1"), cluster.token)
    assert status == 200 and headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(workbook))["Events"].max_row == 1501
    # The same request again, through the other server: the same job, not a second export.
    status, _, again = _api(b, "/exports/events", cluster.token, body)
    assert status == 200 and json.loads(again)["job"]["id"] == job["id"]


def test_an_import_previewed_on_one_server_is_confirmed_on_the_other(cluster):
    a, b = cluster.servers
    browser = Browser()
    browser.sign_in(a, "coord@example.org")
    page = _upload(browser, a, 30)
    preview = _wait(
        lambda: "Import these rows" in (html := browser.page(b + page)) and html,
        "the check of the upload, seen on the other server",
        cluster,
    )
    sha = page.split("/")[2].split("?")[0]
    confirm = {"kind": "stock", "force": "", "csrf_token": _csrf(preview)}
    status, headers, _ = browser.form(f"{b}/imports/{sha}/confirm", confirm)
    assert status == 302
    done = _wait(
        lambda: "Imported" in (html := browser.page(a + page)) and html,
        "the import, confirmed on B, seen done on A",
        cluster,
    )
    assert "Imported 30 rows" in done
    with cluster.app.app_context():
        assert db.session.execute(db.select(db.func.count(ImportedFile.id))).scalar() == 1
        received = db.session.execute(
            db.select(db.func.count(Movement.id)).where(Movement.kind == "receive")
        ).scalar()
        assert received == 30
        db.session.remove()


def test_a_worker_killed_mid_import_leaves_it_tried_again_whole_and_the_ledger_balanced(
    cluster,
):
    a, b = cluster.servers
    browser = Browser()
    browser.sign_in(a, "coord@example.org")
    page = _upload(browser, a, IMPORTED_ROWS)
    preview = _wait(
        lambda: "Import these rows" in (html := browser.page(b + page)) and html,
        "the check of the big upload",
        cluster,
        timeout=180,
    )
    sha = page.split("/")[2].split("?")[0]
    confirm = {"kind": "stock", "force": "", "csrf_token": _csrf(preview)}
    assert browser.form(f"{a}/imports/{sha}/confirm", confirm)[0] == 302
    receipts = IMPORTED_ROWS // 100

    def importing():
        with cluster.app.app_context():
            job = db.session.execute(
                db.select(Job).where(Job.kind == "import_apply", Job.status == "running")
            ).scalar_one_or_none()
            db.session.remove()
        return job is not None and job.total == receipts and 0 < job.done < receipts // 2 and job

    job = _wait(importing, "the import to be written, part way", cluster, timeout=180)
    cluster.kill("worker")
    with cluster.app.app_context():
        killed = db.session.get(Job, job.id)
        assert killed.status == "running" and killed.attempts == 1
        # The import is written in short transactions (issue 23): the chunks committed
        # before the kill are in the ledger, the run stays "applying", and none of its
        # received stock can be handed out until it is done.
        received = db.session.execute(
            db.select(db.func.count(Movement.id)).where(Movement.kind == "receive")
        ).scalar()
        assert received < IMPORTED_ROWS
        run = db.session.execute(db.select(ImportRun)).scalar_one()
        assert run.state == "applying" and run.steps_done * 100 == received
        db.session.remove()
    cluster.start_worker("worker-2")
    done = _wait(
        lambda: "Imported" in (html := browser.page(b + page)) and html,
        "the import, tried again by the new worker",
        cluster,
        timeout=240,
    )
    assert f"Imported {IMPORTED_ROWS:,} rows" in done or f"Imported {IMPORTED_ROWS} rows" in done
    with cluster.app.app_context():
        retried = db.session.get(Job, job.id)
        assert retried.status == "done" and retried.attempts == 2
        assert db.session.execute(db.select(db.func.count(ImportedFile.id))).scalar() == 1
        received = db.session.execute(
            db.select(db.func.count(Movement.id)).where(Movement.kind == "receive")
        ).scalar()
        assert received == IMPORTED_ROWS
        db.session.remove()
    checked = cluster.run("check-ledger")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Ledger OK" in checked.stdout


def test_the_refused_rows_of_a_check_are_served_by_the_other_server(cluster):
    a, b = cluster.servers
    browser = Browser()
    browser.sign_in(b, "coord@example.org")
    future = (date.today() + timedelta(days=30)).isoformat()
    token = _csrf(browser.page(b + "/imports/"))
    content = (",".join(STOCK_HEADER) + f"\nHUB,FTS,,,,5,{future}\nHUB,NOPE,,,,5,\n").encode()
    status, headers, _ = browser.form(
        b + "/imports/", {"csrf_token": token, "kind": "stock"}, ("bad.csv", content)
    )
    assert status == 302
    page = headers["Location"].replace("http://localhost", "")
    _wait(lambda: "2 problems" in browser.page(a + page), "the check, seen on the other", cluster)
    errors_url = a + page.replace("?", "/errors.csv?")
    status, _, listing = browser.open(errors_url)
    assert status == 200 and listing.decode().count("\n") == 3
