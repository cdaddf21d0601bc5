"""The OpenAPI 3.1 description of /api/v1, built from the same allowed values the services use."""

from supplies.models.site import SITE_KINDS
from supplies.models.stock import BATCH_STATUSES, RECEIPT_SOURCES
from supplies.models.supply import SUPPLY_CATEGORIES, SUPPLY_UNITS
from supplies.services.distribution.events import (
    AGE_BANDS,
    FIRST_TIME,
    LANGUAGES,
    RECIPIENT_TYPES,
    RESUPPLY_REASONS,
    SETTINGS,
)
from supplies.services.stock.work import ADJUSTMENT_REASONS

QUANTITY = {"type": "integer", "minimum": 1, "maximum": 100000}
CODE = {"type": "string", "maxLength": 32}
DATE = {"type": "string", "format": "date"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UUID = {"type": "string", "format": "uuid", "description": "Client-generated; makes retries safe."}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, required: tuple = ()) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def _enum(values, nullable: bool = True) -> dict:
    schema = {"type": ["string", "null"] if nullable else "string", "enum": list(values)}
    if nullable:
        schema["enum"] = [*values, None]
    return schema


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok: dict, *errors: int, created: bool = False) -> dict:
    responses = {}
    if created:
        responses["201"] = {"description": "Recorded.", **_json(ok)}
        responses["200"] = {
            "description": "The same id and body again: the first result.",
            **_json(ok),
        }
    else:
        responses["200"] = {"description": "OK.", **_json(ok)}
    for status in (401, *errors):
        responses[str(status)] = {"description": _ERRORS[status], **_json(_ref("Error"))}
    return responses


_ERRORS = {
    400: "Malformed request (not a JSON object, or no CSRF token with a session).",
    401: "No token or session, or a bad token.",
    403: "The role or assigned sites do not allow this.",
    404: "Not found.",
    409: "Conflict: too little stock, a code in use, or an id reused with another body.",
    422: "Invalid or unknown fields; `fields` names each.",
}

_SCHEMAS = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    "available": {"type": "object", "additionalProperties": {"type": "integer"}},
                },
                ("code", "message", "fields"),
            )
        },
        ("error",),
    ),
    "Site": _object(
        {
            "id": UUID,
            "code": CODE,
            "name": {"type": "string", "maxLength": 120},
            "kind": _enum(SITE_KINDS, nullable=False),
            "county": {"type": ["string", "null"]},
            "active": {"type": "boolean"},
        },
        ("code", "name", "kind"),
    ),
    "Supply": _object(
        {
            "id": UUID,
            "code": CODE,
            "name": {"type": "string"},
            "category": _enum(SUPPLY_CATEGORIES, nullable=False),
            "unit": _enum(SUPPLY_UNITS, nullable=False),
            "doses_per_unit": {"type": "integer", "minimum": 0},
            "tracks_lots": {"type": "boolean"},
            "active": {"type": "boolean"},
        },
        ("code", "name", "category", "unit"),
    ),
    "FundingSource": _object(
        {
            "id": UUID,
            "code": CODE,
            "name": {"type": "string"},
            "funder": {"type": ["string", "null"]},
            "starts_on": DATE,
            "ends_on": DATE,
            "active": {"type": "boolean"},
        },
        ("code", "name"),
    ),
    "Receipt": _object(
        {
            "id": UUID,
            "site": CODE,
            "supply": CODE,
            "quantity": QUANTITY,
            "lot_number": {
                "type": "string",
                "description": "Required where the supply tracks lots.",
            },
            "expires_on": DATE,
            "funding": CODE,
            "received_on": DATE,
            "source": _enum(RECEIPT_SOURCES, nullable=False),
        },
        ("site", "supply", "quantity"),
    ),
    "Transfer": _object(
        {
            "id": UUID,
            "from_site": CODE,
            "to_site": CODE,
            "supply": CODE,
            "quantity": QUANTITY,
            "lot_number": {"type": "string"},
        },
        ("from_site", "to_site", "supply", "quantity"),
    ),
    "Adjustment": _object(
        {
            "id": UUID,
            "site": CODE,
            "supply": CODE,
            "quantity": {
                "type": "integer",
                "minimum": -100000,
                "maximum": 100000,
                "not": {"const": 0},
            },
            "reason": _enum(ADJUSTMENT_REASONS, nullable=False),
            "lot_number": {"type": "string"},
            "note": {
                "type": "string",
                "maxLength": 200,
                "description": "Required when reason is other.",
            },
        },
        ("site", "supply", "quantity", "reason"),
    ),
    "Count": _object(
        {
            "id": UUID,
            "site": CODE,
            "supply": CODE,
            "counted": {"type": "integer", "minimum": 0, "maximum": 100000},
            "lot_number": {"type": "string"},
        },
        ("site", "supply", "counted"),
    ),
    "LotStatus": _object(
        {
            "id": UUID,
            "supply": CODE,
            "lot_number": {"type": "string"},
            "status": _enum(BATCH_STATUSES, nullable=False),
            "note": {"type": "string", "maxLength": 200},
        },
        ("supply", "lot_number", "status"),
    ),
    "Distribution": _object(
        {
            "id": UUID,
            "site": CODE,
            "occurred_at": {
                "type": "string",
                "format": "date-time",
                "description": "Defaults to now; at most 5 minutes ahead. No offset: APP_TIMEZONE.",
            },
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": _object({"supply": CODE, "quantity": QUANTITY}, ("supply", "quantity")),
            },
            "setting": _enum(SETTINGS),
            "recipient_type": _enum(RECIPIENT_TYPES),
            "for_others": {"type": ["boolean", "null"]},
            "first_time": _enum(FIRST_TIME),
            "age_band": _enum(AGE_BANDS),
            "area": {
                "type": ["string", "null"],
                "description": "County name or 3-digit ZIP prefix; a 5-digit ZIP is cut to 3.",
            },
            "trained": {"type": "boolean"},
            "reversals_reported": {"type": "integer", "minimum": 0, "maximum": 1000},
            "resupply_reason": _enum(RESUPPLY_REASONS),
            "language": _enum(LANGUAGES),
        },
        ("id", "site", "items"),
    ),
    "Void": _object({"id": UUID, "reason": {"type": "string", "maxLength": 200}}, ("reason",)),
    "StockRow": {
        "type": "object",
        "properties": {
            "site": CODE,
            "supply": CODE,
            "supply_name": {"type": "string"},
            "lot_number": {"type": ["string", "null"]},
            "expires_on": {"type": ["string", "null"], "format": "date"},
            "funding": {"type": ["string", "null"]},
            "status": _enum(BATCH_STATUSES, nullable=False),
            "expired": {"type": "boolean"},
            "quantity": {"type": "integer", "minimum": 1},
        },
    },
    "Result": {"type": "object", "description": "What was recorded, as stored with the id."},
    "DistributionPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "object"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "next_page": {"type": ["integer", "null"]},
        },
    },
}


def _post(summary: str, schema: str, *errors: int) -> dict:
    return {
        "post": {
            "summary": summary,
            "requestBody": {"required": True, **_json(_ref(schema))},
            "responses": _responses(_ref("Result"), 400, 403, *errors, created=True),
        }
    }


def _list(summary: str, schema: str, parameters=()) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": list(parameters),
            "responses": _responses({"type": "array", "items": _ref(schema)}, 403, 422),
        }
    }


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def openapi_spec() -> dict:
    """The whole API description as a dict, ready for JSON."""
    site_param = _query("site", CODE, "A site code (staff: an assigned site).")
    paths = {
        "/sites": {
            **_list("Sites you may see", "Site"),
            **_post("Create a site", "Site", 409, 422),
        },
        "/supplies": {
            **_list("Supplies", "Supply"),
            **_post("Create a supply", "Supply", 409, 422),
        },
        "/funding-sources": {
            **_list("Funding sources", "FundingSource"),
            **_post("Create a funding source", "FundingSource", 409, 422),
        },
        "/receipts": _post("Receive a shipment line", "Receipt", 409, 422),
        "/transfers": _post(
            "Move stock between sites (first expiry first out)", "Transfer", 409, 422
        ),
        "/adjustments": _post("Adjust stock with a reason", "Adjustment", 409, 422),
        "/counts": _post("Record a physical count", "Count", 409, 422),
        "/lots/status": _post(
            "Quarantine, recall or release a lot everywhere", "LotStatus", 404, 409, 422
        ),
        "/stock": _list("Stock on hand per site, supply and lot", "StockRow", [site_param]),
        "/distributions": {
            **_post("Log an anonymous distribution event", "Distribution", 409, 422),
            "get": {
                "summary": "Distribution events, newest first",
                "parameters": [
                    site_param,
                    _query("start", DATE, "First day, inclusive (APP_TIMEZONE)."),
                    _query("end", DATE, "Last day, inclusive."),
                    _query("page", {"type": "integer", "minimum": 1}, "Page number."),
                    _query(
                        "per_page", {"type": "integer", "minimum": 1, "maximum": 500}, "Page size."
                    ),
                ],
                "responses": _responses(_ref("DistributionPage"), 403, 422),
            },
        },
        "/distributions/{id}/void": {
            "post": {
                **_post("Void a distribution, reversing its stock", "Void", 404, 409, 422)["post"],
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    }
                ],
            }
        },
        "/reports/funder.xlsx": {
            "get": {
                "summary": "The funder workbook (aggregated, small-cell suppressed; archived)",
                "parameters": [
                    {
                        **_query("start", DATE, "First day, inclusive (APP_TIMEZONE)."),
                        "required": True,
                    },
                    {**_query("end", DATE, "Last day, inclusive."), "required": True},
                    {
                        **_query("site", CODE, "Site codes, repeated or comma-separated (all)."),
                        "style": "form",
                        "explode": True,
                    },
                    _query("funding", CODE, "Count only stock paid for by this funding source."),
                    _query(
                        "language",
                        {"type": "string", "enum": ["en", "es"], "default": "en"},
                        "The workbook's language; sheet, table and contract header names "
                        "stay English.",
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "The .xlsx workbook of DESIGN.md's contract.",
                        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **{
                        str(status): {"description": _ERRORS[status], **_json(_ref("Error"))}
                        for status in (401, 403, 422)
                    },
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This description",
                "security": [],
                "responses": {"200": {"description": "OK."}},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Supply tracker API",
            "version": "1.0.0",
            "description": "Harm reduction supplies, stock and anonymous distribution events. "
            "Every write takes an optional client UUID `id` (required for distributions); "
            "the same id and body again returns the first result with 200.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": _SCHEMAS,
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
