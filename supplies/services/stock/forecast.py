"""Run-out forecast: how fast each site uses each supply, and about when it runs out.

The method (documented in docs/forecast.md, and stated here so the code and the words
cannot drift apart):

1. Outflow is what leaves a site's shelf for use: distributions (less their voids) and
   transfers out to other sites. Write-offs, counts and receipts are not use.
2. The last 28 days before now are cut into four weeks; each week's outflow is summed
   per site and supply (weeks with nothing count as zero).
3. The rate is the median of the four weekly totals, divided by 7: units a day. The median
   of four weeks is the mean of the middle two, so one big day (a van stocked once, a
   mass event) moves one week and not the rate; a supply used in one week of four has no
   rate at all.
4. Where the rate is above zero, days left = usable units (available, unexpired) divided
   by the rate, rounded down: "runs out in about N days". No rate, no forecast.
5. A partner agency (a site of kind partner_agency) hands supplies on outside the ledger,
   so its rate comes from its monthly reports instead: the median of the units it
   reported handing out in its last three reported months before the current one,
   divided by the days of an average month. Its ledger movements are not its use.
6. A site and supply whose days left are fewer than RESTOCK_LEAD_DAYS (default 14: the
   time a restock takes to arrive) is flagged on the overview, and restock suggestions
   then ask for enough to cover the lead time as well as the par target.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from flask import current_app
from sqlalchemy import and_, case, func, literal

from supplies.extensions import db
from supplies.models import Movement, PartnerReport, PartnerReportLine, Site
from supplies.services.common import clock
from supplies.vocab import PARTNER_KIND

WEEKS = 4
PARTNER_MONTHS = 3
DAYS_A_MONTH = 365.25 / 12
OUTFLOW_KINDS = ("distribute", "void", "transfer_out")
DEFAULT_LEAD_DAYS = 14


@dataclass(frozen=True)
class Rate:
    """A site's use of a supply: the four weekly outflows (oldest first) and units a day.

    For a partner agency `weekly` holds its reported months' units instead (oldest first).
    """

    weekly: tuple[int, ...]
    per_day: float
    # What the rate is read from: "weeks" of the ledger, or a partner's monthly "reports".
    basis: str = "weeks"

    def days_left(self, usable: int) -> int | None:
        """Whole days the usable units last at this rate; None without a rate."""
        if self.per_day <= 0:
            return None
        return math.floor(max(usable, 0) / self.per_day)

    def covering(self, days: int) -> int:
        """Units needed to last the given number of days at this rate."""
        return math.ceil(self.per_day * days)


def lead_days() -> int:
    """RESTOCK_LEAD_DAYS: how many days ahead a run-out needs action (default 14)."""
    return int(current_app.config.get("RESTOCK_LEAD_DAYS", DEFAULT_LEAD_DAYS))


def rate_of(weekly: tuple[int, ...]) -> Rate:
    """The rate from four weekly outflows: their median over 7 days."""
    return Rate(tuple(weekly), max(median(weekly), 0) / 7)


def rates(
    site_ids: list[int] | None = None,
    supply_ids: list[int] | None = None,
    now: datetime | None = None,
) -> dict[tuple[int, int], Rate]:
    """Each (site id, supply id) with a rate above zero over the four weeks before now;
    only the sites and supplies named, when named. One grouped query."""
    now = now or clock.now()
    starts = [now - timedelta(days=7 * (WEEKS - week)) for week in range(WEEKS)]
    ends = [*starts[1:], now]
    weeks = [
        func.sum(
            case(
                (
                    and_(Movement.occurred_at >= start, Movement.occurred_at < end),
                    -Movement.quantity,
                ),
                else_=literal(0),
            )
        )
        for start, end in zip(starts, ends, strict=True)
    ]
    query = (
        db.select(Movement.site_id, Movement.supply_id, *weeks)
        .where(
            Movement.kind.in_(OUTFLOW_KINDS),
            Movement.occurred_at >= starts[0],
            Movement.occurred_at < now,
        )
        .group_by(Movement.site_id, Movement.supply_id)
    )
    if site_ids is not None:
        query = query.where(Movement.site_id.in_(list(site_ids)))
    if supply_ids is not None:
        query = query.where(Movement.supply_id.in_(list(supply_ids)))
    partners = _partner_ids(site_ids)
    found = {}
    for site_id, supply_id, *weekly in db.session.execute(query):
        if site_id in partners:
            continue  # a partner's transfers back are not use: its reports say what is
        rate = rate_of(tuple(int(units or 0) for units in weekly))
        if rate.per_day > 0:
            found[(site_id, supply_id)] = rate
    if partners:
        for key, months in _partner_months(sorted(partners), supply_ids, now).items():
            rate = Rate(months, median(months) / DAYS_A_MONTH, basis="reports")
            if rate.per_day > 0:
                found[key] = rate
    return found


def _partner_ids(site_ids: list[int] | None) -> set[int]:
    query = db.select(Site.id).where(Site.kind == PARTNER_KIND)
    if site_ids is not None:
        query = query.where(Site.id.in_(list(site_ids)))
    return set(db.session.execute(query).scalars())


def _partner_months(
    site_ids: list[int], supply_ids: list[int] | None, now: datetime
) -> dict[tuple[int, int], tuple[int, ...]]:
    """(site id, supply id) -> units reported in each of the agency's last three reported
    months before the current one (oldest first; a month it reported without the supply
    counts as 0)."""
    if not site_ids:
        return {}
    this_month = clock.local_date(now).replace(day=1)
    months = (
        db.select(PartnerReport.id, PartnerReport.site_id, PartnerReport.month)
        .where(PartnerReport.site_id.in_(site_ids), PartnerReport.month < this_month)
        .order_by(PartnerReport.site_id, PartnerReport.month.desc())
    )
    latest: dict[int, list] = {}
    for report_id, site_id, month in db.session.execute(months):
        kept = latest.setdefault(site_id, [])
        if len(kept) < PARTNER_MONTHS:
            kept.append((month, report_id))
    report_ids = [report_id for kept in latest.values() for _, report_id in kept]
    if not report_ids:
        return {}
    lines = db.select(
        PartnerReportLine.report_id, PartnerReportLine.supply_id, PartnerReportLine.quantity
    ).where(PartnerReportLine.report_id.in_(report_ids))
    if supply_ids is not None:
        lines = lines.where(PartnerReportLine.supply_id.in_(list(supply_ids)))
    units: dict[tuple[str, int], int] = {}
    supplies_of: dict[int, set[int]] = {}
    site_of = {report_id: site for site, kept in latest.items() for _, report_id in kept}
    for report_id, supply_id, quantity in db.session.execute(lines):
        units[(report_id, supply_id)] = quantity
        supplies_of.setdefault(site_of[report_id], set()).add(supply_id)
    found = {}
    for site_id, kept in latest.items():
        ordered = sorted(kept)
        for supply_id in supplies_of.get(site_id, ()):
            found[(site_id, supply_id)] = tuple(
                units.get((report_id, supply_id), 0) for _, report_id in ordered
            )
    return found


def partner_monthly(
    site_ids: list[int], supply_ids: list[int] | None = None, now: datetime | None = None
) -> dict[tuple[int, int], float]:
    """(site id, supply id) -> units a month a partner agency reports handing out: the
    median of its last three reported months before the current one."""
    months = _partner_months(site_ids, supply_ids, now or clock.now())
    return {key: float(median(units)) for key, units in months.items()}


@dataclass(frozen=True)
class Forecast:
    """One site and supply's rate and days left, as the stock card shows it."""

    rate: Rate | None
    usable: int
    lead_days: int

    @property
    def days_left(self) -> int | None:
        """Whole days the usable units last; None without a rate."""
        return self.rate.days_left(self.usable) if self.rate else None

    @property
    def soon(self) -> bool:
        """Runs out before a restock ordered now would arrive."""
        return self.days_left is not None and self.days_left < self.lead_days


def forecast(site_id: int, supply_id: int, usable: int) -> Forecast:
    """The forecast of one site and supply with its usable units now."""
    rate = rates([site_id], [supply_id]).get((site_id, supply_id))
    return Forecast(rate, usable, lead_days())
