"""Error pages: HTML for people, the JSON error envelope under /api/."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from supplies.extensions import db
from supplies.i18n import translate

_CODES = {
    400: "malformed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}

# Short names and explanations for people; Werkzeug's own are English only.
_NAMES = {
    400: _l("Bad request"),
    401: _l("Not signed in"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    413: _l("Too large"),
    429: _l("Too many requests"),
    500: _l("Server error"),
}
_TEXTS = {
    400: _l("The request could not be understood. Go back, reload the page and try again."),
    401: _l("Please sign in first."),
    403: _l("Your role or sites do not allow this page."),
    404: _l("There is nothing at this address."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The upload is too large."),
    429: _l("Too many requests. Wait a little and try again."),
    500: _l("Something went wrong on our side. Nothing was recorded; please try again."),
}

# Flask-WTF's CSRF refusals, listed so the catalog carries them (translate() looks them up).
_CSRF_TEXTS = (
    _l("The CSRF token is missing."),
    _l("The CSRF session token is missing."),
    _l("The CSRF token is invalid."),
    _l("The CSRF token has expired."),
    _l("The CSRF tokens do not match."),
    _l("The referrer header is missing."),
    _l("The referrer does not match the host."),
)


def _page_text(error: HTTPException) -> str:
    """The error's own message in the reader's language, or a plain one for its code."""
    if error.description and error.description != type(error).description:
        return translate(error.description)
    return str(_TEXTS.get(error.code, error.description or ""))


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register(app: Flask) -> None:
    """Attach the handlers."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # A 405 says which methods the address takes (Allow), as HTTP requires.
        allowed = getattr(error, "valid_methods", None)
        headers = {"Allow": ", ".join(sorted(allowed))} if allowed else {}
        if _wants_json():
            code = _CODES.get(error.code, "error")
            message = translate(error.description)
            body = {"error": {"code": code, "message": message, "fields": {}}}
            return jsonify(body), error.code, headers
        name = _NAMES.get(error.code, error.name)
        text = _page_text(error)
        page = render_template("error.html", error=error, error_name=name, error_text=text)
        return page, error.code, headers

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError):
        # A unique code taken by a concurrent request, or the stock CHECK refusing a change.
        db.session.rollback()
        message = _("This conflicts with a change made at the same time; nothing was recorded.")
        if _wants_json():
            return jsonify({"error": {"code": "conflict", "message": message, "fields": {}}}), 409
        return render_template("error.html", error=None, message=message), 409

    @app.errorhandler(OperationalError)
    def busy_error(error: OperationalError):
        db.session.rollback()
        message = _("The database is busy; nothing was recorded. Please try again.")
        if _wants_json():
            return jsonify({"error": {"code": "busy", "message": message, "fields": {}}}), 503
        return render_template("error.html", error=None, message=message), 503
