"""The catalog blueprint: sites, supplies, funding sources and par levels.

Create, edit, deactivate; nothing with history is ever deleted. The addresses stay under
/inventory/, beside the stock screens that link to them.
"""

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from supplies.catalog.forms import (
    AreaForm,
    BundleForm,
    FundingForm,
    OperationForm,
    SiteForm,
    SupplyForm,
)
from supplies.i18n import translate
from supplies.services import areas, catalog
from supplies.services.common.errors import DomainError
from supplies.services.distribution import bundles
from supplies.services.stock import par_levels
from supplies.services.stock.par_levels import ParEntry
from supplies.web import access, screens
from supplies.web import forms as web

bp = Blueprint("catalog", __name__, url_prefix="/inventory")


screens.serve_signed_in_screens(bp)


# kind -> (form, create, update, editable fields, title)
KINDS = {
    "site": (
        SiteForm,
        catalog.create_site,
        catalog.update_site,
        ("name", "kind", "county"),
        "site",
    ),
    "supply": (
        SupplyForm,
        catalog.create_supply,
        catalog.update_supply,
        ("name", "category", "unit", "doses_per_unit", "tracks_lots", "offered_to_partners"),
        "supply",
    ),
    "funding": (
        FundingForm,
        catalog.create_funding_source,
        catalog.update_funding_source,
        ("name", "funder", "starts_on", "ends_on"),
        "funding source",
    ),
}


# Check boxes: their True or False goes to the service as it is.
BOOLEANS = ("tracks_lots", "offered_to_partners")


def _body(form, names) -> dict:
    body = {}
    for name in names:
        value = form[name].data
        if name == "doses_per_unit":
            value = web.as_number(value) if value else 0
        elif name not in BOOLEANS:
            value = web.blank_to_none(value)
        body[name] = value
    return body


def _thing(kind: str, code: str):
    things = {
        "site": catalog.list_sites(current_user),
        "supply": catalog.list_supplies(),
        "funding": catalog.list_funding_sources(),
    }[kind]
    for thing in things:
        if thing.code == code:
            return thing
    abort(404)


@bp.get("/catalog")
def catalog_list():
    """Sites, supplies and funding sources, active or not."""
    access.require(current_user, "manage_catalog")
    form = OperationForm()
    web.prepare(form)
    return render_template(
        "catalog/catalog.html",
        sites=catalog.list_sites(current_user),
        supplies=catalog.list_supplies(),
        funding=catalog.list_funding_sources(),
        form=form,
    )


@bp.route("/catalog/<kind>/new", methods=["GET", "POST"], defaults={"code": None})
@bp.route("/catalog/<kind>/<code>/edit", methods=["GET", "POST"])
def catalog_edit(kind: str, code: str | None):
    """Create a site, supply or funding source, or edit one (its code never changes)."""
    access.require(current_user, "manage_catalog")
    if kind not in KINDS:
        abort(404)
    form_class, create, update, names, title = KINDS[kind]
    thing = _thing(kind, code) if code else None
    form = form_class(obj=thing) if request.method == "GET" else form_class()
    if request.method == "GET" and thing is not None:
        for name in ("starts_on", "ends_on"):
            if name in names and getattr(thing, name):
                form[name].data = getattr(thing, name).isoformat()
    web.prepare(form)
    status = 200
    if form.validate_on_submit():
        body = _body(form, names)
        try:
            if thing is None:
                body["code"] = web.blank_to_none(form.code.data)
                create(current_user, web.operation_request(form, body), body)
            else:
                update(current_user, web.operation_request(form, body), code, body)
        except DomainError as error:
            web.show_errors(form, error)
            status = web.status_of(error)
        else:
            saved = body.get("code") or code
            flash(_("Saved %(code)s.", code=saved), "success")
            return redirect(url_for("catalog.catalog_list"))
    elif form.is_submitted():
        flash(_("The form expired; please submit it again."), "error")
        status = 400
    page = render_template(
        "catalog/catalog_edit.html", form=form, kind=kind, title=title, thing=thing
    )
    return page, status


@bp.post("/catalog/<kind>/<code>/active")
def catalog_active(kind: str, code: str):
    """Deactivate or reactivate; nothing with history is ever deleted."""
    access.require(current_user, "manage_catalog")
    if kind not in KINDS:
        abort(404)
    form = OperationForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please submit it again."), "error")
        return redirect(url_for("catalog.catalog_list"))
    active = request.form.get("active") == "1"
    body = {"kind": kind, "code": code, "active": active}
    try:
        catalog.set_active(current_user, web.operation_request(form, body), kind, code, active)
    except DomainError as error:
        web.show_errors(None, error)
    else:
        done = _("%(code)s is now active.") if active else _("%(code)s is now inactive.")
        flash(done % {"code": code}, "success")
    return redirect(url_for("catalog.catalog_list"))


@bp.route("/areas", methods=["GET", "POST"])
def areas_list():
    """The program's areas: an event's area is one of them (or a ZIP prefix)."""
    access.require(current_user, "manage_catalog")
    form = AreaForm()
    web.prepare(form)
    status = 200
    if form.validate_on_submit():
        body = {name: web.blank_to_none(form[name].data) for name in ("name", "state", "zip3")}
        try:
            areas.create_area(current_user, web.operation_request(form, body), body)
        except DomainError as error:
            web.show_errors(form, error)
            status = web.status_of(error)
        else:
            flash(_("Added %(area)s.", area=body["name"] or body["zip3"]), "success")
            return redirect(url_for("catalog.areas_list"))
    elif form.is_submitted():
        flash(_("The form expired; please submit it again."), "error")
        status = 400
    page = render_template("catalog/areas.html", form=form, areas=areas.list_areas())
    return page, status


BUNDLE_ROWS = 6


@bp.get("/bundles")
def bundles_list():
    """The bundles the distribution screen offers, the program's and each site's."""
    access.require(current_user, "manage_catalog")
    form = OperationForm()
    web.prepare(form)
    found = bundles.list_bundles(current_user)
    return render_template("catalog/bundles.html", bundles=found, form=form)


def _bundle_rows(bundle) -> list[dict]:
    """The page's line rows: what was posted, else the bundle's lines, then blank rows."""
    if request.method == "POST":
        return [
            {
                "supply": request.form.get(f"line-{i}-supply", ""),
                "quantity": request.form.get(f"line-{i}-quantity", ""),
            }
            for i in range(BUNDLE_ROWS)
        ]
    lines = bundle.lines if bundle else []
    rows = [{"supply": x.supply.code, "quantity": str(x.quantity)} for x in lines]
    return rows + [{"supply": "", "quantity": ""}] * max(0, BUNDLE_ROWS - len(rows))


@bp.route("/bundles/new", methods=["GET", "POST"], defaults={"code": None})
@bp.route("/bundles/<code>/edit", methods=["GET", "POST"])
def bundle_edit(code: str | None):
    """Create a bundle, or change its name, site and lines (its code never changes)."""
    access.require(current_user, "manage_catalog")
    bundle = None
    if code is not None:
        try:
            bundle = bundles.bundle_by_code(code)
        except DomainError:
            abort(404)
    form = BundleForm()
    if request.method == "GET" and bundle is not None:
        form.code.data, form.name.data = bundle.code, bundle.name
        form.site.data = bundle.site.code if bundle.site else ""
    form.site.choices = [("", _("Every site")), *web.site_choices(current_user)]
    web.prepare(form)
    rows = _bundle_rows(bundle)
    # Rows left blank are not lines; the service's items[i] are the filled rows in order.
    filled = [i for i, row in enumerate(rows) if row["supply"] or row["quantity"].strip()]
    errors, status = {}, 200
    if form.validate_on_submit():
        items = [
            {"supply": rows[i]["supply"], "quantity": web.as_number(rows[i]["quantity"])}
            for i in filled
        ]
        body = {"name": form.name.data, "site": form.site.data or None, "items": items}
        try:
            if bundle is None:
                body["code"] = web.blank_to_none(form.code.data)
                bundles.create_bundle(current_user, web.operation_request(form, body), body)
            else:
                bundles.update_bundle(
                    current_user, web.operation_request(form, body), bundle.code, body
                )
        except DomainError as error:

            def row_of(name: str) -> str | None:
                # items[2].quantity -> line-5-quantity (the third filled row is the sixth).
                match = re.match(r"^items\[(\d+)\]\.(supply|quantity)$", name)
                if match and int(match.group(1)) < len(filled):
                    return f"line-{filled[int(match.group(1))]}-{match.group(2)}"
                return None if name.startswith("items[") else name

            errors = {row_of(k) or k: translate(v) for k, v in error.fields.items()}
            web.show_errors(form, error, lambda name: row_of(name) or name)
            status = web.status_of(error)
        else:
            flash(_("Saved %(code)s.", code=body.get("code") or code), "success")
            return redirect(url_for("catalog.bundles_list"))
    elif form.is_submitted():
        flash(_("The form expired; please submit it again."), "error")
        status = 400
    supplies = [x for x in catalog.list_supplies() if x.active]
    page = render_template(
        "catalog/bundle_edit.html",
        form=form,
        bundle=bundle,
        rows=rows,
        supplies=supplies,
        errors=errors,
    )
    return page, status


@bp.post("/bundles/<code>/active")
def bundle_active(code: str):
    """Stop offering a bundle, or offer it again (nothing is deleted)."""
    access.require(current_user, "manage_catalog")
    form = OperationForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please submit it again."), "error")
        return redirect(url_for("catalog.bundles_list"))
    active = request.form.get("active") == "1"
    body = {"code": code, "active": active}
    try:
        bundles.set_bundle_active(current_user, web.operation_request(form, body), code, active)
    except DomainError as error:
        web.show_errors(None, error)
    else:
        done = _("%(code)s is now active.") if active else _("%(code)s is now inactive.")
        flash(done % {"code": code}, "success")
    return redirect(url_for("catalog.bundles_list"))


@bp.get("/par-levels")
def par_levels_index():
    """Every active site with how many supplies have a par level: pick one to edit."""
    access.require(current_user, "manage_stock")
    sites = [site for site in catalog.list_sites(current_user) if site.active]
    counts = par_levels.par_level_counts()
    return render_template("catalog/par_levels_index.html", sites=sites, counts=counts)


@bp.route("/sites/<code>/par-levels", methods=["GET", "POST"])
def par_levels_edit(code: str):
    """A site's minimum and target for each supply."""
    site = catalog.site_by_code(code, active_only=False)
    access.require(current_user, "manage_stock", site.id)
    supplies = [x for x in catalog.list_supplies() if x.active]
    form = OperationForm()
    web.prepare(form)
    errors, status = {}, 200
    current = par_levels.par_levels_of(site.id)
    values = {}
    for supply in supplies:
        level = current.get(supply.id)
        values[f"minimum-{supply.code}"] = str(level.minimum) if level else ""
        values[f"target-{supply.code}"] = str(level.target) if level else ""
    if form.validate_on_submit():
        values = {key: request.form.get(key, "") for key in values}
        entries = [
            ParEntry(
                x.code,
                web.as_number(values[f"minimum-{x.code}"]),
                web.as_number(values[f"target-{x.code}"]),
            )
            for x in supplies
        ]
        body = {"site": code, "levels": [list(e.__dict__.values()) for e in entries]}
        try:
            par_levels.set_par_levels(
                current_user, web.operation_request(form, body), code, entries
            )
        except DomainError as error:
            web.show_errors(form, error)
            errors, status = error.fields, web.status_of(error)
        else:
            flash(_("Par levels of %(site)s saved.", site=site.name), "success")
            return redirect(url_for("inventory.stock_overview"))
    elif form.is_submitted():
        flash(_("The form expired; please submit it again."), "error")
        status = 400
    page = render_template(
        "catalog/par_levels.html",
        form=form,
        site=site,
        supplies=supplies,
        values=values,
        errors=errors,
    )
    return page, status
