"""The JSON API views: parse, call a service, answer JSON. Rules live in the services."""

from flask import Blueprint, g, jsonify, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from supplies.api import support
from supplies.api.openapi import openapi_spec
from supplies.api.support import ApiError, json_body, operation_request, written
from supplies.extensions import csrf
from supplies.i18n import translate
from supplies.jobs import runner, store, tasks
from supplies.services import areas, catalog
from supplies.services.accounts import tokens
from supplies.services.common import permissions, validation
from supplies.services.common.errors import DomainError, ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db import files
from supplies.services.distribution import bundles, history
from supplies.services.distribution import events as distribution
from supplies.services.partners import bodies as partner_bodies
from supplies.services.partners import reports as partner_reports
from supplies.services.partners import requests as supply_requests
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting
from supplies.services.stock import bodies, counting, on_hand
from supplies.services.stock import work as inventory
from supplies.services.stock.work import ReceiptLine
from supplies.vocab import PARTNER_KIND
from supplies.web.downloads import send_stored

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}
# The role a call needs, checked before any code in it is looked up: a role that may not
# do the thing learns nothing about what exists (403 for a known code and an unknown one
# alike). The services check the role again, and the site, once they know it.
ROLE_NEEDED = {
    "api.create_site": "manage_catalog",
    "api.create_supply": "manage_catalog",
    "api.create_funding_source": "manage_catalog",
    "api.create_area": "manage_catalog",
    "api.list_bundles": "distribute",
    "api.create_bundle": "manage_catalog",
    "api.create_receipt": "manage_stock",
    "api.create_transfer": "manage_stock",
    "api.create_adjustment": "manage_stock",
    "api.set_lot_status": "manage_stock",
    "api.create_count": "count",
    "api.confirm_count": "manage_stock",
    "api.discard_count": "manage_stock",
    "api.stock": "see_stock",
    "api.create_distribution": "distribute",
    "api.void_distribution": "distribute",
    "api.list_distributions": "see_events",
    "api.funder_workbook": "funder_reports",
    "api.start_event_export": "event_export",
    "api.list_sites": "see_catalog",
    "api.list_supplies": "see_catalog",
    "api.list_funding_sources": "see_catalog",
    "api.list_areas": "see_catalog",
    "api.list_requests": "see_requests",
    "api.create_request": "request_supplies",
    "api.approve_request": "decide_requests",
    "api.fulfil_request": "decide_requests",
    "api.decline_request": "decide_requests",
    "api.cancel_request": "request_supplies",
    "api.create_partner_report": "report_partner",
    "api.list_partner_reports": "see_partner_reports",
}


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
        return _role_first()
    if current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.api_user = current_user._get_current_object()
        return _role_first()
    return support.error_response(401, "unauthorized", msg("Sign in or send an API token."))


def _role_first():
    """403 for a role that may not make this call at all, before anything is looked up."""
    action = ROLE_NEEDED.get(request.endpoint)
    if action is not None:
        permissions.require(g.api_user, action)
    return None


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
    if code is None:
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


@bp.get("/areas")
def list_areas():
    """The program's areas: what an event's area may be (besides a ZIP prefix)."""
    return jsonify([areas.area_result(a) for a in areas.list_areas()])


@bp.post("/areas")
def create_area():
    """Add a county {name, state?} or a ZIP prefix {zip3} (admins and coordinators)."""
    body = json_body(areas.AREA.names)
    return written(areas.create_area(g.api_user, operation_request(body), body))


@bp.get("/bundles")
def list_bundles():
    """Bundles offered on the distribution screen: the program's, and each site's."""
    code = support.query_text("site")
    site_id = None
    if code is not None:
        site = catalog.site_by_code(code, active_only=False)
        permissions.require(g.api_user, "distribute", site.id)
        site_id = site.id
    found = bundles.list_bundles(g.api_user, site_id)
    return jsonify([bundles.bundle_result(b) for b in found])


@bp.post("/bundles")
def create_bundle():
    """Create a bundle {code, name, site?, items} (admins and coordinators)."""
    body = json_body(bundles.BUNDLE.names)
    return written(bundles.create_bundle(g.api_user, operation_request(body), body))


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
        for_disposal=body.get("for_disposal", False),
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
    """Record a physical count: applied at once (201) or, from staff, held for review (202)."""
    body = json_body(bodies.COUNT.names)
    outcome, applied = counting.record(g.api_user, operation_request(body), body)
    if applied:
        return written(outcome)
    # A staff member's count waits for a coordinator, as on the count screens.
    return jsonify({**outcome.result, "status": "submitted"}), 202


@bp.post("/counts/<count_id>/confirm")
def confirm_count(count_id: str):
    """Apply a count that waits for review (coordinators and admins)."""
    body = json_body(counting.CONFIRM.names) if request.content_length else {}
    if not validation.is_uuid(count_id):
        raise ApiError(404, "not_found", msg("No such count."))
    return written(counting.confirm(g.api_user, operation_request(body), count_id.lower()))


@bp.post("/counts/<count_id>/discard")
def discard_count(count_id: str):
    """Drop a count that waits for review, changing no stock (coordinators and admins)."""
    body = json_body(counting.CONFIRM.names) if request.content_length else {}
    if not validation.is_uuid(count_id):
        raise ApiError(404, "not_found", msg("No such count."))
    return written(counting.discard(g.api_user, operation_request(body), count_id.lower()))


@bp.post("/lots/status")
def set_lot_status():
    """Quarantine, recall or release a lot everywhere."""
    body = json_body(bodies.LOT_STATUS.names)
    return written(inventory.set_lot_status(g.api_user, operation_request(body), body))


@bp.get("/stock")
def stock():
    """On-hand stock rows, optionally for one site."""
    permissions.require(g.api_user, "see_stock")
    rows = on_hand.stock_rows_with_days_left(g.api_user, _site_filter(support.query_text("site")))
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
    site_ids = _site_filter(support.query_text("site"))
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


# --- partner agencies: supply requests and monthly reports ----------------------------------


def _request_id(request_id: str) -> str:
    if not validation.is_uuid(request_id):
        raise ApiError(404, "not_found", msg("No such request."))
    return request_id.lower()


def _optional_body(allowed) -> dict:
    """A step's JSON body, or {} when none is sent."""
    return json_body(allowed) if request.content_length else {}


@bp.get("/requests")
def list_requests():
    """Supply requests the caller may see, newest first (a partner: its agency's)."""
    status = support.query_text("status")
    found = supply_requests.list_requests(g.api_user, status)
    return jsonify([supply_requests.request_result(r) for r in found])


@bp.post("/requests")
def create_request():
    """A partner asks for supplies for its agency."""
    body = json_body(partner_bodies.REQUEST.names)
    return written(supply_requests.submit(g.api_user, operation_request(body), body))


@bp.post("/requests/<request_id>/approve")
def approve_request(request_id: str):
    """Approve a submitted request in full, or in part with items."""
    body = _optional_body(partner_bodies.APPROVAL.names)
    request_id = _request_id(request_id)
    outcome = supply_requests.approve(g.api_user, operation_request(body), request_id, body)
    return written(outcome)


@bp.post("/requests/<request_id>/fulfil")
def fulfil_request(request_id: str):
    """Send the approved units as one transfer from a program site."""
    body = json_body(partner_bodies.FULFILMENT.names)
    request_id = _request_id(request_id)
    outcome = supply_requests.fulfil(g.api_user, operation_request(body), request_id, body)
    return written(outcome)


@bp.post("/requests/<request_id>/decline")
def decline_request(request_id: str):
    """Decline a request with a reason code."""
    body = json_body(partner_bodies.DECLINE.names)
    request_id = _request_id(request_id)
    outcome = supply_requests.decline(g.api_user, operation_request(body), request_id, body)
    return written(outcome)


@bp.post("/requests/<request_id>/cancel")
def cancel_request(request_id: str):
    """The partner withdraws its request."""
    body = _optional_body(partner_bodies.CANCEL.names)
    request_id = _request_id(request_id)
    return written(supply_requests.cancel(g.api_user, operation_request(body), request_id))


@bp.post("/partner-reports")
def create_partner_report():
    """A partner's monthly report (the same agency and month again corrects it)."""
    body = json_body(partner_bodies.REPORT.names)
    return written(partner_reports.submit(g.api_user, operation_request(body), body))


@bp.get("/partner-reports")
def list_partner_reports():
    """Monthly reports the caller may see (a partner: its agency's), newest month first."""
    code = support.query_text("site")
    site_id = None
    if code is not None:
        site = catalog.site_by_code(code, active_only=False)
        permissions.require(g.api_user, "see_partner_reports", site.id)
        if site.kind != PARTNER_KIND:
            # A bad value of the query, like an unknown code: 422, as the document says.
            raise ValidationFailed(
                msg("%(site)s is not a partner agency.", site=site.code),
                {"site": msg("is not a partner agency")},
            )
        site_id = site.id
    start, end = support.query_date("start"), support.query_date("end")
    found = partner_reports.list_reports(g.api_user, site_id, start, end)
    return jsonify([partner_reports.report_result(r) for r in found])


# --- reports -----------------------------------------------------------------------------


@bp.get("/reports/funder.xlsx")
def funder_workbook():
    """The aggregated, suppressed funder workbook for a period (archived and audited)."""
    permissions.require(g.api_user, "funder_reports")
    text = support.query_text
    filters = reporting.make_filters(
        text("start"),
        text("end"),
        support.query_codes("site"),  # site=HUB&site=VAN or site=HUB,VAN
        text("funding"),
        text("language") or "en",
    )
    record = exports.funder_export(g.api_user, filters)
    return send_stored(exports.stored_file(record), record.download_name, exports.XLSX)


# --- background jobs: the event-level export --------------------------------------------------


def _job_answer(job) -> dict:
    """A job as GET /jobs/{id} answers it (DESIGN.md): any app server gives the same."""
    done, total = store.progress(job)
    answer = {"id": job.id, "kind": job.kind, "status": job.status, "done": done, "total": total}
    if job.status == store.DONE and job.file_id is not None:
        answer["download"] = url_for("api.job_download", job_id=job.id)
    if job.status == store.FAILED:
        answer["message"] = translate(store.message(job) or "")
    return answer


def _own_job(job_id: str):
    job = runner.follow(job_id)
    if job is None or job.owner_id != g.api_user.id:
        raise ApiError(404, "not_found", msg("No such job."))
    return job


@bp.post("/exports/events")
def start_event_export():
    """Start the event-level workbook of a period in the background: 202 and the job."""
    permissions.require(g.api_user, "event_export")
    body = json_body(exports.EVENT_EXPORT.names)
    request_ = operation_request(body)
    filters = exports.event_export_filters(body)
    params = tasks.export_params(filters)
    job, created = runner.start_once(request_, tasks.EVENTS_EXPORT, g.api_user.id, params)
    location = url_for("api.job", job_id=job.id)
    return jsonify({"job": _job_answer(job)}), 202 if created else 200, {"Location": location}


@bp.get("/jobs/<job_id>")
def job(job_id: str):
    """A job's state and progress; `download` once its file is ready."""
    return jsonify(_job_answer(_own_job(job_id)))


@bp.get("/jobs/<job_id>/download")
def job_download(job_id: str):
    """The file a finished job made (the event-level workbook)."""
    found = _own_job(job_id)
    if found.status != store.DONE:
        raise ApiError(409, "not_ready", msg("The job has not finished."))
    stored = files.get(found.file_id)
    if stored is None:
        raise ApiError(404, "not_found", msg("This workbook is no longer in the archive."))
    name = stored.filename
    if found.kind == tasks.EVENTS_EXPORT:
        record = exports.record_of(stored.name)
        name = record.download_name if record else name
    return send_stored(stored, name)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_spec())
