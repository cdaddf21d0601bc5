"""Import screens: upload a spreadsheet, see every problem, confirm; download templates.

Checking and writing run in the background (see jobs.py); the page of an upload shows
the progress, then the preview to confirm, then the outcome.
"""

import io
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from supplies.i18n import translate
from supplies.imports import jobs, uploads
from supplies.imports.forms import ConfirmForm, UploadForm
from supplies.services.common.messages import msg
from supplies.services.imports import runner
from supplies.services.imports.columns import KINDS
from supplies.services.imports.templates import template
from supplies.web import access

bp = Blueprint("imports", __name__, url_prefix="/imports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
GONE = msg("That upload is no longer waiting; upload the file again.")


@bp.before_request
@login_required
def only_coordinators():
    """Imports are for admins and coordinators."""
    access.require(current_user, "import_data")


@bp.route("/", methods=["GET", "POST"])
def index():
    """The upload form, the templates and the latest imports."""
    form = UploadForm()
    if form.validate_on_submit():
        try:
            sha256 = uploads.save(form.file.data.stream, form.file.data.filename)
        except uploads.TooLarge as error:
            form.file.errors.append(translate(error.args[0]))
        else:
            force = bool(form.force.data)
            jobs.start("check", sha256, form.kind.data, force, current_user.id)
            return redirect(_page(sha256, form.kind.data, force))
    status = 422 if form.errors else 200
    return render_template("imports/index.html", form=form, history=runner.history()), status


def _page(sha256: str, kind: str, force: bool) -> str:
    return url_for("imports.upload", sha256=sha256, kind=kind, force=1 if force else None)


def _job_args(sha256: str) -> tuple[str, bool]:
    kind = request.values.get("kind")
    if not _SHA256.match(sha256) or kind not in KINDS:
        abort(404)
    return kind, request.values.get("force") == "1"


@bp.get("/<sha256>")
def upload(sha256: str):
    """An upload's page: checking, then the preview to confirm, importing, then the outcome."""
    kind, force = _job_args(sha256)
    job_key = jobs.key(sha256, kind, force)
    found = jobs.status(job_key)
    if found is None or (found["state"] == "interrupted" and found["job"] == "check"):
        if uploads.find(sha256) is None:
            flash(translate(GONE), "error")
            return redirect(url_for("imports.index"))
        jobs.start("check", sha256, kind, force, current_user.id)
        found = jobs.status(job_key)
    args = {"sha256": sha256, "kind": kind, "force": force, "status": found}
    if found["state"] == "checked":
        form = ConfirmForm(kind=kind, force="1" if force else "")
        status = 200 if found["preview"]["ok"] else 422
        return render_template(
            "imports/preview.html", p=found["preview"], form=form, **args
        ), status
    return render_template("imports/status.html", **args)


@bp.post("/<sha256>/confirm")
def confirm(sha256: str):
    """Start writing every row in one transaction (or none); the page shows the progress."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    kind, force = _job_args(sha256)
    found = jobs.status(jobs.key(sha256, kind, force))
    if uploads.find(sha256) is None:
        flash(translate(GONE), "error")
        return redirect(url_for("imports.index"))
    if found and found["state"] == "checked" and found["preview"]["ok"]:
        jobs.start("import", sha256, kind, force, current_user.id)
    return redirect(_page(sha256, kind, force))


@bp.get("/<sha256>/errors.csv")
def errors_csv(sha256: str):
    """Every refused row of a checked upload, as a CSV to work through."""
    kind, force = _job_args(sha256)
    path = jobs.errors_path(jobs.key(sha256, kind, force))
    if not path.exists():
        abort(404)
    return send_file(
        path, mimetype="text/csv", as_attachment=True, download_name="import-errors.csv"
    )


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
