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
class PackingSlip:
    """A transfer as the slip prints it."""

    id: str
    from_site: object
    to_site: object
    supply: object
    quantity: int
    occurred_at: str
    lots: list[dict]
    sent_by: str | None


def packing_slip(user, operation_id: str) -> PackingSlip:
    """The slip of a recorded transfer (coordinators and admins)."""
    permissions.require(user, "manage_stock")
    # Operation ids are UUIDs: anything else is looked for nowhere (PostgreSQL refuses a
    # NUL byte in a query, and a path may carry one).
    operation = db.session.get(Operation, operation_id) if v.is_uuid(operation_id) else None
    if operation is None or operation.kind != "transfer":
        raise NotFound(msg("No such transfer."))
    result = operation.result
    sender = db.session.get(User, operation.user_id) if operation.user_id else None
    return PackingSlip(
        result["id"],
        catalog.site_by_code(result["from_site"], active_only=False),
        catalog.site_by_code(result["to_site"], active_only=False),
        catalog.supplies_by_code([result["supply"]])[result["supply"]],
        result["quantity"],
        result["occurred_at"],
        result["lots"],
        sender.name if sender else None,
    )
