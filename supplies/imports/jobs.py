"""Checking and importing run in a background thread, so a big file outlives no request.

A year of distributions takes minutes to write; a web server would cut a request that long.
The thread keeps a small status file next to the upload (state, progress, a heartbeat,
then the preview or the outcome) and the page reloads itself until the work is done.
If the process dies mid-import, the one transaction rolls back and the stale heartbeat
says so: nothing was imported.
"""

import csv
import json
import logging
import os
import threading
import time
from pathlib import Path

from flask import Flask, current_app

from supplies.extensions import db
from supplies.imports import uploads
from supplies.models import User
from supplies.services.common.errors import DomainError
from supplies.services.common.messages import msg, portable, restore
from supplies.services.imports import runner

SHOWN_ERRORS = 500
STALE_SECONDS = 120
log = logging.getLogger(__name__)
_threads: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def key(sha256: str, kind: str, force: bool) -> str:
    """The name of one check or import of an upload."""
    return f"{sha256}-{kind}-{int(force)}"


def _status_path(job_key: str) -> Path:
    return uploads.folder() / f"{job_key}.status.json"


def errors_path(job_key: str) -> Path:
    """Where every refused row of a check is listed, as CSV."""
    return uploads.folder() / f"{job_key}.errors.csv"


def status(job_key: str) -> dict | None:
    """The job's last written status; a running job with no heartbeat for long is stale."""
    try:
        found = json.loads(_status_path(job_key).read_text())
    except (FileNotFoundError, ValueError):
        return None
    if found["state"] == "running" and time.time() - found["heartbeat"] > STALE_SECONDS:
        found["state"] = "interrupted"
    # Messages come back with their template, so each reader sees them in their language.
    if "message" in found:
        found["message"] = restore(found["message"])
    preview = found.get("preview")
    if preview:
        preview["warnings"] = [restore(w) for w in preview.get("warnings", [])]
        preview["errors"] = [[r, c, restore(m)] for r, c, m in preview.get("errors", [])]
    return found


def _write(job_key: str, **values) -> None:
    path = _status_path(job_key)
    temporary = path.with_suffix(".tmp")
    if "message" in values:
        values["message"] = portable(values["message"])
    temporary.write_text(json.dumps({"heartbeat": time.time(), **values}, default=str))
    os.replace(temporary, path)


def start(job: str, sha256: str, kind: str, force: bool, user_id: int) -> bool:
    """Start a check or an import unless one is already running; False when it is."""
    job_key = key(sha256, kind, force)
    with _lock:
        running = _threads.get(job_key)
        if running is not None and running.is_alive():
            return False
        _write(job_key, state="running", job=job, done=0, total=0)
        app = current_app._get_current_object()
        thread = threading.Thread(
            target=_run, args=(app, job, sha256, kind, force, user_id), daemon=True
        )
        _threads[job_key] = thread
        thread.start()
        return True


def wait(timeout: float = 60) -> None:
    """Wait for every job to finish (the tests use this)."""
    for thread in list(_threads.values()):
        thread.join(timeout)


class _Progress:
    """Counts work done and writes it out at most once a second (the heartbeat too)."""

    def __init__(self, job_key: str, job: str, total: int):
        self.job_key, self.job, self.total, self.done, self.written = job_key, job, total, 0, 0.0

    def __call__(self, amount: int) -> None:
        self.done += amount
        if time.monotonic() - self.written > 1:
            self.written = time.monotonic()
            total = max(self.total, self.done)
            _write(self.job_key, state="running", job=self.job, done=self.done, total=total)


def _run(app: Flask, job: str, sha256: str, kind: str, force: bool, user_id: int) -> None:
    job_key = key(sha256, kind, force)
    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            found = uploads.find(sha256)
            if found is None or user is None:
                _write(job_key, state="failed", job=job, message=msg("The upload is gone."))
                return
            path, filename = found
            progress = _Progress(job_key, job, 2 * runner.estimate_rows(path))
            checked = runner.preview(user, path, filename, kind, force, progress)
            _save_errors(job_key, checked.errors)
            if checked.identifying:
                uploads.discard(sha256)  # never keep a file that identifies participants
            if job == "check" or not checked.ok:
                _write(job_key, state="checked", job=job, preview=_preview(checked))
                return
            progress = _Progress(job_key, job, len(checked.plan))
            outcome = runner.apply(user, checked, progress)
            uploads.discard(sha256)
            _write(job_key, state="imported", job=job, summary=outcome.result)
        except runner.ImportRefused as refused:
            checked.errors = refused.errors or [runner.RowError(None, None, refused.message)]
            _save_errors(job_key, checked.errors)
            _write(job_key, state="checked", job=job, preview=_preview(checked))
        except DomainError as error:
            _write(job_key, state="failed", job=job, message=error.message)
        except Exception:
            log.exception("import %s failed", job_key)
            _write(
                job_key,
                state="failed",
                job=job,
                message=msg("The import failed; nothing was saved."),
            )
        finally:
            db.session.remove()


def _preview(checked: runner.Preview) -> dict:
    return {
        "ok": checked.ok,
        "kind": checked.kind,
        "filename": checked.filename,
        "rows": checked.rows,
        "force": checked.force,
        "warnings": [portable(warning) for warning in checked.warnings],
        "summary": checked.summary(),
        "error_count": len(checked.errors),
        "errors": [[e.row, e.column, portable(e.message)] for e in checked.errors[:SHOWN_ERRORS]],
    }


def _save_errors(job_key: str, errors) -> None:
    with errors_path(job_key).open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "column", "reason"])
        for error in errors:
            writer.writerow([error.row or "", _as_text(error.column), _as_text(error.message)])


def _as_text(value) -> str:
    """Text that a spreadsheet would read as a formula is written as text."""
    if value and str(value)[0] in "=+-@":
        return "'" + str(value)
    return value or ""
