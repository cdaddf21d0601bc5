"""Sign-in at /, sign-out; the rest of the app is behind these."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from supplies.auth.forms import SignInForm
from supplies.services import accounts, audit
from supplies.services.unit_of_work import transaction

bp = Blueprint("auth", __name__)

FAILED_SIGN_IN = "That email and password do not match an active account."


def safe_next(target: str | None) -> str | None:
    """Only a path inside this app may be a redirect target."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/", methods=["GET", "POST"])
def sign_in():
    """The sign-in page for anonymous visitors; signed-in users go home."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.user_by_email(form.email.data)
        if user is not None and user.active and user.check_password(form.password.data):
            session.clear()
            login_user(user)
            with transaction():
                audit.record(user.id, "auth.sign_in", "user", user.id)
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        with transaction():
            audit.record(
                user.id if user else None, "auth.sign_in_failed", "user", user.id if user else None
            )
        flash(FAILED_SIGN_IN, "error")
    return render_template("auth/sign_in.html", form=form)


@bp.post("/sign-out")
@login_required
def sign_out():
    """End the session."""
    with transaction():
        audit.record(current_user.id, "auth.sign_out", "user", current_user.id)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.sign_in"))
