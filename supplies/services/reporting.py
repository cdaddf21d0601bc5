"""The funder report's numbers, aggregated in SQL (GROUP BY), never by looping over events.

Periods are whole program days in APP_TIMEZONE, both ends included. Distributed units come
from the ledger: distribute movements plus the void movements that reverse them, which carry
the voided event's occurred_at, so a voided event nets to zero in its own period. Inventory
holds opening + received + transferred in - transferred out - distributed + adjusted = closing
for every site and supply, because the movement kinds split the ledger with nothing left over.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, exists, func, literal_column

from supplies.extensions import db
from supplies.models import Batch, DistributionEvent, FundingSource, Movement, Site, Supply
from supplies.models.supply import SUPPLY_CATEGORIES
from supplies.services import catalog, clock, periods
from supplies.services import validation as v
from supplies.services.suppression import recipient_breakdowns

EXPIRY_HORIZON_DAYS = 180
MAX_PERIOD_DAYS = 3700
DISTRIBUTED_KINDS = ("distribute", "void")
ADJUSTED_KINDS = ("adjust", "count")
REPORT_STEPS = (
    "Summary",
    "By Month",
    "By Site",
    "Recipients",
    "Reversals",
    "Inventory",
    "Expiring Lots",
)


@dataclass(frozen=True)
class ReportFilters:
    """What a report covers: inclusive program days, optional sites and funding source."""

    start: date
    end: date
    site_ids: tuple[int, ...] | None = None
    site_codes: tuple[str, ...] = ()
    funding_id: int | None = None
    funding_code: str | None = None
    funding_name: str | None = None

    def as_dict(self) -> dict:
        """The filters as plain values, for the audit log and the About sheet."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "sites": list(self.site_codes),
            "funding": self.funding_code,
        }


@dataclass
class FunderReport:
    """Every table of the funder workbook, as rows of plain values."""

    filters: ReportFilters
    program: str
    timezone: str
    generated_at: datetime
    suppress_below: int
    months: list[date]
    summary: list[dict] = field(default_factory=list)
    by_month: list[dict] = field(default_factory=list)
    by_site: list[dict] = field(default_factory=list)
    recipients: list[dict] = field(default_factory=list)
    reversals: list[dict] = field(default_factory=list)
    inventory: list[dict] = field(default_factory=list)
    expiring: list[dict] = field(default_factory=list)
    chart: list[dict] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def make_filters(start, end, site_codes=(), funding_code=None) -> ReportFilters:
    """Check typed filters (dates YYYY-MM-DD, site and funding codes) and name any bad field."""
    fields = v.Fields()
    start_day = fields.check("start", v.iso_date, start, True)
    end_day = fields.check("end", v.iso_date, end, True)
    if start_day and end_day:
        if end_day < start_day:
            fields.fail("end", "must be on or after the start")
        elif (end_day - start_day).days > MAX_PERIOD_DAYS:
            fields.fail("end", "a report covers at most ten years")
    sites = []
    for code in dict.fromkeys(c for c in site_codes or () if c):
        site = fields.check("site", catalog.site_by_code, code, "site", False)
        if site is not None:
            sites.append(site)
    funding = fields.check("funding", catalog.funding_by_code, funding_code or None)
    fields.raise_if_any("Some report filters are not valid.")
    sites.sort(key=lambda s: s.code)
    return ReportFilters(
        start_day,
        end_day,
        tuple(s.id for s in sites) or None,
        tuple(s.code for s in sites),
        funding.id if funding else None,
        funding.code if funding else None,
        funding.name if funding else None,
    )


def bounds(filters: ReportFilters) -> tuple[datetime, datetime]:
    """The period as UTC instants: from the first day's start to the day after the last."""
    return clock.start_of_day(filters.start), clock.start_of_day(filters.end + timedelta(days=1))


def month_bucket(column, months: list[date], upper: datetime):
    """A SQL expression giving the index of the program month an instant falls in.

    Month starts are computed here in APP_TIMEZONE (daylight saving included), so the same
    expression works on SQLite, which knows no time zones, and on PostgreSQL.
    """
    whens = [
        (column < min(clock.start_of_day(periods.next_month(m)), upper), literal_column(str(i)))
        for i, m in enumerate(months[:-1])
    ]
    whens.append((column < upper, literal_column(str(len(months) - 1))))
    return case(*whens, else_=literal_column(str(len(months) - 1)))


def _movement_filters(filters: ReportFilters) -> list:
    conditions = []
    if filters.site_ids is not None:
        conditions.append(Movement.site_id.in_(filters.site_ids))
    if filters.funding_id is not None:
        conditions.append(
            Movement.batch_id.in_(
                db.select(Batch.id).where(Batch.funding_source_id == filters.funding_id)
            )
        )
    return conditions


def event_conditions(filters: ReportFilters, lower: datetime, upper: datetime) -> list:
    """Events in the period, not voided, at the sites, drawing on the funding source."""
    conditions = [
        DistributionEvent.occurred_at >= lower,
        DistributionEvent.occurred_at < upper,
        DistributionEvent.voided_at.is_(None),
    ]
    if filters.site_ids is not None:
        conditions.append(DistributionEvent.site_id.in_(filters.site_ids))
    if filters.funding_id is not None:
        conditions.append(
            exists()
            .where(
                Movement.operation_id == DistributionEvent.id,
                Movement.kind == "distribute",
                Batch.id == Movement.batch_id,
                Batch.funding_source_id == filters.funding_id,
            )
            .correlate(DistributionEvent)
        )
    return conditions


def _sites(filters: ReportFilters, active_ids: set[int]) -> list[Site]:
    query = db.select(Site).order_by(Site.code)
    if filters.site_ids is not None:
        query = query.where(Site.id.in_(filters.site_ids))
    sites = db.session.execute(query).scalars().all()
    if filters.site_ids is not None:
        return list(sites)
    return [s for s in sites if s.active or s.id in active_ids]


def _supplies(active_ids: set[int]) -> list[Supply]:
    supplies = db.session.execute(db.select(Supply).order_by(Supply.code)).scalars().all()
    return [s for s in supplies if s.active or s.id in active_ids]


def _sum_if(condition, value=None):
    value = Movement.quantity if value is None else value
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _distributed(filters, lower, upper, keys: tuple[str, ...], months=None) -> dict[tuple, int]:
    """Units distributed (voids netted) per group of keys (and month), from the ledger."""
    columns = [getattr(Movement, key).label(key) for key in keys]
    if months is not None:
        columns.insert(0, month_bucket(Movement.occurred_at, months, upper).label("month"))
    # Grouped through a subquery so PostgreSQL sees one column, not two copies of a CASE.
    inner = (
        db.select(*columns, Movement.quantity)
        .where(
            Movement.kind.in_(DISTRIBUTED_KINDS),
            Movement.occurred_at >= lower,
            Movement.occurred_at < upper,
            *_movement_filters(filters),
        )
        .subquery()
    )
    group = [inner.c[column.name] for column in columns]
    rows = db.session.execute(db.select(*group, func.sum(-inner.c.quantity)).group_by(*group))
    return {tuple(int(k) for k in row[:-1]): int(row[-1] or 0) for row in rows}


def _encounters_by_supply(filters, lower, upper) -> dict[int, int]:
    """Events (not voided) that handed out each supply, from the funding source if given."""
    rows = db.session.execute(
        db.select(Movement.supply_id, func.count(func.distinct(Movement.operation_id)))
        .join(DistributionEvent, DistributionEvent.id == Movement.operation_id)
        .where(
            Movement.kind == "distribute",
            DistributionEvent.voided_at.is_(None),
            Movement.occurred_at >= lower,
            Movement.occurred_at < upper,
            *_movement_filters(filters),
        )
        .group_by(Movement.supply_id)
    )
    return {supply_id: int(n) for supply_id, n in rows}


def _inventory(filters, lower, upper) -> dict[tuple[int, int], dict]:
    """Opening, movements by kind and closing per (site, supply), one GROUP BY over the ledger."""
    in_period = Movement.occurred_at >= lower
    kind = Movement.kind
    columns = {
        "opening": _sum_if(Movement.occurred_at < lower),
        "received": _sum_if(and_(in_period, kind == "receive")),
        "transferred_in": _sum_if(and_(in_period, kind == "transfer_in")),
        "transferred_out": _sum_if(and_(in_period, kind == "transfer_out"), -Movement.quantity),
        "distributed": _sum_if(and_(in_period, kind.in_(DISTRIBUTED_KINDS)), -Movement.quantity),
        "adjusted": _sum_if(and_(in_period, kind.in_(ADJUSTED_KINDS))),
        "closing": func.coalesce(func.sum(Movement.quantity), 0),
    }
    rows = db.session.execute(
        db.select(Movement.site_id, Movement.supply_id, *(c.label(n) for n, c in columns.items()))
        .where(Movement.occurred_at < upper, *_movement_filters(filters))
        .group_by(Movement.site_id, Movement.supply_id)
    )
    return {
        (row.site_id, row.supply_id): {name: int(getattr(row, name)) for name in columns}
        for row in rows
    }


def _expiring(filters, upper) -> list[dict]:
    """Lots held at the period's end that expire within the horizon after it (or already did)."""
    held = (
        db.select(
            Movement.site_id,
            Movement.batch_id,
            func.sum(Movement.quantity).label("quantity"),
        )
        .where(Movement.occurred_at < upper, *_movement_filters(filters))
        .group_by(Movement.site_id, Movement.batch_id)
        .having(func.sum(Movement.quantity) > 0)
        .subquery()
    )
    horizon = filters.end + timedelta(days=EXPIRY_HORIZON_DAYS)
    rows = db.session.execute(
        db.select(
            Site.code,
            Supply.code,
            Batch.lot_number,
            Batch.expires_on,
            held.c.quantity,
            FundingSource.code,
            Batch.status,
            Supply.name,
            Site.name,
        )
        .select_from(held)
        .join(Batch, Batch.id == held.c.batch_id)
        .join(Site, Site.id == held.c.site_id)
        .join(Supply, Supply.id == Batch.supply_id)
        .outerjoin(FundingSource, FundingSource.id == Batch.funding_source_id)
        .where(Batch.expires_on.is_not(None), Batch.expires_on <= horizon)
        .order_by(Batch.expires_on, Site.code, Supply.code, Batch.lot_number)
    )
    keys = ("site", "supply", "lot", "expires_on", "quantity", "funding", "status")
    return [
        {
            **dict(zip(keys, row[:7], strict=True)),
            "quantity": int(row[4]),
            "expired": row[3] <= filters.end,
            "supply_name": row[7],
            "site_name": row[8],
        }
        for row in rows
    ]


def _reversals(filters, lower, upper, months) -> dict[tuple[int, int], dict]:
    """Reversals reported, trained encounters and encounters per (month, site)."""
    event = DistributionEvent
    inner = (
        db.select(
            month_bucket(event.occurred_at, months, upper).label("month"),
            event.site_id,
            event.reversals_reported,
            case((event.trained.is_(True), 1), else_=0).label("trained"),
        )
        .where(*event_conditions(filters, lower, upper))
        .subquery()
    )
    rows = db.session.execute(
        db.select(
            inner.c.month,
            inner.c.site_id,
            func.coalesce(func.sum(inner.c.reversals_reported), 0),
            func.coalesce(func.sum(inner.c.trained), 0),
            func.count(),
        ).group_by(inner.c.month, inner.c.site_id)
    )
    return {
        (int(month), site_id): {
            "reversals": int(reversals),
            "trained": int(trained),
            "encounters": int(encounters),
        }
        for month, site_id, reversals, trained, encounters in rows
    }


def funder_report(filters: ReportFilters, progress: Callable[[str], None] | None = None):
    """Compute every table of the funder workbook for the filters."""
    step = progress or (lambda _name: None)
    lower, upper = bounds(filters)
    months = periods.months_between(filters.start, filters.end)
    config = current_app.config
    report = FunderReport(
        filters=filters,
        program=config["PROGRAM_NAME"],
        timezone=config["APP_TIMEZONE"],
        generated_at=clock.now(),
        suppress_below=int(config["SUPPRESS_BELOW"]),
        months=months,
    )
    inventory = _inventory(filters, lower, upper)
    by_supply = _distributed(filters, lower, upper, ("supply_id",))
    active_sites = {site for site, _ in inventory}
    active_supplies = {supply for _, supply in inventory} | {s for (s,) in by_supply}
    sites = _sites(filters, active_sites)
    supplies = _supplies(active_supplies)
    step("Summary")
    encounters = _encounters_by_supply(filters, lower, upper)
    for supply in supplies:
        units = by_supply.get((supply.id,), 0)
        report.summary.append(
            {
                **_supply_cells(supply),
                "units": units,
                "doses": units * supply.doses_per_unit,
                "encounters": encounters.get(supply.id, 0),
            }
        )
    step("By Month")
    monthly = _distributed(filters, lower, upper, ("supply_id",), months)
    for index, month in enumerate(months):
        for supply in supplies:
            units = monthly.get((index, supply.id), 0)
            report.by_month.append(
                {
                    "month": month,
                    **_supply_cells(supply),
                    "units": units,
                    "doses": units * supply.doses_per_unit,
                }
            )
    report.categories = sorted({s.category for s in supplies}, key=_category_order)
    for index, month in enumerate(months):
        totals = dict.fromkeys(report.categories, 0)
        for supply in supplies:
            totals[supply.category] += monthly.get((index, supply.id), 0)
        report.chart.append({"month": month, **totals})
    step("By Site")
    by_site = _distributed(filters, lower, upper, ("site_id", "supply_id"))
    for site in sites:
        for supply in supplies:
            units = by_site.get((site.id, supply.id), 0)
            report.by_site.append(
                {
                    **_site_cells(site),
                    **_supply_cells(supply),
                    "units": units,
                    "doses": units * supply.doses_per_unit,
                }
            )
    step("Recipients")
    report.recipients = recipient_breakdowns(
        event_conditions(filters, lower, upper), report.suppress_below
    )
    step("Reversals")
    reversals = _reversals(filters, lower, upper, months)
    zero = {"reversals": 0, "trained": 0, "encounters": 0}
    for index, month in enumerate(months):
        for site in sites:
            counts = reversals.get((index, site.id), zero)
            report.reversals.append({"month": month, **_site_cells(site), **counts})
    step("Inventory")
    empty = dict.fromkeys(
        ("opening", "received", "transferred_in", "transferred_out", "distributed"), 0
    ) | {"adjusted": 0, "closing": 0}
    for site in sites:
        for supply in supplies:
            numbers = inventory.get((site.id, supply.id), empty)
            report.inventory.append({**_site_cells(site), **_supply_cells(supply), **numbers})
    step("Expiring Lots")
    report.expiring = _expiring(filters, upper)
    return report


def _site_cells(site: Site) -> dict:
    return {"site": site.code, "site_name": site.name, "county": site.county}


def _supply_cells(supply: Supply) -> dict:
    return {
        "supply": supply.code,
        "supply_name": supply.name,
        "category": supply.category,
        "unit": supply.unit,
        "doses_per_unit": supply.doses_per_unit,
    }


def _category_order(category: str) -> int:
    return SUPPLY_CATEGORIES.index(category) if category in SUPPLY_CATEGORIES else 99
