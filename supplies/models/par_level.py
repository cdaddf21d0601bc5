"""Par levels: the minimum and target stock of a supply at a site."""

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db


class ParLevel(db.Model):
    """Below minimum is low stock; the restock suggestion is target minus on hand."""

    __tablename__ = "par_levels"
    __table_args__ = (
        UniqueConstraint("site_id", "supply_id", name="uq_par_levels_site_supply"),
        CheckConstraint("minimum >= 0 AND target >= minimum", name="ck_par_levels_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    supply_id: Mapped[int] = mapped_column(ForeignKey("supplies.id"))
    minimum: Mapped[int]
    target: Mapped[int]
