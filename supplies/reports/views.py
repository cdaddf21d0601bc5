"""The Reports page: pick a period and filters, download a workbook, download past ones again."""

from flask import Blueprint, abort, current_app, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required

from supplies.reports import jobs
from supplies.reports.forms import ReportForm
from supplies.services.common import clock, permissions
from supplies.services.common.errors import NotFound, ValidationFailed
from supplies.services.reporting import exports, periods
from supplies.services.reporting import report as reporting
from supplies.web import access
from supplies.web import forms as web

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
    filters = record.filters
    name = f"{record.kind}-report-{filters.get('start')}-to-{filters.get('end')}.xlsx"
    return send_file(record.path, mimetype=exports.XLSX, as_attachment=True, download_name=name)


@bp.route("/", methods=["GET", "POST"])
@login_required
@access.forbidden_as_403()
def index():
    """The form and the archive; a valid POST answers with the workbook."""
    access.require(current_user, "funder_reports")
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 422 if form.is_submitted() else 200)
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
                job_id = jobs.start(current_app._get_current_object(), current_user, filters, total)
                return redirect(url_for("reports.job", job_id=job_id), 303)
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
    """A background export's progress; the page reloads itself until the workbook is ready."""
    access.require(current_user, "event_export")
    state = jobs.read(job_id, current_user)
    if state is None:
        abort(404)
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
