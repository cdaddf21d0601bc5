"""The OpenAPI 3.1 description of /api/v1, generated from the declarations that validate.

Every request body is a `services.common.schema.Body` the service itself reads with: the
same bounds, lengths, patterns and vocabularies (supplies.vocab), so the document and the
checks cannot disagree. The records the lists answer are drawn from the same fields. The
document is built once, on first use.
"""

from functools import cache

from supplies.api import support
from supplies.services import areas, catalog
from supplies.services.common import schema as s
from supplies.services.common import validation as v
from supplies.services.distribution import bundles, events
from supplies.services.partners import bodies as partners
from supplies.services.reporting import exports
from supplies.services.stock import bodies, counting
from supplies.vocab import (
    BATCH_STATUSES,
    DECLINE_REASONS,
    INTERFACE_LANGUAGES,
    JOB_STATUSES,
    REQUEST_STATUSES,
    VOID_REASONS,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE = s.DATE_SCHEMA
NULLABLE_TEXT = {"type": ["string", "null"]}
# Every POST body, under its title (components/schemas).
REQUEST_BODIES = (
    catalog.SITE,
    catalog.SUPPLY,
    catalog.FUNDING_SOURCE,
    areas.AREA,
    bundles.BUNDLE,
    bodies.RECEIPT,
    bodies.TRANSFER,
    bodies.ADJUSTMENT,
    bodies.COUNT,
    counting.CONFIRM,
    bodies.LOT_STATUS,
    events.DISTRIBUTION,
    events.VOID,
    exports.EVENT_EXPORT,
    partners.REQUEST,
    partners.APPROVAL,
    partners.FULFILMENT,
    partners.DECLINE,
    partners.CANCEL,
    partners.REPORT,
)
_ERRORS = {
    400: "Malformed request (not a JSON object, or no CSRF token with a session).",
    401: "No token or session, or a bad token.",
    403: "The role or assigned sites do not allow this.",
    404: "Not found.",
    409: "Conflict: too little stock, a code in use, or an id reused with another body.",
    422: "Invalid or unknown fields; `fields` names each.",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    return {str(n): {"description": _ERRORS[n], **_json(_ref("Error"))} for n in statuses}


def _responses(ok: dict, *errors: int, created: bool = False) -> dict:
    if created:
        responses = {
            "201": {"description": "Recorded.", **_json(ok)},
            "200": {"description": "The same id and body again: the first result.", **_json(ok)},
        }
    else:
        responses = {"200": {"description": "OK.", **_json(ok)}}
    return {**responses, **_errors(401, *errors)}


def _error_schema() -> dict:
    error = {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            "available": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
        "required": ["code", "message", "fields"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"error": error},
        "required": ["error"],
        "additionalProperties": False,
    }


def _distribution_record() -> dict:
    """An event as GET /distributions lists it (who recorded it is never included)."""
    event = events.DISTRIBUTION.only(*events.EVENT_FIELDS)
    fields = event.record_schema(not_null=("setting", "reversals_reported"))
    line = {
        "supply": s.CODE_SCHEMA,
        "quantity": events.ITEM_QUANTITY.json_schema(),
        "doses": {"type": "integer", "minimum": 0},
    }
    line_schema = {"type": "object", "properties": line, "required": list(line)}
    properties = {
        "id": {"type": "string", "format": "uuid"},
        "site": s.CODE_SCHEMA,
        "occurred_at": {"type": "string", "format": "date-time"},
        **fields["properties"],
        "items": {"type": "array", "items": line_schema},
        "voided": {"type": "boolean"},
        "void_reason": {
            "type": ["string", "null"],
            "enum": [*VOID_REASONS, None],
            "description": "A void reason code; null while not voided.",
        },
    }
    return {"type": "object", "properties": properties, "required": list(properties)}


def _stock_row() -> dict:
    properties = {
        "site": s.CODE_SCHEMA,
        "supply": s.CODE_SCHEMA,
        "supply_name": {"type": "string"},
        "lot_number": NULLABLE_TEXT,
        "expires_on": {"type": ["string", "null"], "format": "date"},
        "funding": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": list(BATCH_STATUSES)},
        "expired": {"type": "boolean"},
        "quantity": {"type": "integer", "minimum": 1},
        "days_left": {
            "type": ["integer", "null"],
            "minimum": 0,
            "description": "About how many days the site's usable units of the supply last "
            "at the median weekly use of the last four weeks (distributions less voids, "
            "transfers out); null where there is no such use. The same on every row of a "
            "site and supply.",
        },
    }
    return {"type": "object", "properties": properties, "required": list(properties)}


def _schemas() -> dict:
    page = {
        "items": {"type": "array", "items": _ref("DistributionRecord")},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "total": {"type": "integer", "minimum": 0},
        "next_page": {"type": ["integer", "null"]},
    }
    return {
        "Error": _error_schema(),
        **{body.title: body.json_schema() for body in REQUEST_BODIES},
        "SiteRecord": catalog.SITE.record_schema(not_null=("active",)),
        "SupplyRecord": catalog.SUPPLY.record_schema(
            not_null=("tracks_lots", "offered_to_partners", "active")
        ),
        "FundingSourceRecord": catalog.FUNDING_SOURCE.record_schema(not_null=("active",)),
        "AreaRecord": areas.AREA_RECORD,
        "BundleRecord": bundles.BUNDLE_RECORD,
        "StockRow": _stock_row(),
        "DistributionRecord": _distribution_record(),
        "DistributionPage": {"type": "object", "properties": page, "required": list(page)},
        "Result": {"type": "object", "description": "What was recorded, as stored with the id."},
        "Job": _job_schema(),
        "SupplyRequestRecord": _request_record(),
        "PartnerReportRecord": _report_record(),
    }


def _post(summary: str, body: s.Body, *errors: int) -> dict:
    return {
        "post": {
            "summary": summary,
            "requestBody": {"required": True, **_json(_ref(body.title))},
            "responses": _responses(_ref("Result"), 400, 403, *errors, created=True),
        }
    }


def _list(summary: str, schema: str, parameters=()) -> dict:
    ok = {"type": "array", "items": _ref(schema)}
    return {
        "get": {
            "summary": summary,
            "parameters": list(parameters),
            "responses": _responses(ok, 403, 422),
        }
    }


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def _declared(field: s.Field) -> dict:
    return {**field.schema, "default": field.default}


def _distribution_paths(site: dict) -> dict:
    listing = {
        "summary": "Distribution events, newest first",
        "parameters": [
            site,
            _query("start", DATE, "First day, inclusive (APP_TIMEZONE)."),
            _query("end", DATE, "Last day, inclusive."),
            _query("page", _declared(support.PAGE), "Page number."),
            _query("per_page", _declared(support.PER_PAGE), "Page size."),
        ],
        "responses": _responses(_ref("DistributionPage"), 403, 422),
    }
    void_id = {"name": "id", "in": "path", "required": True, "schema": s.UUID_SCHEMA}
    void = _post("Void a distribution, reversing its stock", events.VOID, 404, 409, 422)
    return {
        "/distributions": {
            "post": _linked(
                _post("Log an anonymous distribution event", events.DISTRIBUTION, 409, 422),
                "201",
                "voidDistribution",
            )["post"],
            "get": listing,
        },
        "/distributions/{id}/void": {
            "post": {**void["post"], "operationId": "voidDistribution", "parameters": [void_id]}
        },
    }


def _count_paths() -> dict:
    count = _post("Record a physical count", bodies.COUNT, 409, 422)
    count["post"]["description"] = (
        "Coordinators and admins: applied at once (201). Staff: saved as a count that "
        "waits for a coordinator, as on the count screens (202); "
        "POST /counts/{id}/confirm applies it."
    )
    count["post"]["responses"]["202"] = {
        "description": "Saved for review; nothing changed stock yet.",
        **_json(_ref("Result")),
    }
    count_id = {"name": "id", "in": "path", "required": True, "schema": s.UUID_SCHEMA}
    confirm = _post("Apply a count that waits for review", counting.CONFIRM, 404, 409, 422)["post"]
    confirm["requestBody"]["required"] = False
    confirm = {**confirm, "operationId": "confirmCount", "parameters": [count_id]}
    discard = _post("Drop a count that waits for review", counting.CONFIRM, 404, 409, 422)["post"]
    discard["requestBody"]["required"] = False
    discard = {**discard, "operationId": "discardCount", "parameters": [count_id]}
    return {
        "/counts": {"post": _linked(count, "202", "confirmCount")["post"]},
        "/counts/{id}/confirm": {"post": confirm},
        "/counts/{id}/discard": {"post": discard},
    }


def _linked(operation: dict, status: str, target: str) -> dict:
    """The operation with a link from its answer's id to the operation that takes it next."""
    post = dict(operation["post"])
    responses = dict(post["responses"])
    link = {"operationId": target, "parameters": {"id": "$response.body#/id"}}
    responses[status] = {**responses[status], "links": {target: link}}
    return {"post": {**post, "responses": responses}}


def _workbook_path() -> dict:
    language = {"type": "string", "enum": list(INTERFACE_LANGUAGES), "default": "en"}
    code = v.CODE_PATTERN.strip("^$")
    codes = {"type": "string", "minLength": 1, "pattern": f"^{code}(,{code})*$"}
    sites = _query("site", codes, "Site codes, comma-separated or the parameter repeated (all).")
    workbook = {
        "summary": "The funder workbook (aggregated, small-cell suppressed; archived)",
        "parameters": [
            _query("start", DATE, "First day, inclusive (APP_TIMEZONE).", required=True),
            _query("end", DATE, "Last day, inclusive.", required=True),
            sites,
            _query("funding", s.CODE_SCHEMA, "Count only stock paid for by this funding source."),
            _query(
                "language",
                language,
                "The workbook's language; sheet, table and contract header names stay English.",
            ),
        ],
        "responses": {
            "200": {
                "description": "The .xlsx workbook of DESIGN.md's contract.",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            },
            **_errors(401, 403, 422),
        },
    }
    return {"/reports/funder.xlsx": {"get": workbook}}


def _job_schema() -> dict:
    properties = {
        "id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "kind": {"type": "string", "description": "events_export (the API starts no other)."},
        "status": {"type": "string", "enum": list(JOB_STATUSES)},
        "done": {"type": "integer", "minimum": 0},
        "total": {"type": "integer", "minimum": 0},
        "download": {"type": "string", "description": "Where the file is, once done."},
        "message": {"type": "string", "description": "Why it failed."},
    }
    return {
        "type": "object",
        "description": "A background job; any app server answers for any job.",
        "properties": properties,
        "required": ["id", "kind", "status", "done", "total"],
    }


def _job_paths() -> dict:
    job_id = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    }
    started = {"type": "object", "properties": {"job": _ref("Job")}, "required": ["job"]}
    start = {
        "summary": "Start the event-level workbook of a period in the background",
        "requestBody": {"required": True, **_json(_ref(exports.EVENT_EXPORT.title))},
        "responses": {
            "202": {"description": "Started; follow the job (Location).", **_json(started)},
            "200": {"description": "The same id and body again: the same job.", **_json(started)},
            **_errors(400, 401, 403, 409, 422),
        },
    }
    follow = {
        "summary": "A job you started: its state and progress",
        "parameters": [job_id],
        "responses": {"200": {"description": "OK.", **_json(_ref("Job"))}, **_errors(401, 404)},
    }
    download = {
        "summary": "The file a finished job made (the event-level workbook)",
        "parameters": [job_id],
        "responses": {
            "200": {
                "description": "The .xlsx workbook.",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            },
            **_errors(401, 404, 409),
        },
    }
    return {
        "/exports/events": {"post": start},
        "/jobs/{id}": {"get": follow},
        "/jobs/{id}/download": {"get": download},
    }


def _request_record() -> dict:
    """A supply request as GET /requests lists it and its steps answer."""
    line = {
        "supply": s.CODE_SCHEMA,
        "requested": {"type": "integer", "minimum": 1},
        "approved": {"type": ["integer", "null"], "minimum": 0},
    }
    properties = {
        "id": {"type": "string", "format": "uuid"},
        "site": s.CODE_SCHEMA,
        "status": {"type": "string", "enum": list(REQUEST_STATUSES)},
        "needed_by": {"type": ["string", "null"], "format": "date"},
        "decline_reason": {"type": ["string", "null"], "enum": [*DECLINE_REASONS, None]},
        "from_site": {"type": ["string", "null"]},
        "transfer": {
            "type": ["string", "null"],
            "description": "The fulfilling transfer's id once fulfilled.",
        },
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "items": {
            "type": "array",
            "items": {"type": "object", "properties": line, "required": list(line)},
        },
    }
    return {"type": "object", "properties": properties, "required": list(properties)}


def _report_record() -> dict:
    """A partner's monthly report as GET /partner-reports lists it."""
    line = {"supply": s.CODE_SCHEMA, "quantity": {"type": "integer", "minimum": 0}}
    count = {"type": ["integer", "null"], "minimum": 0}
    properties = {
        "id": {"type": "string", "format": "uuid"},
        "site": s.CODE_SCHEMA,
        "month": {"type": "string", "pattern": partners.MONTH_PATTERN},
        "items": {
            "type": "array",
            "items": {"type": "object", "properties": line, "required": list(line)},
        },
        "encounters": count,
        "reversals_reported": count,
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    }
    return {"type": "object", "properties": properties, "required": list(properties)}


def _partner_paths(site: dict) -> dict:
    request_id = {"name": "id", "in": "path", "required": True, "schema": s.UUID_SCHEMA}
    status = {"type": "string", "enum": list(REQUEST_STATUSES)}
    submit = _post("A partner agency asks for supplies", partners.REQUEST, 409, 422)["post"]
    submit["description"] = "A partner account, for its own agency."
    steps = {}
    for step, summary, body, optional in (
        ("approve", "Approve a submitted request in full or in part", partners.APPROVAL, True),
        (
            "fulfil",
            "Fulfil an approved request: one transfer from a program site",
            partners.FULFILMENT,
            False,
        ),
        ("decline", "Decline a request with a reason code", partners.DECLINE, False),
        ("cancel", "The partner withdraws its request", partners.CANCEL, True),
    ):
        operation = _post(summary, body, 404, 409, 422)["post"]
        operation["description"] = (
            "The same step again on a request already in its outcome answers 200 and "
            "writes nothing; a request that has moved on answers 409."
        )
        if optional:
            operation["requestBody"]["required"] = False
        operation = {**operation, "operationId": f"{step}Request", "parameters": [request_id]}
        steps[f"/requests/{{id}}/{step}"] = {"post": operation}
    reports_list = _list(
        "Partner monthly reports, newest month first (a partner: its agency's)",
        "PartnerReportRecord",
        [
            {**site, "description": "A partner agency's code (a partner: its own)."},
            _query("start", DATE, "Reports of months from this day's month on."),
            _query("end", DATE, "Reports of months starting on or before this day."),
        ],
    )
    report = _post("Send or correct a partner's monthly report", partners.REPORT, 404, 409, 422)
    return {
        "/requests": {
            **_list(
                "Supply requests, newest first (a partner: its agency's)",
                "SupplyRequestRecord",
                [_query("status", status, "Only requests with this status.")],
            ),
            "post": submit,
        },
        **steps,
        "/partner-reports": {**reports_list, **report},
    }


def _paths() -> dict:
    site = _query("site", s.CODE_SCHEMA, "A site code (staff: an assigned site).")
    return {
        "/sites": {
            **_list("Sites you may see", "SiteRecord"),
            **_post("Create a site", catalog.SITE, 409, 422),
        },
        "/supplies": {
            **_list("Supplies", "SupplyRecord"),
            **_post("Create a supply", catalog.SUPPLY, 409, 422),
        },
        "/funding-sources": {
            **_list("Funding sources", "FundingSourceRecord"),
            **_post("Create a funding source", catalog.FUNDING_SOURCE, 409, 422),
        },
        "/areas": {
            **_list("The program's areas (an event's area is one of them or a ZIP)", "AreaRecord"),
            **_post("Add a county or a 3-digit ZIP prefix", areas.AREA, 409, 422),
        },
        "/bundles": {
            **_list(
                "Bundles: the program's and each site's (with site: those offered there)",
                "BundleRecord",
                [site],
            ),
            **_post("Create a bundle for the distribution screen", bundles.BUNDLE, 409, 422),
        },
        "/receipts": _post("Receive a shipment line", bodies.RECEIPT, 409, 422),
        "/transfers": _post("Move stock between sites", bodies.TRANSFER, 409, 422),
        "/adjustments": _post("Adjust stock with a reason", bodies.ADJUSTMENT, 409, 422),
        **_count_paths(),
        "/lots/status": _post(
            "Quarantine, recall or release a lot everywhere", bodies.LOT_STATUS, 404, 409, 422
        ),
        "/stock": _list("Stock on hand per site, supply and lot", "StockRow", [site]),
        **_distribution_paths(site),
        **_workbook_path(),
        **_job_paths(),
        **_partner_paths(site),
        "/openapi.json": {
            "get": {
                "summary": "This description",
                "security": [],
                "responses": {"200": {"description": "OK."}},
            }
        },
    }


@cache
def openapi_spec() -> dict:
    """The whole API description as a dict, ready for JSON (built once; do not modify)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Supply tracker API",
            "version": "1.0.0",
            "description": "Harm reduction supplies, stock and anonymous distribution events. "
            "Codes, not database ids, name sites, supplies, funding sources and lots. "
            "Quantities are whole numbers from 1 to 100000 (counts: 0 to 100000), written as "
            "JSON integers (5, not 5.0). In an optional field, null, an absent field and an "
            "empty string mean the same. "
            "Every write takes an optional client UUID `id` (required for distributions); "
            "the same id and body again returns the first result with 200.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRFToken",
                    "description": "The signed-in session cookie plus its CSRF token for writes.",
                },
            },
        },
    }
