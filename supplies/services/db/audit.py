"""Writing the audit log, inside the same transaction as the change it records."""

from supplies.models import AuditEntry
from supplies.models.types import utcnow
from supplies.services.db.inserts import insert_rows

ENTRIES = AuditEntry.__table__


def record(actor_id: int | None, action: str, object_type: str, object_id, changes=None) -> None:
    """Add an audit entry for a write, sign-in or export; never pass participant data."""
    insert_rows([(ENTRIES, [entry_row(actor_id, action, object_type, object_id, changes)])])


def entry_row(actor_id: int | None, action: str, object_type: str, object_id, changes=None):
    """An audit entry as a row, for a write that inserts it together with its other rows."""
    return {
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "occurred_at": utcnow(),
        "changes": changes,
    }
