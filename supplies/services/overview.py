"""The coordinator's stock overview: on hand against par, restock suggestions, lots to watch."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_

from supplies.extensions import db
from supplies.models import Balance, Batch, FundingSource, Movement, ParLevel, Site, Supply
from supplies.services import clock, permissions

EXPIRY_WINDOWS = (30, 60, 90)


@dataclass
class Cell:
    """One site's stock of one supply against its par level."""

    on_hand: int = 0
    usable: int = 0
    minimum: int | None = None
    target: int | None = None

    @property
    def unusable(self) -> int:
        """Units on hand that cannot be handed out: expired, quarantined or recalled."""
        return self.on_hand - self.usable

    @property
    def state(self) -> str:
        """out, low, over, ok, or none (no stock and no par level)."""
        if self.minimum is None:
            return "out" if self.on_hand and not self.usable else "none"
        if self.usable == 0:
            return "out"
        if self.usable < self.minimum:
            return "low"
        if self.target and self.usable > self.target:
            return "over"
        return "ok"

    @property
    def surplus(self) -> int:
        """Usable units above the target a site could send elsewhere (all, with no par level)."""
        return max(self.usable - (self.target or 0), 0)


@dataclass(frozen=True)
class Suggestion:
    """Restock a site to its target, from the site with the most surplus of that supply."""

    site: Site
    supply: Supply
    on_hand: int
    target: int
    need: int
    from_site: Site | None
    quantity: int


@dataclass(frozen=True)
class LotRow:
    """Units of one batch at one site."""

    site: Site
    supply: Supply
    lot_number: str | None
    expires_on: date | None
    status: str
    funding: str | None
    quantity: int
    days_left: int | None


@dataclass
class Overview:
    """Everything the overview screen shows."""

    sites: list[Site]
    supplies: list[Supply]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    suggestions: list[Suggestion] = field(default_factory=list)
    expiring: dict[int, list[LotRow]] = field(default_factory=dict)
    expired: list[LotRow] = field(default_factory=list)
    blocked: list[LotRow] = field(default_factory=list)

    def cell(self, site: Site, supply: Supply) -> Cell:
        """The cell of a site and supply (an empty one when nothing is known)."""
        return self.cells.get((site.id, supply.id), Cell())


def _usable_condition(today: date):
    return and_(
        Batch.status == "available",
        or_(Batch.expires_on.is_(None), Batch.expires_on >= today),
    )


def _cells(site_ids: list[int], today: date) -> dict[tuple[int, int], Cell]:
    cells: dict[tuple[int, int], Cell] = {}
    totals = db.session.execute(
        db.select(
            Balance.site_id,
            Balance.supply_id,
            func.sum(Balance.quantity),
            func.sum(case((_usable_condition(today), Balance.quantity), else_=0)),
        )
        .join(Batch, Batch.id == Balance.batch_id)
        .where(Balance.site_id.in_(site_ids))
        .group_by(Balance.site_id, Balance.supply_id)
    )
    for site_id, supply_id, on_hand, usable in totals:
        cells[(site_id, supply_id)] = Cell(int(on_hand or 0), int(usable or 0))
    pars = db.session.execute(db.select(ParLevel).where(ParLevel.site_id.in_(site_ids))).scalars()
    for par in pars:
        cell = cells.setdefault((par.site_id, par.supply_id), Cell())
        cell.minimum, cell.target = par.minimum, par.target
    return cells


def _suggestions(view: Overview) -> list[Suggestion]:
    suggestions = []
    for supply in view.supplies:
        spare = {site.id: view.cell(site, supply).surplus for site in view.sites}
        for site in view.sites:
            cell = view.cell(site, supply)
            if cell.state not in ("out", "low") or cell.target is None:
                continue
            need = cell.target - cell.usable
            donors = [s for s in view.sites if s.id != site.id and spare[s.id] > 0]
            donor = max(donors, key=lambda s: spare[s.id], default=None)
            quantity = min(need, spare[donor.id]) if donor else 0
            if donor:
                spare[donor.id] -= quantity
            suggestions.append(
                Suggestion(site, supply, cell.usable, cell.target, need, donor, quantity)
            )
    return suggestions


def _lot_rows(site_ids: list[int], condition, today: date, by_site, by_supply) -> list[LotRow]:
    rows = db.session.execute(
        db.select(
            Balance.site_id,
            Balance.supply_id,
            Batch.lot_number,
            Batch.expires_on,
            Batch.status,
            FundingSource.code,
            Balance.quantity,
        )
        .join(Batch, Batch.id == Balance.batch_id)
        .outerjoin(FundingSource, FundingSource.id == Batch.funding_source_id)
        .where(Balance.site_id.in_(site_ids), Balance.quantity > 0, condition)
        .order_by(Batch.expires_on.asc().nulls_last(), Balance.site_id, Batch.id)
    )
    return [
        LotRow(
            by_site[row[0]],
            by_supply[row[1]],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            (row[3] - today).days if row[3] else None,
        )
        for row in rows
        if row[0] in by_site and row[1] in by_supply
    ]


def stock_overview(user) -> Overview:
    """Active sites by active supplies with par levels, suggestions and lots to watch."""
    permissions.require(user, "see_stock")
    today = clock.today()
    query = db.select(Site).where(Site.active.is_(True)).order_by(Site.code)
    visible = permissions.visible_site_ids(user)
    if visible is not None:
        query = query.where(Site.id.in_(visible))
    sites = list(db.session.execute(query).scalars())
    supplies = list(
        db.session.execute(
            db.select(Supply).where(Supply.active.is_(True)).order_by(Supply.code)
        ).scalars()
    )
    view = Overview(sites, supplies)
    site_ids = [s.id for s in sites]
    by_site = {s.id: s for s in sites}
    by_supply = {s.id: s for s in supplies}
    view.cells = _cells(site_ids, today)
    view.suggestions = _suggestions(view)
    soon = _lot_rows(
        site_ids,
        and_(Batch.expires_on >= today, Batch.expires_on <= today + timedelta(EXPIRY_WINDOWS[-1])),
        today,
        by_site,
        by_supply,
    )
    view.expiring = {window: [] for window in EXPIRY_WINDOWS}
    for row in soon:
        window = next(w for w in EXPIRY_WINDOWS if row.days_left <= w)
        view.expiring[window].append(row)
    view.expired = _lot_rows(site_ids, Batch.expires_on < today, today, by_site, by_supply)
    view.blocked = _lot_rows(
        site_ids, Batch.status.in_(("quarantined", "recalled")), today, by_site, by_supply
    )
    return view


@dataclass(frozen=True)
class WeeklyUnits:
    """Units distributed (net of voids) per week and supply category."""

    weeks: list[date]
    categories: list[str]
    units: dict[tuple[int, str], int]

    def total(self, week_index: int) -> int:
        """All categories in one week."""
        return sum(self.units.get((week_index, c), 0) for c in self.categories)


def weekly_distribution(user, weeks: int = 12) -> WeeklyUnits:
    """Units handed out per week (Monday to Sunday) and category over the last weeks."""
    permissions.require(user, "see_stock")
    today = clock.today()
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    starts = [first + timedelta(weeks=i) for i in range(weeks)]
    bounds = [clock.start_of_day(day) for day in starts[1:]]
    # The week index as a CASE over the week boundaries: portable SQL, grouped in the database.
    week = case(
        *[(Movement.occurred_at < bound, index) for index, bound in enumerate(bounds)],
        else_=weeks - 1,
    )
    query = (
        db.select(week, Supply.category, -func.sum(Movement.quantity))
        .join(Supply, Supply.id == Movement.supply_id)
        .where(
            Movement.kind.in_(("distribute", "void")),
            Movement.occurred_at >= clock.start_of_day(first),
        )
        .group_by(week, Supply.category)
    )
    visible = permissions.visible_site_ids(user)
    if visible is not None:
        query = query.where(Movement.site_id.in_(visible))
    units = {(int(i), cat): int(n or 0) for i, cat, n in db.session.execute(query)}
    categories = sorted({cat for (_, cat), n in units.items() if n})
    return WeeklyUnits(starts, categories, units)


def home_screen(user) -> dict:
    """What the coordinator's home shows: the overview, the weekly chart, counts to confirm."""
    # Imported here: charts builds on this module's WeeklyUnits.
    from supplies.services import charts, counting

    weekly = weekly_distribution(user)
    return {
        "view": stock_overview(user),
        "weekly": weekly,
        "chart": charts.weekly_chart(weekly),
        "pending_counts": counting.pending(user),
    }
