"""Background jobs and the files they take and make, kept in the database for every server.

A job's state, progress and heartbeat live in `jobs`; an upload, an archived workbook or an
import's list of refused rows lives in `stored_files` (what it is) and `stored_file_chunks`
(its bytes, 1 MiB a row), so any app server can show a job and serve its file, and a backup
of the database holds them too.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db
from supplies.models.types import UTCDateTime, utcnow


class StoredFile(db.Model):
    """A file named within its kind (an upload by its SHA-256, a workbook by its archive name)."""

    __tablename__ = "stored_files"
    __table_args__ = (
        UniqueConstraint("kind", "name", name="uq_stored_files_kind_name"),
        Index("ix_stored_files_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    # What a person called it (an upload's own file name), shown and used to read it.
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Purged after this moment; None: kept.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StoredFileChunk(db.Model):
    """One piece of a stored file's bytes, in order."""

    __tablename__ = "stored_file_chunks"

    file_id: Mapped[int] = mapped_column(
        ForeignKey("stored_files.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Job(db.Model):
    """One piece of background work: queued, running (with a heartbeat), done or failed."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_key_created_at", "key", "created_at"),
        Index("ix_jobs_status_heartbeat_at", "status", "heartbeat_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # What the job is about, for finding the latest job of an upload ("import:<sha256>:...").
    key: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    params: Mapped[dict] = mapped_column(JSON)
    # What the job found or made (a preview, a summary); messages as template and values.
    result: Mapped[dict | None] = mapped_column(JSON)
    message: Mapped[dict | str | None] = mapped_column(JSON)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    # Which process runs it (host:pid), so a stale heartbeat can be told from a busy one.
    worker: Mapped[str | None] = mapped_column(String(200))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
