"""Would past distributions take stock a site did not have? Checked before any write.

Two checks, both in memory after two reads:
- now: the distribution service takes units first-expiry-first-out from the batches on
  hand that are available and unexpired on the event's day; the same is simulated here,
  event by event in date order, so a row the service would refuse is named in advance;
- then: a distribution may not take units before they were received (the stock on that
  day, by the ledger's dates), nor leave a later day of the ledger below zero, so the
  funder workbook never shows a negative closing stock for a period.
"""

from bisect import bisect_right
from datetime import date

from sqlalchemy import func

from supplies.extensions import db
from supplies.models import Balance, Batch, Movement
from supplies.services.common import clock
from supplies.services.common.messages import msg


def simulate_stock(plan: list, check) -> dict:
    """Drop and refuse the events whose stock would go negative; count what is created."""
    site_ids = {event.site.id for event in plan}
    on_hand = _on_hand(site_ids)
    history = _History(site_ids)
    counts: dict[tuple[str, str], dict] = {}
    kept = []
    for event in plan:
        day = clock.local_date(event.occurred_at)
        short = False
        for row, supply, quantity in event.items:
            key = (event.site.id, supply.id)
            usable = sum(h[4] for h in on_hand.get(key, ()) if _usable(h, day))
            then = history.allowed(key, event.occurred_at)
            if usable < quantity:
                short = True
                check.fail(
                    row,
                    "quantity",
                    msg(
                        "stock would go negative: only %(usable)s %(supply)s usable at %(site)s "
                        "on %(day)s, %(quantity)s distributed",
                        usable=usable,
                        supply=supply.code,
                        site=event.site.code,
                        day=day.isoformat(),
                        quantity=quantity,
                    ),
                )
            elif then < quantity:
                short = True
                check.fail(
                    row,
                    "quantity",
                    msg(
                        "stock would go negative: %(site)s had only %(units)s %(supply)s received "
                        "by %(day)s (and kept after it); import the stock received before this "
                        "date first",
                        site=event.site.code,
                        units=max(then, 0),
                        supply=supply.code,
                        day=day.isoformat(),
                    ),
                )
        if short:
            continue
        kept.append(event)
        for _row, supply, quantity in event.items:
            key = (event.site.id, supply.id)
            _take(on_hand[key], quantity, day)
            history.take(key, quantity)
            tally = counts.setdefault((event.site.code, supply.code), {"events": 0, "units": 0})
            tally["events"] += 1
            tally["units"] += quantity
    plan[:] = kept
    return counts


def _usable(holding: list, day: date) -> bool:
    no_expiry, expires_on, _batch, status, quantity = holding
    return quantity > 0 and status == "available" and (no_expiry or expires_on >= day)


def _take(holdings: list[list], quantity: int, day: date) -> None:
    remaining = quantity
    for holding in holdings:
        if remaining == 0:
            break
        if _usable(holding, day):
            portion = min(remaining, holding[4])
            holding[4] -= portion
            remaining -= portion


def _on_hand(site_ids: set[int]) -> dict[tuple[int, int], list[list]]:
    """Balances by (site, supply) in the service's order: soonest expiry, then batch."""
    stock: dict[tuple[int, int], list[list]] = {}
    rows = db.session.execute(
        db.select(
            Balance.site_id,
            Balance.supply_id,
            Balance.quantity,
            Batch.expires_on,
            Batch.status,
            Batch.id,
        )
        .join(Batch, Batch.id == Balance.batch_id)
        # Stock of another import still being written is not there yet (applying.py).
        .where(Balance.quantity > 0, Balance.site_id.in_(site_ids), Batch.import_id.is_(None))
    )
    for site_id, supply_id, quantity, expires_on, status, batch_id in rows:
        stock.setdefault((site_id, supply_id), []).append(
            [expires_on is None, expires_on or date.min, batch_id, status, quantity]
        )
    for holdings in stock.values():
        holdings.sort()
    return stock


class _History:
    """Each (site, supply)'s stock over time from the ledger, and what imports took from it.

    A distribution at time t may take at most the smallest balance from t onwards (the
    balance at t, and at every later movement), less what earlier imported rows took.
    """

    def __init__(self, site_ids: set[int]):
        points: dict[tuple[int, int], list] = {}
        rows = db.session.execute(
            db.select(
                Movement.site_id,
                Movement.supply_id,
                Movement.occurred_at,
                func.sum(Movement.quantity),
            )
            .where(Movement.site_id.in_(site_ids))
            .group_by(Movement.site_id, Movement.supply_id, Movement.occurred_at)
            .order_by(Movement.site_id, Movement.supply_id, Movement.occurred_at)
        )
        for site_id, supply_id, occurred_at, quantity in rows:
            points.setdefault((site_id, supply_id), []).append((occurred_at, int(quantity)))
        self.series = {}
        for key, changes in points.items():
            times, running, total = [], [], 0
            for occurred_at, quantity in changes:
                total += quantity
                times.append(occurred_at)
                running.append(total)
            floor = running[:]
            for index in range(len(floor) - 2, -1, -1):
                floor[index] = min(floor[index], floor[index + 1])
            self.series[key] = (times, running, floor)
        self.taken: dict[tuple[int, int], int] = {}

    def allowed(self, key: tuple[int, int], moment) -> int:
        """Units that may still be taken at this moment without any day going negative."""
        times, running, floor = self.series.get(key, ([], [], []))
        index = bisect_right(times, moment)
        balance = running[index - 1] if index else 0
        later = floor[index] if index < len(floor) else balance
        return min(balance, later) - self.taken.get(key, 0)

    def take(self, key: tuple[int, int], quantity: int) -> None:
        """Record units an accepted row takes."""
        self.taken[key] = self.taken.get(key, 0) + quantity
