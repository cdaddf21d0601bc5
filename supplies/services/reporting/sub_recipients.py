"""The Sub-recipients table (DESIGN.md): which partner agency received what, and what it
reported handing out, and the counts partners report, joined to the program's quarters.

Units received are supply units, not person-derived: exactly the period, sites and funding
source asked for, never suppressed. Units reported given out come from the partners'
monthly reports of the months the period touches; reports do not say which grant paid for
the units, so with a funding filter that column stays empty (the About sheet says why).
The encounters and reversals partners report are person-derived: they are never shown per
partner, only added to the program's quarter-grain counts (quarterly.py).
"""

from datetime import date

from supplies.extensions import db
from supplies.models import Movement, PartnerReport, PartnerReportLine, Site, Supply
from supplies.services.reporting import queries as q
from supplies.vocab import PARTNER_KIND

RECEIVING_KINDS = ("receive", "transfer_in")


def _received(filters, site_ids: list[int], lower, upper) -> dict[tuple[int, int], int]:
    query = (
        db.select(Movement.site_id, Movement.supply_id, db.func.sum(Movement.quantity))
        .where(
            Movement.site_id.in_(site_ids),
            Movement.kind.in_(RECEIVING_KINDS),
            Movement.occurred_at >= lower,
            Movement.occurred_at < upper,
            *q._movement_filters(filters),
        )
        .group_by(Movement.site_id, Movement.supply_id)
    )
    return {(site, supply): int(units or 0) for site, supply, units in db.session.execute(query)}


def _reported(site_ids: list[int], start: date, end: date) -> dict[tuple[int, int], int]:
    """Units reported given out in the months from start's month to end's, per agency and
    supply."""
    query = (
        db.select(PartnerReport.site_id, PartnerReportLine.supply_id)
        .add_columns(db.func.sum(PartnerReportLine.quantity))
        .join(PartnerReportLine, PartnerReportLine.report_id == PartnerReport.id)
        .where(
            PartnerReport.site_id.in_(site_ids),
            PartnerReport.month >= start.replace(day=1),
            PartnerReport.month <= end,
        )
        .group_by(PartnerReport.site_id, PartnerReportLine.supply_id)
    )
    return {(site, supply): int(units or 0) for site, supply, units in db.session.execute(query)}


def rows(filters, lower, upper, sites: list[Site], supplies: list[Supply]) -> list[dict]:
    """One row per partner agency of the report's sites and supply, zeros included."""
    partners = [site for site in sites if site.kind == PARTNER_KIND]
    if not partners:
        return []
    site_ids = [site.id for site in partners]
    received = _received(filters, site_ids, lower, upper)
    by_funding = filters.funding_id is not None
    reported = {} if by_funding else _reported(site_ids, filters.start, filters.end)
    found = []
    for site in partners:
        for supply in supplies:
            key = (site.id, supply.id)
            found.append(
                {
                    "partner": site.code,
                    "county": site.county,
                    "supply": supply.code,
                    "received": received.get(key, 0),
                    "reported": None if by_funding else reported.get(key, 0),
                    "partner_name": site.name,
                    "supply_name": supply.name,
                }
            )
    return found


def quarter_counts(starts_on: date, ends_on: date) -> tuple[int, int, int]:
    """Encounters and reversals every partner reported for the months of one quarter, over
    the whole program (person-derived: shown only at the quarter's grain), and how many
    agencies reported encounters."""
    encounters, reversals, agencies = db.session.execute(
        db.select(
            db.func.coalesce(db.func.sum(PartnerReport.encounters), 0),
            db.func.coalesce(db.func.sum(PartnerReport.reversals_reported), 0),
            db.func.count(db.distinct(PartnerReport.site_id)).filter(
                PartnerReport.encounters.is_not(None)
            ),
        ).where(PartnerReport.month >= starts_on, PartnerReport.month <= ends_on)
    ).one()
    return int(encounters), int(reversals), int(agencies)
