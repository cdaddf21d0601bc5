"""The distribution screen: log what a participant was given, see today, void mistakes.

Works as plain HTML forms; static/distribute/screen.js enhances it and keeps an offline
queue that posts to /api/v1/distributions. Both paths call services.distribution.
"""

import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from supplies.distribute import forms, texts
from supplies.i18n import format_moment, translate
from supplies.services import areas
from supplies.services.common import clock, validation
from supplies.services.common.errors import DomainError, NotFound
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import bundles, site_day
from supplies.services.distribution import events as distribution
from supplies.vocab import SETTING_FOR_SITE_KIND, VOID_REASONS
from supplies.web import access
from supplies.web import forms as web

bp = Blueprint("distribute", __name__, url_prefix="/distribute")
WHEN_KEY = "distribute_when"


def _site_or_abort(code: str):
    # The role first: a role that may not distribute learns nothing about which sites exist.
    access.require(current_user, "distribute")
    if not validation.is_code(code):
        abort(404)  # looked for nowhere (a NUL byte once reached PostgreSQL from here)
    try:
        with access.forbidden_as_403():
            return site_day.site_for_distribution(current_user, code)
    except NotFound:
        abort(404)


def confirmation(result: dict) -> str:
    """A short sentence naming what was given, for the person at the table."""
    given = ", ".join(f"{item['quantity']} × {item['name']}" for item in result["items"])
    return _("Logged: %(given)s.", given=given)


def _render_screen(site, form, *, void_form=None, void_event=None, unplaced=None, status=200):
    supplies = form.site_supplies
    unplaced = unplaced or {}
    offered = bundles.offered_at(current_user, site.id, {supply.id for supply in supplies})
    # A bundle's supplies, and any holding a value or an error, stay out of the fold.
    keep_open = {line.supply_id for bundle in offered for line in bundle.lines}
    keep_open |= {
        supply.id for supply, field in form.quantity_fields() if field.data or field.errors
    }
    shown, folded = site_day.split_supplies(supplies, keep_open)
    today_first, today_more = site_day.today_briefly(
        current_user, site_day.recent_events(current_user, site.id)
    )
    first_day, last_day = site_day.back_dating_days()
    own = [
        item.event
        for item in today_first + today_more
        if item.event.user_id == current_user.id and item.event.voided_at is None
    ]
    return (
        render_template(
            "distribute/screen.html",
            site=site,
            form=form,
            supplies=supplies,
            shown=shown,
            folded=folded,
            bundles=offered,
            bundle_items={bundle.code: _items(bundle.lines) for bundle in offered},
            last_items=_items(own[0].lines) if own else [],
            quantity_field=lambda supply: form[forms.quantity_name(supply)],
            today_first=today_first,
            today_more=today_more,
            void_form=void_form or forms.VoidForm(formdata=None),
            void_event=void_event,
            unplaced=unplaced,
            summary=forms.error_summary(form, unplaced),
            default_setting=SETTING_FOR_SITE_KIND.get(site.kind, "fixed_site"),
            as_of=clock.now(),
            new_id=lambda: str(uuid.uuid4()),
            texts=texts.screen_texts(),
            area_choices=_area_choices(),
            first_day=first_day,
            last_day=last_day,
            several_sites=len(site_day.distribution_sites(current_user)) > 1,
        ),
        status,
    )


def _items(lines) -> list[dict]:
    return [{"supply": line.supply.code, "quantity": line.quantity} for line in lines]


def _area_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The picker's groups: counties (with their state), then ZIP prefixes."""
    listed = areas.list_areas()
    counties = [
        (a.name, f"{a.name}, {a.state}" if a.state else a.name)
        for a in listed
        if a.kind == "county"
    ]
    zips = [(a.name, _("ZIP %(zip3)s…", zip3=a.name)) for a in listed if a.kind == "zip3"]
    return [(_("Counties"), counties), (_("ZIP codes"), zips)]


def _new_form(site, supplies, **kwargs):
    setting = SETTING_FOR_SITE_KIND.get(site.kind, "fixed_site")
    return forms.distribution_form(supplies, setting, **kwargs)


@bp.get("/")
@login_required
def pick_site():
    """The sites where the user logs distributions; straight to it when there is one."""
    access.require(current_user, "distribute")
    sites = site_day.distribution_sites(current_user)
    if len(sites) == 1:
        return redirect(url_for(".screen", code=sites[0].code))
    last = site_day.last_site(current_user, sites)
    if last is not None and "choose" not in request.args:
        return redirect(url_for(".screen", code=last.code))
    return render_template("distribute/pick_site.html", sites=sites, last=last)


@bp.route("/sites/<code>", methods=["GET", "POST"])
@login_required
def screen(code: str):
    """Log a distribution at a site (GET shows the form, POST records it)."""
    site = _site_or_abort(code)
    supplies = site_day.site_supplies(site.id)
    if request.method == "GET":
        site_day.remember_site(current_user, site.id)
        when_date, when_time = session.get(WHEN_KEY, {}).get(site.code, ("", ""))
        form = _new_form(
            site,
            supplies,
            formdata=None,
            event_id=str(uuid.uuid4()),
            when_date=when_date,
            when_time=when_time,
        )
        void_event = request.args.get("void")
        if void_event:
            void_form = forms.VoidForm(formdata=None)
            void_form.reason.errors = [_("choose a reason")]
            return _render_screen(site, form, void_form=void_form, void_event=void_event)
        return _render_screen(site, form)
    form = _new_form(site, supplies)
    valid = form.validate() & forms.check_resupply(form)
    try:
        when = site_day.paper_tally_moment(form.when_date.data, form.when_time.data)
    except DomainError as error:
        web.attach_errors(form, error.fields)
        valid, when = False, None
    if not valid:
        return _render_screen(site, form, status=422)
    body, item_fields = forms.event_body(form, site.code)
    if when is not None:
        body["occurred_at"] = when.isoformat()
    try:
        with access.forbidden_as_403():
            outcome = distribution.distribute(
                current_user, OperationRequest.new(body["id"], body), body
            )
    except DomainError as error:
        unplaced = web.attach_errors(form, error.fields, forms.field_aliases(form, item_fields))
        if "id" in unplaced:
            # The page was sent before with other values: give the form a fresh id.
            form.event_id.data = str(uuid.uuid4())
            unplaced["id"] = _(
                "This form was already sent with other values; check and send again."
            )
        unplaced.setdefault("form", translate(error.message))
        return _render_screen(site, form, unplaced=unplaced, status=web.status_of(error))
    _keep_when(site.code, form.when_date.data, form.when_time.data)
    flash(confirmation(outcome.result), "success")
    return redirect(url_for(".screen", code=site.code))


def _keep_when(code: str, when_date: str | None, when_time: str | None) -> None:
    """A paper tally's date stays for the next entries until it is cleared (without the
    script; the script keeps it on the device)."""
    kept = dict(session.get(WHEN_KEY, {}))
    if when_date and when_time:
        kept[code] = (when_date.strip(), when_time.strip())
    else:
        kept.pop(code, None)
    session[WHEN_KEY] = kept


@bp.post("/sites/<code>/events/<event_id>/void")
@login_required
def void(code: str, event_id: str):
    """Void one of the recent distributions with a reason."""
    site = _site_or_abort(code)
    event = next(
        (
            item.event
            for item in site_day.recent_events(current_user, site.id)
            if item.event.id == event_id
        ),
        None,
    )
    if event is None:
        abort(404)
    void_form = forms.VoidForm()
    if not void_form.validate():
        if not void_form.reason.errors:
            abort(400)
        # Back to the screen (a GET, so reloads and the offline copy stay on its address)
        # with this event's void form open and its reason marked.
        return redirect(
            url_for(".screen", code=site.code, void=event_id, _anchor=f"event-{event_id}")
        )
    reason = VOID_REASONS.labels[void_form.reason.data]
    body = {"reason": void_form.reason.data}  # the event keeps the code
    operation = OperationRequest.new(
        void_form.operation_id.data.lower(), {"event": event_id, **body}
    )
    try:
        with access.forbidden_as_403():
            distribution.void(current_user, operation, event_id, body)
    except DomainError as error:
        flash(translate(error.message), "error")
    else:
        when = format_moment(event.occurred_at, "time")
        done = _("Voided the distribution of %(when)s: %(reason)s.", when=when, reason=str(reason))
        flash(done, "success")
    return redirect(url_for(".screen", code=site.code))


@bp.get("/session")
def session_state():
    """A fresh CSRF token for the offline queue, or 401 when the session has ended."""
    if not current_user.is_authenticated:
        error = {"code": "unauthorized", "message": _("Sign in again.")}
        return jsonify({"error": error}), 401
    return jsonify({"csrf_token": generate_csrf(), "user": current_user.id})


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from /distribute/ so its scope covers the screens."""
    response = send_from_directory(
        current_app.static_folder, "distribute/sw.js", mimetype="text/javascript", max_age=0
    )
    response.headers["Service-Worker-Allowed"] = url_for(".pick_site")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest, so staff can install the screen on a phone."""
    response = send_from_directory(
        current_app.static_folder,
        "distribute/manifest.webmanifest",
        mimetype="application/manifest+json",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline():
    """What the service worker shows offline when no copy of a screen was kept yet.

    Rendered in the reader's language; the screen's script stores it again on each visit,
    so the copy follows a change of language.
    """
    response = current_app.make_response(render_template("distribute/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response
