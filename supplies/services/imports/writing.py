"""Writing one chunk of a staged import as bulk rows: receipts (their batches hidden until
the import is done) or distribution events, allocated under balance row locks taken in the
distribution path's global order. applying.py says how the chunks make one import.
"""

import uuid
from bisect import bisect_right
from datetime import date, datetime, timezone
from itertools import accumulate

from sqlalchemy import and_, func, insert, or_, select, update

from supplies.extensions import db
from supplies.models import (
    Balance,
    Batch,
    DistributionEvent,
    DistributionLine,
    ImportRun,
    LotStatusChange,
    Movement,
    Operation,
    Site,
)
from supplies.models.types import utcnow
from supplies.services.common import clock
from supplies.services.common.errors import Conflict
from supplies.services.common.messages import msg
from supplies.services.db import operations
from supplies.services.distribution.events import DISTRIBUTION, EVENT_FIELDS
from supplies.services.imports.rows import RowError
from supplies.services.stock import ledger, weekly
from supplies.vocab import SETTING_FOR_SITE_KIND

_BALANCES, _BATCHES, _MOVEMENTS = Balance.__table__, Batch.__table__, Movement.__table__
_EVENTS, _LINES, _OPERATIONS = (
    DistributionEvent.__table__,
    DistributionLine.__table__,
    Operation.__table__,
)


_END_OF_TIME = datetime.max.replace(tzinfo=timezone.utc)


class Refused(Exception):
    """Rows refused while writing; what was written has been undone."""

    def __init__(self, errors: list[RowError]):
        super().__init__(errors)
        self.errors = errors


def step_id(run_id: str, index: int) -> str:
    """The id of one receipt or event of an import: its operation, and an event's own id."""
    return str(uuid.uuid5(uuid.UUID(run_id), str(index)))


def advance(run_id: str, counter: str, before: int, after: int, state: str) -> None:
    """Move a run's counter inside the chunk's transaction; refuse if another process did."""
    column = getattr(ImportRun, counter)
    moved = db.session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id, column == before, ImportRun.state == state)
        .values({counter: after})
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise Conflict(msg("This import is being written by another process."))


class Context:
    """What every chunk needs and nothing changes meanwhile: each site's kind."""

    def __init__(self, site_kinds: dict[int, str]):
        self.site_kinds = site_kinds

    @classmethod
    def read(cls, steps) -> "Context":
        """Read once per run."""
        kinds = dict(db.session.execute(select(Site.id, Site.kind)).all())
        return cls(kinds)


def _operation_rows(ids_and_kinds, user_id, results) -> list[dict]:
    now = utcnow()
    return [
        {
            "id": operation_id,
            "kind": kind,
            "fingerprint": operations.fingerprint(result),
            "user_id": user_id,
            "created_at": now,
            "result": result,
        }
        for (operation_id, kind), result in zip(ids_and_kinds, results, strict=True)
    ]


# --- receipts --------------------------------------------------------------------------------


def write_receipts(actor, run_id: str, first: int, chunk: list[dict], context) -> None:
    """Insert the chunk's batches (hidden until the import is done), balances, movements."""
    connection = db.session.connection()
    statuses = _lot_statuses(
        {(line["supply"], line["lot_number"]) for step in chunk for line in step["lines"]}
    )
    today = clock.today()
    batch_rows, placed = [], []
    for offset, step in enumerate(chunk):
        received_on = date.fromisoformat(step["received_on"]) if step["received_on"] else None
        occurred_at = (
            clock.now() if received_on in (None, today) else clock.start_of_day(received_on)
        )
        for line in step["lines"]:
            expires = line["expires_on"]
            batch_rows.append(
                {
                    "supply_id": line["supply"],
                    "lot_number": line["lot_number"],
                    "expires_on": date.fromisoformat(expires) if expires else None,
                    "funding_source_id": line["funding"],
                    "status": statuses.get((line["supply"], line["lot_number"]), "available"),
                    "source": step["source"],
                    "received_on": received_on or today,
                    "received_at_site_id": step["site"],
                    "created_at": utcnow(),
                    "import_id": run_id,
                }
            )
            placed.append((step_id(run_id, first + offset), step, line, occurred_at))
    batch_ids = (
        connection.execute(
            insert(_BATCHES).returning(_BATCHES.c.id, sort_by_parameter_order=True), batch_rows
        )
        .scalars()
        .all()
    )
    balances, movements, ids = [], [], []
    for batch_id, (operation_id, step, line, occurred_at) in zip(batch_ids, placed, strict=True):
        balances.append(
            {
                "site_id": step["site"],
                "supply_id": line["supply"],
                "batch_id": batch_id,
                "quantity": line["quantity"],
            }
        )
        movements.append(
            ledger.movement_row(
                "receive",
                step["site"],
                line["supply"],
                batch_id,
                line["quantity"],
                operation_id=operation_id,
                user_id=actor.id,
                occurred_at=occurred_at,
                reason=step["source"],
            )
        )
        if not ids or ids[-1] != operation_id:
            ids.append(operation_id)
    results = [{"id": i, "import": run_id} for i in ids]
    connection.execute(
        insert(_OPERATIONS), _operation_rows([(i, "receipt") for i in ids], actor.id, results)
    )
    connection.execute(insert(_BALANCES), balances)
    connection.execute(insert(_MOVEMENTS), movements)


def _lot_statuses(lots: set) -> dict[tuple[int, str], str]:
    """Each known lot's status as its latest batch has it (a new batch of the lot agrees)."""
    lots = {(supply, lot) for supply, lot in lots if lot}
    if not lots:
        return {}
    rows = db.session.execute(
        select(Batch.supply_id, Batch.lot_number, Batch.status)
        .where(
            Batch.supply_id.in_({s for s, _ in lots}),
            Batch.lot_number.in_({lot for _, lot in lots}),
        )
        .order_by(Batch.id)
    )
    return {(s, lot): status for s, lot, status in rows if (s, lot) in lots}


# --- distributions ----------------------------------------------------------------------------


def write_events(actor, run_id: str, first: int, chunk: list[dict], context) -> None:
    """Allocate the chunk's events from the locked balances, in business time; insert them."""
    moments = [datetime.fromisoformat(step["occurred_at"]) for step in chunk]
    needs: dict[int, set[int]] = {}
    for step in chunk:
        needs.setdefault(step["site"], set()).update(item[1] for item in step["items"])
    stock = _Stock.locked(needs, min(moments), max(moments))
    errors: list[RowError] = []
    taken: dict[int, int] = {}
    events, lines, movements, operation_ids, results = [], [], [], [], []
    for offset, (step, moment) in enumerate(zip(chunk, moments, strict=True)):
        event_id = step_id(run_id, first + offset)
        day = clock.local_date(moment)
        plans = []
        for row, supply_id, quantity in step["items"]:
            plan = stock.allocate(step["site"], supply_id, quantity, moment, day)
            if plan is None:
                errors.append(_shortfall(row, step, supply_id, quantity, day))
            plans.append(plan)
        if errors:
            continue
        for (_row, supply_id, quantity), plan in zip(step["items"], plans, strict=True):
            for holding, portion in plan:
                stock.take(holding, portion)
                taken[holding.balance_id] = taken.get(holding.balance_id, 0) + portion
                movements.append(
                    ledger.movement_row(
                        "distribute",
                        step["site"],
                        supply_id,
                        holding.batch_id,
                        -portion,
                        operation_id=event_id,
                        user_id=actor.id,
                        occurred_at=moment,
                    )
                )
            lines.append({"event_id": event_id, "supply_id": supply_id, "quantity": quantity})
        events.append(_event_row(event_id, step, moment, actor.id, context))
        operation_ids.append((event_id, "distribution"))
        results.append({"id": event_id, "occurred_at": step["occurred_at"], "import": run_id})
    if errors:
        raise Refused(errors)
    connection = db.session.connection()
    # Balances first, in the order they were locked; never below zero (the CHECK and the
    # condition), so a guard that fails here means a bug, not a race.
    portions = [(stock.holding(balance_id), units) for balance_id, units in taken.items()]
    portions.sort(key=lambda pair: stock.order(pair[0].balance_id))
    ledger.remove(portions)
    connection.execute(insert(_OPERATIONS), _operation_rows(operation_ids, actor.id, results))
    connection.execute(insert(_EVENTS), events)
    connection.execute(insert(_LINES), lines)
    connection.execute(insert(_MOVEMENTS), movements)
    weekly.note_dated(min(moments))


def _event_row(event_id: str, step: dict, moment: datetime, user_id, context) -> dict:
    """The event as the distribution service writes it: the same fields and defaults."""
    fields = step["fields"]
    row = {name: fields.get(name, DISTRIBUTION.fields[name].default) for name in EVENT_FIELDS}
    row["setting"] = row["setting"] or SETTING_FOR_SITE_KIND.get(
        context.site_kinds.get(step["site"]), "fixed_site"
    )
    return {
        "id": event_id,
        "site_id": step["site"],
        "occurred_at": moment,
        "recorded_at": utcnow(),
        "user_id": user_id,
        **row,
    }


def _shortfall(row, step, supply_id, quantity, day) -> RowError:
    return RowError(
        row,
        None,
        msg(
            "stock changed while the file was being imported: %(quantity)s units of this row "
            "no longer fit the stock on %(day)s; nothing was imported. Check the stock and "
            "import the file again.",
            quantity=quantity,
            day=day.isoformat(),
        ),
    )


class _Stock:
    """The chunk's balances, locked in the global order, and their later history.

    A batch's spare units at a moment are the balance then less what this chunk took, or
    the lowest balance any later movement leaves, whichever is smaller (timeline.py's rule,
    worked out in memory for a whole chunk from one read of the later movements).
    """

    def __init__(self):
        self.by_key: dict[tuple[int, int], list[ledger.Holding]] = {}
        self.by_balance: dict[int, ledger.Holding] = {}
        self.position: dict[int, int] = {}
        self.site_of: dict[int, int] = {}
        self.history: dict[tuple[int, int], tuple[list, list, list]] = {}
        self.changes: dict[tuple[int, str], list] = {}
        self.used: dict[int, int] = {}

    @classmethod
    def locked(cls, needs: dict[int, set[int]], since: datetime, until: datetime) -> "_Stock":
        """Lock and read the balances of these (site, supplies), and what moved after since."""
        stock = cls()
        rows = db.session.connection().execute(locking_statement(needs)).all()
        for position, row in enumerate(rows):
            balance_id, site_id, supply_id, batch_id, quantity, lot, expires, status = row
            holding = ledger.Holding(balance_id, batch_id, quantity, lot, expires, status)
            stock.by_key.setdefault((site_id, supply_id), []).append(holding)
            stock.by_balance[balance_id] = holding
            stock.position[balance_id] = position
            stock.site_of[balance_id] = site_id
        if rows:
            stock._read_history({(r[1], r[3]) for r in rows}, since, until)
            stock._read_statuses({(r[2], r[5]) for r in rows if r[5] is not None})
        return stock

    def _read_history(
        self, site_batches: set[tuple[int, int]], since: datetime, until: datetime
    ) -> None:
        """Each locked batch's movements after `since`: one by one up to `until` (the chunk's
        last moment: what lies between its events), summed per batch after it (a total and
        the lowest running sum, worked out by the database). Read by site and supply, on
        the ledger's (site, supply, occurred_at) index: the cost follows what was recorded
        after the chunk's dates, never what the import itself wrote before them."""
        by_site: dict[int, set[int]] = {}
        for site_id, supply_id in self.by_key:
            by_site.setdefault(site_id, set()).add(supply_id)
        found: dict[tuple[int, int], list] = {}
        tails: dict[tuple[int, int], tuple[int, int]] = {}
        here = or_(
            *(
                and_(Movement.site_id == site_id, Movement.supply_id.in_(sorted(supplies)))
                for site_id, supplies in sorted(by_site.items())
            )
        )
        for site_id, batch_id, occurred_at, movement_id, quantity in db.session.execute(
            select(
                Movement.site_id,
                Movement.batch_id,
                Movement.occurred_at,
                Movement.id,
                Movement.quantity,
            ).where(here, Movement.occurred_at > since, Movement.occurred_at <= until)
        ):
            if (site_id, batch_id) in site_batches:
                found.setdefault((site_id, batch_id), []).append(
                    (occurred_at, movement_id, quantity)
                )
        running = (
            func.sum(Movement.quantity)
            .over(
                partition_by=(Movement.site_id, Movement.batch_id),
                order_by=(Movement.occurred_at, Movement.id),
            )
            .label("running")
        )
        later = (
            select(Movement.site_id, Movement.batch_id, Movement.quantity, running)
            .where(here, Movement.occurred_at > until)
            .subquery()
        )
        for site_id, batch_id, total, lowest in db.session.execute(
            select(
                later.c.site_id,
                later.c.batch_id,
                func.sum(later.c.quantity),
                func.min(later.c.running),
            ).group_by(later.c.site_id, later.c.batch_id)
        ):
            if (site_id, batch_id) in site_batches:
                tails[(site_id, batch_id)] = (int(total), int(lowest))
        for key in found.keys() | tails.keys():
            changes = sorted(found.get(key, ()))
            times = [moment for moment, _, _ in changes]
            steps = [quantity for _, _, quantity in changes]
            if key in tails:
                # What follows the chunk, as two steps: down to its lowest, then to its total.
                total, lowest = tails[key]
                times += [_END_OF_TIME, _END_OF_TIME]
                steps += [lowest, total - lowest]
            sums = [0, *accumulate(steps)]
            lowest_from = sums[:]
            for index in range(len(lowest_from) - 2, -1, -1):
                lowest_from[index] = min(lowest_from[index], lowest_from[index + 1])
            self.history[key] = (times, sums, lowest_from)

    def _read_statuses(self, lots: set[tuple[int, str]]) -> None:
        if not lots:
            return
        for supply_id, lot, status, occurred_at in db.session.execute(
            select(
                LotStatusChange.supply_id,
                LotStatusChange.lot_number,
                LotStatusChange.status,
                LotStatusChange.occurred_at,
            )
            .where(
                LotStatusChange.supply_id.in_({s for s, _ in lots}),
                LotStatusChange.lot_number.in_({lot for _, lot in lots}),
            )
            .order_by(LotStatusChange.occurred_at, LotStatusChange.id)
        ):
            if (supply_id, lot) in lots:
                self.changes.setdefault((supply_id, lot), []).append((occurred_at, status))

    def _status(self, supply_id: int, holding: ledger.Holding, moment: datetime) -> str:
        changes = self.changes.get((supply_id, holding.lot_number))
        if not changes:
            return holding.status
        status = "available"  # before its first change a lot was available
        for occurred_at, changed_to in changes:
            if occurred_at > moment:
                break
            status = changed_to
        return status

    def spare(self, site_id: int, holding: ledger.Holding, moment: datetime) -> int:
        """Units of the batch a removal at the moment may take, none going below zero later."""
        on_hand = holding.quantity - self.used.get(holding.balance_id, 0)
        times, sums, lowest = self.history.get((site_id, holding.batch_id), ([], [0], [0]))
        index = bisect_right(times, moment)  # movements at the same instant count as before
        later = sums[-1] - sums[index]
        then = on_hand - later
        dip = lowest[index + 1] - sums[index] if index < len(times) else 0
        return max(0, then + min(0, dip))

    def allocate(self, site_id, supply_id, quantity, moment, day):
        """First expiry first among lots usable that day: [(holding, units)], or None if short."""
        plan, remaining = [], quantity
        for holding in self.by_key.get((site_id, supply_id), ()):
            if remaining == 0:
                break
            if self._status(supply_id, holding, moment) != "available":
                continue
            if holding.expires_on is not None and holding.expires_on < day:
                continue
            portion = min(remaining, self.spare(site_id, holding, moment))
            if portion > 0:
                plan.append((holding, portion))
                remaining -= portion
        return plan if remaining == 0 else None

    def take(self, holding: ledger.Holding, units: int) -> None:
        """Note units taken by an allocated event (later events of the chunk see less)."""
        self.used[holding.balance_id] = self.used.get(holding.balance_id, 0) + units

    def holding(self, balance_id: int) -> ledger.Holding:
        """The balance as read (its quantity before this chunk)."""
        return self.by_balance[balance_id]

    def order(self, balance_id: int) -> int:
        """The balance's place in the global lock order."""
        return self.position[balance_id]


def locking_statement(needs: dict[int, set[int]]):
    """Balances of (site, supply) pairs with stock, in the distribution path's lock order."""
    pairs = [
        and_(_BALANCES.c.site_id == site_id, _BALANCES.c.supply_id.in_(sorted(supplies)))
        for site_id, supplies in sorted(needs.items())
    ]
    query = (
        select(
            _BALANCES.c.id,
            _BALANCES.c.site_id,
            _BALANCES.c.supply_id,
            _BALANCES.c.batch_id,
            _BALANCES.c.quantity,
            _BATCHES.c.lot_number,
            _BATCHES.c.expires_on,
            _BATCHES.c.status,
        )
        .join(_BATCHES, _BATCHES.c.id == _BALANCES.c.batch_id)
        .where(or_(*pairs), _BALANCES.c.quantity > 0, _BATCHES.c.import_id.is_(None))
        .order_by(
            _BALANCES.c.site_id,
            _BALANCES.c.supply_id,
            _BATCHES.c.expires_on.asc().nulls_last(),
            _BATCHES.c.id,
        )
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=_BALANCES)
    return query
