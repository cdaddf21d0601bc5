"""A program with two partner agencies, a partner account each, and stock at HUB."""

import uuid

import pytest

from supplies.services import catalog
from supplies.services.db.operations import OperationRequest


@pytest.fixture
def partners(make, program):
    """CLINIC and SHELTER (partner agencies) with one partner account each."""
    make.site("CLINIC", "partner_agency", name="Eastside Clinic", county="Alder County")
    make.site("SHELTER", "partner_agency", name="Harbor Shelter", county="Birch County")
    users = {
        "clinic": make.user("clinic@example.org", "partner", sites=("CLINIC",)),
        "shelter": make.user("shelter@example.org", "partner", sites=("SHELTER",)),
    }
    tokens = {name: make.token(user) for name, user in users.items()}
    return {"users": users, "tokens": tokens, **program["users"]}


def op(body: dict, operation_id: str | None = None) -> OperationRequest:
    """An operation request for a service call (a fresh id unless one is given)."""
    return OperationRequest.new(operation_id or str(uuid.uuid4()), body)


def stop_offering(coordinator, code: str = "FTS") -> None:
    """A coordinator unticks "Offered to partner agencies" on the test strips."""
    body = {
        "name": "Fentanyl test strip",
        "category": "fentanyl_test_strip",
        "unit": "each",
        "doses_per_unit": 0,
        "tracks_lots": False,
        "offered_to_partners": False,
    }
    catalog.update_supply(coordinator, op(body), code, body)
