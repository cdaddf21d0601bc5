"""Units distributed per week and category: the coordinator's 12-week chart."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, func, literal_column, union_all

from supplies.extensions import db
from supplies.models import Movement, Supply
from supplies.services.common import clock, permissions
from supplies.services.db import revisions


@dataclass(frozen=True)
class WeeklyUnits:
    """Units distributed (net of voids) per week and supply category."""

    weeks: list[date]
    categories: list[str]
    units: dict[tuple[int, str], int]

    def total(self, week_index: int) -> int:
        """All categories in one week."""
        return sum(self.units.get((week_index, c), 0) for c in self.categories)


# Bumped by every distribution or void dated before the current week: the weeks that have
# ended change only then, so each process keeps their totals until it is bumped.
CLOSED_WEEKS = "closed_weeks"
KEPT_CHARTS = 64  # (weeks, sites) combinations kept per process


def weekly_distribution(user, weeks: int = 12) -> WeeklyUnits:
    """Units handed out per week (Monday to Sunday) and category over the last weeks.

    The weeks that have ended are worked out once per process and kept until a write
    dated before this week bumps CLOSED_WEEKS; this week is read every time.
    """
    permissions.require(user, "see_stock")
    first = _monday(clock.today()) - timedelta(weeks=weeks - 1)
    starts = [first + timedelta(weeks=i) for i in range(weeks)]
    visible = permissions.visible_site_ids(user)
    sites = None if visible is None else tuple(sorted(visible))
    revision = revisions.current(CLOSED_WEEKS)
    kept = _kept()
    key = (first, weeks, sites)
    closed = kept.get(key)
    if closed is None or closed[0] != revision:
        closed = (revision, _units(starts, range(weeks - 1), sites))
        kept.pop(key, None)
        kept[key] = closed
        while len(kept) > KEPT_CHARTS:
            kept.pop(next(iter(kept)))
    this_week = _units(starts, range(weeks - 1, weeks), sites)
    category_of = {i: c for i, c in db.session.execute(db.select(Supply.id, Supply.category))}
    units: dict[tuple[int, str], int] = {}
    for (index, supply_id), quantity in (*closed[1].items(), *this_week.items()):
        cell = (index, category_of[supply_id])
        units[cell] = units.get(cell, 0) - quantity
    categories = sorted({cat for (_, cat), n in units.items() if n})
    return WeeklyUnits(starts, categories, units)


def note_dated(occurred_at: datetime) -> None:
    """Inside a write of distribute or void movements dated then: bump CLOSED_WEEKS if that
    falls in a week that has ended."""
    # A minute's margin: a write of Sunday night that commits after midnight still bumps.
    soon = clock.local_date(clock.now() + timedelta(minutes=1))
    if clock.local_date(occurred_at) < _monday(soon):
        revisions.bump(CLOSED_WEEKS)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _kept() -> dict:
    # On the app, not the module: a process may hold several apps (the tests do), each
    # with a database of its own.
    return current_app.extensions.setdefault("supplies.closed_weeks", {})


def _units(starts: list[date], indexes: range, sites) -> dict[tuple[int, int], int]:
    """Signed quantities per (week index, supply) of distribute and void movements."""
    if not indexes:
        return {}
    last = len(starts) - 1
    bounds = [*indexes, indexes[-1] + 1] if indexes[-1] < last else list(indexes)
    params = {f"start_{i}": clock.start_of_day(starts[i]) for i in bounds}
    if sites is not None:
        params["site_ids"] = list(sites)
    statement = _weekly_statement(
        indexes.start, indexes.stop, indexes[-1] == last, sites is not None
    )
    units: dict[tuple[int, int], int] = {}
    for index, supply_id, quantity in db.session.execute(statement, params):
        units[(int(index), supply_id)] = units.get((int(index), supply_id), 0) + int(quantity or 0)
    return units


@cache
def _weekly_statement(first: int, stop: int, open_ended: bool, by_site: bool):
    """The chart's query for weeks first..stop-1, built once: starts and sites are parameters.

    The last week is open-ended when it is this one.
    """
    # One range per kind, supply and week on ix_movements_kind_supply_occurred: each read
    # from the index alone, in supply order, with no per-row CASE to pick the week and no
    # sort to group. A void carries the voided event's occurred_at, so it nets that week.
    every_supply = db.select(Supply.id).scalar_subquery()
    parts = []
    for kind in ("distribute", "void"):
        for index in range(first, stop):
            part = (
                db.select(
                    literal_column(str(index)), Movement.supply_id, func.sum(Movement.quantity)
                )
                .where(
                    Movement.kind == kind,
                    Movement.supply_id.in_(every_supply),
                    Movement.occurred_at >= bindparam(f"start_{index}"),
                )
                .group_by(Movement.supply_id)
            )
            if index + 1 < stop or not open_ended:
                part = part.where(Movement.occurred_at < bindparam(f"start_{index + 1}"))
            if by_site:
                part = part.where(Movement.site_id.in_(bindparam("site_ids", expanding=True)))
            parts.append(part)
    return union_all(*parts)
