"""Supplies and the funding sources that pay for them."""

from datetime import date

from sqlalchemy import CheckConstraint, String, true
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db


class Supply(db.Model):
    """Something the program stocks and hands out, counted in whole units."""

    __tablename__ = "supplies"
    __table_args__ = (CheckConstraint("doses_per_unit >= 0", name="ck_supplies_doses"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))
    doses_per_unit: Mapped[int] = mapped_column(default=0)
    tracks_lots: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Partner agencies may ask for it on a supply request (issue 24).
    offered_to_partners: Mapped[bool] = mapped_column(default=True, server_default=true())

    def __repr__(self) -> str:
        return f"<Supply {self.code}>"


class FundingSource(db.Model):
    """A grant or budget that paid for stock, so distributed units stay attributable to it."""

    __tablename__ = "funding_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    funder: Mapped[str | None] = mapped_column(String(120))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
