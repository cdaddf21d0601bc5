"""The transfer screen (several lines, one packing slip) and the slip itself."""

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from supplies.i18n import format_day, format_number, label
from supplies.inventory.blueprint import bp
from supplies.inventory.forms import TransferForm
from supplies.services.common.errors import DomainError
from supplies.services.stock import packing_slip as slips
from supplies.services.stock import transfers
from supplies.web import access
from supplies.web import forms as web
from supplies.web.plurals import counted

_ITEM_FIELD = re.compile(r"^items\[(\d+)\]\.(supply|quantity|lot_number)$")


def _supply_choices(held: dict) -> list[SelectChoice]:
    """The supplies the sending site holds usable units of, each with its number; all
    supplies while no sending site is chosen."""
    if not held:
        return web.with_blank(web.supply_choices(), _("Choose a supply"))
    options = [
        (
            code,
            _(
                "%(supply)s: %(num)s usable",
                supply=entry["supply"].name,
                num=format_number(entry["usable"]),
            ),
        )
        for code, entry in sorted(held.items(), key=lambda pair: pair[1]["supply"].name)
        if entry["usable"] > 0
    ]
    return web.with_blank(options, _("Choose a supply"))


def _lot_choices(held: dict) -> list[SelectChoice]:
    """First expiry first, then every lot the site holds, with expiry, units and status;
    each option names its supply (data-supply) so the page can show a line's own lots."""
    options = [SelectChoice("", _("First expiry first"))]
    for code, entry in sorted(held.items()):
        for lot in entry["lots"]:
            text = _(
                "%(lot)s · %(supply)s · expires %(day)s · %(num)s on hand · %(status)s",
                lot=lot["lot_number"],
                supply=entry["supply"].name,
                day=format_day(lot["expires_on"]),
                num=format_number(lot["quantity"]),
                status=label(lot["status"]),
            )
            options.append(
                SelectChoice(
                    lot["lot_number"],
                    text,
                    render_kw={"data-supply": code},
                    optgroup=entry["supply"].name,
                )
            )
    return options


def _line_used(line) -> bool:
    return bool(line.supply.data or line.quantity.data or line.lot_number.data)


@bp.route("/transfer", methods=["GET", "POST"])
def transfer():
    """Move several supplies between sites at once, first expiry first unless a lot is
    picked; choosing the sending site lists what it holds."""
    access.require(current_user, "manage_stock")
    form = TransferForm()
    if request.method == "GET":
        form.from_site.data = request.args.get("from_site", "")
        form.to_site.data = request.args.get("to_site", "")
        first = form.lines[0].form
        first.supply.data = request.args.get("supply", "")
        first.quantity.data = request.args.get("quantity", "")
        first.lot_number.data = request.args.get("lot_number", "")
    more_lines = request.method == "POST" and "more_lines" in request.form
    for _line in range(3 if more_lines else 0):
        if len(form.lines) < form.lines.max_entries:
            form.lines.append_entry()
    sites = web.with_blank(web.site_choices(current_user), _("Choose a site"))
    form.from_site.choices = form.to_site.choices = sites
    held = transfers.sending_stock(current_user, form.from_site.data)
    supplies, lots = _supply_choices(held), _lot_choices(held)
    for entry in form.lines:
        entry.form.supply.choices = supplies
        entry.form.lot_number.choices = lots
    web.prepare(form)
    others, status = {}, 200
    if more_lines or (request.method == "POST" and "pick_site" in request.form):
        pass  # only the lists or more lines: nothing is recorded, what was typed stays
    elif form.validate_on_submit():
        used = [entry for entry in form.lines if _line_used(entry.form)]
        body = {
            "from_site": form.from_site.data or None,
            "to_site": form.to_site.data or None,
            "items": [
                {
                    "supply": entry.form.supply.data or None,
                    "quantity": web.as_number(entry.form.quantity.data),
                    "lot_number": web.blank_to_none(entry.form.lot_number.data),
                }
                for entry in used
            ],
        }

        def alias(name: str) -> str | None:
            found = _ITEM_FIELD.match(name)
            if found and int(found.group(1)) < len(used):
                return f"{used[int(found.group(1))].name}-{found.group(2)}"
            return name

        try:
            outcome = transfers.transfer(current_user, web.operation_request(form, body), body)
        except DomainError as error:
            others = web.show_errors(form, error, alias)
            status = web.status_of(error)
        else:
            result = outcome.result
            text = _(
                "Transferred %(units)s in %(lines)s from %(from)s to %(to)s.",
                units=counted(result["units"], "unit"),
                lines=counted(len(result["items"]), "line"),
                **{"from": result["from_site"], "to": result["to_site"]},
            )
            flash(text, "success")
            return redirect(url_for("inventory.packing_slip", operation_id=result["id"]))
    elif form.is_submitted():
        flash(_("The form expired; please submit it again."), "error")
        status = 400
    page = render_template("inventory/transfer.html", form=form, held=held, others=others)
    return page, status


@bp.get("/transfers/<operation_id>")
def packing_slip(operation_id: str):
    """A printable packing slip for a transfer: every line on one slip."""
    slip = slips.packing_slip(current_user, operation_id)
    return render_template("inventory/packing_slip.html", slip=slip)
