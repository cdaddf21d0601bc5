"""Spreadsheets imported, by their SHA-256, so the same file is not imported twice by mistake."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
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
