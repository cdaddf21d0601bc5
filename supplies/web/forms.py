"""Forms and the services: field errors onto fields, numbers as typed, operation ids, choices."""

import re
import uuid
from collections.abc import Callable, Mapping

from flask import abort, flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, StopValidation

from supplies.i18n import lazy_option_label, translate
from supplies.services import catalog
from supplies.services.common import validation as v
from supplies.services.common.errors import (
    DomainError,
    Forbidden,
    IdempotencyConflict,
    NotFound,
    ValidationFailed,
)
from supplies.services.db.operations import OperationRequest
from supplies.web import access

# How a service's field name maps to a form field's: a dict (names not in it stay as they
# are), or a function giving the form field's name, or None for "no field shows this".
Aliases = Mapping[str, str] | Callable[[str], str | None] | None

_WHOLE = re.compile(r"^[+-]?\d{1,9}$")


# --- numbers and text as typed ---------------------------------------------------------------


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


def plausible_date(form, field) -> None:
    """A WTForms validator: a date field holds a date from 2000 to 2100 (validation's rule)."""
    if field.data is None:
        return
    try:
        v.plausible_date(field.data)
    except ValidationFailed as error:
        raise StopValidation(translate(error.fields["value"])) from None


# --- operation ids ---------------------------------------------------------------------------


def prepare(form) -> None:
    """Give a fresh form its operation id (its `op` field)."""
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


# --- a service's errors on the form ----------------------------------------------------------


def _fields_by_name(form) -> dict:
    """The form's fields by name; the lines of a FieldList by their own names (lines-0-supply)."""
    found = {}
    for field in form:
        if hasattr(field, "entries"):
            for entry in field.entries:
                for sub in getattr(entry, "form", [entry]):
                    found[sub.name] = sub
        elif field.name != "csrf_token":
            found[field.name] = field
    return found


def _form_name(aliases: Aliases, name: str) -> str | None:
    if aliases is None:
        return name
    if callable(aliases):
        return aliases(name)
    return aliases.get(name, name)


def add_error(field, why: str) -> None:
    """One more error beside a form field (those the form found stay)."""
    field.errors = [*field.errors, why]


def attach_errors(form, fields: dict, aliases: Aliases = None) -> dict[str, str]:
    """Put each reason, translated, beside the field it names; return those no field shows."""
    found = _fields_by_name(form) if form is not None else {}
    others = {}
    for name, why in fields.items():
        text = translate(why)
        field = found.get(_form_name(aliases, name) or "")
        if field is None:
            others[name] = text
        else:
            add_error(field, text)
    return others


def show_errors(
    form, error: DomainError, aliases: Aliases = None, *, others_in_message: bool = False
) -> dict[str, str]:
    """Attach a service's field errors and flash its message; return those no field shows."""
    # Forbidden and NotFound (naming no field) are 403 and 404 pages. The errors no field
    # shows are for the template; with others_in_message the flashed message names them.
    if isinstance(error, Forbidden):
        access.deny(error)
    if isinstance(error, NotFound) and not error.fields:
        abort(404, translate(error.message))
    if isinstance(error, IdempotencyConflict) and form is not None and "op" in form:
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
    others = attach_errors(form, error.fields, aliases)
    message = translate(error.message)
    if others_in_message and others:
        message = " ".join([message, *(f"{name}: {why}" for name, why in others.items())])
        others = {}
    flash(message, "error")
    return others


def status_of(error: DomainError) -> int:
    """The HTTP status for a refused form: 422 invalid, 409 conflict."""
    return 422 if isinstance(error, ValidationFailed) else 409


# --- choices for select fields ----------------------------------------------------------------


def _choices(rows, active_only: bool) -> list[tuple[str, str]]:
    """The one label style of every site, supply and funding source in a select: "Name (CODE)"."""
    return [(row.code, f"{row.name} ({row.code})") for row in rows if row.active or not active_only]


def site_choices(user, active_only: bool = True) -> list[tuple[str, str]]:
    """The sites the user may see, for a select (value: the code)."""
    return _choices(catalog.list_sites(user), active_only)


def supply_choices(active_only: bool = True) -> list[tuple[str, str]]:
    """Supplies for a select (value: the code)."""
    return _choices(catalog.list_supplies(), active_only)


def funding_choices(active_only: bool = True) -> list[tuple[str, str]]:
    """Funding sources for a select (value: the code)."""
    return _choices(catalog.list_funding_sources(), active_only)


def with_blank(choices, label: str) -> list[SelectChoice]:
    """Select options led by an empty one."""
    return [SelectChoice("", label), *(SelectChoice(value, text) for value, text in choices)]


# --- form building blocks ------------------------------------------------------------------


class OperationForm(FlaskForm):
    """CSRF plus the operation id that makes a double submit record once."""

    op = HiddenField()


def value_choices(values, blank=None) -> list[SelectChoice]:
    """Options for stored codes (kinds, categories, reasons) in the reader's words, each
    with a capital first letter as an option reads."""
    options = [SelectChoice(value, lazy_option_label(value)) for value in values]
    return [SelectChoice("", blank), *options] if blank is not None else options


def select_field(label, values=(), blank=None) -> SelectField:
    """A select that keeps what was picked; the service checks the value and names the field."""
    return SelectField(
        label, choices=value_choices(values, blank), validate_choice=False, validators=[Optional()]
    )
