"""Physical counts of a site: a sheet of every supply and lot, a review, then confirmation.

Anyone who may count at a site (staff at their own sites) enters a count session; the
differences become count movements only when a coordinator or admin confirms them.
"""

import uuid
from dataclasses import dataclass

from supplies.extensions import db
from supplies.models import CountSession, Site, Supply, User
from supplies.services import catalog
from supplies.services.common import clock, permissions
from supplies.services.common import schema as s
from supplies.services.common import validation as v
from supplies.services.common.errors import Conflict, NotFound
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.operations import OperationRequest, OperationResult
from supplies.services.db.unit_of_work import transaction
from supplies.services.stock import bodies, ledger, work
from supplies.vocab import PARTNER_KIND

# Confirming a count that waits for review: only the optional operation id.
CONFIRM = s.Body(
    "CountConfirmation",
    "Apply a count that waits for review: one count movement per difference from the "
    "books as they stand now.",
    operation_id="optional",
)


@dataclass(frozen=True)
class SheetLine:
    """One line of the count sheet: a supply, or one lot of a supply that tracks lots."""

    supply: str
    supply_name: str
    unit: str
    lot_number: str | None
    expires_on: object
    expected: int


@dataclass(frozen=True)
class CountEntry:
    """What the counter typed for one line (counted left blank: not counted)."""

    supply: str
    lot_number: str | None
    counted: object


@dataclass(frozen=True)
class ReviewLine:
    """A counted line against the books as they stand now."""

    supply: str
    supply_name: str
    lot_number: str | None
    expected: int
    counted: int

    @property
    def difference(self) -> int:
        """Counted minus expected: what the count movement will record."""
        return self.counted - self.expected


def _expected(site_id: int, supply_id: int, lot_number: str | None) -> int:
    return sum(h.quantity for h in ledger.holdings(site_id, supply_id, lot_number=lot_number))


def countable_sites(user) -> list[Site]:
    """The active program sites this user may count (a partner agency is never counted)."""
    return [
        site
        for site in catalog.list_sites(user)
        if site.active and site.kind != PARTNER_KIND and permissions.can(user, "count", site.id)
    ]


def count_sheet(user, site_code) -> tuple[Site, list[SheetLine]]:
    """Every active supply at a site, and each lot on hand of supplies that track lots."""
    site = catalog.site_by_code(site_code)
    permissions.require(user, "count", site.id)
    work.refuse_counting_at_a_partner(site)
    supplies = db.session.execute(
        db.select(Supply).where(Supply.active.is_(True)).order_by(Supply.name)
    ).scalars()
    lines = []
    for supply in supplies:
        holdings = ledger.holdings(site.id, supply.id)
        if not supply.tracks_lots:
            total = sum(h.quantity for h in holdings)
            lines.append(SheetLine(supply.code, supply.name, supply.unit, None, None, total))
            continue
        lots: dict[str | None, list] = {}
        for holding in holdings:
            lots.setdefault(holding.lot_number, []).append(holding)
        for lot_number, parts in lots.items():
            lines.append(
                SheetLine(
                    supply.code,
                    supply.name,
                    supply.unit,
                    lot_number,
                    parts[0].expires_on,
                    sum(p.quantity for p in parts),
                )
            )
    return site, lines


def submit(
    actor, request: OperationRequest, site_code, entries: list[CountEntry], blind: bool = False
) -> OperationResult:
    """Save a count session for review; nothing changes stock until it is confirmed."""
    fields = v.Fields()
    site = fields.check("site", catalog.site_by_code, site_code)
    supplies = catalog.supplies_by_code(sorted({e.supply for e in entries if e.supply}))
    parsed = []
    for index, entry in enumerate(entries):
        if entry.counted is None or entry.counted == "":
            continue
        name = f"line-{index}-counted"
        counted = fields.check(name, v.quantity, entry.counted, 0)
        supply = supplies.get(entry.supply)
        if supply is None:
            fields.fail(name, msg("no supply has the code %(code)s", code=entry.supply))
        elif counted is not None:
            parsed.append((supply, entry.lot_number or None, counted))
    if not parsed and not fields.errors:
        fields.fail("lines", msg("enter at least one count"))
    fields.raise_if_any()
    permissions.require(actor, "count", site.id)
    replayed = operations.replay(request, "count_session")
    if replayed:
        return replayed
    work.refuse_counting_at_a_partner(site)
    return _save_session(actor, request, site, parsed, blind)


def _save_session(actor, request: OperationRequest, site: Site, parsed, blind: bool):
    """Store (supply, lot number, counted) lines as a session awaiting confirmation."""
    lines = [
        {
            "supply": supply.code,
            "lot_number": lot_number,
            "expected": _expected(site.id, supply.id, lot_number),
            "counted": counted,
        }
        for supply, lot_number, counted in parsed
    ]
    with transaction():
        db.session.add(
            CountSession(
                id=request.id,
                site_id=site.id,
                status="submitted",
                blind=bool(blind),
                lines=lines,
                counted_by_id=actor.id,
                counted_at=clock.now(),
            )
        )
        result = {"id": request.id, "site": site.code, "blind": bool(blind), "lines": lines}
        operations.record(request, "count_session", actor.id, result)
        audit.record(actor.id, "count_session.submit", "count_session", request.id, result)
    return OperationResult(result, created=True)


def record(actor, request: OperationRequest, body: dict) -> tuple[OperationResult, bool]:
    """One count sent by a program (the API), and whether it changed stock already.

    Whoever may confirm counts at the site (coordinators, admins) applies it at once, as a
    count movement (True). Anyone else who may count there (staff at their sites) saves it
    as a count session that waits for a coordinator, exactly as the count screens do
    (False): the API answers 202 and `POST /counts/{id}/confirm` applies it.
    """
    fields = v.Fields()
    values = bodies.COUNT.read(body, fields)
    fields.raise_if_any()
    site = values["site"]
    permissions.require(actor, "count", site.id)
    if permissions.can(actor, "manage_stock", site.id):
        return work.count(actor, request, body), True
    replayed = operations.replay(request, "count_session")
    if replayed:
        return replayed, False
    work.refuse_counting_at_a_partner(site)
    parsed = [(values["supply"], values["lot_number"], values["counted"])]
    return _save_session(actor, request, site, parsed, blind=False), False


def get_session(user, session_id: str) -> CountSession:
    """A count session the user may see (staff: at their own sites)."""
    # Session ids are UUIDs: anything else is looked for nowhere (a NUL byte in a path
    # once reached PostgreSQL, which refuses it).
    session = db.session.get(CountSession, session_id) if v.is_uuid(session_id) else None
    if session is None:
        raise NotFound(msg("No such count."), {"id": msg("unknown count")})
    permissions.require(user, "count", session.site_id)
    return session


def review(user, session_id: str) -> tuple[CountSession, Site, list[ReviewLine], str | None]:
    """A session's lines against the books now, its site, and who counted."""
    session = get_session(user, session_id)
    site = db.session.get(Site, session.site_id)
    supplies = catalog.supplies_by_code([line["supply"] for line in session.lines])
    lines = []
    for line in session.lines:
        supply = supplies[line["supply"]]
        expected = line["expected"]
        if session.status == "submitted":
            expected = _expected(site.id, supply.id, line["lot_number"])
        lines.append(
            ReviewLine(supply.code, supply.name, line["lot_number"], expected, line["counted"])
        )
    counter = db.session.get(User, session.counted_by_id) if session.counted_by_id else None
    return session, site, lines, counter.name if counter else None


def pending(user) -> list[tuple[CountSession, Site]]:
    """Count sessions awaiting confirmation at sites the user may count."""
    query = (
        db.select(CountSession, Site)
        .join(Site, Site.id == CountSession.site_id)
        .where(CountSession.status == "submitted")
        .order_by(CountSession.counted_at)
    )
    visible = permissions.visible_site_ids(user)
    if visible is not None:
        query = query.where(CountSession.site_id.in_(visible))
    return [(row[0], row[1]) for row in db.session.execute(query)]


def _decide(actor, session_id: str, status: str) -> CountSession:
    """Mark a submitted session confirmed or discarded, or refuse if already decided."""
    changed = db.session.execute(
        db.update(CountSession)
        .where(CountSession.id == session_id, CountSession.status == "submitted")
        .values(status=status, decided_by_id=actor.id, decided_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        raise Conflict(
            msg("This count was already confirmed or discarded."), {"id": msg("already decided")}
        )
    return db.session.get(CountSession, session_id)


def confirm(actor, request: OperationRequest, session_id: str) -> OperationResult:
    """Apply a submitted count: one count movement per difference, in one transaction."""
    session = get_session(actor, session_id)
    permissions.require(actor, "manage_stock", session.site_id)
    replayed = operations.replay(request, "count_confirm")
    if replayed:
        return replayed
    site = db.session.get(Site, session.site_id)
    if site.kind == PARTNER_KIND:  # a count saved before the site became one, or the rule
        raise Conflict(
            msg("This count's site is a partner agency, whose stock is not counted."),
            {"id": msg("its site is a partner agency now: discard this count")},
        )
    lines = list(session.lines)
    results = []
    with transaction():
        _decide(actor, session_id, "confirmed")
        for index, line in enumerate(lines):
            body = {
                "site": site.code,
                "supply": line["supply"],
                "counted": line["counted"],
                "lot_number": line["lot_number"],
            }
            # Each line is an ordinary count with an id derived from the session's.
            line_id = str(uuid.uuid5(uuid.UUID(session_id), f"line-{index}"))
            outcome = work.count(actor, OperationRequest.new(line_id, body), body)
            results.append(outcome.result)
        result = {"id": request.id, "session": session_id, "site": site.code, "lines": results}
        operations.record(request, "count_confirm", actor.id, result)
        audit.record(actor.id, "count_session.confirm", "count_session", session_id, result)
    return OperationResult(result, created=True)


def discard(actor, request: OperationRequest, session_id: str) -> OperationResult:
    """Drop a submitted count without changing stock (a coordinator's call)."""
    session = get_session(actor, session_id)
    permissions.require(actor, "manage_stock", session.site_id)
    replayed = operations.replay(request, "count_discard")
    if replayed:
        return replayed
    with transaction():
        _decide(actor, session_id, "discarded")
        result = {"id": request.id, "session": session_id, "status": "discarded"}
        operations.record(request, "count_discard", actor.id, result)
        audit.record(actor.id, "count_session.discard", "count_session", session_id, result)
    return OperationResult(result, created=True)
