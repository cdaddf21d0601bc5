"""Coordinator stock work: receive, transfer, adjust, count and lot status."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from supplies.extensions import db
from supplies.models import Batch, LotStatusChange, Site
from supplies.services.catalog import SupplyRef, partner_reports_instead
from supplies.services.common import clock, permissions
from supplies.services.common import validation as v
from supplies.services.common.errors import InsufficientStock, NotFound, ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.operations import OperationRequest, OperationResult
from supplies.services.stock import ledger, timeline
from supplies.services.stock.bodies import ADJUSTMENT, COUNT, LOT_STATUS, RECEIPT

# Transfers of several lines live in their own module; callers may reach them from here.
from supplies.services.stock.transfers import transfer  # noqa: F401
from supplies.vocab import PARTNER_KIND

# A receipt of a lot expiring within this many days gets a warning on the screen.
EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class ReceiptLine:
    """One line of a shipment as typed: supply code, quantity, lot, expiry, funding code."""

    supply: object
    quantity: object
    lot_number: object = None
    expires_on: object = None
    funding: object = None


def _occurred_on(day: date | None):
    """A business date as an instant: now for today, the start of the day for the past."""
    if day is None or day == clock.today():
        return clock.now()
    return clock.start_of_day(day)


def _moment(value: datetime | None) -> tuple[datetime, bool]:
    """When a write happened, and whether its writer dated it (else now, on the server's
    clock; a phone a little ahead records now too, so nothing is dated after the server)."""
    if value is None:
        return clock.now(), False
    return min(value, clock.now()), True


def _removable(site, supply, moment, dated, *, usable: bool, lot_number=None):
    """The locked holdings a removal at the moment may take from, first expiry first, and
    whether they were worked out in business time (a write dated before later history)."""
    usable_on = clock.local_date(moment) if usable else None
    current = ledger.holdings(
        site.id, supply.id, usable_on=usable_on, lot_number=lot_number, lock=True
    )
    if dated and timeline.is_back_dated(site.id, [supply.id], moment):
        held = timeline.holdings_at(
            site.id, supply.id, moment, usable=usable, lot_number=lot_number
        )
        return held, True
    return current, False


def _take(site, supply, moment, dated, quantity, field, *, usable: bool, lot_number=None):
    """Remove units at the moment, first expiry first; the refusal says what was on hand."""
    held, in_time = _removable(site, supply, moment, dated, usable=usable, lot_number=lot_number)
    try:
        return ledger.take(held, quantity)
    except ledger.Shortfall as short:
        if in_time:
            raise timeline.shortfall(
                site, supply, moment, quantity, short.available, field
            ) from None
        raise _shortfall(supply, site, quantity, short.available, field) from None


def _shortfall(supply: SupplyRef, site: Site, wanted: int, available: int, field: str):
    return InsufficientStock(
        msg(
            "Only %(available)s %(supply)s available at %(site)s; %(wanted)s requested.",
            available=available,
            supply=supply.name,
            site=site.name,
            wanted=wanted,
        ),
        {field: msg("only %(available)s available", available=available)},
        {supply.code: available},
    )


def _known_lot_expiry(supply_id: int, lot_number: str) -> list[date | None]:
    return list(
        db.session.execute(
            db.select(Batch.expires_on)
            .where(Batch.supply_id == supply_id, Batch.lot_number == lot_number)
            .distinct()
        ).scalars()
    )


def _lot_status(supply_id: int, lot_number: str | None) -> str:
    if lot_number is None:
        return "available"
    status = db.session.execute(
        db.select(Batch.status)
        .where(Batch.supply_id == supply_id, Batch.lot_number == lot_number)
        .order_by(Batch.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return status or "available"


def _parse_receipt_line(
    line: ReceiptLine, prefix: str, fields: v.Fields, received: date, for_disposal: bool
):
    declared = RECEIPT.fields
    supply = declared["supply"].read(fields, f"{prefix}supply", line.supply)
    quantity = declared["quantity"].read(fields, f"{prefix}quantity", line.quantity)
    lot_number = declared["lot_number"].read(fields, f"{prefix}lot_number", line.lot_number)
    expires_on = declared["expires_on"].read(fields, f"{prefix}expires_on", line.expires_on)
    funding = declared["funding"].read(fields, f"{prefix}funding", line.funding)
    if supply and supply.tracks_lots:
        if not lot_number:
            fields.fail(
                f"{prefix}lot_number",
                msg("%(supply)s tracks lots: enter the lot number", supply=supply.name),
            )
        if not expires_on and f"{prefix}expires_on" not in fields.errors:
            fields.fail(
                f"{prefix}expires_on",
                msg("%(supply)s tracks lots: enter the expiry", supply=supply.name),
            )
    if expires_on and expires_on < received and not for_disposal:
        fields.fail(
            f"{prefix}expires_on",
            msg(
                "expired on %(day)s, before it was received: receive it for disposal or "
                "return instead",
                day=expires_on.isoformat(),
            ),
        )
    if supply and lot_number and expires_on:
        known = [day for day in _known_lot_expiry(supply.id, lot_number) if day]
        if known and expires_on not in known:
            fields.fail(
                f"{prefix}expires_on",
                msg(
                    "lot %(lot_number)s is already known with expiry %(value)s",
                    lot_number=lot_number,
                    value=known[0].isoformat(),
                ),
            )
    return supply, quantity, lot_number, expires_on, funding


def receive(
    actor,
    request: OperationRequest,
    site_code,
    lines: list[ReceiptLine],
    received_on=None,
    source=None,
    prefixes: list[str] | None = None,
    for_disposal=False,
) -> OperationResult:
    """Record a shipment at a site: one new batch per line, stock added to the site.

    A lot that expired before the receipt date is refused, unless the shipment is received
    for disposal or return: then it is received quarantined, so nobody hands it out.
    """
    fields = v.Fields()
    declared = RECEIPT.fields
    site = declared["site"].read(fields, "site", site_code)
    day = declared["received_on"].read(fields, "received_on", received_on)
    if day and day > clock.today():
        fields.fail("received_on", msg("cannot be in the future"))
    source = declared["source"].read(fields, "source", source) or "purchase"
    for_disposal = bool(declared["for_disposal"].read(fields, "for_disposal", for_disposal))
    if not lines:
        fields.fail("lines", msg("add at least one line"))
    prefixes = prefixes or [""] * len(lines)
    received = day or clock.today()
    parsed = [
        _parse_receipt_line(line, prefix, fields, received, for_disposal)
        for line, prefix in zip(lines, prefixes, strict=True)
    ]
    fields.raise_if_any()
    permissions.require(actor, "manage_stock", site.id)
    occurred_at = _occurred_on(day)
    result_lines = []

    def write() -> dict:
        movements = []
        for supply, quantity, lot_number, expires_on, funding in parsed:
            batch = Batch(
                supply_id=supply.id,
                lot_number=lot_number,
                expires_on=expires_on,
                funding_source_id=funding.id if funding else None,
                status="quarantined" if for_disposal else _lot_status(supply.id, lot_number),
                source=source,
                received_on=day or clock.today(),
                received_at_site_id=site.id,
            )
            db.session.add(batch)
            if for_disposal and lot_number:
                db.session.add(
                    LotStatusChange(
                        supply_id=supply.id,
                        lot_number=lot_number,
                        status="quarantined",
                        occurred_at=occurred_at,
                        user_id=actor.id,
                    )
                )
            db.session.flush()
            ledger.put(site.id, supply.id, batch.id, quantity)
            movements.append(
                ledger.movement_row(
                    "receive",
                    site.id,
                    supply.id,
                    batch.id,
                    quantity,
                    operation_id=request.id,
                    user_id=actor.id,
                    occurred_at=occurred_at,
                    reason=source,
                )
            )
            result_lines.append(
                {
                    "supply": supply.code,
                    "quantity": quantity,
                    "lot_number": lot_number,
                    "expires_on": expires_on.isoformat() if expires_on else None,
                    "funding": funding.code if funding else None,
                    "status": batch.status,
                }
            )
        ledger.write_movements(movements)
        soon = received + timedelta(days=EXPIRY_WARNING_DAYS)
        result = {
            "id": request.id,
            "site": site.code,
            "received_on": received.isoformat(),
            "source": source,
            "for_disposal": for_disposal,
            "lines": result_lines,
            # Lots that will be out of date within a month: worth a word on the screen.
            "expiring_soon": sorted(
                {
                    lot_number
                    for _, _, lot_number, expires_on, _ in parsed
                    if lot_number and expires_on and expires_on <= soon and not for_disposal
                }
            ),
        }
        if len(result_lines) == 1:
            result.update(result_lines[0])
        audit.record(actor.id, "receipt.create", "receipt", request.id, result)
        return result

    return operations.run_once(request, "receipt", actor.id, write)


def _batch_to_add_to(site_id: int, supply: SupplyRef, lot_number: str | None, field: str) -> int:
    """The batch that new or found units join: the lot's newest batch, else the site's newest."""
    query = db.select(Batch.id).where(Batch.supply_id == supply.id).order_by(Batch.id.desc())
    if lot_number is not None:
        batch_id = db.session.execute(
            query.where(Batch.lot_number == lot_number).limit(1)
        ).scalar_one_or_none()
        if batch_id is None:
            raise ValidationFailed(
                msg(
                    "Lot %(lot_number)s of %(supply)s is not known; receive it instead.",
                    lot_number=lot_number,
                    supply=supply.name,
                ),
                {field: msg("lot %(lot_number)s is not known", lot_number=lot_number)},
            )
        return batch_id
    on_hand = ledger.holdings(site_id, supply.id)
    if supply.tracks_lots and len({h.lot_number for h in on_hand}) != 1:
        raise ValidationFailed(
            msg("%(supply)s tracks lots: say which lot.", supply=supply.name),
            {field: msg("name the lot_number")},
        )
    if on_hand:
        return max(h.batch_id for h in on_hand)
    if supply.tracks_lots:
        raise ValidationFailed(
            msg("%(supply)s tracks lots: say which lot.", supply=supply.name),
            {field: msg("name the lot_number")},
        )
    batch = Batch(supply_id=supply.id, source="other", received_on=clock.today())
    db.session.add(batch)
    db.session.flush()
    return batch.id


def _change_stock(
    actor, request, kind, site, supply, delta, lot_number, reason, note, occurred_at=None
):
    """Apply a signed change to a site's stock of a supply (any batch status), as movements."""
    occurred_at, dated = _moment(occurred_at)
    rows = []
    if delta < 0:
        parts = _take(
            site,
            supply,
            occurred_at,
            dated,
            -delta,
            "quantity",
            usable=False,
            lot_number=lot_number,
        )
        signed = [(p.batch_id, -p.quantity) for p in parts]
        if not dated:
            # "Now" is read once the rows are locked (see transfers.transfer).
            occurred_at = clock.now()
    else:
        batch_id = _batch_to_add_to(site.id, supply, lot_number, "lot_number")
        ledger.put(site.id, supply.id, batch_id, delta)
        signed = [(batch_id, delta)]
    for batch_id, quantity in signed:
        rows.append(
            ledger.movement_row(
                kind,
                site.id,
                supply.id,
                batch_id,
                quantity,
                operation_id=request.id,
                user_id=actor.id,
                occurred_at=occurred_at,
                reason=reason,
                note=note,
            )
        )
    ledger.write_movements(rows)
    return occurred_at


def _which_lot(site, supply: SupplyRef, lot_number: str | None) -> str | None:
    """The lot an adjustment of a lot-tracked supply changes: the one named, else the only
    lot the site holds; several lots held and none named is refused, listing them."""
    if lot_number is not None or not supply.tracks_lots:
        return lot_number
    lots = sorted({h.lot_number for h in ledger.holdings(site.id, supply.id, lock=True)} - {None})
    if len(lots) > 1:
        raise ValidationFailed(
            msg(
                "%(site)s holds %(count)s lots of %(supply)s (%(lots)s): say which one.",
                site=site.name,
                count=len(lots),
                supply=supply.name,
                lots=", ".join(lots),
            ),
            {"lot_number": msg("pick one of %(lots)s", lots=", ".join(lots))},
        )
    return lots[0] if lots else None


def adjust(actor, request: OperationRequest, body: dict) -> OperationResult:
    """Write stock off or back on with a reason code; `other` needs a note."""
    fields = v.Fields()
    values = ADJUSTMENT.read(body, fields)
    site, supply, quantity = values["site"], values["supply"], values["quantity"]
    reason, lot_number, note = values["reason"], values["lot_number"], values["note"]
    if reason == "other" and not note and "note" not in fields.errors:
        fields.fail("note", msg("is required when the reason is other"))
    fields.raise_if_any()
    permissions.require(actor, "manage_stock", site.id)

    def write() -> dict:
        lot = _which_lot(site, supply, lot_number)
        occurred_at = _change_stock(
            actor,
            request,
            "adjust",
            site,
            supply,
            quantity,
            lot,
            reason,
            note,
            values["occurred_at"],
        )
        result = {
            "id": request.id,
            "site": site.code,
            "supply": supply.code,
            "quantity": quantity,
            "reason": reason,
            "lot_number": lot,
            "note": note,
            "occurred_at": occurred_at.isoformat(),
        }
        audit.record(actor.id, "adjustment.create", "adjustment", request.id, result)
        return result

    return operations.run_once(request, "adjustment", actor.id, write)


def refuse_counting_at_a_partner(site: Site) -> None:
    """A partner agency is never counted: what it holds is what it received less what it
    reported handing out, and a count there would take the reported units off twice."""
    if site.kind == PARTNER_KIND:
        raise ValidationFailed(
            msg("A partner agency's stock is not counted; its monthly report says what it gave."),
            {"site": partner_reports_instead()},
        )


def count(actor, request: OperationRequest, body: dict) -> OperationResult:
    """Record a physical count; the difference from the books becomes a count movement."""
    fields = v.Fields()
    values = COUNT.read(body, fields)
    site, supply = values["site"], values["supply"]
    counted, lot_number = values["counted"], values["lot_number"]
    fields.raise_if_any()
    permissions.require(actor, "count", site.id)
    if site.kind == PARTNER_KIND:
        replayed = operations.replay(request, "count")  # recorded before the rule: as it was
        if replayed:
            return replayed
        refuse_counting_at_a_partner(site)

    def write() -> dict:
        on_hand = ledger.holdings(site.id, supply.id, lot_number=lot_number, lock=True)
        expected = sum(h.quantity for h in on_hand)
        difference = counted - expected
        if difference:
            _change_stock(
                actor, request, "count", site, supply, difference, lot_number, "count", None
            )
        result = {
            "id": request.id,
            "site": site.code,
            "supply": supply.code,
            "lot_number": lot_number,
            "counted": counted,
            "expected": expected,
            "difference": difference,
        }
        audit.record(actor.id, "count.create", "count", request.id, result)
        return result

    return operations.run_once(request, "count", actor.id, write)


def set_lot_status(actor, request: OperationRequest, body: dict) -> OperationResult:
    """Quarantine, recall or release a lot at every site at once."""
    fields = v.Fields()
    values = LOT_STATUS.read(body, fields)
    supply, lot_number = values["supply"], values["lot_number"]
    status, note = values["status"], values["note"]
    fields.raise_if_any()
    permissions.require(actor, "manage_stock")
    occurred_at, _dated = _moment(values["occurred_at"])
    batch_ids = list(
        db.session.execute(
            db.select(Batch.id).where(Batch.supply_id == supply.id, Batch.lot_number == lot_number)
        ).scalars()
    )
    if not batch_ids:
        raise NotFound(
            msg("No lot %(lot_number)s of %(supply)s.", lot_number=lot_number, supply=supply.name),
            {"lot_number": msg("unknown lot")},
        )

    def write() -> dict:
        db.session.add(
            LotStatusChange(
                supply_id=supply.id,
                lot_number=lot_number,
                status=status,
                occurred_at=occurred_at,
                user_id=actor.id,
            )
        )
        db.session.flush()
        # Batches keep the status in force now: the latest change, whenever it was typed.
        current = db.session.execute(
            db.select(LotStatusChange.status)
            .where(
                LotStatusChange.supply_id == supply.id,
                LotStatusChange.lot_number == lot_number,
            )
            .order_by(LotStatusChange.occurred_at.desc(), LotStatusChange.id.desc())
            .limit(1)
        ).scalar_one()
        db.session.execute(
            db.update(Batch)
            .where(Batch.id.in_(batch_ids))
            .values(status=current)
            .execution_options(synchronize_session=False)
        )
        result = {
            "id": request.id,
            "supply": supply.code,
            "lot_number": lot_number,
            "status": status,
            "note": note,
            "batches": len(batch_ids),
            "occurred_at": occurred_at.isoformat(),
            "current_status": current,
        }
        audit.record(actor.id, f"lot.{status}", "lot", f"{supply.code}:{lot_number}", result)
        return result

    return operations.run_once(request, "lot_status", actor.id, write)
