"""Sites, supplies and funding sources: look-ups by code, creation, editing, deactivation."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, func, select

from supplies.extensions import db
from supplies.models import (
    Balance,
    Batch,
    CountSession,
    DistributionEvent,
    FundingSource,
    PartnerReport,
    Site,
    Supply,
    SupplyRequest,
    User,
    user_sites,
)
from supplies.services.common import permissions
from supplies.services.common import schema as s
from supplies.services.common import validation as v
from supplies.services.common.errors import Conflict, NotFound, ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.operations import OperationRequest, OperationResult
from supplies.services.db.statements import in_list, list_params
from supplies.services.db.unit_of_work import transaction
from supplies.vocab import (
    PARTNER_KIND,
    REVERSAL_CATEGORIES,
    SITE_KINDS,
    SUPPLY_CATEGORIES,
    SUPPLY_UNITS,
)

MEDICATION_RULE = (
    "A reversal medication (naloxone_nasal, naloxone_injectable, nalmefene) needs "
    "doses_per_unit of 1 or more and tracks_lots true."
)
# The bodies of the create requests (POST /sites, /supplies, /funding-sources); editing
# takes the same fields except the code, which never changes, and active.
SITE = s.Body(
    "Site",
    operation_id="optional",
    code=s.code("Short and unique; used in URLs, the API and exports."),
    name=s.text(120),
    kind=s.choice(SITE_KINDS, required=True),
    county=s.text(80, required=False),
    active=s.boolean(default=True),
)
SUPPLY = s.Body(
    "Supply",
    MEDICATION_RULE,
    operation_id="optional",
    code=s.code("Short and unique; used in URLs, the API and exports."),
    name=s.text(120),
    category=s.choice(SUPPLY_CATEGORIES, required=True),
    unit=s.choice(SUPPLY_UNITS, required=True),
    doses_per_unit=s.whole(
        0, 100, default=0, description="Doses in one unit (a reversal medication: 1 or more)."
    ),
    tracks_lots=s.boolean(default=False, description="Lot number and expiry kept per receipt."),
    offered_to_partners=s.boolean(default=True, description="Partner agencies may ask for it."),
    active=s.boolean(default=True),
)
FUNDING_SOURCE = s.Body(
    "FundingSource",
    operation_id="optional",
    code=s.code("Short and unique; used in URLs, the API and exports."),
    name=s.text(120),
    funder=s.text(120, required=False),
    starts_on=s.day("First day of the grant."),
    ends_on=s.day("Last day of the grant; not before starts_on."),
    active=s.boolean(default=True),
)
SITE_EDIT = SITE.only("name", "kind", "county")
SUPPLY_EDIT = SUPPLY.only(
    "name", "category", "unit", "doses_per_unit", "tracks_lots", "offered_to_partners"
)
FUNDING_SOURCE_EDIT = FUNDING_SOURCE.only("name", "funder", "starts_on", "ends_on")


@dataclass(frozen=True)
class SupplyRef:
    """The few facts about a supply that a stock write needs, read once up front."""

    id: int
    code: str
    name: str
    doses_per_unit: int
    tracks_lots: bool
    active: bool


def _checked_site(code, field: str, find, active_only: bool = True):
    """The site `find(code)` returns, refused with the field named when absent or inactive."""
    if not isinstance(code, str) or not code:
        raise ValidationFailed(msg("A site is required."), {field: msg("is required")})
    # Not even shaped like a code (a NUL byte, say, which PostgreSQL would refuse): unknown.
    site = find(code) if v.is_code(code) else None
    if site is None:
        raise ValidationFailed(
            msg("Unknown site %(code)s.", code=code),
            {field: msg("no site has the code %(code)s", code=code)},
        )
    if active_only and not site.active:
        raise ValidationFailed(
            msg("Site %(code)s is inactive.", code=code), {field: msg("this site is inactive")}
        )
    return site


def site_by_code(code, field: str = "site", active_only: bool = True) -> Site:
    """The site with this code, or a ValidationFailed naming the field."""

    def find(wanted: str) -> Site | None:
        query = db.select(Site).where(Site.code == wanted)
        return db.session.execute(query).scalar_one_or_none()

    return _checked_site(code, field, find, active_only)


@dataclass(frozen=True)
class SiteRef:
    """The few facts about a site that a distribution needs."""

    id: int
    code: str
    name: str
    kind: str
    active: bool


@cache
def _supplies_statement(count: int):
    table = Supply.__table__
    columns = (table.c.id, table.c.code, table.c.name, table.c.doses_per_unit)
    return select(*columns, table.c.tracks_lots, table.c.active).where(
        in_list(table.c.code, "code", count)
    )


@cache
def _site_statement():
    table = Site.__table__
    columns = (table.c.id, table.c.code, table.c.name, table.c.kind, table.c.active)
    return select(*columns).where(table.c.code == bindparam("code"))


def site_ref(code, field: str = "site") -> SiteRef:
    """Like site_by_code, as a plain record read with one cached statement (the fast path)."""

    def find(wanted: str) -> SiteRef | None:
        row = db.session.connection().execute(_site_statement(), {"code": wanted}).first()
        return None if row is None else SiteRef(*row)

    return _checked_site(code, field, find)


def supplies_by_code(codes: list[str]) -> dict[str, SupplyRef]:
    """The supplies with these codes, keyed by code (unknown codes are simply absent)."""
    codes = [code for code in dict.fromkeys(codes) if v.is_code(code)]
    if not codes:
        return {}
    statement = _supplies_statement(len(codes))
    rows = db.session.connection().execute(statement, list_params("code", codes))
    return {row.code: SupplyRef(*row) for row in rows}


def supply_by_code(code, field: str = "supply") -> SupplyRef:
    """The active supply with this code, or a ValidationFailed naming the field."""
    if not isinstance(code, str) or not code:
        raise ValidationFailed(msg("A supply is required."), {field: msg("is required")})
    supply = supplies_by_code([code]).get(code)
    if supply is None:
        raise ValidationFailed(
            msg("Unknown supply %(code)s.", code=code),
            {field: msg("no supply has the code %(code)s", code=code)},
        )
    if not supply.active:
        raise ValidationFailed(
            msg("Supply %(code)s is inactive.", code=code), {field: msg("this supply is inactive")}
        )
    return supply


def funding_by_code(code, field: str = "funding") -> FundingSource | None:
    """The funding source with this code; None when no code is given."""
    if code is None or code == "":
        return None
    if not isinstance(code, str):
        raise ValidationFailed(
            msg("Funding must be a code."), {field: msg("must be a funding source code")}
        )
    query = db.select(FundingSource).where(FundingSource.code == code)
    funding = db.session.execute(query).scalar_one_or_none() if v.is_code(code) else None
    if funding is None:
        raise ValidationFailed(
            msg("Unknown funding source %(code)s.", code=code),
            {field: msg("no funding source has the code %(code)s", code=code)},
        )
    return funding


def list_sites(user) -> list[Site]:
    """Sites the user may see, by code."""
    query = db.select(Site).order_by(Site.code)
    visible = permissions.visible_site_ids(user)
    if visible is not None:
        query = query.where(Site.id.in_(visible))
    return list(db.session.execute(query).scalars())


def list_supplies() -> list[Supply]:
    """Every supply, by code."""
    return list(db.session.execute(db.select(Supply).order_by(Supply.code)).scalars())


def list_funding_sources() -> list[FundingSource]:
    """Every funding source, by code."""
    return list(db.session.execute(db.select(FundingSource).order_by(FundingSource.code)).scalars())


def site_result(site: Site) -> dict:
    """A site as the API and the operation log show it."""
    return {
        "code": site.code,
        "name": site.name,
        "kind": site.kind,
        "county": site.county,
        "active": site.active,
    }


def supply_result(supply: Supply) -> dict:
    """A supply as the API and the operation log show it."""
    return {
        "code": supply.code,
        "name": supply.name,
        "category": supply.category,
        "unit": supply.unit,
        "doses_per_unit": supply.doses_per_unit,
        "tracks_lots": supply.tracks_lots,
        "offered_to_partners": supply.offered_to_partners,
        "active": supply.active,
    }


def funding_result(funding: FundingSource) -> dict:
    """A funding source as the API and the operation log show it."""
    return {
        "code": funding.code,
        "name": funding.name,
        "funder": funding.funder,
        "starts_on": funding.starts_on.isoformat() if funding.starts_on else None,
        "ends_on": funding.ends_on.isoformat() if funding.ends_on else None,
        "active": funding.active,
    }


def _create(actor, request: OperationRequest, kind: str, model, values: dict, shape):
    permissions.require(actor, "manage_catalog")
    exists = db.session.execute(
        db.select(model.id).where(model.code == values["code"])
    ).scalar_one_or_none()
    if exists is not None:
        raise Conflict(
            msg("The code %(code)s is already in use.", code=values["code"]),
            {"code": msg("is already in use")},
        )

    def write() -> dict:
        thing = model(**values)
        db.session.add(thing)
        db.session.flush()
        result = shape(thing)
        audit.record(actor.id, f"{kind}.create", kind, thing.code, result)
        return result

    return operations.run_once(request, kind, actor.id, write)


def create_site(actor, request: OperationRequest, body: dict) -> OperationResult:
    """Create a site from code, name, kind, county and active."""
    fields = v.Fields()
    values = SITE.read(body, fields)
    fields.raise_if_any()
    return _create(actor, request, "site", Site, values, site_result)


def create_supply(actor, request: OperationRequest, body: dict) -> OperationResult:
    """Create a supply; reversal medications need doses per unit and lot tracking."""
    fields = v.Fields()
    values = SUPPLY.read(body, fields)
    _check_medication(values, fields)
    fields.raise_if_any()
    return _create(actor, request, "supply", Supply, values, supply_result)


def _check_medication(values: dict, fields: v.Fields) -> None:
    """MEDICATION_RULE: doses per unit and lot tracking for reversal medications."""
    if values["category"] in REVERSAL_CATEGORIES:
        if not values["doses_per_unit"] and "doses_per_unit" not in fields.errors:
            fields.fail("doses_per_unit", msg("a reversal medication needs its doses per unit"))
        if values["tracks_lots"] is False:
            fields.fail("tracks_lots", msg("medications must track lots"))


def create_funding_source(actor, request: OperationRequest, body: dict) -> OperationResult:
    """Create a funding source with its funder and grant dates."""
    fields = v.Fields()
    values = FUNDING_SOURCE.read(body, fields)
    if values["starts_on"] and values["ends_on"] and values["ends_on"] < values["starts_on"]:
        fields.fail("ends_on", msg("must not be before starts_on"))
    fields.raise_if_any()
    return _create(actor, request, "funding_source", FundingSource, values, funding_result)


# --- editing and deactivating: codes never change, nothing with history is deleted ---------

_MODELS = {"site": Site, "supply": Supply, "funding": FundingSource}
_SHAPES = {"site": site_result, "supply": supply_result, "funding": funding_result}


def _thing_by_code(kind: str, code):
    model = _MODELS[kind]
    thing = db.session.execute(db.select(model).where(model.code == code)).scalar_one_or_none()
    if thing is None:
        raise NotFound(
            msg("No %(kind)s has the code %(code)s.", kind=kind, code=code),
            {"code": msg("unknown code")},
        )
    return thing


def _units_on_hand(column, thing_id: int) -> int:
    return int(
        db.session.execute(
            db.select(func.coalesce(func.sum(Balance.quantity), 0)).where(column == thing_id)
        ).scalar_one()
    )


def _update(
    actor, request: OperationRequest, kind: str, code, values: dict, check=None
) -> OperationResult:
    """Apply an edit once; `check(thing)` may refuse it (after a replay is answered)."""
    permissions.require(actor, "manage_catalog")
    replayed = operations.replay(request, f"{kind}_edit")
    if replayed:
        return replayed
    thing = _thing_by_code(kind, code)
    if check is not None:
        check(thing)
    before = _SHAPES[kind](thing)
    with transaction():
        for name, value in values.items():
            setattr(thing, name, value)
        db.session.flush()
        result = _SHAPES[kind](thing)
        changes = {k: [before[k], result[k]] for k in result if before[k] != result[k]}
        operations.record(request, f"{kind}_edit", actor.id, result)
        audit.record(actor.id, f"{kind}.edit", kind, thing.code, changes)
    return OperationResult(result, created=True)


def update_site(actor, request: OperationRequest, code, body: dict) -> OperationResult:
    """Change a site's name, kind or county (its code stays: exports and URLs use it)."""
    fields = v.Fields()
    values = SITE_EDIT.read(body, fields)
    fields.raise_if_any()

    def keep_to_the_partner_line(site: Site) -> None:
        kind = values.get("kind")
        if kind and site.kind != kind and PARTNER_KIND in (site.kind, kind):
            _refuse_crossing_the_partner_line(site)

    return _update(actor, request, "site", code, values, check=keep_to_the_partner_line)


def partner_reports_instead():
    """Why a partner agency's site is refused where the program's own stock work is done."""
    return msg("is a partner agency: it reports what it hands out each month")


def _refuse_crossing_the_partner_line(site: Site) -> None:
    # A partner agency reports what it hands out and logs no distribution (nor has staff to
    # log them); its accounts, requests and reports belong to an agency. A site with either
    # history keeps its side, or the partner figures (received, still held) and the
    # accounts' scope would be wrong.
    if site.kind != PARTNER_KIND:
        history = db.union_all(
            db.select(DistributionEvent.site_id).where(DistributionEvent.site_id == site.id),
            db.select(user_sites.c.site_id)
            .join(User, User.id == user_sites.c.user_id)
            .where(user_sites.c.site_id == site.id, User.role == "staff"),
            db.select(CountSession.site_id).where(
                CountSession.site_id == site.id, CountSession.status == "submitted"
            ),
        )
    else:
        history = db.union_all(
            db.select(user_sites.c.user_id)
            .join(User, User.id == user_sites.c.user_id)
            .where(user_sites.c.site_id == site.id, User.role == "partner"),
            db.select(SupplyRequest.site_id).where(SupplyRequest.site_id == site.id),
            db.select(PartnerReport.site_id).where(PartnerReport.site_id == site.id),
        )
    if db.session.execute(history.limit(1)).first() is not None:
        raise ValidationFailed(
            msg("This site's kind cannot change to or from partner agency now."),
            {
                "kind": msg(
                    "cannot change to or from partner agency once the site has distributions, "
                    "staff, counts waiting, partner accounts, requests or reports"
                )
            },
        )


def update_supply(actor, request: OperationRequest, code, body: dict) -> OperationResult:
    """Change a supply's name, category, unit, doses or whether partner agencies may ask
    for it; lot tracking is fixed once stocked."""
    fields = v.Fields()
    values = SUPPLY_EDIT.read(body, fields)
    _check_medication(values, fields)
    fields.raise_if_any()
    supply = _thing_by_code("supply", code)
    if values["tracks_lots"] != supply.tracks_lots:
        has_batches = db.session.execute(
            db.select(Batch.id).where(Batch.supply_id == supply.id).limit(1)
        ).first()
        if has_batches:
            raise ValidationFailed(
                msg("Lot tracking cannot change once the supply has been received."),
                {"tracks_lots": msg("cannot change once stock has been received")},
            )
    return _update(actor, request, "supply", code, values)


def update_funding_source(actor, request: OperationRequest, code, body: dict) -> OperationResult:
    """Change a funding source's name, funder or grant dates."""
    fields = v.Fields()
    values = FUNDING_SOURCE_EDIT.read(body, fields)
    if values["starts_on"] and values["ends_on"] and values["ends_on"] < values["starts_on"]:
        fields.fail("ends_on", msg("must not be before starts_on"))
    fields.raise_if_any()
    return _update(actor, request, "funding", code, values)


def set_active(actor, request: OperationRequest, kind: str, code, active) -> OperationResult:
    """Deactivate or reactivate a site, supply or funding source; stock must be gone first."""
    fields = v.Fields()
    active = fields.check("active", v.boolean, active, required=True)
    fields.raise_if_any()
    permissions.require(actor, "manage_catalog")
    replayed = operations.replay(request, f"{kind}_active")
    if replayed:
        return replayed
    thing = _thing_by_code(kind, code)
    if not active and kind in ("site", "supply"):
        column = Balance.site_id if kind == "site" else Balance.supply_id
        units = _units_on_hand(column, thing.id)
        if units:
            raise Conflict(
                msg(
                    "%(thing)s still has %(units)s units on hand: "
                    "transfer or write them off first.",
                    thing=thing.name,
                    units=units,
                ),
                {"active": msg("%(units)s units still on hand", units=units)},
            )
    with transaction():
        thing.active = active
        db.session.flush()
        result = _SHAPES[kind](thing)
        operations.record(request, f"{kind}_active", actor.id, result)
        action = "activate" if active else "deactivate"
        audit.record(actor.id, f"{kind}.{action}", kind, thing.code, {"active": active})
    return OperationResult(result, created=True)
