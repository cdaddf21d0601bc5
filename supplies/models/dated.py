"""Dated facts the ledger reads in business time: lot status changes and quarter closes,
and the sums over a closed quarter's events that its close makes final."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
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


class QuarterCounts(db.Model):
    """Sums over one closed quarter's events, kept once worked out (reporting/quarter_counts).

    The stamp says what they were read from; sums whose stamp no longer matches the
    quarter's events are never used, so a kept number cannot outlive a change.
    """

    __tablename__ = "quarter_counts"
    __table_args__ = (UniqueConstraint("starts_on", name="uq_quarter_counts_starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_on: Mapped[date]
    stamp: Mapped[str] = mapped_column(String(200))
    counts: Mapped[dict] = mapped_column(JSON)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
