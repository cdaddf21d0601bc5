"""Fixtures of the import tests."""

import uuid
from datetime import date, timedelta

import pytest

from supplies.services import catalog
from supplies.services.db.operations import OperationRequest
from supplies.services.stock import work
from supplies.services.stock.work import ReceiptLine


@pytest.fixture
def receive_on(make):
    """Receive stock on a past day (stock must be there before it is distributed)."""

    def receive(site, supply, quantity, lot="LOT1", expires_in_days=365, days_ago=365):
        tracks = catalog.supply_by_code(supply).tracks_lots
        expires = (date.today() + timedelta(days=expires_in_days)).isoformat()
        line = ReceiptLine(supply, quantity, lot if tracks else None, expires if tracks else None)
        received_on = (date.today() - timedelta(days=days_ago)).isoformat()
        request = OperationRequest.new(str(uuid.uuid4()), {"r": str(uuid.uuid4())})
        return work.receive(make.admin, request, site, [line], received_on=received_on)

    return receive
