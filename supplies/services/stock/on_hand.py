"""Reading stock: on-hand rows from the balance table, and the ledger check (balances equal
their movements; ledger_check: never below zero in business time)."""

from dataclasses import dataclass

from sqlalchemy import func

from supplies.extensions import db
from supplies.models import Balance, Batch, FundingSource, Movement, Site, Supply
from supplies.services.common import clock, permissions
from supplies.services.stock import forecast, ledger_check
from supplies.services.stock.ledger_check import NegativeInTime


@dataclass(frozen=True)
class LedgerMismatch:
    """A balance that differs from the sum of its movements."""

    site: str
    supply: str
    batch_id: int
    balance: int
    movements: int


def stock_rows(user, site_ids: list[int] | None = None) -> list[dict]:
    """On-hand stock per site, supply and batch, read from the balance table."""
    today = clock.today()
    query = (
        db.select(
            Site.code.label("site"),
            Supply.code.label("supply"),
            Supply.name.label("supply_name"),
            Batch.lot_number,
            Batch.expires_on,
            FundingSource.code.label("funding"),
            Batch.status,
            Balance.quantity,
        )
        .join(Site, Site.id == Balance.site_id)
        .join(Supply, Supply.id == Balance.supply_id)
        .join(Batch, Batch.id == Balance.batch_id)
        .outerjoin(FundingSource, FundingSource.id == Batch.funding_source_id)
        .where(Balance.quantity > 0)
        .order_by(Site.code, Supply.code, Batch.expires_on.asc().nulls_last(), Batch.id)
    )
    visible = permissions.visible_site_ids(user)
    if visible is not None:
        query = query.where(Balance.site_id.in_(visible))
    if site_ids is not None:
        query = query.where(Balance.site_id.in_(site_ids))
    rows = []
    for row in db.session.execute(query):
        rows.append(
            {
                "site": row.site,
                "supply": row.supply,
                "supply_name": row.supply_name,
                "lot_number": row.lot_number,
                "expires_on": row.expires_on.isoformat() if row.expires_on else None,
                "funding": row.funding,
                "status": row.status,
                "expired": bool(row.expires_on and row.expires_on < today),
                "quantity": row.quantity,
            }
        )
    return rows


def stock_rows_with_days_left(user, site_ids: list[int] | None = None) -> list[dict]:
    """stock_rows, each with `days_left`: about how many days the site's usable units of
    the supply last at its recent rate of use (services.stock.forecast); None without a
    rate. The same for every row of a site and supply."""
    rows = stock_rows(user, site_ids)
    sites = {s.code: s.id for s in db.session.execute(db.select(Site)).scalars()}
    supplies = {s.code: s.id for s in db.session.execute(db.select(Supply)).scalars()}
    rates = forecast.rates(site_ids)
    usable: dict[tuple[str, str], int] = {}
    for row in rows:
        if row["status"] == "available" and not row["expired"]:
            key = (row["site"], row["supply"])
            usable[key] = usable.get(key, 0) + row["quantity"]
    for row in rows:
        rate = rates.get((sites[row["site"]], supplies[row["supply"]]))
        key = (row["site"], row["supply"])
        row["days_left"] = rate.days_left(usable.get(key, 0)) if rate else None
    return rows


def on_hand_by_supply(site_id: int) -> dict[int, int]:
    """Units on hand at a site per supply id (every status), from the balance table."""
    rows = db.session.execute(
        db.select(Balance.supply_id, func.sum(Balance.quantity))
        .where(Balance.site_id == site_id)
        .group_by(Balance.supply_id)
    )
    return {supply_id: int(total or 0) for supply_id, total in rows}


def check_ledger() -> list[LedgerMismatch | NegativeInTime]:
    """Every balance that differs from the sum of its movements, then every (site, batch)
    whose running balance in business-time order goes below zero (its first moment there).
    Empty when the ledger is true now and at every moment before."""
    sums = (
        db.select(
            Movement.site_id,
            Movement.batch_id,
            func.sum(Movement.quantity).label("total"),
        )
        .group_by(Movement.site_id, Movement.batch_id)
        .subquery()
    )
    balances = db.session.execute(
        db.select(Balance.site_id, Balance.batch_id, Balance.quantity, sums.c.total).outerjoin(
            sums, (sums.c.site_id == Balance.site_id) & (sums.c.batch_id == Balance.batch_id)
        )
    ).all()
    seen = set()
    problems = []
    for site_id, batch_id, quantity, total in balances:
        seen.add((site_id, batch_id))
        if quantity != int(total or 0) or quantity < 0:
            problems.append((site_id, batch_id, quantity, int(total or 0)))
    for site_id, batch_id, total in db.session.execute(db.select(sums)).all():
        if (site_id, batch_id) not in seen and int(total) != 0:
            problems.append((site_id, batch_id, 0, int(total)))
    return [_describe(*problem) for problem in problems] + ledger_check.negative_in_time()


def _describe(site_id: int, batch_id: int, balance: int, total: int) -> LedgerMismatch:
    site = db.session.get(Site, site_id)
    batch = db.session.get(Batch, batch_id)
    return LedgerMismatch(
        site.code if site else str(site_id),
        batch.supply.code if batch else "?",
        batch_id,
        balance,
        total,
    )
