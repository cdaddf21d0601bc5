"""The OpenAPI 3.1 description of /api/v1, generated from the declarations that validate.

Every request body is a `services.common.schema.Body` the service itself reads with: the
same bounds, lengths, patterns and vocabularies (supplies.vocab), so the document and the
checks cannot disagree. The records the lists answer are drawn from the same fields. The
document is built once, on first use.
"""

from functools import cache

from supplies.api import support
from supplies.services import catalog
from supplies.services.common import schema as s
from supplies.services.distribution import events
from supplies.services.stock import bodies
from supplies.vocab import BATCH_STATUSES, INTERFACE_LANGUAGES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE = {"type": "string", "format": "date"}
NULLABLE_TEXT = {"type": ["string", "null"]}
# Every POST body, under its title (components/schemas).
REQUEST_BODIES = (
    catalog.SITE,
    catalog.SUPPLY,
    catalog.FUNDING_SOURCE,
    bodies.RECEIPT,
    bodies.TRANSFER,
    bodies.ADJUSTMENT,
    bodies.COUNT,
    bodies.LOT_STATUS,
    events.DISTRIBUTION,
    events.VOID,
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
    fields = event.record_schema(not_null=("setting", "trained", "reversals_reported"))
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
        "void_reason": NULLABLE_TEXT,
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
        "SupplyRecord": catalog.SUPPLY.record_schema(not_null=("tracks_lots", "active")),
        "FundingSourceRecord": catalog.FUNDING_SOURCE.record_schema(not_null=("active",)),
        "StockRow": _stock_row(),
        "DistributionRecord": _distribution_record(),
        "DistributionPage": {"type": "object", "properties": page, "required": list(page)},
        "Result": {"type": "object", "description": "What was recorded, as stored with the id."},
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
    uuid = {"type": "string", "format": "uuid"}
    void_id = {"name": "id", "in": "path", "required": True, "schema": uuid}
    void = _post("Void a distribution, reversing its stock", events.VOID, 404, 409, 422)
    return {
        "/distributions": {
            **_post("Log an anonymous distribution event", events.DISTRIBUTION, 409, 422),
            "get": listing,
        },
        "/distributions/{id}/void": {"post": {**void["post"], "parameters": [void_id]}},
    }


def _workbook_path() -> dict:
    language = {"type": "string", "enum": list(INTERFACE_LANGUAGES), "default": "en"}
    sites = _query("site", s.CODE_SCHEMA, "Site codes, repeated or comma-separated (all).")
    workbook = {
        "summary": "The funder workbook (aggregated, small-cell suppressed; archived)",
        "parameters": [
            _query("start", DATE, "First day, inclusive (APP_TIMEZONE).", required=True),
            _query("end", DATE, "Last day, inclusive.", required=True),
            {**sites, "style": "form", "explode": True},
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
        "/receipts": _post("Receive a shipment line", bodies.RECEIPT, 409, 422),
        "/transfers": _post("Move stock between sites", bodies.TRANSFER, 409, 422),
        "/adjustments": _post("Adjust stock with a reason", bodies.ADJUSTMENT, 409, 422),
        "/counts": _post("Record a physical count", bodies.COUNT, 409, 422),
        "/lots/status": _post(
            "Quarantine, recall or release a lot everywhere", bodies.LOT_STATUS, 404, 409, 422
        ),
        "/stock": _list("Stock on hand per site, supply and lot", "StockRow", [site]),
        **_distribution_paths(site),
        **_workbook_path(),
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
