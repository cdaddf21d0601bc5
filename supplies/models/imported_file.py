"""Spreadsheets imported, by their SHA-256, so the same file is not imported twice by mistake."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db
from supplies.models.types import UTCDateTime, utcnow


class ImportedFile(db.Model):
    """One import of a file; `copy` counts forced re-imports (0 for the first)."""

    __tablename__ = "imported_files"
    __table_args__ = (UniqueConstraint("sha256", "copy", name="uq_imported_files_sha256_copy"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    copy: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int]
    forced: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    operation_id: Mapped[str] = mapped_column(String(36))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Counts only (rows, units, events per site and supply): never a cell of the file.
    summary: Mapped[dict] = mapped_column(JSON)


class ImportRun(db.Model):
    """One attempt at writing a checked file, in short transactions, all or nothing.

    The checked plan is staged here (compressed); `steps_done` counts the receipts or
    events committed, in the same transaction as each chunk, so a retry resumes exactly
    where the last one stopped. state: applying, reversing (a chunk was refused: what was
    written is being undone), done, reversed. See services/imports/applying.py.
    """

    __tablename__ = "import_runs"
    __table_args__ = (
        UniqueConstraint("sha256", "copy", "attempt", name="uq_import_runs_sha256_copy_attempt"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    copy: Mapped[int] = mapped_column(default=0)
    attempt: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16), default="applying")
    steps_total: Mapped[int]
    steps_done: Mapped[int] = mapped_column(default=0)
    steps_reversed: Mapped[int] = mapped_column(default=0)
    # The checked plan as compressed JSON: rows of the file's cells never, only what the
    # services write (codes, ids, quantities, dates, the event's coded fields).
    plan: Mapped[bytes] = mapped_column(LargeBinary)
    summary: Mapped[dict] = mapped_column(JSON)
    errors: Mapped[list | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
