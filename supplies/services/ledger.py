"""Low-level stock moves: balance updates that never go below zero, and movement rows.

Every function here runs inside a unit-of-work transaction. Removals use a conditional
UPDATE (and FOR UPDATE row locks on PostgreSQL) so two requests cannot both take the
last unit; additions are an upsert, so a new (site, batch) pair needs no prior read.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.dialects import postgresql, sqlite

from supplies.extensions import db
from supplies.models import Balance, Batch, Movement
from supplies.models.types import utcnow


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


class Shortfall(Exception):
    """Fewer usable units than asked for; carries how many there are."""

    def __init__(self, available: int):
        super().__init__(available)
        self.available = available


def holdings(
    site_id: int,
    supply_id: int,
    *,
    usable_on: date | None = None,
    lot_number: str | None = None,
    lock: bool = False,
) -> list[Holding]:
    """Batches of a supply on hand at a site, first expiry first.

    With usable_on, only available batches unexpired on that day: what may be handed out
    or transferred. Without it, every batch whatever its status (for write-offs and counts).
    """
    query = (
        db.select(
            Balance.id,
            Balance.batch_id,
            Balance.quantity,
            Batch.lot_number,
            Batch.expires_on,
            Batch.status,
        )
        .join(Batch, Batch.id == Balance.batch_id)
        .where(Balance.site_id == site_id, Balance.supply_id == supply_id, Balance.quantity > 0)
        .order_by(Batch.expires_on.asc().nulls_last(), Batch.id)
    )
    if usable_on is not None:
        query = query.where(
            Batch.status == "available",
            (Batch.expires_on.is_(None)) | (Batch.expires_on >= usable_on),
        )
    if lot_number is not None:
        query = query.where(Batch.lot_number == lot_number)
    if lock:
        query = query.with_for_update(of=Balance)
    return [Holding(*row) for row in db.session.execute(query)]


def take(holdings_in_order: list[Holding], quantity: int) -> list[Allocation]:
    """Remove units first-expiry-first-out from the given holdings; raise Shortfall if short."""
    available = sum(h.quantity for h in holdings_in_order)
    if available < quantity:
        raise Shortfall(available)
    allocations = []
    remaining = quantity
    for holding in holdings_in_order:
        if remaining == 0:
            break
        portion = min(remaining, holding.quantity)
        result = db.session.execute(
            db.update(Balance)
            .where(Balance.id == holding.balance_id, Balance.quantity >= portion)
            .values(quantity=Balance.quantity - portion)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            # Another transaction changed this row since it was read (not possible under
            # the row lock or SQLite's write lock, but never trust that silently).
            raise Shortfall(available - portion)
        allocations.append(
            Allocation(holding.batch_id, portion, holding.lot_number, holding.expires_on)
        )
        remaining -= portion
    return allocations


def put(site_id: int, supply_id: int, batch_id: int, quantity: int) -> None:
    """Add units of a batch to a site's balance, creating the balance row when needed."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Balance).values(
        site_id=site_id, supply_id=supply_id, batch_id=batch_id, quantity=quantity
    )
    statement = statement.on_conflict_do_update(
        index_elements=["site_id", "batch_id"],
        set_={"quantity": Balance.quantity + statement.excluded.quantity},
    )
    db.session.execute(statement)


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
    if rows:
        db.session.execute(db.insert(Movement), rows)
