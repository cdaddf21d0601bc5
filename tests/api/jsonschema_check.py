"""A small JSON Schema (2020-12 subset) checker, enough for the API's OpenAPI document.

`jsonschema` is not a dependency; this checks the keywords the document uses, and treats
`format` (date, date-time, uuid) as an assertion, as API clients' validators usually do.
A JSON integer is written without a fraction: Python's bool and float are not integers.
"""

import re
import uuid
from datetime import date, datetime

TYPES = {
    "string": lambda x: isinstance(x, str),
    "integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
    "number": lambda x: isinstance(x, int | float) and not isinstance(x, bool),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "array": lambda x: isinstance(x, list),
    "object": lambda x: isinstance(x, dict),
}
KEYWORDS = {
    "$ref", "type", "enum", "const", "not", "minimum", "maximum", "minLength", "maxLength",
    "pattern", "format", "properties", "required", "additionalProperties", "items",
    "minItems", "maxItems", "title", "description", "default",
}  # fmt: skip
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)


def pattern_matches(pattern: str, value: str) -> bool:
    """A `pattern` keyword read as ECMA-262 reads it, as the document's readers do: `$`
    only at the very end (Python's also matches before a final newline, so "\\n" passed
    `^$`) and `\\d`, `\\w` ASCII only (Python's take any script's digits and letters)."""
    return re.search(re.sub(r"(?<!\\)\$", r"\\Z", pattern), value, re.ASCII) is not None


def _format_ok(fmt: str, value: str) -> bool:
    try:
        if fmt == "date":
            return bool(DATE.match(value)) and date.fromisoformat(value) is not None
        if fmt == "date-time":
            return "T" in value and datetime.fromisoformat(value.replace("Z", "+00:00")) is not None
        if fmt == "uuid":
            return len(value) == 36 and uuid.UUID(value) is not None
    except ValueError:
        return False
    return True


def resolve(spec: dict, schema: dict) -> dict:
    """A schema with its $ref followed (refs point into #/components/schemas)."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def errors(spec: dict, schema: dict, value, path: str = "") -> list[str]:
    """Where and why `value` breaks `schema` (empty: it conforms)."""
    schema = resolve(spec, schema)
    found = []
    types = schema.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        if not any(TYPES[t](value) for t in types):
            return [f"{path}: not {types}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        found.append(f"{path}: not {schema['const']!r}")
    if "not" in schema and not errors(spec, schema["not"], value, path):
        found.append(f"{path}: matches what it must not")
    number = TYPES["number"](value)
    if number and not schema.get("minimum", value) <= value <= schema.get("maximum", value):
        found.append(f"{path}: out of bounds")
    if isinstance(value, str):
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            found.append(f"{path}: bad length")
        if "pattern" in schema and not pattern_matches(schema["pattern"], value):
            found.append(f"{path}: does not match {schema['pattern']}")
        if "format" in schema and not _format_ok(schema["format"], value):
            found.append(f"{path}: not a {schema['format']}")
    if isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            found.append(f"{path}: bad number of items")
        for index, item in enumerate(value):
            found += errors(spec, schema.get("items", {}), item, f"{path}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        missing = [name for name in schema.get("required", ()) if name not in value]
        found += [f"{path}.{name}: missing" for name in missing]
        for name, item in value.items():
            if name in properties:
                found += errors(spec, properties[name], item, f"{path}.{name}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{path}.{name}: not allowed")
    return found
