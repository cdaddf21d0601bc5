"""Bundles: the usual kit as one tap on the distribution screen (DESIGN.md, Domain: Bundle).

A bundle belongs to the whole program or to one site. It only fills the screen's form: the
distribution it leads to records ordinary lines, so no report knows about bundles. Codes
never change and nothing is deleted; a bundle no longer wanted is made inactive.
"""

from sqlalchemy import or_

from supplies.extensions import db
from supplies.models import Bundle, BundleLine
from supplies.services import catalog
from supplies.services.common import permissions
from supplies.services.common import schema as s
from supplies.services.common import validation as v
from supplies.services.common.errors import Conflict, NotFound
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.operations import OperationRequest, OperationResult

MAX_LINES = 12


def _site_or_none(code):
    return None if code in (None, "") else catalog.site_by_code(code)


MAX_BUNDLE_QUANTITY = 1000
BUNDLE_ITEM = s.Body(
    "BundleItem",
    supply=s.Field(s.CODE_SCHEMA, required=True, description="An active supply's code, once."),
    quantity=s.whole(1, MAX_BUNDLE_QUANTITY, description="Units the bundle adds."),
)
ITEM_QUANTITY = BUNDLE_ITEM.fields["quantity"]
# POST /bundles; the coordinators' screen sends the same body.
BUNDLE = s.Body(
    "Bundle",
    "Supplies and quantities handed out together, offered as one tap on the distribution "
    "screen (still editable there); the distribution records ordinary lines.",
    operation_id="optional",
    code=s.code("Short and unique; never changes."),
    name=s.text(80, description="What the button says (Narcan + 5 test strips)."),
    site=s.ref(
        _site_or_none,
        "Offered at this site only; null or absent: at every site.",
        required=False,
    ),
    items=s.array(BUNDLE_ITEM, MAX_LINES, "Each supply once."),
    active=s.boolean(default=True),
)
BUNDLE_EDIT = BUNDLE.only("name", "site", "items")
BUNDLE_RECORD = {
    "type": "object",
    "title": "BundleRecord",
    "properties": {
        "code": s.CODE_SCHEMA,
        "name": {"type": "string"},
        "site": {"type": ["string", "null"]},
        "active": {"type": "boolean"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "supply": s.CODE_SCHEMA,
                    "quantity": ITEM_QUANTITY.json_schema(),
                },
                "required": ["supply", "quantity"],
            },
        },
    },
    "required": ["code", "name", "site", "active", "items"],
}


def bundle_result(bundle: Bundle) -> dict:
    """A bundle as the API lists it."""
    return {
        "code": bundle.code,
        "name": bundle.name,
        "site": bundle.site.code if bundle.site else None,
        "active": bundle.active,
        "items": [{"supply": line.supply.code, "quantity": line.quantity} for line in bundle.lines],
    }


def list_bundles(user, site_id: int | None = None, active_only: bool = False) -> list[Bundle]:
    """Bundles by name: the program's and, with site_id, that site's (else every site the
    user may see)."""
    query = db.select(Bundle).order_by(Bundle.name, Bundle.code)
    if site_id is not None:
        query = query.where(or_(Bundle.site_id.is_(None), Bundle.site_id == site_id))
    else:
        visible = permissions.visible_site_ids(user)
        if visible is not None:
            query = query.where(or_(Bundle.site_id.is_(None), Bundle.site_id.in_(visible)))
    if active_only:
        query = query.where(Bundle.active.is_(True))
    return list(db.session.execute(query).scalars())


def offered_at(user, site_id: int, supply_ids: set[int]) -> list[Bundle]:
    """The active bundles the screen offers at a site: every line a supply the site lists
    and still active."""
    return [
        bundle
        for bundle in list_bundles(user, site_id, active_only=True)
        if bundle.lines
        and all(line.supply.active and line.supply_id in supply_ids for line in bundle.lines)
    ]


def bundle_by_code(code) -> Bundle:
    """The bundle with this code, or NotFound."""
    bundle = None
    if v.is_code(code):
        query = db.select(Bundle).where(Bundle.code == code)
        bundle = db.session.execute(query).scalar_one_or_none()
    if bundle is None:
        raise NotFound(msg("No such bundle."))
    return bundle


def _items(raw, fields: v.Fields) -> list[tuple[int, int]]:
    """Parse items into (supply id, quantity) pairs; errors name items[i].supply and so on."""
    parsed, seen = [], set()
    items = v.listed_items(raw, fields, BUNDLE_ITEM.fields, MAX_LINES)
    wanted = [item.get("supply") for _, item in items]
    supplies = catalog.supplies_by_code([c for c in wanted if isinstance(c, str)])
    for name, item in items:
        code = item.get("supply")
        if not isinstance(code, str):
            code = None  # an object or a number names no supply (and cannot be looked up)
        supply = supplies.get(code) if code else None
        if not code:
            fields.fail(f"{name}.supply", msg("is required"))
        elif supply is None:
            fields.fail(f"{name}.supply", msg("no supply has the code %(code)s", code=code))
        elif not supply.active:
            fields.fail(f"{name}.supply", msg("this supply is inactive"))
        elif code in seen:
            fields.fail(f"{name}.supply", msg("is listed twice"))
        quantity = ITEM_QUANTITY.read(fields, f"{name}.quantity", item.get("quantity"))
        if supply is not None and code not in seen and quantity is not None:
            parsed.append((supply.id, quantity))
        if code:
            seen.add(code)
    return parsed


def _lines(items: list[tuple[int, int]]) -> list[BundleLine]:
    return [
        BundleLine(supply_id=supply_id, quantity=quantity, position=position)
        for position, (supply_id, quantity) in enumerate(items)
    ]


def create_bundle(actor, request: OperationRequest, body: dict) -> OperationResult:
    """Create a bundle {code, name, site?, items: [{supply, quantity}], active?}."""
    permissions.require(actor, "manage_catalog")
    fields = v.Fields()
    values = BUNDLE.read(body, fields)
    items = _items(body.get("items"), fields)
    fields.raise_if_any()
    exists = db.session.execute(
        db.select(Bundle.id).where(Bundle.code == values["code"])
    ).scalar_one_or_none()
    if exists is not None:
        raise Conflict(
            msg("The code %(code)s is already in use.", code=values["code"]),
            {"code": msg("is already in use")},
        )

    def write() -> dict:
        site = values["site"]
        bundle = Bundle(
            code=values["code"],
            name=values["name"],
            site_id=site.id if site else None,
            active=values["active"] is not False,
            lines=_lines(items),
        )
        db.session.add(bundle)
        db.session.flush()
        db.session.refresh(bundle)
        result = bundle_result(bundle)
        audit.record(actor.id, "bundle.create", "bundle", bundle.code, result)
        return result

    return operations.run_once(request, "bundle", actor.id, write)


def update_bundle(actor, request: OperationRequest, code, body: dict) -> OperationResult:
    """Change a bundle's name, site and lines (its code never changes)."""
    permissions.require(actor, "manage_catalog")
    bundle = bundle_by_code(code)
    fields = v.Fields()
    values = BUNDLE_EDIT.read(body, fields)
    items = _items(body.get("items"), fields)
    fields.raise_if_any()

    def write() -> dict:
        site = values["site"]
        bundle.name = values["name"]
        bundle.site_id = site.id if site else None
        bundle.lines.clear()
        db.session.flush()  # the old lines go before the new ones take their places
        bundle.lines.extend(_lines(items))
        db.session.flush()
        db.session.refresh(bundle)
        result = bundle_result(bundle)
        audit.record(actor.id, "bundle.update", "bundle", bundle.code, result)
        return result

    return operations.run_once(request, "bundle", actor.id, write)


def set_bundle_active(actor, request: OperationRequest, code, active: bool) -> OperationResult:
    """Offer a bundle again, or stop offering it (nothing is deleted)."""
    permissions.require(actor, "manage_catalog")
    bundle = bundle_by_code(code)

    def write() -> dict:
        bundle.active = bool(active)
        db.session.flush()
        result = bundle_result(bundle)
        audit.record(actor.id, "bundle.active", "bundle", bundle.code, {"active": bundle.active})
        return result

    return operations.run_once(request, "bundle", actor.id, write)


def supply_names(bundle: Bundle) -> str:
    """The bundle's lines in words: 2 × Narcan, 5 × Fentanyl test strip."""
    return ", ".join(f"{line.quantity} × {line.supply.name}" for line in bundle.lines)
