"""The JSON API views: parse, call a service, answer JSON. Rules live in the services."""

from flask import Blueprint, g, jsonify, request, send_file
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from supplies.api import support
from supplies.api.openapi import openapi_spec
from supplies.api.support import ApiError, json_body, operation_request, written
from supplies.extensions import csrf
from supplies.services import catalog
from supplies.services.accounts import tokens
from supplies.services.common import permissions, validation
from supplies.services.common.errors import DomainError
from supplies.services.common.messages import msg
from supplies.services.distribution import events as distribution
from supplies.services.distribution import history
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from supplies.services.stock import bodies, on_hand
from supplies.services.stock import work as inventory
from supplies.services.stock.work import ReceiptLine

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}


@bp.before_request
def authenticate():
    """Bearer token, or the signed-in session with its CSRF token for writes."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        user = (
            tokens.user_for_token(token.strip()) if scheme.lower() == "bearer" and token else None
        )
        if user is None:
            return support.error_response(
                401, "unauthorized", msg("The API token is missing or not valid.")
            )
        g.api_user = user
        return None
    if current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.api_user = current_user._get_current_object()
        return None
    return support.error_response(401, "unauthorized", msg("Sign in or send an API token."))


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """Service refusals as JSON."""
    return support.domain_error_response(error)


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    """Request-shape refusals as JSON."""
    return support.error_response(error.status, error.code, error.message, error.fields)


@bp.errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    """A session write without its CSRF token."""
    return support.error_response(400, "csrf", msg("The CSRF token is missing or not valid."))


def _site_filter(code: str | None) -> list[int] | None:
    if not code:
        return None
    site = catalog.site_by_code(code, active_only=False)
    permissions.require(g.api_user, "see_stock", site.id)
    return [site.id]


# --- sites, supplies, funding sources ------------------------------------------------


@bp.get("/sites")
def list_sites():
    """Sites the caller may see."""
    return jsonify([catalog.site_result(s) for s in catalog.list_sites(g.api_user)])


@bp.post("/sites")
def create_site():
    """Create a site (admins and coordinators)."""
    body = json_body(catalog.SITE.names)
    return written(catalog.create_site(g.api_user, operation_request(body), body))


@bp.get("/supplies")
def list_supplies():
    """Every supply."""
    return jsonify([catalog.supply_result(s) for s in catalog.list_supplies()])


@bp.post("/supplies")
def create_supply():
    """Create a supply (admins and coordinators)."""
    body = json_body(catalog.SUPPLY.names)
    return written(catalog.create_supply(g.api_user, operation_request(body), body))


@bp.get("/funding-sources")
def list_funding_sources():
    """Every funding source."""
    return jsonify([catalog.funding_result(f) for f in catalog.list_funding_sources()])


@bp.post("/funding-sources")
def create_funding_source():
    """Create a funding source (admins and coordinators)."""
    body = json_body(catalog.FUNDING_SOURCE.names)
    return written(catalog.create_funding_source(g.api_user, operation_request(body), body))


# --- stock work ------------------------------------------------------------------------


@bp.post("/receipts")
def create_receipt():
    """Receive a shipment line at a site."""
    body = json_body(bodies.RECEIPT.names)
    line = ReceiptLine(
        body.get("supply"),
        body.get("quantity"),
        body.get("lot_number"),
        body.get("expires_on"),
        body.get("funding"),
    )
    outcome = inventory.receive(
        g.api_user,
        operation_request(body),
        body.get("site"),
        [line],
        received_on=body.get("received_on"),
        source=body.get("source"),
    )
    return written(outcome)


@bp.post("/transfers")
def create_transfer():
    """Move stock between two sites."""
    body = json_body(bodies.TRANSFER.names)
    return written(inventory.transfer(g.api_user, operation_request(body), body))


@bp.post("/adjustments")
def create_adjustment():
    """Write stock off or on with a reason."""
    body = json_body(bodies.ADJUSTMENT.names)
    return written(inventory.adjust(g.api_user, operation_request(body), body))


@bp.post("/counts")
def create_count():
    """Record a physical count."""
    body = json_body(bodies.COUNT.names)
    return written(inventory.count(g.api_user, operation_request(body), body))


@bp.post("/lots/status")
def set_lot_status():
    """Quarantine, recall or release a lot everywhere."""
    body = json_body(bodies.LOT_STATUS.names)
    return written(inventory.set_lot_status(g.api_user, operation_request(body), body))


@bp.get("/stock")
def stock():
    """On-hand stock rows, optionally for one site."""
    permissions.require(g.api_user, "see_stock")
    rows = on_hand.stock_rows(g.api_user, _site_filter(request.args.get("site")))
    return jsonify(rows)


# --- distributions -----------------------------------------------------------------------


@bp.post("/distributions")
def create_distribution():
    """Log a distribution event; the same id and body again records nothing new."""
    body = json_body(distribution.DISTRIBUTION.names)
    request_ = operation_request(body, required=distribution.DISTRIBUTION.id_required)
    return written(distribution.distribute(g.api_user, request_, body))


@bp.post("/distributions/<event_id>/void")
def void_distribution(event_id: str):
    """Void a distribution with a reason, reversing its stock movements."""
    body = json_body(distribution.VOID.names)
    try:
        event_id = validation.operation_id(event_id, True)
    except DomainError:
        raise ApiError(404, "not_found", msg("No such distribution.")) from None
    return written(distribution.void(g.api_user, operation_request(body), event_id, body))


@bp.get("/distributions")
def list_distributions():
    """Events the caller may see, newest first, a page at a time."""
    site_ids = _site_filter(request.args.get("site"))
    start, end = support.query_date("start"), support.query_date("end")
    page = support.query_int("page", support.PAGE)
    per_page = support.query_int("per_page", support.PER_PAGE)
    events, total = history.list_events(g.api_user, site_ids, start, end, page, per_page)
    return jsonify(
        {
            "items": [distribution.event_result(e) for e in events],
            "page": page,
            "per_page": per_page,
            "total": total,
            "next_page": page + 1 if page * per_page < total else None,
        }
    )


# --- reports -----------------------------------------------------------------------------


@bp.get("/reports/funder.xlsx")
def funder_workbook():
    """The aggregated, suppressed funder workbook for a period (archived and audited)."""
    permissions.require(g.api_user, "funder_reports")
    args = request.args
    # site=HUB&site=VAN or site=HUB,VAN
    sites = [code.strip() for value in args.getlist("site") for code in value.split(",")]
    filters = reporting.make_filters(
        args.get("start"), args.get("end"), sites, args.get("funding"), args.get("language", "en")
    )
    record = exports.funder_export(g.api_user, filters)
    name = f"funder-report-{filters.start}-to-{filters.end}.xlsx"
    return send_file(record.path, mimetype=exports.XLSX, as_attachment=True, download_name=name)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_spec())
