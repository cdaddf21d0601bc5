"""The stock blueprint and its stock work: overview, receive, transfer, adjust, write-off."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from supplies.i18n import label
from supplies.inventory import counts, records, transfers  # noqa: F401  (routes on bp)
from supplies.inventory.blueprint import bp
from supplies.inventory.forms import (
    AdjustForm,
    OperationForm,
    ReceiveForm,
)
from supplies.inventory.support import line_is_used
from supplies.services import catalog
from supplies.services.common import clock
from supplies.services.common.errors import DomainError
from supplies.services.stock import on_hand, overview, write_off
from supplies.services.stock import work as inventory
from supplies.services.stock.work import ReceiptLine
from supplies.web import access, partners, screens
from supplies.web import forms as web
from supplies.web.plurals import counted

screens.serve_signed_in_screens(bp)


@bp.get("/")
def stock_overview():
    """Sites by supplies against par, restock suggestions, lots to watch, the weekly chart."""
    access.require(current_user, "manage_stock")
    screen = overview.home_screen(current_user, overview.SiteFilter.from_query(request.args))
    return render_template(
        "inventory/overview.html", **screen, **partners.with_partners(current_user)
    )


# --- receive -------------------------------------------------------------------------------


def _lot_options(usable_only: bool) -> list[dict]:
    """Lots on hand (only those that can move, for a transfer), for the lot field's suggestions."""
    return [
        row
        for row in on_hand.stock_rows(current_user)
        if row["lot_number"]
        and (not usable_only or (row["status"] == "available" and not row["expired"]))
    ]


def _receive_choices(form: ReceiveForm) -> None:
    form.site.choices = web.with_blank(web.site_choices(current_user), _("Choose a site"))
    supplies = web.with_blank(web.supply_choices(), _("Choose a supply"))
    funding = web.with_blank(web.funding_choices(), _("None"))
    for entry in form.lines:
        entry.form.supply.choices = supplies
        entry.form.funding.choices = funding


@bp.route("/receive", methods=["GET", "POST"])
def receive():
    """Receive a shipment of several lines at one site."""
    access.require(current_user, "manage_stock")
    form = ReceiveForm()
    if request.method == "GET":
        wanted = web.as_number(request.args.get("lines", ""))
        while isinstance(wanted, int) and len(form.lines) < min(wanted, 40):
            form.lines.append_entry()
        form.received_on.data = clock.today().isoformat()
        form.site.data = request.args.get("site", "")
    more_lines = request.method == "POST" and "more_lines" in request.form
    for _line in range(4 if more_lines else 0):
        if len(form.lines) < form.lines.max_entries:
            form.lines.append_entry()
    _receive_choices(form)
    web.prepare(form)
    others, status = {}, 200
    if more_lines:
        pass  # only more blank lines: nothing is recorded, what was typed stays
    elif form.validate_on_submit():
        used = [e for e in form.lines if line_is_used(e.form)]
        lines = [
            ReceiptLine(
                e.form.supply.data or None,
                web.as_number(e.form.quantity.data),
                web.blank_to_none(e.form.lot_number.data),
                web.blank_to_none(e.form.expires_on.data),
                e.form.funding.data or None,
            )
            for e in used
        ]
        body = {
            "site": form.site.data,
            "received_on": form.received_on.data,
            "source": form.source.data,
            "for_disposal": form.for_disposal.data,
            "lines": [list(line.__dict__.values()) for line in lines],
        }
        try:
            outcome = inventory.receive(
                current_user,
                web.operation_request(form, body),
                form.site.data or None,
                lines,
                received_on=web.blank_to_none(form.received_on.data),
                source=form.source.data or None,
                prefixes=[f"{e.name}-" for e in used],
                for_disposal=form.for_disposal.data,
            )
        except DomainError as error:
            others, status = web.show_errors(form, error), web.status_of(error)
        else:
            result = outcome.result
            units = sum(line["quantity"] for line in result["lines"])
            text = _(
                "Received %(units)s in %(lines)s at %(site)s.",
                units=counted(units, "unit"),
                lines=counted(len(result["lines"]), "line"),
                site=result["site"],
            )
            flash(text, "success")
            if result["expiring_soon"]:
                flash(
                    _(
                        "Lot %(lots)s expires within 30 days: hand it out first.",
                        lots=", ".join(result["expiring_soon"]),
                    ),
                    "warning",
                )
            return redirect(url_for("inventory.stock_overview"))
    elif form.is_submitted():
        flash(_("The form expired; please submit it again."), "error")
        status = 400
    return render_template("inventory/receive.html", form=form, others=others), status


# --- adjust and write off expired ----------------------------------------------------------


@bp.route("/adjust", methods=["GET", "POST"])
def adjust():
    """Write units off or back on with a reason code."""
    access.require(current_user, "manage_stock")
    form = AdjustForm()
    form.site.choices = web.with_blank(web.site_choices(current_user), _("Choose a site"))
    form.supply.choices = web.with_blank(web.supply_choices(), _("Choose a supply"))
    if request.method == "GET":
        for name in ("site", "supply", "lot_number", "quantity", "reason"):
            form[name].data = request.args.get(name, "")
    web.prepare(form)
    status = 200
    if form.validate_on_submit():
        body = {
            "site": form.site.data or None,
            "supply": form.supply.data or None,
            "quantity": web.as_number(form.quantity.data),
            "reason": form.reason.data or None,
            "lot_number": web.blank_to_none(form.lot_number.data),
            "note": web.blank_to_none(form.note.data),
        }
        try:
            outcome = inventory.adjust(current_user, web.operation_request(form, body), body)
        except DomainError as error:
            web.show_errors(form, error)
            status = web.status_of(error)
        else:
            result = outcome.result
            values = {
                "units": counted(result["quantity"], "unit", signed=True),
                "supply": catalog.supplies_by_code([result["supply"]])[result["supply"]].name,
                "site": result["site"],
                "reason": label(result["reason"]),
            }
            if result["lot_number"]:
                text = _(
                    "Adjusted %(units)s of %(supply)s, lot %(lot)s, at %(site)s (%(reason)s).",
                    lot=result["lot_number"],
                    **values,
                )
            else:
                text = _("Adjusted %(units)s of %(supply)s at %(site)s (%(reason)s).", **values)
            flash(text, "success")
            return redirect(
                url_for("inventory.stock_card", site=result["site"], supply=result["supply"])
            )
    elif form.is_submitted():
        flash(_("The form expired; please submit it again."), "error")
        status = 400
    site = form.site.data
    lots = [row for row in _lot_options(False) if row["site"] == site or not site]
    page = render_template("inventory/adjust.html", form=form, lots=lots)
    return page, status


@bp.route("/sites/<code>/write-off-expired", methods=["GET", "POST"])
def write_off_expired(code: str):
    """Confirm, then write off every expired unit at a site."""
    site = catalog.site_by_code(code, active_only=False)
    access.require(current_user, "manage_stock", site.id)
    form = OperationForm()
    web.prepare(form)
    if form.validate_on_submit():
        try:
            outcome = write_off.write_off_expired(
                current_user, web.operation_request(form, {"site": code}), code
            )
        except DomainError as error:
            web.show_errors(form, error)
        else:
            units = counted(outcome.result["units"], "expired unit")
            flash(_("Wrote off %(units)s at %(site)s.", units=units, site=code), "success")
            return redirect(url_for("inventory.stock_overview"))
    held = write_off.expired_holdings(site.id)
    return render_template("inventory/write_off.html", form=form, site=site, held=held)
