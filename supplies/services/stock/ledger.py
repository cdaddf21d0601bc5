"""Low-level stock moves: balance updates that never go below zero, and movement rows.

Every function here runs inside a unit-of-work transaction. Removals use a conditional
UPDATE (and FOR UPDATE row locks on PostgreSQL) so two requests cannot both take the
last unit; additions are an upsert, so a new (site, batch) pair needs no prior read.
These are the hottest statements of the program: they are Core statements on the
session's connection, built once and reused, because ORM statement building per call
cost more than the database work itself.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from supplies.extensions import db
from supplies.models import Balance, Batch, Movement
from supplies.models.types import utcnow
from supplies.services.common.errors import Conflict
from supplies.services.common.messages import msg
from supplies.services.db.inserts import insert_rows
from supplies.services.db.statements import in_list, list_params

_balances = Balance.__table__
_batches = Batch.__table__
MOVEMENTS = Movement.__table__


@dataclass(frozen=True)
class Holding:
    """Units of one batch at one site, as read for an allocation."""

    balance_id: int
    batch_id: int
    quantity: int
    lot_number: str | None
    expires_on: date | None
    status: str


@dataclass(frozen=True)
class Allocation:
    """Units taken from one batch to fill part of a request."""

    batch_id: int
    quantity: int
    lot_number: str | None
    expires_on: date | None


class StockChanged(Conflict):
    """A balance changed between its locked read and its update (a guard: never expected)."""

    def __init__(self):
        super().__init__(msg("The stock changed while this was being recorded. Try again."))


class Shortfall(Exception):
    """Fewer usable units than asked for; carries how many there are."""

    def __init__(self, available: int):
        super().__init__(available)
        self.available = available


@cache
def _holdings_statement(
    supplies: int, *, usable: bool, by_lot: bool, lock: bool, limited: bool = False
):
    """The balances-with-batches read, built once per shape: `supplies` ids in the IN list,
    only usable batches, one lot only, row locks, and a LIMIT, each as asked."""
    query = (
        select(
            _balances.c.supply_id,
            _balances.c.id,
            _balances.c.batch_id,
            _balances.c.quantity,
            _batches.c.lot_number,
            _batches.c.expires_on,
            _batches.c.status,
        )
        .join(_batches, _batches.c.id == _balances.c.batch_id)
        .where(
            _balances.c.site_id == bindparam("site_id"),
            in_list(_balances.c.supply_id, "supply", supplies),
            _balances.c.quantity > 0,
            # Received by an import still being written: not to be taken yet (issue 23).
            _batches.c.import_id.is_(None),
        )
        # Supply first: several supplies read at once come back (and are locked) in one
        # global order, so two concurrent removals cannot deadlock.
        .order_by(_balances.c.supply_id, _batches.c.expires_on.asc().nulls_last(), _batches.c.id)
    )
    if usable:
        query = query.where(
            _batches.c.status == "available",
            _batches.c.expires_on.is_(None) | (_batches.c.expires_on >= bindparam("usable_on")),
        )
    if by_lot:
        query = query.where(_batches.c.lot_number == bindparam("lot_number"))
    if limited:
        query = query.limit(bindparam("limit"))
    if lock:
        query = query.with_for_update(of=_balances)
    return query


# A site rarely holds more than a few batches of one supply; reading the first few per line,
# and all of them only when those fall short, keeps a distribution cheap where many are held.
FIRST_BATCHES = 8


def usable_first(site_id: int, needs: dict[int, int], usable_on: date) -> dict[int, list[Holding]]:
    """The usable batches that removals of {supply id: quantity} need, first expiry first,
    locked, read in one statement for every supply."""
    params = {"site_id": site_id, "usable_on": usable_on, **list_params("supply", sorted(needs))}
    connection = db.session.connection()
    limit = FIRST_BATCHES * len(needs)
    rows = connection.execute(
        _holdings_statement(len(needs), usable=True, by_lot=False, lock=True, limited=True),
        {**params, "limit": limit},
    ).all()
    found = _by_supply(rows)
    short = any(sum(h.quantity for h in found.get(s, ())) < q for s, q in needs.items())
    if len(rows) == limit and short:
        everything = _holdings_statement(len(needs), usable=True, by_lot=False, lock=True)
        found = _by_supply(connection.execute(everything, params))
    return found


def _by_supply(rows) -> dict[int, list[Holding]]:
    found: dict[int, list[Holding]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(Holding(*row[1:]))
    return found


def holdings_of(site_id: int, supply_ids: list[int], *, lock: bool) -> dict[int, list[Holding]]:
    """Every batch of these supplies on hand at a site, whatever its status, per supply id,
    first expiry first; with lock, the rows are locked in supply order (one statement)."""
    if not supply_ids:
        return {}
    supply_ids = sorted(supply_ids)
    statement = _holdings_statement(len(supply_ids), usable=False, by_lot=False, lock=lock)
    params = {"site_id": site_id, **list_params("supply", supply_ids)}
    return _by_supply(db.session.connection().execute(statement, params))


def holdings(
    site_id: int,
    supply_id: int,
    *,
    usable_on: date | None = None,
    lot_number: str | None = None,
    lock: bool = False,
) -> list[Holding]:
    """Batches of one supply on hand at a site, first expiry first.

    With usable_on, only available batches unexpired on that day: what may be handed out
    or transferred. Without it, every batch whatever its status (for write-offs and counts).
    """
    statement = _holdings_statement(
        1, usable=usable_on is not None, by_lot=lot_number is not None, lock=lock
    )
    params = {"site_id": site_id, **list_params("supply", [supply_id])}
    if usable_on is not None:
        params["usable_on"] = usable_on
    if lot_number is not None:
        params["lot_number"] = lot_number
    rows = db.session.connection().execute(statement, params)
    return [Holding(*row[1:]) for row in rows]


@cache
def _take_statement():
    return (
        update(_balances)
        .where(_balances.c.id == bindparam("balance_id"))
        .where(_balances.c.quantity >= bindparam("portion"))
        .values(quantity=_balances.c.quantity - bindparam("portion"))
    )


def allocate(holdings_in_order: list[Holding], quantity: int) -> list[tuple[Holding, int]]:
    """Plan a removal first-expiry-first-out: (holding, units) pairs; Shortfall if short.

    Nothing is written: remove() applies one or several lines' plans in one statement.
    """
    available = sum(h.quantity for h in holdings_in_order)
    if available < quantity:
        raise Shortfall(available)
    portions = []
    remaining = quantity
    for holding in holdings_in_order:
        if remaining == 0:
            break
        portion = min(remaining, holding.quantity)
        portions.append((holding, portion))
        remaining -= portion
    return portions


def remove(portions: list[tuple[Holding, int]]) -> list[Allocation]:
    """Take planned portions off their balances with one conditional update each, sent as
    one batch; a balance never goes below zero."""
    if not portions:
        return []
    result = db.session.connection().execute(
        _take_statement(),
        [{"balance_id": holding.balance_id, "portion": portion} for holding, portion in portions],
    )
    if result.rowcount != len(portions):
        # Another transaction changed a row since it was read: not possible under the row
        # locks or SQLite's write lock, but never trust that silently.
        raise StockChanged()
    return [Allocation(h.batch_id, portion, h.lot_number, h.expires_on) for h, portion in portions]


def take(holdings_in_order: list[Holding], quantity: int) -> list[Allocation]:
    """Remove units first-expiry-first-out from the given holdings; raise Shortfall if short."""
    return remove(allocate(holdings_in_order, quantity))


@cache
def _put_statement(dialect: str):
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = build(_balances)
    return statement.on_conflict_do_update(
        index_elements=["site_id", "batch_id"],
        set_={"quantity": _balances.c.quantity + statement.excluded.quantity},
    )


def put(site_id: int, supply_id: int, batch_id: int, quantity: int) -> None:
    """Add units of a batch to a site's balance, creating the balance row when needed."""
    connection = db.session.connection()
    connection.execute(
        _put_statement(connection.dialect.name),
        {"site_id": site_id, "supply_id": supply_id, "batch_id": batch_id, "quantity": quantity},
    )


def movement_row(
    kind: str,
    site_id: int,
    supply_id: int,
    batch_id: int,
    quantity: int,
    *,
    operation_id: str,
    user_id: int | None,
    occurred_at: datetime,
    reason: str | None = None,
    note: str | None = None,
) -> dict:
    """One ledger row, ready for write_movements()."""
    return {
        "kind": kind,
        "site_id": site_id,
        "supply_id": supply_id,
        "batch_id": batch_id,
        "quantity": quantity,
        "reason": reason,
        "note": note,
        "occurred_at": occurred_at,
        "recorded_at": utcnow(),
        "user_id": user_id,
        "operation_id": operation_id,
    }


def write_movements(rows: list[dict]) -> None:
    """Append movement rows to the ledger in one statement."""
    insert_rows([(MOVEMENTS, rows)])
