"""Person-derived counts at one grain: whole closed quarters over the whole program.

Whatever sites, funding source or dates a workbook was asked for, its Recipients and
Reversals tables (and Summary's Encounters) come from here, computed for the closed
quarters its period touches with no site or funding filter, so the same quarter's cell is
the same in every workbook and no two workbooks differ by a few people (DESIGN.md,
"Privacy of published counts"). Open quarters, whose counts still grow, are left out.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from supplies.extensions import db
from supplies.models import DistributionEvent
from supplies.services.common import clock
from supplies.services.distribution import quarters as reporting_quarters
from supplies.services.reporting import queries as q
from supplies.services.reporting.suppression import (
    SUPPRESSED,
    breakdown_counts,
    shown_as,
    small,
    suppress_quarter,
)

# Why Summary's Encounters is empty (the About sheet says it in the workbook's words).
FILTERED, PARTIAL, OPEN = "filtered", "partial", "open"


@dataclass(frozen=True)
class WholeProgram:
    """Filters meaning every site and every funding source (what queries expect)."""

    site_ids: tuple[int, ...] | None = None
    funding_id: int | None = None


@dataclass
class PersonDerived:
    """The person-derived tables of one workbook."""

    published: list[str] = field(default_factory=list)  # closed quarters shown
    open: list[tuple[str, date]] = field(default_factory=list)  # left out, with close date
    reopened: list[str] = field(default_factory=list)
    recipients: list[dict] = field(default_factory=list)
    reversals: list[dict] = field(default_factory=list)
    # supply id -> shown encounters; None with a reason when the column stays empty
    encounters: dict[int, object] | None = None
    encounters_reason: str | None = None


def _conditions(quarter) -> tuple[list, datetime, datetime]:
    lower = clock.start_of_day(quarter.starts_on)
    upper = clock.start_of_day(quarter.ends_on + timedelta(days=1))
    return q.event_conditions(WholeProgram(), lower, upper), lower, upper


def _quarter(quarter, below: int) -> dict:
    """One closed quarter's counts and how each is shown."""
    conditions, lower, upper = _conditions(quarter)
    counts = breakdown_counts(conditions)
    total = sum(n for _, n in counts["setting"])
    shown, total_hidden = suppress_quarter(
        {name: [n for _, n in values] for name, values in counts.items()}, below
    )
    rows = [
        {"quarter": quarter.label, "breakdown": name, "value": label, "encounters": cell}
        for name, values in counts.items()
        for (label, _), cell in zip(values, shown[name], strict=True)
    ]
    trained = dict(zip((label for label, _ in counts["trained"]), shown["trained"], strict=True))
    reversals = db.session.execute(
        db.select(db.func.coalesce(db.func.sum(DistributionEvent.reversals_reported), 0)).where(
            *conditions
        )
    ).scalar_one()
    by_supply = q.encounters_by_supply(WholeProgram(), lower, upper)
    encounters = {}
    for supply_id, count in by_supply.items():
        if total_hidden and count == total and not small(count, below):
            # Every encounter of the quarter handed it out: it would give the total away.
            encounters[supply_id] = SUPPRESSED
        else:
            encounters[supply_id] = shown_as(count, below)
    return {
        "rows": rows,
        "reversals": {
            "quarter": quarter.label,
            "reversals": shown_as(int(reversals), below),
            "trained": trained["true"],
        },
        "encounters": encounters,
    }


def person_derived(filters, below: int) -> PersonDerived:
    """The person-derived tables for a workbook with these filters."""
    result = PersonDerived()
    touched = reporting_quarters.quarters_between(filters.start, filters.end)
    per_quarter = []
    for quarter in touched:
        closed = reporting_quarters.closed_since(quarter)
        if closed is None:
            result.open.append((quarter.label, reporting_quarters.closes_on(quarter)))
            continue
        result.published.append(quarter.label)
        numbers = _quarter(quarter, below)
        result.recipients.extend(numbers["rows"])
        result.reversals.append(numbers["reversals"])
        per_quarter.append(numbers)
    result.reopened = [quarter.label for quarter in reporting_quarters.reopened()]
    whole = touched[0].starts_on == filters.start and touched[-1].ends_on == filters.end
    if filters.site_ids is not None or filters.funding_id is not None:
        result.encounters_reason = FILTERED
    elif not whole:
        result.encounters_reason = PARTIAL
    elif result.open:
        result.encounters_reason = OPEN
    else:
        result.encounters = _totals(per_quarter, below)
    return result


def _totals(per_quarter: list[dict], below: int) -> dict[int, object]:
    """Encounters per supply over the quarters: shown only where every quarter's is."""
    if len(per_quarter) == 1:
        return per_quarter[0]["encounters"]
    supplies = {supply for numbers in per_quarter for supply in numbers["encounters"]}
    totals = {}
    for supply in supplies:
        parts = [numbers["encounters"].get(supply, 0) for numbers in per_quarter]
        if all(isinstance(part, int) for part in parts):
            totals[supply] = sum(parts)
        else:
            totals[supply] = SUPPRESSED
    return totals
