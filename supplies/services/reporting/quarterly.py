"""Person-derived counts at one grain: whole closed quarters over the whole program.

Whatever sites, funding source or dates a workbook was asked for, its Recipients and
Reversals tables (and Summary's Encounters, and the units split by answers about the person:
By Area and Summary's Units for others) come from here, computed for the closed quarters
its period touches with no site or funding filter, so the same quarter's cell is
the same in every workbook and no two workbooks differ by a few people (DESIGN.md,
"Privacy of published counts"). Open quarters, whose counts still grow, are left out.
"""

from dataclasses import dataclass, field
from datetime import date

from supplies.extensions import db
from supplies.models import Site
from supplies.services.distribution import quarters as reporting_quarters
from supplies.services.reporting import breakdowns, sub_recipients
from supplies.services.reporting.quarter_counts import (
    FreshSums,
    QuarterSums,
    quarter_sums,
)
from supplies.services.reporting.suppression import (
    SUPPRESSED,
    counted_breakdowns,
    shown_as,
    small,
    suppress_quarter,
    suppress_units,
)

# Why Summary's Encounters is empty (the About sheet says it in the workbook's words).
FILTERED, PARTIAL, OPEN = "filtered", "partial", "open"


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
    # Units split by answers about the person, shown like Encounters (None: left empty).
    by_area: dict[str, dict[int, object]] | None = None  # place -> supply id -> shown
    for_others: dict[int, object] | None = None  # supply id -> shown
    places: list[str] = field(default_factory=list)  # By Area's places when filled


def _quarter(quarter, below: int, counties: dict | None) -> dict:
    """One closed quarter's counts and how each is shown (with By Area's and Units for
    others' units when counties, site id -> county, are given)."""
    sums, counted = quarter_sums(quarter)
    counts = counted_breakdowns(sums.tallies)
    total = sum(n for _, n in counts["setting"])
    by_supply = dict(sums.encounters)
    # What the rest of the workbook tells of the total, were it kept unknown: every
    # encounter hands out at least one unit, and units are published in full (the ledger's
    # Distributed nets voids by their own date, so the smaller of it and the events' own
    # units); a supply's encounters, shown exactly from N up, are at most the total.
    units = min(sums.event_units, sums.ledger_units)
    at_least = max((n for n in by_supply.values() if not small(n, below)), default=0)
    shown, total_hidden = suppress_quarter(
        {name: [n for _, n in values] for name, values in counts.items()},
        below,
        total_bounds=(at_least, units),
    )
    rows = [
        {"quarter": quarter.label, "breakdown": name, "value": label, "encounters": cell}
        for name, values in counts.items()
        for (label, _), cell in zip(values, shown[name], strict=True)
    ]
    trained = dict(zip((label for label, _ in counts["trained"]), shown["trained"], strict=True))
    reversals = sums.reversals
    # What partner agencies report for the quarter's months joins the program's counts
    # here, at the quarter's grain over the whole program, never per partner.
    partner_encounters, partner_reversals, reporting_agencies = sub_recipients.quarter_counts(
        quarter.starts_on, quarter.ends_on
    )
    # Reported by one agency alone, the program's partner total would be that agency's own
    # count: shown only where two or more agencies' counts make it up.
    shown_partner_encounters = (
        shown_as(partner_encounters, below) if reporting_agencies != 1 else SUPPRESSED
    )
    encounters = {}
    for supply_id, count in by_supply.items():
        if total_hidden and count == total and not small(count, below):
            # Every encounter of the quarter handed it out: it would give the total away.
            encounters[supply_id] = SUPPRESSED
        else:
            encounters[supply_id] = shown_as(count, below)
    numbers = _units(sums, below, counties) if counties is not None else {}
    return {
        **numbers,
        "rows": rows,
        "reversals": {
            "quarter": quarter.label,
            "reversals": shown_as(int(reversals) + partner_reversals, below),
            "trained": trained["true"],
            "partner_encounters": shown_partner_encounters,
        },
        "encounters": encounters,
        "counted": counted,
    }


def _units(sums: QuarterSums, below: int, counties: dict) -> dict:
    """One quarter's units by area and for others, as the workbook shows them.

    By Area: per supply, the areas add up to By Quarter's total for the quarter, so small
    cells get complements (suppress_units). Units for others: a cell of 1 to N-1 shows <N
    and needs no complement, because its complement (units at encounters not for others:
    for_others false or not recorded) is published nowhere: Summary, By Quarter, By Site
    and By Month give all units of a supply, By Area splits them by area, not by
    for_others, Recipients counts encounters, not units, and the event-level export, which
    has every line, is for program staff only.
    """
    by_area = breakdowns.units_by_place(sums.area_units, sums.site_units, counties)
    places = breakdowns.area_places(counties.values(), {place for place, _ in by_area})
    cells: dict[tuple[str, int], object] = {}
    for supply_id in {supply_id for _, supply_id in by_area}:
        counts = [by_area.get((place, supply_id), 0) for place in places]
        for place, cell in zip(places, suppress_units(counts, below), strict=True):
            cells[(place, supply_id)] = cell
    others = {supply_id: shown_as(units, below) for supply_id, units in sums.for_others}
    return {"places": places, "by_area": cells, "for_others": others}


def person_derived(filters, below: int, counted: list[FreshSums] | None = None) -> PersonDerived:
    """The person-derived tables for a workbook with these filters.

    Quarters whose sums were read from the events (none kept, or kept for events that
    have changed since) are added to counted, for the caller to keep once its reads end.
    """
    result = PersonDerived()
    touched = reporting_quarters.quarters_between(filters.start, filters.end)
    whole = touched[0].starts_on == filters.start and touched[-1].ends_on == filters.end
    if filters.site_ids is not None or filters.funding_id is not None:
        result.encounters_reason = FILTERED
    elif not whole:
        result.encounters_reason = PARTIAL
    # Units by area and for others are only worked out for a workbook that shows them.
    counties = None
    if result.encounters_reason is None:
        counties = {
            site: county for site, county in db.session.execute(db.select(Site.id, Site.county))
        }
    per_quarter = []
    for quarter in touched:
        closed = reporting_quarters.closed_since(quarter)
        if closed is None:
            result.open.append((quarter.label, reporting_quarters.closes_on(quarter)))
            continue
        result.published.append(quarter.label)
        numbers = _quarter(quarter, below, counties)
        result.recipients.extend(numbers["rows"])
        result.reversals.append(numbers["reversals"])
        per_quarter.append(numbers)
        if numbers["counted"] is not None and counted is not None:
            counted.append(numbers["counted"])
    result.reopened = [quarter.label for quarter in reporting_quarters.reopened()]
    if result.encounters_reason is None and result.open:
        result.encounters_reason = OPEN
    elif result.encounters_reason is None:
        result.encounters = _totals([numbers["encounters"] for numbers in per_quarter])
        result.by_area = {}
        for (place, supply_id), cell in _totals([n["by_area"] for n in per_quarter]).items():
            result.by_area.setdefault(place, {})[supply_id] = cell
        result.for_others = _totals([numbers["for_others"] for numbers in per_quarter])
        places = {place for numbers in per_quarter for place in numbers["places"]}
        result.places = breakdowns.area_places((), places)
    return result


def _totals(per_quarter: list[dict]) -> dict:
    """Cells over the quarters: a total shown only where every quarter's part is shown,
    else "suppressed" (never <N, even when small: a <N total of two <N parts would narrow
    each to 1..N-2)."""
    if len(per_quarter) == 1:
        return per_quarter[0]
    keys = {key for cells in per_quarter for key in cells}
    totals = {}
    for key in keys:
        parts = [cells.get(key, 0) for cells in per_quarter]
        if all(isinstance(part, int) for part in parts):
            totals[key] = sum(parts)
        else:
            totals[key] = SUPPRESSED
    return totals
