"""Partner agencies' supply requests and monthly reports (DESIGN.md: Supply request,
Partner report). A report is aggregate only: units per supply, and optional counts."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supplies.extensions import db
from supplies.models.types import UTCDateTime, utcnow


class SupplyRequest(db.Model):
    """A partner's list of supplies and quantities, from submission to fulfilment.

    Its id is the client's operation id of the submission. Fulfilment is one transfer
    (transfer_id: that transfer's operation id, whose result is the packing slip).
    """

    __tablename__ = "supply_requests"
    __table_args__ = (
        Index("ix_supply_requests_status_created", "status", "created_at"),
        Index("ix_supply_requests_site_created", "site_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    status: Mapped[str] = mapped_column(String(16))
    needed_by: Mapped[date | None]
    decline_reason: Mapped[str | None] = mapped_column(String(32))
    from_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    transfer_id: Mapped[str | None] = mapped_column(String(36))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site = relationship("Site", lazy="joined", foreign_keys=[site_id])
    from_site = relationship("Site", lazy="joined", foreign_keys=[from_site_id])
    lines = relationship(
        "SupplyRequestLine",
        lazy="selectin",
        order_by="SupplyRequestLine.position",
        cascade="all, delete-orphan",
    )


class SupplyRequestLine(db.Model):
    """Units of one supply asked for, and how many a coordinator approved (None: not yet)."""

    __tablename__ = "supply_request_lines"
    __table_args__ = (
        UniqueConstraint("request_id", "supply_id", name="uq_supply_request_lines_supply"),
        CheckConstraint("requested > 0", name="ck_supply_request_lines_requested"),
        CheckConstraint(
            "approved IS NULL OR (approved >= 0 AND approved <= requested)",
            name="ck_supply_request_lines_approved",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("supply_requests.id"))
    supply_id: Mapped[int] = mapped_column(ForeignKey("supplies.id"))
    requested: Mapped[int]
    approved: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    supply = relationship("Supply", lazy="joined")


class PartnerReport(db.Model):
    """What a partner agency handed out in one month (month: its first day); one per
    agency and month, corrected in place until the month's quarter closes (audited)."""

    __tablename__ = "partner_reports"
    __table_args__ = (
        UniqueConstraint("site_id", "month", name="uq_partner_reports_site_month"),
        CheckConstraint("encounters IS NULL OR encounters >= 0", name="ck_partner_reports_enc"),
        CheckConstraint(
            "reversals_reported IS NULL OR reversals_reported >= 0",
            name="ck_partner_reports_reversals",
        ),
        Index("ix_partner_reports_month", "month"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    month: Mapped[date]
    encounters: Mapped[int | None]
    reversals_reported: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site = relationship("Site", lazy="joined")
    lines = relationship(
        "PartnerReportLine",
        lazy="selectin",
        order_by="PartnerReportLine.supply_id",
        cascade="all, delete-orphan",
    )


class PartnerReportLine(db.Model):
    """Units of one supply a partner reports handing out in the report's month."""

    __tablename__ = "partner_report_lines"
    __table_args__ = (
        UniqueConstraint("report_id", "supply_id", name="uq_partner_report_lines_supply"),
        CheckConstraint("quantity >= 0", name="ck_partner_report_lines_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("partner_reports.id"))
    supply_id: Mapped[int] = mapped_column(ForeignKey("supplies.id"))
    quantity: Mapped[int]

    supply = relationship("Supply", lazy="joined")
