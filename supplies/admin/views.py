"""Admin screens: accounts, API tokens and the audit log. Thin: parse, call a service, render."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from supplies.admin.forms import (
    ActionForm,
    AuditFilterForm,
    NewUserForm,
    ResetForm,
    TokenForm,
    UserForm,
)
from supplies.extensions import login_manager
from supplies.i18n import label, translate
from supplies.services import catalog
from supplies.services.accounts import audit_log, passwords
from supplies.services.accounts import tokens as api_tokens
from supplies.services.accounts import users as accounts
from supplies.services.common.errors import DomainError
from supplies.vocab import PARTNER_KIND
from supplies.web import access
from supplies.web import forms as web

bp = Blueprint("admin", __name__, url_prefix="/admin")
# An id in a path is at most the database's integer: a longer number is simply not found
# (it once reached the database, which refused it with a server error).
ID = "int(max=2147483647)"


@bp.before_request
def admins_only():
    """Everything here is for signed-in admins; the services check again."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    access.require(current_user, "administer")
    return None


# --- accounts ------------------------------------------------------------------------------


@bp.get("/users")
def users():
    """Every account with its role, sites and state."""
    return render_template(
        "admin/users.html", users=accounts.list_users(current_user), action_form=ActionForm()
    )


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    """Create an account; show its temporary password or set-password link once."""
    form = NewUserForm()
    form.sites.choices = _site_choices()
    if form.validate_on_submit():
        temporary = passwords.temporary()
        try:
            user = accounts.create_user(
                form.email.data,
                form.role.data,
                temporary,
                form.sites.data,
                name=form.name.data,
                actor_id=current_user.id,
                must_change=True,
            )
        except DomainError as error:
            web.show_errors(form, error, others_in_message=True)
        else:
            return _show_access(user, form.access.data, temporary)
    return render_template("admin/user_new.html", form=form)


@bp.route(f"/users/<{ID}:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    """Change an account's name, role and sites."""
    user = _user_or_404(user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    form.sites.choices = _site_choices()
    if request.method == "GET":
        form.sites.data = [site.code for site in user.sites]
    if form.validate_on_submit():
        try:
            accounts.update_user(
                current_user, user.id, form.name.data, form.role.data, form.sites.data
            )
        except DomainError as error:
            web.show_errors(form, error, others_in_message=True)
        else:
            flash(_("%(email)s is saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template(
        "admin/user_edit.html",
        form=form,
        user=user,
        reset_form=ResetForm(),
        action_form=ActionForm(),
    )


@bp.post(f"/users/<{ID}:user_id>/deactivate")
def deactivate_user(user_id: int):
    """Deactivate an account: its sessions and tokens stop working at once."""
    return _set_active(user_id, False)


@bp.post(f"/users/<{ID}:user_id>/activate")
def activate_user(user_id: int):
    """Let a deactivated account sign in again (its old tokens stay revoked)."""
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = _user_or_404(user_id)
    form = ActionForm()
    if not active and request.form.get("confirm") != "yes" and form.validate_on_submit():
        # Deactivation asks first: the page names what stops working.
        return render_template("admin/user_deactivate.html", user=user, action_form=form)
    if form.validate_on_submit():
        try:
            accounts.set_active(current_user, user.id, active)
        except DomainError as error:
            flash(translate(error.message), "error")
        else:
            done = _("%(email)s is active.") if active else _("%(email)s is deactivated.")
            flash(done % {"email": user.email}, "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post(f"/users/<{ID}:user_id>/reset")
def reset_password(user_id: int):
    """End the account's sessions and give it a temporary password or a one-time link."""
    user = _user_or_404(user_id)
    form = ResetForm()
    if not form.validate_on_submit():
        flash(_("Choose how to reset the password."), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    # A reset revokes the account's API tokens too: the page says so when it had any.
    revoked = api_tokens.live_count(user.id) > 0
    if form.access.data == "link":
        return _show_access(user, "link", revoked=revoked)
    temporary = accounts.issue_temporary_password(current_user, user.id)
    return _show_access(user, "temporary", temporary, revoked)


def _show_access(user, access: str, temporary: str | None = None, revoked: bool = False):
    """The one time the secret is shown; the page is not cached (Cache-Control: no-store)."""
    link = None
    if access == "link":
        token = accounts.issue_reset_token(current_user, user.id)
        link = url_for("auth.reset_password", token=token, _external=True)
        temporary = None
    return render_template(
        "admin/user_access.html", user=user, temporary=temporary, link=link, revoked=revoked
    )


def _site_choices() -> list[tuple[str, str]]:
    """Every site as a checkbox, "Name (CODE)"; a partner agency says so: a partner's
    account needs one."""
    partner = label(PARTNER_KIND)
    return [
        (
            site.code,
            f"{site.name} ({site.code})" + (f" · {partner}" if site.kind == PARTNER_KIND else ""),
        )
        for site in catalog.list_sites(current_user)
    ]


def _user_or_404(user_id: int):
    try:
        return accounts.get_user(current_user, user_id)
    except DomainError:
        abort(404)


# --- API tokens ----------------------------------------------------------------------------


def _token_form() -> TokenForm:
    form = TokenForm()
    form.user.choices = [
        SelectChoice(u.id, f"{u.email} ({u.role})")
        for u in accounts.list_users(current_user)
        if u.active
    ]
    return form


@bp.get("/tokens")
def tokens():
    """Every API token: whose, what for, created, last used, revoked."""
    return _tokens_page(_token_form())


def _tokens_page(form, status: int = 200):
    return render_template(
        "admin/tokens.html",
        tokens=api_tokens.list_tokens(current_user),
        form=form,
        action_form=ActionForm(),
    ), status


@bp.post("/tokens")
def create_token():
    """Make a token and show it once; only its hash is kept."""
    form = _token_form()
    if form.validate_on_submit():
        try:
            record, token = api_tokens.create_token_for(
                current_user, form.user.data, form.name.data
            )
        except DomainError as error:
            web.show_errors(form, error, others_in_message=True)
        else:
            return render_template("admin/token_created.html", record=record, token=token)
    return _tokens_page(form, 422)


@bp.post(f"/tokens/<{ID}:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke a token; it stops working on its next request."""
    if ActionForm().validate_on_submit():
        try:
            record = api_tokens.revoke_token(current_user, token_id)
        except DomainError:
            abort(404)
        revoked = _("Token “%(name)s” of %(email)s is revoked.")
        flash(revoked % {"name": record.name, "email": record.user.email}, "success")
    return redirect(url_for("admin.tokens"))


# --- audit log -----------------------------------------------------------------------------


@bp.get("/audit")
def audit():
    """The audit log, filtered by person, action and dates, a page at a time."""
    form = AuditFilterForm(request.args)
    people = accounts.list_users(current_user)
    form.user.choices = [("", _("Anyone"))] + [(str(u.id), u.email) for u in people]
    actions = audit_log.actions(current_user)
    form.action.choices = [("", _("Any action"))] + [(a, a) for a in actions]
    page = None
    if form.validate():
        page = audit_log.search(
            current_user,
            user_id=form.person_id(),
            action=(form.action.data or "").strip() or None,
            start=form.start.data,
            end=form.end.data,
            page=form.page.data or 1,
        )
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/audit.html", form=form, page=page, filters=filters)
