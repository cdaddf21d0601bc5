"""Home pages (each role lands on what it works with) and the language switch."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from supplies import i18n
from supplies.services.accounts import users
from supplies.services.stock import overview
from supplies.urls import safe_next
from supplies.web import partners

bp = Blueprint("main", __name__)


@bp.get("/home")
@login_required
def home():
    """Each role's home: stock overview, distribution screen, the agency's page, or the funder's."""
    if current_user.role in ("admin", "coordinator"):
        # The coordinator's home is the stock overview (issue 4).
        screen = overview.home_screen(current_user, overview.SiteFilter.from_query(request.args))
        more = partners.with_partners(current_user)
        return render_template("inventory/overview.html", welcome=True, **screen, **more)
    if current_user.role == "staff":
        # Staff work at the table: their home is the distribution screen (or site picker).
        return redirect(url_for("distribute.pick_site"))
    if current_user.role == "partner":
        # A partner agency's people see their own agency only: its page is their home.
        return redirect(url_for("partners.home"))
    return render_template("main/home_funder.html")


@bp.post("/language")
def set_language():
    """The switch on every page: a cookie for everyone, and the account's setting if signed in."""
    language = request.form.get("lang")
    if language not in i18n.LANGUAGES:
        abort(400)
    if current_user.is_authenticated:
        users.set_language(current_user, language, i18n.LANGUAGES)
    target = safe_next(request.form.get("next")) or url_for("auth.sign_in")
    response = redirect(target)
    response.set_cookie(
        i18n.COOKIE,
        language,
        max_age=i18n.COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response
