"""A known ledger for the funder report, in America/New_York, around the first quarter of 2026.

Expected numbers are written out by hand in the tests that use it.
"""

import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from supplies.services.common import clock
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from supplies.services.stock import work
from supplies.services.stock.work import ReceiptLine

TZ = ZoneInfo("America/New_York")
LOT_A_EXPIRES = "2026-06-30"
LOT_B_EXPIRES = "2027-06-30"


def local(text: str) -> datetime:
    """A local wall time in the program's zone as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ).astimezone(timezone.utc)


class Ledger:
    """Writes through the real services with the program clock set to chosen moments."""

    def __init__(self, monkeypatch, actor):
        self.monkeypatch = monkeypatch
        self.actor = actor

    def at(self, text: str) -> None:
        """Set the program clock to a local wall time."""
        moment = local(text)
        self.monkeypatch.setattr(clock, "now", lambda: moment)

    def _request(self, body=None):
        return OperationRequest.new(str(uuid.uuid4()), body or {"n": str(uuid.uuid4())})

    def receive(self, when, site, supply, quantity, lot=None, expires=None, funding=None):
        """Receive at a local time."""
        self.at(when)
        line = ReceiptLine(supply, quantity, lot, expires, funding)
        return work.receive(self.actor, self._request(), site, [line])

    def transfer(self, when, from_site, to_site, supply, quantity):
        """Transfer at a local time."""
        self.at(when)
        body = {"from_site": from_site, "to_site": to_site, "supply": supply, "quantity": quantity}
        return work.transfer(self.actor, self._request(body), body)

    def adjust(self, when, site, supply, quantity, reason="expired"):
        """Adjust at a local time."""
        self.at(when)
        body = {"site": site, "supply": supply, "quantity": quantity, "reason": reason}
        return work.adjust(self.actor, self._request(body), body)

    def count(self, when, site, supply, counted):
        """Count at a local time."""
        self.at(when)
        body = {"site": site, "supply": supply, "counted": counted}
        return work.count(self.actor, self._request(body), body)

    def distribute(self, when, site, items, **fields):
        """Log an event that occurred at a local time (recorded a minute later)."""
        self.at(when)
        moment = local(when)
        self.monkeypatch.setattr(clock, "now", lambda: moment.replace(second=59))
        body = {
            "id": str(uuid.uuid4()),
            "site": site,
            "occurred_at": moment.isoformat(),
            "items": [{"supply": s, "quantity": q} for s, q in items.items()],
            **fields,
        }
        return events.distribute(self.actor, OperationRequest.new(body["id"], body), body)

    def void(self, when, event_id):
        """Void an event at a local time."""
        self.at(when)
        body = {"reason": "duplicate"}
        return events.void(self.actor, self._request(body), event_id, body)


def strips_at_hub(app, make, monkeypatch) -> Ledger:
    """HUB with 500 test strips from January 2, 2026, in New York time, each quarter closing
    the day after it ends: a program whose quarter counts a test can publish."""
    app.config.update(REPORTING_CLOSE_DAYS=1, APP_TIMEZONE="America/New_York")
    make.site("HUB")
    make.supply("FTS", category="fentanyl_test_strip")
    ledger = Ledger(monkeypatch, make.admin)
    ledger.receive("2026-01-02T09:00", "HUB", "FTS", 500)
    return ledger


def build(make, monkeypatch):
    """Two sites, naloxone (2 doses a box) and test strips, one funding source, one quarter."""
    make.site("HUB", "fixed_site", name="Downtown Drop-in", county="Alder County")
    make.site("VAN", "mobile_van", name="Mobile Van", county="Birch County")
    make.supply("NARCAN4", name="Narcan 4 mg nasal spray")
    make.supply("FTS", category="fentanyl_test_strip", name="Fentanyl test strip")
    make.funding("SOR")
    make.area("Alder County", "NY")
    ledger = Ledger(monkeypatch, make.admin)
    ledger.receive("2025-12-10T09:00", "HUB", "NARCAN4", 100, "A", LOT_A_EXPIRES, "SOR")
    ledger.receive("2025-12-10T09:05", "HUB", "FTS", 500)
    ledger.distribute("2025-12-20T12:00", "HUB", {"NARCAN4": 5})
    ledger.receive("2026-01-05T10:00", "VAN", "NARCAN4", 40, "B", LOT_B_EXPIRES)
    ledger.transfer("2026-01-10T10:00", "HUB", "VAN", "NARCAN4", 20)
    # 23:30 on January 31 in New York is February 1 in UTC: it belongs to January.
    ledger.distribute(
        "2026-01-31T23:30",
        "HUB",
        {"NARCAN4": 3, "FTS": 50},
        reversals_reported=1,
        trained=True,
        recipient_type="person_who_uses_drugs",
        age_band="25_34",
        area="Alder County",
    )
    ledger.distribute(
        "2026-02-14T15:00",
        "VAN",
        {"NARCAN4": 4},
        reversals_reported=2,
        recipient_type="friend_or_family",
        language="es",
    )
    mistake = ledger.distribute("2026-02-20T11:00", "VAN", {"NARCAN4": 2}, reversals_reported=9)
    ledger.void("2026-03-02T09:00", mistake.result["id"])
    ledger.adjust("2026-03-01T09:00", "HUB", "NARCAN4", -2)
    ledger.count("2026-03-01T09:30", "HUB", "FTS", 440)
    ledger.distribute("2026-03-31T23:59", "HUB", {"FTS": 10}, trained=True, first_time="yes")
    ledger.distribute("2026-04-01T00:00:30", "HUB", {"NARCAN4": 1})
    ledger.at("2026-04-02T08:00")
    return ledger
