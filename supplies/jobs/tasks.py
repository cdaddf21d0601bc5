"""What each kind of job does, through the services the screens and the command line use.

Each task may run twice (its first process died): it is written so that a second run makes
one archive and one import, never two. The export names its workbook after the job, and
finds it if the first run archived it; an import's confirmation carries the copy number
it was checked against, and finds the import if the first run committed it.
"""

import csv
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app

from supplies.extensions import db
from supplies.jobs.store import Work
from supplies.models import ImportedFile, User
from supplies.models.types import utcnow
from supplies.services.common.errors import Conflict, Forbidden, NotFound
from supplies.services.common.messages import Message, msg
from supplies.services.db import files
from supplies.services.imports import applying
from supplies.services.imports import runner as importer
from supplies.services.reporting import exports
from supplies.services.reporting import report as reporting

EVENTS_EXPORT, IMPORT_CHECK, IMPORT_APPLY = "events_export", "import_check", "import_apply"
KINDS = (EVENTS_EXPORT, IMPORT_CHECK, IMPORT_APPLY)
SHOWN_ERRORS = 500
GONE = msg("The upload is gone.")


@dataclass(frozen=True)
class Outcome:
    """What a finished task hands back: a result to show and the file it made, if any."""

    result: dict
    file_id: int | None = None


@dataclass(frozen=True)
class Task:
    """A kind of job: what it does, and what a failure no one foresaw is called."""

    run: Callable[[Work], Outcome]
    failure: Message
    # Without a queue, run in a process of its own rather than a thread of the web worker.
    own_process: bool = False


def import_key(sha256: str, kind: str, force: bool) -> str:
    """The key of the jobs that check and import one upload as one kind."""
    return f"import:{sha256}:{kind}:{int(force)}"


def _owner(work: Work) -> User:
    user = db.session.get(User, work.owner_id) if work.owner_id is not None else None
    if user is None or not user.active:
        raise Forbidden(msg("The account that started this job is no longer active."))
    return user


# --- the event-level export ----------------------------------------------------------------


def export_params(filters: reporting.ReportFilters) -> dict:
    """A job's parameters for an event-level export of these filters."""
    return filters.as_dict()


def _export_events(work: Work) -> Outcome:
    user = _owner(work)
    p = work.params
    filters = reporting.make_filters(
        p["start"], p["end"], p.get("sites") or (), p.get("funding"), p.get("language", "en")
    )
    name = exports.archive_name("events", filters, work.id[:16])
    record = exports.record_of(name)
    if record is None:  # else an earlier attempt archived it: one archive, not two
        work.total = work.total or exports.count_event_rows(filters)
        record = exports.events_export(user, filters, work.reach, name)
    stored = exports.stored_file(record)
    return Outcome({"name": record.name, "rows": work.total}, stored.id if stored else None)


# --- checking and importing a spreadsheet ----------------------------------------------------


def import_params(sha256: str, kind: str, force: bool, copy: int | None = None) -> dict:
    """A job's parameters for checking (copy None) or importing an upload."""
    params = {"sha256": sha256, "kind": kind, "force": bool(force)}
    if copy is not None:
        params["copy"] = copy
    return params


def _check_import(work: Work) -> Outcome:
    user = _owner(work)
    try:
        checked = _preview(work, user)
    except Exception:
        # An unreadable or refused file is not kept a moment longer (it may name people).
        files.discard(files.UPLOAD, work.params["sha256"])
        raise
    return _checked(work, checked)


def _preview(work: Work, user) -> importer.Preview:
    p = work.params
    upload = files.find(files.UPLOAD, p["sha256"])
    if upload is None:
        raise NotFound(GONE)
    with files.local_copy(upload) as path:
        work.total = 2 * importer.estimate_rows(path)
        return importer.preview(user, path, upload.filename, p["kind"], p["force"], work.advance)


def _checked(work: Work, checked: importer.Preview) -> Outcome:
    """The preview to show; every refused row kept as a CSV to download."""
    report = _save_errors(work, checked.errors) if checked.errors else None
    if not checked.ok:
        # A refused upload is deleted at once (identifying columns above all): the person
        # fixes the file and uploads it again; nothing personal waits in the database.
        files.discard(files.UPLOAD, work.params["sha256"])
    return Outcome({"state": "checked", "preview": _preview_data(checked)}, report)


def _apply_import(work: Work) -> Outcome:
    user = _owner(work)
    p = work.params
    made = db.session.execute(
        db.select(ImportedFile).where(
            ImportedFile.sha256 == p["sha256"], ImportedFile.copy == p["copy"]
        )
    ).scalar_one_or_none()
    if made is not None:  # an earlier attempt, or a twin confirmation, imported it
        files.discard(files.UPLOAD, p["sha256"])
        return Outcome({"state": "imported", "summary": made.summary})
    staged = applying.unfinished(p["sha256"], p["copy"])
    if staged is not None:
        # An earlier attempt died while writing: go on from its last chunk (or finish
        # undoing it), without checking again against stock it has partly written.
        work.done, work.total = staged.steps_done, staged.steps_total
        return _imported(work, lambda: importer.resume(user, staged, work.advance), None)
    checked = _preview(work, user)
    if not checked.ok:
        return _checked(work, checked)
    if len(checked.previous) != p["copy"]:
        raise Conflict(msg("This file was imported meanwhile; nothing was imported again."))
    work.done, work.total = 0, len(checked.plan)
    return _imported(work, lambda: importer.apply(user, checked, work.advance), checked)


def _imported(work: Work, write, checked: importer.Preview | None) -> Outcome:
    """The outcome of writing an import: imported, or refused with every refused row."""
    try:
        outcome = write()
    except importer.ImportRefused as refused:
        errors = refused.errors or [importer.RowError(None, None, refused.message)]
        if checked is None:  # resumed: the preview of the first attempt is not at hand
            checked = importer.Preview(work.params["kind"], work.params["sha256"], "", False)
        checked.errors = errors
        return _checked(work, checked)
    files.discard(files.UPLOAD, work.params["sha256"])
    return Outcome({"state": "imported", "summary": outcome.result})


def _preview_data(checked: importer.Preview) -> dict:
    return {
        "ok": checked.ok,
        "kind": checked.kind,
        "filename": checked.filename,
        "rows": checked.rows,
        "force": checked.force,
        # The copy an import of this check would be: a retry finds it made.
        "copy": len(checked.previous),
        "warnings": list(checked.warnings),
        "summary": checked.summary(),
        "error_count": len(checked.errors),
        "errors": [[e.row, e.column, e.message] for e in checked.errors[:SHOWN_ERRORS]],
    }


def _save_errors(work: Work, errors) -> int:
    """Every refused row as a CSV in the database; its stored file's id."""
    days = current_app.config["JOB_KEEP_DAYS"]
    with tempfile.TemporaryDirectory(prefix="supplies-errors-") as folder:
        path = Path(folder) / "import-errors.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "column", "reason"])
            for error in errors:
                writer.writerow([error.row or "", _as_text(error.column), _as_text(error.message)])
        expires = utcnow() + timedelta(days=days)
        stored = files.save(
            files.REPORT, f"{work.id}.csv", path, "import-errors.csv", "text/csv", expires
        )
    return stored.id


def _as_text(value) -> str:
    """Text that a spreadsheet would read as a formula is written as text."""
    if value and str(value)[0] in "=+-@":
        return "'" + str(value)
    return value or ""


TASKS = {
    EVENTS_EXPORT: Task(
        _export_events,
        msg("The export failed. Nothing was archived; please try again or ask an admin."),
    ),
    IMPORT_CHECK: Task(_check_import, msg("The import failed; nothing was saved."), True),
    IMPORT_APPLY: Task(_apply_import, msg("The import failed; nothing was saved."), True),
}
