"""Writing off all expired stock of a site in one confirmed action."""

from supplies.extensions import db
from supplies.models import Balance, Batch, Supply
from supplies.services import catalog
from supplies.services.common import clock, permissions
from supplies.services.common import validation as v
from supplies.services.common.errors import Conflict
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.operations import OperationRequest, OperationResult
from supplies.services.db.unit_of_work import transaction
from supplies.services.stock import ledger


def expired_holdings(site_id: int, lock: bool = False) -> list[tuple[str, ledger.Holding]]:
    """Expired batches on hand at a site, with their supply code, first expiry first."""
    query = (
        db.select(
            Supply.code,
            Balance.id,
            Balance.batch_id,
            Balance.quantity,
            Batch.lot_number,
            Batch.expires_on,
            Batch.status,
        )
        .join(Batch, Batch.id == Balance.batch_id)
        .join(Supply, Supply.id == Balance.supply_id)
        .where(
            Balance.site_id == site_id,
            Balance.quantity > 0,
            Batch.expires_on < clock.today(),
        )
        .order_by(Supply.code, Batch.expires_on, Batch.id)
    )
    if lock:
        query = query.with_for_update(of=Balance)
    return [(row[0], ledger.Holding(*row[1:])) for row in db.session.execute(query)]


def write_off_expired(actor, request: OperationRequest, site_code) -> OperationResult:
    """Adjust every expired unit at a site out of stock, reason `expired`, in one transaction."""
    fields = v.Fields()
    site = fields.check("site", catalog.site_by_code, site_code, active_only=False)
    fields.raise_if_any()
    permissions.require(actor, "manage_stock", site.id)
    replayed = operations.replay(request, "write_off")
    if replayed:
        return replayed
    occurred_at = clock.now()
    with transaction():
        held = expired_holdings(site.id, lock=True)
        if not held:
            raise Conflict(
                msg("%(site)s has no expired stock.", site=site.name),
                {"site": msg("no expired stock")},
            )
        supplies = catalog.supplies_by_code(sorted({code for code, _ in held}))
        rows, lines = [], []
        for code, holding in held:
            for part in ledger.take([holding], holding.quantity):
                rows.append(
                    ledger.movement_row(
                        "adjust",
                        site.id,
                        supplies[code].id,
                        part.batch_id,
                        -part.quantity,
                        operation_id=request.id,
                        user_id=actor.id,
                        occurred_at=occurred_at,
                        reason="expired",
                    )
                )
                lines.append(
                    {
                        "supply": code,
                        "lot_number": part.lot_number,
                        "expires_on": part.expires_on.isoformat() if part.expires_on else None,
                        "quantity": part.quantity,
                    }
                )
        ledger.write_movements(rows)
        result = {
            "id": request.id,
            "site": site.code,
            "reason": "expired",
            "units": sum(line["quantity"] for line in lines),
            "lines": lines,
            "occurred_at": occurred_at.isoformat(),
        }
        operations.record(request, "write_off", actor.id, result)
        audit.record(actor.id, "adjustment.write_off_expired", "site", site.code, result)
    return OperationResult(result, created=True)
