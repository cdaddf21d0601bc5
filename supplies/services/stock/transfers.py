"""Transfers of several lines between two sites: one unit of work, one packing slip.

A van is stocked with five supplies in one transfer: every line moves or none does. Each
line names a supply and a quantity, and optionally a lot; lines without a lot are filled
first expiry first out from what is left once the named lots are taken. The one-supply
body of earlier clients ({supply, quantity, lot_number?}) is read as a single line.

Balance rows are locked in one global order, the one the distribution path uses: site by
site in site id order, and within a site by supply id (ledger.holdings_of), so a transfer
and a distribution, or two transfers in opposite directions, cannot deadlock. A back-dated
transfer must fit the stock then and at every later moment (timeline.holdings_at).
"""

from dataclasses import dataclass
from datetime import date, datetime

from supplies.extensions import db
from supplies.models import Batch, Site
from supplies.services import catalog
from supplies.services.catalog import SupplyRef
from supplies.services.common import clock, permissions
from supplies.services.common import validation as v
from supplies.services.common.errors import Conflict, InsufficientStock, ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.operations import OperationRequest, OperationResult
from supplies.services.stock import ledger, timeline
from supplies.services.stock.bodies import MAX_TRANSFER_LINES, TRANSFER, TRANSFER_ITEM

AVAILABLE = "available"


@dataclass(frozen=True)
class Line:
    """One line as read: the supply, units, the lot asked for (None: first expiry first)."""

    supply: SupplyRef
    quantity: int
    lot_number: str | None
    name: str  # the field prefix its errors name: items[0], or "" for a one-supply body


def _items(body: dict, fields: v.Fields) -> list[tuple[str, dict]]:
    """The body's lines as (field prefix, item): `items`, or the one-supply form."""
    raw = body.get("items")
    single = any(body.get(key) not in (None, "") for key in ("supply", "quantity", "lot_number"))
    if raw is None:
        if not single:
            fields.fail("items", msg("give at least one supply and quantity"))
            return []
        return [("", {k: body.get(k) for k in ("supply", "quantity", "lot_number")})]
    if single:
        fields.fail("items", msg("give items, or supply and quantity, not both"))
        return []
    items = v.listed_items(raw, fields, TRANSFER_ITEM.names, MAX_TRANSFER_LINES)
    return [(f"{name}.", item) for name, item in items]


def read_lines(body: dict, fields: v.Fields) -> list[Line]:
    """Every line of a transfer body, each field checked; a supply and lot listed twice is
    refused (a supply may be listed twice with different lots)."""
    lines, seen = [], set()
    for prefix, item in _items(body, fields):
        own = v.Fields()
        values = TRANSFER_ITEM.read(item, own)
        for key, why in own.errors.items():
            fields.fail(f"{prefix}{key}", why)
        supply, quantity = values["supply"], values["quantity"]
        if supply is None or quantity is None:
            continue
        key = (supply.id, values["lot_number"])
        if key in seen:
            fields.fail(f"{prefix}supply", msg("is listed twice"))
            continue
        seen.add(key)
        lines.append(Line(supply, quantity, values["lot_number"], prefix.rstrip(".")))
    return lines


def _field(line: Line, key: str) -> str:
    return f"{line.name}.{key}" if line.name else key


def _moment(value: datetime | None) -> tuple[datetime, bool]:
    """When the transfer happened, and whether its writer dated it; never after now."""
    if value is None:
        return clock.now(), False
    return min(value, clock.now()), True


def _lot_refusal(site: Site, line: Line, held: list[ledger.Holding], day: date, moment):
    """Why a named lot cannot fill its line: unknown, not at this site, recalled or
    quarantined, expired, or too few units; None when it can."""
    supply, lot = line.supply, line.lot_number
    field = _field(line, "lot_number")
    known = db.session.execute(
        db.select(Batch.id).where(Batch.supply_id == supply.id, Batch.lot_number == lot).limit(1)
    ).first()
    values = {"lot_number": lot, "supply": supply.name, "site": site.name}
    if known is None:
        return ValidationFailed(
            msg("Lot %(lot_number)s of %(supply)s is not known.", **values),
            {field: msg("no lot %(lot_number)s of this supply", lot_number=lot)},
        )
    of_lot = [h for h in held if h.lot_number == lot]
    if not of_lot:
        return Conflict(
            msg("%(site)s holds none of lot %(lot_number)s of %(supply)s.", **values),
            {field: msg("not at %(site)s", site=site.name)},
        )
    statuses = timeline.statuses_at({(supply.id, lot)}, moment)
    status = statuses.get((supply.id, lot), of_lot[0].status)
    if status == "recalled":
        return Conflict(
            msg("Lot %(lot_number)s of %(supply)s is recalled: it cannot move.", **values),
            {field: msg("this lot is recalled")},
        )
    if status != AVAILABLE:
        return Conflict(
            msg("Lot %(lot_number)s of %(supply)s is quarantined: it cannot move.", **values),
            {field: msg("this lot is quarantined")},
        )
    expiry = of_lot[0].expires_on
    if expiry is not None and expiry < day:
        return Conflict(
            msg("Lot %(lot_number)s of %(supply)s has expired: it cannot move.", **values),
            {field: msg("this lot has expired")},
        )
    return None


def _shortfall(site: Site, line: Line, available: int, back_dated: bool, moment):
    if back_dated:
        return timeline.shortfall(
            site, line.supply, moment, line.quantity, available, _field(line, "quantity")
        )
    if line.lot_number:
        message = msg(
            "Only %(available)s %(supply)s of lot %(lot_number)s usable at %(site)s; "
            "%(wanted)s requested.",
            available=available,
            supply=line.supply.name,
            lot_number=line.lot_number,
            site=site.name,
            wanted=line.quantity,
        )
    else:
        message = msg(
            "Only %(available)s %(supply)s available at %(site)s; %(wanted)s requested.",
            available=available,
            supply=line.supply.name,
            site=site.name,
            wanted=line.quantity,
        )
    return InsufficientStock(
        message,
        {_field(line, "quantity"): msg("only %(available)s available", available=available)},
        {line.supply.code: available},
    )


def _usable(held: list[ledger.Holding], day: date) -> list[ledger.Holding]:
    return [
        h for h in held if h.status == AVAILABLE and (h.expires_on is None or h.expires_on >= day)
    ]


def plan(site: Site, lines: list[Line], moment: datetime, dated: bool) -> list[list]:
    """Each line's (holding, units) portions, named lots first, then first expiry first out
    from what is left; the balances are locked (site, then supply order). Nothing written."""
    day = clock.local_date(moment)
    supply_ids = sorted({line.supply.id for line in lines})
    everything = ledger.holdings_of(site.id, supply_ids, lock=True)
    back_dated = dated and timeline.is_back_dated(site.id, supply_ids, moment)
    usable: dict[int, list[ledger.Holding]] = {}
    for supply_id in supply_ids:
        if back_dated:
            usable[supply_id] = timeline.holdings_at(site.id, supply_id, moment, usable=True)
        else:
            usable[supply_id] = _usable(everything.get(supply_id, []), day)
    left = {h.balance_id: h.quantity for held in usable.values() for h in held}
    plans: dict[int, list] = {}
    # Named lots first, so a first-expiry line cannot take the units a named line needs.
    for index, line in sorted(enumerate(lines), key=lambda p: (p[1].lot_number is None, p[0])):
        candidates = [
            h
            for h in usable.get(line.supply.id, [])
            if line.lot_number is None or h.lot_number == line.lot_number
        ]
        if line.lot_number and not candidates:
            refusal = _lot_refusal(site, line, everything.get(line.supply.id, []), day, moment)
            if refusal is not None:
                raise refusal
        remaining = [
            _with_quantity(h, left[h.balance_id]) for h in candidates if left[h.balance_id] > 0
        ]
        try:
            portions = ledger.allocate(remaining, line.quantity)
        except ledger.Shortfall as short:
            raise _shortfall(site, line, short.available, back_dated, moment) from None
        for holding, units in portions:
            left[holding.balance_id] -= units
        plans[index] = portions
    return [plans[index] for index in range(len(lines))]


def _with_quantity(holding: ledger.Holding, quantity: int) -> ledger.Holding:
    return ledger.Holding(
        holding.balance_id,
        holding.batch_id,
        quantity,
        holding.lot_number,
        holding.expires_on,
        holding.status,
    )


def transfer(actor, request: OperationRequest, body: dict) -> OperationResult:
    """Move several lines of stock between two sites at once: all lines or none."""
    fields = v.Fields()
    values = TRANSFER.read(body, fields)
    from_site, to_site = values["from_site"], values["to_site"]
    if from_site and to_site and from_site.id == to_site.id:
        fields.fail("to_site", msg("must differ from the site it leaves"))
    lines = read_lines(body, fields)
    fields.raise_if_any()
    permissions.require(actor, "manage_stock", from_site.id)
    permissions.require(actor, "manage_stock", to_site.id)
    occurred_at, dated = _moment(values["occurred_at"])

    def write() -> dict:
        nonlocal occurred_at
        if to_site.id < from_site.id:
            # The lower site's rows first: the one global order (site, then supply).
            ledger.holdings_of(to_site.id, sorted({x.supply.id for x in lines}), lock=True)
        plans = plan(from_site, lines, occurred_at, dated)
        if not dated:
            # "Now" is read once the rows are locked: a write that held them before us
            # (units moved in) is then dated earlier, so nothing is taken before it arrived.
            occurred_at = clock.now()
        ledger.remove([portion for portions in plans for portion in portions])
        movements, items = [], []
        for line, portions in sorted(
            zip(lines, plans, strict=True), key=lambda pair: pair[0].supply.id
        ):
            for holding, units in portions:
                ledger.put(to_site.id, line.supply.id, holding.batch_id, units)
                for site_id, kind, signed in (
                    (from_site.id, "transfer_out", -units),
                    (to_site.id, "transfer_in", units),
                ):
                    movements.append(
                        ledger.movement_row(
                            kind,
                            site_id,
                            line.supply.id,
                            holding.batch_id,
                            signed,
                            operation_id=request.id,
                            user_id=actor.id,
                            occurred_at=occurred_at,
                        )
                    )
        for line, portions in zip(lines, plans, strict=True):
            items.append(
                {
                    "supply": line.supply.code,
                    "quantity": line.quantity,
                    "lot_number": line.lot_number,
                    "lots": [
                        {
                            "lot_number": h.lot_number,
                            "expires_on": h.expires_on.isoformat() if h.expires_on else None,
                            "quantity": units,
                        }
                        for h, units in portions
                    ],
                }
            )
        ledger.write_movements(movements)
        result = {
            "id": request.id,
            "from_site": from_site.code,
            "to_site": to_site.code,
            "occurred_at": occurred_at.isoformat(),
            "units": sum(line.quantity for line in lines),
            "items": items,
        }
        if len(items) == 1:  # the one-supply answer earlier clients read
            result.update({k: items[0][k] for k in ("supply", "quantity", "lots")})
        audit.record(actor.id, "transfer.create", "transfer", request.id, result)
        return result

    return operations.run_once(request, "transfer", actor.id, write)


def sending_stock(user, site_code: str | None) -> dict[str, dict]:
    """What a sending site holds, per supply code: usable units and each lot (for the
    transfer screen's lists), today. Empty without a site the user may manage."""
    if not site_code:
        return {}
    try:
        site = catalog.site_by_code(site_code)
    except ValidationFailed:  # an unknown code in a query string lists nothing
        return {}
    if not permissions.can(user, "manage_stock", site.id):
        return {}
    today = clock.today()
    supplies = {s.id: s for s in catalog.list_supplies()}
    held = ledger.holdings_of(site.id, sorted(supplies), lock=False)
    found: dict[str, dict] = {}
    for supply_id, holdings in held.items():
        supply = supplies[supply_id]
        usable = sum(h.quantity for h in _usable(holdings, today))
        entry = found.setdefault(
            supply.code, {"supply": supply, "usable": usable, "on_hand": 0, "lots": []}
        )
        for h in holdings:
            entry["on_hand"] += h.quantity
            if h.lot_number:
                expired = h.expires_on is not None and h.expires_on < today
                entry["lots"].append(
                    {
                        "lot_number": h.lot_number,
                        "expires_on": h.expires_on,
                        "quantity": h.quantity,
                        "status": "expired" if expired and h.status == AVAILABLE else h.status,
                    }
                )
    return found
