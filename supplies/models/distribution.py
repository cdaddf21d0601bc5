"""Anonymous distribution events: what was given, where and when, never to whom."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supplies.extensions import db
from supplies.models.types import UTCDateTime, utcnow


class DistributionEvent(db.Model):
    """One encounter. Holds no name, birth date, address, phone or free text about anyone."""

    __tablename__ = "distribution_events"
    __table_args__ = (
        Index("ix_distribution_events_site_occurred", "site_id", "occurred_at"),
        # The funder report's period over every site.
        Index("ix_distribution_events_occurred", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    setting: Mapped[str] = mapped_column(String(16))
    recipient_type: Mapped[str | None] = mapped_column(String(32))
    for_others: Mapped[bool | None]
    first_time: Mapped[str | None] = mapped_column(String(8))
    age_band: Mapped[str | None] = mapped_column(String(8))
    area: Mapped[str | None] = mapped_column(String(40))
    # None: not asked (DESIGN.md); only an answer is recorded as true or false.
    trained: Mapped[bool | None]
    reversals_reported: Mapped[int] = mapped_column(default=0)
    resupply_reason: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(8))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(String(200))
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    site = relationship("Site", lazy="joined")
    lines = relationship(
        "DistributionLine", lazy="selectin", order_by="DistributionLine.id", viewonly=True
    )


class DistributionLine(db.Model):
    """How many units of one supply an event handed out."""

    __tablename__ = "distribution_lines"
    __table_args__ = (Index("ix_distribution_lines_event", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("distribution_events.id"))
    supply_id: Mapped[int] = mapped_column(ForeignKey("supplies.id"))
    quantity: Mapped[int]

    supply = relationship("Supply", lazy="joined")
