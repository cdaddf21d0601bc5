"""Logging anonymous distribution events, and voiding them.

The write follows DESIGN.md's fast path: every read and check happens first, then one
short write transaction applies the conditional balance updates and inserts the rows.
"""

from datetime import timedelta

from supplies.extensions import db
from supplies.models import DistributionEvent, DistributionLine, Movement
from supplies.services import areas, catalog
from supplies.services.common import clock, permissions
from supplies.services.common import schema as s
from supplies.services.common import validation as v
from supplies.services.common.errors import Conflict, Forbidden, InsufficientStock, NotFound
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.inserts import Rows
from supplies.services.db.operations import OperationRequest, OperationResult
from supplies.services.distribution import quarters
from supplies.services.stock import ledger, timeline, weekly
from supplies.vocab import (
    AGE_BANDS,
    FIRST_TIME,
    LANGUAGES,
    PARTNER_KIND,
    RECIPIENT_TYPES,
    RESUPPLY_REASONS,
    SETTING_FOR_SITE_KIND,
    SETTINGS,
    VOID_REASONS,
)

MAX_ITEMS = 50
VOID_WINDOW = timedelta(hours=24)
NOT_ASKED = "Null or absent: not asked."

ITEM = s.Body(
    "DistributionItem",
    supply=s.Field(s.CODE_SCHEMA, required=True, description="An active supply's code, once."),
    quantity=s.whole(description="Units handed out."),
)
ITEM_QUANTITY = ITEM.fields["quantity"]
# POST /distributions; the screen's form builds the same body (distribute.forms.event_body).
DISTRIBUTION = s.Body(
    "Distribution",
    "One anonymous encounter: what was handed out, where and when, never to whom. Lines "
    "are filled first expiry first out from the site's usable batches (available, unexpired "
    "on that day); no lot is named, lot-tracked supplies included.",
    operation_id="required",
    site=s.ref(
        catalog.site_ref,
        "An active site's code (staff: a site they are assigned to); not a partner agency's, "
        "which reports what it hands out (POST /partner-reports).",
    ),
    occurred_at=s.instant("Default now; at most 5 minutes ahead. No offset: APP_TIMEZONE."),
    items=s.array(ITEM, MAX_ITEMS, "Each supply once."),
    setting=s.choice(SETTINGS, description="Null or absent: from the site's kind."),
    recipient_type=s.choice(RECIPIENT_TYPES, description=NOT_ASKED),
    for_others=s.boolean(description="Collecting for others too (secondary distribution)."),
    first_time=s.choice(FIRST_TIME, description=NOT_ASKED),
    age_band=s.choice(AGE_BANDS, description=NOT_ASKED),
    area=s.area(
        "One of the program's areas (GET /areas; case and accents do not matter, the list's "
        "spelling is kept) or a ZIP code, kept as its 3-digit prefix. " + NOT_ASKED,
        areas.event_area,
    ),
    # Recorded only when answered (DESIGN.md): null or absent is "not asked".
    trained=s.boolean(description="Overdose response training given. " + NOT_ASKED),
    reversals_reported=s.whole(
        0, 1000, default=0, description="Overdoses reversed since the last visit, as reported."
    ),
    resupply_reason=s.choice(RESUPPLY_REASONS, description=NOT_ASKED),
    language=s.choice(LANGUAGES, description=NOT_ASKED),
)
# The event's own fields, as the API lists them and the import's columns name them.
EVENT_FIELDS = tuple(f for f in DISTRIBUTION.fields if f not in ("site", "occurred_at", "items"))
VOID = s.Body(
    "Void",
    operation_id="optional",
    reason=s.choice(
        VOID_REASONS,
        required=True,
        description="Why, as a code (no text: it could name someone): "
        + "; ".join(f"{code} ({VOID_REASONS.english(code)})" for code in VOID_REASONS)
        + ".",
    ),
)


EVENTS = DistributionEvent.__table__
LINES = DistributionLine.__table__


def _items(raw, fields: v.Fields) -> list[tuple[str, int, str]]:
    """Parse items into (supply code, quantity, field name) triples."""
    parsed, seen = [], set()
    for name, item in v.listed_items(raw, fields, ITEM.fields, MAX_ITEMS):
        supply = item.get("supply")
        if not isinstance(supply, str) or not supply:
            fields.fail(f"{name}.supply", msg("is required"))
            continue
        if supply in seen:
            fields.fail(f"{name}.supply", msg("is listed twice"))
            continue
        seen.add(supply)
        quantity = ITEM_QUANTITY.read(fields, f"{name}.quantity", item.get("quantity"))
        if quantity is not None:
            parsed.append((supply, quantity, name))
    return parsed


def distribute(actor, request: OperationRequest, body: dict) -> OperationResult:
    """Log one distribution event; lines are filled first-expiry-first-out."""
    fields = v.Fields()
    event = DISTRIBUTION.read(body, fields)
    site, occurred_at = event.pop("site"), event.pop("occurred_at")
    items = _items(body.get("items"), fields)
    supplies = catalog.supplies_by_code([code for code, _, _ in items])
    for code, _, name in items:
        if code not in supplies:
            fields.fail(f"{name}.supply", msg("no supply has the code %(code)s", code=code))
        elif not supplies[code].active:
            fields.fail(f"{name}.supply", msg("this supply is inactive"))
    fields.raise_if_any()
    permissions.require(actor, "distribute", site.id)
    if site.kind == PARTNER_KIND:
        # A partner agency hands supplies on outside the ledger and reports each month
        # (DESIGN.md): an event there too would count its units twice and skew what the
        # agency is shown as holding. The program's own staff at a partner's location log
        # at their own site, with the setting "partner". An event recorded there before
        # this rule still answers its replay (a phone that never heard the answer).
        replayed = operations.replay(request, "distribution")
        if replayed is not None:
            return replayed
        fields.fail("site", catalog.partner_reports_instead())
        fields.raise_if_any()
    # The server's clock is the reference for now: a phone running a little ahead (the
    # 5 minutes validation allows) records now, so nothing is ever dated after the server.
    dated = occurred_at is not None
    occurred_at = min(occurred_at, clock.now()) if dated else clock.now()
    if dated:
        quarters.require_open(occurred_at)
    event["setting"] = event["setting"] or SETTING_FOR_SITE_KIND.get(site.kind, "fixed_site")
    usable_on = clock.local_date(occurred_at)
    # Lock balances in one global order (by supply id) so concurrent events cannot deadlock.
    lines = sorted(
        ((supplies[code], qty, name) for code, qty, name in items), key=lambda t: t[0].id
    )
    ids = {supply.id for supply, _, _ in lines}

    def write_rows() -> tuple[dict, list[Rows]]:
        nonlocal occurred_at
        held = ledger.usable_first(site.id, {s.id: qty for s, qty, _ in lines}, usable_on)
        if not dated:
            # "Now" is read once the balances are locked: units a transfer moved in while
            # this waited for its locks are then dated earlier than this removal.
            occurred_at = clock.now()
        # A dated event (a paper tally, the offline queue) must also fit every later moment;
        # the balances are locked now, so the history read below cannot change meanwhile.
        back_dated = dated and timeline.is_back_dated(site.id, ids, occurred_at)
        if back_dated:
            held = {
                supply.id: timeline.holdings_at(site.id, supply.id, occurred_at, usable=True)
                for supply, _, _ in lines
            }
        plans = []
        for supply, quantity, name in lines:
            try:
                plans.append(ledger.allocate(held.get(supply.id, []), quantity))
            except ledger.Shortfall as short:
                if back_dated:
                    raise timeline.shortfall(
                        site, supply, occurred_at, quantity, short.available, f"{name}.quantity"
                    ) from None
                raise InsufficientStock(
                    msg(
                        "Only %(available)s %(supply)s available at %(site)s.",
                        available=short.available,
                        supply=supply.name,
                        site=site.name,
                    ),
                    {
                        f"{name}.quantity": msg(
                            "only %(available)s available", available=short.available
                        )
                    },
                    {supply.code: short.available},
                ) from None
        # Every line's balances are taken in one batch of conditional updates.
        ledger.remove([portion for plan in plans for portion in plan])
        weekly.note_dated(occurred_at)
        movements, result_items = [], []
        for (supply, quantity, _name), plan in zip(lines, plans, strict=True):
            for holding, portion in plan:
                movements.append(
                    ledger.movement_row(
                        "distribute",
                        site.id,
                        supply.id,
                        holding.batch_id,
                        -portion,
                        operation_id=request.id,
                        user_id=actor.id,
                        occurred_at=occurred_at,
                    )
                )
            result_items.append(
                {
                    "supply": supply.code,
                    "name": supply.name,
                    "quantity": quantity,
                    "doses": quantity * supply.doses_per_unit,
                    "lots": [{"lot_number": h.lot_number, "quantity": q} for h, q in plan],
                }
            )
        event_row = {
            "id": request.id,
            "site_id": site.id,
            "occurred_at": occurred_at,
            "recorded_at": clock.now(),
            "user_id": actor.id,
            **event,
        }
        line_rows = [
            {"event_id": request.id, "supply_id": s.id, "quantity": q} for s, q, _ in lines
        ]
        result = {
            "id": request.id,
            "site": site.code,
            "occurred_at": occurred_at.isoformat(),
            **event,
            "items": sorted(result_items, key=lambda item: item["supply"]),
            "voided": False,
        }
        entry = audit.entry_row(actor.id, "distribution.create", "distribution", request.id)
        # Inserted with the operation's row: one statement on PostgreSQL.
        return result, [
            (EVENTS, [event_row]),
            (LINES, line_rows),
            (ledger.MOVEMENTS, movements),
            (audit.ENTRIES, [entry]),
        ]

    return operations.run_once_unchecked(request, "distribution", actor.id, write_rows)


def void(actor, request: OperationRequest, event_id: str, body: dict) -> OperationResult:
    """Reverse a distribution's stock movements, once, with a reason."""
    fields = v.Fields()
    reason = VOID.read(body, fields)["reason"]
    fields.raise_if_any()
    event = db.session.get(DistributionEvent, event_id)
    if event is None:
        raise NotFound(msg("No such distribution."))
    if not permissions.can(actor, "void_any"):
        permissions.require(actor, "distribute", event.site_id)
        if event.user_id != actor.id:
            raise Forbidden(msg("Staff can void only distributions they recorded."))
        if clock.now() - event.recorded_at > VOID_WINDOW:
            raise Forbidden(msg("Staff can void only distributions from the last 24 hours."))

    quarters.require_open(event.occurred_at)

    def write() -> dict:
        voided = db.session.execute(
            db.update(DistributionEvent)
            .where(DistributionEvent.id == event_id, DistributionEvent.voided_at.is_(None))
            .values(voided_at=clock.now(), void_reason=reason, voided_by_id=actor.id)
            .execution_options(synchronize_session=False)
        )
        if voided.rowcount != 1:
            raise Conflict(
                msg("This distribution was already voided."), {"id": msg("already voided")}
            )
        taken = db.session.execute(
            db.select(Movement.site_id, Movement.supply_id, Movement.batch_id, Movement.quantity)
            .where(Movement.operation_id == event_id, Movement.kind == "distribute")
            .order_by(Movement.id)
        ).all()
        now = clock.now()
        rows = []
        for site_id, supply_id, batch_id, quantity in taken:
            ledger.put(site_id, supply_id, batch_id, -quantity)
            rows.append(
                ledger.movement_row(
                    "void",
                    site_id,
                    supply_id,
                    batch_id,
                    -quantity,
                    operation_id=request.id,
                    user_id=actor.id,
                    occurred_at=event.occurred_at,
                    reason="void",
                    note=reason,
                )
            )
        ledger.write_movements(rows)
        weekly.note_dated(event.occurred_at)
        result = {"id": event_id, "voided": True, "voided_at": now.isoformat(), "reason": reason}
        audit.record(actor.id, "distribution.void", "distribution", event_id, {"reason": reason})
        return result

    return operations.run_once(request, "void", actor.id, write)


def event_result(event: DistributionEvent) -> dict:
    """A distribution as the API lists it (who recorded it is never included)."""
    return {
        "id": event.id,
        "site": event.site.code,
        "occurred_at": event.occurred_at.isoformat(),
        **{name: getattr(event, name) for name in EVENT_FIELDS},
        "items": [
            {
                "supply": line.supply.code,
                "quantity": line.quantity,
                "doses": line.quantity * line.supply.doses_per_unit,
            }
            for line in event.lines
        ],
        "voided": event.voided_at is not None,
        "void_reason": event.void_reason,
    }
