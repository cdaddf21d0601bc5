"""Par levels: the minimum and target stock of each supply at a site."""

from dataclasses import dataclass

from supplies.extensions import db
from supplies.models import ParLevel, Supply
from supplies.services import catalog
from supplies.services.common import permissions
from supplies.services.common import validation as v
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.operations import OperationRequest, OperationResult
from supplies.services.db.unit_of_work import transaction


@dataclass(frozen=True)
class ParEntry:
    """A par level as typed for one supply: minimum and target (both blank: none)."""

    supply: str
    minimum: object
    target: object


def par_levels_of(site_id: int) -> dict[int, ParLevel]:
    """The site's par levels keyed by supply id."""
    rows = db.session.execute(db.select(ParLevel).where(ParLevel.site_id == site_id)).scalars()
    return {row.supply_id: row for row in rows}


def par_level_counts() -> dict[int, int]:
    """How many supplies have a par level, per site id."""
    rows = db.session.execute(
        db.select(ParLevel.site_id, db.func.count(ParLevel.id)).group_by(ParLevel.site_id)
    )
    return {site_id: int(count) for site_id, count in rows}


def set_par_levels(
    actor, request: OperationRequest, site_code, entries: list[ParEntry]
) -> OperationResult:
    """Set a site's par levels in one go; an entry left blank removes that supply's level."""
    fields = v.Fields()
    site = fields.check("site", catalog.site_by_code, site_code)
    supplies = {
        s.code: s for s in db.session.execute(db.select(Supply).order_by(Supply.code)).scalars()
    }
    wanted: dict[int, tuple[int, int] | None] = {}
    for entry in entries:
        supply = supplies.get(entry.supply)
        if supply is None:
            fields.fail(f"minimum-{entry.supply}", msg("unknown supply"))
            continue
        if entry.minimum in (None, "") and entry.target in (None, ""):
            wanted[supply.id] = None
            continue
        minimum = fields.check(f"minimum-{supply.code}", v.quantity, entry.minimum, 0)
        target = fields.check(f"target-{supply.code}", v.quantity, entry.target, 0)
        if minimum is not None and target is not None and target < minimum:
            fields.fail(f"target-{supply.code}", msg("must not be below the minimum"))
        wanted[supply.id] = (minimum, target)
    fields.raise_if_any()
    permissions.require(actor, "manage_stock", site.id)
    replayed = operations.replay(request, "par_levels")
    if replayed:
        return replayed
    by_id = {s.id: s.code for s in supplies.values()}
    with transaction():
        current = par_levels_of(site.id)
        changes = {}
        for supply_id, levels in wanted.items():
            row = current.get(supply_id)
            old = (row.minimum, row.target) if row else None
            if old == levels:
                continue
            changes[by_id[supply_id]] = {"from": old, "to": levels}
            if levels is None:
                db.session.delete(row)
            elif row is None:
                db.session.add(
                    ParLevel(
                        site_id=site.id, supply_id=supply_id, minimum=levels[0], target=levels[1]
                    )
                )
            else:
                row.minimum, row.target = levels
        db.session.flush()
        result = {"id": request.id, "site": site.code, "changes": changes}
        operations.record(request, "par_levels", actor.id, result)
        audit.record(actor.id, "par_levels.set", "site", site.code, changes)
    return OperationResult(result, created=True)
