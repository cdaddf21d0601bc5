"""Bundles: a named set of supplies and quantities handed out together (DESIGN.md, Domain)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supplies.extensions import db
from supplies.models.types import UTCDateTime, utcnow


class Bundle(db.Model):
    """One tap on the distribution screen; it records ordinary lines, never itself.

    A bundle without a site is offered at every site (the program's); with one, only there.
    """

    __tablename__ = "bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site = relationship("Site", lazy="joined")
    lines = relationship(
        "BundleLine",
        lazy="selectin",
        order_by="BundleLine.position",
        cascade="all, delete-orphan",
    )


class BundleLine(db.Model):
    """How many units of one supply a bundle adds to the form."""

    __tablename__ = "bundle_lines"
    __table_args__ = (
        UniqueConstraint("bundle_id", "supply_id", name="uq_bundle_lines_bundle_supply"),
        CheckConstraint("quantity > 0", name="ck_bundle_lines_quantity"),
        Index("ix_bundle_lines_bundle", "bundle_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundles.id"))
    supply_id: Mapped[int] = mapped_column(ForeignKey("supplies.id"))
    quantity: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)

    supply = relationship("Supply", lazy="joined")
