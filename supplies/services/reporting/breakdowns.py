"""The workbook's breakdowns of supply units: by quarter, category and area, receipts by
source and funding, write-offs by reason, and units handed on for others.

Supply units, doses and stock are not person-derived (DESIGN.md, "Privacy of published
counts"): they cover exactly the period, sites and funding source asked for, unsuppressed.
Except two splits of units by answers about the person, By Area and Units for others: an
encounter hands out at least one unit, so a few units of an area bound its encounters from
above. Those are computed here but published like person-derived counts (quarterly.py).
Each comes from one GROUP BY (or from the month-by-supply totals report.py already has),
and adds up to the same units as Summary and Inventory.
"""

from collections import Counter

from sqlalchemy import and_, func, or_

from supplies.extensions import db
from supplies.models import Batch, DistributionEvent, DistributionLine, FundingSource, Movement
from supplies.services import areas
from supplies.services.distribution import quarters as reporting_quarters
from supplies.services.reporting import queries as q
from supplies.services.reporting.suppression import NOT_RECORDED, SUPPRESSED
from supplies.vocab import ADJUSTMENT_REASONS, RECEIPT_SOURCES, REVERSAL_CATEGORIES

# By Category's extra row: naloxone of every formulation and nalmefene, in kits and doses.
REVERSAL_TOTAL = "reversal_medication_total"


def _order(vocabulary, value) -> tuple:
    return (vocabulary.index(value) if value in vocabulary else len(vocabulary), value or "")


def by_quarter(filters, months, monthly: dict, supplies) -> list[dict]:
    """Units per reporting quarter (the program's fiscal quarters) and supply.

    Quarters are whole months, so they are the month totals added up; a quarter the period
    covers only in part says which days (From, To) its numbers are for.
    """
    quarters = reporting_quarters.quarters_between(filters.start, filters.end)
    index = {quarter.starts_on: i for i, quarter in enumerate(quarters)}
    month_quarter = [index[reporting_quarters.quarter_of(month).starts_on] for month in months]
    totals: dict[tuple[int, int], int] = {}
    for (month, supply_id), units in monthly.items():
        key = (month_quarter[month], supply_id)
        totals[key] = totals.get(key, 0) + units
    rows = []
    for i, quarter in enumerate(quarters):
        year = quarter.label.split("-Q")[0]
        span = {
            "fiscal_year": year,
            "from": max(quarter.starts_on, filters.start),
            "to": min(quarter.ends_on, filters.end),
        }
        for supply in supplies:
            units = totals.get((i, supply.id), 0)
            rows.append({"quarter": quarter.label, **_units(supply, units), **span})
    return rows


def by_category(summary: list[dict], categories: list[str]) -> list[dict]:
    """Units and doses per category in use, then the reversal medications together."""
    rows = {category: {"category": category, "units": 0, "doses": 0} for category in categories}
    total = {"category": REVERSAL_TOTAL, "units": 0, "doses": 0}
    for row in summary:
        targets = [rows[row["category"]]]
        if row["category"] in REVERSAL_CATEGORIES:
            targets.append(total)
        for target in targets:
            target["units"] += row["units"]
            target["doses"] += row["doses"]
    return [*rows.values(), total]


def line_totals(event_conditions: list) -> dict[str, object]:
    """Sums over the lines of the events counted, the ones units_by_place needs.

    encounters: [supply id, encounters that handed it out] (an event has one line per
    supply); event_units: all their units; area_units: [event area as stored, supply id,
    units] of events with an area; site_units: [site id, supply id, units] of events
    without one (their site's county stands in); for_others: [supply id, units handed on
    for others]. Voided events are left out by the conditions (their units net to zero).
    """
    event = DistributionEvent
    keys = (event.area, event.site_id, event.for_others, DistributionLine.supply_id)
    rows = db.session.execute(
        db.select(*keys, func.count(), func.sum(DistributionLine.quantity))
        .join(event, event.id == DistributionLine.event_id)
        .where(*event_conditions)
        .group_by(*keys)
    )
    encounters, area_units, site_units, for_others = Counter(), Counter(), Counter(), Counter()
    for area, site_id, others, supply_id, count, units in rows:
        encounters[supply_id] += count
        if area is None:
            site_units[(site_id, supply_id)] += units
        else:
            area_units[(area, supply_id)] += units
        if others:
            for_others[supply_id] += units
    return {
        "encounters": [[supply_id, n] for supply_id, n in encounters.items()],
        "event_units": sum(site_units.values()) + sum(area_units.values()),
        "area_units": [[*key, units] for key, units in area_units.items()],
        "site_units": [[*key, units] for key, units in site_units.items()],
        "for_others": [[supply_id, units] for supply_id, units in for_others.items()],
    }


def units_by_place(area_units: list, site_units: list, counties: dict[int, str | None]) -> dict:
    """Units per (place, supply id) from line_totals' sums.

    The place is the event's area, else its site's county (counties: site id -> county);
    an unlisted area is never shown as typed. Units split by answers about the person:
    the workbook publishes them only at the person-derived grain (quarterly.py).
    """
    listed = areas.listed_names()
    by_area: Counter = Counter()
    for area, supply_id, units in area_units:
        by_area[(areas.exported(area, listed), supply_id)] += units
    for site_id, supply_id, units in site_units:
        by_area[(counties.get(site_id) or NOT_RECORDED, supply_id)] += units
    return dict(by_area)


def area_places(counties, found=()) -> list[str]:
    """By Area's places in order: every listed area and site county (an area given
    nothing appears), and those found in the numbers; "other area", "not recorded" last."""
    places = areas.listed_names() | {county for county in counties if county}
    places |= set(found)
    return sorted(places, key=lambda p: (p == NOT_RECORDED, p == areas.OTHER_AREA, p))


def area_rows(places: list[str], supplies, cells: dict | None) -> list[dict]:
    """By Area's rows: one per place and supply, with the shown units (cells: place ->
    supply id -> shown; None when the workbook leaves the table empty); doses follow their
    units cell, hidden with it."""
    rows = []
    blank = [(supply, _units(supply, 0)) for supply in supplies]
    for place in places:
        shown = {} if cells is None else cells.get(place, {})
        for supply, cells_of_supply in blank:
            units = None if cells is None else shown.get(supply.id, 0)
            row = {"area": place, **cells_of_supply}
            row["units"] = units
            if units is None or isinstance(units, int):
                row["doses"] = None if units is None else units * supply.doses_per_unit
            else:
                row["doses"] = SUPPRESSED
            rows.append(row)
    return rows


def stock_changes(filters, lower, upper) -> dict[str, dict]:
    """Receipts and write-offs of the period in one pass over its movements.

    "received": (site id, supply id) -> [(source, funding code, funder, units)];
    "written_off": (site id, supply id) -> [(reason, units)] (negative adjustments).
    """
    site_id, supply_id = q._unindexed(Movement.site_id), q._unindexed(Movement.supply_id)
    kind = q._unindexed(Movement.kind)
    found = db.session.execute(
        db.select(
            site_id,
            supply_id,
            kind,
            Movement.reason,
            Batch.source,
            FundingSource.code,
            FundingSource.funder,
            func.sum(Movement.quantity),
        )
        .join(Batch, Batch.id == Movement.batch_id)
        .outerjoin(FundingSource, FundingSource.id == Batch.funding_source_id)
        .where(
            or_(kind == "receive", and_(kind == "adjust", Movement.quantity < 0)),
            Movement.occurred_at >= lower,
            Movement.occurred_at < upper,
            *q._movement_filters(filters),
        )
        .group_by(
            site_id,
            supply_id,
            kind,
            Movement.reason,
            Batch.source,
            FundingSource.code,
            FundingSource.funder,
        )
    ).all()
    received: dict[tuple[int, int], dict] = {}
    written_off: dict[tuple[int, int], dict] = {}
    for site, supply, what, reason, source, funding, funder, units in found:
        if what == "receive":
            parts = received.setdefault((site, supply), {})
            key = (source, funding, funder)
            parts[key] = parts.get(key, 0) + int(units)
        else:
            # Several batches (sources, funding) of one reason add up to one row.
            parts = written_off.setdefault((site, supply), {})
            parts[reason] = parts.get(reason, 0) - int(units)
    # A part that nets to nothing (a receipt undone with its import) is no part.
    return {
        "received": {k: [(*key, n) for key, n in v.items() if n] for k, v in received.items()},
        "written_off": {k: [(r, n) for r, n in v.items() if n] for k, v in written_off.items()},
    }


def received(changes: dict, sites, supplies) -> list[dict]:
    """Units received per site, supply, source of the receipt and funding source.

    Every site and supply has a row; one that received nothing has one zero row with no
    source. The rows of a site and supply add up to Inventory's Received.
    """
    groups = changes["received"]
    rows = []
    for site in sites:
        for supply in supplies:
            parts = groups.get((site.id, supply.id)) or [(None, None, None, 0)]
            parts.sort(key=lambda p: (_order(RECEIPT_SOURCES, p[0]), p[1] or ""))
            for source, funding, funder, units in parts:
                rows.append(
                    {
                        **_site_cells(site),
                        **_units(supply, units),
                        "source": source,
                        "funding": funding,
                        "funder": funder,
                    }
                )
    return rows


def write_offs(changes: dict, sites, supplies) -> list[dict]:
    """Units written off (negative adjustments) per site, supply and reason.

    Inventory's Adjusted keeps them (so its identity holds as stated); this table breaks
    them down. Every site and supply has a row; one with none has one zero row, no reason.
    """
    groups = changes["written_off"]
    rows = []
    for site in sites:
        for supply in supplies:
            parts = groups.get((site.id, supply.id)) or [(None, 0)]
            parts.sort(key=lambda p: _order(ADJUSTMENT_REASONS, p[0]))
            for reason, units in parts:
                rows.append({**_site_cells(site), **_units(supply, units), "reason": reason})
    return rows


def _units(supply, units: int) -> dict:
    return {
        "supply": supply.code,
        "supply_name": supply.name,
        "category": supply.category,
        "units": units,
        "doses": units * supply.doses_per_unit,
    }


def _site_cells(site) -> dict:
    return {"site": site.code, "site_name": site.name}
