"""The stock card of a site and supply: every movement with a running balance."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, literal

from supplies.extensions import db
from supplies.models import Balance, Batch, Movement, Site, User
from supplies.services import catalog
from supplies.services.common import clock, permissions
from supplies.services.common import validation as v
from supplies.services.common.messages import msg
from supplies.services.stock import forecast as forecast_service
from supplies.services.stock import timeline

PAGE_SIZE = 50  # movements per page of the card, newest first


@dataclass(frozen=True)
class CardRow:
    """One movement as the card shows it."""

    occurred_at: datetime
    recorded_at: datetime
    kind: str
    quantity: int
    balance: int
    lot_number: str | None
    reason: str | None
    note: str | None
    who: str | None
    operation_id: str
    partner: str | None = None  # a transfer's other site (its code)


@dataclass
class StockCard:
    """Opening balance, movements in the period, closing balance and lots as of the end."""

    site: object
    supply: object
    start: date | None
    end: date
    opening: int
    rows: list[CardRow] = field(default_factory=list)
    closing: int = 0
    on_hand_now: int = 0
    lots_at_end: list[tuple[str | None, date | None, int, str]] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    total_rows: int = 0
    # Units on hand now that cannot be handed out, apart from the usable ones.
    held_back: dict[str, int] = field(default_factory=dict)
    forecast: forecast_service.Forecast | None = None

    @property
    def usable_now(self) -> int:
        """Units on hand now that can be handed out or transferred."""
        return self.on_hand_now - sum(self.held_back.values())


def _sum_before(site_id: int, supply_id: int, moment: datetime) -> int:
    return int(
        db.session.execute(
            db.select(func.coalesce(func.sum(Movement.quantity), 0)).where(
                Movement.site_id == site_id,
                Movement.supply_id == supply_id,
                Movement.occurred_at < moment,
            )
        ).scalar_one()
    )


def _lots_before(site_id: int, supply_id: int, moment: datetime):
    """(lot, expiry, units, status) held just before the moment, with the lot's status then."""
    rows = db.session.execute(
        db.select(
            Batch.lot_number, Batch.expires_on, func.max(Batch.status), func.sum(Movement.quantity)
        )
        .join(Batch, Batch.id == Movement.batch_id)
        .where(
            Movement.site_id == site_id,
            Movement.supply_id == supply_id,
            Movement.occurred_at < moment,
        )
        .group_by(Batch.lot_number, Batch.expires_on)
        .order_by(Batch.expires_on.asc().nulls_last(), Batch.lot_number)
    ).all()
    then = timeline.statuses_at({(supply_id, lot) for lot, _, _, _ in rows}, moment)
    return [
        (lot, expires, int(total), then.get((supply_id, lot), status))
        for lot, expires, status, total in rows
        if total
    ]


def _name_transfer_partners(card: StockCard, site_id: int) -> None:
    """Say where a transfer came from or went to, from the other half of the same operation."""
    ids = {r.operation_id for r in card.rows if r.kind in ("transfer_in", "transfer_out")}
    if not ids:
        return
    partners = dict(
        db.session.execute(
            db.select(Movement.operation_id, Site.code)
            .join(Site, Site.id == Movement.site_id)
            .where(Movement.operation_id.in_(ids), Movement.site_id != site_id)
            .distinct()
        ).all()
    )
    for index, row in enumerate(card.rows):
        partner = partners.get(row.operation_id)
        if partner and row.kind in ("transfer_in", "transfer_out"):
            card.rows[index] = replace(row, partner=partner)


def parse_period(start, end) -> tuple[date | None, date]:
    """The card's period from typed dates; the end defaults to today."""
    fields = v.Fields()
    start_day = fields.check("start", v.iso_date, start)
    end_day = fields.check("end", v.iso_date, end) or clock.today()
    if start_day and end_day < start_day:
        fields.fail("end", msg("must not be before the start"))
    fields.raise_if_any()
    return start_day, end_day


def _held_back(site_id: int, supply_id: int, today: date) -> dict[str, int]:
    """Units on hand now that cannot be handed out: recalled, quarantined, expired."""
    status = case(
        (Batch.status != "available", Batch.status),
        (Batch.expires_on < today, literal("expired")),
        else_=literal("available"),
    )
    rows = db.session.execute(
        db.select(status, func.sum(Balance.quantity))
        .join(Batch, Batch.id == Balance.batch_id)
        .where(Balance.site_id == site_id, Balance.supply_id == supply_id, Balance.quantity > 0)
        .group_by(status)
    )
    return {kind: int(units) for kind, units in rows if kind != "available" and units}


def stock_card(user, site_code, supply_code, start=None, end=None, page=1) -> StockCard:
    """Movements of a supply at a site between two days, newest first a page at a time,
    with the balance after each; stock now, usable apart from held back, and its forecast."""
    fields = v.Fields()
    site = fields.check("site", catalog.site_by_code, site_code, active_only=False)
    supply = catalog.supplies_by_code([supply_code]).get(supply_code) if supply_code else None
    if supply is None:
        why = f"no supply has the code {supply_code}" if supply_code else "is required"
        fields.fail("supply", why)
    fields.raise_if_any()
    permissions.require(user, "see_stock", site.id)
    start_day, end_day = parse_period(start, end)
    end_moment = clock.start_of_day(end_day + timedelta(days=1))
    opening = _sum_before(site.id, supply.id, clock.start_of_day(start_day)) if start_day else 0
    in_range = [
        Movement.site_id == site.id,
        Movement.supply_id == supply.id,
        Movement.occurred_at < end_moment,
    ]
    if start_day:
        in_range.append(Movement.occurred_at >= clock.start_of_day(start_day))
    card = StockCard(site, supply, start_day, end_day, opening)
    card.closing = _sum_before(site.id, supply.id, end_moment)
    card.total_rows = db.session.execute(
        db.select(func.count(Movement.id)).where(*in_range)
    ).scalar_one()
    card.pages = max(1, -(-card.total_rows // PAGE_SIZE))
    card.page = min(max(int(page or 1), 1), card.pages)
    skipped = (card.page - 1) * PAGE_SIZE
    newest_first = (Movement.occurred_at.desc(), Movement.id.desc())
    # The balance after the page's newest row: the closing less every newer row's change.
    newer = (
        db.select(Movement.quantity).where(*in_range).order_by(*newest_first).limit(skipped)
    ).subquery()
    balance = card.closing - int(
        db.session.execute(db.select(func.coalesce(func.sum(newer.c.quantity), 0))).scalar_one()
        if skipped
        else 0
    )
    query = (
        db.select(Movement, Batch.lot_number, User.name)
        .join(Batch, Batch.id == Movement.batch_id)
        .outerjoin(User, User.id == Movement.user_id)
        .where(*in_range)
        .order_by(*newest_first)
        .limit(PAGE_SIZE)
        .offset(skipped)
    )
    for movement, lot_number, who in db.session.execute(query):
        card.rows.append(
            CardRow(
                movement.occurred_at,
                movement.recorded_at,
                movement.kind,
                movement.quantity,
                balance,
                lot_number,
                movement.reason,
                movement.note,
                who,
                movement.operation_id,
            )
        )
        balance -= movement.quantity
    _name_transfer_partners(card, site.id)
    card.lots_at_end = _lots_before(site.id, supply.id, end_moment)
    card.on_hand_now = int(
        db.session.execute(
            db.select(func.coalesce(func.sum(Balance.quantity), 0)).where(
                Balance.site_id == site.id, Balance.supply_id == supply.id
            )
        ).scalar_one()
    )
    card.held_back = _held_back(site.id, supply.id, clock.today())
    card.forecast = forecast_service.forecast(site.id, supply.id, card.usable_now)
    return card
