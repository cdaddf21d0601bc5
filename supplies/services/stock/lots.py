"""Lots: every lot of the supplies that track them, its status and where its units are."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func

from supplies.extensions import db
from supplies.models import Balance, Batch, Site, Supply
from supplies.services.common import permissions


@dataclass
class Lot:
    """A lot of a supply: its status and where its units are."""

    supply: Supply
    lot_number: str
    expires_on: date | None
    status: str
    places: list[tuple[Site, int]] = field(default_factory=list)

    @property
    def units(self) -> int:
        """Units of the lot on hand at all sites."""
        return sum(quantity for _, quantity in self.places)


def all_lots(user, limit: int = 500) -> list[Lot]:
    """Lots of supplies that track them (the newest `limit`), with their units per site."""
    permissions.require(user, "manage_stock")
    batches = db.session.execute(
        db.select(Batch.supply_id, Batch.lot_number, Batch.expires_on, Batch.status)
        .where(Batch.lot_number.is_not(None))
        .group_by(Batch.supply_id, Batch.lot_number, Batch.expires_on, Batch.status)
        .order_by(Batch.expires_on.desc().nulls_first(), Batch.lot_number)
        .limit(limit)
    ).all()
    supplies = {s.id: s for s in db.session.execute(db.select(Supply)).scalars()}
    sites = {s.id: s for s in db.session.execute(db.select(Site)).scalars()}
    found: dict[tuple[int, str], Lot] = {}
    for supply_id, lot_number, expires_on, status in batches:
        found.setdefault(
            (supply_id, lot_number), Lot(supplies[supply_id], lot_number, expires_on, status)
        )
    units = db.session.execute(
        db.select(Batch.supply_id, Batch.lot_number, Balance.site_id, func.sum(Balance.quantity))
        .join(Balance, Balance.batch_id == Batch.id)
        .where(Batch.lot_number.is_not(None), Balance.quantity > 0)
        .group_by(Batch.supply_id, Batch.lot_number, Balance.site_id)
    )
    for supply_id, lot_number, site_id, quantity in units:
        lot = found.get((supply_id, lot_number))
        if lot is not None:
            lot.places.append((sites[site_id], int(quantity)))
    # Lots with units on hand first, each group soonest expiry first.
    return sorted(
        found.values(), key=lambda lot: (lot.units == 0, lot.expires_on or date.max, lot.lot_number)
    )
