"""Helpers shared by the stock views: operation ids, field errors, numbers as typed."""

import re
import uuid

from flask import abort, flash
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from supplies.i18n import translate
from supplies.services import catalog
from supplies.services.common import permissions
from supplies.services.common import validation as v
from supplies.services.common.errors import (
    DomainError,
    Forbidden,
    IdempotencyConflict,
    NotFound,
    ValidationFailed,
)
from supplies.services.db.operations import OperationRequest

_WHOLE = re.compile(r"^[+-]?\d{1,9}$")


def as_number(value):
    """A typed whole number as int; anything else is passed on for the service to refuse."""
    if value is None:
        return None
    value = value.strip()
    if value == "":
        return None
    return int(value) if _WHOLE.match(value) else value


def blank_to_none(value):
    """Empty form text as None."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def line_is_used(line) -> bool:
    """A receipt line counts once anything but its funding source is filled in."""
    return any((line.supply.data, line.quantity.data, line.lot_number.data, line.expires_on.data))


def prepare(form) -> None:
    """Give a fresh form its operation id."""
    if not form.op.data:
        form.op.data = str(uuid.uuid4())


def operation_request(form, body: dict) -> OperationRequest:
    """The form's operation id (a fresh one if missing or malformed) and a body fingerprint."""
    try:
        operation_id = v.operation_id(form.op.data or None, False)
    except ValidationFailed:
        operation_id = None
    request_ = OperationRequest.new(operation_id, body)
    form.op.data = request_.id
    return request_


def _fields_by_name(form) -> dict:
    found = {}
    for field in form:
        if hasattr(field, "entries"):
            for entry in field.entries:
                for sub in entry.form:
                    found[sub.name] = sub
        else:
            found[field.name] = field
    return found


def show_errors(form, error: DomainError, aliases: dict | None = None) -> dict:
    """Attach a service's field errors to the form's fields; flash the message.

    Returns the errors that name no field of the form (the template may show them).
    Forbidden and NotFound become 403 and 404 pages.
    """
    if isinstance(error, Forbidden):
        abort(403, translate(error.message))
    if isinstance(error, NotFound) and not error.fields:
        abort(404, translate(error.message))
    if isinstance(error, IdempotencyConflict) and form is not None:
        # Back button after a recorded form, values changed: offer a fresh operation.
        form.op.data = str(uuid.uuid4())
        flash(
            _(
                "That form was already recorded. "
                "Check the values and submit again to record another."
            ),
            "error",
        )
        return {}
    fields = _fields_by_name(form) if form is not None else {}
    aliases = aliases or {}
    others = {}
    for name, why in error.fields.items():
        field = fields.get(aliases.get(name, name))
        if field is None:
            others[name] = translate(why)
        else:
            field.errors = [translate(why)]
    flash(translate(error.message), "error")
    return others


def status_of(error: DomainError) -> int:
    """The HTTP status for a refused form: 422 invalid, 409 conflict."""
    return 422 if isinstance(error, ValidationFailed) else 409


def site_choices(user, active_only: bool = True) -> list[tuple[str, str]]:
    """Sites for a select, by code."""
    return [
        (s.code, f"{s.name} ({s.code})")
        for s in catalog.list_sites(user)
        if s.active or not active_only
    ]


def supply_choices() -> list[tuple[str, str]]:
    """Active supplies for a select."""
    return [(s.code, s.name) for s in catalog.list_supplies() if s.active]


def funding_choices() -> list[tuple[str, str]]:
    """Active funding sources for a select."""
    return [(f.code, f"{f.name} ({f.code})") for f in catalog.list_funding_sources() if f.active]


def with_blank(choices, label: str) -> list[SelectChoice]:
    """Select options led by an empty one."""
    return [SelectChoice("", label), *(SelectChoice(value, text) for value, text in choices)]


def require(user, action: str, site_id: int | None = None) -> None:
    """A 403 page unless the user may do this (at this site)."""
    if not permissions.can(user, action, site_id):
        abort(403)
