"""The program's areas (counties by name and state, 3-digit ZIP prefixes) and event areas.

DESIGN.md, principle 1: an event's area is one of the configured areas or a 3-digit ZIP
prefix (a 5-digit ZIP is cut to 3 digits); any other text is refused, so a name typed in
the Area box never reaches a record or a funder. Names are matched without regard to
case, accents or a trailing "County" ("dona ana" finds "Doña Ana County"); the event
stores the list's own spelling. Any 3-digit ZIP prefix is taken (DESIGN.md lists it
beside the configured areas, and digits cannot name a person); listed prefixes are the
ones the screen's picker offers.
"""

import re
import unicodedata
from collections.abc import Callable

from sqlalchemy import func

from supplies.extensions import db
from supplies.models import Area, DistributionEvent
from supplies.services.common import permissions
from supplies.services.common import schema as s
from supplies.services.common import validation as v
from supplies.services.common.errors import Conflict, ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db import audit, operations
from supplies.services.db.operations import OperationRequest, OperationResult
from supplies.vocab import AREA_KINDS

# How exports show a stored area that is neither on the list nor a ZIP prefix (older
# events typed freely): never verbatim.
OTHER_AREA = "other area"
MAX_OFFERED = 40
_ZIP3 = re.compile(r"^[0-9]{3}$")
_STATE = re.compile(r"^[A-Za-z]{2}$")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_SUFFIX = re.compile(r" (county|condado|parish|borough)$")

AREA = s.Body(
    "Area",
    "A county by name (with its state), or a 3-digit ZIP prefix: {name, state?} or {zip3}.",
    operation_id="optional",
    name=s.Field(
        {"type": "string", "maxLength": v.AREA_MAX_LENGTH, "pattern": v.REQUIRED_TEXT_PATTERN},
        nullable=True,
        description="A county's name, as it should appear in exports (Doña Ana County).",
    ),
    state=s.Field(
        {"type": "string", "pattern": "^[A-Za-z]{2}$"},
        nullable=True,
        description="The county's state, two letters (NM).",
    ),
    zip3=s.Field(
        {"type": "string", "pattern": "^[0-9]{3}$"},
        nullable=True,
        description="A 3-digit ZIP prefix (972).",
    ),
)
AREA_RECORD = {
    "type": "object",
    "title": "AreaRecord",
    "properties": {
        "kind": {"type": "string", "enum": list(AREA_KINDS)},
        "name": {"type": "string"},
        "state": {"type": ["string", "null"]},
        "zip3": {"type": ["string", "null"]},
    },
    "required": ["kind", "name", "state", "zip3"],
}


def fold(text: str) -> str:
    """A name as matching sees it: no accents, no case, single spaces, no "County"."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    plain = _NOT_WORD.sub(" ", plain).strip()
    return _SUFFIX.sub("", plain)


def list_areas() -> list[Area]:
    """Every area: counties by name, then ZIP prefixes."""
    query = db.select(Area).order_by(Area.kind, Area.name)
    return list(db.session.execute(query).scalars())


def area_result(area: Area) -> dict:
    """An area as the API lists it."""
    zip3 = area.name if area.kind == "zip3" else None
    return {"kind": area.kind, "name": area.name, "state": area.state, "zip3": zip3}


def _county_name(value, fields: v.Fields) -> str | None:
    name = fields.check("name", v.text, value, v.AREA_MAX_LENGTH)
    if name is None:
        return None
    name = " ".join(name.split())
    if not all(ch.isalpha() or ch in " .'-" for ch in name) or not fold(name):
        fields.fail("name", msg("use letters, spaces, dots, apostrophes or dashes only"))
        return None
    return name


def create_area(actor, request: OperationRequest, body: dict) -> OperationResult:
    """Add a county {name, state?} or a ZIP prefix {zip3} to the program's list."""
    permissions.require(actor, "manage_catalog")
    fields = v.Fields()
    values = {k: body.get(k) for k in ("name", "state", "zip3")}
    given = {k for k, x in values.items() if x not in (None, "")}
    if "zip3" in given:
        for other in given & {"name", "state"}:
            fields.fail(other, msg("give either a county name or a ZIP prefix, not both"))
        zip3 = values["zip3"]
        if not isinstance(zip3, str) or not _ZIP3.fullmatch(zip3.strip()):
            fields.fail("zip3", msg("must be the first 3 digits of a ZIP code"))
        kind, name, state = "zip3", str(zip3).strip(), None
    elif "name" in given:
        kind, name = "county", _county_name(values["name"], fields)
        state = values["state"]
        if state in (None, ""):
            state = None
        elif not isinstance(state, str) or not _STATE.fullmatch(state.strip()):
            fields.fail("state", msg("must be a state's two-letter code"))
        else:
            state = state.strip().upper()
    else:
        fields.fail("name", msg("give a county name, or a ZIP prefix as zip3"))
        kind = name = state = None
    fields.raise_if_any()
    key = name if kind == "zip3" else fold(name)
    exists = db.session.execute(db.select(Area.id).where(Area.key == key)).first()
    if exists is not None:
        field = "zip3" if kind == "zip3" else "name"
        raise Conflict(
            msg("%(area)s is already on the list.", area=name), {field: msg("already listed")}
        )

    def write() -> dict:
        area = Area(kind=kind, name=name, state=state, key=key)
        db.session.add(area)
        db.session.flush()
        result = area_result(area)
        audit.record(actor.id, "area.create", "area", name, result)
        return result

    return operations.run_once(request, "area", actor.id, write)


def _offer(names: list[str]) -> str:
    more = ", …" if len(names) > MAX_OFFERED else ""
    return ", ".join(names[:MAX_OFFERED]) + more


def matcher(areas: list[Area] | None = None) -> Callable[[object], str | None]:
    """A parser of typed areas against the list read once (the import reads many rows)."""
    areas = list_areas() if areas is None else areas
    by_key = {a.key: a.name for a in areas if a.kind == "county"}
    counties = [a.name for a in areas if a.kind == "county"]

    def parse(value) -> str | None:
        try:
            shaped = v.area(value)
        except ValidationFailed:
            shaped = None if value is None else False
        if shaped is None:
            return None
        if shaped and _ZIP3.fullmatch(shaped):
            return shaped
        found = by_key.get(fold(shaped)) if shaped else None
        if found is None:
            why = (
                msg(
                    "must be one of the program's areas (%(areas)s) or a ZIP code",
                    areas=_offer(counties),
                )
                if counties
                else msg("must be a ZIP code: the program has no areas listed yet")
            )
            raise ValidationFailed(why, {"value": why})
        return found

    return parse


def event_area(value) -> str | None:
    """An event's area as stored: a listed county's name, a ZIP's 3 digits, or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        shaped = v.area(value)
    except ValidationFailed:
        shaped = None
    if shaped and _ZIP3.fullmatch(shaped):
        # Most events name a ZIP prefix: the write path reads no list for them.
        return shaped
    if shaped:
        listed = db.select(Area.name).where(Area.kind == "county", Area.key == fold(shaped))
        found = db.session.execute(listed).scalar()
        if found is not None:
            return found
    # Not listed or not shaped like an area: the matcher refuses it, offering the list.
    return matcher()(value)


def exported(value: str | None, listed: set[str]) -> str | None:
    """A stored area as exports show it: listed or a ZIP prefix as is, else "other area"."""
    if value is None or value in listed or _ZIP3.fullmatch(value):
        return value
    return OTHER_AREA


def listed_names() -> set[str]:
    """The names exports may show as they are."""
    return {a.name for a in list_areas()}


def unlisted_counts() -> list[tuple[str, int]]:
    """Stored event areas that are not on the list (nor a ZIP prefix), with their counts."""
    listed = listed_names()
    query = (
        db.select(DistributionEvent.area, func.count())
        .where(DistributionEvent.area.is_not(None))
        .group_by(DistributionEvent.area)
        .order_by(DistributionEvent.area)
    )
    return [
        (area, count)
        for area, count in db.session.execute(query).all()
        if exported(area, listed) == OTHER_AREA
    ]
