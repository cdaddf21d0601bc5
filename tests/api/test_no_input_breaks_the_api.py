"""No input, however malformed, produces a 500: random bodies and queries for every endpoint."""

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from supplies.services.distribution.events import EVENT_FIELDS

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
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
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
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
def test_random_bodies_never_cause_a_server_error(make, program, api, case):
    path, body = case
    response = api.post(path, program["tokens"]["admin"], body)
    assert response.status_code < 500, (path, body, response.get_data(as_text=True)[:300])
    assert response.is_json


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(["/stock", "/distributions", "/distributions/{}/void"]),
    params=st.dictionaries(
        st.sampled_from(["site", "start", "end", "page", "per_page"]),
        st.text(max_size=12),
        max_size=4,
    ),
    event=st.text(max_size=40),
)
# A superscript digit passes str.isdigit() and is refused by int(): it once caused a 500.
@example(path="/distributions", params={"page": "\u00b9"}, event="")
@example(path="/distributions", params={"per_page": "\u0663"}, event="")
# PostgreSQL refuses a NUL byte in text: a site code holding one once caused a 500 there.
@example(path="/stock", params={"site": "\x00"}, event="")
@example(path="/distributions", params={"site": "S\x00"}, event="")
def test_random_queries_and_paths_never_cause_a_server_error(program, api, path, params, event):
    token = program["tokens"]["staff"]
    if "{}" in path:
        response = api.post(
            path.format(event.replace("/", "_").replace("?", "_").replace("#", "_") or "x"),
            token,
            {"reason": "x"},
        )
    else:
        response = api.get(path, token, **params)
    assert response.status_code < 500, (path, params, event)
