"""Undoing an import refused midway: every chunk already written is reversed by movements
(a void of each imported event, a negative movement of each imported receipt line), newest
first, in short transactions, the lock order kept. Adding stock back never fails, and an
import's received batches were never taken from (they stay hidden until it is done).
"""

import uuid
from datetime import date

from sqlalchemy import select, update

from supplies.extensions import db
from supplies.models import (
    Balance,
    Batch,
    DistributionEvent,
    Movement,
    Operation,
)
from supplies.services.common import clock
from supplies.services.db import operations
from supplies.services.db.unit_of_work import transaction
from supplies.services.imports.columns import STOCK
from supplies.services.imports.writing import advance, step_id
from supplies.services.stock import ledger, weekly

VOID_NOTE = "entered_in_error"
REVERSING = "reversing"


# --- undoing -----------------------------------------------------------------------------------


def reverse(actor, run_id: str, kind: str, written: int, reversed_: int) -> None:
    """Undo the written steps, newest first, in short transactions (adding stock back never
    fails, and an import's received batches were never taken from)."""
    reversal = str(uuid.uuid5(uuid.UUID(run_id), "reversal"))
    size = 200
    while reversed_ < written:
        stop = written - reversed_
        start = max(0, stop - size)
        ids = [step_id(run_id, index) for index in range(start, stop)]
        with transaction():
            advance(run_id, "steps_reversed", reversed_, reversed_ + len(ids), REVERSING)
            _reversal_operation(reversal, run_id, actor.id)
            if kind == STOCK:
                _undo_receipts(ids, reversal, actor.id)
            else:
                _undo_events(ids, reversal, actor.id)
        reversed_ += len(ids)


def _reversal_operation(reversal: str, run_id: str, user_id) -> None:
    exists = db.session.execute(select(Operation.id).where(Operation.id == reversal)).first()
    if exists is None:
        result = {"import": run_id, "reversed": True}
        request = operations.OperationRequest(reversal, operations.fingerprint(result))
        operations.record(request, "import_undo", user_id, result)


def _undo_events(ids: list[str], reversal: str, user_id) -> None:
    """Void each imported event still standing, putting its units back where they came from."""
    voided = (
        db.session.execute(
            update(DistributionEvent)
            .where(DistributionEvent.id.in_(ids), DistributionEvent.voided_at.is_(None))
            .values(voided_at=clock.now(), void_reason=VOID_NOTE, voided_by_id=user_id)
            .returning(DistributionEvent.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    _put_back(set(voided), "distribute", reversal, user_id)


def _undo_receipts(ids: list[str], reversal: str, user_id) -> None:
    """Take each imported receipt line's units back off its (hidden) batch."""
    _put_back(set(ids), "receive", reversal, user_id)


# The movement that reverses each kind: a distribution is voided (its units counted back
# out of Distributed); a receipt is received back, negative, so that Received, not
# Distributed, nets to what was really received.
REVERSING_KIND = {"distribute": "void", "receive": "receive"}


def _put_back(operation_ids: set[str], kind: str, reversal: str, user_id) -> None:
    if not operation_ids:
        return
    moved = db.session.execute(
        select(
            Movement.site_id,
            Movement.supply_id,
            Movement.batch_id,
            Movement.quantity,
            Movement.occurred_at,
            Batch.expires_on,
        )
        .join(Batch, Batch.id == Movement.batch_id)
        .where(Movement.operation_id.in_(operation_ids), Movement.kind == kind)
    ).all()
    # The lock order again: site, supply, first expiry, batch.
    moved.sort(key=lambda m: (m[0], m[1], m[5] is None, m[5] or date.min, m[2]))
    rows = []
    for site_id, supply_id, batch_id, quantity, occurred_at, _expires in moved:
        if quantity > 0:
            _take_back(site_id, batch_id, quantity)
        else:
            ledger.put(site_id, supply_id, batch_id, -quantity)
        rows.append(
            ledger.movement_row(
                REVERSING_KIND[kind],
                site_id,
                supply_id,
                batch_id,
                -quantity,
                operation_id=reversal,
                user_id=user_id,
                occurred_at=occurred_at,
                reason="void",
                note=VOID_NOTE,
            )
        )
    ledger.write_movements(rows)
    if kind == "distribute" and moved:
        weekly.note_dated(min(m[4] for m in moved))


def _take_back(site_id: int, batch_id: int, quantity: int) -> None:
    taken = db.session.execute(
        update(Balance)
        .where(
            Balance.site_id == site_id,
            Balance.batch_id == batch_id,
            Balance.quantity >= quantity,
        )
        .values(quantity=Balance.quantity - quantity)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise ledger.StockChanged()
