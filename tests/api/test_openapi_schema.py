"""The OpenAPI document is generated from the declarations that validate, so the two agree.

- It looks like OpenAPI 3.1: known keywords only, every $ref resolves, required names exist.
- Every enum in it is a vocabulary of supplies.vocab, exactly.
- A value it forbids in a field is refused with 422 naming that field; a value it allows in
  a field's shape, the field's parser takes; what the lists answer conforms (null dates too).
"""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplies import vocab
from supplies.api import openapi
from supplies.services.common import schema as s
from supplies.services.common import validation as v
from tests.api.jsonschema_check import KEYWORDS, TYPES, errors, resolve
from tests.conftest import new_id

SPEC = openapi.openapi_spec()
SCHEMAS = SPEC["components"]["schemas"]
METHODS = {"get", "post", "put", "patch", "delete"}


def _walk(schema: dict, where: str):
    """Every schema object inside `schema`, with where it sits."""
    yield schema, where
    for name, child in schema.get("properties", {}).items():
        yield from _walk(child, f"{where}.{name}")
    for key in ("items", "not", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _walk(schema[key], f"{where}/{key}")


def _all_schemas():
    for name, schema in SCHEMAS.items():
        yield from _walk(schema, name)
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", ()):
                yield from _walk(parameter["schema"], f"{method} {path} ?{parameter['name']}")


def test_the_document_looks_like_openapi_3_1(client):
    served = client.get("/api/v1/openapi.json").get_json()
    assert served == SPEC
    assert SPEC["openapi"] == "3.1.0"
    assert SPEC["info"]["title"] and SPEC["info"]["version"]
    assert set(SPEC["components"]["securitySchemes"]) == {"bearer", "session"}
    for path, item in SPEC["paths"].items():
        assert path.startswith("/"), path
        for method, operation in item.items():
            assert method in METHODS, (path, method)
            assert operation["summary"]
            assert operation["responses"], (path, method)
            assert all(re.fullmatch(r"[1-5]\d\d", status) for status in operation["responses"])
            declared = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (path, method)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                assert resolve(SPEC, body["schema"])["type"] == "object"
    for schema, where in _all_schemas():
        assert set(schema) <= KEYWORDS, (where, set(schema) - KEYWORDS)
        if "$ref" in schema:
            resolve(SPEC, schema)  # resolves, or KeyError
        types = schema.get("type", [])
        assert set(types if isinstance(types, list) else [types]) <= set(TYPES), where
        assert set(schema.get("required", ())) <= set(schema.get("properties", {})), where
        for value in schema.get("enum", ()):
            assert not errors(SPEC, {"type": schema["type"]}, value), (where, value)
        if "pattern" in schema:
            re.compile(schema["pattern"])
            assert "(?P" not in schema["pattern"], where  # no Python-only syntax


VOCABULARIES = {
    ("Site", "kind"): vocab.SITE_KINDS,
    ("SiteRecord", "kind"): vocab.SITE_KINDS,
    ("Supply", "category"): vocab.SUPPLY_CATEGORIES,
    ("Supply", "unit"): vocab.SUPPLY_UNITS,
    ("SupplyRecord", "category"): vocab.SUPPLY_CATEGORIES,
    ("SupplyRecord", "unit"): vocab.SUPPLY_UNITS,
    ("Receipt", "source"): vocab.RECEIPT_SOURCES,
    ("Adjustment", "reason"): vocab.ADJUSTMENT_REASONS,
    ("LotStatus", "status"): vocab.BATCH_STATUSES,
    ("StockRow", "status"): vocab.BATCH_STATUSES,
    **{
        (component, name): values
        for component in ("Distribution", "DistributionRecord")
        for name, values in {
            "setting": vocab.SETTINGS,
            "recipient_type": vocab.RECIPIENT_TYPES,
            "first_time": vocab.FIRST_TIME,
            "age_band": vocab.AGE_BANDS,
            "resupply_reason": vocab.RESUPPLY_REASONS,
            "language": vocab.LANGUAGES,
        }.items()
    },
}


def test_every_enum_is_a_vocabulary_exactly():
    for (component, name), values in VOCABULARIES.items():
        enum = SCHEMAS[component]["properties"][name]["enum"]
        assert [e for e in enum if e not in (None, "")] == list(values), (component, name)
    language = SPEC["paths"]["/reports/funder.xlsx"]["get"]["parameters"][-1]["schema"]
    assert language["enum"] == list(vocab.INTERFACE_LANGUAGES)
    known = {tuple(value) for value in vars(vocab).values() if isinstance(value, vocab.Vocabulary)}
    for schema, where in _all_schemas():
        if "enum" in schema:
            assert tuple(e for e in schema["enum"] if e not in (None, "")) in known, where


def test_each_body_accepts_exactly_the_fields_the_document_names():
    for body in openapi.REQUEST_BODIES:
        assert set(SCHEMAS[body.title]["properties"]) == body.names, body.title
    assert SCHEMAS["Distribution"]["required"][:1] == ["id"]
    assert "id" not in SCHEMAS["Receipt"]["required"]


# --- what the document forbids, the API refuses, naming the field -------------------------

VOID_PATH = "/distributions/{event}/void"
PATHS = {
    "Site": "/sites",
    "Supply": "/supplies",
    "FundingSource": "/funding-sources",
    "Receipt": "/receipts",
    "Transfer": "/transfers",
    "Adjustment": "/adjustments",
    "Count": "/counts",
    "LotStatus": "/lots/status",
    "Distribution": "/distributions",
    "Void": VOID_PATH,
    "EventExport": "/exports/events",
}
EXAMPLES = {
    "Site": {"code": "NEW1", "name": "New site", "kind": "outreach"},
    "Supply": {"code": "NEWS", "name": "New supply", "category": "other", "unit": "each"},
    "FundingSource": {"code": "NEWF", "name": "New grant", "starts_on": "2026-01-01"},
    "Receipt": {"site": "HUB", "supply": "FTS", "quantity": 5, "source": "donation"},
    "Transfer": {"from_site": "HUB", "to_site": "VAN", "supply": "FTS", "quantity": 1},
    "Adjustment": {"site": "HUB", "supply": "FTS", "quantity": -1, "reason": "damaged"},
    "Count": {"site": "HUB", "supply": "FTS", "counted": 0},
    "LotStatus": {"supply": "NARCAN4", "lot_number": "LOT1", "status": "quarantined"},
    "Distribution": {"site": "HUB", "items": [{"supply": "FTS", "quantity": 1}], "area": "972"},
    "Void": {"reason": "duplicate"},
    "EventExport": {"start": "2026-01-01", "end": "2026-03-31", "site": "HUB", "language": "es"},
}
# Values tried in every field; those its schema forbids must be refused.
CANDIDATES = [None, True, 0, -1, 1.5, "5", "   ", "a\x00b", "bad code!", "Portland 97201",
              "not_a_code", "2026-02-30", "nope", [], {}]  # fmt: skip


def _forbidden(schema: dict) -> list:
    """Values the field's schema refuses.

    In an optional field a blank string counts as absent, as the screens' forms send it:
    those are not tried there (the document names null, which means the same).
    """
    schema = resolve(SPEC, schema)
    optional = "null" in schema.get("type", ())
    tried = [c for c in CANDIDATES if not (optional and isinstance(c, str) and not c.strip())]
    if "maxLength" in schema:
        tried.append("A" * (schema["maxLength"] + 1))
    tried += [schema[k] + step for k, step in (("minimum", -1), ("maximum", 1)) if k in schema]
    if schema.get("type") == "array":
        tried += [[], [{"supply": "FTS", "quantity": 1}] * (schema["maxItems"] + 1)]
    return [value for value in tried if errors(SPEC, schema, value)]


def _variants(title: str):
    """(body, field that must be named) for each way of breaking the example body."""
    example, schema = EXAMPLES[title], SCHEMAS[title]
    for name in schema["required"]:
        yield {k: x for k, x in example.items() if k != name}, name
    for name, field in schema["properties"].items():
        for value in _forbidden(field):
            yield {**example, name: value}, name
    yield {**example, "extra": 1}, "extra"
    if title == "Distribution":
        item_schema = resolve(SPEC, schema["properties"]["items"]["items"])
        item = example["items"][0]
        for name in item_schema["required"]:
            yield (
                {**example, "items": [{k: x for k, x in item.items() if k != name}]},
                (f"items[0].{name}"),
            )
        for name, field in item_schema["properties"].items():
            for value in _forbidden(field):
                yield {**example, "items": [{**item, name: value}]}, f"items[0].{name}"


@pytest.mark.parametrize("title", list(PATHS))
def test_what_the_document_forbids_is_refused_naming_the_field(make, program, api, title):
    make.receive("HUB", "FTS", 100)
    make.receive("HUB", "NARCAN4", 10)
    token = program["tokens"]["admin"]
    path = PATHS[title].format(event=new_id())
    tried = 0
    for body, name in _variants(title):
        if title == "Distribution" and name != "id":
            body.setdefault("id", new_id())
        assert errors(SPEC, SCHEMAS[title], body), (title, body)
        response = api.post(path, token, body)
        error = response.get_json()["error"]
        assert response.status_code == 422, (title, body, response.get_json())
        assert name in error["fields"], (title, body, error)
        tried += 1
    assert tried >= 8
    if title != "Void":
        example = {**EXAMPLES[title], "id": new_id()}
        assert not errors(SPEC, SCHEMAS[title], example)
        assert api.post(path, token, example).status_code in (201, 202), title


# --- what the document allows in a field's shape, the field's parser takes ----------------


def _pure_fields():
    """(where, field) for every declared field checked by shape alone (no look-up, no clock)."""
    pure = {v.code, v.text, v.quantity, v.signed_quantity, v.choice, v.boolean, v.iso_date, v.area}
    for body in openapi.REQUEST_BODIES:
        for name, field in body.fields.items():
            if getattr(field.parse, "func", field.parse) in pure:
                yield f"{body.title}.{name}", field


def _values_for(field: s.Field):
    schema = field.json_schema()
    shaped = [st.sampled_from([*schema.get("enum", ()), *CANDIDATES, ""])]
    if "pattern" in schema:
        shaped.append(st.from_regex(schema["pattern"], fullmatch=True))
    if "minimum" in schema:
        shaped.append(st.integers(schema["minimum"] - 2, schema["maximum"] + 2))
    return st.one_of(*shaped, st.text(max_size=130), st.booleans())


PURE = list(_pure_fields())


@pytest.mark.parametrize("where,field", PURE, ids=[w for w, _ in PURE])
def test_what_the_document_allows_the_parser_takes(where, field):
    @settings(max_examples=60, deadline=None)
    @given(value=_values_for(field))
    def check(value):
        if not errors(SPEC, field.json_schema(), value):
            field.parse(value)  # raises ValidationFailed if the code refused it

    check()


# --- what the lists answer conforms to the document ------------------------------------


def _ok_schema(path: str, method: str = "get") -> dict:
    response = SPEC["paths"][path][method]["responses"]["200"]
    return response["content"]["application/json"]["schema"]


def test_list_answers_conform_null_grant_dates_included(make, program, api):
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 100)
    token = program["tokens"]["admin"]
    dated = {"code": "DATED", "name": "Dated", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}
    assert api.post("/funding-sources", token, dated).status_code == 201
    event = {"id": new_id(), "site": "HUB", "items": [{"supply": "FTS", "quantity": 2}]}
    assert api.post("/distributions", token, event).status_code == 201
    for path in ("/sites", "/supplies", "/funding-sources", "/stock", "/distributions"):
        answer = api.get(path, token).get_json()
        assert answer, path
        assert not errors(SPEC, _ok_schema(path), answer), path
    grants = {g["code"]: g for g in api.get("/funding-sources", token).get_json()}
    assert grants["SOR"]["starts_on"] is None and grants["SOR"]["ends_on"] is None
    # The hand-written document of before said {"type": "string", "format": "date"}.
    assert errors(SPEC, {"type": "string", "format": "date"}, None)


def test_the_document_is_built_once_and_never_on_the_fast_path(make, program, api, monkeypatch):
    assert openapi.openapi_spec() is openapi.openapi_spec()
    make.receive("HUB", "FTS", 100)

    def refuse(self):
        raise AssertionError("a schema was built while serving a distribution")

    monkeypatch.setattr(s.Body, "json_schema", refuse)
    monkeypatch.setattr(s.Field, "json_schema", refuse)
    event = {"id": new_id(), "site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
    assert api.post("/distributions", program["tokens"]["staff"], event).status_code == 201
