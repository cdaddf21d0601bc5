"""No input, however malformed, produces a 500: random bodies and queries for every endpoint."""

import os
from urllib.parse import quote

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from supplies.services.distribution.events import EVENT_FIELDS

# Values that once caused server errors: a lone UTF-16 surrogate (JSON may spell one;
# no database stores it), dates near the ends of the calendar (the day after 9999-12-31
# overflows), a NUL byte (PostgreSQL refuses it), ids in other spellings of a UUID.
NASTY = [
    "x\ud800y",
    "\udfff",
    "9999-12-31",
    "0001-01-01",
    "2101-01-01",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+01:00",
    "H\x00UB",
    "{6f1c6c5e-58a4-4c6e-9d3e-9b8f0f7c2a11}",
    "urn:uuid:6f1c6c5e-58a4-4c6e-9d3e-9b8f0f7c2a11",
    "6f1c6c5e58a44c6e9d3e9b8f0f7c2a11",
]
# A URL cannot carry a lone surrogate (it is not UTF-8): those stay in bodies.
IN_URLS = [value for value in NASTY if "\ud800" not in value and "\udfff" not in value]
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(NASTY)
    | st.sampled_from(["HUB", "VAN", "NARCAN4", "FTS", "SOR", "LOT1", "2026-01-01", "97214"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

ENDPOINTS = {
    "/sites": {"id", "code", "name", "kind", "county", "active"},
    "/supplies": {
        "id",
        "code",
        "name",
        "category",
        "unit",
        "doses_per_unit",
        "tracks_lots",
        "offered_to_partners",
        "active",
    },
    "/funding-sources": {"id", "code", "name", "funder", "starts_on", "ends_on", "active"},
    "/receipts": {
        "id",
        "site",
        "supply",
        "quantity",
        "lot_number",
        "expires_on",
        "funding",
        "received_on",
        "source",
    },
    "/transfers": {"id", "from_site", "to_site", "supply", "quantity", "lot_number"},
    "/adjustments": {"id", "site", "supply", "quantity", "reason", "lot_number", "note"},
    "/counts": {"id", "site", "supply", "counted", "lot_number"},
    "/lots/status": {"id", "supply", "lot_number", "status", "note"},
    "/distributions": {"id", "site", "occurred_at", "items", *EVENT_FIELDS},
}


def _bodies():
    keyed = [
        st.tuples(
            st.just(path), st.dictionaries(st.sampled_from(sorted(keys)), JSON_VALUES, max_size=6)
        )
        for path, keys in ENDPOINTS.items()
    ]
    return st.one_of(*keyed)


@settings(
    max_examples=int(os.environ.get("RANDOM_API_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=_bodies())
# PostgreSQL refuses a NUL byte in text: these once got that far.
@example(
    case=(
        "/receipts",
        {
            "site": "HUB",
            "supply": "NARCAN4",
            "quantity": 5,
            "lot_number": "L\x00",
            "expires_on": "2027-01-01",
        },
    )
)
@example(case=("/sites", {"code": "NEW", "name": "Site\x00", "kind": "outreach"}))
# A lone surrogate in any text field, a key included, once reached the database.
@example(case=("/sites", {"code": "NEW", "name": "x\ud800y", "kind": "outreach"}))
@example(case=("/distributions", {"id": "6f1c6c5e-58a4-4c6e-9d3e-9b8f0f7c2a11", "area": "\ud800"}))
@example(case=("/adjustments", {"\ud800": 1}))
# Far dates once overflowed: an event or a receipt near 9999-12-31.
@example(
    case=(
        "/distributions",
        {
            "id": "6f1c6c5e-58a4-4c6e-9d3e-9b8f0f7c2a11",
            "site": "HUB",
            "occurred_at": "0001-01-01T00:00:00+01:00",
            "items": [{"supply": "FTS", "quantity": 1}],
        },
    )
)
@example(
    case=(
        "/receipts",
        {"site": "HUB", "supply": "NARCAN4", "quantity": 5, "lot_number": "L9",
         "expires_on": "9999-12-31", "received_on": "9999-12-31"},
    )
)  # fmt: skip
@example(case=("/funding-sources", {"code": "F9", "name": "F", "ends_on": "9999-12-31"}))
def test_random_bodies_never_cause_a_server_error(make, program, api, case):
    path, body = case
    response = api.post(path, program["tokens"]["admin"], body)
    assert response.status_code < 500, (path, body, response.get_data(as_text=True)[:300])
    assert response.is_json


@settings(
    max_examples=int(os.environ.get("RANDOM_API_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from(
        [
            "/stock",
            "/distributions",
            "/distributions/{}/void",
            "/counts/{}/confirm",
            "/reports/funder.xlsx",
        ]
    ),
    params=st.dictionaries(
        st.sampled_from(["site", "start", "end", "page", "per_page", "funding", "language"]),
        st.text(max_size=12) | st.sampled_from(IN_URLS),
        max_size=4,
    ),
    event=st.text(max_size=40) | st.sampled_from(IN_URLS),
    role=st.sampled_from(["admin", "staff", "funder"]),
)
# A superscript digit passes str.isdigit() and is refused by int(): it once caused a 500.
@example(path="/distributions", params={"page": "\u00b9"}, event="", role="staff")
@example(path="/distributions", params={"per_page": "\u0663"}, event="", role="staff")
# PostgreSQL refuses a NUL byte in text: a site code holding one once caused a 500 there.
@example(path="/stock", params={"site": "\x00"}, event="", role="staff")
@example(path="/distributions", params={"site": "S\x00"}, event="", role="staff")
# The funder workbook and the event list with a far end date once overflowed.
@example(
    path="/reports/funder.xlsx",
    params={"start": "2026-01-01", "end": "9999-12-31"},
    event="",
    role="funder",
)
@example(path="/distributions", params={"end": "9999-12-31"}, event="", role="admin")
@example(path="/counts/{}/confirm", params={}, event="a\x00b", role="admin")
def test_random_queries_and_paths_never_cause_a_server_error(
    program, api, path, params, event, role
):
    token = program["tokens"][role]
    if "{}" in path:
        response = api.post(path.format(quote(event, safe="") or "x"), token, {"reason": "other"})
    else:
        response = api.get(path, token, **params)
    assert response.status_code < 500, (path, params, event)
