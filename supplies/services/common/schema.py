"""Request bodies declared once: the services read them, the OpenAPI document describes them.

A `Field` holds what a value may be in JSON Schema words (type, bounds, lengths, pattern,
enum, nullable) and the parser built from the same numbers (the `validation` functions),
so the document cannot say one thing while the service enforces another. A `Body` is the
fields of one request in order: `names` is every field the API accepts (others are
refused), `read()` parses each into a `Fields` collector, `json_schema()` is its OpenAPI
component. Everything is built once, at import; reading a body is one parser call per
field, as hand-written parsing was.
"""

import re
from dataclasses import dataclass
from functools import partial

from supplies.services.common import clock
from supplies.services.common import validation as v

CODE_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 32, "pattern": v.CODE_PATTERN}
# Dates and times from 2000 to 2100 only (validation.plausible_date), as the pattern says.
DATE_SCHEMA = {"type": "string", "format": "date", "pattern": v.DATE_PATTERN}
DATE_TIME_SCHEMA = {"type": "string", "format": "date-time", "pattern": v.DATE_TIME_PATTERN}
UUID_SCHEMA = {"type": "string", "format": "uuid", "pattern": v.UUID_PATTERN}


@dataclass(frozen=True)
class Field:
    """One field of a body: its JSON Schema, its parser, whether it must be given."""

    schema: dict
    # value -> clean value, raising ValidationFailed; None: the service reads it itself.
    parse: object = None
    required: bool = False
    nullable: bool = False
    default: object = None
    description: str = ""
    # An optional text field reads "" as absent, as the screens' forms send it (the
    # document's introduction says so): its schema admits "" too. Not so for a time.
    blank_is_absent: bool = True

    def read(self, fields: v.Fields, name: str, value):
        """The parsed value, or None with the reason recorded under `name`."""
        return fields.check(name, self.parse, value)

    def json_schema(self) -> dict:
        """The field as JSON Schema (OpenAPI 3.1: null is a type)."""
        schema = dict(self.schema)
        if self.nullable:
            if schema.get("type") == "string" and self.blank_is_absent:
                _admit_blank(schema)
            schema["type"] = [schema["type"], "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        if self.default is not None:
            schema["default"] = self.default
        if self.description:
            schema["description"] = self.description
        return schema


def _admit_blank(schema: dict) -> None:
    """Let a string schema take "" as well (an optional field's blank means absent)."""
    schema.pop("minLength", None)
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], ""]
    pattern = schema.get("pattern")
    if pattern and not re.search(pattern, ""):
        schema["pattern"] = f"^$|{pattern}"  # each side anchored: the same in ECMA-262
    if schema.get("format") == "date":
        del schema["format"]  # "" is no date; DATE_PATTERN names exactly the days taken


def code(description: str = "") -> Field:
    """A new record's code: up to 32 letters, digits, '-', '_' or '.'."""
    return Field(CODE_SCHEMA, v.code, required=True, description=description)


def ref(lookup, description: str, required: bool = True) -> Field:
    """The code of an existing record, looked up (and refused when unknown) by `lookup`."""
    return Field(CODE_SCHEMA, lookup, required, nullable=not required, description=description)


def text(max_length: int, required: bool = True, description: str = "") -> Field:
    """Trimmed text of at most max_length characters; optional text may be null or blank."""
    pattern = v.REQUIRED_TEXT_PATTERN if required else v.TEXT_PATTERN
    schema = {"type": "string", "maxLength": max_length, "pattern": pattern}
    if required:
        schema["minLength"] = 1
    parse = partial(v.text, max_length=max_length, required=required)
    return Field(schema, parse, required, nullable=not required, description=description)


def note(max_length: int, description: str = "") -> Field:
    """An optional note about stock: text, never a person's details (validation.stock_note)."""
    schema = {"type": "string", "maxLength": max_length, "pattern": v.TEXT_PATTERN}
    parse = partial(v.stock_note, max_length=max_length)
    return Field(schema, parse, False, nullable=True, description=description)


def whole(
    minimum: int = 1, maximum: int = v.MAX_QUANTITY, default=None, description: str = ""
) -> Field:
    """A whole number within bounds (a quantity: 1 to 100000; a count: 0 to 100000)."""
    schema = {"type": "integer", "minimum": minimum, "maximum": maximum}
    parse = partial(v.quantity, minimum=minimum, maximum=maximum)
    return Field(schema, parse, default is None, default=default, description=description)


def signed(description: str = "") -> Field:
    """A whole number from -100000 to 100000, not zero."""
    schema = {
        "type": "integer",
        "minimum": -v.MAX_QUANTITY,
        "maximum": v.MAX_QUANTITY,
        "not": {"const": 0},
    }
    return Field(schema, v.signed_quantity, required=True, description=description)


def choice(values, required: bool = False, description: str = "") -> Field:
    """One code of a vocabulary; an optional one may be null (or blank)."""
    parse = partial(v.choice, allowed=values, required=required)
    schema = {"type": "string", "enum": list(values)}
    return Field(schema, parse, required, nullable=not required, description=description)


def boolean(default=None, description: str = "", nullable: bool = True) -> Field:
    """true or false; null (when nullable) as if absent."""
    parse = v.boolean if nullable else partial(v.boolean, required=True)
    schema = {"type": "boolean"}
    return Field(schema, parse, nullable=nullable, default=default, description=description)


def day(description: str = "") -> Field:
    """A calendar date written YYYY-MM-DD (2000 to 2100), or null."""
    return Field(DATE_SCHEMA, v.iso_date, nullable=True, description=description)


def _instant(value):
    return v.instant(value, clock.program_timezone().key)


def instant(description: str) -> Field:
    """An ISO 8601 date and time from 2000 on, at most 5 minutes ahead; null: now."""
    return Field(
        DATE_TIME_SCHEMA, _instant, nullable=True, description=description, blank_is_absent=False
    )


def area(description: str, parse=v.area) -> Field:
    """A county name or a ZIP code (kept as its 3-digit prefix), or null.

    `parse` looks the name up in the program's areas (supplies.services.areas.event_area);
    the schema can only say the shape.
    """
    schema = {"type": "string", "maxLength": v.AREA_MAX_LENGTH, "pattern": v.AREA_PATTERN}
    return Field(schema, parse, nullable=True, description=description)


def array(item: "Body", max_items: int, description: str = "") -> Field:
    """A list of 1 to max_items objects, read by the service (names like items[0].quantity)."""
    schema = {"type": "array", "minItems": 1, "maxItems": max_items, "items": item.json_schema()}
    return Field(schema, required=True, description=description)


OPERATION_ID = "Client-generated UUID; the same id and body again records nothing new."


class Body:
    """The fields of one request body, in order, with the operation id's rule."""

    def __init__(self, title: str, description: str = "", *, operation_id=False, **fields):
        """operation_id: False (none), "optional" or "required"."""
        self.title, self.description, self.fields = title, description, fields
        self.id_required = operation_id == "required"
        self.names = frozenset(fields) | ({"id"} if operation_id else frozenset())
        self._operation_id = operation_id
        self._readers = tuple(
            (name, field.parse, field.default) for name, field in fields.items() if field.parse
        )

    def only(self, *names: str) -> "Body":
        """The same declarations for some of the fields (editing a record, say)."""
        return Body(self.title, self.description, **{name: self.fields[name] for name in names})

    def read(self, body: dict, fields: v.Fields) -> dict:
        """Every field the body declares, parsed (None where refused or absent)."""
        check = fields.check
        return {
            name: check(name, parse, body.get(name, default))
            for name, parse, default in self._readers
        }

    def json_schema(self) -> dict:
        """The request body as a JSON Schema object; unknown fields are refused."""
        properties = {}
        if self._operation_id:
            uuid = {**UUID_SCHEMA, "description": OPERATION_ID}
            properties["id"] = uuid if self.id_required else {**uuid, "type": ["string", "null"]}
        properties.update({name: field.json_schema() for name, field in self.fields.items()})
        required = [name for name, field in self.fields.items() if field.required]
        schema = {
            "type": "object",
            "title": self.title,
            "properties": properties,
            "required": ["id", *required] if self.id_required else required,
            "additionalProperties": False,
        }
        if self.description:
            schema["description"] = self.description
        return schema

    def record_schema(self, not_null=()) -> dict:
        """A stored record as a list answers it: every field present, null where allowed."""
        properties = {}
        for name, field in self.fields.items():
            nullable = field.nullable and name not in not_null
            properties[name] = Field(field.schema, nullable=nullable).json_schema()
        return {
            "type": "object",
            "title": self.title,
            "properties": properties,
            "required": list(self.fields),
        }
