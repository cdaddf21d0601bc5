"""Import screens: upload a spreadsheet, see every problem, confirm; download templates.

Checking and writing are background jobs (supplies/jobs): the page of an upload shows the
progress, then the preview to confirm, then the outcome. The upload, the jobs and their
lists of refused rows are in the database, so any app server shows any step.
"""

import io
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from supplies.i18n import translate
from supplies.imports import uploads
from supplies.imports.forms import ConfirmForm, UploadForm
from supplies.jobs import runner, store, tasks
from supplies.models import Job
from supplies.services.common.messages import msg
from supplies.services.db import files
from supplies.services.imports import runner as importer
from supplies.services.imports.columns import KINDS
from supplies.services.imports.templates import template
from supplies.web import access
from supplies.web.downloads import send_stored

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
            _start(tasks.IMPORT_CHECK, sha256, form.kind.data, force)
            return redirect(_page(sha256, form.kind.data, force))
    status = 422 if form.errors else 200
    return render_template("imports/index.html", form=form, history=importer.history()), status


def _start(job_kind: str, sha256: str, kind: str, force: bool, copy: int | None = None) -> Job:
    params = tasks.import_params(sha256, kind, force, copy)
    key = tasks.import_key(sha256, kind, force)
    return runner.start(job_kind, current_user.id, params, key=key)


def _latest(sha256: str, kind: str, force: bool) -> Job | None:
    """The newest check or import of this upload, recovered first if its process died."""
    job = store.latest(tasks.import_key(sha256, kind, force))
    return None if job is None else runner.follow(job.id)


def _status(job: Job) -> dict:
    """What the pages show of a job: its state, progress, then the preview or outcome."""
    done, total = store.progress(job)
    status = {"job": "check" if job.kind == tasks.IMPORT_CHECK else "import"}
    status.update(done=done, total=total)
    if job.status in store.UNFINISHED:
        status["state"] = "running"
    elif job.status == store.FAILED:
        status.update(state="failed", message=store.message(job))
    else:
        status.update(store.restored(job.result))
    return status


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
    job = _latest(sha256, kind, force)
    if job is None:
        if uploads.find(sha256) is None:
            flash(translate(GONE), "error")
            return redirect(url_for("imports.index"))
        job = _start(tasks.IMPORT_CHECK, sha256, kind, force)
    found = _status(job)
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
    job = _latest(sha256, kind, force)
    if uploads.find(sha256) is None:
        flash(translate(GONE), "error")
        return redirect(url_for("imports.index"))
    checked = (job.result or {}) if job is not None and job.status == store.DONE else {}
    preview = checked.get("preview") or {}
    # Only a finished check that found nothing wrong may be confirmed (a second click, on
    # this server or another, finds the import already started and starts nothing).
    if checked.get("state") == "checked" and preview.get("ok") and job.kind == tasks.IMPORT_CHECK:
        _start(tasks.IMPORT_APPLY, sha256, kind, force, copy=preview["copy"])
    return redirect(_page(sha256, kind, force))


@bp.get("/<sha256>/errors.csv")
def errors_csv(sha256: str):
    """Every refused row of a checked upload, as a CSV to work through."""
    kind, force = _job_args(sha256)
    job = store.latest(tasks.import_key(sha256, kind, force), with_file=True)
    stored = files.get(job.file_id) if job is not None else None
    if stored is None:
        abort(404)
    return send_stored(stored, "import-errors.csv", "text/csv")


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
