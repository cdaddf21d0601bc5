"""Fixtures: a fresh database per test (SQLite file, or a PostgreSQL schema), clients, factories."""

import contextvars
import os
import re
import time
import uuid
from datetime import date, timedelta

import psycopg
import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient

from supplies import create_app
from supplies.extensions import db
from supplies.jobs import runner as jobs
from supplies.services import areas, catalog
from supplies.services.accounts import tokens
from supplies.services.accounts import users as accounts
from supplies.services.db.operations import OperationRequest
from supplies.services.stock import work as inventory
from supplies.services.stock.work import ReceiptLine

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct horse battery staple"


def _postgres_admin_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def database(tmp_path):
    """A database no other test has touched: (url, engine options)."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'test.db'}", {}
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_postgres_admin_url(TEST_DATABASE_URL), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield TEST_DATABASE_URL, {"connect_args": {"options": f"-csearch_path={schema}"}}
    with psycopg.connect(_postgres_admin_url(TEST_DATABASE_URL), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, as a server would.

    Without this, a request made while the test holds an app context (the `ctx` fixture)
    would share that context's `g` and database session, hiding bugs.
    """

    def open(self, *args, **kwargs):
        """Send the request from an empty context, then let the test see what it wrote."""
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            # End the test's read snapshot (commit: nothing pending, nothing expired).
            session = db.session()
            if session.in_transaction():
                session.commit()
        return response


def make_app(database, create_schema: bool = True, **overrides):
    """An app bound to the test database, its tables created from the models."""
    url, engine_options = database
    app = create_app(
        {
            "TESTING": True,
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **engine_options},
            "SERVER_NAME": "localhost",
            # Still scrypt, with a lower work factor: tests create many accounts.
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
            # Quarters never close by the calendar in tests, so a history dated "60 days
            # ago" means the same on any day the suite runs; tests of closing set it.
            "REPORTING_CLOSE_DAYS": 36500,
            **overrides,
        }
    )
    app.test_client_class = IsolatedClient
    if create_schema:
        with app.app_context():
            db.create_all()
    return app


@pytest.fixture
def app(database):
    """The application with an empty schema; torn down with its connections."""
    application = make_app(database)
    yield application
    jobs.wait()  # background jobs a test started end before its database does
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An application context for calling services directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    """A test client (cookies kept between requests)."""
    return app.test_client()


def csrf_token_from(html: str) -> str:
    """The CSRF token embedded in a rendered form."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client, email, password=PASSWORD, address=None, next_=None, follow_redirects=False):
    """Post the sign-in form (CSRF token included), from a client address if given."""
    environ = {"REMOTE_ADDR": address} if address else {}
    token = csrf_token_from(client.get("/", environ_base=environ).get_data(as_text=True))
    return client.post(
        "/" if next_ is None else f"/?next={next_}",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ,
        follow_redirects=follow_redirects,
    )


def signed_in(client, email, password=PASSWORD):
    """The client, signed in (the test fails if the sign-in is refused)."""
    response = sign_in(client, email, password)
    assert response.status_code == 302, f"{email} could not sign in"
    return client


class Auth:
    """Signs a test client in and out through the real form."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD, follow_redirects: bool = False):
        """Sign in with the form, CSRF token included."""
        return sign_in(self.client, email, password, follow_redirects=follow_redirects)

    def logout(self):
        """Sign out with the header's form."""
        page = self.client.get("/home", follow_redirects=True)
        token = csrf_token_from(page.get_data(as_text=True))
        return self.client.post("/sign-out", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    """Sign-in helper for the client."""
    return Auth(client)


class Factory:
    """Small builders for the things tests need: sites, supplies, users, stock."""

    def __init__(self, app):
        self.app = app
        self._admin = None

    @property
    def admin(self):
        """An admin who performs set-up writes."""
        if self._admin is None:
            self._admin = self.user("setup-admin@example.org", "admin")
        return self._admin

    def _request(self, body):
        return OperationRequest.new(str(uuid.uuid4()), body)

    def site(self, code="HUB", kind="fixed_site", name=None, county="Alder County"):
        """Create a site."""
        body = {"code": code, "name": name or f"Site {code}", "kind": kind, "county": county}
        catalog.create_site(self.admin, self._request(body), body)
        return catalog.site_by_code(code)

    def supply(self, code="NARCAN4", category=None, doses=None, tracks_lots=None, name=None):
        """Create a supply; naloxone by default (2 doses, lots tracked)."""
        category = category or ("naloxone_nasal" if code.startswith(("NAR", "NAL")) else "other")
        medication = category in ("naloxone_nasal", "naloxone_injectable", "nalmefene")
        body = {
            "code": code,
            "name": name or f"Supply {code}",
            "category": category,
            "unit": "box" if medication else "each",
            "doses_per_unit": doses if doses is not None else (2 if medication else 0),
            "tracks_lots": tracks_lots if tracks_lots is not None else medication,
        }
        catalog.create_supply(self.admin, self._request(body), body)
        return catalog.supply_by_code(code)

    def area(self, name=None, state=None, zip3=None):
        """Add a county (name, state) or a ZIP prefix to the program's areas."""
        body = {"name": name, "state": state, "zip3": zip3}
        return areas.create_area(self.admin, self._request(body), body).result

    def funding(self, code="SOR"):
        """Create a funding source."""
        body = {"code": code, "name": f"Funding {code}", "funder": "SAMHSA"}
        catalog.create_funding_source(self.admin, self._request(body), body)
        return catalog.funding_by_code(code)

    def user(self, email, role, sites=(), password=PASSWORD):
        """Create an account."""
        return accounts.create_user(email, role, password, sites)

    def token(self, user):
        """A bearer token for a user."""
        return tokens.create_token(user)

    def receive(
        self,
        site,
        supply,
        quantity,
        lot="LOT1",
        expires_in_days=365,
        funding=None,
        days_ago=None,
    ):
        """Receive stock at a site (lot and expiry only where the supply tracks lots), today
        or `days_ago`; a lot already expired is received 30 days before its expiry, when it
        was still good (an expired lot is refused unless received for disposal)."""
        supply_ref = catalog.supply_by_code(supply)
        expires = (date.today() + timedelta(days=expires_in_days)).isoformat()
        if days_ago is None and expires_in_days < 0 and supply_ref.tracks_lots:
            days_ago = 30 - expires_in_days
        received_on = None if days_ago is None else date.today() - timedelta(days=days_ago)
        line = ReceiptLine(
            supply,
            quantity,
            lot if supply_ref.tracks_lots else None,
            expires if supply_ref.tracks_lots else None,
            funding,
        )
        return inventory.receive(
            self.admin,
            self._request({"r": str(uuid.uuid4())}),
            site,
            [line],
            received_on=received_on.isoformat() if received_on else None,
        )


@pytest.fixture
def make(ctx):
    """Factories bound to the test's app context."""
    return Factory(ctx)


class Api:
    """Calls /api/v1 with a bearer token."""

    def __init__(self, client):
        self.client = client

    def _headers(self, token):
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, token, **params):
        """GET with the token."""
        return self.client.get(f"/api/v1{path}", headers=self._headers(token), query_string=params)

    def post(self, path, token, body):
        """POST a JSON body with the token."""
        return self.client.post(f"/api/v1{path}", headers=self._headers(token), json=body)


@pytest.fixture
def api(client):
    """API helper on the test client."""
    return Api(client)


@pytest.fixture
def program(make):
    """A small program: two sites, naloxone and test strips, one user and token per role."""
    make.site("HUB", "fixed_site")
    make.site("VAN", "mobile_van")
    make.supply("NARCAN4", name="Narcan 4 mg nasal spray")
    make.supply("FTS", category="fentanyl_test_strip", name="Fentanyl test strip")
    make.funding("SOR")
    users = {
        "admin": make.user("admin@example.org", "admin"),
        "coordinator": make.user("coord@example.org", "coordinator"),
        "staff": make.user("staff@example.org", "staff", sites=("HUB",)),
        "staff_van": make.user("van@example.org", "staff", sites=("VAN",)),
        "funder": make.user("funder@example.org", "funder"),
    }
    tokens = {role: make.token(user) for role, user in users.items()}
    return {"users": users, "tokens": tokens}


def new_id() -> str:
    """A fresh client-side operation id."""
    return str(uuid.uuid4())


def wait_until(condition, what: str, timeout: float = 30.0, every: float = 0.1):
    """Poll condition() until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if outcome:
            return outcome
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:g} s for {what}; last seen: {outcome!r}")
        time.sleep(every)


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile each .po into its .mo when the .mo is missing or older (make does it too)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (Path(__file__).resolve().parent.parent / "translations").glob("*/*/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


def _fresh_request_globals() -> None:
    # The tests' app context is shared by the client's requests, and Flask-WTF and
    # Flask-Login cache the CSRF token and the user in g: forget them, as a new request would.
    if has_app_context():
        g.pop("csrf_token", None)
        g.pop("_login_user", None)


class Screens:
    """Drives the HTML forms of the stock screens like a browser would."""

    def __init__(self, client, auth):
        self.client = client
        self.auth = auth

    def login(self, email: str):
        """Sign in through the real form."""
        _fresh_request_globals()
        response = self.auth.login(email)
        assert response.status_code == 302
        return response

    def sign_out(self):
        """Sign out with the header's form."""
        _fresh_request_globals()
        response = self.auth.logout()
        _fresh_request_globals()
        return response

    def get(self, url: str, **params):
        """GET a page."""
        _fresh_request_globals()
        return self.client.get(url, query_string=params or None)

    def post(self, url: str, data: dict, page_url: str | None = None, **kwargs):
        """POST a form with the CSRF token and operation id of the page it comes from."""
        _fresh_request_globals()
        page = self.client.get(page_url or url).get_data(as_text=True)
        body = {"csrf_token": csrf_token_from(page)}
        op = re.search(r'name="op" type="hidden" value="([^"]*)"', page) or re.search(
            r'name="op" value="([^"]*)"', page
        )
        if op:
            body["op"] = op.group(1)
        body.update(data)
        return self.client.post(url, data=body, **kwargs)


@pytest.fixture
def screens(client, auth):
    """The screen driver for the test client."""
    return Screens(client, auth)


def text(response) -> str:
    """A response's HTML as text."""
    return response.get_data(as_text=True)


def removals_before_arrival() -> int:
    """Removals dated before their lot first reached the site (received or moved in)."""
    from sqlalchemy.orm import aliased

    from supplies.models import Movement

    arrival = aliased(Movement)
    first_arrival = (
        db.select(db.func.min(arrival.occurred_at))
        .where(
            arrival.site_id == Movement.site_id,
            arrival.batch_id == Movement.batch_id,
            arrival.quantity > 0,
        )
        .scalar_subquery()
    )
    early = db.select(db.func.count(Movement.id)).where(
        Movement.quantity < 0,
        db.or_(first_arrival.is_(None), Movement.occurred_at < first_arrival),
    )
    return db.session.execute(early).scalar()
