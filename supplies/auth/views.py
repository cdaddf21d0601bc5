"""Sign-in at /, sign-out, password changes and resets; the rest of the app is behind these."""

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from supplies.auth.forms import ChangePasswordForm, NewPasswordForm, SignInForm
from supplies.auth.session import SESSION_ID_KEY
from supplies.i18n import translate
from supplies.services.accounts import sessions
from supplies.services.accounts import sign_in as sign_in_service
from supplies.services.accounts import tokens as api_tokens
from supplies.services.accounts import users as accounts
from supplies.services.common.errors import DomainError
from supplies.services.common.messages import msg
from supplies.services.db import audit
from supplies.services.db.unit_of_work import transaction
from supplies.urls import safe_next
from supplies.web.forms import show_errors

bp = Blueprint("auth", __name__)

FAILED_SIGN_IN = msg("That email and password do not match an active account.")
TOKENS_REVOKED = msg(
    "Your API tokens stopped working with the old password; ask an admin for new ones."
)
# The service's "password" is the form's new password.
PASSWORD_FIELDS = {"password": "new_password"}
# A browser that signed in before keeps a signed device token (see services sign_in).
DEVICE_COOKIE = "device"
DEVICE_COOKIE_SECONDS = 400 * 24 * 3600
# The sign-in session's turn to try an account again while it is slowed (a ticket).
TICKET_KEY = "sign_in_ticket"
# Where a user who must change a password may still go.
PASSWORD_CHANGE_ENDPOINTS = {
    "auth.change_password",
    "auth.sign_out",
    "main.set_language",
    "static",
}
# Endpoints outside /api/ that the screens' scripts call and read as JSON.
SCRIPT_ENDPOINTS = {"distribute.log", "distribute.session_state"}


def _start_session(user) -> None:
    """A fresh session (nothing carried over from before sign-in) for the user.

    Its id is recorded server-side, so signing out ends it even for a copy of the cookie,
    and it ends SESSION_MAX_HOURS after sign-in whatever happens.
    """
    session.clear()
    login_user(user)
    session[SESSION_ID_KEY] = sessions.start(user)
    session.permanent = True
    session["seen"] = int(time.time())


def _end_session() -> None:
    """Sign out here and end the server-side session, so no copy of the cookie lives on."""
    sessions.end(session.get(SESSION_ID_KEY))
    logout_user()
    session.clear()


def _remember_device(response, token: str | None) -> None:
    """Keep the signed device token: next time this browser is a known device for the
    account, which strangers' failed sign-ins cannot lock out."""
    if not token:
        return
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=DEVICE_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=current_app.session_interface.get_cookie_secure(current_app),
    )


def _wait_words(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return _("a minute") if minutes <= 1 else _("%(num)d minutes", num=minutes)


@bp.before_app_request
def enforce_session_rules():
    """End idle sessions, and hold a user who must change a password on that screen."""
    api = request.path.startswith("/api/")
    if request.endpoint == "static" or (api and "Authorization" in request.headers):
        return None  # the API authenticates a bearer token itself, whatever the cookie says
    if not current_user.is_authenticated:
        if "_user_id" in session:
            # Signed in once, but the session ended server-side (signed out elsewhere, the
            # absolute limit, a reset): forget the cookie's contents.
            session.clear()
        return None
    # The screens' scripts read JSON: a redirect to a page would look like success to them
    # (fetch follows it to a 200), and the offline queue would drop what it holds.
    api = api or request.endpoint in SCRIPT_ENDPOINTS or request.is_json
    now = int(time.time())
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    seen = session.get("seen")
    if not isinstance(seen, int) or now - seen > idle_limit:
        _end_session()
        if api:
            return _json_error(401, "unauthorized", _("The session expired; sign in again."))
        flash(_("You were signed out after a period of inactivity."), "info")
        return redirect(url_for("auth.sign_in"))
    if now - seen >= 60:
        # Once a minute is enough; it keeps the cookie from being rewritten on every request.
        session["seen"] = now
    if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        if api:
            return _json_error(403, "password_change_required", _("Change your password first."))
        return redirect(url_for("auth.change_password"))
    return None


def _json_error(status: int, code: str, message: str):
    return jsonify({"error": {"code": code, "message": message, "fields": {}}}), status


@bp.route("/", methods=["GET", "POST"])
def sign_in():
    """The sign-in page for anonymous visitors; signed-in users go home."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        outcome = sign_in_service.authenticate(
            form.email.data,
            form.password.data,
            request.remote_addr,
            device=request.cookies.get(DEVICE_COOKIE),
            ticket=session.get(TICKET_KEY),
        )
        if outcome.user is not None:
            _start_session(outcome.user)
            if outcome.user.must_change_password:
                response = redirect(url_for("auth.change_password"))
            else:
                target = safe_next(request.args.get("next")) or url_for("main.home")
                response = redirect(target)
            _remember_device(response, outcome.device)
            return response
        if outcome.ticket:
            session[TICKET_KEY] = outcome.ticket  # the turn this browser waits for
        if outcome.wait_seconds:
            wait = _wait_words(outcome.wait_seconds)
            text = _("Too many failed sign-ins. Wait %(minutes)s and try again.", minutes=wait)
            flash(text, "error")
        else:
            flash(translate(FAILED_SIGN_IN), "error")
    return render_template("auth/sign_in.html", form=form)


@bp.post("/sign-out")
@login_required
def sign_out():
    """End the session."""
    with transaction():
        audit.record(current_user.id, "auth.sign_out", "user", current_user.id)
    _end_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (required after a temporary password)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        had_tokens = api_tokens.live_count(user.id)
        try:
            accounts.change_password(
                user,
                form.current_password.data,
                form.new_password.data,
                session.get(SESSION_ID_KEY),
            )
        except DomainError as error:
            show_errors(form, error, PASSWORD_FIELDS, others_in_message=True)
        else:
            # Other sessions ended with the change; this one continues under the new version.
            _start_session(user)
            flash(_("Your password is changed."), "success")
            if had_tokens:
                flash(translate(TOKENS_REVOKED), "info")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password through the one-time link an admin made."""
    user = accounts.user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        had_tokens = api_tokens.live_count(user.id)
        try:
            accounts.reset_password_with_token(token, form.new_password.data)
        except DomainError as error:
            show_errors(form, error, PASSWORD_FIELDS, others_in_message=True)
        else:
            # Whoever was signed in on this browser is signed out (opening the link alone
            # signs no one out: a GET must not end a session).
            if current_user.is_authenticated:
                _end_session()
            flash(_("Your password is set. Sign in with it."), "success")
            if had_tokens:
                flash(translate(TOKENS_REVOKED), "info")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form, email=user.email)
