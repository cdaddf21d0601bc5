"""What partner agencies received, reported and still hold, in grouped queries.

"Received" is what reached an agency by the ledger: every movement at its site (transfers
in, less any sent back or written off there); an agency never distributes through the
ledger, so its balance is what it received. "Reported" is the units its monthly reports
say it handed out. What it still holds ("with partners") is the difference.
"""

from datetime import date, datetime

from supplies.extensions import db
from supplies.models import DistributionEvent, Movement, PartnerReport, PartnerReportLine, Site
from supplies.services.stock import forecast
from supplies.vocab import PARTNER_KIND


def partner_site_ids() -> list[int]:
    """Every partner agency's site id (active or not)."""
    query = db.select(Site.id).where(Site.kind == PARTNER_KIND).order_by(Site.id)
    return list(db.session.execute(query).scalars())


def received(site_ids: list[int], before: datetime | None = None) -> dict[tuple[int, int], int]:
    """(site id, supply id) -> units the agencies hold by the ledger (before a moment)."""
    if not site_ids:
        return {}
    query = (
        db.select(Movement.site_id, Movement.supply_id, db.func.sum(Movement.quantity))
        .where(Movement.site_id.in_(site_ids))
        .group_by(Movement.site_id, Movement.supply_id)
    )
    if before is not None:
        query = query.where(Movement.occurred_at < before)
    return {(site, supply): int(units or 0) for site, supply, units in db.session.execute(query)}


def reported(
    site_ids: list[int],
    months_from: date | None = None,
    months_to: date | None = None,
    leave_out: date | None = None,
) -> dict[tuple[int, int], int]:
    """(site id, supply id) -> units reported handed out in the months from..to (first
    days, inclusive), leaving out one month when asked."""
    if not site_ids:
        return {}
    query = (
        db.select(PartnerReport.site_id, PartnerReportLine.supply_id)
        .add_columns(db.func.sum(PartnerReportLine.quantity))
        .join(PartnerReportLine, PartnerReportLine.report_id == PartnerReport.id)
        .where(PartnerReport.site_id.in_(site_ids))
        .group_by(PartnerReport.site_id, PartnerReportLine.supply_id)
    )
    if months_from is not None:
        query = query.where(PartnerReport.month >= months_from)
    if months_to is not None:
        query = query.where(PartnerReport.month <= months_to)
    if leave_out is not None:
        query = query.where(PartnerReport.month != leave_out)
    return {(site, supply): int(units or 0) for site, supply, units in db.session.execute(query)}


def holding(site_ids: list[int]) -> dict[tuple[int, int], int]:
    """(site id, supply id) -> units still with the agency: received less reported."""
    got, gave = received(site_ids), reported(site_ids)
    return {key: max(got.get(key, 0) - gave.get(key, 0), 0) for key in set(got) | set(gave)}


def monthly_use(site_ids: list[int]) -> dict[tuple[int, int], int]:
    """(site id, supply id) -> units a month the agency reports handing out (the median
    of its last three reported months, as the forecast uses it), rounded."""
    rates = forecast.partner_monthly(site_ids)
    return {key: round(units) for key, units in rates.items()}


def events_logged_at_partners() -> list[tuple[str, int]]:
    """(site code, events) of partner agencies where distribution events were logged, as
    could happen before agencies only reported: their units count as distributed there."""
    query = (
        db.select(Site.code, db.func.count(DistributionEvent.id))
        .join(DistributionEvent, DistributionEvent.site_id == Site.id)
        .where(Site.kind == PARTNER_KIND, DistributionEvent.voided_at.is_(None))
        .group_by(Site.code)
        .order_by(Site.code)
    )
    return [(code, int(events)) for code, events in db.session.execute(query)]
