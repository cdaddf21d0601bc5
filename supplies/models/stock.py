"""The stock ledger: batches, on-hand balances and append-only movements."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supplies.extensions import db
from supplies.models.types import UTCDateTime, utcnow


class Batch(db.Model):
    """Units from one receipt line: one lot, expiry and funding source, wherever they move."""

    __tablename__ = "batches"
    __table_args__ = (
        Index("ix_batches_supply_lot", "supply_id", "lot_number"),
        Index("ix_batches_supply_expiry", "supply_id", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supply_id: Mapped[int] = mapped_column(ForeignKey("supplies.id"))
    lot_number: Mapped[str | None] = mapped_column(String(64))
    expires_on: Mapped[date | None]
    funding_source_id: Mapped[int | None] = mapped_column(ForeignKey("funding_sources.id"))
    status: Mapped[str] = mapped_column(String(16), default="available")
    source: Mapped[str] = mapped_column(String(16), default="purchase")
    received_on: Mapped[date | None]
    received_at_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set while the import that received it is still being written: no removal takes
    # from it until the import is done, so undoing a failed import finds every unit.
    import_id: Mapped[str | None] = mapped_column(String(36), index=True)

    supply = relationship("Supply", lazy="joined")
    funding_source = relationship("FundingSource", lazy="joined")


class Balance(db.Model):
    """Units on hand of one batch at one site, kept in step with the movements."""

    __tablename__ = "balances"
    __table_args__ = (
        UniqueConstraint("site_id", "batch_id", name="uq_balances_site_batch"),
        CheckConstraint("quantity >= 0", name="ck_balances_not_negative"),
        # Covering: the overview sums every site's stock from the index alone.
        Index("ix_balances_site_supply_batch", "site_id", "supply_id", "batch_id", "quantity"),
        # By batch: lots to watch, and the few batches that cannot be handed out.
        Index("ix_balances_batch_site", "batch_id", "site_id", "supply_id", "quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    supply_id: Mapped[int] = mapped_column(ForeignKey("supplies.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    quantity: Mapped[int] = mapped_column(default=0)


class Movement(db.Model):
    """One signed change of stock; never edited, reversed by a void."""

    __tablename__ = "movements"
    __table_args__ = (
        Index("ix_movements_site_supply_occurred", "site_id", "supply_id", "occurred_at"),
        # Covering: the weekly chart sums distributions and voids per supply and week from
        # the index alone, already in supply order.
        Index(
            "ix_movements_kind_supply_occurred",
            "kind",
            "supply_id",
            "occurred_at",
            "site_id",
            "quantity",
        ),
        # Covering: the funder report reads only movements from the period's start on.
        Index(
            "ix_movements_occurred_covering",
            "occurred_at",
            "kind",
            "site_id",
            "supply_id",
            "batch_id",
            "quantity",
        ),
        Index("ix_movements_operation", "operation_id"),
        Index("ix_movements_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    supply_id: Mapped[int] = mapped_column(ForeignKey("supplies.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    quantity: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Deferred: the operation row is written last, once its result is known.
    operation_id: Mapped[str] = mapped_column(
        ForeignKey("operations.id", deferrable=True, initially="DEFERRED")
    )
