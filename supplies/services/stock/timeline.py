"""Stock in business time: what a back-dated removal may take.

A write dated in the past (a paper tally typed in later, an import, an offline queue, an
API client) must fit the stock on hand at that moment and at every later one: replayed in
occurred_at order, no batch's balance at a site may go below zero. For each batch this
module works out its *spare* units at a moment: the balance then, or the lowest balance
any later movement leaves, whichever is smaller. Taking no more than that keeps every
moment from then on at zero or above. A batch that reached the site later has nothing
then, so lots count only once received; a lot also counts only if unexpired on that day
and available (not quarantined or recalled) at that moment, read from its dated status.

Writes dated now never come here: `is_back_dated` says whether anything of the supplies
was moved, or any of their lots changed status, after the moment, and only then is the
history read. Callers hold the balance rows locked (ledger.holdings with lock) first, so
no other write can change these batches' history while it is read.
"""

from datetime import datetime

from sqlalchemy import func, select

from supplies.extensions import db
from supplies.models import LotStatusChange, Movement, Site
from supplies.services.catalog import SupplyRef
from supplies.services.common import clock
from supplies.services.common.errors import InsufficientStock
from supplies.services.common.messages import msg
from supplies.services.stock import ledger

AVAILABLE = "available"


def is_back_dated(site_id: int, supply_ids, moment: datetime) -> bool:
    """Whether a movement of these supplies at the site, or a status change of one of their
    lots, is dated after the moment (then the moment's stock must be worked out)."""
    supply_ids = list(supply_ids)
    later_movement = db.session.execute(
        select(Movement.id)
        .where(
            Movement.site_id == site_id,
            Movement.supply_id.in_(supply_ids),
            Movement.occurred_at > moment,
        )
        .limit(1)
    ).first()
    if later_movement:
        return True
    later_status = db.session.execute(
        select(LotStatusChange.id)
        .where(LotStatusChange.supply_id.in_(supply_ids), LotStatusChange.occurred_at > moment)
        .limit(1)
    ).first()
    return later_status is not None


def spare_units(site_id: int, supply_id: int, on_hand: dict[int, int], moment: datetime):
    """Per batch: units a removal dated at the moment may take without any balance from
    then on going below zero (movements at the same instant count as before it).

    Only the movements after the moment are read: the balance then is the balance now
    (`on_hand`, batch id -> units, read locked) less what moved since, and each later
    balance is the balance then plus the movements up to it. A tally typed in the day
    after reads a day of history, not the site's years.
    """
    if not on_hand:
        return {}
    running = (
        func.sum(Movement.quantity)
        .over(partition_by=Movement.batch_id, order_by=(Movement.occurred_at, Movement.id))
        .label("running")
    )
    later = (
        select(Movement.batch_id, Movement.quantity, running)
        .where(
            Movement.site_id == site_id,
            Movement.supply_id == supply_id,
            Movement.batch_id.in_(list(on_hand)),
            Movement.occurred_at > moment,
        )
        .subquery()
    )
    changes = {
        batch_id: (int(total), int(lowest))
        for batch_id, total, lowest in db.session.execute(
            select(
                later.c.batch_id, func.sum(later.c.quantity), func.min(later.c.running)
            ).group_by(later.c.batch_id)
        )
    }
    spare = {}
    for batch_id, units in on_hand.items():
        since, lowest = changes.get(batch_id, (0, 0))
        then = units - since
        spare[batch_id] = max(0, then + min(0, lowest))
    return spare


def statuses_at(lots, moment: datetime) -> dict[tuple[int, str], str]:
    """Each (supply id, lot number)'s status at the moment, for the lots that ever changed
    status (before its first change a lot was available); lots never changed are left out:
    their batches' own status holds."""
    lots = {(supply_id, lot) for supply_id, lot in lots if lot is not None}
    if not lots:
        return {}
    supply_ids = {supply_id for supply_id, _ in lots}
    rows = db.session.execute(
        select(
            LotStatusChange.supply_id,
            LotStatusChange.lot_number,
            LotStatusChange.status,
            LotStatusChange.occurred_at,
        )
        .where(
            LotStatusChange.supply_id.in_(supply_ids),
            LotStatusChange.lot_number.in_({lot for _, lot in lots}),
        )
        .order_by(LotStatusChange.occurred_at, LotStatusChange.id)
    )
    statuses: dict[tuple[int, str], str] = {}
    for supply_id, lot_number, status, occurred_at in rows:
        key = (supply_id, lot_number)
        if key not in lots:
            continue
        statuses.setdefault(key, AVAILABLE)
        if occurred_at <= moment:
            statuses[key] = status
    return statuses


def holdings_at(
    site_id: int,
    supply_id: int,
    moment: datetime,
    *,
    usable: bool,
    lot_number: str | None = None,
) -> list[ledger.Holding]:
    """The batches a removal dated at the moment may take from, first expiry first, each
    with its spare units; locked. With usable, only lots unexpired that day and available
    then (for handing out and transfers); without, any status (write-offs, counts)."""
    current = ledger.holdings(site_id, supply_id, lot_number=lot_number, lock=True)
    on_hand: dict[int, int] = {}
    for holding in current:
        on_hand[holding.batch_id] = on_hand.get(holding.batch_id, 0) + holding.quantity
    spare = spare_units(site_id, supply_id, on_hand, moment)
    statuses = statuses_at({(supply_id, h.lot_number) for h in current}, moment)
    day = clock.local_date(moment)
    found = []
    for holding in current:
        units = spare.get(holding.batch_id, 0)
        if units <= 0:
            continue
        status = statuses.get((supply_id, holding.lot_number), holding.status)
        if usable and (
            status != AVAILABLE or (holding.expires_on is not None and holding.expires_on < day)
        ):
            continue
        found.append(
            ledger.Holding(
                holding.balance_id,
                holding.batch_id,
                units,
                holding.lot_number,
                holding.expires_on,
                status,
            )
        )
    return found


def first_arrival(site_id: int, supply_id: int) -> datetime | None:
    """When units of the supply first reached the site (received or transferred in)."""
    return db.session.execute(
        select(func.min(Movement.occurred_at)).where(
            Movement.site_id == site_id, Movement.supply_id == supply_id, Movement.quantity > 0
        )
    ).scalar_one_or_none()


def shortfall(
    site: Site, supply: SupplyRef, moment: datetime, wanted: int, available: int, field: str
) -> InsufficientStock:
    """The refusal of a back-dated removal, saying what the site held at that moment."""
    day = clock.local_date(moment)
    arrived = first_arrival(site.id, supply.id)
    if available == 0 and (arrived is None or arrived > moment):
        if arrived is None:
            message = msg(
                "On %(day)s %(site)s held 0 %(supply)s; none has arrived there since.",
                day=day.isoformat(),
                site=site.name,
                supply=supply.name,
            )
        else:
            message = msg(
                "On %(day)s %(site)s held 0 %(supply)s; its first lot arrived %(arrived)s.",
                day=day.isoformat(),
                site=site.name,
                supply=supply.name,
                arrived=clock.local_date(arrived).isoformat(),
            )
    else:
        message = msg(
            "On %(day)s %(site)s could give %(available)s %(supply)s without leaving a later "
            "balance below zero; %(wanted)s requested.",
            day=day.isoformat(),
            site=site.name,
            available=available,
            supply=supply.name,
            wanted=wanted,
        )
    return InsufficientStock(
        message,
        {field: msg("only %(available)s available then", available=available)},
        {supply.code: available},
    )
