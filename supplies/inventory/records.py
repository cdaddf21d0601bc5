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


@bp.route("/lots", methods=["GET", "POST"])
def lots():
    """Every lot with its status and where its units are; quarantine, recall or release."""
    access.require(current_user, "manage_stock")
    form = LotStatusForm()
    web.prepare(form)
    failed, status = None, 200
    if form.validate_on_submit():
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
            failed, status = (form.supply.data, form.lot_number.data), web.status_of(error)
        else:
            result = outcome.result
            text = _("Lot %(lot)s of %(supply)s is now %(status)s.")
            values = {"lot": result["lot_number"], "supply": result["supply"]}
            flash(text % {**values, "status": label(result["status"])}, "success")
            return redirect(url_for("inventory.lots"))
    elif form.is_submitted():
        flash(_("The form expired; please submit it again."), "error")
        status = 400
    page = render_template(
        "inventory/lots.html", lots=lot_service.all_lots(current_user), form=form, failed=failed
    )
    return page, status


# --- stock card ----------------------------------------------------------------------------


@bp.get("/stock-card")
def stock_card():
    """Every movement of a supply at a site with its running balance; stock as of a date."""
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
