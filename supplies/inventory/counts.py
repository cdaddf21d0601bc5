"""Physical count screens: the count sheet, the review of differences, confirm or discard."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from supplies.i18n import translate
from supplies.inventory.blueprint import bp
from supplies.inventory.forms import CountForm, OperationForm
from supplies.services import catalog
from supplies.services.common import permissions
from supplies.services.common.errors import DomainError
from supplies.services.stock import counting
from supplies.services.stock.counting import CountEntry
from supplies.vocab import PARTNER_KIND
from supplies.web import access
from supplies.web import forms as web


def _posted_entries() -> list[CountEntry]:
    entries = []
    index = 0
    while f"line-{index}-supply" in request.form and index < 2000:
        entries.append(
            CountEntry(
                request.form.get(f"line-{index}-supply", ""),
                web.blank_to_none(request.form.get(f"line-{index}-lot")),
                web.as_number(request.form.get(f"line-{index}-counted", "")),
            )
        )
        index += 1
    return entries


@bp.get("/count")
def count_index():
    """The sites this user may count, and counts waiting for confirmation there."""
    access.require(current_user, "count")
    sites = counting.countable_sites(current_user)
    return render_template(
        "inventory/count_index.html", sites=sites, pending=counting.pending(current_user)
    )


@bp.route("/sites/<code>/count", methods=["GET", "POST"])
def count_sheet(code: str):
    """Every supply and lot at a site with an entry box; blind hides what the books expect."""
    site = catalog.site_by_code(code)
    access.require(current_user, "count", site.id)
    if site.kind == PARTNER_KIND:
        abort(404)  # a partner agency is never counted (work.refuse_counting_at_a_partner)
    form = CountForm()
    if request.method == "GET":
        form.blind.data = request.args.get("blind") == "1"
    web.prepare(form)
    errors, status = {}, 200
    if form.validate_on_submit():
        entries = _posted_entries()
        body = {
            "site": code,
            "blind": form.blind.data,
            "lines": [list(e.__dict__.values()) for e in entries],
        }
        try:
            outcome = counting.submit(
                current_user, web.operation_request(form, body), code, entries, form.blind.data
            )
        except DomainError as error:
            web.show_errors(form, error)
            errors, status = error.fields, web.status_of(error)
        else:
            if permissions.can(current_user, "manage_stock", site.id):
                flash(_("Count saved. Review the differences, then confirm."), "success")
            else:
                flash(_("Count saved. Nothing changes until a coordinator confirms it."), "success")
            return redirect(url_for("inventory.count_review", session_id=outcome.result["id"]))
    elif form.is_submitted():
        flash(_("The form expired; please submit it again."), "error")
        status = 400
    lines = counting.count_sheet(current_user, code)[1]
    page = render_template(
        "inventory/count_sheet.html",
        form=form,
        site=site,
        lines=lines,
        errors=errors,
        values=request.form,
    )
    return page, status


@bp.get("/counts/<session_id>")
def count_review(session_id: str):
    """The differences of a count against the books, with confirm and discard for coordinators."""
    access.require(current_user, "count")
    session, site, lines, counter = counting.review(current_user, session_id)
    form = OperationForm()
    web.prepare(form)
    return render_template(
        "inventory/count_review.html",
        session=session,
        site=site,
        lines=lines,
        counter=counter,
        form=form,
        may_confirm=permissions.can(current_user, "manage_stock", site.id),
        at_partner=site.kind == PARTNER_KIND,  # saved before its site became one: discard only
    )


def _decide(session_id: str, decide, done: str):
    access.require(current_user, "manage_stock")
    form = OperationForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please submit it again."), "error")
        return redirect(url_for("inventory.count_review", session_id=session_id))
    try:
        decide(current_user, web.operation_request(form, {"session": session_id}), session_id)
    except DomainError as error:
        if error.code == "forbidden":
            raise
        flash(translate(error.message), "error")
    else:
        flash(str(done), "success")
    return redirect(url_for("inventory.count_review", session_id=session_id))


@bp.post("/counts/<session_id>/confirm")
def count_confirm(session_id: str):
    """Apply the count: one count movement per difference."""
    return _decide(
        session_id, counting.confirm, _l("Count confirmed; stock now matches the shelf.")
    )


@bp.post("/counts/<session_id>/discard")
def count_discard(session_id: str):
    """Drop the count without changing stock."""
    return _decide(session_id, counting.discard, _l("Count discarded; stock is unchanged."))
