"""The SQL behind the funder report: one GROUP BY per table, portable to SQLite and PostgreSQL.

Distributed units come from the ledger: distribute movements plus the void movements that
reverse them, which carry the voided event's occurred_at, so a voided event nets to zero in
its own period. The movement kinds split the ledger with nothing left over, so Inventory's
opening + received + transferred in - transferred out - distributed + adjusted = closing.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, exists, func, literal_column

from supplies.extensions import db
from supplies.models import (
    Balance,
    Batch,
    DistributionEvent,
    FundingSource,
    Movement,
    Site,
    Supply,
)
from supplies.services.common import clock
from supplies.services.reporting import periods
from supplies.services.stock import timeline
from supplies.vocab import SUPPLY_CATEGORIES

EXPIRY_HORIZON_DAYS = 180
DISTRIBUTED_KINDS = ("distribute", "void")
ADJUSTED_KINDS = ("adjust", "count")
INVENTORY_COLUMNS = (
    "opening",
    "received",
    "transferred_in",
    "transferred_out",
    "distributed",
    "adjusted",
    "closing",
)


@dataclass(frozen=True)
class WholeProgram:
    """Filters meaning every site and every funding source (what queries expect)."""

    site_ids: tuple[int, ...] | None = None
    funding_id: int | None = None


def month_bucket(column, months: list[date], upper: datetime, *, after: int):
    """A SQL expression giving the index of the program month an instant falls in, and
    `after` from upper on.

    Month starts are computed here in APP_TIMEZONE (daylight saving included), so the same
    expression works on SQLite, which knows no time zones, and on PostgreSQL.
    """
    whens = [
        (column < min(clock.start_of_day(periods.next_month(m)), upper), literal_column(str(i)))
        for i, m in enumerate(months[:-1])
    ]
    whens.append((column < upper, literal_column(str(len(months) - 1))))
    return case(*whens, else_=literal_column(str(after)))


def _site_and_funding(filters, table) -> list:
    """Conditions keeping a ledger table's rows (movements, balances) to the chosen sites and
    the funding source's batches."""
    conditions = []
    if filters.site_ids is not None:
        conditions.append(table.site_id.in_(filters.site_ids))
    if filters.funding_id is not None:
        conditions.append(
            table.batch_id.in_(
                db.select(Batch.id).where(Batch.funding_source_id == filters.funding_id)
            )
        )
    return conditions


def _movement_filters(filters) -> list:
    return _site_and_funding(filters, Movement)


def _unindexed(column):
    """The column as an expression (+ 0, or || '' for text) that no index can serve.

    SQLite's planner cannot see how few rows a date range holds (it has no STAT4), and
    would walk a whole (kind, ...) or (site, ...) index instead of reading the period
    through ix_movements_occurred_covering; wrapping the competing column leaves it that
    one index. PostgreSQL plans from its own statistics and loses nothing by it.
    """
    if column.type.python_type is str:
        return column.concat("").label(column.key)
    return (column + 0).label(column.key)


def event_conditions(filters, lower: datetime, upper: datetime) -> list:
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


@dataclass(frozen=True, slots=True)
class ReportSite:
    """A site as a report lays it out, read once into plain values: the big tables read
    each site's cells thousands of times, and a mapped attribute costs several plain ones."""

    id: int
    code: str
    name: str
    county: str | None
    kind: str


@dataclass(frozen=True, slots=True)
class ReportSupply:
    """A supply as a report lays it out, read once into plain values (see ReportSite)."""

    id: int
    code: str
    name: str
    category: str
    unit: str
    doses_per_unit: int


def report_sites(filters, active_ids: set[int]) -> list[ReportSite]:
    """The chosen sites, or every active site plus any inactive one with stock history."""
    query = db.select(Site).order_by(Site.code)
    if filters.site_ids is not None:
        query = query.where(Site.id.in_(filters.site_ids))
    sites = db.session.execute(query).scalars().all()
    if filters.site_ids is None:
        sites = [s for s in sites if s.active or s.id in active_ids]
    return [ReportSite(s.id, s.code, s.name, s.county, s.kind) for s in sites]


def report_supplies(active_ids: set[int]) -> list[ReportSupply]:
    """Every active supply plus any inactive one with stock history: medications first."""
    supplies = db.session.execute(db.select(Supply).order_by(Supply.code)).scalars().all()
    kept = [s for s in supplies if s.active or s.id in active_ids]
    kept.sort(key=lambda s: (category_order(s.category), s.code))
    return [ReportSupply(s.id, s.code, s.name, s.category, s.unit, s.doses_per_unit) for s in kept]


def category_order(category: str) -> int:
    """Where a supply category comes in the report: the order of DESIGN.md's list."""
    return SUPPLY_CATEGORIES.index(category) if category in SUPPLY_CATEGORIES else 99


def distributed_units(filters, lower, upper) -> int:
    """Units distributed in the period (voids netted by their own date), from the ledger."""
    total = db.session.execute(
        db.select(func.coalesce(func.sum(-Movement.quantity), 0)).where(
            _unindexed(Movement.kind).in_(DISTRIBUTED_KINDS),
            Movement.occurred_at >= lower,
            Movement.occurred_at < upper,
            *_movement_filters(filters),
        )
    ).scalar_one()
    return int(total)


def _balance_filters(filters) -> list:
    return _site_and_funding(filters, Balance)


# Inventory's column for each kind of movement, and its sign there.
INVENTORY_KINDS = {
    "receive": ("received", 1),
    "transfer_in": ("transferred_in", 1),
    "transfer_out": ("transferred_out", -1),
    **dict.fromkeys(DISTRIBUTED_KINDS, ("distributed", -1)),
    **dict.fromkeys(ADJUSTED_KINDS, ("adjusted", 1)),
}


def inventory(filters, lower, upper, months: list[date]) -> tuple[dict, dict]:
    """Opening, movements by kind and closing per (site, supply) of those with stock
    history; and units distributed (voids netted) per (month index, site, supply).

    Exact without reading the whole ledger: closing is the balance table now minus the
    movements after the period, and opening is closing minus the movements in it, so only
    movements from the period's start on are read (the occurred_at index), once, summed
    per month (those after the period as one more), site, supply and kind.
    """
    after = len(months)
    columns = [
        month_bucket(Movement.occurred_at, months, upper, after=after).label("month"),
        _unindexed(Movement.site_id),
        _unindexed(Movement.supply_id),
        _unindexed(Movement.kind),
    ]
    # Grouped through a subquery so PostgreSQL sees one column, not two copies of a CASE.
    inner = (
        db.select(*columns, Movement.quantity)
        .where(Movement.occurred_at >= lower, *_movement_filters(filters))
        .subquery()
    )
    group = [inner.c[column.name] for column in columns]
    moved = db.session.execute(db.select(*group, func.sum(inner.c.quantity)).group_by(*group))
    sums: dict[tuple[int, int], dict[str, int]] = {}
    distributed_by_month: dict[tuple[int, int, int], int] = {}
    empty = dict.fromkeys((*INVENTORY_COLUMNS, "net", "after"), 0)
    for month, site_id, supply_id, kind, quantity in moved:
        numbers = sums.setdefault((site_id, supply_id), dict(empty))
        quantity = int(quantity)
        if month == after:
            numbers["after"] += quantity
            continue
        numbers["net"] += quantity
        column, sign = INVENTORY_KINDS[kind]  # every kind has its column: none is left out
        numbers[column] += sign * quantity
        if kind in DISTRIBUTED_KINDS:
            key = (int(month), site_id, supply_id)
            distributed_by_month[key] = distributed_by_month.get(key, 0) - quantity
    return _closing_and_opening(filters, upper, sums, empty), distributed_by_month


def _closing_and_opening(filters, upper, sums: dict, empty: dict) -> dict:
    """Inventory rows from the period's sums and the balances now, for every (site, supply)
    with any movement before the period's end."""
    # Balances summed per (site, supply) first, so the history check runs once per pair.
    on_hand = (
        db.select(
            Balance.site_id.label("site_id"),
            Balance.supply_id.label("supply_id"),
            func.sum(Balance.quantity).label("quantity"),
        )
        .where(*_balance_filters(filters))
        .group_by(Balance.site_id, Balance.supply_id)
        .subquery()
    )
    # A (site, supply) belongs in the table if it had any movement before the period's end.
    seen = (
        db.select(Movement.id)
        .where(
            Movement.site_id == on_hand.c.site_id,
            Movement.supply_id == on_hand.c.supply_id,
            Movement.occurred_at < upper,
            *_movement_filters(filters),
        )
        .exists()
    )
    held = db.session.execute(
        db.select(on_hand.c.site_id, on_hand.c.supply_id, on_hand.c.quantity, seen)
    )
    result = {}
    for site_id, supply_id, on_hand, had_history in held:
        if not had_history:
            continue
        numbers = sums.get((site_id, supply_id), empty)
        closing = int(on_hand or 0) - numbers["after"]
        row = {name: numbers[name] for name in INVENTORY_COLUMNS}
        row["opening"] = closing - numbers["net"]
        row["closing"] = closing
        result[(site_id, supply_id)] = row
    return result


def expiring(filters, upper) -> list[dict]:
    """Lots held at the period's end that expire within the horizon after it (or already did)."""
    # Held at the end = the balance now minus what moved after the end (no full ledger scan).
    # The two reads are joined here rather than in SQL: a few thousand keys each, and no
    # plan to get wrong.
    site, batch = _unindexed(Movement.site_id), _unindexed(Movement.batch_id)
    moved_after = {
        (site_id, batch_id): int(quantity)
        for site_id, batch_id, quantity in db.session.execute(
            db.select(site, batch, func.sum(Movement.quantity))
            .where(Movement.occurred_at >= upper, *_movement_filters(filters))
            .group_by(site, batch)
        )
    }
    horizon = filters.end + timedelta(days=EXPIRY_HORIZON_DAYS)
    rows = db.session.execute(
        db.select(
            Site.code,
            Supply.code,
            Batch.lot_number,
            Batch.expires_on,
            Balance.quantity,
            FundingSource.code,
            Batch.status,
            Supply.name,
            Site.name,
            Balance.site_id,
            Balance.batch_id,
            Batch.supply_id,
        )
        .join(Batch, Batch.id == Balance.batch_id)
        .join(Site, Site.id == Balance.site_id)
        .join(Supply, Supply.id == Batch.supply_id)
        .outerjoin(FundingSource, FundingSource.id == Batch.funding_source_id)
        .where(
            Batch.expires_on.is_not(None), Batch.expires_on <= horizon, *_balance_filters(filters)
        )
    )
    keys = ("site", "supply", "lot", "expires_on", "quantity", "funding", "status")
    rows = rows.all()
    # Each lot's status at the end of the period, not today's (a lot recalled since was
    # still available then; one released since was still quarantined).
    then = timeline.statuses_at({(row[11], row[2]) for row in rows}, upper)
    lots = []
    for row in rows:
        held = int(row[4]) - moved_after.get((row[9], row[10]), 0)
        if held > 0:
            lot = {**dict(zip(keys, row[:7], strict=True)), "quantity": held}
            lot["status"] = then.get((row[11], row[2]), row[6])
            lot.update(expired=row[3] <= filters.end, supply_name=row[7], site_name=row[8])
            lots.append(lot)
    lots.sort(key=lambda lot: (lot["expires_on"], lot["site"], lot["supply"], lot["lot"] or ""))
    return lots
