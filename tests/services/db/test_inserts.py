"""Rows for several tables inserted together (one statement on PostgreSQL), in order."""

from datetime import datetime, timezone

from supplies.extensions import db
from supplies.models import AuditEntry, DistributionEvent, DistributionLine, Operation
from supplies.services import catalog
from supplies.services.db.inserts import insert_rows
from supplies.services.db.unit_of_work import transaction
from tests.conftest import new_id


def test_rows_of_several_tables_go_in_together_with_their_values(make, program):
    hub_id = catalog.site_by_code("HUB").id
    event_id, now = new_id(), datetime.now(timezone.utc)
    event = {
        "id": event_id,
        "site_id": hub_id,
        "occurred_at": now,
        "recorded_at": now,
        "setting": "outreach",
        "trained": True,
        "reversals_reported": 2,
        "area": None,
    }
    supplies = [make.supply("NAL1").id, make.supply("NAL2").id, make.supply("NAL3").id]
    lines = [
        {"event_id": event_id, "supply_id": s, "quantity": n} for n, s in enumerate(supplies, 1)
    ]
    operation = {
        "id": event_id,
        "kind": "distribution",
        "fingerprint": "f" * 64,
        "user_id": None,
        "created_at": now,
        "result": {"items": [1, 2], "note": None},
    }
    entry = {
        "actor_id": None,
        "action": "test.insert",
        "object_type": "distribution",
        "object_id": event_id,
        "occurred_at": now,
        "changes": None,
    }
    with transaction():
        insert_rows(
            [
                (DistributionEvent.__table__, [event]),
                (DistributionLine.__table__, lines),
                (AuditEntry.__table__, [entry]),
                (Operation.__table__, [operation]),
            ]
        )
    stored = db.session.get(DistributionEvent, event_id)
    assert (stored.setting, stored.trained, stored.reversals_reported, stored.area) == (
        "outreach",
        True,
        2,
        None,
    )
    quantities = db.session.execute(
        db.select(DistributionLine.supply_id, DistributionLine.quantity)
        .where(DistributionLine.event_id == event_id)
        .order_by(DistributionLine.quantity)
    ).all()
    assert [tuple(row) for row in quantities] == list(zip(supplies, [1, 2, 3], strict=True))
    assert db.session.get(Operation, event_id).result == {"items": [1, 2], "note": None}
    assert (
        db.session.execute(
            db.select(AuditEntry.object_id).where(AuditEntry.action == "test.insert")
        ).scalar_one()
        == event_id
    )
