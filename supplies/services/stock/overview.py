"""The coordinator's stock overview: sites needing attention, on hand against par, lots to watch."""

import heapq
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import or_

from supplies.extensions import db
from supplies.models import Batch, Site, Supply
from supplies.services.common import clock, permissions
from supplies.services.stock import charts, counting, forecast, levels
from supplies.services.stock.weekly import WeeklyUnits, weekly_distribution
from supplies.vocab import PARTNER_KIND

EXPIRY_WINDOWS = (30, 60, 90)
SHOW_OPTIONS = ("attention", "all")
PAGE_SIZE = 25  # sites per page of the grid: 25 x 40 supplies is still a readable table
LIST_ROWS = 50  # rows per list of lots or suggestions; the lots page has every lot

__all__ = ["WeeklyUnits", "home_screen", "stock_overview", "weekly_distribution"]


@dataclass(slots=True)
class Cell:
    """One site's stock of one supply against its par level."""

    on_hand: int = 0
    usable: int = 0
    minimum: int | None = None
    target: int | None = None
    expired: int = 0
    # The run-out forecast (services.stock.forecast): units a day, days left, and whether
    # that is sooner than a restock takes to arrive (RESTOCK_LEAD_DAYS).
    rate: forecast.Rate | None = None
    days_left: int | None = None
    soon: bool = False

    @property
    def unusable(self) -> int:
        """Units on hand that cannot be handed out: expired, quarantined or recalled."""
        return self.on_hand - self.usable

    @property
    def state(self) -> str:
        """out, low, soon (runs out within the lead time), over, ok, or none (no stock and
        no par level)."""
        if self.usable == 0 and (self.minimum is not None or self.on_hand or self.rate):
            return "out"
        if self.minimum is None:
            return "soon" if self.soon else "none"
        if self.usable < self.minimum:
            return "low"
        if self.soon:
            return "soon"
        if self.target and self.usable > self.target:
            return "over"
        return "ok"


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
    """Units of one batch on hand, and at how many sites (named when it is only one)."""

    batch_id: int
    supply: Supply
    lot_number: str | None
    expires_on: date | None
    status: str
    funding: str | None
    quantity: int
    sites: int
    site: Site | None
    days_left: int | None
    holders: tuple[Site, ...] = ()


@dataclass(frozen=True)
class SiteSummary:
    """One site's supplies out, low and over par, and its units that cannot be handed out."""

    site: Site
    out: int = 0
    low: int = 0
    over: int = 0
    unusable: int = 0
    expired: int = 0
    soon: int = 0

    @property
    def needs_attention(self) -> bool:
        """Something to do: a supply out, low or running out within the lead time, or units
        to write off or sort out."""
        return bool(self.out or self.low or self.unusable or self.soon)


@dataclass(frozen=True)
class SiteFilter:
    """Which sites the overview lists: those needing attention or all, by kind and county."""

    show: str = "attention"
    kind: str = ""
    county: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, args) -> "SiteFilter":
        """The filter from a query string's values; anything odd falls back to defaults."""
        page = str(args.get("page", "")).strip()
        return cls(
            show=str(args.get("show", "attention")),
            kind=str(args.get("kind", ""))[:32],
            county=str(args.get("county", ""))[:80],
            page=int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100000 else 1,
        )


@dataclass
class Overview:
    """Everything the overview screen shows; sites and cells are the current page's."""

    sites: list[Site]
    supplies: list[Supply]
    filter: SiteFilter = field(default_factory=SiteFilter)
    summaries: list[SiteSummary] = field(default_factory=list)
    matching: int = 0
    pages: int = 1
    totals: dict[str, int] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)
    counties: list[str] = field(default_factory=list)
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    suggestions: list[Suggestion] = field(default_factory=list)
    expiring: dict[int, list[LotRow]] = field(default_factory=dict)
    expired: list[LotRow] = field(default_factory=list)
    blocked: list[LotRow] = field(default_factory=list)

    def cell(self, site: Site, supply: Supply) -> Cell:
        """The cell of a site and supply (an empty one when nothing is known)."""
        return self.cells.get((site.id, supply.id), Cell())

    def grid(self) -> list[tuple[SiteSummary, list[tuple[Supply, Cell]]]]:
        """The page's rows, each with its cells in supply order, ready to draw."""
        empty = Cell()
        return [
            (summary, [(s, self.cells.get((summary.site.id, s.id), empty)) for s in self.supplies])
            for summary in self.summaries
        ]


def _cells(by_site: dict[int, Site], visible: set[int] | None, today: date) -> dict:
    cells = _stock_cells(by_site, visible, today)
    lead = forecast.lead_days()
    for (site_id, supply_id), rate in forecast.rates(
        None if visible is None else list(visible)
    ).items():
        if site_id not in by_site:
            continue
        cell = cells.get((site_id, supply_id))
        if cell is None:
            # Used lately, nothing on hand now and no par level: out, with a rate.
            cell = cells[(site_id, supply_id)] = Cell()
        cell.rate, cell.days_left = rate, rate.days_left(cell.usable)
        cell.soon = cell.days_left < lead
    return cells


def _stock_cells(by_site: dict[int, Site], visible: set[int] | None, today: date) -> dict:
    # Every cell of the listed sites in one query: the site counts, the page's grid and the
    # restock suggestions are all worked out from it, instead of a query each over the
    # balances. Cells are sites x supplies, however many events there are. When every site
    # is visible none is named, so the balances are read in one pass in index order.
    query = levels.cells_with_par(scoped=visible is not None)
    params = {"today": today} if visible is None else {"today": today, "site_ids": list(visible)}
    cells = {}
    for site_id, supply_id, on_hand, usable, expired, minimum, target in db.session.execute(
        query, params
    ):
        if site_id in by_site:  # every site was read when all are visible: closed ones left
            cells[(site_id, supply_id)] = Cell(
                int(on_hand or 0), int(usable or 0), minimum, target, int(expired or 0)
            )
    return cells


def _site_summaries(sites: list[Site], cells: dict[tuple[int, int], Cell]) -> list[SiteSummary]:
    counts = {site.id: [0, 0, 0, 0, 0, 0] for site in sites}
    slot = {"out": 0, "low": 1, "over": 2, "soon": 5}
    for (site_id, _), cell in cells.items():
        count = counts[site_id]
        index = slot.get(cell.state)
        if index is not None:
            count[index] += 1
        count[3] += cell.unusable
        count[4] += cell.expired
    return [SiteSummary(site, *counts[site.id]) for site in sites]


def _keep(cell: Cell, lead: int) -> int:
    """Units a cell should hold: its par target, or enough to last the lead time at its
    rate of use, whichever is more."""
    return max(cell.target or 0, cell.rate.covering(lead) if cell.rate else 0)


def _needs_and_spares(cells: dict[tuple[int, int], Cell]):
    # Needs: cells out, low, or running out within the lead time, below what they should
    # keep. Spares: what other cells of those supplies hold above what they should keep.
    lead = forecast.lead_days()
    needs, surplus = [], []
    for (site_id, supply_id), cell in cells.items():
        keep = _keep(cell, lead)
        if cell.state in ("out", "low", "soon") and keep > cell.usable:
            needs.append((site_id, supply_id, cell.usable, keep))
        elif cell.usable > keep:
            surplus.append((supply_id, site_id, cell.usable - keep))
    wanted = {supply_id for _, supply_id, _, _ in needs}
    return needs, [spare for spare in surplus if spare[0] in wanted]


def _suggestions(needs, spares, by_site, by_supply, shown: set[int]) -> list[Suggestion]:
    # Over all sites, so a page's suggestions do not depend on the filter; shown ones kept.
    position = {site_id: i for i, site_id in enumerate(by_site)}
    heaps: dict[int, list] = {}
    for supply_id, site_id, spare in spares:
        heaps.setdefault(supply_id, []).append((-int(spare), position[site_id], site_id))
    for heap in heaps.values():
        heapq.heapify(heap)
    supply_position = {supply_id: i for i, supply_id in enumerate(by_supply)}
    suggestions = []
    ordered = sorted(needs, key=lambda n: (supply_position[n[1]], position[n[0]]))
    for site_id, supply_id, usable, target in ordered:
        heap = heaps.get(supply_id, [])
        # A site out or low has nothing to spare itself, so the top of the heap is another site.
        donor, quantity, need = None, 0, target - int(usable)
        if heap:
            spare, order, donor_id = heap[0]
            donor, quantity = by_site[donor_id], min(need, -spare)
            if -spare - quantity > 0:
                heapq.heapreplace(heap, (spare + quantity, order, donor_id))
            else:
                heapq.heappop(heap)
        if site_id in shown:
            suggestions.append(
                Suggestion(
                    by_site[site_id],
                    by_supply[supply_id],
                    int(usable),
                    target,
                    need,
                    donor,
                    quantity,
                )
            )
    return suggestions


def _lots(view: Overview, site_ids, today, by_site, by_supply) -> None:
    horizon = today + timedelta(EXPIRY_WINDOWS[-1])
    blocked = ("quarantined", "recalled")
    watched = or_(Batch.expires_on <= horizon, Batch.status.in_(blocked))
    view.expiring = {window: [] for window in EXPIRY_WINDOWS}
    rows = levels.lot_groups(site_ids, watched)
    for batch_id, supply_id, lot, expires, status, funding, units, sites, one_site in rows:
        if supply_id not in by_supply:
            continue
        days_left = (expires - today).days if expires else None
        one = by_site.get(one_site) if sites == 1 else None
        row = LotRow(
            batch_id,
            by_supply[supply_id],
            lot,
            expires,
            status,
            funding,
            int(units),
            int(sites),
            one,
            days_left,
        )
        if days_left is not None and days_left < 0:
            view.expired.append(row)
        elif days_left is not None and days_left <= EXPIRY_WINDOWS[-1]:
            view.expiring[next(w for w in EXPIRY_WINDOWS if days_left <= w)].append(row)
        if status in blocked:
            view.blocked.append(row)
    if view.blocked:  # a recall is pulled from every site that holds the lot: name them all
        held: dict[int, list[Site]] = {}
        for batch_id, site_id in levels.holders([r.batch_id for r in view.blocked], site_ids):
            held.setdefault(batch_id, []).append(by_site[site_id])
        view.blocked = [replace(r, holders=tuple(held.get(r.batch_id, ()))) for r in view.blocked]


def _pick(view: Overview, everyone: list[SiteSummary], wanted: SiteFilter) -> None:
    view.kinds = sorted({s.site.kind for s in everyone})
    view.counties = sorted({s.site.county for s in everyone if s.site.county})
    show = wanted.show if wanted.show in SHOW_OPTIONS else "attention"
    matching = [
        s
        for s in everyone
        if (show == "all" or s.needs_attention)
        and (not wanted.kind or s.site.kind == wanted.kind)
        and (not wanted.county or s.site.county == wanted.county)
    ]
    view.pages = max(1, -(-len(matching) // PAGE_SIZE))
    page = min(max(wanted.page, 1), view.pages)
    view.filter = SiteFilter(show, wanted.kind, wanted.county, page)
    view.matching = len(matching)
    view.summaries = matching[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    view.sites = [s.site for s in view.summaries]
    view.totals = {
        "sites": len(everyone),
        "attention": sum(1 for s in everyone if s.needs_attention),
        "out": sum(s.out for s in everyone),
        "low": sum(s.low for s in everyone),
        "expired": sum(s.expired for s in everyone),
    }


def stock_overview(user, wanted: SiteFilter | None = None) -> Overview:
    """Sites needing attention (or all, by kind and county) a page at a time, with their cells."""
    permissions.require(user, "see_stock")
    today = clock.today()
    # Partner agencies hold what they received outside the program's stock (their
    # reports, not the ledger, say what they handed out): they are shown apart, from
    # services.partners, and are no source of restock suggestions.
    query = (
        db.select(Site).where(Site.active.is_(True), Site.kind != PARTNER_KIND).order_by(Site.code)
    )
    visible = permissions.visible_site_ids(user)
    if visible is not None:
        query = query.where(Site.id.in_(visible))
    sites = list(db.session.execute(query).scalars())
    # The lots' sites as a subquery, not a list of ids: PostgreSQL hashes it once instead
    # of scanning a long list for every balance row.
    site_ids = query.with_only_columns(Site.id).order_by(None)
    supplies = list(
        db.session.execute(
            db.select(Supply).where(Supply.active.is_(True)).order_by(Supply.code)
        ).scalars()
    )
    by_site = {s.id: s for s in sites}
    by_supply = {s.id: s for s in supplies}
    cells = _cells(by_site, visible, today) if sites and supplies else {}
    everyone = _site_summaries(sites, cells)
    view = Overview([], supplies)
    _pick(view, everyone, wanted or SiteFilter())
    shown = {s.id for s in view.sites}
    view.cells = {key: cell for key, cell in cells.items() if key[0] in shown}
    if any(s.out or s.low or s.soon for s in everyone):  # else nothing to restock
        needs, spares = _needs_and_spares(cells)
        view.suggestions = _suggestions(needs, spares, by_site, by_supply, shown)
    _lots(view, site_ids, today, by_site, by_supply)
    return view


def home_screen(user, wanted: SiteFilter | None = None) -> dict:
    """What the coordinator's home shows: the overview, the weekly chart, counts to confirm."""
    weekly = weekly_distribution(user)
    return {
        "view": stock_overview(user, wanted),
        "weekly": weekly,
        "chart": charts.weekly_chart(weekly),
        "pending_counts": counting.pending(user),
        "list_rows": LIST_ROWS,
        "lead_days": forecast.lead_days(),
    }
