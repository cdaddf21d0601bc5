"""A ledger with everything the newer workbook tables break down, around the first quarter
of 2026 in America/New_York: receipts from each source and funding source, write-offs for
several reasons, a found adjustment, a shelf count, transfers, a voided event, areas
(listed county, ZIP prefix, none: the site's county) and units handed on for others.

And an independent recomputation of the workbook's supply tables: every movement, event
and batch read back as plain rows with ORM selects of their own, and the tables worked
out here in Python (local days with zoneinfo, quarters by hand), sharing no code with
supplies/services/reporting.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from supplies.extensions import db
from supplies.models import Batch, DistributionEvent, FundingSource, Movement, Site, Supply
from supplies.services.db.operations import OperationRequest
from supplies.services.stock import work
from supplies.services.stock.work import ReceiptLine
from tests.reports.dataset import Ledger

TZ = ZoneInfo("America/New_York")
REVERSAL = ("naloxone_nasal", "naloxone_injectable", "nalmefene")


def build(make, monkeypatch) -> Ledger:
    """Three sites (one without a county), five supplies, two funding sources."""
    make.site("HUB", "fixed_site", name="Downtown Drop-in", county="Alder County")
    make.site("VAN", "mobile_van", name="Mobile Van", county="Birch County")
    make.site("MAIL", "mail", name="Mail-out", county=None)
    make.supply("NARCAN4", name="Narcan 4 mg nasal spray")
    make.supply("ZIMHI", category="naloxone_injectable", doses=1, name="Zimhi 5 mg")
    make.supply("OPVEE", category="nalmefene", doses=1, name="Opvee 2.7 mg")
    make.supply("FTS", category="fentanyl_test_strip", name="Fentanyl test strip")
    make.supply("KIT", category="wound_care", name="Wound care kit")
    make.funding("SOR")
    make.funding("STATE")
    make.area("Alder County", "NY")
    make.area(zip3="123")
    ledger = Ledger(monkeypatch, make.admin)

    def receive(when, site, supply, quantity, lot=None, expires=None, funding=None, source=None):
        ledger.at(when)
        request = OperationRequest.new(str(uuid.uuid4()), {"n": str(uuid.uuid4())})
        line = ReceiptLine(supply, quantity, lot, expires, funding)
        return work.receive(make.admin, request, site, [line], source=source)

    def adjust(when, site, supply, quantity, reason, lot=None):
        ledger.at(when)
        body = {"site": site, "supply": supply, "quantity": quantity, "reason": reason}
        if lot:
            body["lot_number"] = lot
        request = OperationRequest.new(str(uuid.uuid4()), body)
        return work.adjust(make.admin, request, body)

    receive("2025-12-10T09:00", "HUB", "NARCAN4", 100, "A", "2027-06-30", "SOR")
    receive("2025-12-10T09:05", "HUB", "FTS", 500, source="donation")
    receive("2025-12-12T10:00", "HUB", "KIT", 50, funding="STATE")
    ledger.distribute("2025-12-20T12:00", "HUB", {"NARCAN4": 5}, for_others=True)
    ledger.adjust("2025-12-28T09:00", "HUB", "KIT", -4, reason="damaged")
    receive("2026-01-05T10:00", "VAN", "NARCAN4", 40, "B", "2027-09-30", "STATE", "state_program")
    receive("2026-01-06T10:00", "HUB", "ZIMHI", 30, "Z", "2027-03-31", "SOR")
    receive("2026-01-06T10:05", "HUB", "OPVEE", 20, "O", "2027-03-31", source="donation")
    receive("2026-01-06T10:10", "HUB", "KIT", 200, funding="STATE", source="purchase")
    receive("2026-01-07T10:00", "MAIL", "FTS", 300, funding="SOR", source="state_program")
    ledger.transfer("2026-01-10T10:00", "HUB", "VAN", "NARCAN4", 20)
    ledger.transfer("2026-01-11T10:00", "HUB", "MAIL", "KIT", 30)
    # 23:30 on January 31 in New York is February 1 in UTC: it belongs to January.
    ledger.distribute(
        "2026-01-31T23:30",
        "HUB",
        {"NARCAN4": 3, "FTS": 50},
        area="Alder County",
        for_others=True,
        trained=True,
    )
    ledger.distribute(
        "2026-02-03T10:00",
        "HUB",
        {"ZIMHI": 2, "KIT": 5},
        area="123",
        resupply_reason="used_on_overdose",
    )
    ledger.distribute("2026-02-14T15:00", "VAN", {"NARCAN4": 4}, language="es")
    mistake = ledger.distribute("2026-02-20T11:00", "VAN", {"NARCAN4": 2}, for_others=True)
    ledger.void("2026-03-02T09:00", mistake.result["id"])
    ledger.distribute("2026-02-25T16:00", "HUB", {"OPVEE": 1}, area="12345", for_others=True)
    ledger.distribute("2026-02-26T16:00", "MAIL", {"FTS": 20, "KIT": 10}, for_others=False)
    ledger.adjust("2026-03-01T09:00", "HUB", "NARCAN4", -2, reason="expired")
    ledger.adjust("2026-03-01T09:10", "HUB", "ZIMHI", -1, reason="damaged")
    adjust("2026-03-01T09:20", "VAN", "NARCAN4", -1, "lost_or_stolen", lot="B")
    ledger.adjust("2026-03-01T09:30", "HUB", "NARCAN4", -3, reason="recalled")
    ledger.adjust("2026-03-01T09:40", "HUB", "KIT", 3, reason="found")
    ledger.adjust("2026-03-01T09:50", "MAIL", "KIT", -2, reason="expired")
    ledger.count("2026-03-01T10:00", "HUB", "FTS", 440)
    ledger.distribute("2026-03-31T23:59", "HUB", {"FTS": 10}, trained=True, first_time="yes")
    ledger.distribute("2026-04-01T00:00:30", "HUB", {"NARCAN4": 1}, for_others=True)
    receive("2026-04-01T10:00", "HUB", "NARCAN4", 10, "A", "2027-06-30", "SOR")
    ledger.at("2026-04-02T08:00")
    return ledger


@dataclass(frozen=True)
class Scope:
    """What a workbook was asked for: inclusive local days, sites, funding source."""

    start: date
    end: date
    sites: tuple[str, ...] = ()
    funding: str | None = None
    fiscal_start: int = 1


def _local_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(TZ).date()


def quarter_label(day: date, first_month: int) -> str:
    """The reporting quarter of a day, worked out afresh."""
    number = (day.month - first_month) % 12 // 3 + 1
    if first_month == 1:
        return f"{day.year}-Q{number}"
    return f"FY{day.year + (1 if day.month >= first_month else 0)}-Q{number}"


class Truth:
    """Every movement and event as plain rows, and the tables worked out from them."""

    def __init__(self):
        self.movements = [
            row._asdict()
            for row in db.session.execute(
                db.select(
                    Movement.kind,
                    Site.code.label("site"),
                    Supply.code.label("supply"),
                    Movement.quantity,
                    Movement.reason,
                    Movement.occurred_at,
                    Movement.operation_id,
                    Batch.source,
                    FundingSource.code.label("funding"),
                )
                .join(Site, Site.id == Movement.site_id)
                .join(Supply, Supply.id == Movement.supply_id)
                .join(Batch, Batch.id == Movement.batch_id)
                .outerjoin(FundingSource, FundingSource.id == Batch.funding_source_id)
            )
        ]
        self.events = {
            row.id: row._asdict()
            for row in db.session.execute(
                db.select(
                    DistributionEvent.id,
                    DistributionEvent.area,
                    DistributionEvent.for_others,
                    DistributionEvent.voided_at,
                    Site.county,
                ).join(Site, Site.id == DistributionEvent.site_id)
            )
        }
        self.supplies = {s.code: s for s in db.session.execute(db.select(Supply)).scalars().all()}

    def _kept(self, scope: Scope, movement: dict, before_end_only: bool = False) -> bool:
        if scope.sites and movement["site"] not in scope.sites:
            return False
        if scope.funding and movement["funding"] != scope.funding:
            return False
        day = _local_day(movement["occurred_at"])
        if before_end_only:
            return day <= scope.end
        return scope.start <= day <= scope.end

    def _doses(self, supply: str, units: int) -> int:
        return units * self.supplies[supply].doses_per_unit

    def _distributed(self, scope: Scope):
        """(movement, units) of every distribution of a not-voided event in the scope."""
        for m in self.movements:
            if m["kind"] != "distribute" or not self._kept(scope, m):
                continue
            if self.events[m["operation_id"]]["voided_at"] is None:
                yield m, -m["quantity"]

    def by_quarter(self, scope: Scope) -> dict:
        """(quarter, supply) -> units, over every quarter the period touches."""
        totals = {}
        day = scope.start
        while day <= scope.end:
            for code in self.supplies:
                totals[(quarter_label(day, scope.fiscal_start), code)] = 0
            day += timedelta(days=1)
        for m, units in self._distributed(scope):
            day = _local_day(m["occurred_at"])
            totals[(quarter_label(day, scope.fiscal_start), m["supply"])] += units
        return totals

    def by_category(self, scope: Scope) -> dict:
        """category -> (units, doses), and the reversal medications' total."""
        totals = defaultdict(lambda: [0, 0])
        for supply in self.supplies.values():
            totals[supply.category] = [0, 0]
        totals["reversal_medication_total"] = [0, 0]
        for m, units in self._distributed(scope):
            supply = self.supplies[m["supply"]]
            keys = [supply.category]
            if supply.category in REVERSAL:
                keys.append("reversal_medication_total")
            for key in keys:
                totals[key][0] += units
                totals[key][1] += self._doses(m["supply"], units)
        return {key: tuple(value) for key, value in totals.items()}

    def by_area(self, scope: Scope) -> dict:
        """(area, supply) -> units, for areas given anything."""
        totals = defaultdict(int)
        for m, units in self._distributed(scope):
            event = self.events[m["operation_id"]]
            area = event["area"] or event["county"] or "not recorded"
            totals[(area, m["supply"])] += units
        return {key: units for key, units in totals.items() if units}

    def for_others(self, scope: Scope) -> dict:
        """supply -> units handed out at events collecting for others."""
        totals = defaultdict(int)
        for m, units in self._distributed(scope):
            if self.events[m["operation_id"]]["for_others"]:
                totals[m["supply"]] += units
        return dict(totals)

    def received(self, scope: Scope) -> dict:
        """(site, supply, source, funding) -> units received."""
        totals = defaultdict(int)
        for m in self.movements:
            if m["kind"] == "receive" and self._kept(scope, m):
                totals[(m["site"], m["supply"], m["source"], m["funding"])] += m["quantity"]
        return dict(totals)

    def write_offs(self, scope: Scope) -> dict:
        """(site, supply, reason) -> units written off."""
        totals = defaultdict(int)
        for m in self.movements:
            if m["kind"] == "adjust" and m["quantity"] < 0 and self._kept(scope, m):
                totals[(m["site"], m["supply"], m["reason"])] -= m["quantity"]
        return dict(totals)

    def inventory(self, scope: Scope) -> dict:
        """(site, supply) -> the ledger's parts, write-offs split from other adjustments."""
        parts = defaultdict(lambda: defaultdict(int))
        for m in self.movements:
            if not self._kept(scope, m, before_end_only=True):
                continue
            row = parts[(m["site"], m["supply"])]
            row["closing"] += m["quantity"]
            if _local_day(m["occurred_at"]) < scope.start:
                row["opening"] += m["quantity"]
                continue
            kind, quantity = m["kind"], m["quantity"]
            if kind == "receive":
                row["received"] += quantity
            elif kind == "transfer_in":
                row["transferred_in"] += quantity
            elif kind == "transfer_out":
                row["transferred_out"] -= quantity
            elif kind in ("distribute", "void"):
                row["distributed"] -= quantity
            elif kind == "adjust" and quantity < 0:
                row["written_off"] -= quantity
            else:
                row["other_adjustments"] += quantity
        return {key: dict(value) for key, value in parts.items()}
