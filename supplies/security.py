"""Security headers on every response, session cookies, and the client address behind proxies."""

from datetime import timedelta

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


class SessionInterface(SecureCookieSessionInterface):
    """The signed cookie session, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured, or when this request is HTTPS (even without the setting)."""
        configured = super().get_cookie_secure(app)
        return configured or (has_request_context() and request.is_secure)

    def save_session(self, app: Flask, session, response) -> None:
        """Save as usual, except on a static file: it neither sets nor varies by the cookie.

        Otherwise each one re-signed the cookie and said "Vary: Cookie", and the browser's
        cache, seeing the cookie changed, asked again for files it keeps for good (issue 26).
        """
        if has_request_context() and request.endpoint == "static":
            return
        super().save_session(app, session, response)


def register(app: Flask) -> None:
    """Add the headers after every request; set up cookies and proxies."""
    app.session_interface = SessionInterface()
    # The cookie itself expires with the inactivity limit; auth checks the limit server-side.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Only then is X-Forwarded-For believed, so the sign-in throttle sees real addresses.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.after_request
    def add_security_headers(response):
        # Headers a view set itself win; the names present are read once, since a lookup
        # of a missing name costs an exception inside werkzeug, on every response.
        present = {name.lower() for name, _ in response.headers}
        wanted = list(SECURITY_HEADERS)
        if request.is_secure:
            wanted.append(("Strict-Transport-Security", "max-age=31536000"))
        if response.headers.get("Content-Disposition", "").startswith("attachment"):
            # A download (a workbook, a list of refused rows) is data: no cache keeps it,
            # whatever send_file() proposed.
            response.headers["Cache-Control"] = "no-store"
        elif response.mimetype in ("text/html", "application/json"):
            wanted.append(("Cache-Control", "no-store"))
        for name, value in wanted:
            if name.lower() not in present:
                response.headers.add(name, value)
        return response
