"""A partner agency's monthly reports, and what follows from them (DESIGN.md: Partner report).

A report gives, for one agency and month, the units it handed out per supply and,
optionally, encounters and reversals reported: aggregates only, nothing about a person.
Units handed out can never exceed what the agency received less what it already reported:
for the month M, at most what it held by the end of M less what it reported for earlier
months, and at most all it holds now less what it reported for every other month. The
same agency and month again corrects the report (audited with before and after) until
the month's quarter closes (services.distribution.quarters). Reports never touch the
ledger: the units left the program's stock when they were transferred to the agency.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from supplies.extensions import db
from supplies.models import (
    Batch,
    Movement,
    PartnerReport,
    PartnerReportLine,
    Site,
    Supply,
    SupplyRequest,
)
from supplies.models.types import utcnow
from supplies.services.common import clock, permissions
from supplies.services.common import validation as v
from supplies.services.common.errors import Conflict, NotFound, ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.operations import OperationRequest, OperationResult
from supplies.services.distribution import quarters
from supplies.services.partners import bodies, usage
from supplies.services.partners.bodies import next_month, read_lines
from supplies.services.stock import forecast
from supplies.vocab import PARTNER_KIND


@dataclass(frozen=True)
class ReportFormLine:
    """One supply on the report form: what the agency had, and the most it may report."""

    supply: Supply
    received: int  # what reached the agency by the end of the month
    reported_other: int  # reported handed out in other months
    left: int  # the most this month's report may say
    current: int | None  # this month's report's value, when there is one


@dataclass(frozen=True)
class ReportForm:
    """What the monthly report form shows for one agency and month."""

    site: Site
    month: date
    lines: list[ReportFormLine]
    report: PartnerReport | None
    correctable: bool  # False once the month's quarter has closed
    closes_on: date  # the day the month's quarter closes by itself


@dataclass(frozen=True)
class ReceivedLot:
    """Units of one lot an agency received in one transfer (a recall must reach them)."""

    received_on: date
    supply: Supply
    lot_number: str | None
    expires_on: date | None
    status: str
    quantity: int
    request_id: str | None
    transfer_id: str

    @property
    def expired(self) -> bool:
        """Whether the lot's printed expiry has passed (on the program's today)."""
        return self.expires_on is not None and self.expires_on < clock.today()


@dataclass(frozen=True)
class AgencyHolding:
    """One supply at one agency, for the stock overview's "with partners"."""

    site: Site
    supply: Supply
    received: int
    reported: int
    with_partner: int


@dataclass(frozen=True)
class BlockedLot:
    """Units of a recalled or quarantined lot that reached a partner agency."""

    site: Site
    supply: Supply
    lot_number: str | None
    expires_on: date | None
    status: str
    quantity: int  # what the agency received of the lot (less any sent back)


@dataclass(frozen=True)
class PartnerHolding:
    """One supply at one agency: received, reported handed out, still held, use a month."""

    supply: Supply
    received: int
    reported: int
    with_partner: int
    per_month: float | None
    months_left: float | None


def _agency(actor, action: str, site_id) -> Site:
    """The partner agency the actor may act on: a role without the action, or another
    agency's partner, is Forbidden; a site that is no partner agency is NotFound."""
    permissions.require(actor, action)
    site = db.session.get(Site, site_id) if isinstance(site_id, int) else None
    if site is None:
        raise NotFound(msg("No such partner agency."))
    permissions.require(actor, action, site.id)
    if site.kind != PARTNER_KIND:
        raise NotFound(msg("%(site)s is not a partner agency.", site=site.code))
    return site


def month_correctable(month: date) -> bool:
    """True while the month's quarter is open (a report for it may be sent or corrected)."""
    return quarters.closed_since(quarters.quarter_of(month)) is None


def _require_open(month: date) -> None:
    quarter = quarters.quarter_of(month)
    since = quarters.closed_since(quarter)
    if since is not None:
        raise Conflict(
            msg(
                "%(quarter)s closed on %(closed)s: reports for its months can no longer "
                "be sent or corrected. An admin can reopen the quarter.",
                quarter=quarter.label,
                closed=since.isoformat(),
            ),
            {"month": msg("%(quarter)s is closed", quarter=quarter.label)},
        )


def _report(site_id: int, month: date, lock: bool = False) -> PartnerReport | None:
    query = db.select(PartnerReport).where(
        PartnerReport.site_id == site_id, PartnerReport.month == month
    )
    if lock:
        query = query.execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


def _limits(site_id: int, month: date) -> dict[int, tuple[int, int, int]]:
    """Supply id -> (received by the month's end, reported in other months, the most this
    month may report)."""
    month_end = clock.start_of_day(next_month(month))
    by_end = usage.received([site_id], month_end)
    now = usage.received([site_id])
    before = usage.reported([site_id], months_to=month - timedelta(days=1))
    other = usage.reported([site_id], leave_out=month)
    # A month already reported after this one must still fit what had arrived by its end
    # once this month's units count too (correcting October must not make November's
    # report exceed what the agency held by the end of November).
    later = [
        (usage.received([site_id], clock.start_of_day(next_month(after))),
         usage.reported([site_id], months_to=after, leave_out=month))
        for after in db.session.execute(
            db.select(PartnerReport.month)
            .where(PartnerReport.site_id == site_id, PartnerReport.month > month)
            .order_by(PartnerReport.month)
        ).scalars()
    ]  # fmt: skip
    found = {}
    for key in set(by_end) | set(now) | set(other):
        supply_id = key[1]
        left = min(
            by_end.get(key, 0) - before.get(key, 0),
            now.get(key, 0) - other.get(key, 0),
            *(arrived.get(key, 0) - spent.get(key, 0) for arrived, spent in later),
        )
        found[supply_id] = (by_end.get(key, 0), other.get(key, 0), max(left, 0))
    return found


def reportable_months(actor, site_id: int) -> list[date]:
    """Months the agency may report or correct now, newest first: from the month it first
    received anything (at most a year back) to this one, while their quarters are open."""
    site = _agency(actor, "report_partner", site_id)
    first = db.session.execute(
        db.select(db.func.min(Movement.occurred_at)).where(Movement.site_id == site.id)
    ).scalar_one()
    this_month = clock.today().replace(day=1)
    if first is None:
        return [this_month]
    year_back = date(this_month.year - 1, this_month.month, 1)
    month, months = max(clock.local_date(first).replace(day=1), year_back), []
    while month <= this_month:
        if month_correctable(month):
            months.append(month)
        month = next_month(month)
    return months[::-1]


def report_result(report: PartnerReport) -> dict:
    """A report as the API answers it."""
    return {
        "id": report.id,
        "site": report.site.code,
        "month": report.month.strftime("%Y-%m"),
        "items": [{"supply": line.supply.code, "quantity": line.quantity} for line in report.lines],
        "encounters": report.encounters,
        "reversals_reported": report.reversals_reported,
        "created_at": report.created_at.isoformat(),
        "updated_at": report.updated_at.isoformat(),
    }


def submit(actor, request: OperationRequest, body: dict) -> OperationResult:
    """Send or correct an agency's report for a month (a partner, for its own agency)."""
    permissions.require(actor, "report_partner")
    fields = v.Fields()
    values = bodies.REPORT.read(body, fields)
    site, month = values["site"], values["month"]
    lines = read_lines(body.get("items"), fields, bodies.REPORT_ITEM)
    if site is not None:
        permissions.require(actor, "report_partner", site.id)
        if site.kind != PARTNER_KIND:
            fields.fail("site", msg("is not a partner agency"))
    if month is not None and month > clock.today().replace(day=1):
        fields.fail("month", msg("must not be after the current month"))
    fields.raise_if_any()
    _require_open(month)

    def write() -> dict:
        # One report of an agency at a time: its row is locked, so two corrections of
        # different months cannot both spend the same received units.
        db.session.execute(db.select(Site.id).where(Site.id == site.id).with_for_update())
        # Again inside the write: a quarter closed meanwhile is not changed after all.
        _require_open(month)
        limits = _limits(site.id, month)
        over = v.Fields()
        for name, supply, quantity in lines:
            left = limits.get(supply.id, (0, 0, 0))[2]
            if quantity > left:
                over.fail(
                    f"{name}.quantity",
                    msg(
                        "%(supply)s: at most %(left)s (received less already reported)",
                        supply=supply.name,
                        left=left,
                    ),
                )
        if over.errors:
            name, first, wanted = next(
                line for line in lines if f"{line[0]}.quantity" in over.errors
            )
            raise ValidationFailed(
                msg(
                    "%(supply)s: %(wanted)s handed out is more than the agency received less "
                    "what it already reported (at most %(left)s).",
                    supply=first.name,
                    wanted=wanted,
                    left=limits.get(first.id, (0, 0, 0))[2],
                ),
                over.errors,
            )
        now = utcnow()
        report = _report(site.id, month, lock=True)
        before = report_result(report) if report is not None else None
        if report is None:
            report = PartnerReport(
                id=request.id, site_id=site.id, month=month, created_by_id=actor.id, created_at=now
            )
            db.session.add(report)
        report.encounters = values["encounters"]
        report.reversals_reported = values["reversals_reported"]
        report.updated_by_id, report.updated_at = actor.id, now
        # The old lines go first: a flush inserts before it deletes, and a supply kept
        # would meet its old line in the unique key.
        report.lines.clear()
        db.session.flush()
        report.lines = [
            PartnerReportLine(supply_id=supply.id, quantity=quantity)
            for _, supply, quantity in sorted(lines, key=lambda line: line[1].id)
        ]
        db.session.flush()
        db.session.refresh(report)
        result = report_result(report)
        if before is None:
            audit.record(actor.id, "partner_report.submit", "partner_report", report.id, result)
        else:
            changes = {"before": before, "after": result}
            audit.record(actor.id, "partner_report.correct", "partner_report", report.id, changes)
        return {**result, "corrected": before is not None}

    return operations.run_once(request, "partner_report", actor.id, write)


def get_report(actor, site_id: int, month: date) -> PartnerReport | None:
    """An agency's report for a month, if sent."""
    site = _agency(actor, "see_partner_reports", site_id)
    return _report(site.id, month.replace(day=1))


def report_form(actor, site_id: int, month: date) -> ReportForm:
    """The report form of an agency and month: per supply it received, the most it may say."""
    site = _agency(actor, "report_partner", site_id)
    month = month.replace(day=1)
    report = _report(site.id, month)
    current = {line.supply_id: line.quantity for line in report.lines} if report else {}
    limits = _limits(site.id, month)
    supply_ids = set(limits) | set(current)
    supplies = db.session.execute(
        db.select(Supply).where(Supply.id.in_(supply_ids)).order_by(Supply.name, Supply.code)
    ).scalars()
    lines = [ReportFormLine(s, *limits.get(s.id, (0, 0, 0)), current.get(s.id)) for s in supplies]
    closes = quarters.closes_on(quarters.quarter_of(month))
    return ReportForm(site, month, lines, report, month_correctable(month), closes)


def list_reports(
    actor, site_id: int | None = None, start: date | None = None, end: date | None = None
) -> list[PartnerReport]:
    """Reports the actor may see (a partner: its agency's), months start..end, newest first."""
    permissions.require(actor, "see_partner_reports")
    if site_id is not None:
        _agency(actor, "see_partner_reports", site_id)
    query = db.select(PartnerReport).order_by(PartnerReport.month.desc(), PartnerReport.site_id)
    visible = permissions.visible_site_ids(actor)
    if visible is not None:
        query = query.where(PartnerReport.site_id.in_(visible))
    if site_id is not None:
        query = query.where(PartnerReport.site_id == site_id)
    if start is not None:
        query = query.where(PartnerReport.month >= start.replace(day=1))
    if end is not None:
        query = query.where(PartnerReport.month <= end)
    return list(db.session.execute(query).scalars())


def not_reported(actor, month: date) -> list[Site]:
    """Active partner agencies with no report for the month, by code."""
    permissions.require(actor, "decide_requests")
    sent = db.select(PartnerReport.site_id).where(PartnerReport.month == month.replace(day=1))
    query = (
        db.select(Site)
        .where(Site.kind == PARTNER_KIND, Site.active.is_(True), Site.id.not_in(sent))
        .order_by(Site.code)
    )
    return list(db.session.execute(query).scalars())


def received(actor, site_id: int) -> list[ReceivedLot]:
    """What an agency received, per transfer and lot, newest first (so a recall of a lot
    reaches the agencies that hold it)."""
    site = _agency(actor, "see_requests", site_id)
    rows = db.session.execute(
        db.select(
            Movement.operation_id,
            db.func.min(Movement.occurred_at),
            Movement.supply_id,
            Movement.batch_id,
            db.func.sum(Movement.quantity),
        )
        .where(Movement.site_id == site.id, Movement.kind.in_(("transfer_in", "receive")))
        .group_by(Movement.operation_id, Movement.supply_id, Movement.batch_id)
    ).all()
    batches = {
        b.id: b
        for b in db.session.execute(
            db.select(Batch).where(Batch.id.in_({row[3] for row in rows}))
        ).scalars()
    }
    by_transfer = dict(
        db.session.execute(
            db.select(SupplyRequest.transfer_id, SupplyRequest.id).where(
                SupplyRequest.site_id == site.id, SupplyRequest.transfer_id.is_not(None)
            )
        ).all()
    )
    found = []
    for operation_id, moment, _, batch_id, units in rows:
        batch = batches[batch_id]
        found.append(
            ReceivedLot(
                clock.local_date(moment),
                batch.supply,
                batch.lot_number,
                batch.expires_on,
                batch.status,
                int(units),
                by_transfer.get(operation_id),
                operation_id,
            )
        )
    found.sort(key=lambda r: (r.received_on, r.transfer_id, r.supply.code), reverse=True)
    return found


def partner_holdings(actor, site_id: int) -> list[PartnerHolding]:
    """Per supply at one agency: received, reported, still held, and its use a month."""
    site = _agency(actor, "see_requests", site_id)
    got, gave = usage.received([site.id]), usage.reported([site.id])
    rates = forecast.partner_monthly([site.id])
    supply_ids = {supply for _, supply in set(got) | set(gave)}
    supplies = db.session.execute(
        db.select(Supply).where(Supply.id.in_(supply_ids)).order_by(Supply.name, Supply.code)
    ).scalars()
    found = []
    for supply in supplies:
        key = (site.id, supply.id)
        held = max(got.get(key, 0) - gave.get(key, 0), 0)
        per_month = rates.get(key)
        left = held / per_month if per_month else None
        found.append(
            PartnerHolding(supply, got.get(key, 0), gave.get(key, 0), held, per_month, left)
        )
    return found


def with_partners(actor) -> dict[int, int]:
    """Supply id -> units with partner agencies (received less reported, over them all),
    for the stock overview, apart from the program's own stock."""
    permissions.require(actor, "decide_requests")
    totals: dict[int, int] = {}
    for (_, supply_id), units in usage.holding(usage.partner_site_ids()).items():
        totals[supply_id] = totals.get(supply_id, 0) + units
    return {supply_id: units for supply_id, units in totals.items() if units}


def holdings(actor) -> list[AgencyHolding]:
    """Every agency's holdings per supply (received, reported, still held), by agency
    code then supply name; rows where nothing was received or reported are left out."""
    permissions.require(actor, "decide_requests")
    site_ids = usage.partner_site_ids()
    got, gave = usage.received(site_ids), usage.reported(site_ids)
    keys = set(got) | set(gave)
    sites = {
        s.id: s for s in db.session.execute(db.select(Site).where(Site.id.in_(site_ids))).scalars()
    }
    supplies = {
        s.id: s
        for s in db.session.execute(
            db.select(Supply).where(Supply.id.in_({supply for _, supply in keys}))
        ).scalars()
    }
    rows = [
        AgencyHolding(
            sites[site_id],
            supplies[supply_id],
            got.get((site_id, supply_id), 0),
            gave.get((site_id, supply_id), 0),
            max(got.get((site_id, supply_id), 0) - gave.get((site_id, supply_id), 0), 0),
        )
        for site_id, supply_id in keys
    ]
    rows.sort(key=lambda row: (row.site.code, row.supply.name, row.supply.code))
    return rows


def blocked_lots(actor) -> list[BlockedLot]:
    """Recalled or quarantined lots that partner agencies received, by agency: the
    program's stock overview leaves partners out, so a recall reaches them from here."""
    permissions.require(actor, "decide_requests")
    rows = db.session.execute(
        db.select(Movement.site_id, Movement.batch_id, db.func.sum(Movement.quantity))
        .join(Batch, Batch.id == Movement.batch_id)
        .join(Site, Site.id == Movement.site_id)
        .where(Site.kind == PARTNER_KIND, Batch.status.in_(("quarantined", "recalled")))
        .group_by(Movement.site_id, Movement.batch_id)
    ).all()
    sites = {site.id: site for site in db.session.execute(db.select(Site)).scalars()}
    found = []
    for site_id, batch_id, units in rows:
        if not units:
            continue
        batch = db.session.get(Batch, batch_id)
        found.append(
            BlockedLot(
                sites[site_id],
                batch.supply,
                batch.lot_number,
                batch.expires_on,
                batch.status,
                int(units),
            )
        )
    found.sort(key=lambda lot: (lot.site.code, lot.supply.code, lot.lot_number or ""))
    return found
