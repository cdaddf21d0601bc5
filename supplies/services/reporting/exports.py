"""Generating, archiving and listing workbooks: every one is kept in EXPORT_DIR and audited."""

import hashlib
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func

from supplies.extensions import db
from supplies.models import AuditEntry, DistributionEvent, DistributionLine, Site, Supply, User
from supplies.services.common import clock, permissions
from supplies.services.common.errors import Forbidden, NotFound
from supplies.services.common.messages import msg
from supplies.services.db import audit
from supplies.services.db.unit_of_work import transaction
from supplies.services.reporting import report as reporting
from supplies.services.reporting.report import ReportFilters
from supplies.services.reporting.workbook import text as workbook_text
from supplies.services.reporting.workbook import writer
from supplies.services.reporting.workbook.writer import DATE, DATETIME, INTEGER, Column

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_ACTION = "report.export"
KINDS = {"funder": msg("Funder workbook"), "events": msg("Event-level workbook")}
_NAME = re.compile(r"^(funder|events)-[0-9]{4}-[0-9]{2}-[0-9]{2}-to-[0-9-]{10}-[0-9a-f]{16}\.xlsx$")
Progress = Callable[[str], None]
RowProgress = Callable[[int], None]
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class ExportRecord:
    """One archived workbook: its file name, kind, filters, checksum and who made it."""

    name: str
    kind: str
    filters: dict
    sha256: str
    size: int
    created_at: datetime
    actor_id: int | None

    @property
    def path(self) -> Path:
        """Where the file lives."""
        return export_dir() / self.name


def export_dir() -> Path:
    """The archive folder (EXPORT_DIR), created on first use."""
    path = Path(current_app.config["EXPORT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _archive(actor, kind: str, filters: ReportFilters, save: Callable[[Path], None]):
    """Save a workbook under a fresh name, hash it and write the audit record."""
    name = f"{kind}-{filters.start}-to-{filters.end}-{uuid.uuid4().hex[:16]}.xlsx"
    final = export_dir() / name
    partial = final.with_suffix(".partial")
    try:
        save(partial)
        digest = hashlib.sha256()
        with partial.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                digest.update(block)
        size = partial.stat().st_size
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    record = ExportRecord(
        name, kind, filters.as_dict(), digest.hexdigest(), size, clock.now(), actor and actor.id
    )
    with transaction():
        audit.record(
            record.actor_id,
            EXPORT_ACTION,
            "export",
            name,
            {"kind": kind, "filters": record.filters, "sha256": record.sha256, "size": size},
        )
    return record


def funder_export(actor, filters: ReportFilters, progress: Progress | None = None):
    """Build, archive and audit the aggregated, suppressed funder workbook (actor None: CLI)."""
    if actor is not None:
        permissions.require(actor, "funder_reports")
    report = reporting.funder_report(filters, progress)

    def save(path: Path) -> None:
        # The workbook's own language, never the screen's: English unless one was chosen.
        with force_locale(filters.language):
            writer.funder_workbook(report).save(path)

    return _archive(actor, "funder", filters, save)


EVENT_COLUMNS = [
    Column("Event", "event", INTEGER),
    Column("Occurred at", "occurred_at", DATETIME),
    Column("Date", "date", DATE),
    Column("Site", "site"),
    Column("County", "county"),
    Column("Setting", "setting"),
    Column("Recipient type", "recipient_type"),
    Column("For others", "for_others"),
    Column("First time", "first_time"),
    Column("Age band", "age_band"),
    Column("Area", "area"),
    Column("Trained", "trained"),
    Column("Reversals reported", "reversals_reported", INTEGER),
    Column("Resupply reason", "resupply_reason"),
    Column("Language", "language"),
    Column("Supply", "supply"),
    Column("Units", "units", INTEGER),
    Column("Doses", "doses", INTEGER),
]


def _yes_no(value) -> str | None:
    return None if value is None else ("yes" if value else "no")


def raw_event_rows(filters: ReportFilters):
    """The export's query, streamed as database rows (event_rows shapes them)."""
    event = DistributionEvent
    conditions = reporting.event_conditions(filters)
    query = (
        db.select(
            event.id,
            event.occurred_at,
            Site.code,
            Site.county,
            event.setting,
            event.recipient_type,
            event.for_others,
            event.first_time,
            event.age_band,
            event.area,
            event.trained,
            event.reversals_reported,
            event.resupply_reason,
            event.language,
            Supply.code,
            DistributionLine.quantity,
            Supply.doses_per_unit,
        )
        .join(Site, Site.id == event.site_id)
        .join(DistributionLine, DistributionLine.event_id == event.id)
        .join(Supply, Supply.id == DistributionLine.supply_id)
        .where(*conditions)
        .order_by(event.occurred_at, event.id, DistributionLine.id)
        .execution_options(yield_per=1000)
    )
    return db.session.execute(query)


def event_rows(filters: ReportFilters) -> Iterator[tuple]:
    """One row per line of every non-voided event, streamed from the database, its values
    in the order of EVENT_COLUMNS.

    Events are numbered within the export; no event id, user or free text is included.
    """
    zone = clock.program_timezone()
    number, previous, local, day = 0, None, None, None
    for row in raw_event_rows(filters):
        if row[0] != previous:
            # The lines of one event follow each other: its time is worked out once.
            number, previous = number + 1, row[0]
            local = clock.sheet_time(row[1], zone)
            day = local.date()
        yield (
            number,
            local,
            day,
            row[2],  # site
            row[3],  # county
            row[4],  # setting
            row[5],  # recipient_type
            _yes_no(row[6]),  # for_others
            row[7],  # first_time
            row[8],  # age_band
            row[9],  # area
            _yes_no(row[10]),  # trained
            row[11],  # reversals_reported
            row[12],  # resupply_reason
            row[13],  # language
            row[14],  # supply
            row[15],  # units
            row[15] * row[16],  # doses
        )


def count_event_rows(filters: ReportFilters) -> int:
    """How many rows the event-level export will have (one per line of a kept event)."""
    conditions = reporting.event_conditions(filters)
    return db.session.execute(
        db.select(func.count(DistributionLine.id))
        .join(DistributionEvent, DistributionEvent.id == DistributionLine.event_id)
        .where(*conditions)
    ).scalar_one()


def events_export(actor, filters: ReportFilters, progress: RowProgress | None = None):
    """Stream the event-level workbook (admins and coordinators) into the archive."""
    if actor is not None:
        permissions.require(actor, "event_export")
    step = progress or (lambda _done: None)

    def save(path: Path) -> None:
        wb = Workbook(write_only=True)
        about = wb.create_sheet("About")
        program = current_app.config["PROGRAM_NAME"]
        timezone = current_app.config["APP_TIMEZONE"]
        with force_locale(filters.language):
            text = workbook_text.event_about_rows(filters, program, timezone, clock.now())
        writer.write_about_streaming(about, text)
        events = wb.create_sheet("Events")
        rows = _counted(event_rows(filters))
        written = writer.write_rows_streaming(events, EVENT_COLUMNS, rows, "Events")
        wb.save(path)
        step(written)

    def _counted(rows: Iterator[tuple]) -> Iterator[tuple]:
        for index, row in enumerate(rows):
            if index % PROGRESS_EVERY == 0:
                step(index)
            yield row

    return _archive(actor, "events", filters, save)


def list_exports(user, limit: int = 50) -> list[ExportRecord]:
    """Archived workbooks this user may download again, newest first."""
    query = (
        db.select(AuditEntry)
        .where(AuditEntry.action == EXPORT_ACTION)
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    if not permissions.can(user, "event_export"):
        # Funders see the aggregated workbooks they made themselves, nothing else.
        query = query.where(AuditEntry.actor_id == user.id)
    records = [_record(entry) for entry in db.session.execute(query).scalars()]
    return [r for r in records if r.kind == "funder" or permissions.can(user, "event_export")]


def makers(records: list[ExportRecord]) -> dict[int, str]:
    """Names of the staff who made these workbooks, for the archive list (never exported)."""
    ids = {r.actor_id for r in records if r.actor_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(db.select(User.id, User.name).where(User.id.in_(ids)))
    return dict(rows.all())


def _record(entry: AuditEntry) -> ExportRecord:
    changes = entry.changes or {}
    return ExportRecord(
        entry.object_id,
        changes.get("kind", "funder"),
        changes.get("filters", {}),
        changes.get("sha256", ""),
        int(changes.get("size", 0)),
        entry.occurred_at,
        entry.actor_id,
    )


def archived(user, name: str) -> ExportRecord:
    """An archived workbook the user may download again; the download is audited."""
    permissions.require(user, "funder_reports")
    if not _NAME.match(name or ""):
        raise NotFound(msg("No such workbook."))
    entry = db.session.execute(
        db.select(AuditEntry).where(
            AuditEntry.action == EXPORT_ACTION, AuditEntry.object_id == name
        )
    ).scalar_one_or_none()
    if entry is None:
        raise NotFound(msg("No such workbook."))
    record = _record(entry)
    if record.kind != "funder":
        permissions.require(user, "event_export")
    if not permissions.can(user, "event_export") and record.actor_id != user.id:
        raise Forbidden(msg("This workbook was made by someone else."))
    if not record.path.is_file():
        raise NotFound(msg("This workbook is no longer in the archive."))
    with transaction():
        audit.record(user.id, "report.download", "export", name)
    return record
