"""JSON requests and the error envelope, shared by the API and the screens' JSON answers.

DESIGN.md fixes the envelope: {"error": {"code", "message", "fields"}}. The API and the
distribution screen's script (which posts the API's body to its own blueprint) read and
answer JSON the same way, so a queued entry means the same thing to both.
"""

from flask import jsonify, request

from supplies.i18n import translate, translate_fields
from supplies.services.common import validation as v
from supplies.services.common.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InsufficientStock,
    NotFound,
    ValidationFailed,
)
from supplies.services.common.messages import msg
from supplies.services.db.operations import OperationRequest


class ApiError(Exception):
    """An error answered as JSON with a status code."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def error_response(status: int, code: str, message: str, fields: dict | None = None, **extra):
    """The error envelope DESIGN.md fixes: {"error": {code, message, fields}}."""
    # Services and views give English messages; the reader's language is chosen here.
    message, fields = translate(message), translate_fields(fields)
    body = {"error": {"code": code, "message": message, "fields": fields, **extra}}
    return jsonify(body), status


def domain_error_response(error: DomainError):
    """Map a service refusal to its HTTP status."""
    if isinstance(error, InsufficientStock):
        return error_response(
            409, error.code, error.message, error.fields, available=error.available
        )
    for kind, status in (
        (ValidationFailed, 422),
        (NotFound, 404),
        (Forbidden, 403),
        (Conflict, 409),
    ):
        if isinstance(error, kind):
            return error_response(status, error.code, error.message, error.fields)
    return error_response(400, error.code, error.message, error.fields)


def json_body(allowed: set[str]) -> dict:
    """The request's JSON object; unknown fields are refused so nothing extra is stored."""
    if not request.is_json:
        raise ApiError(
            400, "malformed", msg("Send a JSON object with Content-Type: application/json.")
        )
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "malformed", msg("The body must be a JSON object."))
    broken = v.lone_surrogate(body)
    if broken:
        raise ApiError(
            422,
            "invalid",
            msg("Some fields are not valid."),
            {broken: msg("holds a lone UTF-16 surrogate, which is not text")},
        )
    unknown = sorted(key for key in body if key not in allowed)
    if unknown:
        raise ApiError(
            422,
            "unknown_fields",
            msg("Unknown fields are refused: %(names)s.", names=", ".join(unknown)),
            {key: msg("is not a field of this request") for key in unknown},
        )
    return body


def operation_request(body: dict, required: bool = False) -> OperationRequest:
    """The client's operation id (a UUID) and a fingerprint of the whole body."""
    try:
        operation_id = v.operation_id(body.get("id"), required)
    except ValidationFailed as error:
        raise ApiError(
            422, "invalid", msg("The id is not valid."), {"id": error.fields["value"]}
        ) from None
    if operation_id is not None and body.get("id") != operation_id:
        body = {**body, "id": operation_id}  # upper or lower case: one operation, one body
    return OperationRequest.new(operation_id, body)
