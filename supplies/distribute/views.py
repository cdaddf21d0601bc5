"""The distribution screen: log what a participant was given, see today, void mistakes.

Works as plain HTML forms; static/distribute/screen.js enhances it: it posts the API's body
to log() (its offline queue replays there with the same id) and updates the page in place
from the small JSON answer. Every path calls services.distribution.
"""

import functools
import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
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
from flask_wtf.csrf import CSRFError, generate_csrf

from supplies.distribute import forms, texts
from supplies.extensions import csrf
from supplies.i18n import format_moment, format_number, translate
from supplies.services import areas
from supplies.services.common import clock, permissions, validation
from supplies.services.common.errors import DomainError, NotFound
from supplies.services.common.messages import msg
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import bundles, site_day
from supplies.services.distribution import events as distribution
from supplies.vocab import SETTING_FOR_SITE_KIND, VOID_REASONS
from supplies.web import access, assets, json_bodies
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


def _render_screen(site, form, *, void=None, unplaced=None, status=200):
    supplies = form.site_supplies
    unplaced = unplaced or {}
    offered = bundles.offered_at(current_user, site.id, {supply.id for supply in supplies})
    # A bundle's supplies, and any holding a value or an error, stay out of the fold.
    keep_open = {line.supply_id for bundle in offered for line in bundle.lines}
    keep_open |= {
        supply.id for supply, field in form.quantity_fields() if field.data or field.errors
    }
    shown, folded = site_day.split_supplies(supplies, keep_open)
    today = site_day.today_briefly(current_user, site.id)
    first_day, last_day = site_day.back_dating_days()
    own = [
        item.event
        for item in today.first
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
            today=today,
            today_shown=site_day.TODAY_SHOWN,
            page_url=url_for(".screen", code=site.code),
            void=void,
            void_template_form=_void_form(),
            # The server's clock as the page leaves it: the script learns the phone's offset
            # from it instead of asking (issue 26: a warm load makes one request).
            served_at=int(clock.now().timestamp() * 1000),
            unplaced=unplaced,
            summary=forms.error_summary(form, unplaced),
            default_setting=SETTING_FOR_SITE_KIND.get(site.kind, "fixed_site"),
            as_of=clock.now(),
            texts=texts.screen_texts(),
            area_choices=_area_choices(),
            first_day=first_day,
            last_day=last_day,
            several_sites=len(site_day.distribution_sites(current_user)) > 1,
        ),
        status,
    )


def _void_form(errors: list[str] | None = None) -> forms.VoidForm:
    """An empty void form with a fresh operation id (and the reason's errors, if any)."""
    void_form = forms.VoidForm(formdata=None)
    void_form.operation_id.data = str(uuid.uuid4())
    void_form.reason.errors = errors or []
    return void_form


def _open_void(site, back: str | None = None) -> dict | None:
    """The void form to draw inside one event: ?open_void=ID opens it, ?void=ID is a void
    sent without a reason (so the reason is marked)."""
    event_id = request.args.get("void") or request.args.get("open_void")
    if not event_id or not validation.is_uuid(event_id):
        return None
    errors = [_("choose a reason")] if request.args.get("void") else []
    return {
        "event": event_id,
        "action": url_for(".void", code=site.code, event_id=event_id),
        "form": _void_form(errors),
        "errors": errors,
        "back": back,
    }


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
        return _render_screen(site, form, void=_open_void(site))
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


@bp.post("/log")
@csrf.exempt  # checked below, so that a refusal is JSON the script can act on
def log():
    """Log a distribution from the screen's script or its offline queue: the API's body and
    idempotent id in, a small JSON answer out (the confirmation, the site's on-hand figures,
    the event's row of "today"), so the page updates in place without a reload."""
    if not current_user.is_authenticated:
        return json_bodies.error_response(401, "unauthorized", msg("Sign in again."))
    try:
        csrf.protect()
    except CSRFError:
        return json_bodies.error_response(
            400, "csrf", msg("The CSRF token is missing or not valid.")
        )
    try:
        permissions.require(current_user, "distribute")
        body = json_bodies.json_body(distribution.DISTRIBUTION.names)
        operation = json_bodies.operation_request(body, required=True)
        outcome = distribution.distribute(current_user, operation, body)
    except json_bodies.ApiError as error:
        return json_bodies.error_response(error.status, error.code, error.message, error.fields)
    except DomainError as error:
        return json_bodies.domain_error_response(error)
    return jsonify(_answer(outcome.result)), 201 if outcome.created else 200


def _answer(result: dict) -> dict:
    """What the screen shows of a logged event, drawn by the page's own macros."""
    answer = {"id": result["id"], "site": result["site"], "confirmation": confirmation(result)}
    try:
        site = site_day.site_for_distribution(current_user, result["site"])
    except DomainError:
        return answer  # a replay after the site closed: recorded, nothing of it to show
    macro = functools.partial(get_template_attribute, "distribute/_macros.html")
    answer["stock"] = _stock_figures(site_day.site_supplies(site.id))
    item = site_day.recent_event(current_user, site.id, result["id"])
    if item is not None:
        answer["event"] = str(macro("event_item")(item, url_for(".screen", code=site.code)))
        answer["event"] = answer["event"].strip()
        hidden = site_day.count_recent(current_user, site.id) - site_day.TODAY_SHOWN
        answer["more"] = str(macro("today_more")(site, max(hidden, 0)))
    return answer


def _stock_figures(supplies) -> list[dict]:
    """Each supply's usable units, its hint beside the quantity, and its stock-table flags,
    drawn by the page's own macros."""
    hint = get_template_attribute("distribute/_macros.html", "on_hand_hint")
    flags = get_template_attribute("distribute/_macros.html", "stock_flags")
    return [
        {
            "supply": supply.code,
            "usable": supply.usable,
            "low": supply.low,
            "text": format_number(supply.usable),
            "hint": str(hint(supply)),
            "flags": str(flags(supply)),
        }
        for supply in supplies
    ]


@bp.get("/sites/<code>/today")
@login_required
def today(code: str):
    """Every distribution the screen's "today" lists, for the rest of a busy day's voids."""
    site = _site_or_abort(code)
    with access.forbidden_as_403():
        items = site_day.recent_events(current_user, site.id)
    return render_template(
        "distribute/today.html",
        site=site,
        items=items,
        page_url=url_for(".today", code=site.code),
        void=_open_void(site, back="today"),
        as_of=clock.now(),
        limit=site_day.RECENT_LIMIT,
    )


@bp.post("/sites/<code>/events/<event_id>/void")
@login_required
def void(code: str, event_id: str):
    """Void one of the recent distributions with a reason."""
    site = _site_or_abort(code)
    if not validation.is_uuid(event_id):
        abort(404)
    with access.forbidden_as_403():
        item = site_day.recent_event(current_user, site.id, event_id.lower())
    if item is None:
        abort(404)
    event = item.event
    # Back to the page the form was on: the screen, or the day's list.
    page = ".today" if request.form.get("back") == "today" else ".screen"
    void_form = forms.VoidForm()
    if not void_form.validate():
        if not void_form.reason.errors:
            abort(400)
        # Back to the page (a GET, so reloads and the offline copy stay on its address)
        # with this event's void form open and its reason marked.
        return redirect(url_for(page, code=site.code, void=event.id, _anchor=f"event-{event.id}"))
    reason = VOID_REASONS.labels[void_form.reason.data]
    body = {"reason": void_form.reason.data}  # the event keeps the code
    operation = OperationRequest.new(
        void_form.operation_id.data.lower(), {"event": event.id, **body}
    )
    try:
        with access.forbidden_as_403():
            distribution.void(current_user, operation, event.id, body)
    except DomainError as error:
        flash(translate(error.message), "error")
    else:
        when = format_moment(event.occurred_at, "time")
        done = _("Voided the distribution of %(when)s: %(reason)s.", when=when, reason=str(reason))
        flash(done, "success")
    return redirect(url_for(page, code=site.code))


@bp.get("/session")
def session_state():
    """A fresh CSRF token for the offline queue, or 401 when the session has ended."""
    if not current_user.is_authenticated:
        error = {"code": "unauthorized", "message": _("Sign in again.")}
        return jsonify({"error": error}), 401
    return jsonify({"csrf_token": generate_csrf(), "user": current_user.id})


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from /distribute/ so its scope covers the screens.

    Never cached for good: the browser must see a new one (new static files) at once.
    """
    script = assets.service_worker_script(current_app)
    response = current_app.response_class(script, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = url_for(".pick_site")
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


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
