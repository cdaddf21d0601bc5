"""Error pages: HTML for people, the JSON error envelope under /api/.

An error page never needs the database: when the database is down, the page that says so
cannot look up the reader's account or language setting. Pages of database faults and of
unforeseen errors are drawn from templates/errors/page.html, which reads nothing but the
request (the language from the switch's cookie or the browser); other error pages use the
full layout, and fall back to that page if drawing the layout fails.
"""

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from supplies.extensions import db
from supplies.i18n import COOKIE, DEFAULT_LANGUAGE, LANGUAGES, translate
from supplies.services.db import faults

log = logging.getLogger(__name__)

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


def _language() -> str:
    """The reader's language without the database: the account's setting only if it was
    loaded before the failure, else the switch's cookie, else the browser's."""
    user = g.get("_login_user")
    try:
        chosen = user.__dict__.get("language") if user is not None else None
    except Exception:  # noqa: BLE001 (an account half loaded: follow the browser)
        chosen = None
    if chosen in LANGUAGES:
        return chosen
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def plain_page(status: int, title, text, headers: dict | None = None):
    """An error page drawn from the request alone: no account, no database."""
    language = _language()
    # Straight from the Jinja environment: render_template would run the context
    # processors, and Flask-Login's loads the account.
    template = current_app.jinja_env.get_template("errors/page.html")
    with force_locale(language):
        page = template.render(
            language=language, title=str(title), text=str(text), config=current_app.config
        )
    return page, status, headers or {}


def _rollback() -> None:
    """End the failed transaction; with the database gone even that may fail."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 (the connection is dead: the pool replaces it)
        log.warning("rollback after a database error failed", exc_info=True)


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
        if error.code >= 500:
            with force_locale(_language()):
                title, text = f"{error.code} {name}", _page_text(error)
            return plain_page(error.code, title, text, headers)
        try:
            text = _page_text(error)
            page = render_template("error.html", error=error, error_name=name, error_text=text)
        except Exception:  # noqa: BLE001 (the layout needs the account: say it plainly)
            log.exception("the error page of a %s could not be drawn", error.code)
            _rollback()
            with force_locale(_language()):
                title, text = f"{error.code} {name}", _page_text(error)
            return plain_page(error.code, title, text, headers)
        return page, error.code, headers

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError):
        # A unique code taken by a concurrent request, or the stock CHECK refusing a change.
        _rollback()
        message = _("This conflicts with a change made at the same time; nothing was recorded.")
        if _wants_json():
            return jsonify({"error": {"code": "conflict", "message": message, "fields": {}}}), 409
        try:
            return render_template("error.html", error=None, message=message), 409
        except Exception:  # noqa: BLE001
            _rollback()
            with force_locale(_language()):
                title = _("Something went wrong")
                message = _(
                    "This conflicts with a change made at the same time; nothing was recorded."
                )
            return plain_page(409, title, message)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_error(error: Exception):
        if not faults.is_fault(error):
            raise error  # a bug: the 500 page, with the traceback in the log
        # Disk full, database unreachable and busy each have their own status and words.
        fault = faults.classify(error)
        log.error(
            "database fault (%s) on %s %s: %s",
            fault.code,
            request.method,
            request.path,
            faults.cause(error),
        )
        _rollback()
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
        # The words come from the request alone: the account's language is in the database.
        with force_locale(_language()):
            title, message = _("Something went wrong"), translate(fault.message)
        if _wants_json():
            body = {"error": {"code": fault.code, "message": message, "fields": {}}}
            return jsonify(body), fault.status, headers
        return plain_page(fault.status, title, message, headers)
