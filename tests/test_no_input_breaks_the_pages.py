"""No value in a path, a query or a form produces a server error, on any page (either
database): every route of the app, signed in as an admin (who reaches furthest) and as
staff, with the values that once caused 500s and with random text.

The JSON API has its own, body by body: tests/api/test_no_input_breaks_the_api.py.
"""

import os
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.routing.converters import NumberConverter

from tests.conftest import csrf_token_from, signed_in

# Values that broke something once, or could: a NUL byte (PostgreSQL refuses it in a
# query), dates near the ends of the calendar (the day after 9999-12-31 overflows), huge
# numbers (past PostgreSQL's integers), path tricks, long and odd text, whitespace alone
# (WTForms' Optional() lets it past a choice check).
NASTY = [
    "\r",
    " \t\n",
    "H\x00UB",
    "a\x00b",
    "\x00",
    "9999-12-31",
    "0001-01-01",
    "1999-12-31",
    "2101-01-01",
    "2026-02-30",
    "99999999999999999999",
    "-1",
    "1e309",
    "../../etc/passwd",
    "%",
    "' OR 1=1 --",
    "ñandú ☃ 😀",
    "x" * 3000,
    "",
]
BIG_INT = 99999999999999999999
# Query and form names the pages read; each request carries all of them.
NAMES = [
    "start",
    "end",
    "site",
    "supply",
    "funding",
    "page",
    "per_page",
    "next",
    "lang",
    "void",
    "blind",
    "lines",
    "kind",
    "user",
    "action",
    "preset",
    "sites",
    "language",
    "email",
    "password",
    "current_password",
    "new_password",
    "confirm",
    "event_id",
    "operation_id",
    "reason",
    "quantity",
    "lot_number",
    "counted",
    "name",
    "code",
    "op",
    "force",
]
# Routes left out: signing out would end the session the rest of the run relies on.
SKIPPED = {"auth.sign_out", "static"}


class Browser:
    """A signed-in client with the CSRF token its pages carry (so posts reach the views)."""

    def __init__(self, app, email):
        self.client = signed_in(app.test_client(), email)
        page = self.client.get("/account/password").get_data(as_text=True)
        self.csrf = csrf_token_from(page)


def _routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED or rule.endpoint.startswith("api."):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule))
    return sorted(found, key=lambda pair: (pair[1].rule, pair[0]))


def _url(rule, value: str) -> str:
    path = rule.rule
    for name, converter in rule._converters.items():
        if isinstance(converter, NumberConverter):
            filler = str(BIG_INT)
        else:
            filler = quote(value, safe="") or "x"
        path = re.sub(f"<([^<>]*:)?{name}>", filler, path)
    assert "<" not in path, path
    return path


def _call(browser, method, rule, value):
    url = _url(rule, value)
    fields = dict.fromkeys(NAMES, value)
    if method == "GET":
        return browser.client.get(url, query_string=fields)
    return browser.client.post(url, data={**fields, "csrf_token": browser.csrf})


@pytest.fixture
def browsers(app, make, program):
    make.receive("HUB", "FTS", 100)
    return {
        "admin": Browser(app, "admin@example.org"),
        "staff": Browser(app, "staff@example.org"),
    }


def test_the_values_that_once_broke_pages_break_none(app, browsers):
    broken = []
    for role, browser in browsers.items():
        for method, rule in _routes(app):
            for value in NASTY:
                response = _call(browser, method, rule, value)
                if response.status_code >= 500:
                    broken.append(f"{role} {method} {_url(rule, value)!r}: {response.status_code}")
    assert not broken, "\n".join(broken)


@settings(
    max_examples=int(os.environ.get("RANDOM_PAGE_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
@example(data=None)
def test_random_text_breaks_no_page(app, browsers, data):
    routes = _routes(app)
    if data is None:  # the reports form and the audit log with a far end date
        method, rule = next(r for r in routes if r[1].endpoint == "admin.audit")
        assert _call(browsers["admin"], method, rule, "9999-12-31").status_code < 500
        return
    method, rule = data.draw(st.sampled_from(routes))
    value = data.draw(
        st.one_of(
            st.sampled_from(NASTY),
            st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
        )
    )
    role = data.draw(st.sampled_from(sorted(browsers)))
    response = _call(browsers[role], method, rule, value)
    assert response.status_code < 500, (role, method, _url(rule, value), value)
