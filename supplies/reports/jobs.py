"""Event-level exports too big to wait for run in a background thread with visible progress.

Progress lives in a small JSON file next to the archive (EXPORT_DIR/jobs), so any app
process that shares EXPORT_DIR can show it; the finished workbook is archived as usual.
"""

import json
import os
import re
import threading
import uuid
from pathlib import Path

from flask import Flask

from supplies.extensions import db
from supplies.models import User
from supplies.services.reporting import exports
from supplies.services.reporting.report import ReportFilters

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def _path(job_id: str) -> Path:
    return exports.export_dir() / "jobs" / f"{job_id}.json"


def _write(job_id: str, state: dict) -> None:
    path = _path(job_id)
    path.parent.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(state))
    os.replace(partial, path)


def read(job_id: str, user) -> dict | None:
    """A job's state, or None when there is no such job of this user's."""
    if not _JOB_ID.match(job_id or ""):
        return None
    try:
        state = json.loads(_path(job_id).read_text())
    except (OSError, ValueError):
        return None
    return state if state.get("owner") == user.id else None


def start(app: Flask, user, filters: ReportFilters, total: int) -> str:
    """Start the event-level export in a thread and return the job's id."""
    job_id = uuid.uuid4().hex
    state = {"owner": user.id, "status": "running", "done": 0, "total": total, "name": None}
    _write(job_id, state)
    arguments = (app, job_id, user.id, filters, state)
    thread = threading.Thread(target=_run, args=arguments, daemon=True, name=f"export-{job_id}")
    thread.start()
    return job_id


def _run(app: Flask, job_id: str, user_id: int, filters: ReportFilters, state: dict) -> None:
    with app.app_context():
        try:
            user = db.session.get(User, user_id)

            def progress(done: int) -> None:
                _write(job_id, {**state, "done": min(done, state["total"])})

            record = exports.events_export(user, filters, progress)
            _write(job_id, {**state, "status": "done", "done": state["total"], "name": record.name})
        except Exception:
            app.logger.exception("Background export %s failed", job_id)
            _write(job_id, {**state, "status": "failed"})
        finally:
            db.session.remove()
