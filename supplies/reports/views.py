"""The Reports page: pick a period and filters, download a workbook, download past ones again."""

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from supplies.jobs import runner, store, tasks
from supplies.reports.forms import ReportForm
from supplies.services.common import clock, permissions
from supplies.services.common.errors import NotFound, ValidationFailed
from supplies.services.reporting import exports, periods
from supplies.services.reporting import report as reporting
from supplies.web import access
from supplies.web import forms as web
from supplies.web.downloads import send_stored

bp = Blueprint("reports", __name__, url_prefix="/reports")
# Service field names -> form field names.
FORM_FIELDS = {
    "start": "start",
    "end": "end",
    "site": "sites",
    "funding": "funding",
    "language": "language",
}


def _form() -> ReportForm:
    form = ReportForm()
    form.set_choices(
        web.site_choices(current_user, active_only=False),
        web.funding_choices(active_only=False),
        permissions.can(current_user, "event_export"),
    )
    return form


def _page(form: ReportForm, status: int = 200):
    today = clock.today()
    presets = {key: periods.preset_period(key, today) for key in periods.PRESETS if key != "custom"}
    records = exports.list_exports(current_user)
    makers = exports.makers(records) if permissions.can(current_user, "event_export") else None
    return (
        render_template(
            "reports/index.html",
            form=form,
            presets=presets,
            records=records,
            makers=makers,
            kinds=exports.KINDS,
        ),
        status,
    )


def download(record: exports.ExportRecord):
    """Send an archived workbook as an attachment named by its kind and period."""
    stored = exports.stored_file(record)
    if stored is None:
        abort(404)
    return send_stored(stored, record.download_name, exports.XLSX)


@bp.route("/", methods=["GET", "POST"])
@login_required
@access.forbidden_as_403()
def index():
    """The form and the archive; a valid POST answers with the workbook."""
    access.require(current_user, "funder_reports")
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 422 if form.is_submitted() else 200)
    # Typed dates choose the custom period themselves: never a silent other period. One
    # date alone is refused below, beside the missing one.
    if form.start.data or form.end.data:
        form.preset.data = "custom"
    if form.preset.data == "custom":
        start, end = form.start.data, form.end.data
    else:
        first, last = periods.preset_period(form.preset.data, clock.today())
        start, end = first.isoformat(), last.isoformat()
    try:
        filters = reporting.make_filters(
            start, end, form.sites.data, form.funding.data, form.language.data
        )
        if form.kind.data == "events":
            permissions.require(current_user, "event_export")
            total = exports.count_event_rows(filters)
            if total > current_app.config.get("EXPORT_BACKGROUND_ROWS", 20_000):
                params = tasks.export_params(filters)
                job = runner.start(tasks.EVENTS_EXPORT, current_user.id, params, total=total)
                return redirect(url_for("reports.job", job_id=job.id), 303)
            record = exports.events_export(current_user, filters)
        else:
            record = exports.funder_export(current_user, filters)
    except ValidationFailed as error:
        web.attach_errors(form, error.fields, lambda name: FORM_FIELDS.get(name, "start"))
        return _page(form, 422)
    return download(record)


@bp.get("/jobs/<job_id>")
@login_required
def job(job_id: str):
    """A background export's progress; the page reloads itself until the workbook is ready.

    Any app server shows it: the job's state is in the database, wherever it runs.
    """
    access.require(current_user, "event_export")
    job = runner.follow(job_id)
    if job is None or job.kind != tasks.EVENTS_EXPORT or job.owner_id != current_user.id:
        abort(404)
    done, total = store.progress(job)
    state = {
        "status": "running" if job.status in store.UNFINISHED else job.status,
        "done": done,
        "total": total,
        "name": (job.result or {}).get("name"),
        "message": store.message(job),
    }
    return render_template("reports/job.html", state=state)


@bp.get("/archive/<name>")
@login_required
@access.forbidden_as_403()
def archived(name: str):
    """Download a workbook made earlier (funders: their own aggregated ones only)."""
    try:
        record = exports.archived(current_user, name)
    except NotFound:
        abort(404)
    return download(record)
