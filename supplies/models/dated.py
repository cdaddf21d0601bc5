"""Dated facts the ledger reads in business time: lot status changes and quarter closes."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db
from supplies.models.types import UTCDateTime, utcnow


class LotStatusChange(db.Model):
    """A lot quarantined, recalled or released from a moment on, at every site at once.

    A lot's status at a moment is its latest change at or before it (available before the
    first); Batch.status keeps the latest of all, for the screens of today.
    """

    __tablename__ = "lot_status_changes"
    __table_args__ = (Index("ix_lot_status_changes_lot", "supply_id", "lot_number", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supply_id: Mapped[int] = mapped_column(ForeignKey("supplies.id"))
    lot_number: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class QuarterState(db.Model):
    """A reporting quarter closed early or reopened by an admin (audited).

    Without a row a quarter closes by itself REPORTING_CLOSE_DAYS after it ends; the
    latest row for a quarter overrides that.
    """

    __tablename__ = "quarter_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_on: Mapped[date] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
