"""Error pages: HTML for people, the JSON error envelope under /api/."""

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from supplies.extensions import db

_CODES = {
    400: "malformed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register(app: Flask) -> None:
    """Attach the handlers."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _wants_json():
            code = _CODES.get(error.code, "error")
            body = {"error": {"code": code, "message": error.description, "fields": {}}}
            return jsonify(body), error.code
        return render_template("error.html", error=error), error.code

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError):
        # A unique code taken by a concurrent request, or the stock CHECK refusing a change.
        db.session.rollback()
        message = "This conflicts with a change made at the same time; nothing was recorded."
        if _wants_json():
            return jsonify({"error": {"code": "conflict", "message": message, "fields": {}}}), 409
        return render_template("error.html", error=None, message=message), 409

    @app.errorhandler(OperationalError)
    def busy_error(error: OperationalError):
        db.session.rollback()
        message = "The database is busy; nothing was recorded. Please try again."
        if _wants_json():
            return jsonify({"error": {"code": "busy", "message": message, "fields": {}}}), 503
        return render_template("error.html", error=None, message=message), 503
