"""Partner agencies' screens: a partner's requests, deliveries and monthly reports, and the
coordinators' request queue (approve, fulfil as one transfer, decline) and agency list.

A partner sees its own agency only: every view naming an agency checks the role and the
agency (another agency's page is 403; another agency's request is as unknown as none, 404).
"""

from datetime import date, timedelta

from babel.dates import format_skeleton
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from supplies.partners.forms import (
    ApproveForm,
    DeclineForm,
    FulfilForm,
    ReportForm,
    RequestForm,
)
from supplies.services import catalog
from supplies.services.common import clock, permissions
from supplies.services.common.errors import DomainError, ValidationFailed
from supplies.services.partners import bodies, reports, requests
from supplies.vocab import PARTNER_KIND
from supplies.web import access, screens
from supplies.web import forms as web
from supplies.web.forms import OperationForm
from supplies.web.plurals import counted

bp = Blueprint("partners", __name__, url_prefix="/partners")
screens.serve_signed_in_screens(bp)

# An item of a service's error ("items[2].quantity") and the line it names.
_ITEM_PREFIX = "items["


def month_name(month: date) -> str:
    """A month as a heading reads it: "November 2026", "noviembre de 2026"."""
    return format_skeleton("yMMMM", month, locale=str(get_locale() or "en"))


@bp.context_processor
def _helpers() -> dict:
    return {"month_name": month_name, "can": permissions.can}


def _last_month() -> date:
    return (clock.today().replace(day=1) - timedelta(days=1)).replace(day=1)


def _agency(code: str, action: str):
    """The partner agency named in the address, if the user may do the action there:
    the role is checked first (403), then the code (404), then the agency (403)."""
    access.require(current_user, action)
    site = catalog.site_by_code(code, active_only=False)
    if site.kind != PARTNER_KIND:
        abort(404)
    access.require(current_user, action, site.id)
    return site


def _item_alias(entries):
    """Maps a service's "items[i].quantity" onto the form line that sent item i."""

    def alias(name: str) -> str | None:
        if not name.startswith(_ITEM_PREFIX) or "]" not in name:
            return name
        index, _sep, rest = name[len(_ITEM_PREFIX) :].partition("]")
        if not index.isdigit() or int(index) >= len(entries):
            return name
        return f"{entries[int(index)].name}-{rest.lstrip('.') or 'quantity'}"

    return alias


def _typed_items(form_lines, keep_blank: bool = False) -> tuple[list, list[dict]]:
    """The form lines with a number typed (all lines with keep_blank), and their items."""
    used = [e for e in form_lines if keep_blank or (e.form.quantity.data or "").strip()]
    items = [
        {"supply": e.form.supply.data or None, "quantity": web.as_number(e.form.quantity.data)}
        for e in used
    ]
    return used, items


def _expired() -> int:
    flash(_("The form expired; please submit it again."), "error")
    return 400


# --- a partner's own agency ----------------------------------------------------------------


@bp.get("/")
def home():
    """A partner's home: its agency's requests, what it holds, lots recalled, the report due;
    coordinators land on the request queue."""
    if permissions.can(current_user, "decide_requests"):
        return redirect(url_for("partners.queue"))
    access.require(current_user, "request_supplies")
    site = requests.agency_of(current_user)
    if site is None:
        abort(403, _("Your account is not linked to a partner agency. Ask an admin."))
    last_month = _last_month()
    received = reports.received(current_user, site.id)
    return render_template(
        "partners/home.html",
        site=site,
        open_requests=[
            r
            for r in requests.list_requests(current_user, site_id=site.id)
            if r.status in ("submitted", "approved")
        ],
        holdings=reports.partner_holdings(current_user, site.id),
        held_back=[lot for lot in received if lot.status != "available"],
        last_month=last_month,
        report_due=_report_due(site, last_month),
    )


def _request_choices(form: RequestForm) -> dict:
    """The supplies offered, one line each (GET), and the supplies by code for the labels
    (a line posted from an older form keeps its supply's name even if no longer offered)."""
    offered = requests.requestable_supplies(current_user)
    if request.method == "GET":
        for supply in offered:
            form.lines.append_entry({"supply": supply.code})
    labels = {supply.code: supply for supply in offered}
    posted = {entry.form.supply.data for entry in form.lines} - set(labels)
    if posted:
        labels.update({x.code: x for x in catalog.list_supplies() if x.code in posted})
    return labels


@bp.route("/<agency>/requests/new", methods=["GET", "POST"])
def new_request(agency: str):
    """The phone-first request form: units per supply the program offers, a needed-by day."""
    site = _agency(agency, "request_supplies")
    form = RequestForm()
    supplies = _request_choices(form)
    web.prepare(form)
    others, status = {}, 200
    if form.validate_on_submit():
        used, items = _typed_items(form.lines)
        body = {
            "site": site.code,
            "items": items,
            "needed_by": web.blank_to_none(form.needed_by.data),
        }
        try:
            outcome = requests.submit(current_user, web.operation_request(form, body), body)
        except DomainError as error:
            others = web.show_errors(form, error, _item_alias(used))
            status = web.status_of(error)
        else:
            result = outcome.result
            units = sum(item["requested"] for item in result["items"])
            flash(
                _(
                    "Request sent: %(units)s in %(lines)s. The program will review it.",
                    units=counted(units, "unit"),
                    lines=counted(len(result["items"]), "line"),
                ),
                "success",
            )
            return redirect(url_for("partners.request_detail", request_id=result["id"]))
    elif form.is_submitted():
        status = _expired()
    page = render_template(
        "partners/request_new.html",
        form=form,
        site=site,
        supplies=supplies,
        others=others,
        today=clock.today(),
    )
    return page, status


@bp.get("/<agency>/requests", endpoint="requests")
def requests_list(agency: str):
    """An agency's requests, newest first, with where each stands."""
    site = _agency(agency, "see_requests")
    found = requests.list_requests(current_user, site_id=site.id)
    return render_template("partners/requests.html", site=site, found=found)


@bp.get("/<agency>/received")
def received(agency: str):
    """What the agency received: supply, lot, expiry, day (so a recall reaches it)."""
    site = _agency(agency, "see_requests")
    lots = reports.received(current_user, site.id)
    return render_template(
        "partners/received.html",
        site=site,
        lots=lots,
        holdings=reports.partner_holdings(current_user, site.id),
    )


def _report_month(site) -> tuple[date, list[date]]:
    """The month asked for (?month=YYYY-MM), else last month, else the newest open one."""
    months = reports.reportable_months(current_user, site.id)
    wanted = request.values.get("month", "")
    try:
        month = bodies.month_of(wanted) if wanted else None
    except ValidationFailed:
        month = None
    if month is None:
        # Last month's report is the one due, unless nothing had reached the agency by then.
        last = _last_month()
        month = last if last in months and _has_received(site, last) else None
        month = month or (months[0] if months else last)
    return month, months


def _has_received(site, month: date) -> bool:
    """True when something had reached the agency by the end of the month (so it can report)."""
    return any(line.received for line in reports.report_form(current_user, site.id, month).lines)


def _report_due(site, month: date) -> bool:
    """The month's report is open, not sent, and the agency had something to hand out."""
    shown = reports.report_form(current_user, site.id, month)
    return shown.correctable and shown.report is None and any(line.received for line in shown.lines)


@bp.route("/<agency>/report", methods=["GET", "POST"])
def report(agency: str):
    """The monthly report: units handed out per supply, encounters and reversals (optional);
    a partner sends or corrects its own until the quarter closes; coordinators read them."""
    if not permissions.can(current_user, "report_partner"):
        if request.method == "POST":
            access.require(current_user, "report_partner")
        site = _agency(agency, "see_partner_reports")
        sent = reports.list_reports(current_user, site_id=site.id)
        return render_template("partners/reports_sent.html", site=site, sent=sent)
    site = _agency(agency, "report_partner")
    month, months = _report_month(site)
    shown = reports.report_form(current_user, site.id, month)
    form = ReportForm()
    if request.method == "GET":
        form.month.data = month.strftime("%Y-%m")
        for line in shown.lines:
            current = "" if line.current is None else str(line.current)
            form.lines.append_entry({"supply": line.supply.code, "quantity": current})
        if shown.report is not None:
            form.encounters.data = _text(shown.report.encounters)
            form.reversals_reported.data = _text(shown.report.reversals_reported)
    web.prepare(form)
    others, status = {}, 200
    if form.validate_on_submit():
        used, items = _typed_items(form.lines)
        body = {
            "site": site.code,
            "month": form.month.data,
            "items": items,
            "encounters": web.as_number(form.encounters.data),
            "reversals_reported": web.as_number(form.reversals_reported.data),
        }
        try:
            outcome = reports.submit(current_user, web.operation_request(form, body), body)
        except DomainError as error:
            others = web.show_errors(form, error, _item_alias(used))
            status = web.status_of(error)
        else:
            done = (
                _("Report for %(month)s corrected.")
                if outcome.result.get("corrected")
                else _("Report for %(month)s sent. Thank you.")
            )
            flash(done % {"month": month_name(month)}, "success")
            return redirect(url_for("partners.report", agency=site.code, month=form.month.data))
    elif form.is_submitted():
        status = _expired()
    lines = {line.supply.code: line for line in shown.lines}
    page = render_template(
        "partners/report.html",
        site=site,
        form=form,
        shown=shown,
        lines=lines,
        month=month,
        months=months,
        others=others,
    )
    return page, status


def _text(value) -> str:
    return "" if value is None else str(value)


# --- one request: its page, the partner's cancel, the coordinator's decisions -----------------


def _queue_entry(found):
    """The queue's view of an open request (recent use, stock beside each line); None once
    it has moved on or for a partner."""
    if found.status not in ("submitted", "approved") or not permissions.can(
        current_user, "decide_requests"
    ):
        return None
    return next((e for e in requests.queue(current_user) if e.request.id == found.id), None)


def _site_choices(entry) -> list:
    """The program's sites to send from, each with its usable units of the requested supplies."""
    held: dict[str, list[str]] = {}
    for line in entry.lines if entry else ():
        for site, units in line.by_site:
            held.setdefault(site.code, []).append(f"{line.supply.name} {units}")
    options = []
    for site in requests.program_sites(current_user):
        text = f"{site.name} ({site.code})"
        if site.code in held:
            text += ": " + ", ".join(held[site.code])
        options.append((site.code, text))
    return web.with_blank(options, _("Choose a site"))


def decision_forms(found, entry, posted: dict | None = None) -> dict:
    """The approve, fulfil and decline forms of an open request (a posted one kept as sent)."""
    posted = posted or {}
    approve = posted.get("approve") or ApproveForm(formdata=None)
    if "approve" not in posted:
        for line in found.lines:
            quantity = line.approved if line.approved is not None else line.requested
            approve.lines.append_entry({"supply": line.supply.code, "quantity": str(quantity)})
    fulfil = posted.get("fulfil") or FulfilForm(formdata=None)
    decline = posted.get("decline") or DeclineForm(formdata=None)
    fulfil.from_site.choices = _site_choices(entry)
    for form in (approve, fulfil, decline):
        web.prepare(form)
    return {"approve": approve, "fulfil": fulfil, "decline": decline}


def _detail(found, status: int = 200, posted: dict | None = None, others: dict | None = None):
    entry = _queue_entry(found)
    forms = decision_forms(found, entry, posted) if entry else {}
    cancel = OperationForm(formdata=None)
    web.prepare(cancel)
    page = render_template(
        "partners/request.html",
        found=found,
        entry=entry,
        forms=forms,
        cancel_form=cancel,
        others=others or {},
    )
    return page, status


@bp.get("/requests/<request_id>")
def request_detail(request_id: str):
    """One request: its lines, where it stands, and what the reader may do with it."""
    access.require(current_user, "see_requests")
    return _detail(requests.get_request(current_user, request_id))


@bp.post("/requests/<request_id>/cancel")
def cancel(request_id: str):
    """The partner withdraws its request while the program has not sent it."""
    access.require(current_user, "request_supplies")
    found = requests.get_request(current_user, request_id)
    form = OperationForm()
    if not form.validate_on_submit():
        return _detail(found, _expired())
    try:
        requests.cancel(current_user, web.operation_request(form, {"cancel": found.id}), found.id)
    except DomainError as error:
        web.show_errors(None, error)
        return _detail(requests.get_request(current_user, request_id), web.status_of(error))
    flash(_("Request cancelled."), "success")
    return redirect(url_for("partners.request_detail", request_id=found.id))


def _decide(request_id: str, name: str, form, call, body: dict, done: str):
    """Run a coordinator's step; on a refusal the request's page again, errors beside fields."""
    access.require(current_user, "decide_requests")
    found = requests.get_request(current_user, request_id)
    if not form.validate_on_submit():
        return _detail(found, _expired(), {name: form})
    try:
        outcome = call(current_user, web.operation_request(form, body), found.id, body)
    except DomainError as error:
        used = form.lines.entries if hasattr(form, "lines") else []
        others = web.show_errors(form, error, _item_alias(used))
        found = requests.get_request(current_user, request_id)
        return _detail(found, web.status_of(error), {name: form}, others)
    flash(done, "success")
    if name == "fulfil":
        return redirect(url_for("partners.slip", request_id=outcome.result["id"]))
    return redirect(url_for("partners.queue"))


@bp.post("/requests/<request_id>/approve")
def approve(request_id: str):
    """Approve in full or in part: the units to send of each line (0: none of it)."""
    form = ApproveForm()
    items = _typed_items(form.lines, keep_blank=True)[1]
    return _decide(
        request_id, "approve", form, requests.approve, {"items": items}, _("Request approved.")
    )


@bp.post("/requests/<request_id>/fulfil")
def fulfil(request_id: str):
    """Send the approved units as one transfer from the chosen site; then the packing slip."""
    form = FulfilForm()
    body = {"from_site": form.from_site.data or None}
    return _decide(request_id, "fulfil", form, requests.fulfil, body, _("Sent as one transfer."))


@bp.post("/requests/<request_id>/decline")
def decline(request_id: str):
    """Decline with a reason code."""
    form = DeclineForm()
    body = {"reason": form.reason.data or None}
    return _decide(request_id, "decline", form, requests.decline, body, _("Request declined."))


@bp.get("/requests/<request_id>/slip")
def slip(request_id: str):
    """The printable packing slip of a fulfilled request: lots and expiry per line."""
    access.require(current_user, "see_requests")
    found = requests.get_request(current_user, request_id)
    packing = requests.packing_slip(current_user, found.id)
    if packing is None:
        abort(404, _("This request has not been sent yet."))
    return render_template("partners/slip.html", found=found, slip=packing)


# --- coordinators: the queue and the agencies --------------------------------------------------


@bp.get("/queue")
def queue():
    """Open requests, oldest first, each line with the agency's use and the program's stock."""
    access.require(current_user, "decide_requests")
    entries = requests.queue(current_user)
    forms = {entry.request.id: decision_forms(entry.request, entry) for entry in entries}
    return render_template("partners/queue.html", entries=entries, forms=forms)


@bp.get("/agencies")
def agencies():
    """Every partner agency: who has not reported last month, open requests, holdings."""
    access.require(current_user, "decide_requests")
    last_month = _last_month()
    sites = [s for s in catalog.list_sites(current_user) if s.kind == PARTNER_KIND]
    missing = reports.not_reported(current_user, last_month)
    open_counts: dict[int, int] = {}
    for entry in requests.queue(current_user):
        open_counts[entry.request.site_id] = open_counts.get(entry.request.site_id, 0) + 1
    held: dict[int, list] = {}
    for row in reports.holdings(current_user):
        held.setdefault(row.site.id, []).append(row)
    return render_template(
        "partners/agencies.html",
        sites=sites,
        missing=missing,
        missing_ids={s.id for s in missing},
        last_month=last_month,
        open_counts=open_counts,
        held=held,
    )
