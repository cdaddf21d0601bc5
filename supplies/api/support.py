"""Request parsing and JSON error answers shared by the API views."""

from flask import jsonify, request

from supplies.services.common import schema as s
from supplies.services.common import validation as v
from supplies.services.common.errors import ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db.operations import OperationResult

# The JSON body and error envelope live in supplies/web, shared with the distribution
# screen's script; the API's views take them from here.
from supplies.web.json_bodies import (  # noqa: F401
    ApiError,
    domain_error_response,
    error_response,
    json_body,
    operation_request,
)

# Query parameters of the paged lists, as OpenAPI states them.
PAGE = s.whole(1, 1_000_000, default=1, description="Page number.")
PER_PAGE = s.whole(1, 500, default=100, description="Page size.")


def written(outcome: OperationResult):
    """201 for a new record, 200 for a replay of the same request."""
    return jsonify(outcome.result), 201 if outcome.created else 200


def query_text(name: str) -> str | None:
    """A query parameter as sent, or None when absent.

    One sent empty (`?site=`) is refused, as the document says: every parameter has a
    shape (a code, a date, a number) that an empty value does not have. Leave it out.
    """
    raw = request.args.get(name)
    if raw == "":
        raise ApiError(
            422,
            "invalid",
            msg("%(name)s is empty.", name=name),
            {name: msg("must not be empty; leave the parameter out instead")},
        )
    return raw


def query_codes(name: str) -> list[str]:
    """A repeated code parameter (site=HUB&site=VAN, or site=HUB,VAN), each one a code."""
    codes = [code for value in request.args.getlist(name) for code in value.split(",")]
    bad = next((code for code in codes if not v.is_code(code)), None)
    if bad is not None:
        raise ApiError(
            422,
            "invalid",
            msg("Some report filters are not valid."),
            {name: msg("use up to 32 letters, digits, '-', '_' or '.'")},
        )
    return codes


def query_date(name: str):
    """A YYYY-MM-DD query parameter, or None."""
    try:
        return v.iso_date(query_text(name))
    except ValidationFailed as error:
        raise ApiError(
            422, "invalid", msg("%(name)s is not a date.", name=name), {name: error.fields["value"]}
        ) from None


def query_int(name: str, declared: s.Field) -> int:
    """A whole-number query parameter within the declared bounds (absent: its default)."""
    minimum, maximum = declared.schema["minimum"], declared.schema["maximum"]
    raw = query_text(name)
    if raw is None:
        return declared.default
    # isdigit() alone lets through digits int() refuses, such as "¹".
    if not (raw.isascii() and raw.isdigit()) or not minimum <= int(raw) <= maximum:
        raise ApiError(
            422,
            "invalid",
            msg("%(name)s is out of range.", name=name),
            {name: msg("must be %(minimum)s to %(maximum)s", minimum=minimum, maximum=maximum)},
        )
    return int(raw)
