"""Generating, archiving and listing workbooks: every one is kept in the database and audited.

The archive is the stored files of kind "export" (services/db/files.py), so any app server
can hand out a workbook another one made; EXPORT_KEEP_DAYS says how long one is kept.
EXPORT_DIR is only where the command line writes its copy.
"""

import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func

from supplies.extensions import db
from supplies.models import AuditEntry, DistributionEvent, DistributionLine, Site, Supply, User
from supplies.services import areas
from supplies.services.common import clock, collector, permissions
from supplies.services.common import schema as s
from supplies.services.common import validation as v
from supplies.services.common.errors import Forbidden, NotFound
from supplies.services.common.messages import msg
from supplies.services.db import audit, files
from supplies.services.db.unit_of_work import transaction
from supplies.services.reporting import report as reporting
from supplies.services.reporting.fingerprint import report_fingerprint
from supplies.services.reporting.report import ReportFilters
from supplies.services.reporting.workbook import text as workbook_text
from supplies.services.reporting.workbook import writer
from supplies.services.reporting.workbook.writer import DATE, DATETIME, INTEGER, Column
from supplies.vocab import INTERFACE_LANGUAGES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_ACTION = "report.export"
KINDS = {"funder": msg("Funder workbook"), "events": msg("Event-level workbook")}
_NAME = re.compile(r"^(funder|events)-[0-9]{4}-[0-9]{2}-[0-9]{2}-to-[0-9-]{10}-[0-9a-f]{16}\.xlsx$")
Progress = Callable[[str], None]
RowProgress = Callable[[int], None]
PROGRESS_EVERY = 1000


def _optional_code(value):
    return None if value is None or value == "" else v.code(value)


# POST /api/v1/exports/events: the event-level workbook of a period, made in the background.
EVENT_EXPORT = s.Body(
    "EventExport",
    "The event-level workbook of a period (admins and coordinators), written in the "
    "background: the answer names the job to follow (GET /jobs/{id}) and download.",
    operation_id="optional",
    start=s.Field(
        s.DATE_SCHEMA,
        partial(v.iso_date, required=True),
        required=True,
        description="First day, inclusive (APP_TIMEZONE).",
    ),
    end=s.Field(
        s.DATE_SCHEMA,
        partial(v.iso_date, required=True),
        required=True,
        description="Last day, inclusive.",
    ),
    site=s.Field(
        s.CODE_SCHEMA, _optional_code, nullable=True, description="A site's code; absent: all."
    ),
    language=s.choice(
        INTERFACE_LANGUAGES,
        description="The workbook's language (default en); column names stay English.",
    ),
)


def event_export_filters(body: dict) -> ReportFilters:
    """The filters of an EVENT_EXPORT body, every bad field named."""
    fields = v.Fields()
    values = EVENT_EXPORT.read(body, fields)
    fields.raise_if_any(msg("Some report filters are not valid."))
    site = values["site"]
    return reporting.make_filters(
        values["start"].isoformat(),
        values["end"].isoformat(),
        [site] if site else [],
        None,
        values["language"] or "en",
    )


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
    def download_name(self) -> str:
        """The name a download is saved under: its kind and period."""
        start, end = self.filters.get("start"), self.filters.get("end")
        return f"{self.kind}-report-{start}-to-{end}.xlsx"


def export_dir() -> Path:
    """Where the command line writes its copy of a workbook (EXPORT_DIR), made on first use."""
    path = Path(current_app.config["EXPORT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def archive_name(kind: str, filters: ReportFilters, token: str | None = None) -> str:
    """A workbook's name in the archive; a job passes its own token, so a retry reuses it."""
    return f"{kind}-{filters.start}-to-{filters.end}-{token or uuid.uuid4().hex[:16]}.xlsx"


def _expiry() -> datetime | None:
    days = current_app.config.get("EXPORT_KEEP_DAYS", 0)
    return clock.now() + timedelta(days=days) if days else None


def _archive(
    actor, kind: str, filters: ReportFilters, save: Callable[[Path], None], name: str | None
):
    """Save a workbook, store it in the archive and write the audit record, in one transaction."""
    name = name or archive_name(kind, filters)
    with tempfile.TemporaryDirectory(prefix="supplies-export-") as folder:
        partial = Path(folder) / name
        save(partial)
        with transaction():
            stored = files.save(files.EXPORT, name, partial, name, XLSX, _expiry())
            record = ExportRecord(
                name,
                kind,
                filters.as_dict(),
                stored.sha256,
                stored.size,
                clock.now(),
                actor and actor.id,
            )
            audit.record(
                record.actor_id,
                EXPORT_ACTION,
                "export",
                name,
                {
                    "kind": kind,
                    "filters": record.filters,
                    "sha256": record.sha256,
                    "size": record.size,
                },
            )
    return record


def stored_file(record: ExportRecord):
    """The archived workbook's stored file, or None once purged."""
    return files.find(files.EXPORT, record.name)


def read_archive(record: ExportRecord) -> bytes:
    """The archived workbook's bytes (a workbook to check, a copy for the command line)."""
    stored = stored_file(record)
    if stored is None:
        raise NotFound(msg("This workbook is no longer in the archive."))
    return files.read_bytes(stored)


def record_of(name: str, actor_id: int | None = None) -> ExportRecord | None:
    """The archive's record of a workbook by name (its audit entry), or None.

    A funder workbook handed out again (the same filters and data) has an entry per person
    it was made for: actor_id picks that person's, else the first one is given.
    """
    query = db.select(AuditEntry).where(
        AuditEntry.action == EXPORT_ACTION, AuditEntry.object_id == name
    )
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    entry = db.session.execute(query.order_by(AuditEntry.id).limit(1)).scalar_one_or_none()
    return None if entry is None else _record(entry)


def _reuse(actor, name: str) -> ExportRecord | None:
    """The archived workbook of that name, handed out again (and audited), if it is there."""
    earlier = record_of(name)
    if earlier is None or stored_file(earlier) is None:
        return None
    actor_id = actor and actor.id
    if actor_id is None:  # the command line
        own = earlier if earlier.actor_id is None else None
    else:
        own = record_of(name, actor_id)
    with transaction():
        if own is not None:
            audit.record(actor_id, "report.download", "export", name)
            return own
        # Made for someone else first: this person's own entry, so their archive lists it.
        changes = {
            "kind": earlier.kind,
            "filters": earlier.filters,
            "sha256": earlier.sha256,
            "size": earlier.size,
        }
        audit.record(actor_id, EXPORT_ACTION, "export", name, changes)
    return ExportRecord(
        name,
        earlier.kind,
        earlier.filters,
        earlier.sha256,
        earlier.size,
        earlier.created_at,
        actor_id,
    )


def funder_export(
    actor, filters: ReportFilters, progress: Progress | None = None, reuse: bool = True
):
    """Build, archive and audit the aggregated, suppressed funder workbook (actor None: CLI).

    reuse=False writes the workbook even when the same one is archived (the benchmark).
    """
    if actor is not None:
        permissions.require(actor, "funder_reports")
    with collector.paused():
        report = reporting.funder_report(filters, progress)
        # Named by what it shows: the same request over the same data gets the same file.
        fingerprint = report_fingerprint(report)[:16]
        name = archive_name("funder", filters, fingerprint if reuse else None)
        reused = _reuse(actor, name) if reuse else None
        if reused is not None:
            return reused

        def save(path: Path) -> None:
            # The workbook's own language, never the screen's: English unless one was chosen.
            with force_locale(filters.language):
                writer.funder_workbook(report).save(path)

        return _archive(actor, "funder", filters, save, name)


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
    # An area not on the program's list (typed freely before there was one) never verbatim.
    listed = areas.listed_names()
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
            areas.exported(row[9], listed),  # area
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


def events_export(
    actor, filters: ReportFilters, progress: RowProgress | None = None, name: str | None = None
):
    """Stream the event-level workbook (admins and coordinators) into the archive.

    `name`: the archive name to use (a job's own, see archive_name), else a fresh one.
    """
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

    return _archive(actor, "events", filters, save, name)


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
    record = record_of(name)
    if record is None:
        raise NotFound(msg("No such workbook."))
    if record.kind != "funder":
        permissions.require(user, "event_export")
    if not permissions.can(user, "event_export"):
        record = record_of(name, user.id)  # a funder's own entry for it, if any
        if record is None:
            raise Forbidden(msg("This workbook was made by someone else."))
    if stored_file(record) is None:
        raise NotFound(msg("This workbook is no longer in the archive."))
    with transaction():
        audit.record(user.id, "report.download", "export", name)
    return record
