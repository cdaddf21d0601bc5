"""What the distribution screen shows about one site: its supplies, stock and recent events.

Reads only. Stock comes from the balance table, recent use from events at the site
(indexed by site and time), never from summing the ledger.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

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
    User,
)
from supplies.services.common import clock, permissions
from supplies.services.common.errors import Forbidden, NotFound, ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db.unit_of_work import transaction
from supplies.services.distribution.events import VOID_WINDOW
from supplies.vocab import PARTNER_KIND

# How far back "given most at this site" looks when ordering the supplies.
POPULAR_WINDOW = timedelta(days=90)
# The day's own page lists at most this many (the newest).
RECENT_LIMIT = 200
# "Today, briefly": the screen lists this many; the rest are on the day's own page, so a
# busy day (hundreds of events) does not weigh on the screen (issue 26).
TODAY_SHOWN = 10
# Supplies shown open on the screen (most given first); the rest fold away.
FIRST_SUPPLIES = 5
# A paper tally may be typed in up to this many days after the shift.
BACK_DATING_DAYS = 7


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
    given: int = 0

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
    """Active program sites where the user may log distributions, by code (a partner
    agency reports what it hands out each month instead)."""
    if not permissions.can(user, "distribute"):
        return []
    query = (
        db.select(Site).where(Site.active.is_(True), Site.kind != PARTNER_KIND).order_by(Site.code)
    )
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
    if site.kind == PARTNER_KIND:
        raise NotFound(msg("No such site."))  # distributions are never logged there
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
            func.coalesce(given.c.given, 0),
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
        SiteSupply(id_, code, name, unit, int(usable), int(on_hand), minimum, int(given))
        for id_, code, name, unit, usable, on_hand, minimum, given in rows
    ]


def split_supplies(
    supplies: list[SiteSupply], keep_open: set[int]
) -> tuple[list[SiteSupply], list[SiteSupply]]:
    """(shown, folded): the most given first, plus those in keep_open (a bundle's, one
    holding a value or an error); the order stays most given first."""
    first = {supply.id for supply in supplies[:FIRST_SUPPLIES]} | keep_open
    return (
        [supply for supply in supplies if supply.id in first],
        [supply for supply in supplies if supply.id not in first],
    )


@dataclass(frozen=True)
class TodayBriefly:
    """The screen's "today": its first events (the user's own first) and how many in all."""

    first: list[RecentEvent]
    total: int


def today_briefly(user, site_id: int, now: datetime | None = None) -> TodayBriefly:
    """The user's own recent events first, then the others' of today, newest first each;
    TODAY_SHOWN of them (read as such, not all of a busy day), and how many there are."""
    permissions.require(user, "see_events", site_id)
    now = now or clock.now()
    start, mine_since = _window(now)
    newest = (DistributionEvent.occurred_at.desc(), DistributionEvent.id)
    own = list(
        db.session.execute(
            db.select(DistributionEvent)
            .where(
                DistributionEvent.site_id == site_id,
                DistributionEvent.user_id == user.id,
                (DistributionEvent.occurred_at >= start)
                | (DistributionEvent.recorded_at >= mine_since),
            )
            .order_by(*newest)
            .limit(TODAY_SHOWN)
        ).scalars()
    )
    others = []
    if len(own) < TODAY_SHOWN:
        others = db.session.execute(
            db.select(DistributionEvent)
            .where(
                DistributionEvent.site_id == site_id,
                DistributionEvent.occurred_at >= start,
                DistributionEvent.user_id.is_(None) | (DistributionEvent.user_id != user.id),
            )
            .order_by(*newest)
            .limit(TODAY_SHOWN - len(own))
        ).scalars()
    total = count_recent(user, site_id, now)
    void_any = permissions.can(user, "void_any")
    first = [_recent(event, user, void_any, start, mine_since) for event in [*own, *others]]
    return TodayBriefly(first, total)


def count_recent(user, site_id: int, now: datetime | None = None) -> int:
    """How many events the day's list holds (recent_events, before its limit)."""
    permissions.require(user, "see_events", site_id)
    start, mine_since = _window(now or clock.now())
    return db.session.execute(
        db.select(func.count())
        .select_from(DistributionEvent)
        .where(DistributionEvent.site_id == site_id, _listed(user, start, mine_since))
    ).scalar_one()


def recent_event(
    user, site_id: int, event_id: str, now: datetime | None = None
) -> RecentEvent | None:
    """One event as the site's "today" list shows it (just logged, or being voided); None
    when that list would not hold it."""
    permissions.require(user, "see_events", site_id)
    start, mine_since = _window(now or clock.now())
    event = db.session.execute(
        db.select(DistributionEvent).where(
            DistributionEvent.id == event_id,
            DistributionEvent.site_id == site_id,
            _listed(user, start, mine_since),
        )
    ).scalar_one_or_none()
    if event is None:
        return None
    return _recent(event, user, permissions.can(user, "void_any"), start, mine_since)


def last_site(user, sites: list[Site]) -> Site | None:
    """The site the user last logged at, if it is still one of theirs."""
    return next((site for site in sites if site.id == user.last_site_id), None)


def remember_site(user, site_id: int) -> None:
    """Keep the site the user works at now, so /distribute/ lands there next time."""
    if user.last_site_id == site_id:
        return  # the usual visit writes nothing
    with transaction():
        db.session.execute(
            db.update(User)
            .where(User.id == user.id)
            .values(last_site_id=site_id)
            .execution_options(synchronize_session=False)
        )
    user.last_site_id = site_id


def back_dating_days() -> tuple[date, date]:
    """The first and last program days a paper tally may be dated."""
    today = clock.today()
    return today - timedelta(days=BACK_DATING_DAYS), today


def paper_tally_moment(day_text: str | None, time_text: str | None) -> datetime | None:
    """When a paper tally's entry happened: None when neither is given (now).

    Within the last BACK_DATING_DAYS days and never ahead of the server's clock; the
    closed quarter is checked where the distribution is written. Errors name when_date
    or when_time.
    """
    day_text, time_text = (day_text or "").strip(), (time_text or "").strip()
    if not day_text and not time_text:
        return None
    errors, day, moment_time = {}, None, None
    if not day_text:
        errors["when_date"] = msg("give the day as well as the time")
    else:
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            errors["when_date"] = msg("must be a date like 2026-12-03")
    if not time_text:
        errors["when_time"] = msg("give the time as well as the day")
    else:
        try:
            moment_time = time.fromisoformat(time_text)
        except ValueError:
            errors["when_time"] = msg("must be a time like 14:00")
    if day is not None:
        first, last = back_dating_days()
        if not first <= day <= last:
            errors["when_date"] = msg(
                "must be within the last %(days)s days, not in the future",
                days=BACK_DATING_DAYS,
            )
    if errors:
        raise ValidationFailed(msg("Some fields are not valid."), errors)
    moment = datetime.combine(day, moment_time.replace(second=0, microsecond=0))
    moment = moment.replace(tzinfo=clock.program_timezone())
    if moment > clock.now():
        raise ValidationFailed(
            msg("Some fields are not valid."), {"when_time": msg("must not be in the future")}
        )
    return moment


def _window(now: datetime) -> tuple[datetime, datetime]:
    """(start of today on the program's clock, start of the staff void window)."""
    return clock.start_of_day(clock.local_date(now)), now - VOID_WINDOW


def _listed(user, start: datetime, mine_since: datetime):
    """The events "today" lists: today's at the site, and the user's own still voidable."""
    return (DistributionEvent.occurred_at >= start) | (
        (DistributionEvent.user_id == user.id) & (DistributionEvent.recorded_at >= mine_since)
    )


def _recent(event, user, void_any: bool, start: datetime, mine_since: datetime) -> RecentEvent:
    return RecentEvent(
        event,
        event.voided_at is None
        and (void_any or (event.user_id == user.id and event.recorded_at >= mine_since)),
        event.occurred_at >= start,
    )


def recent_events(user, site_id: int, now: datetime | None = None) -> list[RecentEvent]:
    """Today's events at the site, plus the user's own from the last 24 hours, newest first."""
    permissions.require(user, "see_events", site_id)
    now = now or clock.now()
    start, mine_since = _window(now)
    events = db.session.execute(
        db.select(DistributionEvent)
        .where(DistributionEvent.site_id == site_id, _listed(user, start, mine_since))
        .order_by(DistributionEvent.occurred_at.desc(), DistributionEvent.id)
        .limit(RECENT_LIMIT)
    ).scalars()
    void_any = permissions.can(user, "void_any")
    return [_recent(event, user, void_any, start, mine_since) for event in events]
