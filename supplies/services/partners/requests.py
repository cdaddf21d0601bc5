"""A partner's supply request, from submission to fulfilment (DESIGN.md: Supply request).

submitted -> approved (in full or in part) -> fulfilled (one transfer from a program site);
submitted or approved -> declined (a reason code) or cancelled (by the partner). Every step
is one unit of work, audited, and idempotent twice over: the same operation id and body
again returns the first result, and a step asked again of a request already in its
outcome (approved with the same quantities, fulfilled from the same site, declined for
the same reason, cancelled) answers that outcome without writing anything. Anything else
asked of a request that has moved on is a Conflict that names its status.
"""

import uuid
from dataclasses import dataclass

from supplies.extensions import db
from supplies.models import (
    Balance,
    Batch,
    Operation,
    Site,
    Supply,
    SupplyRequest,
    SupplyRequestLine,
)
from supplies.models.types import utcnow
from supplies.services.common import clock, permissions
from supplies.services.common import validation as v
from supplies.services.common.errors import Conflict, NotFound, ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.operations import OperationRequest, OperationResult
from supplies.services.partners import bodies, usage
from supplies.services.partners.bodies import read_lines
from supplies.services.stock import transfers
from supplies.services.stock.packing_slip import PackingSlip, read_slip
from supplies.vocab import PARTNER_KIND, REQUEST_STATUSES

OPEN = ("submitted", "approved")
# Fulfilment's transfer gets an id derived from the request's, so a retried fulfilment
# can never move stock twice.
_TRANSFER_NAMESPACE = uuid.UUID("6f1c1d2e-2a55-4d8e-9c1b-8b7f2f0f2424")


class _AlreadyDone(Exception):
    """The step was asked of a request already in its outcome: answer it, write nothing."""

    def __init__(self, result: dict):
        super().__init__("already done")
        self.result = result


@dataclass(frozen=True)
class QueueLine:
    """One line of an open request with what helps decide it."""

    supply: Supply
    requested: int
    approved: int | None
    reported_per_month: int | None  # the agency's reported use a month (last 3 reported)
    with_partner: int  # what the agency still holds of it (received - reported)
    program_usable: int  # usable units at the program's own sites
    by_site: tuple[tuple[Site, int], ...] = ()  # (program site, usable units) holding some


@dataclass(frozen=True)
class QueueEntry:
    """An open request, oldest first in the queue."""

    request: SupplyRequest
    lines: list[QueueLine]
    age_days: int


def agency_of(user) -> Site | None:
    """A partner account's agency (its one site); None for every other role."""
    if user is None or user.role != "partner" or not user.sites:
        return None
    return user.sites[0]


# --- reading -------------------------------------------------------------------------------


def _load(request_id, lock: bool = False) -> SupplyRequest | None:
    if not v.is_uuid(request_id):
        return None
    query = db.select(SupplyRequest).where(SupplyRequest.id == str(request_id).lower())
    if lock:
        query = query.with_for_update(of=SupplyRequest).execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


def _visible(actor, request_id, lock: bool = False) -> SupplyRequest:
    """The request, if the actor may see it; another agency's is as unknown as none."""
    found = _load(request_id, lock)
    if found is None or not permissions.can(actor, "see_requests", found.site_id):
        raise NotFound(msg("No such request."))
    return found


def get_request(actor, request_id: str) -> SupplyRequest:
    """One request the actor may see (NotFound for another agency's or none)."""
    permissions.require(actor, "see_requests")
    return _visible(actor, request_id)


def list_requests(actor, status: str | None = None, site_id: int | None = None):
    """Requests the actor may see, newest first; a partner gets its agency's only."""
    permissions.require(actor, "see_requests", site_id)
    if status is not None and status not in REQUEST_STATUSES:
        raise ValidationFailed(
            msg("Unknown status %(status)s.", status=status),
            {"status": msg("must be one of: %(values)s", values=", ".join(REQUEST_STATUSES))},
        )
    query = db.select(SupplyRequest).order_by(SupplyRequest.created_at.desc(), SupplyRequest.id)
    visible = permissions.visible_site_ids(actor)
    if visible is not None:
        query = query.where(SupplyRequest.site_id.in_(visible))
    if site_id is not None:
        query = query.where(SupplyRequest.site_id == site_id)
    if status is not None:
        query = query.where(SupplyRequest.status == status)
    return list(db.session.execute(query).scalars())


def request_result(found: SupplyRequest) -> dict:
    """A request as the API answers it and the operation log keeps it."""
    return {
        "id": found.id,
        "site": found.site.code,
        "status": found.status,
        "needed_by": found.needed_by.isoformat() if found.needed_by else None,
        "decline_reason": found.decline_reason,
        "from_site": found.from_site.code if found.from_site else None,
        "transfer": found.transfer_id,
        "created_at": found.created_at.isoformat(),
        "updated_at": found.updated_at.isoformat(),
        "items": [
            {"supply": line.supply.code, "requested": line.requested, "approved": line.approved}
            for line in found.lines
        ],
    }


def requestable_supplies(actor) -> list[Supply]:
    """The supplies a partner may ask for: the active ones the program offers partner
    agencies, by name."""
    permissions.require(actor, "see_requests")
    query = (
        db.select(Supply)
        .where(Supply.active.is_(True), Supply.offered_to_partners.is_(True))
        .order_by(Supply.name, Supply.code)
    )
    return list(db.session.execute(query).scalars())


def _refuse_not_offered(lines, fields: v.Fields) -> None:
    """A line whose supply the program does not offer partner agencies is refused, named."""
    supply_ids = [supply.id for _, supply, _ in lines]
    if not supply_ids:
        return
    withheld = set(
        db.session.execute(
            db.select(Supply.id).where(
                Supply.id.in_(supply_ids), Supply.offered_to_partners.is_(False)
            )
        ).scalars()
    )
    for name, supply, _ in lines:
        if supply.id in withheld:
            fields.fail(f"{name}.supply", msg("is not offered to partner agencies"))


def program_sites(actor) -> list[Site]:
    """The program's own active sites a request can be fulfilled from (not partners)."""
    permissions.require(actor, "decide_requests")
    query = (
        db.select(Site).where(Site.active.is_(True), Site.kind != PARTNER_KIND).order_by(Site.code)
    )
    return list(db.session.execute(query).scalars())


def packing_slip(actor, request_id: str) -> PackingSlip | None:
    """The fulfilling transfer's packing slip (lines with lots and expiry), for the
    partner's own request or a coordinator; None before fulfilment."""
    found = get_request(actor, request_id)
    return None if found.transfer_id is None else read_slip(found.transfer_id)


def _program_usable(supply_ids: list[int]) -> dict[int, list[tuple[Site, int]]]:
    """Supply id -> (site, usable units) at each of the program's own active sites that
    holds some (available, unexpired), by site code."""
    if not supply_ids:
        return {}
    today = clock.today()
    rows = db.session.execute(
        db.select(Balance.supply_id, Site, db.func.sum(Balance.quantity))
        .join(Batch, Batch.id == Balance.batch_id)
        .join(Site, Site.id == Balance.site_id)
        .where(
            Balance.supply_id.in_(supply_ids),
            Site.kind != PARTNER_KIND,
            Site.active.is_(True),
            Batch.status == "available",
            db.or_(Batch.expires_on.is_(None), Batch.expires_on >= today),
        )
        .group_by(Balance.supply_id, Site.id)
        .order_by(Site.code)
    )
    found: dict[int, list[tuple[Site, int]]] = {}
    for supply_id, site, units in rows:
        if units:
            found.setdefault(supply_id, []).append((site, int(units)))
    return found


def queue(actor) -> list[QueueEntry]:
    """Open requests (submitted, approved), oldest first, each line with the agency's
    reported use, what it still holds, and the program's usable stock."""
    permissions.require(actor, "decide_requests")
    query = (
        db.select(SupplyRequest)
        .where(SupplyRequest.status.in_(OPEN))
        .order_by(SupplyRequest.created_at, SupplyRequest.id)
    )
    found = list(db.session.execute(query).scalars())
    supply_ids = sorted({line.supply_id for r in found for line in r.lines})
    stock = _program_usable(supply_ids)
    site_ids = sorted({r.site_id for r in found})
    use = usage.monthly_use(site_ids)
    held = usage.holding(site_ids)
    today = clock.today()
    entries = []
    for r in found:
        lines = [
            QueueLine(
                line.supply,
                line.requested,
                line.approved,
                use.get((r.site_id, line.supply_id)),
                held.get((r.site_id, line.supply_id), 0),
                sum(units for _, units in stock.get(line.supply_id, ())),
                tuple(stock.get(line.supply_id, ())),
            )
            for line in r.lines
        ]
        entries.append(QueueEntry(r, lines, (today - clock.local_date(r.created_at)).days))
    return entries


# --- writing -------------------------------------------------------------------------------


def submit(actor, request: OperationRequest, body: dict) -> OperationResult:
    """A partner asks for supplies for its agency: a new request, submitted."""
    permissions.require(actor, "request_supplies")
    fields = v.Fields()
    values = bodies.REQUEST.read(body, fields)
    site, needed_by = values["site"], values["needed_by"]
    lines = read_lines(body.get("items"), fields, bodies.REQUEST_ITEM)
    _refuse_not_offered(lines, fields)
    if site is not None and site.kind != PARTNER_KIND:
        fields.fail("site", msg("is not a partner agency"))
    if needed_by is not None and needed_by < clock.today():
        fields.fail("needed_by", msg("must be today or later"))
    if site is not None:
        # Another agency's code is refused before anything about it is said.
        permissions.require(actor, "request_supplies", site.id)
    fields.raise_if_any()

    def write() -> dict:
        now = utcnow()
        found = SupplyRequest(
            id=request.id,
            site_id=site.id,
            status="submitted",
            needed_by=needed_by,
            created_by_id=actor.id,
            created_at=now,
            updated_by_id=actor.id,
            updated_at=now,
        )
        found.lines = [
            SupplyRequestLine(supply_id=supply.id, requested=quantity, position=index)
            for index, (_, supply, quantity) in enumerate(lines)
        ]
        db.session.add(found)
        db.session.flush()
        db.session.refresh(found)
        result = request_result(found)
        audit.record(actor.id, "supply_request.submit", "supply_request", found.id, result)
        return result

    return operations.run_once(request, "request", actor.id, write)


def _step(actor, request: OperationRequest, kind: str, request_id: str, apply) -> OperationResult:
    """Run one step on a request, locked, in one unit of work (see the module docstring)."""
    try:
        return operations.run_once(
            request, kind, actor.id, lambda: apply(_visible(actor, request_id, lock=True))
        )
    except _AlreadyDone as done:
        return OperationResult(done.result, created=False)


def _moved_on(found: SupplyRequest) -> Conflict:
    status = REQUEST_STATUSES.labels[found.status].english
    return Conflict(
        msg("This request is %(status)s: it cannot change now.", status=status),
        {"status": msg("the request is %(status)s", status=status)},
    )


def _touch(found: SupplyRequest, actor, status: str) -> None:
    found.status, found.updated_by_id, found.updated_at = status, actor.id, utcnow()


def _approved_quantities(found: SupplyRequest, raw, fields: v.Fields) -> dict[int, int] | None:
    """Supply id -> units to send from an items override; None without one."""
    if raw is None:
        return None
    requested = {line.supply_id: line.requested for line in found.lines}
    wanted = {}
    for name, supply, quantity in read_lines(raw, fields, bodies.APPROVAL_ITEM):
        if supply.id not in requested:
            fields.fail(f"{name}.supply", msg("is not in this request"))
        elif quantity > requested[supply.id]:
            fields.fail(
                f"{name}.quantity",
                msg("at most the %(requested)s requested", requested=requested[supply.id]),
            )
        else:
            wanted[supply.id] = quantity
    return wanted


def _approve_lines(found: SupplyRequest, wanted: dict[int, int] | None, fields) -> None:
    for line in found.lines:
        if wanted is None:
            line.approved = line.approved if line.approved is not None else line.requested
        else:
            line.approved = wanted.get(line.supply_id, 0)
    if not any(line.approved for line in found.lines):
        fields.fail("items", msg("approve at least one unit, or decline the request"))


def _same_approval(found: SupplyRequest, wanted: dict[int, int] | None) -> bool:
    if wanted is None:
        return True
    return all(wanted.get(line.supply_id, 0) == line.approved for line in found.lines)


def approve(actor, request: OperationRequest, request_id: str, body: dict) -> OperationResult:
    """Approve a submitted request in full (no items) or in part (items)."""
    permissions.require(actor, "decide_requests")

    def apply(found: SupplyRequest) -> dict:
        fields = v.Fields()
        wanted = _approved_quantities(found, body.get("items"), fields)
        fields.raise_if_any()
        if found.status == "approved" and _same_approval(found, wanted):
            raise _AlreadyDone(request_result(found))
        if found.status != "submitted":
            raise _moved_on(found)
        _approve_lines(found, wanted, fields)
        fields.raise_if_any()
        _touch(found, actor, "approved")
        db.session.flush()
        result = request_result(found)
        audit.record(actor.id, "supply_request.approve", "supply_request", found.id, result)
        return result

    values_check(bodies.APPROVAL, body)
    return _step(actor, request, "request_approve", request_id, apply)


def values_check(body_declaration, body: dict) -> dict:
    """The body's plain fields parsed, or one ValidationFailed naming each bad one."""
    fields = v.Fields()
    values = body_declaration.read(body, fields)
    fields.raise_if_any()
    return values


def _transfer_request(found: SupplyRequest, transfer_body: dict) -> OperationRequest:
    transfer_id = str(uuid.uuid5(_TRANSFER_NAMESPACE, found.id))
    return OperationRequest.new(transfer_id, transfer_body)


def fulfil(actor, request: OperationRequest, request_id: str, body: dict) -> OperationResult:
    """Send the approved units as ONE transfer from a program site (first expiry first
    out), all lines or none; a submitted request is approved on the way."""
    permissions.require(actor, "decide_requests")
    values = values_check(bodies.FULFILMENT, body)
    from_site = values["from_site"]
    if from_site.kind == PARTNER_KIND:
        raise ValidationFailed(
            msg("Supplies for a partner leave from one of the program's own sites."),
            {"from_site": msg("is a partner agency, not a program site")},
        )
    permissions.require(actor, "manage_stock", from_site.id)

    def apply(found: SupplyRequest) -> dict:
        fields = v.Fields()
        wanted = _approved_quantities(found, body.get("items"), fields)
        fields.raise_if_any()
        if found.status == "fulfilled":
            if found.from_site_id == from_site.id and _same_approval(found, wanted):
                raise _AlreadyDone(_fulfilled_result(found))
            raise _moved_on(found)
        if found.status not in OPEN:
            raise _moved_on(found)
        _approve_lines(found, wanted, fields)
        fields.raise_if_any()
        items = [
            {"supply": line.supply.code, "quantity": line.approved}
            for line in found.lines
            if line.approved
        ]
        transfer_body = {"from_site": from_site.code, "to_site": found.site.code, "items": items}
        moved = transfers.transfer(actor, _transfer_request(found, transfer_body), transfer_body)
        found.from_site_id, found.transfer_id = from_site.id, moved.result["id"]
        _touch(found, actor, "fulfilled")
        db.session.flush()
        db.session.refresh(found)
        result = {**request_result(found), "packing_slip": moved.result}
        audit.record(actor.id, "supply_request.fulfil", "supply_request", found.id, result)
        return result

    return _step(actor, request, "request_fulfil", request_id, apply)


def _fulfilled_result(found: SupplyRequest) -> dict:
    transfer = db.session.get(Operation, found.transfer_id)
    return {**request_result(found), "packing_slip": transfer.result if transfer else None}


def decline(actor, request: OperationRequest, request_id: str, body: dict) -> OperationResult:
    """Decline a submitted or approved request with a reason code."""
    permissions.require(actor, "decide_requests")
    reason = values_check(bodies.DECLINE, body)["reason"]

    def apply(found: SupplyRequest) -> dict:
        if found.status == "declined" and found.decline_reason == reason:
            raise _AlreadyDone(request_result(found))
        if found.status not in OPEN:
            raise _moved_on(found)
        found.decline_reason = reason
        _touch(found, actor, "declined")
        db.session.flush()
        result = request_result(found)
        audit.record(actor.id, "supply_request.decline", "supply_request", found.id, result)
        return result

    return _step(actor, request, "request_decline", request_id, apply)


def cancel(actor, request: OperationRequest, request_id: str) -> OperationResult:
    """The partner withdraws its request while it is submitted or approved."""
    permissions.require(actor, "request_supplies")

    def apply(found: SupplyRequest) -> dict:
        permissions.require(actor, "request_supplies", found.site_id)
        if found.status == "cancelled":
            raise _AlreadyDone(request_result(found))
        if found.status not in OPEN:
            raise _moved_on(found)
        _touch(found, actor, "cancelled")
        db.session.flush()
        result = request_result(found)
        audit.record(actor.id, "supply_request.cancel", "supply_request", found.id, result)
        return result

    return _step(actor, request, "request_cancel", request_id, apply)
