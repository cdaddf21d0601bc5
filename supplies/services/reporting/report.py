"""The funder report's numbers: filters, periods and the tables, with zero rows filled in.

Periods are whole program days in APP_TIMEZONE, both ends included. The numbers are
aggregated in SQL (report_queries, one GROUP BY per table); Python only lays the aggregates
out on the full grid of sites, supplies and months.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app

from supplies.services import catalog
from supplies.services.common import clock
from supplies.services.common import validation as v
from supplies.services.common.messages import msg
from supplies.services.db.unit_of_work import snapshot
from supplies.services.reporting import breakdowns, periods, quarter_counts, sub_recipients
from supplies.services.reporting import queries as q
from supplies.services.reporting.quarterly import PersonDerived, person_derived
from supplies.vocab import INTERFACE_LANGUAGES

MAX_PERIOD_DAYS = 3700
REPORT_STEPS = (
    "Summary",
    "By Month",
    "By Site",
    "Recipients",
    "Reversals",
    "Inventory",
    "Expiring Lots",
    "By Quarter",
    "By Category",
    "By Area",
    "Received",
    "Write-offs",
    "Sub-recipients",
)


@dataclass(frozen=True)
class ReportFilters:
    """What a report covers: inclusive program days, optional sites and funding source."""

    start: date
    end: date
    site_ids: tuple[int, ...] | None = None
    site_codes: tuple[str, ...] = ()
    funding_id: int | None = None
    funding_code: str | None = None
    funding_name: str | None = None
    # The workbook's language (not the screen's): an archived workbook says which it was.
    language: str = "en"

    def as_dict(self) -> dict:
        """The filters as plain values, for the audit log and the About sheet."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "sites": list(self.site_codes),
            "funding": self.funding_code,
            "language": self.language,
        }


@dataclass
class FunderReport:
    """Every table of the funder workbook, as rows of plain values."""

    filters: ReportFilters
    program: str
    timezone: str
    generated_at: datetime
    suppress_below: int
    months: list[date]
    summary: list[dict] = field(default_factory=list)
    by_month: list[dict] = field(default_factory=list)
    by_site: list[dict] = field(default_factory=list)
    recipients: list[dict] = field(default_factory=list)
    reversals: list[dict] = field(default_factory=list)
    inventory: list[dict] = field(default_factory=list)
    expiring: list[dict] = field(default_factory=list)
    by_quarter: list[dict] = field(default_factory=list)
    by_category: list[dict] = field(default_factory=list)
    by_area: list[dict] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    write_offs: list[dict] = field(default_factory=list)
    sub_recipients: list[dict] = field(default_factory=list)
    chart: list[dict] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    # Which quarters the person-derived tables cover, and why Summary's Encounters is empty.
    people: PersonDerived = field(default_factory=PersonDerived)


def make_filters(start, end, site_codes=(), funding_code=None, language="en") -> ReportFilters:
    """Check typed filters (dates, site and funding codes, language) and name any bad field."""
    fields = v.Fields()
    start_day = fields.check("start", v.iso_date, start, True)
    end_day = fields.check("end", v.iso_date, end, True)
    if start_day and end_day:
        if end_day < start_day:
            fields.fail("end", msg("must be on or after the start"))
        elif (end_day - start_day).days > MAX_PERIOD_DAYS:
            fields.fail("end", msg("a report covers at most ten years"))
    sites = []
    for code in dict.fromkeys(c for c in site_codes or () if c):
        site = fields.check("site", catalog.site_by_code, code, "site", False)
        if site is not None:
            sites.append(site)
    funding = fields.check("funding", catalog.funding_by_code, funding_code or None)
    # A workbook is written in one of the screens' languages; English unless one is chosen.
    if language not in INTERFACE_LANGUAGES:
        values = ", ".join(INTERFACE_LANGUAGES)
        fields.fail("language", msg("must be one of: %(values)s", values=values))
    fields.raise_if_any(msg("Some report filters are not valid."))
    sites.sort(key=lambda s: s.code)
    return ReportFilters(
        start_day,
        end_day,
        tuple(s.id for s in sites) or None,
        tuple(s.code for s in sites),
        funding.id if funding else None,
        funding.code if funding else None,
        funding.name if funding else None,
        language,
    )


def bounds(filters: ReportFilters) -> tuple[datetime, datetime]:
    """The period as UTC instants: from the first day's start to the day after the last."""
    return clock.start_of_day(filters.start), clock.start_of_day(filters.end + timedelta(days=1))


def event_conditions(filters: ReportFilters) -> list:
    """SQL conditions picking the events a report counts (period, sites, funding, not voided)."""
    return q.event_conditions(filters, *bounds(filters))


def funder_report(filters: ReportFilters, progress: Callable[[str], None] | None = None):
    """Compute every table of the funder workbook for the filters, from one snapshot."""
    counted: list[quarter_counts.FreshSums] = []
    with snapshot():
        report = _funder_report(filters, progress, counted)
    # Written after the snapshot's reads, in a transaction of its own.
    quarter_counts.keep(counted)
    return report


def _funder_report(filters: ReportFilters, progress: Callable[[str], None] | None, counted: list):
    step = progress or (lambda _name: None)
    lower, upper = bounds(filters)
    config = current_app.config
    report = FunderReport(
        filters=filters,
        program=config["PROGRAM_NAME"],
        timezone=config["APP_TIMEZONE"],
        generated_at=clock.now(),
        suppress_below=int(config["SUPPRESS_BELOW"]),
        months=periods.months_between(filters.start, filters.end),
    )
    # One pass over the ledger from the period's start: Inventory, and the distributions
    # per month, site and supply, rolled up for Summary, By Month and By Site.
    inventory, detail = q.inventory(filters, lower, upper, report.months)
    by_supply, monthly, by_site = _rollups(detail)
    # Every site and supply gets a row, zero or not; inactive ones only if they had stock.
    sites = q.report_sites(filters, {site for site, _ in inventory})
    supplies = q.report_supplies({supply for _, supply in inventory} | {s for (s,) in by_supply})
    step("Summary")
    # Person-derived counts: whole closed quarters over the whole program, whatever the
    # filters (DESIGN.md, "Privacy of published counts").
    report.people = person_derived(filters, report.suppress_below, counted)
    encounters, for_others = report.people.encounters, report.people.for_others
    for supply in supplies:
        report.summary.append(
            {
                **_units(supply, by_supply.get((supply.id,), 0)),
                "encounters": None if encounters is None else encounters.get(supply.id, 0),
                # Units split by an answer about the person: at the grain of Encounters.
                "for_others": None if for_others is None else for_others.get(supply.id, 0),
            }
        )
    step("By Month")
    _fill_months(report, supplies, monthly)
    step("By Site")
    for site in sites:
        for supply in supplies:
            units = by_site.get((site.id, supply.id), 0)
            report.by_site.append({**_site_cells(site), **_units(supply, units)})
    step("Recipients")
    report.recipients = report.people.recipients
    step("Reversals")
    report.reversals = report.people.reversals
    step("Inventory")
    empty = dict.fromkeys(q.INVENTORY_COLUMNS, 0)
    for site in sites:
        for supply in supplies:
            numbers = inventory.get((site.id, supply.id), empty)
            report.inventory.append({**_site_cells(site), **_supply_cells(supply), **numbers})
    step("Expiring Lots")
    report.expiring = q.expiring(filters, upper)
    step("By Quarter")
    report.by_quarter = breakdowns.by_quarter(filters, report.months, monthly, supplies)
    step("By Category")
    report.by_category = breakdowns.by_category(report.summary, report.categories)
    step("By Area")
    # Like Units for others, at the person-derived grain; rows with empty cells otherwise.
    places = report.people.places or breakdowns.area_places(site.county for site in sites)
    report.by_area = breakdowns.area_rows(places, supplies, report.people.by_area)
    changes = breakdowns.stock_changes(filters, lower, upper)
    step("Received")
    report.received = breakdowns.received(changes, sites, supplies)
    step("Write-offs")
    report.write_offs = breakdowns.write_offs(changes, sites, supplies)
    step("Sub-recipients")
    report.sub_recipients = sub_recipients.rows(filters, lower, upper, sites, supplies)
    return report


def _rollups(detail: dict[tuple, int]) -> tuple[dict, dict, dict]:
    """(month, site, supply) units summed per (supply,), (month, supply) and (site, supply)."""
    by_supply: dict[tuple, int] = {}
    monthly: dict[tuple, int] = {}
    by_site: dict[tuple, int] = {}
    for (month, site, supply), units in detail.items():
        by_supply[(supply,)] = by_supply.get((supply,), 0) + units
        monthly[(month, supply)] = monthly.get((month, supply), 0) + units
        by_site[(site, supply)] = by_site.get((site, supply), 0) + units
    return by_supply, monthly, by_site


def _fill_months(report: FunderReport, supplies: list[q.ReportSupply], monthly: dict) -> None:
    """By Month rows for every month and supply, and the chart's month x category totals."""
    report.categories = sorted({s.category for s in supplies}, key=q.category_order)
    for index, month in enumerate(report.months):
        totals = dict.fromkeys(report.categories, 0)
        for supply in supplies:
            units = monthly.get((index, supply.id), 0)
            report.by_month.append({"month": month, **_units(supply, units)})
            totals[supply.category] += units
        report.chart.append({"month": month, **totals})


def _units(supply: q.ReportSupply, units: int) -> dict:
    return {**_supply_cells(supply), "units": units, "doses": units * supply.doses_per_unit}


def _site_cells(site: q.ReportSite) -> dict:
    return {"site": site.code, "site_name": site.name, "county": site.county}


def _supply_cells(supply: q.ReportSupply) -> dict:
    return {
        "supply": supply.code,
        "supply_name": supply.name,
        "category": supply.category,
        "unit": supply.unit,
        "doses_per_unit": supply.doses_per_unit,
    }
