"""Lots: find a lot by number, supply, status, expiry or site, a page at a time, and what a
status change would reach (the units and sites a recall takes out of use)."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, literal

from supplies.extensions import db
from supplies.models import Balance, Batch, Site, Supply
from supplies.services import catalog
from supplies.services.common import clock, permissions
from supplies.services.common import validation as v
from supplies.services.common.errors import NotFound
from supplies.services.common.messages import msg
from supplies.vocab import BATCH_STATUSES

PAGE_SIZE = 25
EXPIRING_WITHIN = (30, 60, 90, 180)


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

    @property
    def expired(self) -> bool:
        """Whether the lot is past its expiry today."""
        return self.expires_on is not None and self.expires_on < clock.today()


@dataclass(frozen=True)
class LotQuery:
    """What the lots page looks for; odd values from a query string fall back to none."""

    supply: str = ""
    lot: str = ""
    status: str = ""
    within: int | None = None
    site: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, args) -> "LotQuery":
        """The search from a query string's values."""
        within = str(args.get("within", "")).strip()
        page = str(args.get("page", "")).strip()
        status = str(args.get("status", ""))
        return cls(
            supply=str(args.get("supply", ""))[:32],
            lot=str(args.get("lot", "")).strip()[:64],
            status=status if status in BATCH_STATUSES else "",
            within=int(within) if within.isdigit() and int(within) in EXPIRING_WITHIN else None,
            site=str(args.get("site", ""))[:32],
            page=int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100000 else 1,
        )

    def args(self, **changes) -> dict:
        """The search as query-string values (blank ones left out), with changes."""
        values = {
            "supply": self.supply,
            "lot": self.lot,
            "status": self.status,
            "within": self.within or "",
            "site": self.site,
            "page": self.page if self.page > 1 else "",
            **changes,
        }
        return {key: value for key, value in values.items() if value not in ("", None)}


@dataclass
class LotPage:
    """One page of the lots found, and how many there are."""

    lots: list[Lot]
    total: int
    query: LotQuery
    pages: int = 1


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(user, query: LotQuery) -> LotPage:
    """Lots of supplies that track them matching the search, lots with units first, each
    group soonest expiry first; with their units per site (the page's lots only)."""
    permissions.require(user, "manage_stock")
    today = clock.today()
    # Codes are codes and lot numbers plain text: anything else finds nothing (PostgreSQL
    # refuses a NUL byte in a query, and no lot number holds a control character).
    unfindable = (query.site and not v.is_code(query.site)) or (
        query.supply and not v.is_code(query.supply)
    )
    if unfindable or (query.lot and not v.is_plain_text(query.lot)):
        return LotPage([], 0, query)
    at_site = None
    if query.site:
        at_site = db.session.execute(
            db.select(Site.id).where(Site.code == query.site)
        ).scalar_one_or_none()
        if at_site is None:
            return LotPage([], 0, query)
    units = func.coalesce(func.sum(Balance.quantity), 0)
    lots = (
        db.select(
            Batch.supply_id,
            Batch.lot_number,
            func.min(Batch.expires_on).label("expires_on"),
            func.max(Batch.status).label("status"),
            units.label("units"),
        )
        .outerjoin(Balance, and_(Balance.batch_id == Batch.id, Balance.quantity > 0))
        .where(Batch.lot_number.is_not(None))
        .group_by(Batch.supply_id, Batch.lot_number)
    )
    if query.supply:
        lots = lots.join(Supply, Supply.id == Batch.supply_id).where(Supply.code == query.supply)
    if query.lot:
        lots = lots.where(Batch.lot_number.ilike(f"%{_escape(query.lot)}%", escape="\\"))
    if query.status:
        lots = lots.where(Batch.status == query.status)
    if query.within:
        horizon = today + timedelta(days=query.within)
        lots = lots.where(Batch.expires_on >= today, Batch.expires_on <= horizon)
    if at_site is not None:
        here = func.sum(case((Balance.site_id == at_site, Balance.quantity), else_=literal(0)))
        lots = lots.having(here > 0)
    found = lots.subquery()
    total = db.session.execute(db.select(func.count()).select_from(found)).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(query.page, pages)
    rows = db.session.execute(
        db.select(found)
        .order_by(
            (found.c.units == 0),
            found.c.expires_on.asc().nulls_last(),
            found.c.lot_number,
            found.c.supply_id,
        )
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    supplies = {s.id: s for s in catalog.list_supplies()}
    shown = [Lot(supplies[r.supply_id], r.lot_number, r.expires_on, r.status) for r in rows]
    _add_places(shown)
    return LotPage(shown, total, LotQuery(**{**query.__dict__, "page": page}), pages)


def _add_places(shown: list[Lot]) -> None:
    if not shown:
        return
    by_key = {(lot.supply.id, lot.lot_number): lot for lot in shown}
    places = db.session.execute(
        db.select(Batch.supply_id, Batch.lot_number, Site, func.sum(Balance.quantity))
        .join(Balance, Balance.batch_id == Batch.id)
        .join(Site, Site.id == Balance.site_id)
        .where(
            Batch.lot_number.in_({lot.lot_number for lot in shown}),
            Batch.supply_id.in_({lot.supply.id for lot in shown}),
            Balance.quantity > 0,
        )
        .group_by(Batch.supply_id, Batch.lot_number, Site.id)
        .order_by(Site.name)
    )
    for supply_id, lot_number, site, quantity in places:
        lot = by_key.get((supply_id, lot_number))
        if lot is not None:
            lot.places.append((site, int(quantity)))


def lot(user, supply_code: str, lot_number: str) -> Lot:
    """One lot with its units per site (a status change's confirmation names them)."""
    permissions.require(user, "manage_stock")
    supply = catalog.supplies_by_code([supply_code]).get(supply_code) if supply_code else None
    row = None
    if supply is not None and lot_number and v.is_plain_text(lot_number):
        row = db.session.execute(
            db.select(func.min(Batch.expires_on), func.max(Batch.status)).where(
                Batch.supply_id == supply.id, Batch.lot_number == lot_number
            )
        ).one()
    if row is None or row[1] is None:
        raise NotFound(msg("No lot %(lot_number)s of this supply.", lot_number=lot_number))
    found = Lot(db.session.get(Supply, supply.id), lot_number, row[0], row[1])
    _add_places([found])
    return found
