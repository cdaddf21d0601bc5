"""Every route of the app, for every role and for anonymous visitors, has a tested outcome.

EXPECTED below has one line per (method, endpoint). A route added without a line here
fails `test_every_route_has_a_rule`; add the line with the status each role must get.
Each role is signed in through the real form and sends a valid CSRF token, so the codes
are what the role's permissions give, not CSRF refusals. API routes are also called
with the role's bearer token, which must give the same status as the session.

To extend: add a line to EXPECTED; if the URL has a new variable, add it to
URL_VALUES; if a write needs a valid body to reach its permission check, add it to BODIES;
if the route names a site (in its URL, query or body), add a line to OTHER_SITE so that
staff of HUB asking about VAN are shown to get 403.
"""

import itertools
import uuid
from datetime import date

import pytest
from flask import Flask

from supplies.extensions import db
from supplies.models import ApiToken
from supplies.services import catalog
from supplies.services.accounts import tokens
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import bundles, events
from supplies.services.partners import requests
from supplies.services.stock import counting
from tests.conftest import csrf_token_from, make_app, signed_in

ROLES = ("anonymous", "admin", "coordinator", "staff", "funder", "partner")
A, B, C, S, F, P = ROLES  # column order of EXPECTED

# fmt: off
# "METHOD endpoint":                        (anon, admin, coord, staff, funder, partner)
EXPECTED = {
    "GET static":                             (200, 200, 200, 200, 200, 200),
    # auth
    "GET auth.sign_in":                       (200, 302, 302, 302, 302, 302),
    "POST auth.sign_in":                      (200, 302, 302, 302, 302, 302),
    "POST auth.sign_out":                     (302, 302, 302, 302, 302, 302),
    "GET auth.change_password":               (302, 200, 200, 200, 200, 200),
    "POST auth.change_password":              (302, 200, 200, 200, 200, 200),
    "GET auth.reset_password":                (404, 404, 404, 404, 404, 404),
    "POST auth.reset_password":               (404, 404, 404, 404, 404, 404),
    # main
    "GET main.home":                          (302, 200, 200, 302, 200, 302),  # staff: the screen
    # distribute: the distribution screen (staff of one site go straight to it)
    "GET distribute.pick_site":               (302, 200, 200, 302, 403, 403),
    "GET distribute.screen":                  (302, 200, 200, 200, 403, 403),
    "POST distribute.screen":                 (302, 302, 302, 302, 403, 403),
    "POST distribute.void":                   (302, 302, 302, 403, 403, 403),
    "POST distribute.log":                    (401, 201, 201, 201, 403, 403),  # JSON
    "GET distribute.today":                   (302, 200, 200, 200, 403, 403),
    "GET distribute.session_state":           (401, 200, 200, 200, 200, 200),
    "GET distribute.service_worker":          (200, 200, 200, 200, 200, 200),
    "GET distribute.manifest":                (200, 200, 200, 200, 200, 200),
    "GET distribute.offline":                 (200, 200, 200, 200, 200, 200),
    "POST main.set_language":                 (302, 302, 302, 302, 302, 302),
    # admin: admins only
    "GET admin.users":                        (302, 200, 403, 403, 403, 403),
    "GET admin.new_user":                     (302, 200, 403, 403, 403, 403),
    "POST admin.new_user":                    (302, 200, 403, 403, 403, 403),
    "GET admin.edit_user":                    (302, 200, 403, 403, 403, 403),
    "POST admin.edit_user":                   (302, 302, 403, 403, 403, 403),
    "POST admin.deactivate_user":             (302, 302, 403, 403, 403, 403),
    "POST admin.activate_user":               (302, 302, 403, 403, 403, 403),
    "POST admin.reset_password":              (302, 200, 403, 403, 403, 403),
    "GET admin.tokens":                       (302, 200, 403, 403, 403, 403),
    "POST admin.create_token":                (302, 200, 403, 403, 403, 403),
    "POST admin.revoke_token":                (302, 302, 403, 403, 403, 403),
    "GET admin.audit":                        (302, 200, 403, 403, 403, 403),
    # reports: admins, coordinators and funders (without a body the form re-renders)
    "GET reports.index":                      (302, 200, 200, 403, 200, 403),
    "POST reports.index":                     (302, 200, 200, 403, 200, 403),
    "GET reports.job":                        (302, 404, 404, 403, 403, 403),
    "GET reports.archived":                   (302, 404, 404, 403, 404, 403),
    # inventory: coordinators and admins; staff count at their own sites
    "GET inventory.stock_overview":           (302, 200, 200, 403, 403, 403),
    "GET inventory.receive":                  (302, 200, 200, 403, 403, 403),
    "POST inventory.receive":                 (302, 422, 422, 403, 403, 403),
    "GET inventory.transfer":                 (302, 200, 200, 403, 403, 403),
    "POST inventory.transfer":                (302, 422, 422, 403, 403, 403),
    "GET inventory.packing_slip":             (302, 404, 404, 403, 403, 403),
    "GET inventory.adjust":                   (302, 200, 200, 403, 403, 403),
    "POST inventory.adjust":                  (302, 422, 422, 403, 403, 403),
    "GET inventory.write_off_expired":        (302, 200, 200, 403, 403, 403),
    "POST inventory.write_off_expired":       (302, 200, 200, 403, 403, 403),
    "GET inventory.count_index":              (302, 200, 200, 200, 403, 403),
    "GET inventory.count_sheet":              (302, 200, 200, 200, 403, 403),
    "POST inventory.count_sheet":             (302, 422, 422, 422, 403, 403),
    "GET inventory.count_review":             (302, 404, 404, 404, 403, 403),
    "POST inventory.count_confirm":           (302, 302, 302, 403, 403, 403),
    "POST inventory.count_discard":           (302, 302, 302, 403, 403, 403),
    "GET inventory.lots":                     (302, 200, 200, 403, 403, 403),
    "POST inventory.lots":                    (302, 422, 422, 403, 403, 403),
    "GET inventory.lot_status":               (302, 404, 404, 403, 403, 403),  # no lot named
    "POST inventory.lot_status":              (302, 302, 302, 403, 403, 403),
    "GET inventory.stock_card":               (302, 200, 200, 200, 403, 403),
    # catalog: sites, supplies, funding sources and par levels; coordinators and admins
    "GET catalog.par_levels_index":           (302, 200, 200, 403, 403, 403),
    "GET catalog.par_levels_edit":            (302, 200, 200, 403, 403, 403),
    "POST catalog.par_levels_edit":           (302, 302, 302, 403, 403, 403),
    "GET catalog.catalog_list":               (302, 200, 200, 403, 403, 403),
    "GET catalog.catalog_edit":               (302, 200, 200, 403, 403, 403),
    "POST catalog.catalog_edit":              (302, 422, 422, 403, 403, 403),
    "POST catalog.catalog_active":            (302, 302, 302, 403, 403, 403),
    "GET catalog.areas_list":                 (302, 200, 200, 403, 403, 403),
    "POST catalog.areas_list":                (302, 422, 422, 403, 403, 403),
    "GET catalog.bundles_list":               (302, 200, 200, 403, 403, 403),
    "GET catalog.bundle_edit":                (302, 200, 200, 403, 403, 403),
    "POST catalog.bundle_edit":               (302, 422, 422, 403, 403, 403),
    "POST catalog.bundle_active":             (302, 302, 302, 403, 403, 403),
    # imports: admins and coordinators
    "GET imports.index":                      (302, 200, 200, 403, 403, 403),
    "POST imports.index":                     (302, 422, 422, 403, 403, 403),
    "GET imports.upload":                     (302, 404, 404, 403, 403, 403),
    "POST imports.confirm":                   (302, 400, 400, 403, 403, 403),
    "GET imports.errors_csv":                 (302, 404, 404, 403, 403, 403),
    "GET imports.download_template":          (302, 404, 404, 403, 403, 403),
    # partners: a partner's own agency (CLINIC); coordinators' queue and decisions
    "GET partners.home":                      (302, 302, 302, 403, 403, 200),  # coord: queue
    "GET partners.new_request":               (302, 403, 403, 403, 403, 200),
    "POST partners.new_request":              (302, 403, 403, 403, 403, 302),
    "GET partners.requests":                  (302, 200, 200, 403, 403, 200),
    "GET partners.received":                  (302, 200, 200, 403, 403, 200),
    "GET partners.report":                    (302, 200, 200, 403, 403, 200),  # coord: reads
    "POST partners.report":                   (302, 403, 403, 403, 403, 422),  # nothing received
    "GET partners.request_detail":            (302, 200, 200, 403, 403, 200),
    "POST partners.cancel":                   (302, 403, 403, 403, 403, 302),
    "POST partners.approve":                  (302, 302, 302, 403, 403, 403),
    "POST partners.fulfil":                   (302, 302, 302, 403, 403, 403),
    "POST partners.decline":                  (302, 302, 302, 403, 403, 403),
    "GET partners.slip":                      (302, 404, 404, 403, 403, 404),  # not sent yet
    "GET partners.queue":                     (302, 200, 200, 403, 403, 403),
    "GET partners.agencies":                  (302, 200, 200, 403, 403, 403),
    # api (the same status by session and by bearer token)
    "GET api.openapi":                        (200, 200, 200, 200, 200, 200),
    "GET api.list_sites":                     (401, 200, 200, 200, 200, 403),
    "POST api.create_site":                   (401, 201, 201, 403, 403, 403),
    "GET api.list_supplies":                  (401, 200, 200, 200, 200, 403),
    "POST api.create_supply":                 (401, 201, 201, 403, 403, 403),
    "GET api.list_funding_sources":           (401, 200, 200, 200, 200, 403),
    "POST api.create_funding_source":         (401, 201, 201, 403, 403, 403),
    "GET api.list_areas":                     (401, 200, 200, 200, 200, 403),
    "POST api.create_area":                   (401, 201, 201, 403, 403, 403),
    "GET api.list_bundles":                   (401, 200, 200, 200, 403, 403),
    "POST api.create_bundle":                 (401, 201, 201, 403, 403, 403),
    "POST api.create_receipt":                (401, 201, 201, 403, 403, 403),
    "POST api.create_transfer":               (401, 201, 201, 403, 403, 403),
    "POST api.create_adjustment":             (401, 201, 201, 403, 403, 403),
    "POST api.create_count":                  (401, 201, 201, 202, 403, 403),  # staff: for review
    "POST api.confirm_count":                 (401, 201, 201, 403, 403, 403),
    "POST api.discard_count":                 (401, 201, 201, 403, 403, 403),
    "POST api.set_lot_status":                (401, 201, 201, 403, 403, 403),
    "GET api.stock":                          (401, 200, 200, 200, 403, 403),
    "POST api.create_distribution":           (401, 201, 201, 201, 403, 403),
    "POST api.void_distribution":             (401, 201, 201, 403, 403, 403),
    "GET api.list_distributions":             (401, 200, 200, 200, 403, 403),
    "GET api.funder_workbook":                (401, 422, 422, 403, 422, 403),
    "POST api.start_event_export":            (401, 422, 422, 403, 403, 403),  # no period given
    "GET api.job":                            (401, 404, 404, 404, 404, 404),  # only one's own jobs
    "GET api.job_download":                   (401, 404, 404, 404, 404, 404),
    # api: partner agencies' requests (a partner submits and cancels; coordinators decide)
    "GET api.list_requests":                  (401, 200, 200, 403, 403, 200),
    "POST api.create_request":                (401, 403, 403, 403, 403, 201),
    "POST api.approve_request":               (401, 201, 201, 403, 403, 403),
    "POST api.fulfil_request":                (401, 201, 201, 403, 403, 403),
    "POST api.decline_request":               (401, 201, 201, 403, 403, 403),
    "POST api.cancel_request":                (401, 403, 403, 403, 403, 201),
    "POST api.create_partner_report":         (401, 403, 403, 403, 403, 201),
    "GET api.list_partner_reports":           (401, 200, 200, 403, 403, 200),
}
# fmt: on


class World:
    """The program a role meets: sites HUB and VAN, stock, a target account and token."""

    def __init__(self, make, program):
        self.make = make
        self.program = program
        make.receive("HUB", "NARCAN4", 1000)
        make.receive("HUB", "FTS", 1000)
        make.receive("VAN", "FTS", 1000)
        self.target = make.user("target@example.org", "staff", sites=("HUB",))
        # A bundle whose code is the "code" URL value, for the bundle screens.
        kit = {"code": "HUB", "name": "Kit", "items": [{"supply": "FTS", "quantity": 1}]}
        bundles.create_bundle(make.admin, OperationRequest.new(None, kit), kit)
        self.counter = itertools.count(1)
        # A partner agency and its partner account: the partner column signs in as it.
        make.site("CLINIC", "partner_agency")
        program["users"]["partner"] = make.user("partner@example.org", "partner", ("CLINIC",))
        program["tokens"]["partner"] = make.token(program["users"]["partner"])

    def target_token_id(self) -> int:
        """A fresh token of the target account (revoking it is then always possible)."""
        token = tokens.create_token(self.target, "matrix")
        query = db.select(ApiToken.id).where(ApiToken.token_hash == tokens.hash_token(token))
        return db.session.execute(query).scalar_one()

    def event_id(self, site: str = "HUB", actor=None) -> str:
        """A fresh distribution at a site, recorded by an admin unless said otherwise."""
        body = {"id": str(uuid.uuid4()), "site": site, "items": [{"supply": "FTS", "quantity": 1}]}
        request = OperationRequest.new(body["id"], body)
        return events.distribute(actor or self.make.admin, request, body).result["id"]

    def pending_count(self) -> str:
        """A count by staff at HUB that waits for a coordinator."""
        body = {"site": "HUB", "supply": "FTS", "counted": 990}
        staff = self.program["users"]["staff"]
        outcome, applied = counting.record(staff, OperationRequest.new(None, body), body)
        assert not applied
        return outcome.result["id"]

    def request_id(self) -> str:
        """A fresh request of CLINIC's partner: one test strip, submitted."""
        body = {"site": "CLINIC", "items": [{"supply": "FTS", "quantity": 1}]}
        request = OperationRequest.new(None, body)
        return requests.submit(self.program["users"]["partner"], request, body).result["id"]

    def code(self, prefix: str) -> str:
        """A code no earlier call used."""
        return f"{prefix}{next(self.counter)}"


# Values for URL variables, by variable name; callables get the World.
URL_VALUES = {
    "filename": "app.css",
    "user_id": lambda w: w.target.id,
    "token_id": lambda w: w.target_token_id(),
    "event_id": lambda w: w.event_id(),
    "token": "not-a-real-reset-token",
    "job_id": "no-such-job",
    "kind": "site",
    "sha256": "0" * 64,
    "code": "HUB",
    "session_id": "999999",
    "operation_id": "00000000-0000-4000-8000-000000000000",
    "name": "no-such-workbook.xlsx",
    "count_id": lambda w: w.pending_count(),
    "agency": "CLINIC",
    "request_id": lambda w: w.request_id(),
}


def _screen_form(world) -> dict:
    """A distribution screen POST giving one test strip (quantity fields are named by id)."""
    return {
        "event_id": str(uuid.uuid4()),
        f"qty_{catalog.supply_by_code('FTS').id}": "1",
        "trained": "no",
        "setting": "fixed_site",
    }


# Bodies for writes, by "METHOD endpoint": JSON for api.*, form fields otherwise.
BODIES = {
    "POST partners.new_request": lambda w: {
        "lines-0-supply": "FTS",
        "lines-0-quantity": "1",
        "op": str(uuid.uuid4()),
    },
    "POST partners.approve": {"lines-0-supply": "FTS", "lines-0-quantity": "1"},
    "POST partners.fulfil": {"from_site": "HUB"},
    "POST partners.decline": {"reason": "other"},
    "POST main.set_language": {"lang": "es", "next": "/home"},
    "POST distribute.screen": _screen_form,
    "POST distribute.void": lambda w: {"operation_id": str(uuid.uuid4()), "reason": "duplicate"},
    "POST distribute.log": lambda w: {
        "id": str(uuid.uuid4()),
        "site": "HUB",
        "items": [{"supply": "FTS", "quantity": 1}],
    },
    "POST auth.sign_in": lambda w: {"email": "nobody@example.org", "password": "x" * 12},
    "POST admin.edit_user": lambda w: {"name": "Target", "role": "staff", "sites": ["HUB", "VAN"]},
    "POST admin.reset_password": lambda w: {"access": "temporary"},
    "POST admin.deactivate_user": {"confirm": "yes"},
    "POST admin.create_token": lambda w: {"user": str(w.target.id), "name": "matrix"},
    "POST admin.new_user": lambda w: {
        "email": f"{w.code('new')}@example.org",
        "name": "New",
        "role": "funder",
        "access": "temporary",
    },
    "POST api.create_site": lambda w: {"code": w.code("S"), "name": "Site", "kind": "outreach"},
    "POST api.create_supply": lambda w: {
        "code": w.code("SUP"),
        "name": "Wound kit",
        "category": "wound_care",
        "unit": "kit",
        "doses_per_unit": 0,
        "tracks_lots": False,
    },
    "POST api.create_funding_source": lambda w: {"code": w.code("F"), "name": "Grant"},
    "POST api.create_receipt": lambda w: {"site": "HUB", "supply": "FTS", "quantity": 5},
    "POST inventory.lot_status": lambda w: {
        "supply": "NARCAN4",
        "lot_number": "LOT1",
        "status": "available",
    },
    "POST api.create_transfer": lambda w: {
        "from_site": "HUB",
        "to_site": "VAN",
        "supply": "FTS",
        "quantity": 1,
    },
    "POST api.create_adjustment": lambda w: {
        "site": "HUB",
        "supply": "FTS",
        "quantity": -1,
        "reason": "damaged",
    },
    "POST api.create_count": lambda w: {"site": "HUB", "supply": "FTS", "counted": 900},
    "POST api.set_lot_status": lambda w: {
        "supply": "NARCAN4",
        "lot_number": "LOT1",
        "status": "available",
    },
    "POST api.create_distribution": lambda w: {
        "id": str(uuid.uuid4()),
        "site": "HUB",
        "items": [{"supply": "FTS", "quantity": 1}],
    },
    "POST api.void_distribution": lambda w: {"reason": "duplicate"},
    "POST api.create_request": lambda w: {
        "site": "CLINIC",
        "items": [{"supply": "FTS", "quantity": 1}],
    },
    "POST api.fulfil_request": {"from_site": "HUB"},
    "POST api.decline_request": {"reason": "other"},
    "POST api.create_partner_report": lambda w: {
        "site": "CLINIC",
        "month": date.today().strftime("%Y-%m"),
        "items": [{"supply": "FTS", "quantity": 0}],
    },
    "POST api.create_area": lambda w: {"zip3": f"{next(w.counter) % 1000:03d}"},
    "POST api.create_bundle": lambda w: {
        "code": w.code("B"),
        "name": "Kit",
        "items": [{"supply": "FTS", "quantity": 1}],
    },
}

# Staff of HUB reaching for VAN: every route that names a site needs a line here, and
# must answer 403 by session and by token. "url": URL variables, "query": the query
# string, "body": JSON (api.*) or form fields; values may be callables taking the World.
OTHER_SITE = {
    "GET inventory.count_sheet": {"url": {"code": "VAN"}},
    "POST inventory.count_sheet": {"url": {"code": "VAN"}},
    "GET inventory.stock_card": {"query": {"site": "VAN", "supply": "FTS"}},
    "GET distribute.screen": {"url": {"code": "VAN"}},
    "POST distribute.screen": {"url": {"code": "VAN"}, "body": _screen_form},
    "POST distribute.void": {
        "url": {
            "code": "VAN",
            "event_id": lambda w: w.event_id("VAN", w.program["users"]["staff_van"]),
        },
        "body": lambda w: {"operation_id": str(uuid.uuid4()), "reason": "duplicate"},
    },
    "GET distribute.today": {"url": {"code": "VAN"}},
    "POST distribute.log": {
        "body": lambda w: {
            "id": str(uuid.uuid4()),
            "site": "VAN",
            "items": [{"supply": "FTS", "quantity": 1}],
        }
    },
    "GET api.stock": {"query": {"site": "VAN"}},
    "GET api.list_bundles": {"query": {"site": "VAN"}},
    "GET api.list_distributions": {"query": {"site": "VAN"}},
    "POST api.create_count": {"body": {"site": "VAN", "supply": "FTS", "counted": 0}},
    "POST api.create_receipt": {"body": {"site": "VAN", "supply": "FTS", "quantity": 1}},
    "POST api.create_adjustment": {
        "body": {"site": "VAN", "supply": "FTS", "quantity": -1, "reason": "damaged"}
    },
    "POST api.create_transfer": {
        "body": {"from_site": "VAN", "to_site": "HUB", "supply": "FTS", "quantity": 1}
    },
    "POST api.create_distribution": {
        "body": lambda w: {
            "id": str(uuid.uuid4()),
            "site": "VAN",
            "items": [{"supply": "FTS", "quantity": 1}],
        }
    },
    "POST api.void_distribution": {
        "url": {"event_id": lambda w: w.event_id("VAN", w.program["users"]["staff_van"])},
        "body": {"reason": "other"},
    },
}

# Screen routes that take JSON (the distribution screen's script posts the API's body).
JSON_ROUTES = {"POST distribute.log"}

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, endpoint) the app answers, as "METHOD endpoint" keys."""
    keys = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - SKIPPED_METHODS:
            keys.add(f"{method} {rule.endpoint}")
    return sorted(keys)


def unlisted(app: Flask) -> list[str]:
    """Routes of the app that EXPECTED has no line for."""
    return [key for key in routes(app) if key not in EXPECTED]


def test_every_route_has_a_rule(app):
    missing = unlisted(app)
    assert not missing, (
        "These routes have no expected outcome per role. Add a line for each to EXPECTED in "
        "tests/test_route_matrix.py (anonymous, admin, coordinator, staff, funder, partner):\n  "
        + "\n  ".join(missing)
    )
    stale = [key for key in EXPECTED if key not in routes(app)]
    assert not stale, "EXPECTED names routes the app no longer has: " + ", ".join(stale)


def test_a_new_route_without_a_rule_is_caught(database):
    app = make_app(database, create_schema=False)
    app.add_url_rule("/forgotten", "forgotten", lambda: "", methods=["GET", "POST"])
    assert unlisted(app) == ["GET forgotten", "POST forgotten"]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _resolve(value, world):
    return value(world) if callable(value) else value


def _url(app: Flask, key: str, world: World, overrides=None, query=None) -> str:
    method, endpoint = key.split(" ", 1)
    rule = next(r for r in app.url_map.iter_rules(endpoint) if method in r.methods)
    samples = {**URL_VALUES, **(overrides or {})}
    missing = [arg for arg in rule.arguments if arg not in samples]
    assert not missing, f"Add a sample value for {missing} to URL_VALUES in {__file__}"
    values = {arg: _resolve(samples[arg], world) for arg in rule.arguments}
    values.update(query or {})  # arguments the rule does not name become the query string
    adapter = app.url_map.bind("localhost")
    return adapter.build(endpoint, values, method=method)


class Session:
    """A signed-in (or anonymous) browser state that every request starts from afresh."""

    def __init__(self, app: Flask, role: str, email: str | None):
        self.app, self.email = app, email
        self.renew()

    def renew(self) -> None:
        """Sign in afresh (signing out ends the session server-side, for every copy)."""
        client = self.app.test_client()
        if self.email is None:
            page = client.get("/")
        else:
            signed_in(client, self.email)
            page = client.get("/account/password")
        self.csrf = csrf_token_from(page.get_data(as_text=True))
        self.cookie = client.get_cookie("session").value

    def request(self, method: str, url: str, body: dict | None, api: bool):
        """One request from the saved state, with the CSRF token a real page would carry."""
        client = self.app.test_client()
        client.set_cookie("session", self.cookie)
        if api:
            headers = {"X-CSRFToken": self.csrf}
            return client.open(url, method=method, json=body or {}, headers=headers)
        data = {"csrf_token": self.csrf, **(body or {})} if method != "GET" else None
        return client.open(url, method=method, data=data)


def _bearer(app: Flask, method: str, url: str, body: dict | None, token: str | None):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.get(url, headers=headers)
    return client.open(url, method=method, json=body or {}, headers=headers)


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app, make, program, role):
    world = World(make, program)
    column = ROLES.index(role)
    user = program["users"].get(role)
    session = Session(app, role, user.email if user else None)
    token = program["tokens"].get(role)
    wrong = []
    for key in routes(app):
        if key not in EXPECTED:
            continue  # reported by test_every_route_has_a_rule
        method, endpoint = key.split(" ", 1)
        expected = EXPECTED[key][column]
        api = endpoint.startswith("api.")
        body = _resolve(BODIES.get(key), world)
        as_json = api or key in JSON_ROUTES
        response = session.request(method, _url(app, key, world), body, as_json)
        if key == "POST auth.sign_out":
            session.renew()
        if response.status_code != expected:
            wrong.append(f"{key} as {role} (session): {response.status_code}, expected {expected}")
        if api:
            body = _resolve(BODIES.get(key), world)
            response = _bearer(app, method, _url(app, key, world), body, token)
            if response.status_code != expected:
                wrong.append(
                    f"{key} as {role} (token): {response.status_code}, expected {expected}"
                )
    assert not wrong, "\n".join(wrong)


def test_staff_cannot_reach_another_site_by_any_route(app, make, program):
    world = World(make, program)
    session = Session(app, "staff", program["users"]["staff"].email)
    token = program["tokens"]["staff"]
    wrong = []
    for key, case in OTHER_SITE.items():
        assert key in EXPECTED, f"OTHER_SITE names {key}, which EXPECTED does not"
        method, endpoint = key.split(" ", 1)
        api = endpoint.startswith("api.")
        callers = [("session", None)] + ([("token", token)] if api else [])
        for how, bearer in callers:
            url = _url(app, key, world, case.get("url"), case.get("query"))
            body = _resolve(case.get("body"), world)
            if bearer:
                response = _bearer(app, method, url, body, bearer)
            else:
                response = session.request(method, url, body, api or key in JSON_ROUTES)
            if response.status_code != 403:
                wrong.append(f"{key} ({how}) for another site: {response.status_code}, not 403")
    assert not wrong, "\n".join(wrong)
