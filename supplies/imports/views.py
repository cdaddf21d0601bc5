"""Import screens: upload a spreadsheet, see every problem, confirm; download templates."""

import csv
import io

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from supplies.imports import uploads
from supplies.imports.forms import ConfirmForm, UploadForm
from supplies.services import imports, permissions
from supplies.services.errors import DomainError
from supplies.services.imports_columns import KINDS
from supplies.services.imports_templates import template

bp = Blueprint("imports", __name__, url_prefix="/imports")
SHOWN_ERRORS = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
@login_required
def only_coordinators():
    """Imports are for admins and coordinators."""
    if not permissions.can(current_user, "import_data"):
        abort(403)


@bp.route("/", methods=["GET", "POST"])
def index():
    """The upload form, the templates and the latest imports."""
    form = UploadForm()
    if form.validate_on_submit():
        try:
            sha256 = uploads.save(form.file.data.stream, form.file.data.filename)
        except uploads.TooLarge as error:
            form.file.errors.append(str(error))
        else:
            force = 1 if form.force.data else None
            return redirect(
                url_for("imports.preview", sha256=sha256, kind=form.kind.data, force=force)
            )
    status = 422 if form.errors else 200
    return render_template("imports/index.html", form=form, history=imports.history()), status


def _checked(sha256: str):
    kind = request.values.get("kind")
    force = request.values.get("force") == "1"
    found = uploads.find(sha256)
    if kind not in KINDS or found is None:
        return None
    path, filename = found
    return imports.preview(current_user, path, filename, kind, force)


@bp.get("/<sha256>/preview")
def preview(sha256: str):
    """What the file would create and every bad row; nothing is written here."""
    checked = _checked(sha256)
    if checked is None:
        flash("That upload is no longer waiting; upload the file again.", "error")
        return redirect(url_for("imports.index"))
    form = ConfirmForm(kind=checked.kind, force="1" if checked.force else "")
    return _render_preview(checked, form)


def _render_preview(checked, form, status: int = 200):
    return (
        render_template(
            "imports/preview.html",
            checked=checked,
            summary=checked.summary(),
            errors=checked.errors[:SHOWN_ERRORS],
            form=form,
        ),
        status,
    )


@bp.post("/<sha256>/confirm")
def confirm(sha256: str):
    """Import every row in one transaction, or none, then forget the upload."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    checked = _checked(sha256)
    if checked is None:
        flash("That upload is no longer waiting; upload the file again.", "error")
        return redirect(url_for("imports.index"))
    try:
        outcome = imports.apply(current_user, checked)
    except imports.ImportRefused as refused:
        checked.errors = refused.errors or [imports.RowError(None, None, refused.message)]
        flash(refused.message, "error")
        return _render_preview(checked, form, 422)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("imports.index"))
    uploads.discard(sha256)
    summary = outcome.result
    made = summary.get("events", summary.get("receipts"))
    noun = "events" if checked.kind == imports.DISTRIBUTIONS else "receipts"
    flash(
        f"Imported {summary['rows']} rows from {checked.filename}: {made} {noun}, "
        f"{summary['units']} units.",
        "success",
    )
    return redirect(url_for("imports.index"))


@bp.get("/<sha256>/errors.csv")
def errors_csv(sha256: str):
    """Every refused row of a waiting upload, as a CSV to work through."""
    checked = _checked(sha256)
    if checked is None:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "column", "reason"])
    for error in checked.errors:
        writer.writerow([error.row or "", _as_text(error.column), _as_text(error.message)])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=import-errors.csv"},
    )


def _as_text(value):
    """Text that a spreadsheet would read as a formula is written as text."""
    if value and str(value)[0] in "=+-@":
        return "'" + str(value)
    return value or ""


@bp.get("/templates/<kind>.xlsx")
def download_template(kind: str):
    """The template for starting stock or past distributions."""
    if kind not in KINDS:
        abort(404)
    return send_file(
        io.BytesIO(template(kind)),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"{kind}-import-template.xlsx",
    )
