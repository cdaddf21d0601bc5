"""The ledger in business time: no batch's running balance at a site is ever below zero.

`flask check-ledger` proves that every balance equals the sum of its movements
(on_hand.check_ledger) and, with this module, that replayed in business-time order
(occurred_at, then id) the running balance of each (site, batch) never goes below zero.
Both are plain SQL: the running balances are one window function over the movements
(`sum(quantity) over (partition by site_id, batch_id order by occurred_at, id)`), the same
on SQLite and PostgreSQL, one sort of the table even at a million movements; only the
moments below zero come back.

The repair report (`check-ledger --repair-report`) reads the same and changes nothing: per
(site, batch), the first moment below zero, the lowest balance, the movements that left
it below zero, when the lot arrived there, and a fix in words. Its words are English:
only the command line shows them.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from supplies.extensions import db
from supplies.models import Batch, Movement, Site, Supply
from supplies.services.common import clock

# Movements that bring units to a site (a batch "arrives" with the first of them).
ARRIVALS = ("receive", "transfer_in")
_CHUNK = 500  # batch ids per IN list: well under every driver's parameter limit


@dataclass(frozen=True)
class NegativeInTime:
    """A (site, batch) whose running balance went below zero: where, and first when."""

    site: str
    site_name: str
    supply: str
    supply_name: str
    batch_id: int
    lot_number: str | None
    occurred_at: datetime  # the first moment the running balance is below zero
    movement_id: int  # the movement that took it there
    kind: str
    balance: int  # the running balance right after that movement
    lowest: int  # the lowest it reaches
    dips: int  # how many movements leave it below zero
    site_id: int = 0

    @property
    def lot(self) -> str:
        """The lot as people name it (a batch without a lot number by its id)."""
        if self.lot_number:
            return f"lot {self.lot_number}"
        return f"batch {self.batch_id} of {self.supply} (no lot number)"

    @property
    def adjusting(self) -> str:
        """What an adjustment names to reach this batch: its lot, else just the supply."""
        if self.lot_number:
            return f"for lot {self.lot_number}"
        return f"of {self.supply}"


@dataclass(frozen=True)
class Involved:
    """One movement of a violation: an arrival, or a movement that left the balance < 0."""

    movement_id: int
    kind: str
    occurred_at: datetime
    quantity: int
    balance: int | None  # the running balance after it (None for arrivals)
    reason: str | None
    operation_id: str


@dataclass
class Violation:
    """Everything the repair report says about one (site, batch)."""

    negative: NegativeInTime
    arrivals: list[Involved] = field(default_factory=list)
    below: list[Involved] = field(default_factory=list)
    suggestion: str = ""


def _running():
    """Every movement with its (site, batch)'s running balance after it, in business time."""
    m = Movement.__table__
    balance = func.sum(m.c.quantity).over(
        partition_by=(m.c.site_id, m.c.batch_id), order_by=(m.c.occurred_at, m.c.id)
    )
    return select(
        m.c.id, m.c.site_id, m.c.batch_id, m.c.occurred_at, balance.label("balance")
    ).subquery("running")


def _below_zero():
    """The movements after which the running balance is below zero, each numbered within
    its (site, batch) in business time, with the group's lowest balance and size."""
    running = _running()
    group = (running.c.site_id, running.c.batch_id)
    return (
        select(
            running.c.id,
            running.c.site_id,
            running.c.batch_id,
            running.c.occurred_at,
            running.c.balance,
            func.row_number()
            .over(partition_by=group, order_by=(running.c.occurred_at, running.c.id))
            .label("nth"),
            func.min(running.c.balance).over(partition_by=group).label("lowest"),
            func.count().over(partition_by=group).label("dips"),
        )
        .where(running.c.balance < 0)
        .subquery("below")
    )


def _negatives(first_only: bool):
    """The movements below zero with their movement, site, supply and lot; earliest first."""
    below = _below_zero()
    query = (
        select(
            below.c.balance,
            below.c.nth,
            below.c.lowest,
            below.c.dips,
            Movement.id,
            Movement.site_id,
            Movement.batch_id,
            Movement.kind,
            Movement.occurred_at,
            Movement.quantity,
            Movement.reason,
            Movement.operation_id,
            Site.code,
            Site.name,
            Supply.code.label("supply"),
            Supply.name.label("supply_name"),
            Batch.lot_number,
        )
        .join(Movement, Movement.id == below.c.id)
        .join(Site, Site.id == below.c.site_id)
        .join(Batch, Batch.id == below.c.batch_id)
        .join(Supply, Supply.id == Batch.supply_id)
        .order_by(below.c.occurred_at, below.c.id)
    )
    if first_only:
        query = query.where(below.c.nth == 1)
    return db.session.execute(query)


def _negative(row) -> NegativeInTime:
    return NegativeInTime(
        site=row.code,
        site_name=row.name,
        supply=row.supply,
        supply_name=row.supply_name,
        batch_id=row.batch_id,
        lot_number=row.lot_number,
        occurred_at=row.occurred_at,
        movement_id=row.id,
        kind=row.kind,
        balance=int(row.balance),
        lowest=int(row.lowest),
        dips=int(row.dips),
        site_id=row.site_id,
    )


def negative_in_time() -> list[NegativeInTime]:
    """Each (site, batch) whose running balance goes below zero at some moment, with the
    first such moment; earliest first. Empty when the ledger is true in time."""
    return [_negative(row) for row in _negatives(first_only=True)]


def repair_report() -> list[Violation]:
    """Every (site, batch) below zero at some moment, with its movements and a fix in words;
    reads only. Earliest first."""
    violations: dict[tuple[int, int], Violation] = {}
    for row in _negatives(first_only=False):
        key = (row.site_id, row.batch_id)
        if key not in violations:
            violations[key] = Violation(_negative(row))  # rows come earliest first
        violations[key].below.append(_involved(row, int(row.balance)))
    batch_ids = sorted({batch_id for _, batch_id in violations})
    for start in range(0, len(batch_ids), _CHUNK):
        rows = db.session.execute(
            select(
                Movement.id,
                Movement.site_id,
                Movement.batch_id,
                Movement.kind,
                Movement.occurred_at,
                Movement.quantity,
                Movement.reason,
                Movement.operation_id,
            )
            .where(
                Movement.batch_id.in_(batch_ids[start : start + _CHUNK]),
                Movement.kind.in_(ARRIVALS),
            )
            .order_by(Movement.occurred_at, Movement.id)
        )
        for row in rows:
            violation = violations.get((row.site_id, row.batch_id))
            if violation is not None:
                violation.arrivals.append(_involved(row, None))
    for violation in violations.values():
        violation.suggestion = suggest(violation)
    return list(violations.values())


def _involved(row, balance: int | None) -> Involved:
    return Involved(
        row.id, row.kind, row.occurred_at, row.quantity, balance, row.reason, row.operation_id
    )


def when(moment: datetime) -> str:
    """An instant on the program's clock, to the second, with its offset."""
    return clock.local_time(moment).isoformat(timespec="seconds")


def _undo(kinds: set[str]) -> str:
    """How to take back the removals of these kinds (nothing is edited in place)."""
    ways = []
    if "distribute" in kinds:
        ways.append(
            "void those distributions and enter them again (they then take a lot on hand "
            "at that moment; a closed quarter must be reopened first)"
        )
    if kinds & {"transfer_out"}:
        ways.append("reverse those transfers with a transfer back")
    if kinds - {"distribute", "transfer_out"}:
        ways.append("take back those adjustments or counts with an opposite adjustment")
    return "; ".join(ways)


def suggest(violation: Violation) -> str:
    """A fix in words for one (site, batch): nothing is changed, the ledger stays append-only."""
    first = violation.negative
    short = -first.lowest
    start = when(first.occurred_at)
    kinds = {m.kind for m in violation.below if m.quantity < 0} or {first.kind}
    undo = _undo(kinds)
    arrived = violation.arrivals[0].occurred_at if violation.arrivals else None
    last_dip = violation.below[-1].occurred_at if violation.below else first.occurred_at
    lot, target = first.lot, first.adjusting
    if arrived is None:
        return (
            f"Nothing ever brought {lot} to {first.site}, yet units were taken from it there "
            f"from {start}. If it was there, record how many: an adjustment of +{short} "
            f"(reason data_correction) {target} dated on or before {start}. Otherwise the "
            f"removals took the wrong lot: {undo}."
        )
    if arrived > last_dip:
        return (
            f"{lot[0].upper()}{lot[1:]} reached {first.site} on {when(arrived)}, after "
            f"{first.dips} movement(s) had taken units from it (the first on {start}; "
            f"{short} units short at worst). If it really arrived earlier, bring its arrival "
            f"forward with two adjustments {target} (reason data_correction): +{short} dated "
            f"on or before {start} and -{short} dated {when(arrived)}; today's balance stays "
            f"the same. If the removals took a lot that was not there yet: {undo}."
        )
    return (
        f"From {start} {first.site} gave out or moved more of {lot} than it held: the "
        f"running balance reaches {first.lowest}. Look among the movements below for one "
        f"entered twice or with the wrong quantity or lot: {undo}; or, if units arrived that "
        f"were never recorded, add an adjustment of +{short} (reason data_correction) "
        f"{target} dated on or before {start}."
    )
