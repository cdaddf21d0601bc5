"""Physical count sessions: a site's shelf count, entered, reviewed, then confirmed."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db
from supplies.models.types import UTCDateTime, utcnow


class CountSession(db.Model):
    """One count of a site's shelves; its lines become count movements only once confirmed."""

    __tablename__ = "count_sessions"
    __table_args__ = (Index("ix_count_sessions_site_status", "site_id", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{supply, lot_number, expected, counted}] as entered; expected is the books at entry.
    lines: Mapped[list] = mapped_column(JSON)
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
