"""Units distributed per week and category: the coordinator's 12-week chart."""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from sqlalchemy import bindparam, func, literal_column, union_all

from supplies.extensions import db
from supplies.models import Movement, Supply
from supplies.services import clock, permissions


@dataclass(frozen=True)
class WeeklyUnits:
    """Units distributed (net of voids) per week and supply category."""

    weeks: list[date]
    categories: list[str]
    units: dict[tuple[int, str], int]

    def total(self, week_index: int) -> int:
        """All categories in one week."""
        return sum(self.units.get((week_index, c), 0) for c in self.categories)


def weekly_distribution(user, weeks: int = 12) -> WeeklyUnits:
    """Units handed out per week (Monday to Sunday) and category over the last weeks."""
    permissions.require(user, "see_stock")
    today = clock.today()
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    starts = [first + timedelta(weeks=i) for i in range(weeks)]
    params = {f"start_{i}": clock.start_of_day(day) for i, day in enumerate(starts)}
    visible = permissions.visible_site_ids(user)
    if visible is not None:
        params["site_ids"] = list(visible)
    category_of = {i: c for i, c in db.session.execute(db.select(Supply.id, Supply.category))}
    units: dict[tuple[int, str], int] = {}
    rows = db.session.execute(_weekly_statement(weeks, visible is not None), params)
    for index, supply_id, quantity in rows:
        key = (int(index), category_of[supply_id])
        units[key] = units.get(key, 0) - int(quantity or 0)
    categories = sorted({cat for (_, cat), n in units.items() if n})
    return WeeklyUnits(starts, categories, units)


@cache
def _weekly_statement(weeks: int, by_site: bool):
    """The chart's query, built once: the weeks' starts and the sites are its parameters."""
    # One range per kind, supply and week on ix_movements_kind_supply_occurred: each read
    # from the index alone, in supply order, with no per-row CASE to pick the week and no
    # sort to group. A void carries the voided event's occurred_at, so it nets that week.
    every_supply = db.select(Supply.id).scalar_subquery()
    parts = []
    for kind in ("distribute", "void"):
        for index in range(weeks):
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
            if index + 1 < weeks:
                part = part.where(Movement.occurred_at < bindparam(f"start_{index + 1}"))
            if by_site:
                part = part.where(Movement.site_id.in_(bindparam("site_ids", expanding=True)))
            parts.append(part)
    return union_all(*parts)
