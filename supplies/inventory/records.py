"""Lots and the stock card: reading the record, and quarantining or recalling a lot."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from supplies.i18n import label
from supplies.inventory.blueprint import bp
from supplies.inventory.forms import LotStatusForm
from supplies.services import catalog
from supplies.services.common.errors import DomainError
from supplies.services.stock import card as cards
from supplies.services.stock import lots as lot_service
from supplies.services.stock import work
from supplies.web import access
from supplies.web import forms as web

# --- lots ----------------------------------------------------------------------------------


def _lots_page(form, status: int = 200):
    query = lot_service.LotQuery.from_query(request.args)
    page = render_template(
        "inventory/lots.html",
        found=lot_service.search(current_user, query),
        form=form,
        sites=web.site_choices(current_user, active_only=False),
        supplies=[(s.code, s.name) for s in catalog.list_supplies() if s.tracks_lots],
        within=lot_service.EXPIRING_WITHIN,
    )
    return page, status


def _record_status(form):
    """Record the form's lot status; the outcome, or None with the errors on the form."""
    body = {
        "supply": form.supply.data or None,
        "lot_number": form.lot_number.data or None,
        "status": form.status.data or None,
        "note": web.blank_to_none(form.note.data),
    }
    try:
        outcome = work.set_lot_status(current_user, web.operation_request(form, body), body)
    except DomainError as error:
        web.show_errors(form, error)
        return None, web.status_of(error)
    result = outcome.result
    text = _("Lot %(lot)s of %(supply)s is now %(status)s.")
    supply = catalog.supplies_by_code([result["supply"]])[result["supply"]]
    values = {"lot": result["lot_number"], "supply": supply.name}
    flash(text % {**values, "status": label(result["status"])}, "success")
    return outcome, 200


@bp.route("/lots", methods=["GET", "POST"])
def lots():
    """Find lots by supply, number, status, expiry or site, a page at a time."""
    access.require(current_user, "manage_stock")
    form = LotStatusForm()
    web.prepare(form)
    status = 200
    if form.validate_on_submit():
        outcome, status = _record_status(form)
        if outcome is not None:
            return redirect(url_for("inventory.lots"))
    elif form.is_submitted():
        flash(_("The form expired; please submit it again."), "error")
        status = 400
    return _lots_page(form, status)


def _back_to_search(value: str | None) -> str:
    """Where the confirmation returns: the lots search it came from, nowhere else."""
    if value and value.startswith("/inventory/lots") and "//" not in value:
        return value
    return url_for("inventory.lots")


@bp.route("/lots/status", methods=["GET", "POST"])
def lot_status():
    """Quarantine, recall or release a lot, once the units and sites it reaches are seen."""
    access.require(current_user, "manage_stock")
    form = LotStatusForm()
    if request.method == "GET":
        for name in ("supply", "lot_number", "status"):
            form[name].data = request.args.get(name, "")
    web.prepare(form)
    back = _back_to_search(request.values.get("back"))
    status = 200
    if form.validate_on_submit():
        outcome, status = _record_status(form)
        if outcome is not None:
            return redirect(back)
    elif form.is_submitted():
        flash(_("The form expired; please submit it again."), "error")
        status = 400
    try:
        lot = lot_service.lot(current_user, form.supply.data or "", form.lot_number.data or "")
    except DomainError as error:
        web.show_errors(None, error)
        raise  # show_errors answers a missing lot with 404
    page = render_template("inventory/lot_status.html", form=form, lot=lot, back=back)
    return page, status


# --- stock card ----------------------------------------------------------------------------


def _page(value: str) -> int:
    """A page number from a query string; anything odd is the first page."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 100000 else 1


@bp.get("/stock-card")
def stock_card():
    """Movements of a supply at a site, newest first, with the balance after each; stock as
    of a date, usable apart from held back, and when it runs out at the recent rate."""
    access.require(current_user, "see_stock")
    args = {k: request.args.get(k, "") for k in ("site", "supply", "start", "end")}
    card, errors, status = None, {}, 200
    if args["site"] or args["supply"]:
        try:
            card = cards.stock_card(
                current_user,
                args["site"] or None,
                args["supply"] or None,
                args["start"] or None,
                args["end"] or None,
                _page(request.args.get("page", "")),
            )
        except DomainError as error:
            web.show_errors(None, error)
            errors, status = error.fields, web.status_of(error)
    page = render_template(
        "inventory/stock_card.html",
        card=card,
        args=args,
        errors=errors,
        sites=web.site_choices(current_user, active_only=False),
        supplies=[(x.code, x.name) for x in catalog.list_supplies()],
    )
    return page, status
