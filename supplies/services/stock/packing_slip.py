"""Reading recorded transfers back, for the packing slip."""

from dataclasses import dataclass

from supplies.extensions import db
from supplies.models import Operation, User
from supplies.services import catalog
from supplies.services.common import permissions
from supplies.services.common import validation as v
from supplies.services.common.errors import NotFound
from supplies.services.common.messages import msg


@dataclass(frozen=True)
class SlipLine:
    """One supply of a transfer: units and the lots they came from."""

    supply: object
    quantity: int
    lots: list[dict]


@dataclass(frozen=True)
class PackingSlip:
    """A transfer as the slip prints it: one slip for every line."""

    id: str
    from_site: object
    to_site: object
    lines: list[SlipLine]
    occurred_at: str
    sent_by: str | None

    @property
    def units(self) -> int:
        """Units moved over every line."""
        return sum(line.quantity for line in self.lines)


def packing_slip(user, operation_id: str) -> PackingSlip:
    """The slip of a recorded transfer (coordinators and admins)."""
    permissions.require(user, "manage_stock")
    return read_slip(operation_id)


def read_slip(operation_id: str) -> PackingSlip:
    """The slip of a recorded transfer, for a caller that has checked who may read it
    (a partner reads the slip of its own fulfilled request: services.partners)."""
    # Operation ids are UUIDs: anything else is looked for nowhere (PostgreSQL refuses a
    # NUL byte in a query, and a path may carry one).
    operation = db.session.get(Operation, operation_id) if v.is_uuid(operation_id) else None
    if operation is None or operation.kind != "transfer":
        raise NotFound(msg("No such transfer."))
    result = operation.result
    sender = db.session.get(User, operation.user_id) if operation.user_id else None
    # Transfers recorded before lines existed kept one supply at the top level.
    items = result.get("items") or [
        {"supply": result["supply"], "quantity": result["quantity"], "lots": result["lots"]}
    ]
    supplies = catalog.supplies_by_code([item["supply"] for item in items])
    return PackingSlip(
        result["id"],
        catalog.site_by_code(result["from_site"], active_only=False),
        catalog.site_by_code(result["to_site"], active_only=False),
        [SlipLine(supplies[i["supply"]], i["quantity"], i["lots"]) for i in items],
        result["occurred_at"],
        sender.name if sender else None,
    )
