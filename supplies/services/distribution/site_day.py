"""What the distribution screen shows about one site: its supplies, stock and recent events.

Reads only. Stock comes from the balance table, recent use from events at the site
(indexed by site and time), never from summing the ledger.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func

from supplies.extensions import db
from supplies.models import (
    Balance,
    Batch,
    DistributionEvent,
    DistributionLine,
    ParLevel,
    Site,
    Supply,
)
from supplies.services.common import clock, permissions
from supplies.services.common.errors import Forbidden, NotFound
from supplies.services.common.messages import msg
from supplies.services.distribution.events import VOID_WINDOW

# How far back "given most at this site" looks when ordering the supplies.
POPULAR_WINDOW = timedelta(days=90)
RECENT_LIMIT = 200


@dataclass(frozen=True)
class SiteSupply:
    """One supply as the screen lists it: on hand, usable now, and its par minimum."""

    id: int
    code: str
    name: str
    unit: str
    usable: int
    on_hand: int
    minimum: int | None

    @property
    def low(self) -> bool:
        """Below the site's par minimum (usable units only count)."""
        return self.minimum is not None and self.usable < self.minimum

    @property
    def held(self) -> int:
        """Units on hand that cannot be handed out (expired, quarantined or recalled)."""
        return self.on_hand - self.usable


@dataclass(frozen=True)
class RecentEvent:
    """An event in the "today at this site" list."""

    event: DistributionEvent
    voidable: bool
    today: bool


def distribution_sites(user) -> list[Site]:
    """Active sites where the user may log distributions, by code."""
    if not permissions.can(user, "distribute"):
        return []
    query = db.select(Site).where(Site.active.is_(True)).order_by(Site.code)
    visible = permissions.visible_site_ids(user)
    if visible is not None:
        query = query.where(Site.id.in_(visible))
    return list(db.session.execute(query).scalars())


def site_for_distribution(user, code: str) -> Site:
    """The active site with this code, if the user may log distributions there."""
    site = db.session.execute(
        db.select(Site).where(Site.code == code, Site.active.is_(True))
    ).scalar_one_or_none()
    if site is None:
        raise NotFound(msg("No such site."))
    if not permissions.can(user, "distribute", site.id):
        raise Forbidden(msg("You cannot log distributions at this site."))
    return site


def site_supplies(site_id: int) -> list[SiteSupply]:
    """Active supplies held at the site or given a par level there, most given first."""
    today = clock.today()
    usable_case = case(
        (
            (Batch.status == "available")
            & (Batch.expires_on.is_(None) | (Batch.expires_on >= today)),
            Balance.quantity,
        ),
        else_=0,
    )
    stock = (
        db.select(
            Balance.supply_id,
            func.sum(Balance.quantity).label("on_hand"),
            func.sum(usable_case).label("usable"),
        )
        .join(Batch, Batch.id == Balance.batch_id)
        .where(Balance.site_id == site_id)
        .group_by(Balance.supply_id)
        .subquery()
    )
    par = db.select(ParLevel.supply_id, ParLevel.minimum).where(ParLevel.site_id == site_id)
    par = par.subquery()
    given = (
        db.select(DistributionLine.supply_id, func.sum(DistributionLine.quantity).label("given"))
        .join(DistributionEvent, DistributionEvent.id == DistributionLine.event_id)
        .where(
            DistributionEvent.site_id == site_id,
            DistributionEvent.occurred_at >= clock.now() - POPULAR_WINDOW,
            DistributionEvent.voided_at.is_(None),
        )
        .group_by(DistributionLine.supply_id)
        .subquery()
    )
    rows = db.session.execute(
        db.select(
            Supply.id,
            Supply.code,
            Supply.name,
            Supply.unit,
            func.coalesce(stock.c.usable, 0),
            func.coalesce(stock.c.on_hand, 0),
            par.c.minimum,
        )
        .outerjoin(stock, stock.c.supply_id == Supply.id)
        .outerjoin(par, par.c.supply_id == Supply.id)
        .outerjoin(given, given.c.supply_id == Supply.id)
        .where(
            Supply.active.is_(True),
            stock.c.supply_id.is_not(None) | par.c.supply_id.is_not(None),
        )
        .order_by(func.coalesce(given.c.given, 0).desc(), Supply.name, Supply.code)
    )
    return [
        SiteSupply(id_, code, name, unit, int(usable), int(on_hand), minimum)
        for id_, code, name, unit, usable, on_hand, minimum in rows
    ]


def recent_events(user, site_id: int, now: datetime | None = None) -> list[RecentEvent]:
    """Today's events at the site, plus the user's own from the last 24 hours, newest first."""
    permissions.require(user, "see_events", site_id)
    now = now or clock.now()
    start = clock.start_of_day(clock.local_date(now))
    mine_since = now - VOID_WINDOW
    events = db.session.execute(
        db.select(DistributionEvent)
        .where(
            DistributionEvent.site_id == site_id,
            (DistributionEvent.occurred_at >= start)
            | (
                (DistributionEvent.user_id == user.id)
                & (DistributionEvent.recorded_at >= mine_since)
            ),
        )
        .order_by(DistributionEvent.occurred_at.desc(), DistributionEvent.id)
        .limit(RECENT_LIMIT)
    ).scalars()
    void_any = permissions.can(user, "void_any")
    return [
        RecentEvent(
            event,
            event.voided_at is None
            and (void_any or (event.user_id == user.id and event.recorded_at >= mine_since)),
            event.occurred_at >= start,
        )
        for event in events
    ]
