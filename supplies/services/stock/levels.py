"""Stock against par, aggregated in SQL: per cell, per site, per lot. The overview's queries.

Arguments named site_ids and supply_ids take a list of ids or a select of them.
"""

from datetime import date
from functools import cache

from sqlalchemy import Date, and_, bindparam, case, exists, func, literal, not_, or_, union_all

from supplies.extensions import db
from supplies.models import Balance, Batch, FundingSource, ParLevel, Supply


def usable_condition(today: date):
    """A batch whose units can be handed out: available and not expired."""
    return and_(
        Batch.status == "available",
        or_(Batch.expires_on.is_(None), Batch.expires_on >= today),
    )


def _unusable_batches(today: date):
    # Expired, quarantined or recalled: few batches, whose balances are read by batch.
    return db.select(Batch.id).where(not_(usable_condition(today)))


def cell_totals(today: date, site_ids=None, supply_ids=None):
    """On hand, usable and expired units per site and supply (a select)."""

    def scoped(query):
        if site_ids is not None:
            query = query.where(Balance.site_id.in_(site_ids))
        return query.group_by(Balance.site_id, Balance.supply_id)

    on_hand = scoped(
        db.select(Balance.site_id, Balance.supply_id, func.sum(Balance.quantity).label("units"))
    ).subquery()
    # Units that cannot be handed out sit in few batches: read through ix_balances_batch_site
    # from those batches, instead of testing every balance row. Not filtered by supply: the
    # join below keeps only the cells asked for, and a supply filter here sends SQLite's
    # planner down the site and supply index, one probe per batch.
    held = scoped(
        db.select(
            Balance.site_id,
            Balance.supply_id,
            func.sum(Balance.quantity).label("units"),
            func.sum(case((Batch.expires_on < today, Balance.quantity), else_=0)).label("expired"),
        )
        .join(Batch, Batch.id == Balance.batch_id)
        .where(Balance.batch_id.in_(_unusable_batches(today))),
    ).subquery()
    same = and_(held.c.site_id == on_hand.c.site_id, held.c.supply_id == on_hand.c.supply_id)
    cells = db.select(
        on_hand.c.site_id.label("site_id"),
        on_hand.c.supply_id.label("supply_id"),
        on_hand.c.units.label("on_hand"),
        (on_hand.c.units - func.coalesce(held.c.units, 0)).label("usable"),
        func.coalesce(held.c.expired, 0).label("expired"),
    ).outerjoin(held, same)
    # The supplies are picked from the summed cells (a few thousand), not from every balance
    # row before summing: on PostgreSQL that halves the overview's biggest query.
    if supply_ids is not None:
        cells = cells.where(on_hand.c.supply_id.in_(supply_ids))
    return cells


@cache
def cells_with_par(scoped: bool):
    """Every cell of the active supplies at every site, or at the sites named (scoped): on
    hand, usable and expired units and the par level (minimum and target, or none), par
    levels with no stock row included.

    A select built once per process (the overview runs it on every visit); its parameters
    are `today` and, when scoped, `site_ids`.
    """
    today = bindparam("today", type_=Date)
    site_ids = bindparam("site_ids", expanding=True) if scoped else None
    supply_ids = db.select(Supply.id).where(Supply.active.is_(True))
    cells = cell_totals(today, site_ids=site_ids, supply_ids=supply_ids).subquery()
    par = and_(ParLevel.site_id == cells.c.site_id, ParLevel.supply_id == cells.c.supply_id)
    stocked = db.select(
        cells.c.site_id,
        cells.c.supply_id,
        cells.c.on_hand,
        cells.c.usable,
        cells.c.expired,
        ParLevel.minimum,
        ParLevel.target,
    ).outerjoin(ParLevel, par)
    no_row = not_(
        exists().where(Balance.site_id == ParLevel.site_id, Balance.supply_id == ParLevel.supply_id)
    )
    empty = db.select(
        ParLevel.site_id,
        ParLevel.supply_id,
        literal(0),
        literal(0),
        literal(0),
        ParLevel.minimum,
        ParLevel.target,
    ).where(no_row, ParLevel.supply_id.in_(supply_ids))
    if scoped:
        empty = empty.where(ParLevel.site_id.in_(site_ids))
    return union_all(stocked, empty)


def lot_groups(site_ids, watched):
    """Units per watched batch across the sites and how many sites hold it, soonest first."""
    # One row per batch, not per site and batch, in one pass over the balances: the batches
    # are few, so they are picked first and the balances probed against that set.
    held = (
        db.select(
            Balance.batch_id,
            func.sum(Balance.quantity).label("units"),
            func.count(Balance.site_id).label("sites"),
            func.min(Balance.site_id).label("one_site"),
        )
        .where(
            Balance.batch_id.in_(db.select(Batch.id).where(watched)),
            Balance.quantity > 0,
            Balance.site_id.in_(site_ids),
        )
        .group_by(Balance.batch_id)
        .subquery()
    )
    query = (
        db.select(
            Batch.id,
            Batch.supply_id,
            Batch.lot_number,
            Batch.expires_on,
            Batch.status,
            FundingSource.code,
            held.c.units,
            held.c.sites,
            held.c.one_site,
        )
        .join(held, held.c.batch_id == Batch.id)
        .outerjoin(FundingSource, FundingSource.id == Batch.funding_source_id)
        .order_by(Batch.expires_on.asc().nulls_last(), Batch.id)
    )
    return db.session.execute(query).all()


def holders(batch_ids: list[int], site_ids) -> list[tuple[int, int]]:
    """(batch, site) for every site holding units of these batches."""
    query = (
        db.select(Balance.batch_id, Balance.site_id)
        .where(Balance.batch_id.in_(batch_ids), Balance.quantity > 0, Balance.site_id.in_(site_ids))
        .order_by(Balance.batch_id, Balance.site_id)
    )
    return [(batch_id, site_id) for batch_id, site_id in db.session.execute(query)]
